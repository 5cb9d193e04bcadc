"""The authenticator base class and the ones with static credentials: none, a bearer
token the application manages, HTTP Basic."""

from __future__ import annotations

import abc
import base64
import enum
from collections.abc import Callable
from typing import Literal

from watson_async.protocol.secret import SecretStr


def _check_secret(name: str, value: object) -> str:
    """Catch the usual copy-paste mistakes without ever echoing the secret."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    if value != value.strip():
        raise ValueError(f"{name} has leading or trailing whitespace; check how it was copied")
    if value[0] in "{\"'" or value[-1] in "}\"'":
        raise ValueError(f"{name} starts or ends with a brace or quote; remove them")
    return value


class NotReady(enum.Enum):
    """What :meth:`Authenticator._ready` returns when the header needs waiting for."""

    NOT_READY = "not ready"


NOT_READY = NotReady.NOT_READY
#: ``_ready()``: the header (a ``SecretStr``) or ``None`` at once, else ``NOT_READY``.
Ready = Callable[[], "str | Literal[NotReady.NOT_READY] | None"]


class Authenticator(abc.ABC):
    """Base class: provides the ``Authorization`` header value for each request."""

    @abc.abstractmethod
    async def authorization(self) -> str | None:
        """The ``Authorization`` header value to send, or ``None`` for no header."""

    def _ready(self) -> str | Literal[NotReady.NOT_READY] | None:
        """What :meth:`authorization` would return, when that needs no waiting (a
        ``SecretStr`` or ``None``), else ``NOT_READY``: a call skips a coroutine when
        the header is at hand. Only the package's authenticators answer; a subclass that
        overrides :meth:`authorization` is always awaited (see :func:`ready_of`)."""
        return NOT_READY

    async def invalidate(self, rejected: str | None) -> bool:
        """The service answered 401 to a request sent with ``rejected`` as its header.

        Return True when a new header is now available and the request is worth sending
        once more; the default (static credentials) is False.
        """
        return False

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most need nothing
        """Release what the authenticator holds (connections, tasks). Idempotent."""


def ready_of(authenticator: Authenticator) -> Ready | None:
    """``authenticator._ready``, if the class that gives it :meth:`authorization` also
    gives it ``_ready`` (a subclass's own ``authorization`` must be awaited)."""
    if _defines(type(authenticator), "authorization") is _defines(type(authenticator), "_ready"):
        return authenticator._ready
    return None


def _defines(cls: type, name: str) -> type | None:
    return next((c for c in cls.__mro__ if name in c.__dict__), None)


class NoAuthAuthenticator(Authenticator):
    """Sends no ``Authorization`` header."""

    async def authorization(self) -> str | None:
        return None

    def _ready(self) -> str | Literal[NotReady.NOT_READY] | None:
        return None

    def __repr__(self) -> str:
        return "NoAuthAuthenticator()"


class BearerTokenAuthenticator(Authenticator):
    """Sends ``Authorization: Bearer <token>`` with a token managed by the application.

    Call :meth:`set_bearer_token` when you have a new one; calls already in flight keep
    the token they started with.
    """

    def __init__(self, bearer_token: str) -> None:
        self._header = SecretStr("Bearer " + _check_secret("bearer_token", bearer_token))

    def set_bearer_token(self, bearer_token: str) -> None:
        """Replace the token used by later requests."""
        self._header = SecretStr("Bearer " + _check_secret("bearer_token", bearer_token))

    async def authorization(self) -> str | None:
        return self._header

    def _ready(self) -> str | Literal[NotReady.NOT_READY] | None:
        return self._header

    def __repr__(self) -> str:
        return "BearerTokenAuthenticator(bearer_token=<hidden>)"


class BasicAuthenticator(Authenticator):
    """Sends HTTP Basic credentials (``username="apikey"`` with an API key works too)."""

    def __init__(self, username: str, password: str) -> None:
        self._username = _check_secret("username", username)
        if ":" in username:
            raise ValueError("username must not contain ':'")
        token = f"{username}:{_check_secret('password', password)}".encode()
        self._header = SecretStr("Basic " + base64.b64encode(token).decode("ascii"))

    async def authorization(self) -> str | None:
        return self._header

    def _ready(self) -> str | Literal[NotReady.NOT_READY] | None:
        return self._header

    def __repr__(self) -> str:
        return f"BasicAuthenticator(username={self._username!r}, password=<hidden>)"
