"""Checked by `mypy --strict` in `make test-python` (not run): the public API as a user's typed
code sees it, from the installed wheel's stubs and py.typed."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Optional

import httpx
import requests

import tokenwell


def build() -> tokenwell.Client:
    return tokenwell.Client(preset="keycloak", base_url="https://sso.example.com", realm="demo",
                            client_id="svc", client_secret={"env": "SVC_SECRET"}, scope=["a", "b"], leeway=10.5)


def fields(token: tokenwell.Token) -> tuple[str, str, datetime, float, Optional[str], dict[str, Any]]:
    return token.access_token, token.authorization, token.expires_at, token.expires_in, token.refresh_token, token.extra


def sync_use(client: tokenwell.Client) -> int:
    token: tokenwell.Token = client.token()
    cached: Optional[tokenwell.Token] = client.cached()
    client.invalidate()
    key: str = client.cache_key
    r = requests.get("https://api.example.com", auth=client.requests_auth(), timeout=10)
    h = httpx.get("https://api.example.com", auth=client.httpx_auth())
    return len(fields(token)) + (cached is None) + len(key) + r.status_code + h.status_code


async def async_use(client: tokenwell.Client) -> str:
    token = await client.token_async()
    async with httpx.AsyncClient(auth=client.httpx_auth()) as http:
        await http.get("https://api.example.com")
    return token.authorization


def errors() -> Optional[str]:
    try:
        client = tokenwell.Client.from_dict({"token_url": "https://sso.example.com/token"})
        tokenwell.Client.from_profile("svc")
        asyncio.run(async_use(client))
    except tokenwell.ConfigError as e:
        return e.key
    except tokenwell.OAuthError as e:
        return f"{e.status} {e.error} {e.error_description} {e.error_uri}"
    except tokenwell.HTTPError as e:
        return f"{e.status} {e.body}"
    except tokenwell.TimeoutError as e:
        builtin: TimeoutError = e
        return str(builtin)
    except tokenwell.Error as e:
        cause: Optional[BaseException] = e.__cause__
        return e.code + e.message + repr(cause)
    return None
