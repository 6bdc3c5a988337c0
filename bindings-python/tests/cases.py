"""The runner of the shared JSON cases (tests/vectors/README.md, and the fault matrix's
additions in tests/faults/README.md) through the Python API; core/tests/common/runner.rs is the
reference. test_vectors.py and test_faults.py are its two front ends."""

from __future__ import annotations

import email.utils
import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import tokenwell
from conftest import http_json

TOLERANCE_S = 5.0


def load(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """The cases of a folder, by file name; their environment is set once (names are unique
    across cases), before any client exists."""
    out = []
    for path in sorted(folder.glob("*.json")):
        v = json.loads(path.read_text())
        for name, value in (v.get("env") or {}).items():
            os.environ[name] = value
        out.append((path.stem, v))
    return out


class Subst:
    """The placeholders of a case (vector README step 4): `{server}`, `{tmp}`, plus the fault
    matrix's `{front}`, `{front_ca}` and `{http_date±N}` (faults README "Substitution")."""

    def __init__(self, pairs: dict[str, str], dates: bool = False) -> None:
        self.pairs = pairs
        self.dates = dates

    def __call__(self, v: Any) -> Any:
        if isinstance(v, str):
            for k, x in self.pairs.items():
                v = v.replace(k, x)
            return HTTP_DATE.sub(_http_date, v) if self.dates else v
        if isinstance(v, list):
            return [self(x) for x in v]
        if isinstance(v, dict):
            return {k: self(x) for k, x in v.items()}
        return v


HTTP_DATE = re.compile(r"\{http_date([+-]\d+)\}")


def _http_date(m: re.Match[str]) -> str:
    return email.utils.formatdate(time.time() + int(m.group(1)), usegmt=True)


def secret_strings(v: dict[str, Any]) -> list[str]:
    out: list[str] = []

    def from_config(c: dict[str, Any]) -> None:
        for key in ("client_secret", "password", "refresh_token", "cache_secret"):
            if isinstance(c.get(key), str):
                out.append(c[key])

    from_config(v["config"])
    calls = v.get("calls")
    if isinstance(calls, list):
        for call in calls:
            from_config(call.get("config_patch") or {})
    out.extend(x for x in (v.get("env") or {}).values() if isinstance(x, str))
    for name, content in (v.get("files") or {}).items():
        if not name.endswith(".pem"):
            out.append(content.rstrip())
    for answer in v.get("answers") or []:
        body = answer.get("json")
        if isinstance(body, dict):
            for key in ("access_token", "refresh_token", "id_token"):
                if isinstance(body.get(key), str):
                    out.append(body[key])
    out.extend(v.get("secrets") or [])
    return [s for s in out if s]


def error_texts(err: BaseException) -> list[str]:
    """Everything an exception shows: str, repr and args of it and of every exception in its
    cause chain, and the server-provided fields of a tokenwell error."""
    texts = []
    e: Optional[BaseException] = err
    while e is not None:
        texts += [str(e), repr(e), *(repr(a) for a in e.args)]
        if isinstance(e, tokenwell.Error):
            texts += [x for x in (e.message, e.error_description, e.error_uri, e.body) if x]
        e = e.__cause__
    return texts


def value_matches(want: Any, got: Any) -> bool:
    if want == "*":
        return True
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(value_matches(want[k], got[k]) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(value_matches(a, b) for a, b in zip(want, got))
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got  # JSON true is not 1
    return bool(want == got)


def secs_until(t: datetime) -> float:
    return (t - datetime.now(timezone.utc)).total_seconds()


class Checker:
    def __init__(self, secrets: list[str]) -> None:
        self.fails: list[str] = []
        self.secrets = secrets
        # Every text a check looked at (errors, reprs), for a matrix-wide secret scan.
        self.texts: list[str] = []
        # Every access and refresh token a call returned.
        self.seen: list[str] = []
        # Seconds from just before the client was built until the last call returned.
        self.elapsed: Optional[float] = None

    def fail(self, msg: str) -> None:
        self.fails.append(msg)

    def no_secrets(self, texts: list[str], what: str) -> None:
        self.texts += texts
        for text in texts:
            for s in self.secrets:
                if s in text:
                    self.fail(f"{what} contains the secret {s!r}: {text!r}")

    def opt(self, field: str, got: Optional[str], want: Any, what: str) -> None:
        if want is None:
            if got is not None:
                self.fail(f"{what}: {field} should be absent, is present")
        elif want == "*":
            if got is None:
                self.fail(f"{what}: {field} should be present, is absent")
        elif got != want:
            self.fail(f"{what}: {field} is {got!r}, expected {want!r}")

    def token(self, tok: tokenwell.Token, et: dict[str, Any], what: str) -> None:
        at = tok.access_token
        if "access_token" in et:
            want = et["access_token"]
            if want == "*":
                if not at:
                    self.fail(f"{what}: access_token is empty")
            elif at != want:
                self.fail(f"{what}: access_token is {at!r}, expected {want!r}")
        if "token_type" in et and tok.token_type != et["token_type"]:
            self.fail(f"{what}: token_type is {tok.token_type!r}, expected {et['token_type']!r}")
        if "expires_in" in et:
            got = secs_until(tok.expires_at)
            if abs(got - et["expires_in"]) > TOLERANCE_S:
                self.fail(f"{what}: expires in {got:.1f} s, expected {et['expires_in']}")
            if abs(tok.expires_in - got) > 1:
                self.fail(f"{what}: expires_in {tok.expires_in} disagrees with expires_at ({got})")
        for field in ("refresh_token", "scope", "id_token"):
            if field in et:
                self.opt(field, getattr(tok, field), et[field], what)
        if "refresh_expires_in" in et:
            want = et["refresh_expires_in"]
            rexp = tok.refresh_expires_at
            if want is None:
                if rexp is not None:
                    self.fail(f"{what}: refresh_expires_at should be absent")
            elif rexp is None:
                self.fail(f"{what}: refresh_expires_at is absent")
            elif abs(secs_until(rexp) - want) > TOLERANCE_S:
                self.fail(f"{what}: refresh token expires in {secs_until(rexp):.1f} s, expected {want}")
        if isinstance(et.get("extra"), dict):
            extra = tok.extra
            for k, want in et["extra"].items():
                if k not in extra:
                    self.fail(f"{what}: extra has no {k!r} (has {sorted(extra)})")
                elif not value_matches(want, extra[k]):
                    self.fail(f"{what}: extra[{k!r}] is {extra[k]!r}, expected {want!r}")
        if tok.authorization != f"Bearer {at}":
            self.fail(f"{what}: authorization is not 'Bearer <access_token>'")
        if tok.expires_at.tzinfo is None:
            self.fail(f"{what}: expires_at is a naive datetime")
        for text in (repr(tok), str(tok)):
            self.texts.append(text)
            if at and at in text:
                self.fail(f"{what}: repr/str of the Token shows the access token")
            if tok.refresh_token and tok.refresh_token in text:
                self.fail(f"{what}: repr/str of the Token shows the refresh token")

    def error(self, err: BaseException, ee: dict[str, Any], what: str) -> None:
        if not isinstance(err, tokenwell.Error):
            self.fail(f"{what}: raised {type(err).__name__}, not a tokenwell.Error: {err}")
            return
        summary = f"code {err.code} key {err.key} status {err.status} error {err.error}: {err}"
        if "code" in ee and err.code != ee["code"]:
            self.fail(f"{what}: error code {err.code}, expected {ee['code']} ({summary})")
        cls = {"config": tokenwell.ConfigError, "oauth": tokenwell.OAuthError, "http": tokenwell.HTTPError,
               "network": tokenwell.NetworkError, "timeout": tokenwell.TimeoutError,
               "invalid_response": tokenwell.InvalidResponseError, "cache": tokenwell.CacheError,
               "internal": tokenwell.InternalError}.get(err.code)
        if cls is not None and not isinstance(err, cls):
            self.fail(f"{what}: code {err.code} raised as {type(err).__name__}")
        for field in ("key", "error", "error_description", "error_uri", "body", "status"):
            if field in ee and getattr(err, field) != ee[field]:
                self.fail(f"{what}: error {field} is {getattr(err, field)!r}, expected {ee[field]!r} ({summary})")
        if "body_starts_with" in ee and not (err.body or "").startswith(ee["body_starts_with"]):
            self.fail(f"{what}: error body {err.body!r} does not start with {ee['body_starts_with']!r}")
        if "message_contains" in ee and ee["message_contains"] not in str(err):
            self.fail(f"{what}: error message {str(err)!r} does not contain {ee['message_contains']!r}")
        self.no_secrets(error_texts(err), f"{what}: error")

    def result(self, r: Any, exp: dict[str, Any], what: str) -> None:
        if isinstance(r, BaseException):
            if "error" in exp:
                self.error(r, exp["error"], what)
            else:
                code = getattr(r, "code", type(r).__name__)
                self.fail(f"{what}: expected a token, got error {code}: {r}")
                self.no_secrets(error_texts(r), f"{what}: error")
        elif "token" in exp:
            self.token(r, exp["token"], what)
        else:
            self.fail(f"{what}: got a token, expected error {exp.get('error')}")

    def requests(self, v: dict[str, Any], stem: str, records: list[Any]) -> None:
        want = v.get("requests") or []
        if len(records) != len(want):
            seen = "; ".join(f"{r['method']} {r['path']}" for r in records)
            self.fail(f"server recorded {len(records)} token requests, expected {len(want)}: [{seen}]")
        prefix = f"/t/{stem}"
        prev_at = None
        for i, (w, g) in enumerate(zip(want, records), 1):
            what = f"request {i}"
            if "method" in w and g["method"] != w["method"]:
                self.fail(f"{what}: method {g['method']}, expected {w['method']}")
            if "path" in w:
                gp = g["path"][len(prefix):] if g["path"].startswith(prefix) else g["path"]
                if gp != w["path"]:
                    self.fail(f"{what}: path {gp!r}, expected {w['path']!r}")
            headers = g.get("headers") or {}
            for name, wv in (w.get("headers") or {}).items():
                gv = headers.get(name.lower())
                if gv is None:
                    self.fail(f"{what}: header {name} missing")
                elif wv != "*" and gv != wv:
                    self.fail(f"{what}: header {name} is {gv!r}, expected {wv!r}")
            for name in w.get("absent_headers") or []:
                if name.lower() in headers:
                    self.fail(f"{what}: header {name} should be absent, is {headers[name.lower()]!r}")
            for body in ("form", "json"):
                if body in w:
                    gb = g.get(body)
                    if not isinstance(gb, dict):
                        self.fail(f"{what}: expected a {body} body, server recorded {gb!r} ({g.get('content_type')})")
                    elif not value_matches(w[body], gb):
                        self.fail(f"{what}: {body} body is {gb!r}, expected {w[body]!r}")
            if "basic" in w and g.get("basic") != w["basic"]:
                self.fail(f"{what}: Basic credentials {g.get('basic')!r}, expected {w['basic']!r}")
            at = g.get("at_ms")
            if "min_gap_ms" in w:
                if prev_at is None or at is None:
                    self.fail(f"{what}: at_ms missing for min_gap_ms")
                elif at - prev_at < w["min_gap_ms"]:
                    self.fail(f"{what}: came {at - prev_at:.0f} ms after the previous one, expected at least {w['min_gap_ms']}")
            prev_at = at


def call_list(v: dict[str, Any]) -> list[dict[str, Any]]:
    calls = v.get("calls", 1)
    return [{} for _ in range(calls)] if isinstance(calls, int) else list(calls)


def attempt(client: tokenwell.Client) -> Any:
    try:
        return client.token()
    except Exception as e:  # noqa: BLE001 - the checks look at whatever came back
        return e


def run_calls(v: dict[str, Any], client: tokenwell.Client, config: dict[str, Any], subst: Subst,
              check: Checker) -> list[str]:
    seen: list[str] = []
    prev: Optional[str] = None
    for n, call in enumerate(call_list(v), 1):
        if call.get("sleep_ms"):
            time.sleep(call["sleep_ms"] / 1000)
        patch = call.get("config_patch")
        if n > 1 and (patch is not None or call.get("new_client")):
            cfg = {**config, **subst(patch or {})}
            try:
                client = tokenwell.Client.from_dict(cfg)
            except tokenwell.Error as e:
                check.fail(f"call {n}: building the new client failed: {e.code} {e}")
                check.no_secrets(error_texts(e), f"call {n}: construction error")
                return seen
            check.no_secrets([repr(client), str(client)], f"call {n}: repr of the Client")
        if call.get("invalidate"):
            client.invalidate()
        exp = call.get("expect") or v["expect"]
        parallel = max(1, int(call.get("parallel", 1)))
        if parallel > 1:
            with ThreadPoolExecutor(parallel) as pool:
                results = list(pool.map(attempt, [client] * parallel))
        else:
            results = [attempt(client)]
        what = f"call {n}" + (f" (parallel {parallel})" if parallel > 1 else "")
        for j, r in enumerate(results, 1):
            check.result(r, exp, f"{what} #{j}" if parallel > 1 else what)
        tokens = [r for r in results if isinstance(r, tokenwell.Token)]
        for t in tokens:
            seen.append(t.access_token)
            if t.refresh_token:
                seen.append(t.refresh_token)
        if len({t.access_token for t in tokens}) > 1:
            check.fail(f"{what}: concurrent calls returned different access tokens")
        this = results[0].access_token if isinstance(results[0], tokenwell.Token) else None
        rel = call.get("token_vs_previous")
        if n > 1 and rel:
            if prev is None or this is None:
                check.fail(f"{what}: token_vs_previous {rel} needs tokens from both calls")
            elif rel == "same" and prev != this:
                check.fail(f"{what}: expected the previous call's access token, got a new one")
            elif rel == "different" and prev == this:
                check.fail(f"{what}: expected a new access token, got the previous call's")
        prev = this
    return seen


def tmp_has_no_tokens(tmp: Path, tokens: list[str], check: Checker) -> None:
    files = [p for p in tmp.rglob("*") if p.is_file()]
    if not files:
        check.fail(f"tmp_no_tokens: no file was written under {tmp}")
    for p in files:
        text = p.read_bytes().decode("utf-8", "replace")
        for t in tokens:
            if t and t in text:
                check.fail(f"{p} holds a token in the clear")


def run_case(root: str, stem: str, v: dict[str, Any], more: Optional[dict[str, str]] = None,
             answers_subst: bool = False) -> Checker:
    """README "Running a vector", steps 1-10; `more` adds placeholders, `answers_subst` also
    substitutes in `answers` (the fault matrix). The returned Checker holds the failed checks."""
    url = f"{root}/t/{stem}"
    tmp = Path(tempfile.mkdtemp(prefix=f"tokenwell-py-{stem}-"))
    check = Checker(secret_strings(v))
    subst = Subst({"{server}": url, "{tmp}": str(tmp), **(more or {})}, dates=answers_subst)
    try:
        for name, content in (v.get("files") or {}).items():
            (tmp / name).write_bytes(content.encode())
        http_json("POST", f"{url}/_reset", {})
        if "setup" in v:
            http_json("POST", f"{url}/_control", v["setup"])
        if "answers" in v:
            answers = subst(v["answers"]) if answers_subst else v["answers"]
            http_json("POST", f"{url}/_script", {"answers": answers})
        config = subst(v["config"])
        expect = v["expect"]
        config_error_expected = (expect.get("error") or {}).get("code") == "config"
        started = time.monotonic()
        try:
            client = tokenwell.Client(**config)
        except Exception as e:  # noqa: BLE001
            if config_error_expected:
                check.error(e, expect["error"], "construction")
            else:
                check.fail(f"construction failed: {getattr(e, 'code', type(e).__name__)} {e}")
                check.no_secrets(error_texts(e), "construction error")
        else:
            if config_error_expected:
                check.fail(f"construction succeeded, expected {expect['error']}")
            else:
                check.no_secrets([repr(client), str(client)], "repr of the Client")
                check.seen = run_calls(v, client, config, subst, check)
                if v.get("tmp_no_tokens"):
                    tmp_has_no_tokens(tmp, check.seen, check)
        check.elapsed = time.monotonic() - started
        if v.get("settle_ms"):
            time.sleep(v["settle_ms"] / 1000)
        check.requests(v, stem, http_json("GET", f"{url}/_requests"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check
