"""The Python surface: construction and configuration errors, Token fields, the same Token
object on the cached path, cached()/invalidate(), the exception classes, from_profile."""

from __future__ import annotations

import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

import tokenwell
from conftest import Namespace


def cc(ns: Namespace, **kw: object) -> tokenwell.Client:
    return tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="app-secret", **kw)


def test_token_fields(ns: Namespace) -> None:
    ns.control(extra={"tenant_id": 7, "flags": ["a", "b"]})
    tok = cc(ns, scope=["read", "write"]).token()
    assert isinstance(tok, tokenwell.Token)
    assert tok.token_type == "Bearer"
    assert tok.authorization == "Bearer " + tok.access_token
    assert tok.expires_at.tzinfo is not None and tok.expires_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert 295 < (tok.expires_at - datetime.now(timezone.utc)).total_seconds() <= 300
    assert 295 < tok.expires_in <= 300
    assert tok.refresh_token is None and tok.id_token is None
    assert tok.extra["tenant_id"] == 7 and tok.extra["flags"] == ["a", "b"]
    assert tok.extra is not tok.extra  # a fresh dict: callers may change theirs
    with pytest.raises(AttributeError):
        tok.access_token = "x"  # type: ignore[misc]


def test_password_token_has_refresh_fields(ns: Namespace) -> None:
    tok = tokenwell.Client(token_url=ns.token_url, grant="password", client_id="app", client_secret="app-secret",
                           username="alice", password="wonderland").token()
    assert tok.refresh_token
    assert tok.refresh_expires_at is not None and tok.refresh_expires_at > tok.expires_at


def test_cached_path_returns_the_same_object(ns: Namespace) -> None:
    client = cc(ns)
    assert client.cached() is None
    first = client.token()
    assert client.token() is first
    assert client.cached() is first
    assert ns.stats()["total"] == 1
    client.invalidate()
    assert client.cached() is None
    second = client.token()
    assert second is not first and second.access_token != first.access_token
    assert client.token() is second
    assert ns.stats()["total"] == 2


def test_threads_get_the_same_object_too(ns: Namespace) -> None:
    # The core hands each thread its own copy of the token; Python still sees one object.
    client = cc(ns)
    first = client.token()
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: (client.token(), client.cached()), range(64)))
    assert all(t is first and c is first for t, c in seen)


def test_clients_with_one_configuration_share_the_token(ns: Namespace) -> None:
    a, b = cc(ns), cc(ns)
    assert a.token().access_token == b.token().access_token
    assert a.cache_key == b.cache_key
    b.invalidate()
    assert a.cached() is None
    assert ns.stats()["total"] == 1


def test_from_dict_and_secret_sources(ns: Namespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TW_PY_SECRET_ENV", "app-secret")
    secret_file = tmp_path / "secret"
    secret_file.write_text("app-secret\n")
    for i, secret in enumerate(({"env": "TW_PY_SECRET_ENV"}, {"file": str(secret_file)}, {"file": secret_file})):
        client = tokenwell.Client.from_dict({"token_url": ns.token_url, "client_id": "app",
                                             "client_secret": secret, "cache_key": f"py-src-{i}"})
        assert isinstance(client, tokenwell.Client)
        assert client.token().access_token
    assert [r["form"]["client_secret"] for r in ns.requests()] == ["app-secret"] * 3


def test_numbers_lists_and_none_convert(ns: Namespace) -> None:
    client = cc(ns, leeway=10, refresh_ahead=0.5, retries=0, scope=("a", "b"), audience=None,
                extra={"x": "1"}, headers={"X-Test": "py"}, send_grant_type=True)
    client.token()
    req = ns.requests()[0]
    assert req["form"]["scope"] == "a b" and req["form"]["x"] == "1"
    assert req["headers"]["x-test"] == "py"
    assert "audience" not in req["form"]


@pytest.mark.parametrize("kwargs,key,text", [
    ({"token_ur": "https://x/t"}, "token_ur", "did you mean `token_url`"),
    ({"client_id": "a"}, "token_url", "token_url"),
    ({"token_url": "https://x/t", "leeway": "soon"}, "leeway", "number of seconds"),
    ({"token_url": "https://x/t", "grant": "implicit"}, "grant", "client_credentials"),
    ({"token_url": "https://x/t", "retries": -1}, "retries", "retries"),
    ({"token_url": "https://x/t", "timeout": b"1"}, "timeout", "bytes"),
    ({"token_url": "https://x/t", "leeway": float("nan")}, "leeway", "NaN"),
    ({"token_url": "https://x/t", "client_secret": {"vault": "x"}}, "client_secret", "env"),
    ({"token_url": "https://x/t", "extra": {1: "a"}}, "extra", "keys"),
    ({"token_url": "http://example.com/t"}, "token_url", "allow_http"),
])
def test_config_errors_name_the_key(kwargs: dict[str, object], key: str, text: str) -> None:
    with pytest.raises(tokenwell.ConfigError) as info:
        tokenwell.Client(**kwargs)
    err = info.value
    assert err.code == "config" and err.key == key, (err.key, str(err))
    assert text in str(err), str(err)
    assert isinstance(err, ValueError) and isinstance(err, tokenwell.Error)


def test_exception_hierarchy() -> None:
    assert issubclass(tokenwell.TimeoutError, TimeoutError) and issubclass(tokenwell.TimeoutError, tokenwell.Error)
    assert issubclass(tokenwell.ConfigError, ValueError)
    for cls, code in [(tokenwell.OAuthError, "oauth"), (tokenwell.HTTPError, "http"), (tokenwell.NetworkError, "network"),
                      (tokenwell.InvalidResponseError, "invalid_response"), (tokenwell.CacheError, "cache"),
                      (tokenwell.TimeoutError, "timeout"), (tokenwell.ConfigError, "config"),
                      (tokenwell.InternalError, "internal")]:
        assert issubclass(cls, tokenwell.Error)
        err = cls("boom")
        assert err.code == code and str(err) == "boom" and err.message == "boom"
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is cls and copy.code == code and str(copy) == "boom"
    assert tokenwell.Error("x").code == "internal"


def test_oauth_error_attributes_and_cause(ns: Namespace) -> None:
    with pytest.raises(tokenwell.OAuthError) as info:
        tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="Tw-py-wrong-secret-1").token()
    err = info.value
    assert err.code == "oauth" and err.status == 401 and err.error == "invalid_client"
    assert err.body is None and err.key is None
    assert "Tw-py-wrong-secret-1" not in str(err) + repr(err)


def test_network_error_has_the_rust_cause_chain() -> None:
    client = tokenwell.Client(token_url="http://127.0.0.1:9/token", client_id="a", client_secret="Tw-py-net-2", retries=0)
    with pytest.raises(tokenwell.NetworkError) as info:
        client.token()
    chain, e = [], info.value.__cause__
    while e is not None:
        assert isinstance(e, tokenwell.RustError)
        chain.append(str(e))
        e = e.__cause__
    assert chain, "no __cause__"
    assert any("refused" in c.lower() for c in chain), chain
    assert info.value.__suppress_context__


def test_proxy_password_stays_out_of_errors() -> None:
    client = tokenwell.Client(token_url="https://127.0.0.1:9/token", client_id="a", client_secret="x", retries=0,
                              proxy="http://bob:Tw-py-proxy-pw-3@127.0.0.1:9", timeout=5)
    assert "Tw-py-proxy-pw-3" not in repr(client)
    with pytest.raises(tokenwell.Error) as info:
        client.token()
    e: BaseException | None = info.value
    while e is not None:
        assert "Tw-py-proxy-pw-3" not in str(e) + repr(e)
        e = e.__cause__


def test_timeout_error_is_builtin_timeout(ns: Namespace) -> None:
    ns.script({"fault": "hang", "ms": 3000})
    client = tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="app-secret", timeout=0.3, retries=0)
    with pytest.raises(TimeoutError) as info:
        client.token()
    assert isinstance(info.value, tokenwell.TimeoutError) and info.value.code == "timeout"


def test_http_error_body(ns: Namespace) -> None:
    ns.script({"status": 502, "body": "<html>bad gateway</html>", "content_type": "text/html"})
    with pytest.raises(tokenwell.HTTPError) as info:
        cc(ns, retries=0).token()
    assert info.value.status == 502 and info.value.body == "<html>bad gateway</html>"


def test_tokens_do_not_pickle(ns: Namespace) -> None:
    tok = cc(ns).token()
    with pytest.raises(TypeError):
        pickle.dumps(tok)


def test_from_profile(ns: Namespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tokenwell").mkdir()
    (tmp_path / "tokenwell" / "config.toml").write_text(
        f'[profiles.svc]\ntoken_url = "{ns.token_url}"\nclient_id = "app"\n'
        'client_secret = "${TW_PY_PROFILE_SECRET}"\ncache = "memory"\n'
        f'[profiles.other]\ntoken_url = "{ns.token_url}"\n'
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("TW_PY_PROFILE_SECRET", "app-secret")
    client = tokenwell.Client.from_profile("svc")
    assert type(client) is tokenwell.Client
    assert client.token().access_token
    assert ns.requests()[0]["form"]["client_secret"] == "app-secret"
    with pytest.raises(tokenwell.ConfigError) as info:
        tokenwell.Client.from_profile("missing")
    assert info.value.key == "profile" and "svc" in str(info.value)
    with pytest.raises(tokenwell.ConfigError):
        tokenwell.Client.from_profile()  # two profiles, none named default
    with pytest.raises(tokenwell.ConfigError) as info:
        tokenwell.Client()  # no profile pending: an ordinary empty configuration
    assert info.value.key == "token_url"


def test_subclass_and_repr(ns: Namespace) -> None:
    class Mine(tokenwell.Client):
        pass

    client = Mine.from_dict({"token_url": ns.token_url, "client_id": "app", "client_secret": "app-secret"})
    assert isinstance(client, Mine) and client.token().access_token
    assert repr(cc(ns)) == f'tokenwell.Client(token_url="{ns.token_url}", client_id="app")'
    assert "app-secret" not in repr(client)


def test_version() -> None:
    assert tokenwell.__version__ and sys.modules["tokenwell._native"].__version__ == tokenwell.__version__
