"""tokenwell: OAuth 2.0 bearer tokens from any token endpoint, fetched once, cached, shared by
every thread and task, and renewed before they expire.

    import tokenwell
    client = tokenwell.Client(preset="keycloak", base_url="https://sso.example.com",
                              realm="demo", client_id="svc", client_secret={"env": "SVC_SECRET"})
    token = client.token()                 # tokenwell.Token
    requests.get(url, auth=client.requests_auth())

Importing tokenwell imports neither requests nor httpx (nor asyncio); the helpers import them
when they are used.
"""

from ._client import Client
from ._errors import (
    CacheError,
    ConfigError,
    Error,
    HTTPError,
    InternalError,
    InvalidResponseError,
    NetworkError,
    OAuthError,
    RustError,
    TimeoutError,
)
from ._native import Token, __version__

__all__ = [
    "Client",
    "Token",
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
    "__version__",
]
