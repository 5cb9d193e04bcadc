"""The event listener of a load test: client events into HDR histograms per route.

:class:`Recorder` is registered on the client (``on_event=``) before the first request.
Per route (``endpoint``, ``method``, route template) it keeps the per-attempt latency
(:class:`~watson_async.observe.AttemptEvent`) and the end-to-end latency
(:class:`~watson_async.observe.CallEvent`, retries and rate-limit waits included) in
separate HDR histograms, errors by class, retries and rate-limit waits; plus token
refreshes, conversations, and a per-second timeline. Everything runs in the event loop;
nothing here blocks or allocates per event beyond a few counters.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar

import attrs
from hdrh.histogram import HdrHistogram

from watson_async.resilience.retry import GateEvent, RetryEvent

from ..auth import RefreshEvent
from ..errors import RateLimitError, ServerError, TransportError
from ..observe import AttemptEvent, CallEvent, Event
from ._config import LoadTestConfig
from ._report import (
    ERROR_CLASSES,
    PERCENTILES,
    ConversationReport,
    Latency,
    LoadTestReport,
    OpenModelReport,
    RouteReport,
    TimelinePoint,
    TokenReport,
    percentile_name,
)

__all__ = [
    "Histogram",
    "Recorder",
    "RouteKey",
    "RouteStats",
    "Snapshot",
    "classify",
    "schedule_lag",
]

_LOWEST_US = 1
_HIGHEST_US = 3_600_000_000  # one hour, in microseconds
_DIGITS = 3

RouteKey = tuple[str, str, str]
"""``(endpoint, method, route template)``."""

#: Seconds between a conversation's scheduled start and its actual start (open model).
#: The runner sets a one-element list in the conversation's task; the first call of the
#: conversation adds it to its end-to-end latency (and zeroes it), so time spent waiting
#: for a free slot is counted (no coordinated omission).
schedule_lag: ContextVar[list[float] | None] = ContextVar("watson_async_schedule_lag", default=None)


def classify(status: int | None, error: BaseException | None) -> str | None:
    """The error class of an outcome: ``None`` (success), ``"cancelled"``, or one of
    :data:`ERROR_CLASSES`."""
    if error is None and (status is None or status < 300):
        return None
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    if status == 429 or isinstance(error, RateLimitError):
        return "429"
    if (status is not None and status >= 500) or isinstance(error, ServerError):
        return "5xx"
    if isinstance(error, TransportError) and error.timeout:
        return "timeout"
    return "other"


def _to_us(seconds: float) -> int:
    if not seconds > 0:  # also NaN
        return _LOWEST_US
    return min(_HIGHEST_US, max(_LOWEST_US, round(seconds * 1e6)))


class Histogram:
    """An HDR histogram of durations (recorded in microseconds, 1 µs to 1 h, 3 digits)."""

    __slots__ = ("_hist", "_sum")

    def __init__(self) -> None:
        self._hist = HdrHistogram(_LOWEST_US, _HIGHEST_US, _DIGITS)
        self._sum = 0.0  # exact, for the mean (hdrh's get_mean_value walks every bucket)

    def record(self, seconds: float) -> None:
        value = _to_us(seconds)
        self._hist.record_value(value)
        self._sum += value

    def add(self, other: Histogram) -> None:
        self._hist.add(other._hist)
        self._sum += other._sum

    # Pickled (to the parent of a fleet) in HDR's compressed encoding: a few hundred
    # bytes instead of the ~190 KB bucket array, and decoded to the same counts.
    def __getstate__(self) -> tuple[bytes, float]:
        return self._hist.encode(), self._sum

    def __setstate__(self, state: tuple[bytes, float]) -> None:
        self._hist = HdrHistogram.decode(state[0])
        self._sum = state[1]

    @property
    def count(self) -> int:
        return int(self._hist.get_total_count())

    def value_ms(self, q: float) -> float | None:
        """The ``q``-th percentile in milliseconds."""
        if not self.count:
            return None
        return float(self._hist.get_value_at_percentile(q)) / 1000.0

    def max_ms(self) -> float | None:
        return float(self._hist.get_max_value()) / 1000.0 if self.count else None

    def values_ms(self, qs: Iterable[float]) -> dict[float, float]:
        """Several percentiles in one pass: ``{q: milliseconds}`` (empty when empty)."""
        if not self.count:
            return {}
        values = self._hist.get_percentile_to_value_dict(list(qs))
        return {float(q): float(v) / 1000.0 for q, v in values.items()}

    def summary(self) -> Latency:
        count = self.count
        if not count:
            return Latency(0, None, {percentile_name(q): None for q in PERCENTILES}, None)
        values = self.values_ms(PERCENTILES)
        return Latency(
            count,
            round(self._sum / count / 1000.0, 3),
            {percentile_name(q): values[q] for q in PERCENTILES},
            self.max_ms(),
        )

    def distribution(self, points: Iterable[float]) -> list[tuple[float, float]]:
        """``(percentile, milliseconds)`` pairs, for plots."""
        return sorted(self.values_ms(points).items())


#: Percentiles of the distribution plot: 0 to 99.999, denser towards the tail.
DISTRIBUTION_POINTS = (
    *(float(q) for q in range(0, 90, 5)),
    *(90 + i * 0.5 for i in range(18)),
    99.0,
    99.25,
    99.5,
    99.75,
    99.9,
    99.95,
    99.99,
    99.999,
    100.0,
)


def _errors() -> dict[str, int]:
    return dict.fromkeys(ERROR_CLASSES, 0)


@attrs.define(eq=False)
class RouteStats:
    """Everything recorded for one route."""

    key: RouteKey
    calls: int = 0
    ok: int = 0
    errors: dict[str, int] = attrs.Factory(_errors)
    cancelled: int = 0
    attempts: int = 0
    attempt_errors: dict[str, int] = attrs.Factory(_errors)
    retries: int = 0
    retry_wait: float = 0.0
    rate_limit_retry_wait: float = 0.0
    gate_holds: int = 0
    gate_wait: float = 0.0
    pool_wait_total: float = 0.0
    pool_wait_max: float = 0.0
    pool_wait_count: int = 0
    request_bytes: int = 0
    response_bytes: int = 0
    attempt_latency: Histogram = attrs.Factory(Histogram)
    call_latency: Histogram = attrs.Factory(Histogram)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @property
    def rate_limit_wait(self) -> float:
        """Seconds held by the rate-limit gate plus retry waits after 429s."""
        return self.gate_wait + self.rate_limit_retry_wait

    def report(self) -> RouteReport:
        endpoint, method, route = self.key
        return RouteReport(
            endpoint=endpoint,
            method=method,
            route=route,
            calls=self.calls,
            ok=self.ok,
            errors=dict(self.errors),
            cancelled=self.cancelled,
            attempts=self.attempts,
            attempt_errors=dict(self.attempt_errors),
            retries=self.retries,
            retry_wait=self.retry_wait,
            rate_limit_wait=self.rate_limit_wait,
            gate_holds=self.gate_holds,
            gate_wait=self.gate_wait,
            pool_wait_max=self.pool_wait_max,
            pool_wait_mean=(
                self.pool_wait_total / self.pool_wait_count if self.pool_wait_count else None
            ),
            request_bytes=self.request_bytes,
            response_bytes=self.response_bytes,
            attempt_latency=self.attempt_latency.summary(),
            call_latency=self.call_latency.summary(),
        )

    def merge(self, other: RouteStats) -> None:
        self.calls += other.calls
        self.ok += other.ok
        self.cancelled += other.cancelled
        self.attempts += other.attempts
        for name in ERROR_CLASSES:
            self.errors[name] += other.errors[name]
            self.attempt_errors[name] += other.attempt_errors[name]
        self.retries += other.retries
        self.retry_wait += other.retry_wait
        self.rate_limit_retry_wait += other.rate_limit_retry_wait
        self.gate_holds += other.gate_holds
        self.gate_wait += other.gate_wait
        self.pool_wait_total += other.pool_wait_total
        self.pool_wait_max = max(self.pool_wait_max, other.pool_wait_max)
        self.pool_wait_count += other.pool_wait_count
        self.request_bytes += other.request_bytes
        self.response_bytes += other.response_bytes
        self.attempt_latency.add(other.attempt_latency)
        self.call_latency.add(other.call_latency)


@attrs.define(eq=False)
class _Extras:
    """Retry and gate counts of an endpoint (those events name no route)."""

    retries: int = 0
    retry_wait: float = 0.0
    rate_limit_retry_wait: float = 0.0
    gate_holds: int = 0


class _Timeline:
    __slots__ = (
        "_attempts",
        "_calls",
        "_errors",
        "_index",
        "_rate_limited",
        "attempt_hist",
        "call_hist",
        "points",
        "step",
    )

    def __init__(self, step: float) -> None:
        self.step = step
        self.points: list[TimelinePoint] = []
        self._index = 0
        self.call_hist = Histogram()
        self.attempt_hist = Histogram()
        self._calls = self._errors = self._attempts = self._rate_limited = 0

    def advance(self, elapsed: float) -> None:
        """Close the intervals that ended before ``elapsed`` seconds."""
        index = max(0, math.floor(elapsed / self.step))
        while self._index < index:
            self._close()

    def _close(self) -> None:
        call = self.call_hist.values_ms((50.0, 99.0))
        attempt = self.attempt_hist.values_ms((50.0, 99.0))
        self.points.append(
            TimelinePoint(
                t=round(self._index * self.step, 6),
                calls=self._calls,
                errors=self._errors,
                attempts=self._attempts,
                attempt_429s=self._rate_limited,
                call_p50=call.get(50.0),
                call_p99=call.get(99.0),
                call_max=self.call_hist.max_ms(),
                attempt_p50=attempt.get(50.0),
                attempt_p99=attempt.get(99.0),
            )
        )
        # A fresh histogram costs less than zeroing one.
        if self.call_hist.count:
            self.call_hist = Histogram()
        if self.attempt_hist.count:
            self.attempt_hist = Histogram()
        self._calls = self._errors = self._attempts = self._rate_limited = 0
        self._index += 1

    def call(self, seconds: float, failed: bool) -> None:
        self._calls += 1
        self._errors += failed
        self.call_hist.record(seconds)

    def attempt(self, seconds: float, rate_limited: bool) -> None:
        self._attempts += 1
        self._rate_limited += rate_limited
        self.attempt_hist.record(seconds)

    def finish(self, elapsed: float) -> list[TimelinePoint]:
        self.advance(elapsed)
        if self._calls or self._attempts:
            self._close()
        return self.points

    def merge(self, points: Iterable[TimelinePoint]) -> None:
        """Add another process's finished timeline interval by interval: counts add up;
        the points keep no histogram, so percentiles and maxima are the worst process's."""
        mine = self.points
        for i, point in enumerate(points):
            mine[i : i + 1] = [point if i >= len(mine) else _worst(mine[i], point)]
        self._index = max(self._index, len(mine))


def _worst(a: TimelinePoint, b: TimelinePoint) -> TimelinePoint:
    def high(x: float | None, y: float | None) -> float | None:
        return y if x is None else x if y is None else max(x, y)

    return TimelinePoint(
        t=a.t,
        calls=a.calls + b.calls,
        errors=a.errors + b.errors,
        attempts=a.attempts + b.attempts,
        attempt_429s=a.attempt_429s + b.attempt_429s,
        call_p50=high(a.call_p50, b.call_p50),
        call_p99=high(a.call_p99, b.call_p99),
        call_max=high(a.call_max, b.call_max),
        attempt_p50=high(a.attempt_p50, b.attempt_p50),
        attempt_p99=high(a.attempt_p99, b.attempt_p99),
    )


@attrs.frozen
class Snapshot:
    """What the live display shows."""

    elapsed: float
    calls: int
    failed: int
    attempts: int
    attempt_429s: int
    retries: int
    conversations_started: int
    conversations_done: int
    conversations_failed: int
    call_p50: float | None
    call_p99: float | None
    dropped: int
    late: int


class Recorder:
    """Listens to one client's events and aggregates them.

    Call it (or :meth:`on_event`) with each event; :meth:`start` sets time zero.
    ``clock`` must be the clock the run measures elapsed time with (only used to place
    events on the timeline).
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, timeline_step: float = 1.0
    ) -> None:
        self._clock = clock
        self.started = clock()
        self.routes: dict[RouteKey, RouteStats] = {}
        self._endpoint_routes: dict[str, RouteKey] = {}
        self._extras: dict[str, _Extras] = {}
        self.overall_attempt = Histogram()
        self.overall_call = Histogram()
        self.timeline = _Timeline(timeline_step)
        self.refreshes = 0
        self.refresh_failures = 0
        self.refresh_reasons: dict[str, int] = {}
        self.refresh_max_duration = 0.0
        self.conversation_latency = Histogram()
        self.conversations_started = 0
        self.conversations_completed = 0
        self.conversations_failed = 0
        self.unexpected_errors: list[str] = []
        # Open model.
        self.start_lag = Histogram()
        self.scheduled = 0
        self.dropped = 0
        self.late = 0
        # Totals kept up to date for the live display.
        self.calls = 0
        self.failed = 0
        self.attempts = 0
        self.attempt_429s = 0
        self.retries = 0

    def start(self) -> None:
        """Time zero of the run (and of its timeline)."""
        self.started = self._clock()

    def elapsed(self) -> float:
        return self._clock() - self.started

    def __call__(self, event: Event) -> None:
        self.on_event(event)

    def on_event(self, event: Event) -> None:
        """The listener: dispatch one client event."""
        if isinstance(event, AttemptEvent):
            self._attempt(event)
        elif isinstance(event, CallEvent):
            self._call(event)
        elif isinstance(event, RetryEvent):
            extras = self._extras_of(event.endpoint)
            extras.retries += 1
            extras.retry_wait += event.wait
            if classify(None, event.error) == "429" or event.reason == "rate_limited":
                extras.rate_limit_retry_wait += event.wait
            self.retries += 1
        elif isinstance(event, GateEvent):
            self._extras_of(event.family).gate_holds += 1
        elif isinstance(event, RefreshEvent):
            self.refreshes += 1
            if not event.ok:
                self.refresh_failures += 1
            self.refresh_reasons[event.reason] = self.refresh_reasons.get(event.reason, 0) + 1
            self.refresh_max_duration = max(self.refresh_max_duration, event.duration)

    def _extras_of(self, endpoint: str) -> _Extras:
        extras = self._extras.get(endpoint)
        if extras is None:
            extras = self._extras[endpoint] = _Extras()
        return extras

    def _route(self, endpoint: str, method: str, route: str) -> RouteStats:
        key = (endpoint, method, route)
        stats = self.routes.get(key)
        if stats is None:
            stats = self.routes[key] = RouteStats(key)
            self._endpoint_routes.setdefault(endpoint, key)
        return stats

    def _attempt(self, event: AttemptEvent) -> None:
        stats = self._route(event.endpoint, event.method, event.route)
        kind = classify(event.status, event.error)
        if kind == "cancelled":
            return  # cut off by the end of the run: neither a latency nor an error
        stats.attempts += 1
        self.attempts += 1
        if kind is not None:
            stats.attempt_errors[kind] += 1
            if kind == "429":
                self.attempt_429s += 1
        stats.attempt_latency.record(event.duration)
        self.overall_attempt.record(event.duration)
        if event.pool_wait is not None:
            stats.pool_wait_total += event.pool_wait
            stats.pool_wait_count += 1
            stats.pool_wait_max = max(stats.pool_wait_max, event.pool_wait)
        stats.request_bytes += event.request_bytes or 0
        stats.response_bytes += event.response_bytes or 0
        self.timeline.advance(self.elapsed())
        self.timeline.attempt(event.duration, kind == "429")

    def _call(self, event: CallEvent) -> None:
        stats = self._route(event.endpoint, event.method, event.route)
        kind = classify(event.status if event.error is not None else None, event.error)
        if kind == "cancelled":
            stats.cancelled += 1
            return
        duration = event.duration
        lag = schedule_lag.get()
        if lag is not None and lag[0] > 0:
            duration += lag[0]
            lag[0] = 0.0
        stats.calls += 1
        self.calls += 1
        if kind is None:
            stats.ok += 1
        else:
            stats.errors[kind] += 1
            self.failed += 1
        stats.gate_wait += event.gate_wait
        stats.call_latency.record(duration)
        self.overall_call.record(duration)
        self.timeline.advance(self.elapsed())
        self.timeline.call(duration, kind is not None)

    # --- conversations (reported by the runner) --------------------------------

    def conversation_started(self) -> None:
        self.conversations_started += 1

    def conversation_done(self, ok: bool, seconds: float) -> None:
        if ok:
            self.conversations_completed += 1
        else:
            self.conversations_failed += 1
        self.conversation_latency.record(seconds)

    def unexpected(self, error: BaseException) -> None:
        """An exception that is not the client's (a bug): kept for the report."""
        self._keep_unexpected(f"{type(error).__name__}: {error}")

    def _keep_unexpected(self, text: str) -> None:
        if len(self.unexpected_errors) < 20:
            self.unexpected_errors.append(text)
        else:
            self.unexpected_errors[-1] = "... (more)"

    def arrival(self, lag: float | None, late: bool) -> None:
        """An open-model arrival: started after ``lag`` seconds, or dropped (``None``)."""
        self.scheduled += 1
        if lag is None:
            self.dropped += 1
            return
        self.start_lag.record(lag)
        if late:
            self.late += 1

    def merge(self, other: Recorder) -> None:
        """Add another process's recorder (after its :meth:`report`) to this one: HDR
        histograms add exactly, counters sum, the timelines add per interval."""
        for key, stats in other.routes.items():
            self._route(*key).merge(stats)
        for endpoint, extras in other._extras.items():
            mine = self._extras_of(endpoint)
            mine.retries += extras.retries
            mine.retry_wait += extras.retry_wait
            mine.rate_limit_retry_wait += extras.rate_limit_retry_wait
            mine.gate_holds += extras.gate_holds
        for mine_hist, theirs in (
            (self.overall_attempt, other.overall_attempt),
            (self.overall_call, other.overall_call),
            (self.conversation_latency, other.conversation_latency),
            (self.start_lag, other.start_lag),
        ):
            mine_hist.add(theirs)
        self.timeline.merge(other.timeline.points)
        for reason, count in other.refresh_reasons.items():
            self.refresh_reasons[reason] = self.refresh_reasons.get(reason, 0) + count
        self.refresh_max_duration = max(self.refresh_max_duration, other.refresh_max_duration)
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for text in other.unexpected_errors:
            self._keep_unexpected(text)

    # --- results -----------------------------------------------------------------

    def route_stats(self) -> list[RouteStats]:
        """Per-route stats with the endpoint-level retry and gate counts merged in."""
        rows = list(self.routes.values())
        for endpoint, extras in self._extras.items():
            key = self._endpoint_routes.get(endpoint)
            stats = self.routes.get(key) if key is not None else None
            if stats is None:  # no attempt seen (cut off): a row of its own
                stats = self._route(endpoint, "", endpoint)
                rows.append(stats)
            stats.retries = extras.retries
            stats.retry_wait = extras.retry_wait
            stats.rate_limit_retry_wait = extras.rate_limit_retry_wait
            stats.gate_holds = extras.gate_holds
        return rows

    def total(self, rows: Iterable[RouteStats]) -> RouteStats:
        total = RouteStats(("all", "", "all"))
        for row in rows:
            total.merge(row)
        return total

    def snapshot(self) -> Snapshot:
        latency = self.overall_call.values_ms((50.0, 99.0))
        return Snapshot(
            elapsed=self.elapsed(),
            calls=self.calls,
            failed=self.failed,
            attempts=self.attempts,
            attempt_429s=self.attempt_429s,
            retries=self.retries,
            conversations_started=self.conversations_started,
            conversations_done=self.conversations_completed + self.conversations_failed,
            conversations_failed=self.conversations_failed,
            call_p50=latency.get(50.0),
            call_p99=latency.get(99.0),
            dropped=self.dropped,
            late=self.late,
        )

    def report(
        self,
        config: LoadTestConfig,
        *,
        duration: float,
        service_url: str,
        started_at: str,
        time_limit_reached: bool = False,
        interrupted: bool = False,
    ) -> LoadTestReport:
        """The report of the run so far."""
        rows = sorted(self.route_stats(), key=_route_order)
        total = self.total(rows)
        open_model = None
        if config.model == "open":
            assert config.rate is not None
            open_model = OpenModelReport(
                target_rate=config.rate,
                scheduled=self.scheduled,
                started=self.scheduled - self.dropped,
                dropped=self.dropped,
                late=self.late,
                late_threshold=config.late_threshold,
                start_lag=self.start_lag.summary(),
            )
        return LoadTestReport(
            model=config.model,
            target=config.target,
            service_url=service_url,
            retry=config.retry,
            started_at=started_at,
            duration=duration,
            time_limit_reached=time_limit_reached,
            interrupted=interrupted,
            max_error_rate=config.max_error_rate,
            config=config.summary(),
            conversations=ConversationReport(
                started=self.conversations_started,
                completed=self.conversations_completed,
                failed=self.conversations_failed,
                latency=self.conversation_latency.summary(),
            ),
            routes=tuple(row.report() for row in rows),
            total=total.report(),
            tokens=TokenReport(
                requests=self.refreshes,
                failures=self.refresh_failures,
                by_reason=dict(self.refresh_reasons),
                max_duration=self.refresh_max_duration,
            ),
            open_model=open_model,
            timeline=tuple(self.timeline.finish(duration)),
            distribution={
                "attempt": tuple(self.overall_attempt.distribution(DISTRIBUTION_POINTS)),
                "end_to_end": tuple(self.overall_call.distribution(DISTRIBUTION_POINTS)),
            },
            unexpected_errors=tuple(self.unexpected_errors),
        )


#: The recorder's counters :meth:`Recorder.merge` adds up.
_SUMMED = (
    "refreshes",
    "refresh_failures",
    "conversations_started",
    "conversations_completed",
    "conversations_failed",
    "scheduled",
    "dropped",
    "late",
    "calls",
    "failed",
    "attempts",
    "attempt_429s",
    "retries",
)

_ENDPOINT_ORDER = {"create_session": 0, "message": 1, "delete_session": 2}


def _route_order(stats: RouteStats) -> tuple[int, str, str, str]:
    endpoint, method, route = stats.key
    return (_ENDPOINT_ORDER.get(endpoint, 9), endpoint, route, method)
