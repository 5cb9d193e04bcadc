"""One rate budget for a fleet: :class:`RedisRateLimitGate`."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as _aioredis

from watson_async.protocol.wire import (
    RATE_LIMIT_REMAINING,
    header,
    parse_rate_limit,
    reset_seconds,
    retry_after_seconds,
)
from watson_async.resilience.gates import Binding, FleetEvent
from watson_async.resilience.retry import GateEvent, RateLimitGate, _Family, is_testing

from ._base import RedisUser, check_namespace
from ._health import RedisHealth, Unavailable

__all__ = ["RedisRateLimitGate"]

# The fleet's state of one endpoint family, a hash: limit, remaining, reset (ms, Redis
# TIME), epoch (the service's last X-RateLimit-Reset), window (ms between successive
# resets, the least seen), blocked (ms: a 429's end), tat (GCRA's theoretical arrival
# time, ms) and inflight (admitted by the fleet, no response yet). The rules are
# RateLimitGate's (_hold, _admit, observe, _rate_limited), here applied atomically to
# the shared state, with Redis's clock instead of the host's.
_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local f = {}
local raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do f[raw[i]] = tonumber(raw[i + 1]) end
f.inflight = math.max(0, (f.inflight or 0) - tonumber(ARGV[1]))
local function save(ttl)
    local set, gone = {}, {}
    for _, name in ipairs({'limit', 'remaining', 'reset', 'epoch', 'window', 'blocked',
                           'tat', 'inflight'}) do
        if f[name] == nil then
            gone[#gone + 1] = name
        else
            set[#set + 1] = name
            set[#set + 1] = string.format('%.3f', f[name])
        end
    end
    if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
    redis.call('HSET', KEYS[1], unpack(set))
    redis.call('PEXPIRE', KEYS[1], ttl)
end
"""

# ARGV: done, ttl_ms, burst, fallback_ms, want. Admits (and counts) up to ``want``
# requests, as many as the budget and the pacing allow now. Returns {admitted, wait_ms,
# reason}: when fewer than ``want``, how long until the next may go and why (1
# rate_limited, 2 budget_spent, 3 paced).
_ADMIT = (
    _COMMON
    + """
local burst, fallback, want = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local interval = nil
if f.window and f.limit and f.limit > 0 then interval = f.window / f.limit end
local function hold()
    if f.blocked and now < f.blocked then return f.blocked - now, 1 end
    if f.remaining and f.remaining <= 0 and f.reset then
        if now < f.reset then return f.reset - now, 2 end
        f.remaining = f.limit
        if f.window and f.reset + f.window > now then
            f.reset = f.reset + f.window
        else
            f.reset = now + fallback
        end
        if f.remaining and f.remaining <= 0 then return f.reset - now, 2 end
    end
    if interval then
        local ahead = (f.tat or 0) - now - (burst - 1) * interval
        if ahead > 0 then return ahead, 3 end
    end
    return 0, 0
end
local admitted, wait, reason = 0, 0, 0
while admitted < want do
    wait, reason = hold()
    if wait > 0 then break end
    if f.remaining then f.remaining = f.remaining - 1 end
    f.inflight = f.inflight + 1
    if interval then f.tat = math.max(f.tat or 0, now) + interval end
    admitted = admitted + 1
end
save(tonumber(ARGV[2]))
return {admitted, string.format('%.3f', wait), reason}
"""
)

# ARGV: done, ttl_ms, status, limit, remaining, reset epoch, wait_ms (to the reset or
# Retry-After, by the response's Date), fallback_ms; '' where the response said nothing.
_OBSERVE = (
    _COMMON
    + """
local status, limit, remaining = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local epoch, wait, fallback = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local function new_window(e)
    if f.epoch and e <= f.epoch then return false end
    if f.epoch then
        local gap = (e - f.epoch) * 1000
        if f.window then f.window = math.min(f.window, gap) else f.window = gap end
    end
    f.epoch = e
    return true
end
if limit then f.limit = limit end
if status == 429 then
    f.blocked = math.max(f.blocked or 0, now + (wait or fallback))
    if epoch then new_window(epoch) end
    f.remaining = 0
    if wait then f.reset = now + wait end
elseif remaining then
    local left = math.max(0, remaining - f.inflight)
    if epoch and new_window(epoch) then
        local w = wait or 0
        if f.window and w <= f.window + 1000 then w = math.min(w, f.window) end
        f.reset = now + w
        f.remaining = left
    elseif not epoch then
        f.remaining, f.reset, f.epoch = left, nil, nil
    elseif epoch == f.epoch then
        f.remaining = f.remaining and math.min(f.remaining, left) or left
    end
end
save(tonumber(ARGV[2]))
return 1
"""
)

_REASONS = ("paced", "rate_limited", "budget_spent", "paced")  # by the scripts' codes


class RedisRateLimitGate(RedisUser, RateLimitGate):
    """The fleet's :class:`~watson_async.RateLimitGate`: every process (and client)
    using the same Redis and ``namespace`` admits requests against one budget.

    Give it to any number of clients as ``AssistantClient(..., rate_limit_gate=gate)``
    (each binds it: its own :class:`~watson_async.GateEvent`s and close). Per endpoint
    family:

    * each response's ``X-RateLimit-Limit/Remaining/Reset`` are merged into one hash in
      Redis by a Lua script, atomically; the wait to the reset is measured against the
      response's ``Date`` and kept in Redis ``TIME``, so no host clock is involved;
    * a 429 seen by any process blocks the family in every process until its reset;
    * requests are admitted by a Lua script against the shared remaining budget (less
      what the fleet has in flight) and paced by GCRA over the learned window
      (``window / limit`` apart, ``burst`` at once), so the fleet spreads its budget over
      the window instead of spending it at its start; one round trip admits as many of
      the process's queued requests as that allows;
    * within a process, held requests are admitted in arrival order by one waker per
      family, as in the in-process gate.

    Keys: ``{namespace}:gate:{family}``, one hash per family holding only numbers
    (limit, remaining, reset, window, block, pacing time, in flight). Nothing secret:
    someone with access to Redis learns your rate limits and traffic, and can hold your
    fleet back (or let it through to collect 429s) by writing them.

    Cost: at most two round trips per request (its admission, shared with the requests
    queued with it, and the merge of its response's headers, sent in the background
    after the response). A response without rate-limit
    headers costs none: its in-flight count goes with the next admission.

    **Degradation.** Every Redis operation is bounded by ``op_timeout``. When one fails
    (Redis down, slow, restarted, refusing scripts), the process gates alone, with the
    in-process rules on what it has seen itself (kept up to date all along), and leaves
    Redis alone for ``backoff`` seconds (doubling per failed try, at most
    ``max_backoff``); the first admission after that tries again and, if it succeeds,
    rejoins. Each change is reported once: a :class:`~watson_async.FleetEvent` to
    ``on_event`` and to the listeners of every client bound to the gate, and a
    ``WARNING`` / ``INFO`` line on the ``watson_async.redis`` logger. No call fails
    because of Redis; no Redis exception reaches a caller.

    A process killed with requests in flight leaves them counted until the family's key
    expires (``key_ttl`` seconds without traffic).

    The gate does not own ``redis`` (close it yourself), except when made by
    :meth:`from_url`; :meth:`aclose` closes only what it owns, after the pending merges.
    """

    def __init__(
        self,
        redis: _aioredis.Redis,
        *,
        namespace: str = "watson_async",
        op_timeout: float = 0.25,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        key_ttl: float = 600.0,
        burst: int = 2,
        spread: float = 1.0,
        fallback_wait: float = 1.0,
        on_event: Callable[[FleetEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        check_namespace(namespace)
        if isinstance(key_ttl, bool) or not isinstance(key_ttl, (int, float)) or key_ttl <= 0:
            raise ValueError(f"key_ttl must be a positive number, got {key_ttl!r}")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer of at least 1, got {burst!r}")
        super().__init__(
            clock=clock, sleep=sleep, rand=rand, spread=spread, fallback_wait=fallback_wait,
            burst=burst,
        )  # fmt: skip
        health = RedisHealth(
            "rate_limit_gate",
            op_timeout=op_timeout,
            backoff=backoff,
            max_backoff=max_backoff,
            clock=clock,
            on_event=self._report,
        )
        self._use(redis, namespace, health)
        self._on_event = on_event
        self._admit_script = redis.register_script(_ADMIT)
        self._observe_script = redis.register_script(_OBSERVE)
        self._ttl_ms = str(int(key_ttl * 1000))
        self._fallback_ms = str(int(fallback_wait * 1000))
        self._shared: dict[str, int] = {}  # admitted through Redis, no response yet
        self._done: dict[str, int] = {}  # of those, answered but not yet told to Redis
        self._granted: dict[str, int] = {}  # admitted by Redis, not yet handed out
        self._bindings: weakref.WeakSet[Binding] = weakref.WeakSet()
        self._merging: dict[str, set[asyncio.Task[None]]] = {}  # per family, unfinished

    def key(self, family: str) -> str:
        """The Redis key of ``family``'s shared state."""
        return f"{self._namespace}:gate:{family}"

    async def aclose(self) -> None:
        """Wait for the pending merges (each bounded by ``op_timeout``), then close the
        Redis client if this gate made it (:meth:`from_url`)."""
        while merges := {task for tasks in self._merging.values() for task in tasks}:
            # Removed here, not only by their done callbacks: when every merge has
            # already finished, gather completes without yielding (Python 3.12's eager
            # gather), the callbacks never get to run, and the loop would spin.
            await asyncio.gather(*merges)
            for tasks in self._merging.values():
                tasks -= merges
        await self._close_owned()

    def bind(
        self,
        on_wait: Callable[[GateEvent], None] | None = None,
        on_event: Callable[[FleetEvent], None] | None = None,
    ) -> Binding:
        """As :meth:`RateLimitGate.bind`; ``on_event`` also gets this gate's
        :class:`~watson_async.FleetEvent`s."""
        binding = super().bind(on_wait, on_event)
        self._bindings.add(binding)
        return binding

    def _report(self, event: FleetEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)
        for binding in list(self._bindings):
            if binding.on_event is not None and not binding.closed:
                binding.on_event(event)

    # --- admission ------------------------------------------------------------------

    async def acquire(self, family: str, binding: Binding | None = None) -> float:
        """Wait until the fleet may send a request of ``family``; the seconds waited."""
        if is_testing():
            return 0.0
        state = self._families.get(family)
        if state is None:
            state = self._families[family] = _Family()
        now = self._clock()
        if state.waiters or state.deciding:
            # Earlier arrivals are held or being decided on: never overtake them.
            return await self._held(family, state, now, 0.0, "paced", binding)
        # While Redis decides on this one, later arrivals queue and nothing else asks
        # Redis for this family, so none of them can be admitted before it.
        state.deciding = True
        try:
            delay, reason = await self._admission(family, state, now)
        finally:
            state.deciding = False
            if state.waiters and state.waker is None:
                state.waker = asyncio.ensure_future(self._wake(family, state))
        if delay <= 0.0:
            return self._clock() - now
        return await self._held(family, state, now, delay, reason, binding, first=True)

    async def _admission(self, family: str, state: _Family, now: float) -> tuple[float, str]:
        granted = self._granted.get(family, 0)
        if granted:  # admitted with an earlier request's round trip
            self._granted[family] = granted - 1
            return 0.0, "paced"
        merging = self._merging.get(family)
        if merging:
            # What this process heard first reaches Redis first: an admission that
            # overtook the merge of the response before it would be decided on a budget
            # Redis doesn't know yet (each merge is bounded by op_timeout).
            await asyncio.wait(set(merging))
        # One round trip admits as many of the queued as the budget allows now.
        want = max(1, sum(not w.done() for w in state.waiters or ()))
        done = self._done.pop(family, 0)
        try:
            admitted, wait_ms, reason = await self._health.run(
                lambda: self._admit_script(
                    keys=[self.key(family)],
                    args=[done, self._ttl_ms, self._burst, self._fallback_ms, want],
                )
            )
        except Unavailable:
            if done:
                self._done[family] = self._done.get(family, 0) + done
            return await super()._admission(family, state, now)  # alone
        admitted = int(admitted)
        if not admitted:
            return float(wait_ms) / 1000.0, _REASONS[int(reason)]
        state.in_flight += admitted  # as the in-process gate counts, for running alone
        self._shared[family] = self._shared.get(family, 0) + admitted
        self._granted[family] = admitted - 1
        return 0.0, "paced"

    def _drained(self, family: str) -> None:
        # Admissions granted for requests that left the queue meanwhile: not sent.
        for _ in range(self._granted.pop(family, 0)):
            self.release(family)

    def _give_back(self, family: str, state: _Family) -> None:
        # Admitted but never sent: no longer in flight, here or (if Redis admitted it)
        # in Redis. Its unit stays spent: which of the two admitted it isn't known here.
        self.release(family)

    # --- responses ------------------------------------------------------------------

    def release(self, family: str) -> None:
        """As :meth:`RateLimitGate.release`, for the fleet's in-flight count too."""
        super().release(family)
        self._answered(family)

    def observe(self, family: str, status: int, headers: Any) -> None:
        """As :meth:`RateLimitGate.observe` (this process's own view, used when it runs
        alone), and the response merged into the fleet's state in the background."""
        super().observe(family, status, headers)
        self._answered(family)
        if status != 429 and header(headers, RATE_LIMIT_REMAINING) is None:
            return  # nothing to share; the in-flight count goes with the next admission
        if not self._health.usable() or is_testing():
            return
        rate = parse_rate_limit(headers)
        if status == 429:
            wait = retry_after_seconds(headers, time.time())
        else:
            wait = reset_seconds(headers, time.time())
        done = self._done.pop(family, 0)
        args = [
            done,
            self._ttl_ms,
            status,
            _arg(rate.limit if rate else None),
            _arg(rate.remaining if rate else None),
            _arg(rate.reset_at if rate else None),
            _arg(None if wait is None else wait * 1000.0),
            self._fallback_ms,
        ]
        task = asyncio.ensure_future(self._merge(family, done, args))
        merging = self._merging.setdefault(family, set())
        merging.add(task)
        task.add_done_callback(merging.discard)

    def _answered(self, family: str) -> None:
        shared = self._shared.get(family, 0)
        if shared > 0:  # admitted through Redis: Redis counts it until told
            self._shared[family] = shared - 1
            self._done[family] = self._done.get(family, 0) + 1

    async def _merge(self, family: str, done: int, args: list[Any]) -> None:
        with contextlib.suppress(Unavailable):
            await self._health.run(lambda: self._observe_script(keys=[self.key(family)], args=args))
            return
        if done:  # told nobody: try with the next admission
            self._done[family] = self._done.get(family, 0) + done


def _arg(value: float | None) -> str:
    return "" if value is None else repr(float(value))
