"""The live progress display (rich), refreshed from the event loop a few times a second."""

from __future__ import annotations

from collections import deque

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ._config import LoadTestConfig
from ._recorder import Snapshot

__all__ = ["LiveProgress"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


class LiveProgress:
    """Shows calls, the current call rate, errors, 429s, retries and p50/p99 so far.

    Updated by the runner (never from rich's refresh thread, so it reads the recorder
    only from the event loop); the current rate is measured over the last second.
    """

    def __init__(self, config: LoadTestConfig, console: Console | None = None) -> None:
        self._config = config
        self._console = console or Console()
        self._live = Live(
            Text("starting..."),
            console=self._console,
            auto_refresh=False,
            transient=True,
        )
        self._samples: deque[tuple[float, int]] = deque()
        self._started = False

    def render(self, snapshot: Snapshot, in_flight: int) -> Table:
        samples = self._samples
        samples.append((snapshot.elapsed, snapshot.calls))
        while len(samples) > 2 and snapshot.elapsed - samples[1][0] >= 1.0:
            samples.popleft()
        t0, c0 = samples[0]
        rate = (snapshot.calls - c0) / (snapshot.elapsed - t0) if snapshot.elapsed > t0 else 0.0
        config = self._config
        duration = config.run_duration
        limit = f" / {duration:g} s" if duration is not None else ""
        budget = f" / {config.conversations:,}" if config.conversations is not None else ""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row(
            "elapsed",
            f"{snapshot.elapsed:6.1f} s{limit}   {config.model} model, "
            f"retries {'on' if config.retry else 'off'}",
        )
        grid.add_row(
            "conversations",
            f"{snapshot.conversations_done:,}{budget} done, {in_flight:,} in flight, "
            f"{snapshot.conversations_failed:,} failed",
        )
        grid.add_row("calls", f"{snapshot.calls:,}   {rate:,.0f} calls/s now")
        errors = Text(f"{snapshot.failed:,}", style="red" if snapshot.failed else "")
        errors.append(
            f"   429 responses {snapshot.attempt_429s:,}, retries {snapshot.retries:,}",
            style="yellow" if snapshot.attempt_429s or snapshot.retries else "",
        )
        grid.add_row("errors", errors)
        grid.add_row(
            "latency", f"p50 {_ms(snapshot.call_p50)}   p99 {_ms(snapshot.call_p99)}  (end to end)"
        )
        if config.model == "open":
            grid.add_row(
                "open model",
                f"target {config.rate:g}/s, {snapshot.dropped:,} dropped, {snapshot.late:,} late",
            )
        return grid

    def update(self, snapshot: Snapshot, in_flight: int) -> None:
        if not self._started:
            self._live.start()
            self._started = True
        self._live.update(self.render(snapshot, in_flight), refresh=True)

    def close(self) -> None:
        if self._started:
            self._live.stop()
            self._started = False
