"""Process-level behaviour: a forked child can use a client (tokenwell's runtime is re-created
there), a program may exit while tokenwell's threads are inside Python, and `import tokenwell`
is light (no requests, httpx or asyncio; under 20 ms)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import tokenwell
from conftest import Namespace

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def run_in_child(body: callable[[], None], limit: float = 30.0) -> int:  # type: ignore[valid-type]
    """Forks; the child runs `body` and exits 0 on success, 1 on an exception. Bounded wait."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException as e:  # noqa: BLE001
            print(f"child failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        finally:
            os._exit(code)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"the forked child did not finish within {limit} s (hang)")


def cc(ns: Namespace, **kw: object) -> tokenwell.Client:
    return tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="app-secret", **kw)


def test_a_client_works_in_a_forked_child(ns: Namespace) -> None:
    client = cc(ns)
    parent_token = client.token().access_token

    def child() -> None:
        assert client.token().access_token == parent_token  # the cache came along
        client.invalidate()
        fresh = client.token()  # a fetch on the child's own runtime
        assert fresh.access_token != parent_token

        async def use_async() -> None:
            client.invalidate()
            assert (await client.token_async()).access_token

        import asyncio
        asyncio.run(use_async())

    assert run_in_child(child) == 0
    assert ns.stats()["total"] == 3
    # The parent's connection is still open (kept for 4 s); the child opened its own.
    parent_conn, *child_conns = [r["connection"] for r in ns.requests()]
    assert parent_conn not in child_conns
    assert client.token().access_token == parent_token  # the parent's cache is its own


def test_fork_while_the_parent_fetches(ns: Namespace) -> None:
    ns.control(delay_ms=800)
    client = cc(ns)
    parent = threading.Thread(target=client.token)
    parent.start()
    time.sleep(0.2)  # the parent's fetch is in flight on threads the child will not have

    def child() -> None:
        assert client.token().access_token

    try:
        assert run_in_child(child) == 0
    finally:
        parent.join(10)
    assert ns.stats()["total"] == 2


def test_import_is_light() -> None:
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "import tokenwell\n"
        "ms = (time.perf_counter() - t) * 1000\n"
        "heavy = [m for m in ('requests', 'httpx', 'asyncio') if m in sys.modules]\n"
        "print(round(ms, 2), ','.join(heavy))\n"
    )
    best = None
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
        ms, heavy = out.stdout.split(" ")
        assert heavy.strip() == "", f"import tokenwell imported {heavy.strip()}"
        best = float(ms) if best is None else min(best, float(ms))
    # The figure is measured by bench/python/bench_token.py (target: under 20 ms); this bound only
    # catches an import of something heavy at import time, without making the suite flaky.
    print(f"import tokenwell: {best} ms")
    assert best is not None and best < 200, f"import tokenwell took {best} ms"


# A log handler still busy with a record from tokenwell's thread when the program ends, and a
# daemon thread still waiting in token(). Python < 3.13 ends a thread that takes the GIL during
# finalization with pthread_exit, inside Rust frames: without the exit gate (src/gate.rs) about
# one run in two aborted.
EXIT_WHILE_INSIDE = r"""
import logging, sys, threading, time
import tokenwell

def busy(record):
    if threading.current_thread() is not threading.main_thread():
        end = time.monotonic() + 0.3
        while time.monotonic() < end:  # Python code: the GIL changes hands meanwhile
            pass
    return True

class Quiet(logging.Handler):
    def emit(self, record):
        pass

handler = Quiet()
handler.addFilter(busy)  # a handler filter runs outside the handler's lock
logging.getLogger("tokenwell").setLevel(logging.DEBUG)
logging.getLogger("tokenwell").addHandler(handler)
client = tokenwell.Client(token_url=sys.argv[1], client_id="app", client_secret="app-secret", retries=0)
threading.Thread(target=client.token, daemon=True).start()
time.sleep(0.1)
print("main thread done", flush=True)
"""


def test_exit_while_tokenwell_threads_are_inside_python(ns: Namespace) -> None:
    ns.control(delay_ms=400)
    for run in range(4):
        proc = subprocess.run([sys.executable, "-c", EXIT_WHILE_INSIDE, ns.token_url], capture_output=True,
                              text=True, timeout=60)
        assert (proc.returncode, proc.stdout) == (0, "main thread done\n"), \
            f"run {run}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-2000:]}"


INVALIDATE_WITH_A_WARNING = """
import logging, pathlib, sys
import tokenwell

records = []

class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())

logging.getLogger("tokenwell").addHandler(Keep())
cache_dir = pathlib.Path(sys.argv[2])
client = tokenwell.Client(token_url=sys.argv[1], client_id="app", client_secret="app-secret",
                          cache="file:" + str(cache_dir))
client.token()
for entry in cache_dir.glob("*.json"):
    entry.write_text("not a cache entry")
client.invalidate()  # reads the corrupt entry on tokenwell's runtime, which logs a warning
print(any("ignoring the shared cache entry" in m for m in records), flush=True)
"""


def test_invalidate_with_a_shared_cache_lets_the_runtime_log(ns: Namespace, tmp_path: object) -> None:
    # invalidate() waits for the shared cache's update on tokenwell's runtime; a warning logged
    # there needs the GIL, so the wait must not hold it (it did: the call never returned).
    proc = subprocess.run([sys.executable, "-c", INVALIDATE_WITH_A_WARNING, ns.token_url, str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "True\n"), f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-2000:]}"
