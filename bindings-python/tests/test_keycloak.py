"""Conformance against a real Keycloak (tests/idp): the rows of core/tests/keycloak.rs, through
the Python API, with Keycloak's own event log as the witness of what went out. Skipped unless
TOKENWELL_KEYCLOAK_URL is set (`make test` starts Keycloak once for every language's suite)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import traceback
import urllib.error
import urllib.request
from typing import Any, Callable, Optional

import pytest

import tokenwell

URL = os.environ.get("TOKENWELL_KEYCLOAK_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(not URL, reason="TOKENWELL_KEYCLOAK_URL is not set (make test starts Keycloak)")

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


def client(key: str, **config: Any) -> tokenwell.Client:
    """A client on its own cache key: rows never share a cached token or an error backoff."""
    c = tokenwell.Client(cache_key=f"kc-py-{key}", **config)
    assert not any(s in repr(c) for s in SECRETS), repr(c)
    return c


def claims(jwt: Optional[str]) -> dict[str, Any]:
    try:
        body = (jwt or "").split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))  # type: ignore[no-any-return]
    except (IndexError, ValueError):
        return {}


def now_ms() -> int:
    return int(time.time() * 1000)


def events(realm: str, client_id: str, since_ms: int) -> list[dict[str, Any]]:
    bearer = client(f"observer-{realm}", preset="keycloak", base_url=URL, realm=realm,
                    client_id=OBSERVER[0], client_secret=OBSERVER[1]).token().authorization
    req = urllib.request.Request(f"{URL}/admin/realms/{realm}/events?client={client_id}&max=1000",
                                 headers={"authorization": bearer})
    with _http.open(req, timeout=10) as resp:
        all_events: list[dict[str, Any]] = json.loads(resp.read())
    return [e for e in reversed(all_events) if e.get("time", 0) >= since_ms]


def events_until(realm: str, client_id: str, since_ms: int,
                 done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The event log once `done` holds, or after 5 s: Keycloak may store an event just after answering."""
    deadline = time.monotonic() + 5
    while True:
        ev = events(realm, client_id, since_ms)
        if done(ev) or time.monotonic() >= deadline:
            return ev
        time.sleep(0.1)


def count(ev: list[dict[str, Any]], kind: str, who: str = "") -> int:
    """Events of `kind` of user `who` (a username or a user id); any user when empty."""
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


def assert_redacted(t: tokenwell.Token) -> None:
    shown = f"{t!r} {t}"
    assert t.access_token not in shown and (not t.refresh_token or t.refresh_token not in shown)


def assert_no_secret(e: BaseException) -> None:
    shown = f"{e} {e!r} {e.__cause__!r}"
    assert not any(s in shown for s in SECRETS), shown


def oauth_summary(e: tokenwell.OAuthError) -> str:
    return f'oauth {e.error}, status {e.status}, "{e.error_description}"'


# --- rows -------------------------------------------------------------------------------------

def password_grant_openid() -> str:
    # Doc 000 verbatim: the token URL, BinarlyClient (public), scope=openid, username + password.
    c = client("password-openid", token_url=f"{URL}/realms/{BINARLY}/protocol/openid-connect/token", grant="password",
               client_id="BinarlyClient", scope="openid", username=ALICE[0], password=ALICE[1])
    t = c.token()
    exp = claims(t.access_token)["exp"]
    assert abs(t.expires_at.timestamp() - exp) <= 2, (t.expires_at, exp)
    assert 1790 <= t.expires_in <= 1800, t.expires_in
    assert t.token_type == "Bearer" and t.authorization == f"Bearer {t.access_token}"
    assert claims(t.access_token)["azp"] == "BinarlyClient"
    assert claims(t.access_token)["preferred_username"] == ALICE[0]
    assert "openid" in (t.scope or "").split(), t.scope
    assert claims(t.id_token), "an ID token comes with scope=openid"
    assert_redacted(t)
    assert c.token() is t, "the second call is answered from the cache"
    return f'expires_in {t.expires_in:.0f} s (JWT exp matches), scope "{t.scope}", ID token'


def refresh() -> str:
    c = client("refresh", preset="binarly", base_url=URL, grant="password", username=ALICE[0], password=ALICE[1])
    since = now_ms()
    a = c.token()
    c.invalidate()  # what a resource server's 401 leads to: the access token goes, the refresh token stays
    assert c.cached() is None
    b = c.token()
    assert a.access_token != b.access_token and b.refresh_token
    assert claims(a.access_token)["sid"] == claims(b.access_token)["sid"], "same session: refreshed"
    sub = claims(a.access_token)["sub"]
    ev = events_until(BINARLY, "BinarlyClient", since, lambda e: count(e, "REFRESH_TOKEN", sub) >= 1)
    assert (count(ev, "LOGIN", sub), count(ev, "REFRESH_TOKEN", sub)) == (1, 1), ev
    return "invalidate() → one refresh_token grant, same session"


def refresh_expires_in_honoured() -> str:
    # The clock-jump half of the Rust row needs an injected clock, which only the Rust API has.
    c = client("refresh-expiry", preset="keycloak", base_url=URL, realm=BINARLY, grant="password",
               client_id="BinarlyClient", scope="openid", username=ALICE[0], password=ALICE[1])
    t = c.token()
    assert t.refresh_token and t.refresh_expires_at is not None
    rt_exp = claims(t.refresh_token)["exp"]
    assert abs(t.refresh_expires_at.timestamp() - rt_exp) <= 2, (t.refresh_expires_at, rt_exp)
    lifetime = t.refresh_expires_at.timestamp() - time.time()
    return f"refresh_expires_at = the refresh JWT's exp ({lifetime:.0f} s left)"


def client_credentials(basic: bool) -> Callable[[], str]:
    def row() -> str:
        # Doc 002's M2M client; its secret's `+ / : %20` make only a correctly encoded Basic header work.
        extra = {"client_auth": "basic"} if basic else {}
        since = now_ms()
        t = client("cc-basic" if basic else "cc-post", preset="keycloak", base_url=URL, realm=BINARLY,
                   client_id=M2M[0], client_secret=M2M[1], **extra).token()
        assert claims(t.access_token)["azp"] == M2M[0]
        assert t.refresh_token is None, "Keycloak issues no refresh token to client credentials"
        assert 1790 <= t.expires_in <= 1800, t.expires_in
        assert_redacted(t)
        ev = events_until(BINARLY, M2M[0], since, lambda e: count(e, "CLIENT_LOGIN") >= 1)
        assert count(ev, "CLIENT_LOGIN") == 1, ev
        return f"secret in {'HTTP Basic' if basic else 'the body'}: {t.expires_in:.0f} s token, no refresh token"
    return row


def single_flight() -> str:
    config: dict[str, Any] = dict(preset="keycloak", base_url=URL, realm=BINARLY, client_id=M2M[0], client_secret=M2M[1])
    since = now_ms()
    shared = client("single-flight", **config)
    clients = [shared if i % 2 == 0 else client("single-flight", **config) for i in range(16)]
    barrier = threading.Barrier(16)
    tokens: list[str] = []

    def call(c: tokenwell.Client) -> None:
        barrier.wait(timeout=10)
        tokens.append(c.token().access_token)

    threads = [threading.Thread(target=call, args=(c,)) for c in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert len(tokens) == 16 and len(set(tokens)) == 1, "one token for all"
    ev = events_until(BINARLY, M2M[0], since, lambda e: count(e, "CLIENT_LOGIN") >= 1)
    time.sleep(0.3)  # a stray second request would show by now
    ev = events(BINARLY, M2M[0], since)
    assert count(ev, "CLIENT_LOGIN") == 1, ev
    return "16 threads (8 clients) → 1 request to Keycloak"


def expect_oauth(c: tokenwell.Client) -> tokenwell.OAuthError:
    with pytest.raises(tokenwell.OAuthError) as info:
        c.token()
    assert info.value.code == "oauth"
    assert_no_secret(info.value)
    return info.value


def wrong_password() -> str:
    e = expect_oauth(client("wrong-password", preset="binarly", base_url=URL, grant="password",
                            username=BOB, password=WRONG_PASSWORD))
    # Keycloak 26 answers 400 (RFC 6749 §5.2); Keycloak before 24 and the test server's dialect 401.
    assert (e.error, e.status, e.error_description) == ("invalid_grant", 400, "Invalid user credentials")
    return oauth_summary(e)


def wrong_client_secret() -> str:
    e = expect_oauth(client("wrong-secret", preset="keycloak", base_url=URL, realm=BINARLY,
                            client_id=M2M[0], client_secret=WRONG_SECRET))
    assert (e.error, e.status) == ("unauthorized_client", 401)  # Keycloak 26: not RFC 6749's invalid_client
    return oauth_summary(e)


def direct_grants_disabled() -> str:
    # Doc 002 has "Direct access grants" unchecked on the M2M client.
    e = expect_oauth(client("no-direct-grants", preset="keycloak", base_url=URL, realm=BINARLY, grant="password",
                            client_id=M2M[0], client_secret=M2M[1], username=ALICE[0], password=ALICE[1]))
    assert (e.error, e.status) == ("unauthorized_client", 400)
    return oauth_summary(e)


def discovery() -> str:
    issuer = f"{URL}/realms/{BINARLY}"
    t = client("discovery", issuer=issuer, client_id=M2M[0], client_secret=M2M[1]).token()
    assert claims(t.access_token)["iss"] == issuer and claims(t.access_token)["azp"] == M2M[0]
    return "issuer → .well-known → token endpoint → token"


def preset_binarly() -> str:
    t = client("preset-binarly", preset="binarly", base_url=URL, grant="password",
               username=ALICE[0], password=ALICE[1]).token()
    assert claims(t.access_token)["azp"] == "BinarlyClient" and "openid" in (t.scope or "").split()
    return f'BinarlyRealm, BinarlyClient, scope "{t.scope}"'


def preset_phasetwo_cc() -> str:
    t = client("preset-phasetwo-cc", preset="phasetwo", base_url=URL, realm=PHASETWO,
               client_id="admin-cli", client_secret=P2_SECRET).token()
    assert claims(t.access_token)["azp"] == "admin-cli" and t.token_type == "Bearer"
    assert 55 <= t.expires_in <= 60, t.expires_in
    return f"admin-cli, {t.expires_in:.0f} s token"


def preset_phasetwo_password() -> str:
    t = client("preset-phasetwo-password", preset="phasetwo", base_url=URL, realm=PHASETWO, grant="password",
               client_id="public-cli", username=P2_USER[0], password=P2_USER[1]).token()
    assert claims(t.access_token)["azp"] == "public-cli" and t.refresh_token
    return f"public-cli, {t.expires_in:.0f} s token + refresh token"


def error_backoff_protects_account() -> str:
    # A retry loop with a wrong password (same client, and a new client each time): brute-force
    # detection would lock Carol; error_backoff re-raises the first answer.
    bad: dict[str, Any] = dict(preset="binarly", base_url=URL, grant="password", username=CAROL[0], password=WRONG_PASSWORD)
    since = now_ms()
    same = client("backoff-carol", **bad)
    for i in range(10):
        e = expect_oauth(same if i % 2 == 0 else client("backoff-carol", **bad))
        assert e.error == "invalid_grant"
    client("backoff-carol-right", preset="binarly", base_url=URL, grant="password",
           username=CAROL[0], password=CAROL[1]).token()
    ev = events_until(BINARLY, "BinarlyClient", since, lambda e: count(e, "LOGIN", CAROL[0]) >= 1)
    assert count(ev, "LOGIN_ERROR", CAROL[0]) == 1, ev
    return "10 failing calls → 1 failed login at Keycloak; the account stays usable"


def no_error_backoff_locks_account() -> str:
    bad: dict[str, Any] = dict(preset="binarly", base_url=URL, grant="password", error_backoff=0,
                               username=DAVE[0], password=WRONG_PASSWORD)
    since = now_ms()
    c = client("no-backoff-dave", **bad)
    for _ in range(2):
        expect_oauth(c)
    e = expect_oauth(client("no-backoff-dave-right", preset="binarly", base_url=URL, grant="password",
                            error_backoff=0, username=DAVE[0], password=DAVE[1]))
    assert e.error == "invalid_grant", "locked: the right password is refused too"

    def locked(ev: list[dict[str, Any]]) -> bool:
        return any(x.get("error") == "user_temporarily_disabled" for x in ev)

    ev = events_until(BINARLY, "BinarlyClient", since, locked)
    assert count(ev, "LOGIN_ERROR", DAVE[0]) >= 3 and locked(ev), ev
    return "2 failing calls → the account is locked (user_temporarily_disabled)"


def renewal_60s(password: bool) -> Callable[[], str]:
    def row() -> str:
        # Real time: R at 30 s, refresh-ahead from 22.5 s. Every token handed out must have > 25 s
        # left, and Keycloak must still accept the old token when its successor arrives.
        if password:
            c = client("renewal-60s-password", preset="phasetwo", base_url=URL, realm=PHASETWO, grant="password",
                       client_id="public-cli", scope="openid", username=P2_USER[0], password=P2_USER[1])
        else:
            c = client("renewal-60s-cc", preset="phasetwo", base_url=URL, realm=PHASETWO, scope="openid",
                       client_id="admin-cli", client_secret=P2_SECRET)
        start = time.monotonic()
        current = c.token()
        lifetime = claims(current.access_token)["exp"] - claims(current.access_token)["iat"]
        assert 59 <= lifetime <= 61, lifetime
        calls, slowest = 0, 0.0
        while time.monotonic() - start < 45:
            time.sleep(0.2)
            asked = time.monotonic()
            t = c.token()
            slowest = max(slowest, time.monotonic() - asked)
            calls += 1
            assert t.expires_in > 25, f"a caller got a token with {t.expires_in:.1f} s left"
            if t.access_token == current.access_token:
                continue
            renewed_at = time.monotonic() - start
            assert userinfo(PHASETWO, current.access_token) == 200, "the replaced token still works"
            assert userinfo(PHASETWO, t.access_token) == 200, "the new token works"
            if password:
                assert current.refresh_token
                assert claims(t.access_token)["sid"] == claims(current.access_token)["sid"], "renewed by refresh"
            else:
                assert current.refresh_token is None
            how = "with the refresh token" if password else "by client credentials"
            return (f"renewed {how} at {renewed_at:.1f} s of 60 (refresh-ahead); {calls} calls, "
                    f"none got < 25 s left, slowest {slowest * 1e3:.1f} ms")
        raise AssertionError(f"the 60 s token was not renewed within 45 s ({calls} calls)")
    return row


ROWS: list[tuple[str, Callable[[], str]]] = [
    ("password grant: BinarlyClient + scope=openid → JWT with exp", password_grant_openid),
    ("refresh: invalidate() → refresh_token grant", refresh),
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
    ("error_backoff: retry loop → 1 failed login, no lockout", error_backoff_protects_account),
    ("error_backoff = 0: same loop locks the account", no_error_backoff_locks_account),
]
RENEWALS = [
    ("60 s token renewed, no caller holds an expired one", renewal_60s(True)),
    ("60 s client-credentials token renewed", renewal_60s(False)),
]


def outcome(row: Callable[[], str]) -> tuple[bool, str]:
    try:
        return True, row()
    except BaseException as e:  # noqa: BLE001 (a failed row is reported in the table, then fails the test)
        last = traceback.extract_tb(e.__traceback__)[-1]
        return False, f"{type(e).__name__}: {e} (line {last.lineno})".replace("\n", " ")


def test_keycloak_conformance(capsys: pytest.CaptureFixture[str]) -> None:
    results: dict[str, tuple[bool, str]] = {}
    # The 60 s renewals take ~23 s of real time: they run beside the other rows (their own realm).
    threads = [threading.Thread(target=lambda n=name, r=row: results.__setitem__(n, outcome(r))) for name, row in RENEWALS]
    for th in threads:
        th.start()
    for name, row in ROWS:
        results[name] = outcome(row)
    for th in threads:
        th.join(timeout=60)
    names = [n for n, _ in ROWS + RENEWALS]
    width = max(len(n) for n in names)
    lines = [f"\nKeycloak conformance (Python) against {URL}"]
    for n in names:
        ok, detail = results.get(n, (False, "did not finish"))
        lines.append(f"  {n.ljust(width)}  {'pass' if ok else 'FAIL'}  {detail}")
    failed = [n for n in names if not results.get(n, (False, ""))[0]]
    lines.append(f"keycloak conformance: {len(names) - len(failed)} passed, {len(failed)} failed\n")
    with capsys.disabled():
        print("\n".join(lines))
    assert not failed, failed
