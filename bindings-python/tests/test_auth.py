"""requests_auth() and httpx_auth() against the test server's /resource: the header is set from
the cached token; on a 401 the token is dropped, a new one fetched, the request retried once,
and a second 401 goes back to the caller."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import requests

import tokenwell
from conftest import Namespace


def cc(ns: Namespace) -> tokenwell.Client:
    return tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="app-secret")


def test_requests_sets_the_header_and_reuses_the_token(ns: Namespace) -> None:
    client = cc(ns)
    with requests.Session() as s:
        for _ in range(3):
            r = s.get(ns.resource_url, auth=client.requests_auth(), timeout=10)
            assert r.status_code == 200 and r.json()["ok"] is True
    stats = ns.stats()
    assert stats["total"] == 1 and stats["resource"] == 3


def test_requests_401_invalidates_fetches_and_retries_once(ns: Namespace) -> None:
    client = cc(ns)
    first = client.token()
    ns.control(resource_401=1)
    r = requests.get(ns.resource_url, auth=client.requests_auth(), timeout=10)
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [401]
    assert r.request.headers["Authorization"] != first.authorization
    assert r.request.headers["Authorization"] == client.token().authorization
    stats = ns.stats()
    assert stats["total"] == 2 and stats["resource_401"] == 1


def test_requests_second_401_is_returned(ns: Namespace) -> None:
    client = cc(ns)
    ns.control(resource_401=2)
    r = requests.get(ns.resource_url, auth=client.requests_auth(), timeout=10)
    assert r.status_code == 401 and len(r.history) == 1
    assert r.headers["www-authenticate"].startswith("Bearer")
    stats = ns.stats()
    assert stats["total"] == 2 and stats["resource_401"] == 2 and stats["resource"] == 2


def test_requests_retry_resends_the_body(ns: Namespace) -> None:
    client = cc(ns)
    ns.control(resource_401=1)
    r = requests.get(ns.resource_url, data=b"payload", auth=client.requests_auth(), timeout=10)
    assert r.status_code == 200 and r.request.body == b"payload"


def test_a_burst_of_401s_for_one_token_fetches_once(ns: Namespace) -> None:
    # The server lets its tokens expire after 1 s while the client believes in 300 s: every
    # request with the first token is refused, every retry with the second accepted.
    ns.control(expires_in=None, token_format="opaque", jwt_lifetime=1)
    client = tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="app-secret",
                              default_lifetime=300)
    client.token()
    time.sleep(1.2)
    auth = client.requests_auth()
    barrier = threading.Barrier(10, timeout=10)

    def get(_: int) -> int:
        prepared = requests.Request("GET", ns.resource_url, auth=auth).prepare()  # with the first token
        barrier.wait()
        with requests.Session() as s:
            return s.send(prepared, timeout=10).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(get, range(10)))
    assert codes == [200] * 10
    stats = ns.stats()
    assert stats["total"] == 2 and stats["resource_401"] == 10


def test_httpx_sync(ns: Namespace) -> None:
    client = cc(ns)
    with httpx.Client(auth=client.httpx_auth(), timeout=10) as http:
        assert http.get(ns.resource_url).status_code == 200
        ns.control(resource_401=1)
        r = http.get(ns.resource_url)
        assert r.status_code == 200 and [h.status_code for h in r.history] == [401]
        ns.control(resource_401=2)
        r = http.get(ns.resource_url)
        assert r.status_code == 401 and len(r.history) == 1
    assert httpx.get(ns.resource_url, auth=client.httpx_auth(), timeout=10).status_code == 200
    stats = ns.stats()
    assert stats["total"] == 3 and stats["resource_401"] == 3


def test_httpx_async(ns: Namespace) -> None:
    client = cc(ns)

    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(auth=client.httpx_auth(), timeout=10) as http:
            ok = await http.get(ns.resource_url)
            ns.control(resource_401=1)
            retried = await http.get(ns.resource_url)
            ns.control(resource_401=2)
            refused = await http.get(ns.resource_url)
            return [ok, retried, refused]

    ok, retried, refused = asyncio.run(main())
    assert ok.status_code == 200
    assert retried.status_code == 200 and [h.status_code for h in retried.history] == [401]
    assert refused.status_code == 401 and len(refused.history) == 1
    stats = ns.stats()
    assert stats["total"] == 3 and stats["resource_401"] == 3


def test_auth_errors_surface_as_tokenwell_errors(ns: Namespace) -> None:
    bad = tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="Tw-py-auth-bad-7")
    try:
        requests.get(ns.resource_url, auth=bad.requests_auth(), timeout=10)
    except tokenwell.OAuthError as e:
        assert e.error == "invalid_client"
    else:
        raise AssertionError("no OAuthError")
    assert ns.stats()["resource"] == 0
