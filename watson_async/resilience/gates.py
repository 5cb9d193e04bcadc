"""What ``AssistantClient(rate_limit_gate=...)`` accepts besides ``True`` and ``False``.

A gate object may be shared by several clients (of one process: a
:class:`~watson_async.RateLimitGate` of your own; of a fleet:
:class:`watson_async.redis.RedisRateLimitGate`). Each client :meth:`Gate.bind`s it once,
with its own reporting: the binding sends the gate's :class:`~watson_async.GateEvent`s
for that client's requests to that client's listeners, and on the client's
``aclose()`` ends that client's held requests (and only those) with
:class:`~watson_async.ClientClosedError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from watson_async.errors import ClientClosedError

if TYPE_CHECKING:
    from watson_async.resilience.retry import GateEvent, RateLimitGate, RateLimitState

__all__ = ["FleetEvent", "Gate", "GateBinding"]


@attrs.frozen
class FleetEvent:
    """A process leaves or rejoins its fleet's shared state in Redis.

    Reported by :class:`watson_async.redis.RedisRateLimitGate` (to the listeners of
    every client bound to it) and :class:`watson_async.redis.RedisTokenCache` (to its
    ``on_event``), and logged on ``watson_async.redis`` (``WARNING`` / ``INFO``).
    """

    component: str
    """``rate_limit_gate`` or ``token_cache``."""
    state: str
    """``fallback`` (Redis failed: this process uses its own gate or token until Redis
    answers again) or ``rejoined`` (Redis answered: shared again)."""
    reason: str
    """Why: the Redis failure's type and message (never a secret), or ``redis answers
    again``."""


@runtime_checkable
class GateBinding(Protocol):
    """One client's use of a gate: what the client calls around each attempt."""

    async def acquire(self, family: str) -> float:
        """Wait until a request of ``family`` may be sent; return the seconds waited."""
        ...

    def release(self, family: str) -> None:
        """An admitted request got no response (a transport error)."""
        ...

    def observe(self, family: str, status: int, headers: Any) -> None:
        """Learn from a response of ``family`` (its status and rate-limit headers)."""
        ...

    def state(self) -> dict[str, RateLimitState]:
        """A snapshot of every family the gate has heard about."""
        ...

    def close(self) -> None:
        """The client closed: its held requests end with ``ClientClosedError``."""
        ...


@runtime_checkable
class Gate(Protocol):
    """A gate object ``AssistantClient(rate_limit_gate=...)`` accepts."""

    def bind(
        self,
        on_wait: Callable[[GateEvent], None] | None = None,
        on_event: Callable[[FleetEvent], None] | None = None,
    ) -> GateBinding:
        """A binding for one client: ``on_wait`` gets the events of its held requests,
        ``on_event`` the gate's :class:`FleetEvent`s."""
        ...


class Binding:
    """:meth:`RateLimitGate.bind`'s binding: the gate's state and queues, this client's
    events and close."""

    __slots__ = ("__weakref__", "_gate", "closed", "on_event", "on_wait", "pending")

    def __init__(
        self,
        gate: RateLimitGate,
        on_wait: Callable[[GateEvent], None] | None,
        on_event: Callable[[FleetEvent], None] | None,
    ) -> None:
        self._gate = gate
        self.on_wait = on_wait
        self.on_event = on_event
        self.closed = False
        self.pending: set[asyncio.Future[None]] = set()  # this client's held requests

    def acquire(self, family: str) -> Any:
        """The gate's :meth:`~RateLimitGate.acquire` on behalf of this client."""
        return self._gate.acquire(family, self)

    def release(self, family: str) -> None:
        """As the gate's."""
        self._gate.release(family)

    def observe(self, family: str, status: int, headers: Any) -> None:
        """As the gate's."""
        self._gate.observe(family, status, headers)

    def state(self) -> dict[str, RateLimitState]:
        """As the gate's."""
        return self._gate.state()

    def close(self) -> None:
        """End this client's held requests with ``ClientClosedError`` (the other
        clients' wait on)."""
        self.closed = True
        for waiter in self.pending:
            if not waiter.done():
                waiter.set_exception(ClientClosedError())
        self.pending.clear()
        self._gate.reap()
