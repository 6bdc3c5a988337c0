"""A panic inside the engine reaches Python as `tokenwell.InternalError` (code `internal`), not
as pyo3's PanicException and not as an abort, and the process goes on and exits normally.
The core panics on purpose where `TOKENWELL_TEST_PANIC` says (core/src/testhook.rs): `construct`
inside `Client::new` on the caller's thread, `renewal` inside a renewal on the core's runtime.
Each case runs in a child process, the only one whose environment holds the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import tokenwell
from conftest import Namespace

# The child prints one JSON line: what each step raised, as the user sees it.
CHILD = r"""
import asyncio, json, sys, threading
import tokenwell

url = sys.argv[1]
seen = {}

def outcome(f):
    try:
        f()
        return {"raised": None}
    except BaseException as e:  # PanicException is a BaseException: it must not show up here
        return {"raised": f"{type(e).__module__}.{type(e).__qualname__}", "code": getattr(e, "code", None),
                "internal": isinstance(e, tokenwell.InternalError), "message": str(e)}

def build():
    return tokenwell.Client(token_url=url, client_id="app", client_secret="app-secret", retries=0, timeout=5)

seen["construct"] = outcome(build)
if seen["construct"]["raised"] is None:
    client = build()
    seen["token"] = outcome(client.token)
    seen["token again"] = outcome(client.token)
    results = []
    threads = [threading.Thread(target=lambda: results.append(outcome(client.token))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    seen["parallel"] = results
    seen["token_async"] = outcome(lambda: asyncio.run(client.token_async()))
print(json.dumps(seen), flush=True)
"""


def run_child(url: str, points: str) -> tuple[dict[str, object], subprocess.CompletedProcess[str]]:
    # The backtrace makes each panic slower: it once exposed a crash at exit (src/gate.rs).
    env = dict(os.environ, TOKENWELL_TEST_PANIC=points, RUST_BACKTRACE="1")
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([sys.executable, "-c", CHILD, url], env=env, cwd=cwd, capture_output=True,
                              text=True, timeout=60)
    detail = f"exit {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    # A normal exit: not an abort (negative: killed by a signal), not an uncaught exception.
    assert proc.returncode == 0, detail
    assert "PanicException" not in proc.stdout + proc.stderr, detail
    lines = proc.stdout.strip().splitlines()
    assert lines, detail
    return json.loads(lines[-1]), proc


def is_internal(outcome: object) -> bool:
    return isinstance(outcome, dict) and outcome.get("raised") == "tokenwell.InternalError" \
        and outcome.get("code") == "internal" and outcome.get("internal") is True


def test_a_panic_in_construction_is_an_internal_error(ns: Namespace) -> None:
    seen, proc = run_child(ns.token_url, "construct")
    assert is_internal(seen["construct"]), (seen, proc.stderr[-2000:])
    assert "internal error" in str(seen["construct"]["message"])  # type: ignore[index]
    assert ns.stats()["total"] == 0


def test_a_panic_in_a_renewal_is_an_internal_error_for_every_waiter(ns: Namespace) -> None:
    seen, proc = run_child(ns.token_url, "renewal")
    assert seen["construct"] == {"raised": None}, seen
    for step in ("token", "token again", "token_async"):
        assert is_internal(seen[step]), (step, seen, proc.stderr[-2000:])
    parallel = seen["parallel"]
    assert isinstance(parallel, list) and len(parallel) == 4 and all(map(is_internal, parallel)), seen
    # The panic came before any request.
    assert ns.stats()["total"] == 0


def test_without_the_variable_the_same_child_gets_a_token(ns: Namespace) -> None:
    """The cases above fail for the panic, not for something else in the child."""
    seen, _ = run_child(ns.token_url, "")
    assert seen["construct"] == {"raised": None} and seen["token"] == {"raised": None}, seen
    assert seen["token_async"] == {"raised": None}, seen
    assert ns.stats()["total"] == 1
    assert issubclass(tokenwell.InternalError, tokenwell.Error)
