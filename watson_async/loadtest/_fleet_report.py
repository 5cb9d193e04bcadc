"""The report of a fleet run (``loadtest --processes N``): the fleet's totals as a
:class:`LoadTestReport`, what the fake saw, and one row per process."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._report import LoadTestReport, _ms

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["FleetReport", "ProcessReport"]


@attrs.frozen
class ProcessReport:
    """One process of a fleet: its share of the load and what it saw."""

    index: int
    pid: int | None
    share: Mapping[str, Any]
    """Its part of the split totals (``users`` or ``rate``, ``conversations``, ...)."""
    calls: int
    ok: int
    failed: int
    attempt_429s: int
    token_requests: int
    """Token requests this process sent to the token service itself."""
    call_p50: float | None
    """End-to-end call latency, milliseconds."""
    call_p99: float | None
    exit_code: int | None
    """Its own report's exit code; ``None`` when it sent no report."""
    error: str | None = None
    """Why it sent no report (it failed, or was killed after the grace period)."""

    def to_dict(self) -> dict[str, Any]:
        """This process's row of the ``fleet.per_process`` JSON section."""
        data = attrs.asdict(self)
        data["share"] = dict(self.share)
        return data


@attrs.frozen
class FleetReport:
    """The outcome of ``loadtest --processes N``: :attr:`report` holds the fleet's totals
    (every process's HDR histograms added exactly, counters summed; timeline percentiles
    are the worst process's), :attr:`processes` a row per process.

    Against the embedded fake, the fake's own counts: :attr:`iam_calls` (token requests
    it answered), :attr:`http_429` (429s it sent) and :attr:`goodput` (messages it
    processed per full window after a warm-up window, over the limit).
    """

    sharing: str
    """What the processes shared: ``"nothing"``, or what went through Redis."""
    report: LoadTestReport
    processes: tuple[ProcessReport, ...]
    iam_calls: int | None
    http_429: int | None
    rate_limit: int | None
    rate_window: float
    goodput: float | None
    """Fraction of the rate limit used by processed messages (``None``: no limit, not
    the fake, or no full window measured)."""

    @property
    def failures(self) -> tuple[str, ...]:
        """Why the run fails: the fleet's totals' reasons, then each lost process."""
        lost = tuple(
            f"process {p.index} sent no report ({p.error})"
            for p in self.processes
            if p.exit_code is None
        )
        return self.report.failures + lost

    @property
    def exit_code(self) -> int:
        """0: passed; 130: interrupted; 1: any other failure."""
        if self.report.interrupted:
            return 130
        return 0 if not self.failures else 1

    def to_dict(self) -> dict[str, Any]:
        """The fleet totals' JSON shape plus a ``fleet`` section."""
        data = self.report.to_dict()
        data["passed"] = not self.failures
        data["failures"] = list(self.failures)
        data["exit_code"] = self.exit_code
        data["fleet"] = {
            "processes": len(self.processes),
            "sharing": self.sharing,
            "iam_calls": self.iam_calls,
            "http_429": self.http_429,
            "rate_limit": self.rate_limit,
            "rate_window_s": self.rate_window,
            "goodput_vs_limit": self.goodput,
            "per_process": [p.to_dict() for p in self.processes],
        }
        return data

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` to ``path`` as indented JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def write_csv(self, path: str | os.PathLike[str]) -> None:
        """The fleet totals per route (see :meth:`LoadTestReport.write_csv`)."""
        self.report.write_csv(path)

    def write_png(self, path: str | os.PathLike[str]) -> None:
        """The fleet totals' plots (see :meth:`LoadTestReport.write_png`)."""
        self.report.write_png(path)

    def print(self, console: Console | None = None) -> None:
        """Print the fleet totals' tables, the fleet line and the per-process table."""
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = console or Console()
        self.report.print(console)
        table = Table(
            title=f"Fleet: {len(self.processes)} processes, sharing {self.sharing}",
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        for header in ("process", "pid", "share", "calls", "ok", "failed", "attempt 429s"):
            table.add_column(header, justify="left" if header == "share" else "right")
        for header in ("token requests", "p50 ms", "p99 ms", "exit"):
            table.add_column(header, justify="right")
        for p in self.processes:
            table.add_row(
                str(p.index),
                str(p.pid or "-"),
                ", ".join(f"{k} {v:g}" for k, v in p.share.items()),
                f"{p.calls:,}",
                f"{p.ok:,}",
                f"{p.failed:,}",
                f"{p.attempt_429s:,}",
                f"{p.token_requests:,}",
                _ms(p.call_p50),
                _ms(p.call_p99),
                str(p.exit_code) if p.exit_code is not None else Text("lost", style="red"),
            )
        console.print(table)
        fake = []
        if self.iam_calls is not None:
            fake.append(f"{self.iam_calls:,} token requests")
        if self.http_429 is not None:
            fake.append(f"{self.http_429:,} 429s sent")
        if self.goodput is not None and self.rate_limit is not None:
            fake.append(
                f"goodput {self.goodput:.1%} of {self.rate_limit} messages "
                f"per {self.rate_window:g} s"
            )
        if fake:
            console.print("[bold]the fake saw[/bold]  " + ", ".join(fake))
        if self.failures != self.report.failures:
            console.print(Text("FAILED: " + "; ".join(self.failures), style="bold red"))
