"""The one retry loop (on tenacity) every retry in the package uses: :func:`retrying`
builds it (the client's, the Segment sink's) and :func:`retry_after` runs the client's
after a failed first attempt. What is retried is decided by
:func:`~watson_async.protocol.wire.retry_reason` and how long to wait by
:func:`~watson_async.protocol.wire.retry_wait`; :class:`~watson_async.RetryPolicy`
(``resilience/retry.py``) says how hard the client tries.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from watson_async.errors import WatsonError
from watson_async.protocol.wire import retry_reason, retry_wait
from watson_async.resilience.retry import _TESTING, RetryEvent, RetryPolicy

__all__ = ["retry_after", "retrying"]

T = TypeVar("T")


class _ChosenWait(wait_base):
    """tenacity wait strategy: ``wait(error, attempt)``, or none at all in testing mode."""

    def __init__(self, wait: Callable[[BaseException, int], float], testing: bool) -> None:
        self._wait = wait
        self._testing = testing

    def __call__(self, retry_state: RetryCallState) -> float:
        if self._testing:
            return 0.0
        return self._wait(_failure(retry_state), retry_state.attempt_number)


class _StopIfWaitOver(stop_base):
    """Stop rather than wait longer than ``longest`` seconds (e.g. a far-off reset)."""

    def __init__(self, longest: float) -> None:
        self._longest = longest

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.upcoming_sleep > self._longest


class _StopBeforeTimeout(stop_base):
    """Stop rather than take a wait that would end past ``timeout`` seconds after
    ``started`` (tenacity's ``stop_before_delay``, on an injectable clock)."""

    def __init__(self, timeout: float, clock: Callable[[], float]) -> None:
        self._timeout = timeout
        self._clock = clock
        self._started = clock()

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._clock() - self._started + retry_state.upcoming_sleep > self._timeout


def _failure(retry_state: RetryCallState) -> BaseException:
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None else None
    if error is None:  # pragma: no cover - tenacity waits only after a failure we retry
        raise RuntimeError("no failed attempt to wait after")
    return error


def retrying(
    *,
    attempts: int,
    retry: Callable[[BaseException], bool],
    wait: Callable[[BaseException, int], float],
    sleep: Callable[[float], Awaitable[Any]],
    max_wait: float = math.inf,
    total_timeout: float = math.inf,
    clock: Callable[[], float] = time.monotonic,
    before_sleep: Callable[[BaseException, int, float], None] | None = None,
) -> AsyncRetrying:
    """The one retry loop of the package: tenacity, configured from plain values.

    * retry — ``retry(error)`` says whether a failure may be retried (anything else is
      raised at once, as raised).
    * wait — ``wait(error, attempt)`` is the seconds to wait after failed attempt
      number ``attempt``; build it on :func:`~watson_async.protocol.wire.retry_wait` or
      :func:`~watson_async.protocol.wire.backoff_wait`, the one full-jitter formula. Zero in
      testing mode (:func:`set_testing`).
    * stop — after ``attempts`` attempts, or rather than wait longer than ``max_wait``,
      or rather than take a wait that ends more than ``total_timeout`` seconds (by
      ``clock``) after this call: the last error is then raised, never tenacity's.
    * before_sleep — ``before_sleep(error, attempt, wait)`` before each wait taken.
    """
    stop: stop_base = stop_after_attempt(attempts)
    if max_wait != math.inf:
        stop |= _StopIfWaitOver(max_wait)
    if total_timeout != math.inf:
        stop |= _StopBeforeTimeout(total_timeout, clock)

    def report(retry_state: RetryCallState) -> None:
        if before_sleep is not None:
            error = _failure(retry_state)
            before_sleep(error, retry_state.attempt_number, retry_state.upcoming_sleep)

    return AsyncRetrying(
        stop=stop,
        wait=_ChosenWait(wait, _TESTING.enabled),
        retry=retry_if_exception(retry),
        before_sleep=report if before_sleep is not None else None,
        sleep=sleep,
        reraise=True,
    )


async def retry_after(
    first_error: WatsonError,
    attempt: Callable[..., Awaitable[T]],
    *args: Any,
    endpoint: str,
    idempotent: bool,
    policy: RetryPolicy,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rand: Callable[[], float] = random.random,
    on_retry: Callable[[RetryEvent], None] | None = None,
) -> T:
    """Go on after the first attempt of a call failed with ``first_error``.

    The first attempt runs outside tenacity (it costs ~18 µs a call even when nothing
    fails); a retryable failure hands over to tenacity here, which replays it as its
    first attempt. A failure that isn't retryable is raised at once.
    """

    def reason(error: BaseException) -> str | None:
        return retry_reason(error, idempotent, policy.retry_ambiguous)

    if reason(first_error) is None:
        raise first_error

    history: list[RetryEvent] = []

    def report(error: BaseException, attempt_number: int, wait: float) -> None:
        why = reason(error)
        assert why is not None  # retrying() retries only what has a reason
        waited = sum(event.wait for event in history)
        event = RetryEvent(endpoint, attempt_number, why, wait, waited, error)
        history.append(event)
        if on_retry is not None:
            on_retry(event)

    calls = 0

    async def replay_first_then_attempt() -> T:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise first_error
        return await attempt(*args)

    attempts = policy.max_attempts
    if _TESTING.enabled:
        attempts = min(attempts, _TESTING.attempts)
    loop = retrying(
        attempts=attempts,
        retry=lambda error: reason(error) is not None,
        wait=lambda error, number: retry_wait(
            error, number, policy.backoff_base, policy.backoff_cap, time.time(), rand
        ),
        sleep=sleep if sleep is not None else asyncio.sleep,
        max_wait=policy.max_wait,
        total_timeout=policy.total_timeout,
        clock=clock,
        before_sleep=report,
    )
    try:
        return await loop(replay_first_then_attempt)
    except WatsonError as exc:
        exc.attempts = calls
        exc.waited = sum(event.wait for event in history)
        exc.retry_history = tuple(history)
        raise
