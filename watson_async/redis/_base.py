"""What :class:`RedisTokenCache` and :class:`RedisRateLimitGate` share: the namespace
check, the Redis client ``from_url`` makes, ownership, ``repr`` and availability."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

import redis.asyncio as _aioredis
import redis.exceptions as _rexc
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ._health import RedisHealth

__all__ = ["RedisUser", "check_namespace", "connect"]

_U = TypeVar("_U", bound="RedisUser")


def check_namespace(namespace: object) -> None:
    """``ValueError`` unless ``namespace`` can prefix Redis keys (printable, no spaces)."""
    if not isinstance(namespace, str):
        raise ValueError(f"namespace must be a string, not {type(namespace).__name__}")
    if not namespace.strip():
        raise ValueError("namespace must not be empty")
    if any(c.isspace() or not c.isprintable() for c in namespace):
        raise ValueError(f"namespace must not contain spaces or control characters: {namespace!r}")


def connect(url: object, op_timeout: object) -> _aioredis.Redis:
    """A Redis client for ``url`` (``redis://``, ``rediss://``, ``unix://``), its socket
    operations bounded by ``op_timeout``; ``ValueError`` for a malformed URL."""
    if not isinstance(url, str):
        raise ValueError(f"url must be a string, not {type(url).__name__}")
    if isinstance(op_timeout, bool) or not isinstance(op_timeout, (int, float)):
        raise ValueError(f"op_timeout must be a positive number, got {op_timeout!r}")
    try:
        return _aioredis.Redis.from_url(
            url,
            socket_timeout=op_timeout,
            socket_connect_timeout=op_timeout,
            # A pooled connection that died with a restarted Redis is replaced at once
            # (redis-py reconnects once), instead of costing a fallback and its back-off.
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[_rexc.ConnectionError],
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a usable Redis URL: {exc}") from None


class RedisUser:
    """A user of one Redis client under one namespace, through one :class:`RedisHealth`."""

    _redis: _aioredis.Redis
    _namespace: str
    _health: RedisHealth
    _owns_redis: bool

    def _use(self, redis: _aioredis.Redis, namespace: str, health: RedisHealth) -> None:
        self._redis = redis
        self._namespace = namespace
        self._health = health
        self._owns_redis = False

    @classmethod
    def from_url(cls: type[_U], url: str, *, namespace: str = "watson_async", **options: Any) -> _U:
        """One with a Redis client of its own, closed by its ``aclose()``.

        ``url`` is ``redis://``, ``rediss://`` or ``unix://``; a malformed one is a
        ``ValueError`` here. ``options`` are the class's keywords.
        """
        check_namespace(namespace)
        default = inspect.signature(cls).parameters["op_timeout"].default
        client = connect(url, options.get("op_timeout", default))
        made = cls(client, namespace=namespace, **options)  # type: ignore[call-arg]
        made._owns_redis = True
        return made

    def __repr__(self) -> str:
        return f"{type(self).__name__}(namespace={self._namespace!r})"

    @property
    def namespace(self) -> str:
        """The prefix of every key."""
        return self._namespace

    @property
    def available(self) -> bool:
        """False from a failed Redis operation until one succeeds again."""
        return self._health.available

    async def _close_owned(self) -> None:
        """Close the Redis client if :meth:`from_url` made it."""
        if self._owns_redis:
            self._owns_redis = False
            await self._redis.aclose()
