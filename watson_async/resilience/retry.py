"""Resilience: how hard the client tries, and the client-wide rate-limit gate.

:class:`RetryPolicy` says how hard the client tries (the loop that runs it, on
tenacity, is ``resilience/retrying.py``; what is retried and how long to wait are the
pure functions of ``protocol/wire.py``), the testing switch zeroes every wait, and
:class:`RateLimitGate` holds back every request of an endpoint family while the service
says its budget is spent, so concurrent coroutines don't each collect their own 429.
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
from attrs.validators import ge, gt

from watson_async.errors import ClientClosedError
from watson_async.protocol.wire import (
    RATE_LIMIT_LIMIT,
    RATE_LIMIT_REMAINING,
    RATE_LIMIT_RESET,
    header,
    parse_rate_limit,
    reset_seconds,
    retry_after_seconds,
)
from watson_async.resilience.gates import Binding, FleetEvent

__all__ = [
    "GateEvent",
    "RateLimitGate",
    "RateLimitState",
    "RetryEvent",
    "RetryPolicy",
    "is_testing",
    "set_testing",
]

T = TypeVar("T")


def _value_error(kind: type[float], bound: Any) -> Any:
    """attrs' ``bound`` validator for a number of ``kind`` (``float`` takes ``int`` too),
    where a wrong type is a ``ValueError`` like a wrong value: every invalid argument of
    this package is one. ``True`` is not a number here."""
    kinds = (int,) if kind is int else (int, float)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ValueError(f"{attribute.name} must be a number, got {value!r}")
        bound(instance, attribute, value)

    return check


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How hard a call tries before giving up. Immutable; pass one as ``retry=``.

    * ``max_attempts`` — attempts in all, the first included.
    * ``total_timeout`` — seconds from the first attempt after which no new attempt
      starts (a wait that would cross it is not taken).
    * ``backoff_base``, ``backoff_cap`` — exponential backoff with full jitter:
      attempt *n* waits uniformly in ``[0, min(cap, base * 2**(n-1))]`` when the service
      doesn't say how long.
    * ``max_wait`` — the longest single wait accepted. When the service asks for more
      (a rate-limit reset far away), the :class:`~watson_async.RateLimitError` is raised
      at once, carrying ``retry_after`` and ``reset_at``.
    * ``retry_ambiguous`` — also retry a stateful ``message`` after a 5xx, 408, a
      disconnect or a read timeout. Off by default: the service may have processed the
      turn, and sending it again would move the dialog twice.

    429s and failures to connect are always retried; 400/403/404/409/413/422 never.
    A value out of range or of the wrong type raises ``ValueError`` naming the field.
    """

    max_attempts: int = attrs.field(default=5, validator=_value_error(int, ge(1)))
    total_timeout: float = attrs.field(default=60.0, validator=_value_error(float, gt(0.0)))
    backoff_base: float = attrs.field(default=0.5, validator=_value_error(float, gt(0.0)))
    backoff_cap: float = attrs.field(default=10.0, validator=_value_error(float, gt(0.0)))
    max_wait: float = attrs.field(default=60.0, validator=_value_error(float, gt(0.0)))
    retry_ambiguous: bool = False

    def __attrs_post_init__(self) -> None:
        if self.backoff_cap < self.backoff_base:
            raise ValueError("backoff_cap must be at least backoff_base")


@attrs.define
class _Testing:
    enabled: bool = False
    attempts: int = 1


_TESTING = _Testing()


def set_testing(testing: bool, *, attempts: int = 1) -> None:
    """Testing mode for your test suite: no waits, and at most ``attempts`` attempts.

    With it on, retries and the rate-limit gate never sleep, so a test of your bot's
    error handling against a failing fake runs instantly. ``attempts=1`` (the default)
    disables retries altogether.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError("attempts must be an integer of at least 1")
    _TESTING.enabled = bool(testing)
    _TESTING.attempts = attempts


def is_testing() -> bool:
    """Whether :func:`set_testing` is on."""
    return _TESTING.enabled


@attrs.frozen
class RetryEvent:
    """Reported before each retry's wait: which attempt failed, why, how long to wait."""

    endpoint: str
    attempt: int
    """The attempt that failed (1 = the first)."""
    reason: str
    """``rate_limited``, ``connect_error``, ``timeout_connecting``, ``disconnected``,
    ``timeout`` or ``status_<code>``."""
    wait: float
    waited: float
    """Seconds already spent waiting for earlier retries of this call."""
    error: BaseException
    route: str | None = None
    """The request's path template (see :class:`~watson_async.AttemptEvent`), when the
    client reports the event."""


@attrs.frozen
class GateEvent:
    """Reported once for each request the rate-limit gate holds back."""

    family: str
    wait: float
    """The expected wait when the request was held (its place in the queue included)."""
    reason: str
    """``rate_limited`` (a 429 was seen), ``budget_spent`` (remaining reached 0) or
    ``paced`` (the window's budget is spread over it, or earlier requests wait)."""


@attrs.frozen
class RateLimitState:
    """What the gate knows about one endpoint family's rate limit."""

    family: str
    limit: int | None
    remaining: int | None
    """Requests we believe are left in the current window (server count minus ours)."""
    resets_in: float | None
    """Seconds until the current window resets, if known."""
    blocked_for: float
    """Seconds new requests of this family will be held back (0: not blocked)."""


@attrs.define
class _Family:
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # monotonic
    reset_epoch: float | None = None  # the server's X-RateLimit-Reset, to tell windows apart
    window: float | None = None  # seconds between successive resets, once seen
    blocked_until: float = 0.0  # monotonic
    in_flight: int = 0  # admitted, no response yet: the server's count doesn't include them
    tat: float = 0.0  # GCRA's theoretical arrival time of the next request (monotonic)
    hold_until: float = 0.0  # the current unpaced hold's end, its jitter included
    deciding: bool = False  # an admission is being asked of a shared gate (Redis)
    # Held requests in arrival order (None until the first is held) and the one task that
    # admits them: FIFO, and a single timer however many wait.
    waiters: collections.deque[asyncio.Future[None]] | None = None
    waker: asyncio.Task[None] | None = None
    # The raw X-RateLimit-Reset and -Limit of the window now known (None: none is): a
    # response that repeats them only brings a new count (observe's fast path).
    seen: tuple[str | None, str | None] | None = None

    def new_window(self, reset_epoch: float) -> bool:
        """Note a reported reset; True when it starts a newer window than the one known."""
        if self.reset_epoch is not None and reset_epoch <= self.reset_epoch:
            return False
        if self.reset_epoch is not None:
            # Idle windows in between make a gap a multiple of the window: keep the least.
            gap = reset_epoch - self.reset_epoch
            self.window = gap if self.window is None else min(self.window, gap)
        self.reset_epoch = reset_epoch
        return True

    def interval(self) -> float | None:
        """GCRA's emission interval (window / limit), when both are known."""
        if self.window and self.limit:
            return self.window / self.limit
        return None


class RateLimitGate:
    """One per client: admits the requests of each endpoint family fairly and paced.

    After each response the gate notes ``X-RateLimit-Limit/Remaining/Reset``; each
    request it admits uses up one unit of what is left. When nothing is left, or a 429
    arrives, requests of that family wait for the reset (measured against the
    response's ``Date``, so clock skew doesn't matter) instead of being sent to collect
    their own 429. Once the window's length is known (two successive resets), admissions
    are paced (GCRA: one per ``window / limit`` seconds, ``burst`` at once at most), so
    the budget is spread over the window rather than spent at its start.

    Held requests are admitted in arrival order by one task per family: a new arrival
    never overtakes a waiter. A cancelled waiter leaves the queue without using a unit;
    when ``sleep`` raises (the client's raises ``ClientClosedError`` on close) every
    waiter of the family gets that error. Before the window is known, wake-ups after a
    hold are jittered by up to ``spread`` seconds, so a fleet's processes don't all
    start at the reset. Families the service sends no rate-limit headers for are never
    held back, except after a 429.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rand: Callable[[], float] = random.random,
        spread: float = 1.0,
        fallback_wait: float = 1.0,
        burst: int = 2,
        on_wait: Callable[[GateEvent], None] | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._rand = rand
        self._spread = spread
        self._fallback_wait = fallback_wait
        self._burst = max(1, burst)
        self._on_wait = on_wait
        self._families: dict[str, _Family] = {}

    def state(self) -> dict[str, RateLimitState]:
        """A snapshot of every family the gate has heard about."""
        now = self._clock()
        return {
            name: RateLimitState(
                family=name,
                limit=f.limit,
                remaining=f.remaining,
                resets_in=max(0.0, f.reset_at - now) if f.reset_at is not None else None,
                blocked_for=max(0.0, f.blocked_until - now),
            )
            for name, f in self._families.items()
        }

    def bind(
        self,
        on_wait: Callable[[GateEvent], None] | None = None,
        on_event: Callable[[FleetEvent], None] | None = None,
    ) -> Binding:
        """This gate for one more client (see :class:`~watson_async.Gate`): the clients
        share its state and queues; each gets the events of its own held requests, and
        its ``aclose()`` ends only its own. The waker sleeps with this gate's ``sleep``."""
        return Binding(self, on_wait, on_event)

    def close(self) -> None:
        """End every held request with ``ClientClosedError`` (the owning client closed)."""
        for state in self._families.values():
            for waiter in state.waiters or ():
                if not waiter.done():
                    waiter.set_exception(ClientClosedError())
        self.reap()

    def reap(self) -> None:
        """Stop the wakers that have no live waiter left (their clients closed)."""
        for state in self._families.values():
            if state.waker is not None and all(w.done() for w in state.waiters or ()):
                state.waker.cancel()

    def admit_now(self, family: str) -> bool:
        """Admit a request of ``family`` if nothing is held, budget is left and no pacing
        is due (True), without a coroutine; else (False) it must :meth:`acquire`."""
        if _TESTING.enabled:
            return True
        state = self._families.get(family)
        if state is None:
            # Known from the first request on, so what is in flight is always counted.
            state = self._families[family] = _Family()
        now = self._clock()
        if (
            state.waiters
            or now < state.blocked_until
            or state.tat > now
            or (state.remaining is not None and state.remaining <= 0)
        ):
            return False
        # What _hold (finding nothing) and _admit would do, inline: the hot path.
        if state.remaining is not None:
            state.remaining -= 1
        state.in_flight += 1
        interval = state.interval()
        if interval is not None:
            state.tat = now + interval  # max(tat, now) is now
        return True

    async def acquire(self, family: str, binding: Binding | None = None) -> float:
        """Wait until a request of ``family`` may be sent; return the seconds waited.

        ``binding`` (from :meth:`bind`) is the client the request is made for.
        """
        if self.admit_now(family):
            return 0.0
        state = self._families[family]
        now = self._clock()
        delay, reason = self._hold(state, now)
        if not state.waiters and delay <= 0.0:
            self._admit(state, now)
            return 0.0
        return await self._held(family, state, now, delay, reason, binding)

    async def _held(
        self,
        family: str,
        state: _Family,
        now: float,
        delay: float,
        reason: str,
        binding: Binding | None,
        first: bool = False,
    ) -> float:
        """Queue a request behind the waiters of ``state`` (ahead of them if ``first``:
        it was asked about before they came) until the waker admits it."""
        delay = self._jittered(state, now, delay, reason) if delay > 0.0 else 0.0
        if state.waiters:
            delay += len(state.waiters) * (state.interval() or 0.0)
        if state.waiters is None:
            state.waiters = collections.deque()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if first:
            state.waiters.appendleft(waiter)
        else:
            state.waiters.append(waiter)
        if state.waker is None and not state.deciding:
            state.waker = asyncio.ensure_future(self._wake(family, state))
        on_wait = self._on_wait if binding is None else binding.on_wait
        if on_wait is not None:
            on_wait(GateEvent(family, delay, reason))
        if binding is not None:
            binding.pending.add(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(family, state)  # admitted, but cancelled before it could go
            elif state.waiters and waiter in state.waiters:
                state.waiters.remove(waiter)
            raise
        finally:
            if binding is not None:
                binding.pending.discard(waiter)
        return self._clock() - now

    def _hold(self, state: _Family, now: float) -> tuple[float, str]:
        """Seconds until the next request of ``state`` may go (<= 0: now) and why."""
        if now < state.blocked_until:
            return state.blocked_until - now, "rate_limited"
        if state.remaining is not None and state.remaining <= 0 and state.reset_at is not None:
            if now < state.reset_at:
                return state.reset_at - now, "budget_spent"
            # The window has passed: a new one starts with the full limit. Until a
            # response reports it, assume it is as long as the last one (or short, when
            # unknown: never a deadlock if no response ever says more).
            state.remaining = state.limit
            state.reset_at = (
                state.reset_at + state.window
                if state.window and state.reset_at + state.window > now
                else now + self._fallback_wait
            )
            if state.remaining is not None and state.remaining <= 0:
                return state.reset_at - now, "budget_spent"
        interval = state.interval()
        if interval is not None:
            # GCRA: admit when the theoretical arrival time is at most burst - 1
            # intervals ahead.
            ahead = state.tat - now - (self._burst - 1) * interval
            if ahead > 0.0:
                return ahead, "paced"
        return 0.0, "paced"

    def _jittered(self, state: _Family, now: float, delay: float, reason: str) -> float:
        """A hold's wait: unpaced, up to ``spread`` seconds late (drawn once per hold: all
        waiters and the waker agree), so processes don't all wake at the reset."""
        if reason == "paced" or state.interval() is not None:
            return delay
        if state.hold_until < now + delay:
            state.hold_until = now + delay + self._rand() * self._spread
        return state.hold_until - now

    def _admit(self, state: _Family, now: float) -> None:
        if state.remaining is not None:
            state.remaining -= 1
        state.in_flight += 1
        interval = state.interval()
        if interval is not None:
            state.tat = max(state.tat, now) + interval

    async def _admission(self, family: str, state: _Family, now: float) -> tuple[float, str]:
        """The waker's question: admit the next request now (a delay <= 0, counted), or
        how long to wait and why."""
        delay, reason = self._hold(state, now)
        if delay <= 0.0:
            self._admit(state, now)
        return delay, reason

    def _give_back(self, family: str, state: _Family) -> None:
        """Undo :meth:`_admit` for a request that was cancelled before it was sent."""
        if state.remaining is not None:
            state.remaining += 1
        if state.in_flight > 0:
            state.in_flight -= 1
        interval = state.interval()
        if interval is not None:
            state.tat -= interval

    async def _wake(self, family: str, state: _Family) -> None:
        """Admit the held requests of ``state`` in order, one timer for all of them."""
        waiters = state.waiters
        assert waiters is not None
        try:
            while True:
                while waiters and waiters[0].done():  # cancelled or closed: gone
                    waiters.popleft()
                if not waiters:
                    return
                now = self._clock()
                delay, reason = await self._admission(family, state, now)
                if delay <= 0.0:
                    if waiters and not waiters[0].done():
                        waiters.popleft().set_result(None)
                    else:  # its caller left while the admission was decided
                        self._give_back(family, state)
                    continue
                await self._sleep(self._jittered(state, now, delay, reason))
        except BaseException as exc:
            # The sleep failed (the client closed) or this task was cancelled: every
            # waiter ends with that error rather than waiting for a wake-up that won't come.
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    if isinstance(exc, asyncio.CancelledError):
                        waiter.cancel()
                    else:
                        waiter.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            state.waker = None
            self._drained(family)

    def _drained(self, family: str) -> None:
        """The waker of ``family`` is gone (its queue empty): nothing to do here."""

    def release(self, family: str) -> None:
        """A request :meth:`acquire` admitted got no response (a transport error)."""
        state = self._families.get(family)
        if state is not None and state.in_flight > 0:
            state.in_flight -= 1

    def observe(self, family: str, status: int, headers: Any) -> None:
        """Learn from a response of ``family`` (its status and rate-limit headers)."""
        state = self._families.get(family)
        if state is not None and state.in_flight > 0:
            state.in_flight -= 1
        if status == 429:
            self._rate_limited(family, headers)
            return
        raw = headers.get(RATE_LIMIT_REMAINING)
        if raw is not None:  # aiohttp's headers (nearly every response): no case folding
            seen = (headers.get(RATE_LIMIT_RESET), headers.get(RATE_LIMIT_LIMIT))
        else:  # none, or a plain mapping (a custom transport's) in another letter case
            raw = header(headers, RATE_LIMIT_REMAINING)
            if raw is None:
                return  # no budget information on this response: nothing to learn
            seen = (header(headers, RATE_LIMIT_RESET), header(headers, RATE_LIMIT_LIMIT))
        if state is not None and seen == state.seen and raw.isdecimal() and len(raw) < 16:
            # The window and limit of the last response, only a new count (nearly every
            # response): what the full path below does for them, without parsing again.
            left = max(0, int(raw) - state.in_flight)
            state.remaining = left if state.remaining is None else min(state.remaining, left)
            return
        rate = parse_rate_limit(headers)
        if rate is None:
            return
        if state is None:
            state = self._families.setdefault(family, _Family())
        if rate.limit is not None:
            state.limit = rate.limit
        if rate.remaining is None:
            return
        # The service counted what it had received; what we admitted since isn't in it.
        left = max(0, rate.remaining - state.in_flight)
        if rate.reset_at is not None and state.new_window(rate.reset_at):
            # A newer window: its reset time and budget as the service reports them.
            # Reset and Date are whole seconds, so Reset - Date overstates the wait by up
            # to a second; the window began before this response, so it also ends within
            # one window length from now: take the nearer of the two (unless they differ
            # by more than the rounding, when the gaps between resets weren't windows).
            wait = reset_seconds(headers, time.time()) or 0.0
            if state.window is not None and wait <= state.window + 1.0:
                wait = min(wait, state.window)
            state.reset_at = self._clock() + wait
            state.remaining = left
        elif rate.reset_at is None:
            # No reset reported: the count can't be tied to a window; never block on it.
            state.remaining = left
            state.reset_at = state.reset_epoch = None
        elif rate.reset_at == state.reset_epoch:
            # The same window: responses arrive out of order, the lowest count is newest.
            state.remaining = left if state.remaining is None else min(state.remaining, left)
        state.seen = (
            seen if rate.reset_at is not None and rate.reset_at == state.reset_epoch else None
        )

    def _rate_limited(self, family: str, headers: Any) -> None:
        state = self._families.setdefault(family, _Family())
        state.seen = None
        wait = retry_after_seconds(headers, time.time())
        now = self._clock()
        state.blocked_until = max(
            state.blocked_until, now + (wait if wait is not None else self._fallback_wait)
        )
        rate = parse_rate_limit(headers)
        if rate is not None:
            if rate.limit is not None:
                state.limit = rate.limit
            if rate.reset_at is not None:
                state.new_window(rate.reset_at)
        state.remaining = 0
        if wait is not None:
            state.reset_at = now + wait
