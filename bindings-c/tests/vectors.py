#!/usr/bin/env python3
"""Runs every tests/vectors case through libtokenwell (tests/vectors/README.md).

This script prepares the test server and each vector's folder, then drives vector_driver (a C
program: every token request goes out through the C API) one command per line, and checks what
the C API returned against the vector. Usage:

    vectors.py [--lenient-timing] SERVER_URL VECTORS_DIR -- DRIVER [ARGS...]

--lenient-timing is for the run under valgrind, which slows the engine down (tens of times, more
on a loaded machine) enough to push a call past the time window a vector sleeps into (e.g. "a
call at 1.1 s, before the renewal point at 1.5 s") or an expiry past its ±5 s tolerance. A
vector whose only failures are such timing checks is retried twice, each time in a namespace of
its own (the engine's caches are keyed by the token URL), then reported, not counted: the same
vectors run natively, strictly, first.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from email.utils import formatdate


def http(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


HTTP_DATE = re.compile(r"\{http_date([+-]\d+)\}")


def subst(v, server, tmp, extra=()):
    """Replaces the placeholders in every string value. `extra` adds (placeholder, value) pairs;
    the fault matrix's `{http_date±N}` is expanded too (no vector contains it)."""
    if isinstance(v, str):
        for k, val in (("{server}", server), ("{tmp}", tmp), *extra):
            v = v.replace(k, val)
        return HTTP_DATE.sub(lambda m: formatdate(time.time() + int(m.group(1)), usegmt=True), v)
    if isinstance(v, list):
        return [subst(x, server, tmp, extra) for x in v]
    if isinstance(v, dict):
        return {k: subst(x, server, tmp, extra) for k, x in v.items()}
    return v


def secret_strings(v):
    out = []
    for c in [v["config"]] + [c.get("config_patch", {}) for c in calls_of(v)]:
        out += [c[k] for k in ("client_secret", "password", "refresh_token", "cache_secret") if isinstance(c.get(k), str)]
    out += list(v.get("env", {}).values())
    out += [c.rstrip() for n, c in v.get("files", {}).items() if not n.endswith(".pem")]
    for a in v.get("answers", []):
        j = a.get("json") if isinstance(a, dict) else None
        if isinstance(j, dict):
            out += [j[k] for k in ("access_token", "refresh_token", "id_token") if isinstance(j.get(k), str)]
    out += v.get("secrets", [])
    return [s for s in out if s]


def calls_of(v):
    c = v.get("calls", 1)
    return [{} for _ in range(c)] if isinstance(c, int) else c


def unhex(s):
    if s == "-":
        return None
    if s == "=":
        return ""
    return bytes.fromhex(s).decode("utf-8", "replace")


def parse_result(line):
    parts = line.split(" ")
    if parts[1] == "ok":
        return {"kind": "client"}
    if parts[1] == "err":
        code, key, status, oauth, desc, uri, body, msg = parts[2:10]
        return {"kind": "error", "code": code, "key": unhex(key), "status": int(status), "error": unhex(oauth),
                "error_description": unhex(desc), "error_uri": unhex(uri), "body": unhex(body), "message": unhex(msg)}
    at, exp, rexp, access, ttype, auth, refresh, scope, idt, extra = parts[1:11]
    return {"kind": "token", "at": float(at), "expires_at": int(exp), "refresh_expires_at": int(rexp),
            "access_token": unhex(access), "token_type": unhex(ttype), "authorization": unhex(auth),
            "refresh_token": unhex(refresh), "scope": unhex(scope), "id_token": unhex(idt),
            "extra": json.loads(unhex(extra) or "{}")}


def matches(want, got):
    if want == "*":
        return True
    if isinstance(want, dict):
        return isinstance(got, dict) and len(want) == len(got) and all(k in got and matches(w, got[k]) for k, w in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(matches(a, b) for a, b in zip(want, got))
    return want == got


def check_error(r, exp, secrets, what, fails):
    ee = exp.get("error")
    if ee is None:
        fails.append(f"{what}: expected a token, got error {r['code']}: {r['message']}")
        return
    if r["code"] != ee["code"]:
        fails.append(f"{what}: error code {r['code']} ({r['message']}), expected {ee['code']}")
    for f in ("key", "status", "error", "error_description", "error_uri", "body"):
        if f in ee and r[f] != ee[f]:
            fails.append(f"{what}: error {f} is {r[f]!r}, expected {ee[f]!r}")
    if "body_starts_with" in ee and not (r["body"] or "").startswith(ee["body_starts_with"]):
        fails.append(f"{what}: body {r['body']!r} does not start with {ee['body_starts_with']!r}")
    if "message_contains" in ee and ee["message_contains"] not in (r["message"] or ""):
        fails.append(f"{what}: message {r['message']!r} lacks {ee['message_contains']!r}")
    for s in secrets:
        for f in ("message", "key", "error", "error_description", "error_uri", "body"):
            if s in (r[f] or ""):
                fails.append(f"{what}: the error's {f} contains the secret {s!r}")


def check_token(r, exp, what, fails):
    et = exp.get("token")
    if et is None:
        fails.append(f"{what}: expected error {exp['error']['code']}, got a token")
        return
    if r["authorization"] != "Bearer " + r["access_token"]:
        fails.append(f"{what}: authorization is not 'Bearer ' + access_token")
    if "access_token" in et:
        ok = bool(r["access_token"]) if et["access_token"] == "*" else r["access_token"] == et["access_token"]
        if not ok:
            fails.append(f"{what}: access_token mismatch")
    if "token_type" in et and r["token_type"] != et["token_type"]:
        fails.append(f"{what}: token_type {r['token_type']!r}, expected {et['token_type']!r}")
    if "expires_in" in et and abs((r["expires_at"] - r["at"]) - et["expires_in"]) > 5:
        fails.append(f"{what}: expires in {r['expires_at'] - r['at']:.1f} s, expected {et['expires_in']}")
    for f in ("refresh_token", "scope", "id_token"):
        if f not in et:
            continue
        w, g = et[f], r[f]
        if w is None and g is not None:
            fails.append(f"{what}: {f} should be absent")
        elif w == "*" and g is None:
            fails.append(f"{what}: {f} should be present")
        elif w not in (None, "*") and g != w:
            fails.append(f"{what}: {f} is {g!r}, expected {w!r}")
    if "refresh_expires_in" in et:
        w, g = et["refresh_expires_in"], r["refresh_expires_at"]
        if w is None and g != 0:
            fails.append(f"{what}: refresh_expires_at should be absent")
        elif w is not None and (g == 0 or abs((g - r["at"]) - w) > 5):
            fails.append(f"{what}: refresh expires in {g - r['at']:.1f} s, expected {w}")
    for k, w in (et.get("extra") or {}).items():
        if k not in r["extra"]:
            fails.append(f"{what}: extra has no {k!r}")
        elif w != "*" and r["extra"][k] != w:
            fails.append(f"{what}: extra[{k!r}] is {r['extra'][k]!r}, expected {w!r}")


def check_requests(v, stem, records, fails):
    want = v.get("requests", [])
    if len(records) != len(want):
        got = "; ".join(f"{r['method']} {r['path']}" for r in records)
        fails.append(f"server recorded {len(records)} token requests, expected {len(want)}: [{got}]")
    prev_at = None
    for i, (w, g) in enumerate(zip(want, records)):
        what = f"request {i + 1}"
        if "method" in w and g["method"] != w["method"]:
            fails.append(f"{what}: method {g['method']}, expected {w['method']}")
        path = g["path"]
        if path.startswith(f"/t/{stem}"):
            path = path[len(f"/t/{stem}"):]
        if "path" in w and path != w["path"]:
            fails.append(f"{what}: path {path!r}, expected {w['path']!r}")
        headers = g.get("headers") or {}
        for name, wv in (w.get("headers") or {}).items():
            gv = headers.get(name.lower())
            if gv is None:
                fails.append(f"{what}: header {name} missing")
            elif wv != "*" and gv != wv:
                fails.append(f"{what}: header {name} is {gv!r}, expected {wv!r}")
        for name in w.get("absent_headers", []):
            if name.lower() in headers:
                fails.append(f"{what}: header {name} should be absent")
        for body in ("form", "json"):
            if body in w:
                gb = g.get(body)
                if not isinstance(gb, dict) or not matches(w[body], gb):
                    fails.append(f"{what}: {body} body is {gb}, expected {w[body]}")
        if "basic" in w and g.get("basic") != w["basic"]:
            fails.append(f"{what}: Basic credentials {g.get('basic')}, expected {w['basic']}")
        at = g.get("at_ms")
        if "min_gap_ms" in w and (prev_at is None or at is None or at - prev_at < w["min_gap_ms"]):
            fails.append(f"{what}: came {at - prev_at if at and prev_at else '?'} ms after the previous one, "
                         f"expected at least {w['min_gap_ms']}")
        prev_at = at


class Driver:
    def __init__(self, argv, env, stderr=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline()
        if not out:
            raise RuntimeError("vector_driver exited")
        return out.rstrip("\n")

    def new(self, config):
        return parse_result(self.send("new " + json.dumps(config).encode().hex()))

    def token(self, invalidate, parallel):
        head = self.send(f"token {int(invalidate)} {parallel}")
        n = int(head.split(" ")[1])
        return [parse_result(self.p.stdout.readline().rstrip("\n")) for _ in range(n)]

    def close(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.close()
        return self.p.wait(timeout=120)


def run_vector(drv, v, stem, root, extra=(), fault=False, secrets=None):
    """Runs one case; returns (failed checks, seconds from just before construction until the
    last call returned, None when no call ran). For the fault matrix (`fault`), `answers` are
    substituted too and `extra` adds its placeholders; `secrets` replaces the case's own."""
    fails = []
    elapsed = None
    server = f"{root}/t/{stem}"
    tmp = tempfile.mkdtemp(prefix=f"tw-c-{stem}-")
    try:
        for name, content in v.get("files", {}).items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(content)
        config = subst(v["config"], server, tmp, extra)
        http(f"{server}/_reset", {})
        if "setup" in v:
            http(f"{server}/_control", v["setup"])
        if "answers" in v:
            answers = subst(v["answers"], server, tmp, extra) if fault else v["answers"]
            http(f"{server}/_script", {"answers": answers})
        secrets = secret_strings(v) if secrets is None else secrets
        expect = v["expect"]
        started = time.monotonic()
        built = drv.new(config)
        if expect.get("error", {}).get("code") == "config":
            if built["kind"] != "error":
                fails.append("construction succeeded, expected a config error")
            else:
                check_error(built, expect, secrets, "construction", fails)
            check_requests({"requests": []}, stem, http(f"{server}/_requests"), fails)
            return fails, elapsed
        if built["kind"] == "error":
            fails.append(f"construction failed: {built['code']}: {built['message']}")
            return fails, elapsed
        prev, seen = None, []
        for n, call in enumerate(calls_of(v), 1):
            time.sleep(call.get("sleep_ms", 0) / 1000)
            if n > 1 and ("config_patch" in call or call.get("new_client")):
                cfg = copy.deepcopy(config)
                cfg.update(subst(call.get("config_patch", {}), server, tmp, extra))
                r = drv.new(cfg)
                if r["kind"] == "error":
                    fails.append(f"call {n}: building the new client failed: {r['code']} {r['message']}")
                    return fails, elapsed
            exp = call.get("expect", expect)
            results = drv.token(call.get("invalidate", False), max(1, call.get("parallel", 1)))
            elapsed = time.monotonic() - started
            for j, r in enumerate(results):
                what = f"call {n}" + (f" #{j + 1}" if len(results) > 1 else "")
                if r["kind"] == "error":
                    check_error(r, exp, secrets, what, fails)
                else:
                    check_token(r, exp, what, fails)
                    seen += [r["access_token"]] + ([r["refresh_token"]] if r["refresh_token"] else [])
            tokens = [r["access_token"] for r in results if r["kind"] == "token"]
            if len(set(tokens)) > 1:
                fails.append(f"call {n}: concurrent calls returned different access tokens")
            this = tokens[0] if results[0]["kind"] == "token" else None
            rel = call.get("token_vs_previous")
            if n > 1 and rel:
                if prev is None or this is None:
                    fails.append(f"call {n}: token_vs_previous {rel} needs tokens from both calls")
                elif (rel == "same") != (prev == this):
                    fails.append(f"call {n}: expected {'the previous' if rel == 'same' else 'a new'} access token")
            prev = this
        time.sleep(v.get("settle_ms", 0) / 1000)
        check_requests(v, stem, http(f"{server}/_requests"), fails)
        if v.get("tmp_no_tokens"):
            files = [os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs]
            if not files:
                fails.append("tmp_no_tokens: no file was written under TMP")
            for path in files:
                data = open(path, "rb").read()
                if any(t.encode() in data for t in seen):
                    fails.append(f"tmp_no_tokens: {path} holds a token in the clear")
        return fails, elapsed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def timing(failure, v):
    """Whether a failed check depends on how fast the calls ran (valgrind runs ~50x slower)."""
    if " expires in " in failure:  # measured against the wall clock when the call returned
        return True
    sleeps = any(c.get("sleep_ms") for c in calls_of(v))  # a call timed into a window
    return sleeps and ("access token" in failure or failure.startswith("server recorded"))


def main():
    args = sys.argv[1:sys.argv.index("--")]
    lenient = "--lenient-timing" in args
    root, vdir = [a for a in args if not a.startswith("--")]
    driver = sys.argv[sys.argv.index("--") + 1:]
    vectors = sorted(f for f in os.listdir(vdir) if f.endswith(".json"))
    loaded = {f[:-5]: json.load(open(os.path.join(vdir, f), encoding="utf-8")) for f in vectors}
    env = dict(os.environ)
    for v in loaded.values():
        env.update(v.get("env", {}))
    drv = Driver(driver, env)
    failed = timed = 0
    for stem, v in loaded.items():
        for attempt in range(3 if lenient else 1):
            # A retry needs a namespace of its own: the token URL is the engine's cache key.
            ns = stem if attempt == 0 else f"{stem[:56]}-retry{attempt}"
            try:
                fails, _ = run_vector(drv, v, ns, root)
            except Exception as e:  # one broken vector must not hide the others
                fails = [f"runner error: {e!r}"]
            if not fails or not all(timing(f, v) for f in fails):
                break
        if fails and lenient and all(timing(f, v) for f in fails):
            timed += 1
            print(f"TIMING {stem} (outside its time window under valgrind; checked natively): {fails}")
        elif fails:
            failed += 1
            print(f"FAIL {stem}: {v['name']}")
            for f in fails:
                print(f"    {f}")
    rc = drv.close()
    print(f"vectors: {len(loaded) - failed - timed} of {len(loaded)} passed through the C API"
          + (f" ({timed} timing-sensitive outside their window)" if timed else ""))
    if rc != 0:
        print(f"vector_driver exited with {rc}")
    sys.exit(1 if failed or rc else 0)


if __name__ == "__main__":
    main()
