"""Micro-benchmark of tokenwell's warm paths from Python: `client.token()` and
`client.cached()` once a token is cached, next to a hand-written expiry check (what
requests-oauthlib users write) and `import tokenwell`. Self-contained: a tiny token endpoint on
127.0.0.1 answers the one fetch. Run: `make bench-python` (release wheel), or with any Python
that has tokenwell installed: `python bench/python/bench_token.py`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import tokenwell

ROUNDS = 7
CALLS = 200_000  # per round, 10 per loop iteration


class TokenEndpoint(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def best_ns_per_call(fn: object) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t = time.perf_counter_ns()
        fn(CALLS // 10)  # type: ignore[operator]
        best = min(best, (time.perf_counter_ns() - t) / CALLS)
    return best


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = tokenwell.Client(token_url=f"http://127.0.0.1:{server.server_port}/token",
                              client_id="bench", client_secret="bench-secret")
    first = client.token()
    assert client.token() is first and client.cached() is first

    # Ten calls per loop iteration, so the loop itself costs next to nothing per call.
    def token_loop(n: int) -> None:
        c = client
        for _ in range(n):
            c.token()
            c.token()
            c.token()
            c.token()
            c.token()
            c.token()
            c.token()
            c.token()
            c.token()
            c.token()

    def cached_loop(n: int) -> None:
        c = client
        for _ in range(n):
            c.cached()
            c.cached()
            c.cached()
            c.cached()
            c.cached()
            c.cached()
            c.cached()
            c.cached()
            c.cached()
            c.cached()

    # What a requests-oauthlib user writes around the token dict: an expiry check per call.
    manual = {"access_token": "bench-token", "expires_at": time.time() + 3600}

    def get_manual() -> dict[str, object]:
        if manual["expires_at"] - time.time() > 30:  # type: ignore[operator]
            return manual
        raise RuntimeError("expired")

    def manual_loop(n: int) -> None:
        g = get_manual
        for _ in range(n):
            g()
            g()
            g()
            g()
            g()
            g()
            g()
            g()
            g()
            g()

    def async_loop(n: int) -> None:
        async def run() -> None:
            c = client
            for _ in range(n):
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()
                await c.token_async()

        asyncio.run(run())

    def empty_loop(n: int) -> None:
        for _ in range(n):
            pass

    probe = "import time; t = time.perf_counter(); import tokenwell; print((time.perf_counter() - t) * 1000)"
    import_ms = min(
        float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60).stdout)
        for _ in range(5)
    )
    loop = best_ns_per_call(empty_loop)
    rows = [
        ("client.token() (warm)", best_ns_per_call(token_loop)),
        ("client.cached() (warm)", best_ns_per_call(cached_loop)),
        ("await client.token_async() (warm)", best_ns_per_call(async_loop)),
        ("hand-written expiry check (pure Python)", best_ns_per_call(manual_loop)),
    ]
    print(f"tokenwell {tokenwell.__version__}, Python {sys.version.split()[0]}, best of {ROUNDS} x {CALLS} calls")
    for name, ns in rows:
        print(f"  {name:42s} {ns:7.1f} ns/call")
    print(f"  {'(loop overhead, included above)':42s} {loop:7.1f} ns/call")
    print(f"  {'import tokenwell':42s} {import_ms:7.2f} ms")
    server.shutdown()


if __name__ == "__main__":
    main()
