"""No secret or token in what a user can print: reprs, exception texts and cause chains, and the
records the `tokenwell` logger emits at DEBUG."""

from __future__ import annotations

import logging
import time

import pytest

import tokenwell
from conftest import Namespace

CLIENT_SECRET = "Tw-py-hyg-client-secret-6"
PASSWORD = "Tw-py-hyg-p@ss w:rd/+ 6"


def setup_ns(ns: Namespace, **settings: object) -> None:
    ns.control(clients={"app": {"secret": CLIENT_SECRET, "direct_access": True}},
               users={"alice": PASSWORD}, **settings)


def client(ns: Namespace, **kw: object) -> tokenwell.Client:
    cfg: dict[str, object] = dict(token_url=ns.token_url, grant="password", client_id="app",
                                  client_secret=CLIENT_SECRET, username="alice", password=PASSWORD, retries=0)
    cfg.update(kw)
    return tokenwell.Client(**cfg)


def texts_of(err: BaseException) -> list[str]:
    out = []
    e: BaseException | None = err
    while e is not None:
        out += [str(e), repr(e), *(str(a) for a in e.args)]
        e = e.__cause__
    return out


def test_logs_at_debug_carry_no_secret(ns: Namespace, caplog: pytest.LogCaptureFixture) -> None:
    setup_ns(ns, expires_in=2)
    caplog.set_level(logging.DEBUG, logger="tokenwell")
    seen: list[str] = [CLIENT_SECRET, PASSWORD]
    c = client(ns)
    first = c.token()
    seen += [first.access_token, first.refresh_token or "-"]
    time.sleep(1.1)  # past the renewal point of a 2 s token: renewal with the refresh token
    second = c.token()
    seen += [second.access_token, second.refresh_token or "-"]
    c.invalidate()
    seen += [c.token().access_token]
    with pytest.raises(tokenwell.OAuthError) as info:
        client(ns, password="Tw-py-hyg-wrong-6", cache_key="py-hyg-wrong").token()
    seen.append("Tw-py-hyg-wrong-6")
    assert info.value.error == "invalid_grant"
    with pytest.raises(tokenwell.NetworkError):
        client(ns, token_url="http://127.0.0.1:9/token").token()

    records = [r for r in caplog.records if r.name.startswith("tokenwell")]
    levels = {r.levelno for r in records}
    assert logging.DEBUG in levels and logging.WARNING in levels, [(r.levelname, r.getMessage()) for r in records]
    for r in records:
        text = r.getMessage() + str(r.args) + r.name
        for s in seen:
            assert s not in text, f"{r.levelname} record {r.name} shows a secret"


def test_reprs_carry_no_secret(ns: Namespace) -> None:
    setup_ns(ns)
    c = client(ns)
    tok = c.token()
    for text in (repr(c), str(c), repr(tok), str(tok), repr(c.requests_auth()), repr(c.httpx_auth())):
        for s in (CLIENT_SECRET, PASSWORD, tok.access_token, tok.refresh_token or "-"):
            assert s not in text, text
    assert "redacted" in repr(tok) and "Bearer" in repr(tok)


def test_error_texts_carry_no_secret(ns: Namespace) -> None:
    setup_ns(ns)
    # A server that echoes the credentials back in its error (some do): the core scrubs them.
    ns.script({"status": 400, "json": {"error": "invalid_grant",
                                       "error_description": f"bad password {PASSWORD} for secret {CLIENT_SECRET}"}},
              {"status": 500, "body": f"<html>{PASSWORD}</html>", "content_type": "text/html"})
    with pytest.raises(tokenwell.OAuthError) as info:
        client(ns).token()
    with pytest.raises(tokenwell.HTTPError) as http_info:
        client(ns, cache_key="py-hyg-http").token()
    for err in (info.value, http_info.value):
        for text in texts_of(err) + [err.error_description or "", err.body or ""]:
            assert PASSWORD not in text and CLIENT_SECRET not in text, text


def test_config_errors_do_not_echo_values() -> None:
    with pytest.raises(tokenwell.ConfigError) as info:
        tokenwell.Client(token_url="https://x/t", client_id="a", leeway="Tw-py-hyg-value-6")
    assert "Tw-py-hyg-value-6" not in str(info.value) + repr(info.value)


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_logger_level_is_read_when_token_waits(ns: Namespace) -> None:
    # Records below the `tokenwell` loggers' level are dropped on tokenwell's threads without the
    # GIL; the level is read again whenever token() has to wait, so a level lowered since is seen.
    setup_ns(ns)
    logger = logging.getLogger("tokenwell")
    keep, before = _Keep(), logger.level
    logger.addHandler(keep)
    try:
        logger.setLevel(logging.WARNING)
        c = client(ns, cache_key="py-hyg-level")
        assert c.token().access_token
        assert [r.levelno for r in keep.records if r.levelno < logging.WARNING] == []
        logger.setLevel(logging.DEBUG)
        c.invalidate()
        assert c.token().access_token
        debug = [r.getMessage() for r in keep.records if r.levelno == logging.DEBUG]
        assert any(m.startswith("tokenwell: requesting a token") for m in debug), debug
        # Warnings are handed over whatever the level was at the last wait: the level read at a
        # wait is ERROR, then lowered to WARNING; a refresh-ahead renewal started by a warm call
        # (no wait, no new read) fails, and its warning arrives.
        setup_ns(ns, expires_in=8)  # R at 4 s (leeway capped at half), A at 3 s
        logger.setLevel(logging.ERROR)
        c.invalidate()
        assert c.token().access_token  # a wait: the level read is ERROR
        logger.setLevel(logging.WARNING)
        keep.records.clear()
        ns.script({"status": 500, "body": "down", "content_type": "text/plain"})
        time.sleep(3.2)  # past A, before R
        assert c.token().access_token  # the cached token; starts the background renewal
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(r.levelno == logging.WARNING for r in keep.records):
            time.sleep(0.02)
        assert any(r.levelno == logging.WARNING for r in keep.records), [r.getMessage() for r in keep.records]
    finally:
        logger.removeHandler(keep)
        logger.setLevel(before)
