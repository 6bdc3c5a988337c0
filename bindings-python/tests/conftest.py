"""Shared fixtures: one tokenwell-authserver process per session (started here, stopped by its
PID), and a fresh namespace of it for each test, driven over real HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
AUTHSERVER = Path(os.environ.get("TOKENWELL_AUTHSERVER", REPO / "target" / "debug" / "tokenwell-authserver"))

# Control requests never go through a proxy from the environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    with _http.open(req, timeout=10) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else None


class Namespace:
    """One isolated namespace of the test server: `/t/NAME`."""

    def __init__(self, root: str, name: str) -> None:
        self.name = name
        self.url = f"{root}/t/{name}"
        http_json("POST", f"{self.url}/_reset", {})

    def control(self, **settings: Any) -> Any:
        return http_json("POST", f"{self.url}/_control", settings)

    def script(self, *answers: Any) -> None:
        http_json("POST", f"{self.url}/_script", {"answers": list(answers)})

    def stats(self) -> Any:
        return http_json("GET", f"{self.url}/_stats")

    def requests(self) -> list[Any]:
        return http_json("GET", f"{self.url}/_requests")  # type: ignore[no-any-return]

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def resource_url(self) -> str:
        return f"{self.url}/resource"


class Server:
    def __init__(self, root: str) -> None:
        self.root = root
        self.used: set[str] = set()

    def namespace(self, hint: str) -> Namespace:
        base = re.sub(r"[^A-Za-z0-9_-]", "-", hint)[:56] or "ns"
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}-{n}"
        self.used.add(name)
        return Namespace(self.root, name)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    if not AUTHSERVER.exists():
        pytest.fail(f"{AUTHSERVER} is missing: run `cargo build -p tokenwell-authserver`")
    proc = subprocess.Popen([str(AUTHSERVER), "--port", "0", "--max-seconds", "1800"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http://"):
            pytest.fail(f"the test server printed {line!r} instead of its URL")
        yield Server(line.rstrip("/"))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def ns(server: Server, request: pytest.FixtureRequest) -> Namespace:
    return server.namespace("py-" + request.node.name)
