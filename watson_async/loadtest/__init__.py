"""Load testing: drive conversations through :class:`~watson_async.AssistantClient` and
report what a load-test harness needs to see, per route: per-attempt and end-to-end
latency (HDR histograms), errors by class (429, 5xx, timeout, other), retries,
rate-limit waits and token refreshes.

A fleet of processes against one fake (``loadtest --processes N [--redis URL]``)::

    from watson_async.loadtest import fleet_load_test

    fleet = await fleet_load_test(config, processes=4, redis_url="redis://127.0.0.1/0")
    print(fleet.iam_calls, fleet.http_429, fleet.goodput)

From the command line: ``watson-async loadtest --help`` (see ``docs/loadtest.md``).
From Python::

    from watson_async.loadtest import LoadTestConfig, run_load_test

    report = run_load_test(LoadTestConfig(users=20, duration=30))
    print(report.total.call_latency["p99"], report.total.attempt_errors["429"])
    report.write_json("load.json")

or ``report = await load_test(config)`` inside a running event loop.

Needs the ``loadtest`` extra (``pip install "watson-async[loadtest]"``: rich and
hdrhistogram); PNG plots need the ``plot`` extra (matplotlib). Importing this package
works without them: they are imported when a test runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._cli import require_extras
from ._config import DEFAULT_SCRIPT, LoadTestConfig, read_script
from ._fleet_report import FleetReport, ProcessReport
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
)

if TYPE_CHECKING:
    from ..testing import FakeAssistant

__all__ = [
    "DEFAULT_SCRIPT",
    "ERROR_CLASSES",
    "PERCENTILES",
    "ConversationReport",
    "FleetReport",
    "Latency",
    "LoadTestConfig",
    "LoadTestReport",
    "OpenModelReport",
    "ProcessReport",
    "RouteReport",
    "TimelinePoint",
    "TokenReport",
    "fleet_load_test",
    "load_test",
    "read_script",
    "run_load_test",
]


async def load_test(
    config: LoadTestConfig,
    *,
    fake: FakeAssistant | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> LoadTestReport:
    """Run a load test in the running event loop and return its report.

    ``fake``: a started :class:`~watson_async.testing.FakeAssistant` to use instead of
    starting one (for ``target="fake"``; its own settings then apply, not the config's
    ``fake_*`` ones except ``fake_error_rate``). ``client_options``: more keyword
    arguments for the :class:`~watson_async.AssistantClient` (``headers=``, ...).
    Raises ``ImportError`` naming the ``loadtest`` extra when rich or hdrhistogram is
    missing.
    """
    require_extras()
    from ._runner import LoadTestRunner

    return await LoadTestRunner(config, fake=fake, client_options=client_options).run()


async def fleet_load_test(
    config: LoadTestConfig, *, processes: int, redis_url: str | None = None
) -> FleetReport:
    """Run ``config`` as a fleet of ``processes`` spawned worker processes and return
    the merged :class:`FleetReport`.

    Against the embedded fake (``target="fake"``) this event loop runs the one fake
    they all send to. ``users``, ``conversations``, ``rate``, ``max_in_flight`` and
    ``max_backlog`` are the fleet's totals, split between the processes; a total
    smaller than ``processes`` is a ``ValueError``. ``redis_url``: the processes share
    the IAM token through that Redis; a malformed URL is a
    ``ValueError``, an unreachable Redis a warning (logger ``watson_async.loadtest``),
    and the run goes on unshared. The processes are spawned: like any
    ``multiprocessing`` program, a script calling this guards its entry point with
    ``if __name__ == "__main__":``.
    """
    require_extras()
    from ._fleet import check_redis_url
    from ._fleet_runner import FleetRunner

    if redis_url is not None:
        check_redis_url(redis_url)
    return await FleetRunner(config, processes=processes, redis_url=redis_url).run()


def run_load_test(config: LoadTestConfig) -> LoadTestReport:
    """Run a load test in a new event loop (``asyncio.run``) and return its report.

    Inside a running loop, ``await load_test(config)`` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(load_test(config))
    raise RuntimeError(
        "run_load_test() starts its own event loop; inside one, use await load_test(config)"
    )
