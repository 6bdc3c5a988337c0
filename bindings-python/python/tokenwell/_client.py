"""The public ``tokenwell.Client``: the native client plus what is easier to write in Python
(``token_async`` on top of the core's runtime, the requests/httpx integrations, ``from_dict``).
The fast paths (``token()``, ``cached()``) are the native methods themselves."""

from __future__ import annotations

from . import _native

TYPE_CHECKING = False  # `typing` costs more to import than all of tokenwell
if TYPE_CHECKING:
    import asyncio
    from typing import Any, Mapping, Optional, TypeVar

    import httpx
    import requests.auth

    from ._native import Token

    _C = TypeVar("_C", bound="Client")


class Client(_native.Client):
    """Gets, caches and renews OAuth 2.0 tokens. Keyword arguments are the configuration keys
    (``token_url``, ``preset``, ``client_id``, ``client_secret``, ``grant``, ``scope``, …);
    secrets may also be ``{"env": "NAME"}`` or ``{"file": "/path"}``. Every configuration
    error is a ``tokenwell.ConfigError`` raised here, naming the key.

    Clients built from the same configuration share one token and one fetch, process-wide.
    """

    __slots__ = ()
    __module__ = "tokenwell"

    @classmethod
    def from_dict(cls: type[_C], config: Mapping[str, Any]) -> _C:
        """A client from a dict of configuration keys (as loaded from JSON or YAML)."""
        return cls(**dict(config))

    async def token_async(self) -> Token:
        """A valid token, without blocking the event loop. Cancelling the await gives up
        waiting; the fetch itself goes on (other callers share it)."""
        token = self._try_token()
        if token is not None:
            return token
        loop = _asyncio().get_running_loop()
        future: asyncio.Future[Token] = loop.create_future()
        self._notify(lambda token, error: _resolve(loop, future, token, error))
        return await future

    def requests_auth(self) -> requests.auth.AuthBase:
        """An ``auth=`` for requests: sets ``Authorization``; on a 401 it drops the token,
        gets a new one and retries the request once (a second 401 is returned as is)."""
        from ._requests import TokenwellAuth

        return TokenwellAuth(self)

    def httpx_auth(self) -> httpx.Auth:
        """An ``auth=`` for httpx (``Client`` and ``AsyncClient``), with the same 401 handling
        as ``requests_auth()``."""
        from ._httpx import TokenwellAuth

        return TokenwellAuth(self)


_asyncio_module: Optional[Any] = None


def _asyncio() -> Any:
    # asyncio takes longer to import than tokenwell itself; only token_async needs it.
    global _asyncio_module
    if _asyncio_module is None:
        import asyncio

        _asyncio_module = asyncio
    return _asyncio_module


def _resolve(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Token],
             token: Optional[Token], error: Optional[BaseException]) -> None:
    # Runs on one of tokenwell's threads: hand the result over to the loop's thread.
    try:
        loop.call_soon_threadsafe(_settle, future, token, error)
    except RuntimeError:
        pass  # the loop is closed: nobody is waiting any more


def _settle(future: asyncio.Future[Token], token: Optional[Token],
            error: Optional[BaseException]) -> None:
    if future.done():
        return  # cancelled while the fetch ran
    if error is not None:
        future.set_exception(error)
    elif token is not None:
        future.set_result(token)
