"""The load-test report: an immutable model with JSON, CSV and terminal renderings.

This module needs only the standard library and attrs; the terminal tables import
``rich`` when called, the PNG (in ``_plot``) ``matplotlib``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = [
    "ERROR_CLASSES",
    "PERCENTILES",
    "ConversationReport",
    "Latency",
    "LoadTestReport",
    "OpenModelReport",
    "RouteReport",
    "TimelinePoint",
    "TokenReport",
]

#: Error classes, in report order: rate limited, server errors, timeouts, anything else.
ERROR_CLASSES = ("429", "5xx", "timeout", "other")
#: Percentiles every latency summary reports (plus the maximum).
PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)

SCHEMA_VERSION = 1


def percentile_name(q: float) -> str:
    return f"p{q:g}"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _r(value: float, digits: int = 6) -> float:
    return round(value, digits)


def _pick(obj: object, *names: str) -> dict[str, Any]:
    """``obj``'s attributes ``names`` as they are, by name: the plain part of a shape."""
    return {name: getattr(obj, name) for name in names}


@attrs.frozen
class Latency:
    """A latency summary in milliseconds (``None`` values when nothing was recorded)."""

    count: int
    mean: float | None
    percentiles: Mapping[str, float | None]
    """``"p50"``, ``"p90"``, ``"p95"``, ``"p99"``, ``"p99.9"`` -> milliseconds."""
    max: float | None

    def __getitem__(self, name: str) -> float | None:
        """``latency["p99"]``, ``latency["max"]``, ``latency["mean"]``."""
        if name == "max":
            return self.max
        if name == "mean":
            return self.mean
        return self.percentiles[name]

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, **self.percentiles, "max": self.max}


@attrs.frozen
class TimelinePoint:
    """One interval (a second by default) of the run, by when calls ended."""

    t: float
    """Seconds from the start of the run to the start of this interval."""
    calls: int
    errors: int
    attempts: int
    attempt_429s: int
    call_p50: float | None
    call_p99: float | None
    call_max: float | None
    attempt_p50: float | None
    attempt_p99: float | None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class RouteReport:
    """One route (or the ``all`` total): counts, errors by class, waits, latencies.

    ``errors`` counts calls that failed as the caller saw them (after retries);
    ``attempt_errors`` counts every failed attempt, so 429s absorbed by retries show
    there and in ``retries`` / ``rate_limit_wait`` even when ``errors`` is all zero.
    """

    endpoint: str
    method: str
    route: str
    calls: int
    ok: int
    errors: Mapping[str, int]
    cancelled: int
    """Calls cut off by the hard time limit (neither successes nor errors)."""
    attempts: int
    attempt_errors: Mapping[str, int]
    retries: int
    retry_wait: float
    """Seconds slept between attempts (any reason)."""
    rate_limit_wait: float
    """Seconds waited because of rate limits: gate holds plus retry waits after 429s."""
    gate_holds: int
    gate_wait: float
    pool_wait_max: float
    pool_wait_mean: float | None
    request_bytes: int
    response_bytes: int
    attempt_latency: Latency
    """Per attempt: one HTTP request, from sending to the last byte."""
    call_latency: Latency
    """End to end: every attempt, retry wait, gate wait and token wait (open model: from
    the scheduled start)."""

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def _head(self) -> dict[str, Any]:
        """What both shapes start with: the route and how its calls ended."""
        return _pick(self, "endpoint", "method", "route", "calls", "ok", "failed")

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._head(),
            "errors": dict(self.errors),
            "cancelled": self.cancelled,
            "attempts": self.attempts,
            "attempt_errors": dict(self.attempt_errors),
            "retries": self.retries,
            "retry_wait_s": _r(self.retry_wait),
            "rate_limit_wait_s": _r(self.rate_limit_wait),
            "gate_holds": self.gate_holds,
            "gate_wait_s": _r(self.gate_wait),
            "pool_wait_max_ms": _r(self.pool_wait_max * 1000, 3),
            "pool_wait_mean_ms": (
                None if self.pool_wait_mean is None else _r(self.pool_wait_mean * 1000, 3)
            ),
            "request_bytes": self.request_bytes,
            "response_bytes": self.response_bytes,
            "latency_ms": {
                "attempt": self.attempt_latency.to_dict(),
                "end_to_end": self.call_latency.to_dict(),
            },
        }

    def csv_row(self) -> dict[str, Any]:
        row = self._head()
        row.update({f"errors_{name}": self.errors[name] for name in ERROR_CLASSES})
        row["cancelled"] = self.cancelled
        row["attempts"] = self.attempts
        row.update({f"attempt_errors_{name}": self.attempt_errors[name] for name in ERROR_CLASSES})
        row["retries"] = self.retries
        row["retry_wait_s"] = _r(self.retry_wait)
        row["rate_limit_wait_s"] = _r(self.rate_limit_wait)
        row["gate_holds"] = self.gate_holds
        for prefix, latency in (("attempt", self.attempt_latency), ("e2e", self.call_latency)):
            row[f"{prefix}_count"] = latency.count
            row[f"{prefix}_mean_ms"] = latency.mean
            for name, value in latency.percentiles.items():
                row[f"{prefix}_{name}_ms"] = value
            row[f"{prefix}_max_ms"] = latency.max
        return row


@attrs.frozen
class ConversationReport:
    """Whole conversations: how many started and ended, and how long each took."""

    started: int
    completed: int
    """Conversations whose every call succeeded."""
    failed: int
    """Conversations with at least one failed call."""
    latency: Latency
    """From the (scheduled) start to the end of the delete."""

    @property
    def unfinished(self) -> int:
        """Cut off by the hard time limit."""
        return self.started - self.completed - self.failed

    def to_dict(self) -> dict[str, Any]:
        shape = _pick(self, "started", "completed", "failed", "unfinished")
        return {**shape, "latency_ms": self.latency.to_dict()}


@attrs.frozen
class OpenModelReport:
    """The open model's schedule: arrivals planned, started, dropped and late."""

    target_rate: float
    """Conversations per second asked for."""
    scheduled: int
    started: int
    dropped: int
    """Arrivals not started because ``max_in_flight + max_backlog`` were already admitted."""
    late: int
    """Conversations that started more than ``late_threshold`` after their schedule."""
    late_threshold: float
    start_lag: Latency
    """Scheduled start to actual start (the queueing the end-to-end latency includes)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            **_pick(self, "target_rate", "scheduled", "started", "dropped", "late"),
            "late_threshold_s": self.late_threshold,
            "start_lag_ms": self.start_lag.to_dict(),
        }


@attrs.frozen
class TokenReport:
    """Token requests the authenticator made during the run."""

    requests: int
    """Token requests made (each :class:`~watson_async.RefreshEvent`)."""
    failures: int
    by_reason: Mapping[str, int]
    max_duration: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "by_reason": dict(self.by_reason),
            "max_duration_s": _r(self.max_duration),
        }


@attrs.frozen
class LoadTestReport:
    """The outcome of a load test: see :meth:`to_dict` for the JSON shape.

    :attr:`passed` / :attr:`exit_code` say whether it meets its thresholds: no calls made,
    a call error rate above ``max_error_rate``, open-model drops above that rate, the
    hard time limit reached, unexpected exceptions or an interruption all fail it
    (:attr:`failures` says why).
    """

    model: str
    target: str
    service_url: str
    retry: bool
    started_at: str
    """UTC, ISO 8601."""
    duration: float
    """Seconds from the first conversation's start to the end of the last."""
    time_limit_reached: bool
    interrupted: bool
    max_error_rate: float
    config: Mapping[str, Any]
    conversations: ConversationReport
    routes: tuple[RouteReport, ...]
    total: RouteReport
    tokens: TokenReport
    open_model: OpenModelReport | None
    timeline: tuple[TimelinePoint, ...]
    distribution: Mapping[str, tuple[tuple[float, float], ...]]
    """``"attempt"`` / ``"end_to_end"`` -> ``(percentile, milliseconds)`` points (all
    routes), for plotting the latency distribution."""
    unexpected_errors: tuple[str, ...] = ()

    # --- derived ---------------------------------------------------------------

    @property
    def calls(self) -> int:
        return self.total.calls

    @property
    def error_rate(self) -> float:
        return self.total.failed / self.total.calls if self.total.calls else 0.0

    @property
    def calls_per_second(self) -> float:
        return self.total.calls / self.duration if self.duration > 0 else 0.0

    @property
    def conversations_per_second(self) -> float:
        done = self.conversations.completed + self.conversations.failed
        return done / self.duration if self.duration > 0 else 0.0

    def route(self, endpoint: str) -> RouteReport | None:
        """The first route of a client method (``create_session``, ``message``, ...)."""
        return next((r for r in self.routes if r.endpoint == endpoint), None)

    def _ok(self, endpoint: str) -> int:
        return sum(r.ok for r in self.routes if r.endpoint == endpoint)

    def counts(self) -> dict[str, int]:
        """Successful sessions created/deleted and messages; calls, requests, tokens."""
        return {
            "sessions_created": self._ok("create_session"),
            "sessions_deleted": self._ok("delete_session"),
            "messages": self._ok("message"),
            "calls": self.total.calls,
            "requests": self.total.attempts,
            "token_requests": self.tokens.requests,
        }

    @property
    def failures(self) -> tuple[str, ...]:
        """Why the run fails its thresholds (empty: it passes)."""
        reasons: list[str] = []
        if self.interrupted:
            reasons.append("interrupted before the end")
        if self.time_limit_reached:
            reasons.append(
                f"hard time limit of {self.config.get('time_limit', 0):g} s reached "
                f"({self.conversations.unfinished} conversation(s) cut off)"
            )
        if self.total.calls == 0:
            reasons.append("no call completed")
        elif self.error_rate > self.max_error_rate:
            reasons.append(
                f"error rate {self.error_rate:.2%} ({self.total.failed} of {self.total.calls} "
                f"calls) is above the maximum of {self.max_error_rate:.2%}"
            )
        if self.open_model is not None and self.open_model.scheduled:
            dropped = self.open_model.dropped / self.open_model.scheduled
            if dropped > self.max_error_rate:
                reasons.append(
                    f"{self.open_model.dropped} of {self.open_model.scheduled} scheduled "
                    f"conversations dropped ({dropped:.2%}, maximum {self.max_error_rate:.2%}): "
                    "raise --max-in-flight / --max-backlog or lower --rate"
                )
        if self.unexpected_errors:
            reasons.append(f"{len(self.unexpected_errors)} unexpected exception(s)")
        return tuple(reasons)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        """0: passed; 130: interrupted; 1: any other failure."""
        if self.interrupted:
            return 130
        return 0 if self.passed else 1

    # --- outputs -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the report (latencies in milliseconds, waits in seconds)."""
        return {
            "schema": SCHEMA_VERSION,
            "tool": "watson-async loadtest",
            **_pick(self, "started_at", "model", "target", "service_url", "retry"),
            "duration_s": _r(self.duration),
            **_pick(self, "time_limit_reached", "interrupted", "passed"),
            "failures": list(self.failures),
            "exit_code": self.exit_code,
            "max_error_rate": self.max_error_rate,
            "error_rate": _r(self.error_rate),
            "calls_per_s": _r(self.calls_per_second, 3),
            "conversations_per_s": _r(self.conversations_per_second, 3),
            "counts": self.counts(),
            "conversations": self.conversations.to_dict(),
            "open_model": None if self.open_model is None else self.open_model.to_dict(),
            "token_refreshes": self.tokens.to_dict(),
            "routes": [r.to_dict() for r in self.routes],
            "total": self.total.to_dict(),
            "timeline": [p.to_dict() for p in self.timeline],
            "distribution_ms": {
                kind: [[q, ms] for q, ms in points] for kind, points in self.distribution.items()
            },
            "unexpected_errors": list(self.unexpected_errors),
            "config": dict(self.config),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def write_json(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    def to_csv(self) -> str:
        """One row per route and a last ``all`` row; latencies in milliseconds."""
        rows = [r.csv_row() for r in (*self.routes, self.total)]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()

    def write_csv(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(self.to_csv(), encoding="utf-8")

    def write_png(self, path: str | os.PathLike[str]) -> None:
        """Latency over time and the latency distribution (needs matplotlib: install
        ``watson-async[plot]``)."""
        from ._plot import write_png

        write_png(self, path)

    def renderables(self) -> list[RenderableType]:
        """The report as rich renderables (needs rich)."""
        return _renderables(self)

    def print(self, console: Console | None = None) -> None:
        """Print the report's tables (needs rich)."""
        if console is None:
            from rich.console import Console

            console = Console()
        for item in self.renderables():
            console.print(item)


def _display_names(routes: Iterable[RouteReport]) -> list[str]:
    routes = list(routes)
    seen: dict[str, int] = {}
    for r in routes:
        seen[r.endpoint] = seen.get(r.endpoint, 0) + 1
    return [r.endpoint if seen[r.endpoint] == 1 else f"{r.endpoint} {r.route}" for r in routes]


def _renderables(report: LoadTestReport) -> list[RenderableType]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = [*report.routes, report.total]
    names = [*_display_names(report.routes), "all"]

    latency = Table(
        title="Latency (ms): per attempt and end to end (retries and waits included)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    latency.add_column("route")
    latency.add_column("latency")
    latency.add_column("count", justify="right")
    for q in PERCENTILES:
        latency.add_column(percentile_name(q), justify="right")
    latency.add_column("max", justify="right")
    for i, (name, row) in enumerate(zip(names, rows, strict=True)):
        for kind, stats in (("attempt", row.attempt_latency), ("end-to-end", row.call_latency)):
            latency.add_row(
                name if kind == "attempt" else "",
                kind,
                f"{stats.count:,}",
                *(_ms(stats.percentiles[percentile_name(q)]) for q in PERCENTILES),
                _ms(stats.max),
                end_section=i == len(rows) - 2 and kind == "end-to-end",
            )

    calls = Table(
        title="Calls, errors (after retries) and what retries absorbed",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    for header in (
        "route",
        "calls",
        "ok",
        "429",
        "5xx",
        "timeout",
        "other",
        "attempts",
        "attempt 429s",
        "retries",
        "rate-limit wait s",
    ):
        calls.add_column(header, justify="left" if header == "route" else "right")
    for i, (name, row) in enumerate(zip(names, rows, strict=True)):

        def count(value: int, style: str = "red") -> Text:
            return Text(f"{value:,}", style=style if value else "")

        calls.add_row(
            name,
            f"{row.calls:,}",
            f"{row.ok:,}",
            *(count(row.errors[c]) for c in ERROR_CLASSES),
            f"{row.attempts:,}",
            count(row.attempt_errors["429"], "yellow"),
            count(row.retries, "yellow"),
            f"{row.rate_limit_wait:.2f}",
            end_section=i == len(rows) - 2,
        )

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    conv = report.conversations
    summary.add_row(
        "run",
        f"{report.model} model against {report.target} ({report.service_url}), "
        f"retries {'on' if report.retry else 'off'}, {report.duration:.2f} s",
    )
    summary.add_row(
        "conversations",
        f"{conv.started:,} started, {conv.completed:,} completed, {conv.failed:,} failed"
        + (f", {conv.unfinished:,} cut off" if conv.unfinished else "")
        + f"; p50 {_ms(conv.latency['p50'])} ms, p99 {_ms(conv.latency['p99'])} ms",
    )
    summary.add_row(
        "achieved",
        f"{report.calls_per_second:,.1f} calls/s, "
        f"{report.conversations_per_second:,.2f} conversations/s",
    )
    if report.open_model is not None:
        om = report.open_model
        summary.add_row(
            "open model",
            f"target {om.target_rate:g}/s: {om.scheduled:,} scheduled, {om.started:,} started, "
            f"{om.dropped:,} dropped, {om.late:,} late (> {om.late_threshold * 1000:g} ms); "
            f"start lag p99 {_ms(om.start_lag['p99'])} ms, max {_ms(om.start_lag.max)} ms",
        )
    summary.add_row(
        "rate limits",
        f"{report.total.attempt_errors['429']:,} 429 responses, "
        f"{report.total.retries:,} retries, {report.total.gate_holds:,} gate holds, "
        f"{report.total.rate_limit_wait:.2f} s waited (summed over calls)",
    )
    tokens = report.tokens
    summary.add_row(
        "token requests",
        f"{tokens.requests:,} ({tokens.failures:,} failed"
        + (
            ", " + ", ".join(f"{k} {v}" for k, v in sorted(tokens.by_reason.items()))
            if tokens.by_reason
            else ""
        )
        + ")",
    )
    verdict = (
        Text("PASSED", style="bold green")
        if report.passed
        else Text("FAILED: " + "; ".join(report.failures), style="bold red")
    )
    summary.add_row("result", verdict)
    for error in report.unexpected_errors[:5]:
        summary.add_row("unexpected", error)
    return [latency, calls, summary]
