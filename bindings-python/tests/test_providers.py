"""The provider documents' Python flows (shared/seeds), each through its preset with base_url
pointed at the test server, which speaks that provider's dialect strictly. Each flow replaces a
`requests.post(...)` on every run: the token is fetched once and used on the API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import requests

import tokenwell
from conftest import Namespace


def only_request(ns: Namespace) -> dict[str, Any]:
    records = ns.requests()
    assert len(records) == 1, [r["path"] for r in records]
    return records[0]  # type: ignore[no-any-return]


def use_on_the_api(ns: Namespace, client: tokenwell.Client) -> None:
    for _ in range(2):
        r = requests.get(ns.resource_url, auth=client.requests_auth(), timeout=10)
        assert r.status_code == 200, r.text
    assert ns.stats()["total"] == 1  # fetched once, reused


def test_binarly_password(ns: Namespace) -> None:
    # 000 Binarly: password grant with the public client BinarlyClient and scope openid.
    client = tokenwell.Client(preset="binarly", base_url=ns.url, grant="password",
                              username="user@example.com", password="correct horse")
    tok = client.token()
    assert tok.token_type == "Bearer" and tok.refresh_token and "openid" in (tok.scope or "")
    req = only_request(ns)
    assert req["path"].endswith("/realms/BinarlyRealm/protocol/openid-connect/token")
    assert req["form"] == {"grant_type": "password", "client_id": "BinarlyClient", "scope": "openid",
                           "username": "user@example.com", "password": "correct horse"}
    assert req["basic"] is None
    use_on_the_api(ns, client)


def test_binarly_on_premises_client_credentials(ns: Namespace) -> None:
    # 002 Binarly on-premises: a service-account client on the customer's Keycloak.
    client = tokenwell.Client(preset="keycloak", base_url=ns.url, realm="BinarlyRealm",
                              client_id="admin-cli", client_secret="admin-secret")
    assert client.token().access_token
    req = only_request(ns)
    assert req["path"].endswith("/realms/BinarlyRealm/protocol/openid-connect/token")
    assert req["form"] == {"grant_type": "client_credentials", "client_id": "admin-cli", "client_secret": "admin-secret"}
    use_on_the_api(ns, client)


def test_butlr_password(ns: Namespace) -> None:
    # 001 Butlr: POST /api/v2/login with exactly {"username", "password"} as JSON.
    client = tokenwell.Client(preset="butlr", base_url=ns.url, grant="password",
                              username="user@example.com", password="correct horse")
    tok = client.token()
    assert tok.refresh_token and tok.id_token
    req = only_request(ns)
    assert req["path"].endswith("/api/v2/login")
    assert req["json"] == {"username": "user@example.com", "password": "correct horse"}
    assert req["content_type"].startswith("application/json")
    use_on_the_api(ns, client)


def test_butlr_client_credentials(ns: Namespace) -> None:
    # 001 Butlr: POST /api/v2/clients/login with the audience https://butlrauth/.
    client = tokenwell.Client(preset="butlr", base_url=ns.url, client_id="butlr-client", client_secret="butlr-secret")
    assert client.token().access_token
    req = only_request(ns)
    assert req["path"].endswith("/api/v2/clients/login")
    assert req["json"] == {"client_id": "butlr-client", "client_secret": "butlr-secret",
                           "audience": "https://butlrauth/", "grant_type": "client_credentials"}
    use_on_the_api(ns, client)


def test_semansys_password(ns: Namespace) -> None:
    # 003 Semansys: password grant at /connect/token, the client secret in the form body only.
    client = tokenwell.Client(preset="semansys", base_url=ns.url, grant="password", client_id="semansys-client",
                              client_secret="semansys-secret", username="alice", password="wonderland")
    tok = client.token()
    assert tok.refresh_token
    req = only_request(ns)
    assert req["path"].endswith("/connect/token")
    assert req["form"] == {"grant_type": "password", "client_id": "semansys-client", "client_secret": "semansys-secret",
                           "username": "alice", "password": "wonderland"}
    assert req["basic"] is None
    use_on_the_api(ns, client)


def test_semansys_refuses_basic_and_says_so(ns: Namespace) -> None:
    client = tokenwell.Client(preset="semansys", base_url=ns.url, grant="password", client_id="semansys-client",
                              client_secret="semansys-secret", username="alice", password="wonderland",
                              client_auth="basic")
    with pytest.raises(tokenwell.OAuthError) as info:
        client.token()
    assert info.value.error == "invalid_client" and info.value.status == 400


def test_phase_two_client_credentials(ns: Namespace) -> None:
    # 004 Phase Two: admin-cli client credentials; the server answers token_type "bearer".
    client = tokenwell.Client(preset="phasetwo", base_url=ns.url, realm="acme",
                              client_id="admin-cli", client_secret="admin-secret")
    tok = client.token()
    assert tok.token_type == "Bearer" and tok.authorization.startswith("Bearer ")
    assert "session_state" in tok.extra
    req = only_request(ns)
    assert req["path"].endswith("/realms/acme/protocol/openid-connect/token")
    assert req["form"] == {"grant_type": "client_credentials", "client_id": "admin-cli", "client_secret": "admin-secret"}
    use_on_the_api(ns, client)


def test_phase_two_password_async_with_httpx(ns: Namespace) -> None:
    client = tokenwell.Client(preset="phasetwo", base_url=ns.url, realm="acme", grant="password",
                              client_id="admin-cli", client_secret="admin-secret",
                              username="alice", password="wonderland")

    async def main() -> list[int]:
        async with httpx.AsyncClient(auth=client.httpx_auth(), timeout=10) as http:
            return [(await http.get(ns.resource_url)).status_code for _ in range(3)]

    assert asyncio.run(main()) == [200, 200, 200]
    assert only_request(ns)["form"]["grant_type"] == "password"


def test_a_script_run_in_a_loop_fetches_once(ns: Namespace) -> None:
    # What replaces `requests.post(...)` on every run: a client per iteration still shares the token.
    tokens = set()
    for _ in range(5):
        client = tokenwell.Client(preset="keycloak", base_url=ns.url, realm="demo",
                                  client_id="app", client_secret="app-secret")
        tokens.add(client.token().access_token)
    assert len(tokens) == 1 and ns.stats()["total"] == 1


def test_wrong_password_is_an_oauth_error_once(ns: Namespace) -> None:
    # Keycloak locks accounts on repeated failures: a retry loop must not resend the password.
    def attempt() -> tokenwell.OAuthError:
        client = tokenwell.Client(preset="binarly", base_url=ns.url, grant="password",
                                  username="user@example.com", password="Tw-py-wrong-pw-8")
        with pytest.raises(tokenwell.OAuthError) as info:
            client.token()
        return info.value

    errors = [attempt() for _ in range(3)]
    assert all(e.error == "invalid_grant" and e.status == 400 for e in errors)
    assert errors[0].error_description == "Invalid user credentials"
    assert ns.stats()["total"] == 1
