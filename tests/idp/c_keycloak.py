#!/usr/bin/env python3
"""Conformance of the C library (libtokenwell) against a real Keycloak (tests/idp): the rows of
the Python suite (bindings-python/tests/test_keycloak.py, itself the rows of
core/tests/keycloak.rs) with every token, invalidate and cached call made through the C API by
tests/idp/keycloak_c.c, and single flight with 16 pthreads on 8 clients. Usage:
c_keycloak.py PATH/TO/keycloak_c. Skipped (exit 0) unless TOKENWELL_KEYCLOAK_URL is set.
Needs pytest importable (the Python suite uses pytest.raises)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[2]
DRIVER = str(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target/idp-c/keycloak_c").resolve())


class Error(Exception):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer.get("message") or "")
        self.code = answer.get("code")
        self.status = answer.get("status") or None
        self.error = answer.get("error")
        self.error_description = answer.get("error_description")
        self.key = answer.get("key")


class OAuthError(Error):
    pass


def utc(seconds: int) -> Optional[datetime.datetime]:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc) if seconds else None


class Token:
    """A token the C library returned (tw_token_*), with the Python binding's attribute names."""

    def __init__(self, a: dict[str, Any]) -> None:
        self.access_token: str = a["access_token"]
        self.token_type: str = a["token_type"]
        self.authorization: str = a["authorization"]
        self.expires_at = utc(a["expires_at"])
        self._expires_at = a["expires_at"]
        self.refresh_token: Optional[str] = a["refresh_token"]
        self.refresh_expires_at = utc(a["refresh_expires_at"])
        self.scope: Optional[str] = a["scope"]
        self.id_token: Optional[str] = a["id_token"]

    @property
    def expires_in(self) -> float:
        return float(self._expires_at - time.time())

    def __repr__(self) -> str:
        return f"<C token {self.token_type}, expires {self.expires_at}>"


class Driver:
    """One keycloak_c process: its clients share the process-wide caches, like a C program's."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lock = threading.Lock()
        self.n = 0

    def call(self, *words: str) -> dict[str, Any]:
        with self.lock:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(" ".join(words) + "\n")
            self.proc.stdin.flush()
            answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
            return answer


# Each thread drives its own process: the 60 s renewal rows run beside the others.
_drivers = threading.local()
_all_drivers: list[Driver] = []


def driver() -> Driver:
    if not hasattr(_drivers, "d"):
        _drivers.d = Driver()
        _all_drivers.append(_drivers.d)
    return _drivers.d  # type: ignore[no-any-return]


class Client:
    """tokenwell.Client's interface over tw_client_*: the rows call token(), cached(), invalidate()."""

    def __init__(self, **config: Any) -> None:
        self.driver = driver()
        self.driver.n += 1
        self.key = f"c{self.driver.n}"
        self.config_key = config.get("cache_key", "")
        self._seen: dict[str, Token] = {}
        a = self.driver.call("new", self.key, json.dumps({k: v for k, v in config.items() if v is not None}))
        if not a["ok"]:
            raise Error(a)

    def _token(self, a: dict[str, Any]) -> Token:
        if not a["ok"]:
            raise (OAuthError if a.get("code") == "oauth" else Error)(a)
        # The same token comes back as the same object, as from the Python binding.
        return self._seen.setdefault(a["access_token"], Token(a))

    def token(self) -> Token:
        return self._token(self.driver.call("token", self.key))

    def cached(self) -> Optional[Token]:
        a = self.driver.call("cached", self.key)
        return None if a.get("none") else self._token(a)

    def invalidate(self) -> None:
        self.driver.call("invalidate", self.key)

    def __repr__(self) -> str:
        return f"<C client {self.config_key}>"


def single_flight() -> str:
    rows = sys.modules["test_keycloak"]
    config = dict(preset="keycloak", base_url=rows.URL, realm=rows.BINARLY, client_id=rows.M2M[0],
                  client_secret=rows.M2M[1], cache_key="kc-c-single-flight")
    since = rows.now_ms()
    clients = [Client(**config) for _ in range(8)]
    a = driver().call("parallel", "16", *(c.key for c in clients))
    assert a == {"ok": True, "tokens": 1, "errors": 0}, a
    rows.events_until(rows.BINARLY, rows.M2M[0], since, lambda e: rows.count(e, "CLIENT_LOGIN") >= 1)
    time.sleep(0.3)  # a stray second request would show by now
    assert rows.count(rows.events(rows.BINARLY, rows.M2M[0], since), "CLIENT_LOGIN") == 1
    return "16 pthreads (8 clients) → 1 request to Keycloak"


def main() -> int:
    if not os.environ.get("TOKENWELL_KEYCLOAK_URL"):
        print("keycloak conformance (C): skipped, TOKENWELL_KEYCLOAK_URL is not set (make test starts Keycloak)")
        return 0
    binding = types.ModuleType("tokenwell")
    binding.__dict__.update(Client=Client, Token=Token, Error=Error, OAuthError=OAuthError)
    sys.modules["tokenwell"] = binding
    sys.path.insert(0, str(ROOT / "bindings-python/tests"))
    import test_keycloak as rows  # type: ignore[import-not-found]  # the rows, now calling the C library

    def client(key: str, **config: Any) -> Client:
        return Client(cache_key=f"kc-c-{key}", **config)

    rows.client = client
    table = [(name, single_flight if name == "single flight against Keycloak" else row) for name, row in rows.ROWS]
    results: dict[str, tuple[bool, str]] = {}
    threads = [threading.Thread(target=lambda n=n, r=r: results.__setitem__(n, rows.outcome(r)))
               for n, r in rows.RENEWALS]
    for th in threads:
        th.start()
    for name, row in table:
        results[name] = rows.outcome(row)
    for th in threads:
        th.join(timeout=90)
    names = [n for n, _ in rows.ROWS + rows.RENEWALS]
    width = max(len(n) for n in names)
    print(f"\nKeycloak conformance (C: libtokenwell through {os.path.relpath(DRIVER, ROOT)}) against {rows.URL}")
    failed = 0
    for n in names:
        ok, detail = results.get(n, (False, "did not finish"))
        failed += not ok
        print(f"  {n.ljust(width)}  {'pass' if ok else 'FAIL'}  {detail}")
    print(f"keycloak conformance (C): {len(names) - failed} passed, {failed} failed\n")
    for d in _all_drivers:
        d.proc.stdin.close()  # type: ignore[union-attr]
        d.proc.wait(timeout=10)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
