#!/usr/bin/env python3
"""Runs every tests/faults case (the fault matrix, tests/faults/README.md) through libtokenwell.

A fault case is a vector plus `max_ms` and `front`, so this reuses vectors.py and vector_driver
whole; what it adds is the time bound, the test front (the authserver's `front` subcommand, one
process per case that needs it) and the log check. Usage:

    faults.py [--valgrind] SERVER_URL AUTHSERVER FAULTS_DIR -- DRIVER [ARGS...]

The native run keeps every `max_ms` as written. --valgrind is for the run under valgrind, whose
CPU cost comes on top of the waits a bound allows for (timeouts, Retry-After): every `max_ms` is
multiplied by VALGRIND_FACTOR, and one token is fetched from a namespace of its own before the
first case, so that case does not also pay for valgrind translating the engine's start-up code
(about 3 s measured). Measured under valgrind on 2 shared cores, the TLS rows come close to or
past their bounds (042: 1.7-2.3 s of 2.5 s, 043: 1.2-1.9 s of 2 s: the handshake and the
system's roots), every other row stays under half its bound.
TW_FAULTS=substring runs only the matching cases.

Logs: the C API has no log callback and installs no tracing subscriber, so the only text the
library could ever deliver besides its errors is what it writes to stderr. The driver's stderr is
captured for the whole run and must hold no secret string of any case. Every error's fields
(tw_error_message, key, OAuth fields, body) are checked against every case's secrets too, not
only its own.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile

from vectors import Driver, http, run_vector, secret_strings

FRONT_START_S = 10
VALGRIND_FACTOR = 3


class Front:
    """One `tokenwell-authserver front` process relaying to the authserver."""

    def __init__(self, authserver, upstream, spec, tmp):
        argv = [authserver, "front", "--upstream", upstream, "--max-seconds", "300"]
        self.ca = os.path.join(tmp, "front-ca.pem")
        if spec.get("tls"):
            argv += ["--tls", "--ca-out", self.ca]
        if "cut_after_bytes" in spec:
            argv += ["--cut-after-bytes", str(spec["cut_after_bytes"])]
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.p.stdout], [], [], FRONT_START_S)
        line = self.p.stdout.readline().strip() if ready else ""
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"the test front printed no URL within {FRONT_START_S} s: {argv}")
        self.url = line

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(timeout=5)


def run_case(drv, stem, v, root, authserver, secrets, work):
    extra = []
    front = None
    try:
        if "front" in v:
            front = Front(authserver, root, v["front"], work)
            extra = [("{front}", f"{front.url}/t/{stem}"), ("{front_ca}", front.ca)]
        return run_vector(drv, v, stem, root, extra=extra, fault=True, secrets=secrets)
    finally:
        if front is not None:
            front.stop()


def warm_up(drv, root):
    server = f"{root}/t/c-faults-warm-up"
    http(f"{server}/_reset", {})
    for r in [drv.new({"token_url": f"{server}/token", "client_id": "app", "client_secret": "app-secret"})] + drv.token(False, 1):
        if r["kind"] == "error":
            raise RuntimeError(f"warming up the driver failed: {r['code']} {r['message']}")


def main():
    args = sys.argv[1:sys.argv.index("--")]
    driver = sys.argv[sys.argv.index("--") + 1:]
    valgrind = args[0] == "--valgrind"
    factor = VALGRIND_FACTOR if valgrind else 1
    args = args[1:] if valgrind else args
    root, authserver, fdir = args
    only = os.environ.get("TW_FAULTS", "")
    names = sorted(f for f in os.listdir(fdir) if f.endswith(".json") and only in f)
    cases = {f[:-5]: json.load(open(os.path.join(fdir, f), encoding="utf-8")) for f in names}
    secrets = sorted({s for v in cases.values() for s in secret_strings(v)})
    env = dict(os.environ)
    for v in cases.values():
        env.update(v.get("env", {}))
    work = tempfile.mkdtemp(prefix="tw-c-faults-")
    stderr_path = os.path.join(work, "driver.stderr")
    failed = 0
    rows = []
    with open(stderr_path, "w") as stderr:
        drv = Driver(driver, env, stderr=stderr)
        if valgrind:
            warm_up(drv, root)
        for stem, v in cases.items():
            try:
                fails, elapsed = run_case(drv, stem, v, root, authserver, secrets, work)
            except Exception as e:  # one broken case must not hide the others
                fails, elapsed = [f"runner error: {e!r}"], None
            bound = v["max_ms"] * factor
            ms = None if elapsed is None else elapsed * 1000
            if ms is None:
                fails.append("no call returned, the time was not measured")
            elif ms > bound:
                fails.append(f"took {ms:.0f} ms, more than max_ms {v['max_ms']}" + (f" x {factor:g}" if factor != 1 else ""))
            want = v["expect"].get("error", {}).get("code", "token")
            rows.append(f"| {stem} | {want} | {len(v['requests'])} | {'-' if ms is None else f'{ms:.0f}'} "
                        f"| {v['max_ms']}{f' (x{factor:g})' if factor != 1 else ''} | {'FAIL' if fails else 'pass'} |")
            if fails:
                failed += 1
                print(f"FAIL {stem}: {v['name']}")
                for f in fails:
                    print(f"    {f}")
        rc = drv.close()
    logs = open(stderr_path, encoding="utf-8", errors="replace").read()
    leaked = [s for s in secrets if s in logs]
    print("| row | expected | requests | ms | max_ms | result |\n|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"faults: {len(cases) - failed} of {len(cases)} passed through the C API; the library wrote "
          f"{len(logs)} bytes to stderr, holding {len(leaked)} of the {len(secrets)} secret strings")
    if leaked:
        print(f"the driver's stderr contains secrets: {leaked}")
    if rc != 0:
        print(f"vector_driver exited with {rc}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed or leaked or rc else 0)


if __name__ == "__main__":
    main()
