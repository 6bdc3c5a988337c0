#!/usr/bin/env python3
"""Cross-language shared caches (issue 7): Python, Node and C processes share one file cache and
one Redis cache through the same core. Uses only the standard library; the language runtimes are
the ones `make test-python`, `make test-node` and `make test-c` built. Every wait is bounded."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "target")
PYTHON = os.path.join(TARGET, "py-test-venv", "bin", "python")
NODE_APP = os.path.join(TARGET, "node-test", "app")
SERVER_BIN = os.path.join(TARGET, "debug", "tokenwell-authserver")
LIB_DIR = os.path.join(TARGET, "debug")

PY_CHILD = r"""
import os, sys, time
start = time.perf_counter()
import tokenwell
try:
    t = tokenwell.Client.from_dict(__import__("json").loads(os.environ["TW_CFG"])).token()
except tokenwell.Error as e:
    print("ERR", e.code); sys.exit(1)
print("OK", int(t.expires_at.timestamp()), round((time.perf_counter() - start) * 1e6))
"""

NODE_CHILD = r"""
const start = process.hrtime.bigint()
const { Client } = require('tokenwell')
const snake = JSON.parse(process.env.TW_CFG)
const camel = Object.fromEntries(Object.entries(snake).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]))
new Client(camel).token().then(
  (t) => console.log('OK', Math.floor(t.expiresAt.getTime() / 1000), Number((process.hrtime.bigint() - start) / 1000n)),
  (e) => { console.log('ERR', e.code); process.exitCode = 1 })
"""

failures = []
passed = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (passed if cond else failures).append(what)


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read()
    return json.loads(text) if text else None


def start(kind, cfg, c_child):
    env = dict(os.environ, TW_CFG=json.dumps(cfg))
    if kind == "python":
        cmd, cwd = [PYTHON, "-c", PY_CHILD], None
    elif kind == "node":
        cmd, cwd = ["node", "-e", NODE_CHILD], NODE_APP
    else:
        cmd, cwd = [c_child], None
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def finish(p):
    try:
        out, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        return "ERR hung"
    return (out.strip().splitlines() or ["ERR no output"])[-1]


def run(kinds, cfg, c_child):
    procs = [(k, start(k, cfg, c_child)) for k in kinds]
    return [(k, finish(p)) for k, p in procs]


def main():
    for path in (PYTHON, SERVER_BIN, os.path.join(NODE_APP, "node_modules", "tokenwell")):
        if not os.path.exists(path):
            sys.exit(f"mixed.py: {path} is missing: run make test-python test-node test-c first")
    work = tempfile.mkdtemp(prefix="tokenwell-cross-")
    server = subprocess.Popen([SERVER_BIN, "--max-seconds", "600"], stdout=subprocess.PIPE, text=True)
    redis = None
    try:
        root = server.stdout.readline().strip()
        c_child = os.path.join(work, "child")
        subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", "-std=c11", "-D_POSIX_C_SOURCE=200809L",
                        "-I", os.path.join(ROOT, "bindings-c", "include"),
                        os.path.join(ROOT, "tests", "cross", "child.c"), "-o", c_child,
                        "-L", LIB_DIR, "-ltokenwell", f"-Wl,-rpath,{LIB_DIR}"], check=True)

        def namespace(name, setup):
            ns = f"{root}/t/{name}"
            http("POST", f"{ns}/_reset", {})
            http("POST", f"{ns}/_control", setup)
            return ns

        def config(ns, cache):
            return {"token_url": f"{ns}/realms/demo/protocol/openid-connect/token", "grant": "password",
                    "client_id": "app", "client_secret": "app-secret", "username": "alice",
                    "password": "wonderland", "cache": cache}

        # 1. Sixteen processes of three languages at once on a cold file cache key.
        ns = namespace("cross-16", {"delay_ms": 300})
        cfg = config(ns, f"file:{work}/cache16")
        kinds = ["python"] * 6 + ["node"] * 5 + ["c"] * 5
        results = run(kinds, cfg, c_child)
        total = http("GET", f"{ns}/_stats")["total"]
        check(all(r.startswith("OK ") for _, r in results), f"16 processes (6 Python, 5 Node, 5 C) all got a token: {results}")
        check(len({r.split()[1] for _, r in results if r.startswith('OK')}) == 1, "all 16 got the same token")
        check(total == 1, f"16 processes on a cold file cache key -> {total} request(s) (want 1)")

        # 2. A token written by Python is read by Node and C with no request; warm-hit latency.
        ns = namespace("cross-handoff", {})
        cfg = config(ns, f"file:{work}/handoff")
        first = run(["python"], cfg, c_child)
        later = run(["node", "c", "python"], cfg, c_child)
        total = http("GET", f"{ns}/_stats")["total"]
        check(total == 1, f"Python wrote, Node, C and Python read: {total} request(s) (want 1)")
        check({r.split()[1] for _, r in first + later if r.startswith("OK")} == {first[0][1].split()[1]},
              f"one token for all: {first + later}")
        lat = {}
        for _ in range(5):
            for k, r in run(["python", "node", "c"], cfg, c_child):
                if r.startswith("OK"):
                    lat.setdefault(k, []).append(int(r.split()[2]))
        print("warm file-cache hit, new process, first call (client construction + token(), median µs):",
              {k: sorted(v)[len(v) // 2] for k, v in lat.items()})

        # 3. Redis, when redis-server is installed (make test installs it): the same hand-off.
        exe = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
        check(exe is not None, "redis-server is installed")
        if exe:
            import socket
            s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
            redis = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); break
                except OSError:
                    time.sleep(0.05)
            ns = namespace("cross-redis", {"delay_ms": 200})
            cfg = config(ns, f"redis://127.0.0.1:{port}/")
            results = run(["python"] * 3 + ["node"] * 3 + ["c"] * 3, cfg, c_child)
            total = http("GET", f"{ns}/_stats")["total"]
            check(all(r.startswith("OK ") for _, r in results), f"9 processes on Redis got a token: {results}")
            check(total == 1, f"9 processes of three languages on a cold Redis key -> {total} request(s) (want 1)")
            lat = {}
            for _ in range(5):
                for k, r in run(["python", "node", "c"], cfg, c_child):
                    if r.startswith("OK"):
                        lat.setdefault(k, []).append(int(r.split()[2]))
            print("warm Redis hit, new process, first call (client construction + token(), median µs):",
                  {k: sorted(v)[len(v) // 2] for k, v in lat.items()})
    finally:
        for p in (server, redis):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"cross-language caches: {len(passed)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
