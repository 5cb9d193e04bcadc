"""The PNG of a report: latency over time and the latency distribution (matplotlib).

Uses matplotlib's object API with the Agg canvas, so it never touches pyplot's global
state or the backend of the program it runs in.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._report import LoadTestReport

__all__ = ["PLOT_INSTALL_HINT", "require_matplotlib", "write_png"]

PLOT_INSTALL_HINT = 'pip install "watson-async[plot]"'


def require_matplotlib() -> None:
    """Raise ``ImportError`` with the install hint when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"writing a PNG needs matplotlib, which is not installed: {PLOT_INSTALL_HINT}"
        ) from exc


def _tail_x(q: float) -> float:
    """The plot position of percentile ``q``: 1 / (1 - q), the usual HDR tail scale."""
    return 1.0 / max(1e-6, 1.0 - q / 100.0)


def write_png(report: LoadTestReport, path: str | os.PathLike[str]) -> None:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    over_time, distribution = figure.subplots(2, 1)
    retries = "on" if report.retry else "off"
    figure.suptitle(
        f"watson-async loadtest: {report.model} model, {report.target}, retries {retries}, "
        f"{report.calls:,} calls in {report.duration:.1f} s"
    )

    points = report.timeline
    step = points[1].t - points[0].t if len(points) > 1 else 1.0
    starts = [p.t for p in points]
    times = [p.t + step / 2 for p in points]  # each interval's middle

    def series(values: list[float | None]) -> list[float]:
        return [math.nan if v is None else v for v in values]

    over_time.plot(times, series([p.call_p50 for p in points]), label="end to end p50")
    over_time.plot(times, series([p.call_p99 for p in points]), label="end to end p99")
    over_time.plot(
        times, series([p.call_max for p in points]), label="end to end max", linestyle=":"
    )
    over_time.plot(
        times, series([p.attempt_p99 for p in points]), label="per attempt p99", linestyle="--"
    )
    limited = [(p.t, p.call_p99) for p in points if p.attempt_429s and p.call_p99 is not None]
    if limited:
        over_time.scatter(
            [t + step / 2 for t, _ in limited],
            [v for _, v in limited],
            marker="x",
            color="red",
            label="seconds with 429 responses",
            zorder=3,
        )
    over_time.set_xlabel("seconds since start (by call end)")
    over_time.set_ylabel("latency (ms)")
    over_time.set_title("Latency over time")
    if any(p.call_max for p in points):
        over_time.set_yscale("log")
    rate_axis = over_time.twinx()
    # The last interval may be cut short by the end of the run.
    spans = [max(1e-3, min(step, report.duration - p.t)) for p in points]
    rate_axis.bar(
        starts,
        [p.calls / span for p, span in zip(points, spans, strict=True)],
        width=[span * 0.9 for span in spans],
        alpha=0.15,
        color="grey",
        align="edge",
    )
    rate_axis.set_ylabel("calls/s (bars)")
    over_time.set_zorder(rate_axis.get_zorder() + 1)
    over_time.patch.set_visible(False)
    over_time.legend(loc="upper left", fontsize="small")

    for kind, label in (("attempt", "per attempt"), ("end_to_end", "end to end")):
        curve = report.distribution.get(kind, ())
        if curve:
            distribution.plot([_tail_x(q) for q, _ in curve], [ms for _, ms in curve], label=label)
    distribution.set_xscale("log")
    ticks = [0.0, 90.0, 99.0, 99.9, 99.99, 99.999]
    distribution.set_xticks([_tail_x(q) for q in ticks], [f"p{q:g}" for q in ticks])
    distribution.set_xlabel("percentile")
    distribution.set_ylabel("latency (ms)")
    distribution.set_title("Latency distribution (all routes)")
    distribution.grid(True, which="major", alpha=0.3)
    distribution.legend(loc="upper left", fontsize="small")
    figure.savefig(os.fspath(path), format="png")
