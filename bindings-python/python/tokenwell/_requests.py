"""``Client.requests_auth()``: an ``auth=`` for requests (imported only when asked for)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import requests
from requests.auth import AuthBase
from requests.exceptions import UnrewindableBodyError
from requests.utils import rewind_body

if TYPE_CHECKING:
    from ._client import Client
    from ._native import Token


class TokenwellAuth(AuthBase):
    """Sets ``Authorization`` from the client; on a 401, drops the token, gets a new one and
    sends the request once more. The second answer, 401 or not, goes to the caller."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.client.token()
        r.headers["Authorization"] = token.authorization
        r.register_hook("response", functools.partial(self._retry_once, token))  # type: ignore[no-untyped-call]
        return r

    def _retry_once(self, sent: Token, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or response.connection is None:
            return response
        self.client.invalidate_if(sent)
        token = self.client.token()
        retry = response.request.copy()
        if retry.body is not None and not isinstance(retry.body, (bytes, str)):
            try:
                rewind_body(retry)  # a file or stream body: send it from the start again
            except UnrewindableBodyError:
                return response
        response.content  # noqa: B018 - read the body so the connection can be reused
        response.close()
        retry.headers["Authorization"] = token.authorization
        # The adapter sends without running response hooks, so this one runs only once.
        second: requests.Response = response.connection.send(retry, **kwargs)
        second.history.append(response)
        second.request = retry
        return second

    def __repr__(self) -> str:
        return f"<tokenwell requests auth for {self.client!r}>"
