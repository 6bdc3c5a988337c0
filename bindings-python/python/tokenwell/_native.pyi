# Type stubs of the native module (src/*.rs). The public names are re-exported by tokenwell.
from datetime import datetime
from typing import Any, Callable, Optional, TypeVar, final

from typing_extensions import disjoint_base

__all__ = ["Client", "Token", "__version__"]

__version__: str

_C = TypeVar("_C", bound="Client")

@final
class Token:
    """An access token and what the server said about it. Printing it shows no token."""

    @property
    def access_token(self) -> str: ...
    @property
    def token_type(self) -> str: ...
    @property
    def authorization(self) -> str:
        """``"Bearer <access_token>"``: the ``Authorization`` header value."""
    @property
    def expires_at(self) -> datetime:
        """Aware UTC datetime."""
    @property
    def expires_in(self) -> float:
        """Seconds left until expiry (negative once expired)."""
    @property
    def refresh_token(self) -> Optional[str]: ...
    @property
    def refresh_expires_at(self) -> Optional[datetime]: ...
    @property
    def scope(self) -> Optional[str]: ...
    @property
    def id_token(self) -> Optional[str]: ...
    @property
    def extra(self) -> dict[str, Any]:
        """The other fields of the server's answer (a new dict on each access)."""

@disjoint_base
class Client:
    def __new__(cls: type[_C], **config: Any) -> _C: ...
    @classmethod
    def from_profile(cls: type[_C], name: Optional[str] = None) -> _C:
        """A client from ``[profiles.NAME]`` of ``$XDG_CONFIG_HOME/tokenwell/config.toml``
        (``${NAME}`` expanded; the ``file`` cache unless the profile names another)."""
    def token(self) -> Token:
        """A valid token: the cached one, or one fetch shared by every caller (GIL released)."""
    def cached(self) -> Optional[Token]:
        """The cached token if it is still valid, else None. No I/O."""
    def invalidate_if(self, token: Token) -> bool:
        """Drops the cached access token only if it is still ``token`` (the one a resource
        refused); returns whether it did."""
    def invalidate(self) -> None:
        """Drops the cached access token (the API answered 401); the refresh token stays."""
    @property
    def cache_key(self) -> str: ...
    def _try_token(self) -> Optional[Token]: ...
    def _notify(self, callback: Callable[[Optional[Token], Optional[BaseException]], None]) -> None: ...
