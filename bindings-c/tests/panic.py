#!/usr/bin/env python3
"""A panic inside the engine reaches a C caller as TW_INTERNAL, never as an abort.

Runs vector_driver in a child process whose environment sets TOKENWELL_TEST_PANIC (the core's
forced-panic points, core/src/testhook.rs): `construct` panics inside tw_client_new_json on the
caller's thread (libtokenwell's own panic boundary must catch it), `renewal` panics inside the
renewal on the engine's runtime (every waiter gets TW_INTERNAL and nothing reaches the server).
Each child must then exit normally on `quit`. Usage:

    panic.py SERVER_URL -- DRIVER [ARGS...]
"""
import os
import sys
import tempfile

from vectors import Driver, http

SECRET = "Tw-panic-secret-c"
WAITERS = 4


def run(mode, root, driver):
    fails = []
    ns = f"c-panic-{mode}"
    server = f"{root}/t/{ns}"
    http(f"{server}/_reset", {})
    http(f"{server}/_control", {"clients": {"app": {"secret": SECRET, "direct_access": True}}})
    config = {"token_url": f"{server}/token", "client_id": "app", "client_secret": SECRET, "retries": 0}
    env = dict(os.environ, TOKENWELL_TEST_PANIC=mode)
    with tempfile.TemporaryFile("w+") as stderr:
        drv = Driver(driver, env, stderr=stderr)
        results = [drv.new(config)]
        if mode == "renewal":
            if results[0]["kind"] != "client":
                fails.append(f"construction failed: {results[0]}")
            results = drv.token(False, WAITERS)
        for r in results:
            if r["kind"] != "error" or r["code"] != "internal":
                fails.append(f"expected TW_INTERNAL, got {r}")
            elif SECRET in (r["message"] or ""):
                fails.append("tw_error_message contains the client secret")
        rc = drv.close()
        if rc != 0:
            fails.append(f"the driver exited with {rc}, expected a normal exit")
        stderr.seek(0)
        text = stderr.read()
        if SECRET in text:
            fails.append("the driver's stderr contains the client secret")
    records = http(f"{server}/_requests")
    if records:
        fails.append(f"the server saw {len(records)} requests, expected none")
    print(f"{'FAIL' if fails else 'pass'} TOKENWELL_TEST_PANIC={mode}: {len(results)} call(s) gave "
          f"{sorted({r.get('code', r['kind']) for r in results})}, driver exit {rc}, {len(records)} requests")
    for f in fails:
        print(f"    {f}")
    return not fails


def main():
    root = sys.argv[1]
    driver = sys.argv[sys.argv.index("--") + 1:]
    ok = all([run(mode, root, driver) for mode in ("construct", "renewal")])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
