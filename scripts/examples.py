#!/usr/bin/env python3
"""Runs every example of examples/ (each provider document's flow, in each language) against local
identity providers and prints a table: document × language → token obtained, its lifetime, and
where the second token() call was answered from. `make demo` shows it; `make test-examples` runs
it with --check. Standard library only.

The Keycloak documents (000, 002, 004) run against the Keycloak named by TOKENWELL_KEYCLOAK_URL
(tests/idp) when it is set, else, like Butlr and Semansys always, against the test server
(tests/authserver), which speaks each provider's dialect. Each example calls API_URL API_CALLS
times and ends with one line `result: token_type=… expires_in=… second_call=cache|fetched`. An
example passes when it exits 0, prints that line with second_call=cache, every API call was
answered 200, the server counted exactly one token request, and no secret shows in its output.
The API of the Keycloak runs is served here: it checks each token's RS256 signature against the
realm's published keys, its expiry and its issuer, as a resource server in front of Keycloak does.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local servers only


@dataclass
class Flow:
    name: str  # examples/python/NAME.py, examples/node/NAME.mjs, examples/shell/NAME-WITH-DASHES.sh, …
    document: str
    what: str
    keycloak: Optional[dict[str, str]]  # the environment against tests/idp's Keycloak ({kc} = its URL)
    authserver: dict[str, str]  # … against a test-server namespace ({ns})
    kc_realm: str = ""
    kc_client: str = ""  # whose token requests Keycloak's event log is asked about


FLOWS = [
    Flow("binarly_password", "000 Binarly", "password, BinarlyClient, scope=openid",
         {"BINARLY_BASE_URL": "{kc}", "BINARLY_EMAIL": "alice@example.com", "BINARLY_PASSWORD": "tw-alice-Pa55word!"},
         {"BINARLY_BASE_URL": "{ns}", "BINARLY_EMAIL": "user@example.com", "BINARLY_PASSWORD": "correct horse"},
         "BinarlyRealm", "BinarlyClient"),
    Flow("butlr_password", "001 Butlr", "password login, JSON body", None,
         {"BUTLR_BASE_URL": "{ns}", "BUTLR_USERNAME": "user@example.com", "BUTLR_EMAIL": "user@example.com",
          "BUTLR_PASSWORD": "correct horse"}),
    Flow("butlr_client_credentials", "001 Butlr", "client credentials, JSON + audience", None,
         {"BUTLR_BASE_URL": "{ns}", "BUTLR_CLIENT_ID": "butlr-client", "BUTLR_CLIENT_SECRET": "butlr-secret"}),
    Flow("binarly_onprem_m2m", "002 Binarly on-prem", "client credentials, service account",
         {"KEYCLOAK_BASE_URL": "{kc}", "BINARLY_CLIENT_ID": "ci-cd-automation",
          "BINARLY_CLIENT_SECRET": "tw-m2m-Secret+with/special:chars%20"},
         {"KEYCLOAK_BASE_URL": "{ns}", "BINARLY_CLIENT_ID": "app", "BINARLY_CLIENT_SECRET": "app-secret"},
         "BinarlyRealm", "ci-cd-automation"),
    Flow("semansys_password", "003 Semansys", "password, client secret in the body", None,
         {"SEMANSYS_BASE_URL": "{ns}", "SEMANSYS_CLIENT_ID": "semansys-client",
          "SEMANSYS_CLIENT_SECRET": "semansys-secret", "SEMANSYS_USERNAME": "alice", "SEMANSYS_PASSWORD": "wonderland"}),
    Flow("phasetwo_client_credentials", "004 Phase Two", "client credentials, admin-cli",
         {"PHASETWO_BASE_URL": "{kc}", "PHASETWO_REALM": "test-realm",
          "PHASETWO_CLIENT_SECRET": "fd649804-3a74-4d69-acaa-8f065c6b7da1"},
         {"PHASETWO_BASE_URL": "{ns}", "PHASETWO_REALM": "demo", "PHASETWO_CLIENT_SECRET": "admin-secret"},
         "test-realm", "admin-cli"),
    Flow("phasetwo_password", "004 Phase Two", "password, public client",
         {"PHASETWO_BASE_URL": "{kc}", "PHASETWO_REALM": "test-realm", "PHASETWO_CLIENT_ID": "public-cli",
          "PHASETWO_USERNAME": "uname@foo.com", "PHASETWO_PASSWORD": "pwd123AZY"},
         {"PHASETWO_BASE_URL": "{ns}", "PHASETWO_REALM": "demo", "PHASETWO_CLIENT_ID": "public-app",
          "PHASETWO_USERNAME": "alice", "PHASETWO_PASSWORD": "wonderland"},
         "test-realm", "public-cli"),
]
SECRET_VARS = ("PASSWORD", "SECRET")  # a variable whose name contains one of these holds a secret
KC_OBSERVER = ("test-observer", "tw-observer-secret")  # tests/idp/keycloak/realms: reads event logs


# ---------------------------------------------------------------------------------------------
# Languages: how to run flow NAME, or None when there is no such example (yet).

@dataclass
class Lang:
    name: str
    label: str
    source: Callable[[Flow], Path]  # the example's file: when it is missing the cell is "pending"
    argv: Callable[[Flow], list[str]]
    env: dict[str, str] = field(default_factory=dict)


def kebab(f: Flow) -> str:
    return f.name.replace("_", "-")


def languages(args: argparse.Namespace) -> list[Lang]:
    # ESM resolves `tokenwell` from the file's folder upwards: Node runs copies of the examples
    # inside the folder where the package is installed.
    node_app = Path(args.node_app)
    if "node" in args.langs.split(","):
        (node_app / "examples").mkdir(parents=True, exist_ok=True)
        for src in (EXAMPLES / "node").glob("*.mjs"):
            shutil.copy(src, node_app / "examples" / src.name)
    path = f"{Path(args.cli_bin).resolve()}:{os.environ.get('PATH', '')}"
    known = [
        Lang("rust", "Rust", lambda f: EXAMPLES / "rust/src/bin" / f"{f.name}.rs",
             lambda f: [str(Path(args.rust_bin) / f.name)]),
        Lang("python", "Python", lambda f: EXAMPLES / "python" / f"{f.name}.py",
             lambda f: [args.python, str(EXAMPLES / "python" / f"{f.name}.py")]),
        Lang("node", "Node", lambda f: EXAMPLES / "node" / f"{f.name}.mjs",
             lambda f: ["node", str(node_app / "examples" / f"{f.name}.mjs")]),
        Lang("go", "Go", lambda f: EXAMPLES / "go" / kebab(f) / "main.go",
             lambda f: [str(Path(args.go_bin) / kebab(f)), "{api}"]),
        Lang("c", "C", lambda f: EXAMPLES / "c/flows" / f"{f.name}.c",
             lambda f: [str(Path(args.c_bin) / f.name)]),
        Lang("shell", "shell", lambda f: EXAMPLES / "shell" / f"{kebab(f)}.sh",
             lambda f: ["bash", str(EXAMPLES / "shell" / f"{kebab(f)}.sh")], {"PATH": path}),
    ]
    by_name = {lang.name: lang for lang in known}
    wanted = [n for n in args.langs.split(",") if n]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise SystemExit(f"examples.py: unknown language(s) {unknown}; known: {list(by_name)}")
    return [by_name[n] for n in wanted]


# ---------------------------------------------------------------------------------------------
# Servers: the test server (a namespace per run) and Keycloak (its event log), plus the API.

def http_json(method: str, url: str, body: Optional[bytes] = None, headers: Optional[dict[str, str]] = None) -> Any:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with _http.open(req, timeout=15) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else None


class AuthServer:
    def __init__(self, binary: str) -> None:
        self.proc = subprocess.Popen([binary, "--port", "0", "--max-seconds", "3600"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip().rstrip("/")
        if not self.url.startswith("http://"):
            self.stop()
            raise SystemExit(f"examples.py: the test server ({binary}) did not start")

    def namespace(self, name: str) -> str:
        ns = f"{self.url}/t/{name}"
        http_json("POST", f"{ns}/_reset", b"{}", {"content-type": "application/json"})
        return ns

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Keycloak:
    """Keycloak's JWKS (for the API) and event log (to count token requests)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._keys: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def key(self, issuer: str, kid: str) -> Optional[tuple[int, int]]:
        with self._lock:
            if kid not in self._keys:
                for k in http_json("GET", f"{issuer}/protocol/openid-connect/certs")["keys"]:
                    if k.get("kty") == "RSA" and k.get("use", "sig") == "sig":
                        self._keys[k["kid"]] = (int.from_bytes(b64url(k["n"]), "big"),
                                                int.from_bytes(b64url(k["e"]), "big"))
            return self._keys.get(kid)

    def verify(self, token: str) -> Optional[dict[str, Any]]:
        """The claims of `token` if Keycloak signed it (RS256), it is unexpired and its issuer is one
        of this Keycloak's realms; else None."""
        try:
            head_b64, body_b64, sig_b64 = token.split(".")
            head, claims = json.loads(b64url(head_b64)), json.loads(b64url(body_b64))
            iss = str(claims.get("iss", ""))
            if head.get("alg") != "RS256" or not iss.startswith(f"{self.url}/realms/"):
                return None
            key = self.key(iss, str(head.get("kid")))
            if key is None or not rsa_sha256_verify(key, f"{head_b64}.{body_b64}".encode(), b64url(sig_b64)):
                return None
            return claims if float(claims.get("exp", 0)) > time.time() else None
        except (ValueError, KeyError, TypeError, urllib.error.URLError):
            return None

    def token_requests(self, realm: str, client: str, since_ms: int) -> int:
        """Token requests of `client` Keycloak logged since `since_ms`, waiting (≤ 5 s) for the first."""
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": KC_OBSERVER[0],
                                       "client_secret": KC_OBSERVER[1]}).encode()
        bearer = http_json("POST", f"{self.url}/realms/{realm}/protocol/openid-connect/token", form,
                           {"content-type": "application/x-www-form-urlencoded"})["access_token"]
        deadline = time.monotonic() + 5
        while True:
            q = urllib.parse.urlencode({"client": client, "max": 1000})
            events = http_json("GET", f"{self.url}/admin/realms/{realm}/events?{q}", None,
                               {"authorization": f"Bearer {bearer}"})
            n = sum(1 for e in events if e.get("time", 0) >= since_ms
                    and e.get("type") in ("LOGIN", "CLIENT_LOGIN", "REFRESH_TOKEN"))
            if n or time.monotonic() >= deadline:
                return n
            time.sleep(0.1)


def rsa_sha256_verify(key: tuple[int, int], message: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2)."""
    n, e = key
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(message).digest()
    return hmac.compare_digest(em, b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info)


class Api:
    """GET /api/RUN: 200 with a valid Keycloak token, else 401; counts calls and distinct tokens per run."""

    def __init__(self, kc: Keycloak) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        lock = threading.Lock()
        runs = self.runs

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                run = self.path.rsplit("/", 1)[-1]
                auth = self.headers.get("authorization", "")
                token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
                claims = kc.verify(token) if token else None
                with lock:
                    r = runs.setdefault(run, {"calls": 0, "ok": 0, "tokens": set()})
                    r["calls"] += 1
                    if claims is not None:
                        r["ok"] += 1
                        r["tokens"].add(hashlib.sha256(token.encode()).hexdigest())
                if claims is None:
                    self.send_response(401)
                    self.send_header("www-authenticate", 'Bearer error="invalid_token"')
                    body = b'{"error":"invalid_token"}'
                else:
                    self.send_response(200)
                    body = json.dumps({"ok": True, "sub": claims.get("sub"), "azp": claims.get("azp")}).encode()
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


# ---------------------------------------------------------------------------------------------
# One run: an example of one language against one server.

RESULT = re.compile(r"^result: token_type=(\S+) expires_in=(-?\d+) second_call=(cache|fetched)\s*$", re.M)
# examples/go/butlr-*: "token type Bearer, expires 15:04:05, …", then one API call through
# golang.org/x/oauth2, whose transport asks the client for the token a second time.
GO_BUTLR = re.compile(r"^token type (\S+), expires (\d\d):(\d\d):(\d\d)", re.M)


@dataclass
class Outcome:
    ok: bool
    cell: str
    detail: str = ""
    output: str = ""


def run_one(lang: Lang, flow: Flow, env_template: dict[str, str], url: str, count: Callable[[], tuple[int, int, int]],
            calls: int, work: Path) -> Outcome:
    if not lang.source(flow).exists():
        return Outcome(False, "pending", f"no {lang.source(flow).relative_to(ROOT)}")
    argv = [a.replace("{api}", env_template["API_URL"]) for a in lang.argv(flow)]
    home = work / f"{lang.name}-{flow.name}"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v.replace("{kc}", url).replace("{ns}", url) for k, v in env_template.items()}
    env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
                "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache"),
                "API_CALLS": str(calls), "API_URL": env_template["API_URL"]})
    env.update(lang.env)
    for keep in ("GOCACHE", "GOPATH", "GOFLAGS", "LD_LIBRARY_PATH", "SSL_CERT_FILE"):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    started = time.time()
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Outcome(False, "FAIL", "timed out after 120 s")
    except OSError as e:
        return Outcome(False, "FAIL", f"cannot run {argv[0]} (not built?): {e.strerror}")
    seconds = time.time() - started
    output = p.stdout + p.stderr
    secrets = [v for k, v in env_template.items() if any(s in k for s in SECRET_VARS)]
    if any(s in output for s in secrets):
        return Outcome(False, "FAIL", "a secret shows in the output", output)
    if p.returncode != 0:
        return Outcome(False, "FAIL", f"exit status {p.returncode}", output)
    requests_seen, api_ok, distinct = count()
    m, old = RESULT.search(p.stdout), GO_BUTLR.search(p.stdout)
    if m is not None:
        token_type, expires_in, second = m.group(1), int(m.group(2)), m.group(3)
    elif old is not None:
        now = time.localtime()
        h, mi, se = (int(g) for g in old.groups()[1:])
        expires_in = (h * 3600 + mi * 60 + se - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)) % 86400
        token_type, second, calls = old.group(1), "cache" if requests_seen == 1 else "fetched", 1
    else:
        return Outcome(False, "FAIL", "no `result:` line", output)
    problems = []
    if second != "cache":
        problems.append("second call fetched")
    if requests_seen != 1:
        problems.append(f"{requests_seen} token requests")
    if api_ok != calls:
        problems.append(f"{api_ok}/{calls} API calls answered 200")
    if distinct > 1:
        problems.append(f"{distinct} different tokens at the API")
    cell = f"{expires_in}s {second}"
    detail = f"{token_type}, {requests_seen} token request, {api_ok} API calls, {seconds:.1f} s"
    return Outcome(not problems, cell if not problems else "FAIL", "; ".join(problems) or detail, output)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idp", choices=["keycloak", "authserver", "auto"], default="auto",
                    help="where documents 000, 002 and 004 run (auto: Keycloak when TOKENWELL_KEYCLOAK_URL is set)")
    ap.add_argument("--langs", default="rust,python,node,go,c,shell")
    ap.add_argument("--check", action="store_true", help="exit 1 unless every example of every language passes")
    ap.add_argument("--calls", type=int, default=3, help="API calls per example")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--authserver", default=str(ROOT / "target/debug/tokenwell-authserver"))
    ap.add_argument("--rust-bin", default=str(ROOT / "target/debug"))
    ap.add_argument("--python", default=str(ROOT / "target/examples-venv/bin/python"))
    ap.add_argument("--node-app", default=str(ROOT / "target/examples-node"))
    ap.add_argument("--go-bin", default=str(ROOT / "target/examples-go"))
    ap.add_argument("--c-bin", default=str(ROOT / "target/examples-c"))
    ap.add_argument("--cli-bin", default=str(ROOT / "target/debug"))
    args = ap.parse_args()

    kc_url = os.environ.get("TOKENWELL_KEYCLOAK_URL", "").rstrip("/") if args.idp != "authserver" else ""
    if args.idp == "keycloak" and not kc_url:
        raise SystemExit("examples.py: --idp keycloak needs TOKENWELL_KEYCLOAK_URL (tests/idp/with-keycloak.sh sets it)")
    work = Path(tempfile.mkdtemp(prefix="tokenwell-examples-"))
    langs = languages(args)
    auth = AuthServer(args.authserver)
    kc = Keycloak(kc_url) if kc_url else None
    api = Api(kc) if kc else None
    kc_locks: dict[str, threading.Lock] = {f.kc_client: threading.Lock() for f in FLOWS if f.kc_client}

    def job(lang: Lang, flow: Flow) -> Outcome:
        run = f"ex-{lang.name}-{flow.name}"[:64]
        if kc is not None and api is not None and flow.keycloak is not None:
            # Keycloak's event log is counted per client: one run per client at a time.
            with kc_locks[flow.kc_client]:
                since = int(time.time() * 1000) - 1
                env = {**flow.keycloak, "API_URL": f"{api.url}/{run}"}

                def count() -> tuple[int, int, int]:
                    r = api.runs.get(run, {"ok": 0, "tokens": set()})
                    return kc.token_requests(flow.kc_realm, flow.kc_client, since), r["ok"], len(r["tokens"])

                return run_one(lang, flow, env, kc.url, count, args.calls, work)
        ns = auth.namespace(run)
        env = {**flow.authserver, "API_URL": f"{ns}/resource"}

        def count_ns() -> tuple[int, int, int]:
            s = http_json("GET", f"{ns}/_stats")
            return s["total"], s["resource"] - s["resource_401"], 0

        return run_one(lang, flow, env, ns, count_ns, args.calls, work)

    started = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {(lang.name, flow.name): pool.submit(job, lang, flow) for flow in FLOWS for lang in langs}
            results = {k: f.result() for k, f in futures.items()}
    finally:
        auth.stop()
        if api is not None:
            api.stop()
    shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started

    print_table(langs, results, kc_url, auth.url, args.calls, elapsed)
    failures = [(ln, fn, o) for (ln, fn), o in results.items() if not o.ok and not (o.cell == "pending" and not args.check)]
    for lang_name, flow_name, o in failures:
        print(f"\n{lang_name} {flow_name}: {o.cell} ({o.detail})")
        for line in o.output.strip().splitlines()[-15:]:
            print(f"    {line}")
    passed = sum(o.ok for o in results.values())
    pending = sum(o.cell == "pending" for o in results.values())
    print(f"\nexamples: {passed} passed, {len(failures)} failed" + (f", {pending} pending" if pending else ""))
    return 1 if failures else 0


def print_table(langs: list[Lang], results: dict[tuple[str, str], Outcome], kc_url: str, auth_url: str,
                calls: int, elapsed: float) -> None:
    version = re.search(r"KEYCLOAK_VERSION:-([0-9.]+)", (ROOT / "tests/idp/keycloak/common.sh").read_text())
    print("\ntokenwell examples: each provider document's flow in each language")
    if kc_url:
        start_ms, started = ROOT / "target/idp/keycloak.start-ms", ""
        if start_ms.exists() and (ROOT / "target/idp/keycloak.url").exists():
            started = f", started in {int(start_ms.read_text()) / 1000:.1f} s"
        print(f"  000, 002, 004: Keycloak {version.group(1) if version else ''} at {kc_url}{started}")
        print(f"  001, 003:      the test server at {auth_url}, speaking Butlr's and Semansys's dialects\n")
    else:
        print(f"  all: the test server at {auth_url}, speaking each provider's dialect\n")
    head = ["document", "flow", "server"] + [lang.label for lang in langs]
    rows = []
    for f in FLOWS:
        server = "Keycloak" if kc_url and f.keycloak is not None else "test server"
        rows.append([f.document, f.what, server] + [results[(lang.name, f.name)].cell for lang in langs])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print(f"\nEach cell: seconds the token had left when obtained, and where the second token() call was answered"
          f"\nfrom (the shell examples: a second run of the CLI, from its file cache)."
          f"\nA passing cell: exit 0, every API call answered 200 ({calls} calls; 1 in examples/go/butlr-*), exactly"
          f"\none token request seen by the server, no secret in the output. {len(results)} runs in {elapsed:.1f} s.")


if __name__ == "__main__":
    sys.exit(main())
