"""The exceptions tokenwell raises (DESIGN §4/§6). The native module raises them with their
attributes set and the Rust cause chain as ``__cause__``. Catch ``tokenwell.Error`` for all of
them and branch on ``.code``, never on the message text."""

from __future__ import annotations

import builtins

TYPE_CHECKING = False  # `typing` costs more to import than all of tokenwell
if TYPE_CHECKING:
    from typing import Optional

__all__ = [
    "Error",
    "ConfigError",
    "OAuthError",
    "HTTPError",
    "NetworkError",
    "TimeoutError",
    "InvalidResponseError",
    "CacheError",
    "InternalError",
    "RustError",
]


class Error(Exception):
    """A tokenwell error. ``code`` is one of ``config``, ``oauth``, ``http``, ``network``,
    ``timeout``, ``invalid_response``, ``cache``, ``internal``; the fields that do not apply
    to a code are None."""

    default_code = "internal"

    code: str
    message: str
    key: Optional[str]
    status: Optional[int]
    error: Optional[str]
    error_description: Optional[str]
    error_uri: Optional[str]
    body: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        key: Optional[str] = None,
        status: Optional[int] = None,
        error: Optional[str] = None,
        error_description: Optional[str] = None,
        error_uri: Optional[str] = None,
        body: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.key = key
        self.status = status
        self.error = error
        self.error_description = error_description
        self.error_uri = error_uri
        self.body = body


class ConfigError(Error, ValueError):
    """Bad or missing configuration, raised when the client is built; ``key`` names it."""

    default_code = "config"
    key: Optional[str]


class OAuthError(Error):
    """The token endpoint answered an RFC 6749 error: ``status``, ``error`` (e.g.
    ``invalid_grant``), ``error_description``, ``error_uri``."""

    default_code = "oauth"


class HTTPError(Error):
    """A non-2xx answer without an OAuth error body: ``status`` and the first 512 characters
    of ``body``."""

    default_code = "http"


class NetworkError(Error):
    """DNS, connect, TLS or a reset connection."""

    default_code = "network"


class TimeoutError(Error, builtins.TimeoutError):
    """A request took longer than ``timeout``. Also the built-in ``TimeoutError``."""

    default_code = "timeout"


class InvalidResponseError(Error):
    """A 2xx answer that is not a usable token."""

    default_code = "invalid_response"


class CacheError(Error):
    """The shared cache could not be read or written."""

    default_code = "cache"


class InternalError(Error):
    """A bug in tokenwell, caught before it could reach your program (a panic in the native
    module): the call failed, the process goes on. Please report it."""

    default_code = "internal"


class RustError(Exception):
    """One level of the Rust cause chain behind a tokenwell error (its ``__cause__``)."""


for _cls in (Error, ConfigError, OAuthError, HTTPError, NetworkError, TimeoutError,
             InvalidResponseError, CacheError, InternalError, RustError):
    _cls.__module__ = "tokenwell"
del _cls
