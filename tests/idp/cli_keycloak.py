#!/usr/bin/env python3
"""Conformance of the `tokenwell` CLI against a real Keycloak (tests/idp): the rows of
core/tests/keycloak.rs, each run of the binary a new process sharing the file cache, with
Keycloak's event log as the witness of what went out. Usage: cli_keycloak.py [PATH/TO/tokenwell].
Skipped (exit 0, with a note) unless TOKENWELL_KEYCLOAK_URL is set. Standard library only."""

from __future__ import annotations

import base64
import calendar
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("TOKENWELL_KEYCLOAK_URL", "").rstrip("/")
BIN = str(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target/debug/tokenwell").resolve())

# The fixtures of tests/idp/keycloak/realms/*.json.
BINARLY, PHASETWO = "BinarlyRealm", "test-realm"
ALICE = ("alice@example.com", "tw-alice-Pa55word!")
BOB = "bob@example.com"
CAROL = ("carol@example.com", "tw-carol-Pa55word!")
DAVE = ("dave@example.com", "tw-dave-Pa55word!")
M2M = ("ci-cd-automation", "tw-m2m-Secret+with/special:chars%20")
OBSERVER = ("test-observer", "tw-observer-secret")
P2_SECRET = "fd649804-3a74-4d69-acaa-8f065c6b7da1"
P2_USER = ("uname@foo.com", "pwd123AZY")
WRONG_PASSWORD = "tw-wrong-Pa55word-0xBAD"
WRONG_SECRET = "tw-wrong-client-secret-0xBAD"
SECRETS = [ALICE[1], CAROL[1], DAVE[1], M2M[1], OBSERVER[1], P2_SECRET, P2_USER[1], WRONG_PASSWORD, WRONG_SECRET]
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
WORK = Path(tempfile.gettempdir())  # main() makes a folder of its own


class Home:
    """A private HOME / XDG folder (so a private file cache) for one row's runs."""

    def __init__(self, name: str) -> None:
        self.root = WORK / name
        self.root.mkdir(parents=True, exist_ok=True)

    def run(self, args: list[str], secret: Optional[str] = None, verbose: bool = False) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.root),
               "XDG_CONFIG_HOME": str(self.root / "config"), "XDG_CACHE_HOME": str(self.root / "cache")}
        if secret is not None:
            env["TW_SECRET"] = secret
        p = subprocess.run([BIN, *(["-v"] if verbose else []), *args], env=env, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        shown = p.stdout + p.stderr
        if any(s in shown for s in SECRETS):
            raise AssertionError(f"a secret in the output of tokenwell {' '.join(args)}")
        return p

    def ok(self, args: list[str], secret: Optional[str] = None, verbose: bool = False) -> subprocess.CompletedProcess[str]:
        p = self.run(args, secret, verbose)
        assert p.returncode == 0, f"tokenwell {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}"
        return p

    def token(self, args: list[str], secret: Optional[str] = None) -> dict[str, Any]:
        return json.loads(self.ok([*args, "token", "--json"], secret).stdout)  # type: ignore[no-any-return]

    def inspect(self, args: list[str], secret: Optional[str] = None) -> dict[str, Any]:
        p = self.ok([*args, "inspect", "--json"], secret)
        return json.loads(p.stdout)  # type: ignore[no-any-return]


def keycloak(realm: str, client_id: str, *more: str) -> list[str]:
    return ["--preset", "keycloak", "--base-url", URL, "--realm", realm, "--client-id", client_id, *more]


def binarly(username: str) -> list[str]:
    return ["--preset", "binarly", "--base-url", URL, "--grant", "password", "--username", username,
            "--password-env", "TW_SECRET"]


def claims(jwt: Optional[str]) -> dict[str, Any]:
    try:
        body = (jwt or "").split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))  # type: ignore[no-any-return]
    except (IndexError, ValueError):
        return {}


def http_json(method: str, url: str, data: Optional[bytes] = None, headers: Optional[dict[str, str]] = None) -> Any:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with _http.open(req, timeout=10) as resp:
        return json.loads(resp.read())


def now_ms() -> int:
    return int(time.time() * 1000)


def events(realm: str, client_id: str, since_ms: int) -> list[dict[str, Any]]:
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": OBSERVER[0],
                                   "client_secret": OBSERVER[1]}).encode()
    bearer = http_json("POST", f"{URL}/realms/{realm}/protocol/openid-connect/token", form,
                       {"content-type": "application/x-www-form-urlencoded"})["access_token"]
    q = urllib.parse.urlencode({"client": client_id, "max": 1000})
    all_events = http_json("GET", f"{URL}/admin/realms/{realm}/events?{q}", None, {"authorization": f"Bearer {bearer}"})
    return [e for e in reversed(all_events) if e.get("time", 0) >= since_ms]


def events_until(realm: str, client_id: str, since_ms: int,
                 done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        ev = events(realm, client_id, since_ms)
        if done(ev) or time.monotonic() >= deadline:
            return ev
        time.sleep(0.1)


def count(ev: list[dict[str, Any]], kind: str, who: str = "") -> int:
    return sum(1 for e in ev if e.get("type") == kind
               and (not who or e.get("details", {}).get("username") == who or e.get("userId") == who))


def userinfo(realm: str, token: str) -> int:
    req = urllib.request.Request(f"{URL}/realms/{realm}/protocol/openid-connect/userinfo",
                                 headers={"authorization": f"Bearer {token}"})
    try:
        with _http.open(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def refused(p: subprocess.CompletedProcess[str], error: str, status: int) -> str:
    """A run the server refused: exit status 3 (`oauth`), the message naming the error and status."""
    message = p.stderr.strip()
    assert p.returncode == 3, f"exit {p.returncode}: {message}"
    assert error in message and str(status) in message, message
    return f"exit 3: {message.splitlines()[-1][:110]}"


# --- rows -------------------------------------------------------------------------------------

def password_grant_openid() -> str:
    # Doc 000 verbatim: the token URL, BinarlyClient (public), scope=openid, username + password.
    h = Home("password-openid")
    args = ["--token-url", f"{URL}/realms/{BINARLY}/protocol/openid-connect/token", "--grant", "password",
            "--client-id", "BinarlyClient", "--scope", "openid", "--username", ALICE[0], "--password-env", "TW_SECRET"]
    since = now_ms()
    t = h.token(args, ALICE[1])
    c = claims(t["access_token"])
    assert abs(c["exp"] - time.time() - t["expires_in"]) <= 2 and 1790 <= t["expires_in"] <= 1800, t["expires_in"]
    assert t["token_type"] == "Bearer" and c["azp"] == "BinarlyClient" and c["preferred_username"] == ALICE[0]
    header = h.ok([*args, "header"], ALICE[1]).stdout.strip()
    assert header == f"Authorization: Bearer {t['access_token']}", "header prints the same token"
    info = h.inspect(args, ALICE[1])
    assert t["access_token"] not in json.dumps(info), "inspect shows the token"
    assert info["id_token"] is True and info["refresh_token"] is True and "openid" in info["scope"].split()
    again = h.ok([*args, "token"], ALICE[1], verbose=True)
    assert again.stdout.strip() == t["access_token"] and "file cache" in again.stderr, again.stderr
    ev = events_until(BINARLY, "BinarlyClient", since, lambda e: count(e, "LOGIN", ALICE[0]) >= 1)
    assert count(ev, "LOGIN", ALICE[0]) == 1, "four runs, one token request"
    return f"expires_in {t['expires_in']} s (JWT exp matches), ID token; 4 runs → 1 LOGIN (file cache)"


def refresh_expires_in_honoured() -> str:
    h = Home("refresh-expiry")
    args = binarly(ALICE[0])
    info = h.inspect(args, ALICE[1])
    issued = info["jwt"]["claims"]["iat"]
    lifetime = calendar.timegm(time.strptime(info["refresh_expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - issued
    # BinarlyRealm's SSO idle timeout (1800 s) is what Keycloak sends as refresh_expires_in.
    assert abs(lifetime - 1800) <= 2, lifetime
    return f"refresh_expires_at = issued + refresh_expires_in ({lifetime:.0f} s)"


def client_credentials(basic: bool) -> Callable[[], str]:
    def row() -> str:
        h = Home("cc-basic" if basic else "cc-post")
        args = keycloak(BINARLY, M2M[0], "--client-secret-env", "TW_SECRET", *(["--client-auth", "basic"] if basic else []))
        since = now_ms()
        t = h.token(args, M2M[1])
        assert claims(t["access_token"])["azp"] == M2M[0] and 1790 <= t["expires_in"] <= 1800
        assert h.inspect(args, M2M[1])["refresh_token"] is False, "no refresh token for client credentials"
        ev = events_until(BINARLY, M2M[0], since, lambda e: count(e, "CLIENT_LOGIN") >= 1)
        assert count(ev, "CLIENT_LOGIN") == 1, ev
        return f"secret in {'HTTP Basic' if basic else 'the body'}: {t['expires_in']} s token, no refresh token"
    return row


def single_flight() -> str:
    h = Home("single-flight")
    args = keycloak(BINARLY, M2M[0], "--client-secret-env", "TW_SECRET")
    since = now_ms()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda _: h.ok([*args, "token"], M2M[1]).stdout.strip(), range(8)))
    assert len(set(tokens)) == 1, "one token for all"
    events_until(BINARLY, M2M[0], since, lambda e: count(e, "CLIENT_LOGIN") >= 1)
    time.sleep(0.3)
    assert count(events(BINARLY, M2M[0], since), "CLIENT_LOGIN") == 1
    return "8 concurrent runs (one file cache) → 1 request to Keycloak"


def wrong_password() -> str:
    return refused(Home("wrong-password").run([*binarly(BOB), "token"], WRONG_PASSWORD), "invalid_grant", 400)


def wrong_client_secret() -> str:
    p = Home("wrong-secret").run([*keycloak(BINARLY, M2M[0], "--client-secret-env", "TW_SECRET"), "token"], WRONG_SECRET)
    return refused(p, "unauthorized_client", 401)


def direct_grants_disabled() -> str:
    args = keycloak(BINARLY, M2M[0], "--client-secret-env", "TW_SECRET", "--grant", "password", "--username", ALICE[0])
    # The password comes on standard input here: one secret per variable.
    p = subprocess.run([BIN, *args, "--password-stdin", "token"], input=ALICE[1], capture_output=True, text=True,
                       timeout=60, env={"PATH": os.environ.get("PATH", ""), "HOME": str(WORK / "no-direct"),
                                        "XDG_CACHE_HOME": str(WORK / "no-direct/cache"), "TW_SECRET": M2M[1]})
    assert not any(s in p.stdout + p.stderr for s in SECRETS)
    return refused(p, "unauthorized_client", 400)


def discovery() -> str:
    issuer = f"{URL}/realms/{BINARLY}"
    t = Home("discovery").token(["--issuer", issuer, "--client-id", M2M[0], "--client-secret-env", "TW_SECRET"], M2M[1])
    assert claims(t["access_token"])["iss"] == issuer and claims(t["access_token"])["azp"] == M2M[0]
    return "--issuer → .well-known → token endpoint → token"


def preset_binarly() -> str:
    t = Home("preset-binarly").token(binarly(ALICE[0]), ALICE[1])
    c = claims(t["access_token"])
    assert c["azp"] == "BinarlyClient" and "openid" in c["scope"].split()
    return f'BinarlyRealm, BinarlyClient, scope "{c["scope"]}"'


def phasetwo_password_args(*more: str) -> list[str]:
    return ["--preset", "phasetwo", "--base-url", URL, "--realm", PHASETWO, "--grant", "password",
            "--client-id", "public-cli", "--username", P2_USER[0], "--password-env", "TW_SECRET", *more]


def phasetwo_cc_args(*more: str) -> list[str]:
    return ["--preset", "phasetwo", "--base-url", URL, "--realm", PHASETWO, "--client-id", "admin-cli",
            "--client-secret-env", "TW_SECRET", *more]


def preset_phasetwo_cc() -> str:
    t = Home("preset-phasetwo-cc").token(phasetwo_cc_args(), P2_SECRET)
    assert claims(t["access_token"])["azp"] == "admin-cli" and t["token_type"] == "Bearer" and 55 <= t["expires_in"] <= 60
    return f"admin-cli, {t['expires_in']} s token"


def preset_phasetwo_password() -> str:
    h = Home("preset-phasetwo-password")
    t = h.token(phasetwo_password_args(), P2_USER[1])
    assert claims(t["access_token"])["azp"] == "public-cli"
    assert h.inspect(phasetwo_password_args(), P2_USER[1])["refresh_token"] is True
    return f"public-cli, {t['expires_in']} s token + refresh token"


def runs_held_back() -> str:
    # Each run of the CLI is a new process; the file cache carries error_backoff across them, so a
    # shell loop retrying a wrong password reaches Keycloak once per 5 s, not once per run.
    h = Home("runs-carol")
    since = now_ms()
    for _ in range(6):
        p = h.run([*binarly(CAROL[0]), "token"], WRONG_PASSWORD)
        assert p.returncode == 3 and "invalid_grant" in p.stderr, p.stderr
    h.ok([*binarly(CAROL[0]), "token"], CAROL[1])
    ev = events_until(BINARLY, "BinarlyClient", since, lambda e: count(e, "LOGIN", CAROL[0]) >= 1)
    assert count(ev, "LOGIN_ERROR", CAROL[0]) == 1, ev
    return "6 failing runs → 1 failed login at Keycloak; the right password works at once"


def runs_lock_account() -> str:
    # The same loop with error_backoff = 0 (a profile key) sends the wrong password on every run.
    h = Home("runs-dave")
    config = h.root / "config" / "tokenwell"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(f"""[profiles.dave]
preset = "binarly"
base_url = "{URL}"
grant = "password"
username = "{DAVE[0]}"
password = {{ env = "TW_SECRET" }}
error_backoff = 0
""")
    since = now_ms()
    for _ in range(2):
        assert h.run(["-p", "dave", "token"], WRONG_PASSWORD).returncode == 3
    assert h.run(["-p", "dave", "token"], DAVE[1]).returncode == 3, "locked: the right password is refused too"

    def locked(ev: list[dict[str, Any]]) -> bool:
        return any(x.get("error") == "user_temporarily_disabled" for x in ev)

    ev = events_until(BINARLY, "BinarlyClient", since, locked)
    assert count(ev, "LOGIN_ERROR", DAVE[0]) >= 3 and locked(ev), ev
    return "2 failing runs → the account is locked (user_temporarily_disabled)"


def renewal_60s(password: bool, refresh_row: Optional[dict[str, str]] = None) -> Callable[[], str]:
    def row() -> str:
        # A run every 0.5 s for up to 45 s: every token a run prints has > 25 s left; the renewal
        # happens in a run past the renewal point (30 s), with the cached refresh token when there
        # is one; Keycloak still accepts the replaced token.
        h = Home("renewal-password" if password else "renewal-cc")
        args = phasetwo_password_args("--scope", "openid") if password else phasetwo_cc_args("--scope", "openid")
        secret = P2_USER[1] if password else P2_SECRET
        since = now_ms()
        start = time.monotonic()
        first = h.token(args, secret)
        renewed: Optional[dict[str, Any]] = None
        runs = 1
        while renewed is None and time.monotonic() - start < 45:
            time.sleep(0.5)
            t = h.token(args, secret)
            runs += 1
            assert t["expires_in"] > 25, f"a run printed a token with {t['expires_in']} s left"
            if t["access_token"] != first["access_token"]:
                renewed = t
        if renewed is None:
            raise AssertionError(f"the 60 s token was not renewed within 45 s ({runs} runs)")
        renewed_at = time.monotonic() - start
        assert userinfo(PHASETWO, first["access_token"]) == 200, "the replaced token still works"
        assert userinfo(PHASETWO, renewed["access_token"]) == 200, "the new token works"
        sid = claims(first["access_token"]).get("sid")

        # Other rows use these clients at the same time: this row's events are those of its
        # session (password) or of its scope (client credentials).
        def mine(ev: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if password:
                return [e for e in ev if e.get("sessionId") == sid]
            return [e for e in ev if "openid" in str(e.get("details", {}).get("scope", "")).split()]

        if password:
            ev = mine(events_until(PHASETWO, "public-cli", since, lambda e: count(mine(e), "REFRESH_TOKEN") >= 1))
            assert claims(renewed["access_token"])["sid"] == sid, "renewed by refresh"
            assert (count(ev, "LOGIN"), count(ev, "REFRESH_TOKEN")) == (1, 1), ev
            if refresh_row is not None:
                refresh_row["detail"] = (f"a run past the renewal point ({renewed_at:.0f} s) → "
                                         "refresh_token grant, same session")
        else:
            ev = mine(events_until(PHASETWO, "admin-cli", since, lambda e: count(mine(e), "CLIENT_LOGIN") >= 2))
            assert count(ev, "CLIENT_LOGIN") == 2, ev
        how = "with the cached refresh token" if password else "by client credentials"
        return f"renewed {how} at {renewed_at:.1f} s of 60; {runs} runs, none printed a token with < 25 s left"
    return row


def outcome(row: Callable[[], str]) -> tuple[bool, str]:
    try:
        return True, row()
    except BaseException as e:  # noqa: BLE001 (reported in the table)
        last = traceback.extract_tb(e.__traceback__)[-1]
        return False, f"{type(e).__name__}: {e} (line {last.lineno})".replace("\n", " ")


def main() -> int:
    if not URL:
        print("keycloak conformance (CLI): skipped, TOKENWELL_KEYCLOAK_URL is not set (make test starts Keycloak)")
        return 0
    if not os.access(BIN, os.X_OK):
        print(f"cli_keycloak.py: {BIN} is missing: cargo build -p tokenwell-cli", file=sys.stderr)
        return 2
    global WORK
    WORK = Path(tempfile.mkdtemp(prefix="tokenwell-cli-keycloak-"))
    refresh_row: dict[str, str] = {}
    renewals = {"60 s token renewed, no caller holds an expired one": renewal_60s(True, refresh_row),
                "60 s client-credentials token renewed": renewal_60s(False)}
    results: dict[str, tuple[bool, str]] = {}
    threads = [threading.Thread(target=lambda n=n, r=r: results.__setitem__(n, outcome(r))) for n, r in renewals.items()]
    for th in threads:
        th.start()
    rows: list[tuple[str, Optional[Callable[[], str]]]] = [
        ("password grant: BinarlyClient + scope=openid → JWT with exp", password_grant_openid),
        ("refresh: invalidate() → refresh_token grant", None),  # filled from the 60 s password row
        ("refresh_expires_in honoured", refresh_expires_in_honoured),
        ("client credentials, secret in the body (preset keycloak)", client_credentials(False)),
        ("client credentials, client_auth = basic", client_credentials(True)),
        ("single flight against Keycloak", single_flight),
        ("wrong password → oauth invalid_grant", wrong_password),
        ("wrong client secret → oauth unauthorized_client", wrong_client_secret),
        ("direct access grants disabled → unauthorized_client", direct_grants_disabled),
        ("discovery through issuer", discovery),
        ("preset binarly (base_url → local Keycloak)", preset_binarly),
        ("preset phasetwo: client credentials (admin-cli)", preset_phasetwo_cc),
        ("preset phasetwo: password grant (public client)", preset_phasetwo_password),
        ("error_backoff: retry loop → 1 failed login, no lockout", runs_held_back),
        ("error_backoff = 0: same loop locks the account", runs_lock_account),
    ]
    for name, row in rows:
        if row is not None:
            results[name] = outcome(row)
    for th in threads:
        th.join(timeout=60)
    password_renewal = results.get("60 s token renewed, no caller holds an expired one", (False, ""))
    results["refresh: invalidate() → refresh_token grant"] = (
        (True, refresh_row["detail"]) if password_renewal[0] and "detail" in refresh_row
        else (False, "the 60 s password row did not renew by refresh"))
    names = [n for n, _ in rows] + list(renewals)
    width = max(len(n) for n in names)
    print(f"\nKeycloak conformance (CLI: {os.path.relpath(BIN, ROOT)}) against {URL}")
    failed = 0
    for n in names:
        ok, detail = results.get(n, (False, "did not finish"))
        failed += not ok
        print(f"  {n.ljust(width)}  {'pass' if ok else 'FAIL'}  {detail}")
    print(f"keycloak conformance (CLI): {len(names) - failed} passed, {failed} failed\n")
    shutil.rmtree(WORK, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
