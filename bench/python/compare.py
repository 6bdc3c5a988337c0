"""tokenwell beside the Python libraries users pick instead (authlib, requests-oauthlib,
httpx-auth), each used as its documentation shows. One program, four modes, the same in every
language of bench/ (bench/README.md): `inproc` prints the in-process measures as JSON; `once`,
`load` and `hold` are the child processes bench/driver.py times and counts."""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import warnings
from base64 import b64encode
from typing import Any, Callable
from urllib.parse import urlsplit

QUICK = os.environ.get("BENCH_QUICK") == "1"
REPEATS = 3 if QUICK else 7
WARM_CALLS = 20_000 if QUICK else 200_000
READERS = 4
FIRST_RUNS = 3 if QUICK else 101
SECRET = "app-secret"

Getter = Callable[[], Any]


# ---- the libraries: each builds a getter for one token URL and says how to read the token ----


def make_tokenwell(url: str, cache: str | None = None) -> tuple[Getter, Callable[[Any], str]]:
    import tokenwell

    kw = {"cache": cache} if cache else {}
    c = tokenwell.Client(token_url=url, client_id="app", client_secret=SECRET, **kw)
    return c.token, lambda t: t.access_token


def _authlib(session: Any) -> tuple[Getter, Callable[[Any], str]]:
    # authlib's documented client-credentials use: fetch_token() once, then every request runs
    # ensure_active_token (is_expired with the default leeway of 60 s, re-fetch when expired).
    s = session

    def get() -> Any:
        if not s.token:
            s.fetch_token()
        s.ensure_active_token(s.token)
        return s.token

    return get, lambda t: t["access_token"]


def make_authlib_requests(url: str, cache: str | None = None) -> tuple[Getter, Callable[[Any], str]]:
    from authlib.integrations.requests_client import OAuth2Session

    return _authlib(OAuth2Session("app", SECRET, token_endpoint=url, grant_type="client_credentials"))


def make_authlib_httpx(url: str, cache: str | None = None) -> tuple[Getter, Callable[[Any], str]]:
    from authlib.integrations.httpx_client import OAuth2Client

    return _authlib(OAuth2Client("app", SECRET, token_endpoint=url, grant_type="client_credentials"))


def make_requests_oauthlib(url: str, cache: str | None = None) -> tuple[Getter, Callable[[Any], str]]:
    # No cache for client credentials: the docs' BackendApplicationClient flow plus the expiry
    # test requests-oauthlib itself applies before a request (expires_at < now → fetch again).
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the docs' switch for a plain-HTTP test server
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib import OAuth2Session

    s = OAuth2Session(client=BackendApplicationClient(client_id="app"))
    box: list[Any] = [None]

    def get() -> Any:
        t = box[0]
        if t is None or t["expires_at"] < time.time():
            t = box[0] = s.fetch_token(token_url=url, client_id="app", client_secret=SECRET)
        return t

    return get, lambda t: t["access_token"]


def make_httpx_auth(url: str, cache: str | None = None) -> tuple[Getter, Callable[[Any], str]]:
    # What OAuth2ClientCredentials.auth_flow runs on every request, minus setting the header.
    from httpx_auth import OAuth2, OAuth2ClientCredentials

    a = OAuth2ClientCredentials(url, client_id="app", client_secret=SECRET)
    cache_ = OAuth2.token_cache

    def get() -> Any:
        return cache_.get_token(a.state, early_expiry=a.early_expiry, on_missing_token=a.request_new_token,
                                on_expired_token=a.refresh_token)

    return get, lambda t: t


def make_raw(url: str, cache: str | None = None) -> tuple[Getter, Callable[[Any], str]]:
    # The floor: one POST on a new connection with the standard library, no cache.
    def get() -> Any:
        return raw_post(url)

    return get, lambda t: t["access_token"]


LIBS: dict[str, tuple[Callable[..., tuple[Getter, Callable[[Any], str]]], str]] = {
    "tokenwell": (make_tokenwell, "`client.token()`"),
    "authlib (requests)": (make_authlib_requests, "`OAuth2Session`, `ensure_active_token` (leeway 60 s)"),
    "authlib (httpx)": (make_authlib_httpx, "httpx `OAuth2Client`, `ensure_active_token` (leeway 60 s)"),
    "requests-oauthlib": (make_requests_oauthlib, "no cache: `fetch_token` + its `expires_at < now` check"),
    "httpx-auth": (make_httpx_auth, "`OAuth2ClientCredentials` token cache (early expiry 30 s)"),
}
MODULES = {"tokenwell": ["tokenwell"], "authlib (requests)": ["authlib.integrations.requests_client"],
           "authlib (httpx)": ["authlib.integrations.httpx_client"],
           "requests-oauthlib": ["requests_oauthlib", "oauthlib.oauth2"], "httpx-auth": ["httpx_auth"],
           "raw POST": ["http.client", "json"]}
ALL = dict(LIBS, **{"raw POST": (make_raw, "`http.client` POST on a new connection")})


# ---- plain HTTP to the test server ----


def _request(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=60)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def raw_post(url: str) -> Any:
    basic = b64encode(f"app:{SECRET}".encode()).decode()
    status, body = _request("POST", url, b"grant_type=client_credentials",
                            {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"})
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}")
    return json.loads(body)


def control(ns: str, **settings: Any) -> None:
    _request("POST", f"{ns}/_reset", b"{}", {"Content-Type": "application/json"})
    if settings:
        status, body = _request("POST", f"{ns}/_control", json.dumps(settings).encode(), {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"/_control answered {status}: {body!r}")


def stats(ns: str) -> dict[str, Any]:
    return json.loads(_request("GET", f"{ns}/_stats")[1])


# ---- measures ----


def warm_ns(get: Getter, readers: int) -> list[float]:
    def loop(n: int) -> None:
        g = get
        for _ in range(n):
            g(); g(); g(); g(); g(); g(); g(); g(); g(); g()  # noqa: E702

    per = WARM_CALLS // readers
    loop(per // 100)
    runs = []
    for _ in range(REPEATS):
        if readers == 1:
            t = time.perf_counter_ns()
            loop(per // 10)
            runs.append((time.perf_counter_ns() - t) / per)
            continue
        gate = threading.Barrier(readers + 1)

        def reader(gate: threading.Barrier) -> None:
            gate.wait()
            loop(per // 10)

        threads = [threading.Thread(target=reader, args=(gate,)) for _ in range(readers)]
        for th in threads:
            th.start()
        gate.wait()
        t = time.perf_counter_ns()
        for th in threads:
            th.join()
        runs.append((time.perf_counter_ns() - t) / (per * readers))
    return runs


def first_ms(names: list[str], server: str) -> dict[str, list[float]]:
    """The libraries take turns, run by run, each round in a rotated order, so neither the machine's
    changing load nor the work just before (code left warm) favours one. Each run asks a namespace
    nothing used before (the server creates it on first use): no call of the harness's own, which
    would warm the raw POST's HTTP code, comes between two runs."""
    runs: dict[str, list[float]] = {name: [] for name in names}
    for i in range(FIRST_RUNS):
        for name in names[i % len(names):] + names[:i % len(names)]:
            ns = f"{server}/t/py-first-{slug(name)}-{os.getpid()}-{i}"
            t = time.perf_counter_ns()
            get, read = ALL[name][0](f"{ns}/token")
            read(get())
            runs[name].append((time.perf_counter_ns() - t) / 1e6)
    return runs


def herd(name: str, server: str, callers: int) -> dict[str, Any]:
    ns = f"{server}/t/py-herd{callers}-{slug(name)}-{os.getpid()}"
    control(ns, delay_ms=50)
    get, read = LIBS[name][0](f"{ns}/token")
    gate = threading.Barrier(callers)
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            gate.wait(timeout=120)
            read(get())
        except BaseException as e:  # noqa: BLE001 - counted, reported as errors
            errors.append(e)

    threading.stack_size(256 * 1024)
    threads = [threading.Thread(target=caller) for _ in range(callers)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    took = time.perf_counter() - t
    return {"requests": stats(ns)["total"], "errors": len(errors), "seconds": round(took, 3)}


def cadence(name: str, server: str, expires_in: int, out: dict[str, Any]) -> None:
    """A call every 100 ms for 6 s; each handed-out token goes to the server's /resource at once,
    which answers 401 (counted in its stats) for a token it considers expired."""
    ns = f"{server}/t/py-exp{expires_in}-{slug(name)}-{os.getpid()}"
    control(ns, expires_in=expires_in)
    get, read = LIBS[name][0](f"{ns}/token")
    u = urlsplit(ns)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=60)
    t0 = time.monotonic()
    calls = errors = 0
    for i in range(60):
        time.sleep(max(0.0, t0 + i * 0.1 - time.monotonic()))
        try:
            tok = read(get())
        except Exception:  # noqa: BLE001 - an error is a call that handed out nothing
            errors += 1
            continue
        calls += 1
        conn.request("GET", u.path + "/resource", headers={"Authorization": f"Bearer {tok}"})
        conn.getresponse().read()
    conn.close()
    s = stats(ns)
    out[f"exp{expires_in}"] = {"calls": calls, "requests": s["total"], "expired": s["resource_401"], "errors": errors}


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")[:40]


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": sys.version.split()[0]}
    for dist in ("tokenwell", "authlib", "requests-oauthlib", "oauthlib", "httpx-auth", "httpx", "requests"):
        try:
            out[dist] = version(dist)
        except Exception:  # noqa: BLE001
            out[dist] = "?"
    return out


def inproc(server: str) -> dict[str, Any]:
    import logging

    logging.disable(logging.CRITICAL)  # urllib3's "pool is full" under the 1000-caller herd
    results: dict[str, dict[str, Any]] = {name: {"how": how} for name, (_, how) in ALL.items()}
    for name in LIBS:
        ns = f"{server}/t/py-warm-{slug(name)}-{os.getpid()}"
        control(ns)
        get, read = LIBS[name][0](f"{ns}/token")
        read(get())
        results[name]["warm"] = warm_ns(get, 1)
        results[name]["warm_readers"] = warm_ns(get, READERS)
    for name, runs in first_ms(list(ALL), server).items():
        results[name]["first_ms"] = runs
    for name in LIBS:
        for n in (64, 1000):
            results[name][f"herd{n}"] = herd(name, server, n)
    threads = [threading.Thread(target=cadence, args=(name, server, e, results[name])) for name in LIBS for e in (2, 60)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return {"lang": "Python", "versions": versions(), "readers": READERS, "libs": results}


# ---- child-process modes ----


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    # authlib's notice that its httpx integration moves to httpx2: authlib forces it on ("always"),
    # so only silencing the display keeps it out of the run's output.
    warnings.showwarning = lambda *args, **kwargs: None
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "inproc":
        print(json.dumps(inproc(args[0])))
        return
    name, ns = args[0], args[1]
    if mode == "load":  # import the library and build a client, nothing else
        if name != "none":
            ALL[name][0](f"{ns}/token")
        return
    if mode == "hold":  # one client holding one token: resident memory
        if name != "none":
            get, read = ALL[name][0](f"{ns}/token")
            read(get())
        print(json.dumps({"rss_kb": rss_kb()}))
        return
    if mode == "once":  # process start → first token; with --wait, a barrier on stdin first
        cache = args[args.index("--cache") + 1] if "--cache" in args else None
        get, read = ALL[name][0](f"{ns}/token", cache)
        if "--wait" in args:
            print("ready", flush=True)
            sys.stdin.readline()
        read(get())
        print("ok", flush=True)
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
