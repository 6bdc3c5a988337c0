"""``Client.httpx_auth()``: an ``auth=`` for httpx, sync and async (imported only when asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncGenerator, Generator

import httpx

if TYPE_CHECKING:
    from ._client import Client


class TokenwellAuth(httpx.Auth):
    """Sets ``Authorization`` from the client; on a 401, drops the token, gets a new one and
    sends the request once more. The second answer, 401 or not, goes to the caller. With an
    ``AsyncClient`` the token is awaited (``token_async``), never blocking the event loop."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.client.token()
        request.headers["Authorization"] = token.authorization
        response = yield request
        if response.status_code == 401:
            self.client.invalidate_if(token)
            request.headers["Authorization"] = self.client.token().authorization
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.client.token_async()
        request.headers["Authorization"] = token.authorization
        response = yield request
        if response.status_code == 401:
            self.client.invalidate_if(token)
            request.headers["Authorization"] = (await self.client.token_async()).authorization
            yield request

    def __repr__(self) -> str:
        return f"<tokenwell httpx auth for {self.client!r}>"
