"""Whether Redis may be asked: every operation bounded, failures backed off, and the
fleet left and rejoined with an event and a log line. Shared by the token cache and the
rate-limit gate (each has one :class:`RedisHealth`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.exceptions as _rexc

from watson_async.resilience.gates import FleetEvent

__all__ = ["RedisHealth", "Unavailable"]

_log = logging.getLogger("watson_async.redis")
_T = TypeVar("_T")

# What a Redis operation may raise when Redis is down, slow, restarted or refuses the
# command (NOSCRIPT after a restart without the script, NOPERM from an ACL, an unknown
# EVALSHA): all of it means "run alone for now", none of it reaches the caller.
_ERRORS = (_rexc.RedisError, OSError, asyncio.TimeoutError, TimeoutError)


class Unavailable(Exception):
    """Redis may not be asked now, or didn't answer usefully: use the local fallback."""


class RedisHealth:
    """Runs Redis operations for one component, each bounded by ``op_timeout``.

    After a failure the component is *alone*: operations fail at once with
    :class:`Unavailable` (so calls don't each pay ``op_timeout`` while Redis is down)
    until a probe is due, ``backoff`` seconds later, doubling on each failed probe up to
    ``max_backoff``. One operation at a time probes; its success rejoins. Leaving and
    rejoining are each said once: a :class:`~watson_async.FleetEvent` to ``on_event`` and
    a ``WARNING`` / ``INFO`` line on the ``watson_async.redis`` logger.

    This is a circuit breaker rather than a retry loop: nothing is repeated, the caller
    goes on with its local fallback at once.
    """

    def __init__(
        self,
        component: str,
        *,
        op_timeout: float,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[FleetEvent], None] | None = None,
    ) -> None:
        for name, value in (
            ("op_timeout", op_timeout),
            ("backoff", backoff),
            ("max_backoff", max_backoff),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self.component = component
        self._op_timeout = float(op_timeout)
        self._backoff = float(backoff)
        self._max_backoff = max(float(max_backoff), self._backoff)
        self._clock = clock
        self.on_event = on_event
        self._failures = 0  # consecutive; 0: Redis is used
        self._probe_at = 0.0
        self._probing = False

    @property
    def available(self) -> bool:
        """False from a failed operation until one succeeds again."""
        return self._failures == 0

    def usable(self) -> bool:
        """Whether an operation may be tried now (Redis up, or a probe due)."""
        return self._failures == 0 or (not self._probing and self._clock() >= self._probe_at)

    async def run(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        """``operation()`` bounded by ``op_timeout``; :class:`Unavailable` when it
        fails, or without calling it while backing off."""
        probe = self._failures > 0
        if probe:
            if self._probing or self._clock() < self._probe_at:
                raise Unavailable
            self._probing = True
        try:
            result = await asyncio.wait_for(operation(), self._op_timeout)
        except _ERRORS as exc:
            self._failed(exc)
            raise Unavailable from None
        finally:
            if probe:
                self._probing = False
        if self._failures:
            self._failures = 0
            _log.info("Redis answers again: the %s is shared again", _what(self.component))
            self._emit("rejoined", "redis answers again")
        return result

    def _failed(self, exc: BaseException) -> None:
        self._failures += 1
        wait = min(self._max_backoff, self._backoff * 2.0 ** (self._failures - 1))
        self._probe_at = self._clock() + wait
        if self._failures == 1:
            reason = f"{type(exc).__name__}: {exc}"[:200]
            _log.warning(
                "Redis unavailable (%s): this process uses its own %s until it answers "
                "again (next try in %.1f s)",
                reason,
                _what(self.component),
                wait,
            )
            self._emit("fallback", reason)

    def _emit(self, state: str, reason: str) -> None:
        if self.on_event is not None:
            try:
                self.on_event(FleetEvent(self.component, state, reason))
            except Exception:
                _log.exception("on_event failed on a FleetEvent")


def _what(component: str) -> str:
    return "token" if component == "token_cache" else "rate-limit gate"
