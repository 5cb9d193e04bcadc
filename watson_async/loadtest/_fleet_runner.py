"""The parent of a load-test fleet: one fake, N spawned worker processes, one report.

The parent starts the embedded fake (unless the target is real), spawns the workers
(``spawn``, never ``fork``: each is a fresh interpreter like a gunicorn worker or a
pod), waits until all are ready, starts them together, shows their summed progress,
and merges their results into a :class:`FleetReport`. It is bounded in time: workers
that don't report within their hard time limit plus a grace period are told to stop,
then to abort, then terminated and killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import math
import multiprocessing
import time
import uuid
from collections.abc import Callable
from multiprocessing import connection as mp_connection
from typing import TYPE_CHECKING, Any

import attrs

from ._config import LoadTestConfig
from ._fleet import redis_problem, split
from ._fleet_report import FleetReport, ProcessReport
from ._fleet_worker import WorkerResult, WorkerSpec, work
from ._recorder import Recorder, Snapshot
from ._runner import FakeEndpoint, ProgressSink, embedded_fake

if TYPE_CHECKING:
    from ..testing import FakeAssistant

__all__ = ["FleetRunner"]

_log = logging.getLogger("watson_async.loadtest")

#: Seconds for every worker to start (spawn, imports, client) and say it is ready.
START_TIMEOUT = 60.0
#: Seconds a worker gets, after its hard time limit, to report before it is aborted,
#: and again after that before it is terminated (then killed).
GRACE = 10.0
_POLL = 0.25  # seconds between looks at the workers' pipes


@attrs.define
class _Worker:
    spec: WorkerSpec
    process: Any  # multiprocessing's SpawnProcess
    conn: mp_connection.Connection
    pid: int | None = None
    ready: bool = False
    result: WorkerResult | None = None
    error: str | None = None
    progress: tuple[Snapshot, int] | None = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


class FleetRunner:
    """One fleet run. :meth:`run` once; :meth:`stop` from a signal handler (first call:
    the workers finish what is in flight; second: they cancel it).

    ``redis_url``: the processes share the token and the rate-limit gate through Redis
    under a namespace of this run's own; an unreachable Redis is reported with ``warn``
    and the run goes on unshared.
    """

    def __init__(
        self,
        config: LoadTestConfig,
        *,
        processes: int,
        redis_url: str | None = None,
        progress: ProgressSink | None = None,
        warn: Callable[[str], None] = _log.warning,
    ) -> None:
        self.config = config
        self.configs = split(config, processes)  # ValueError before anything starts
        self.redis_url = redis_url
        self._progress = progress
        self._warn = warn
        self._go: Any = None  # multiprocessing Events, made with the processes
        self._stop: Any = None
        self._abort: Any = None
        self._stop_requests = 0
        self._used = False

    def stop(self) -> None:
        """First call: no new conversations; second call: cancel everything now."""
        self._stop_requests += 1
        if self._stop is not None:
            (self._stop if self._stop_requests == 1 else self._abort).set()

    async def run(self) -> FleetReport:
        """Run the fleet and return its report."""
        if self._used:
            raise RuntimeError("a FleetRunner runs once; create another")
        self._used = True
        redis_url, shared = self.redis_url, "nothing"
        if redis_url is not None:
            problem = await redis_problem(redis_url)
            if problem is not None:
                self._warn(f"Redis unreachable ({problem}): the processes run unshared")
                redis_url, shared = None, "nothing (Redis unreachable)"
        async with contextlib.AsyncExitStack() as stack:
            fake: FakeAssistant | None = None
            if self.config.target == "fake":
                fake = await stack.enter_async_context(embedded_fake(self.config))
            workers = self._spawn(fake, redis_url)
            stack.callback(self._reap, workers)
            started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            await self._until(workers, lambda w: w.ready or w.done, START_TIMEOUT)
            lost = [w for w in workers if not w.ready]
            if lost:
                self._abort.set()
                reasons = "; ".join(
                    f"process {w.spec.index}: {w.error or 'no answer'}" for w in lost
                )
                raise RuntimeError(f"the fleet did not start: {reasons}")
            self._go.set()
            begun = time.time()
            sampler = None
            if fake is not None and self.config.fake_rate_limit is not None:
                sampler = asyncio.ensure_future(_sample_turns(fake, self.config, begun))
            samples: list[int] = []
            try:
                limit = self.config.hard_time_limit + GRACE
                if not await self._until(workers, lambda w: w.done, limit):
                    self._abort.set()
                    await self._until(workers, lambda w: w.done, GRACE)
            finally:
                if sampler is not None:
                    sampler.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        samples = await sampler
                if self._progress is not None:
                    self._progress.close()
            return self._report(workers, fake, shared, started_at, samples)

    # --- processes ---------------------------------------------------------------

    def _spawn(self, fake: FakeAssistant | None, redis_url: str | None) -> list[_Worker]:
        context = multiprocessing.get_context("spawn")
        self._go, self._stop, self._abort = context.Event(), context.Event(), context.Event()
        if self._stop_requests:  # stopped before the fleet existed
            self._stop.set()
        endpoint = FakeEndpoint.of(fake) if fake is not None else None
        namespace = f"watson-async-loadtest:{uuid.uuid4().hex[:12]}"
        workers = []
        for index, config in enumerate(self.configs):
            spec = WorkerSpec(index, config, endpoint, redis_url, namespace, START_TIMEOUT)
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(
                target=work,
                args=(spec, writer, self._go, self._stop, self._abort),
                name=f"watson-async-loadtest-{index}",
                daemon=True,
            )
            process.start()
            writer.close()  # the worker holds the only writer: its exit is our EOF
            workers.append(_Worker(spec, process, reader))
        return workers

    async def _until(
        self, workers: list[_Worker], condition: Callable[[_Worker], bool], timeout: float
    ) -> bool:
        """Read the workers' messages until ``condition`` holds for all of them (True)
        or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while not all(condition(w) for w in workers):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            open_ = {w.conn: w for w in workers if not w.done}
            ready = await asyncio.to_thread(mp_connection.wait, list(open_), min(_POLL, left))
            for conn in ready:
                assert isinstance(conn, mp_connection.Connection)
                self._receive(open_[conn])
            self._show_progress(workers)
        return True

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.error = worker.error or f"exited with code {worker.process.exitcode}"
            return
        kind = message[0]
        if kind == "ready":
            worker.ready, worker.pid = True, message[2]
        elif kind == "progress":
            worker.progress = (message[2], message[3])
        elif kind == "result":
            worker.result = message[2]
        else:
            worker.error = message[2]

    def _show_progress(self, workers: list[_Worker]) -> None:
        seen = [w.progress for w in workers if w.progress is not None]
        if self._progress is not None and seen:
            self._progress.update(_sum_snapshots([s for s, _ in seen]), sum(n for _, n in seen))

    def _reap(self, workers: list[_Worker]) -> None:
        """Bounded: each worker gets the grace period to exit, then terminate, then kill."""
        if any(not w.done for w in workers):
            self._abort.set()
        for worker in workers:
            worker.process.join(GRACE if worker.done else 0)
            for end in (worker.process.terminate, worker.process.kill):
                if worker.process.is_alive():
                    end()
                    worker.process.join(GRACE)
            if worker.result is None and worker.error is None:
                worker.error = "killed after the grace period"
            worker.conn.close()

    # --- the report ----------------------------------------------------------------

    def _report(
        self,
        workers: list[_Worker],
        fake: FakeAssistant | None,
        shared: str,
        started_at: str,
        samples: list[int],
    ) -> FleetReport:
        merged = Recorder()
        results = [w.result for w in workers if w.result is not None]
        for result in results:
            merged.merge(result.recorder)
        reports = [r.report for r in results]
        report = merged.report(
            self.config,
            duration=max((r.duration for r in reports), default=0.0),
            service_url=reports[0].service_url if reports else "",
            started_at=started_at,
            time_limit_reached=any(r.time_limit_reached for r in reports),
            interrupted=self._stop_requests > 0 or any(r.interrupted for r in reports),
        )
        if results and results[0].shared:
            shared = " and ".join(results[0].shared) + " through Redis"
        limit = self.config.fake_rate_limit
        goodput = None
        if limit is not None and len(samples) >= 2:
            goodput = round((samples[-1] - samples[0]) / ((len(samples) - 1) * limit), 4)
        return FleetReport(
            sharing=shared,
            report=report,
            processes=tuple(_process_row(w) for w in workers),
            iam_calls=fake.iam_calls if fake is not None else None,
            http_429=fake.rate_limited_responses if fake is not None else None,
            rate_limit=limit if fake is not None else None,
            rate_window=self.config.rate_window,
            goodput=goodput,
        )


def _process_row(worker: _Worker) -> ProcessReport:
    config = worker.spec.config
    share: dict[str, Any] = (
        {"users": config.users} if config.model == "closed" else {"rate": config.rate}
    )
    if config.conversations is not None:
        share["conversations"] = config.conversations
    result = worker.result
    if result is None:
        return ProcessReport(
            worker.spec.index, worker.pid, share, 0, 0, 0, 0, 0, None, None, None, worker.error
        )
    total = result.report.total
    return ProcessReport(
        index=worker.spec.index,
        pid=result.pid,
        share=share,
        calls=total.calls,
        ok=total.ok,
        failed=total.failed,
        attempt_429s=total.attempt_errors["429"],
        token_requests=result.token_requests,
        call_p50=total.call_latency["p50"],
        call_p99=total.call_latency["p99"],
        exit_code=result.report.exit_code,
    )


def _sum_snapshots(snapshots: list[Snapshot]) -> Snapshot:
    """The fleet's progress: counts add up; elapsed and latencies are the highest."""

    def high(name: str) -> Any:
        values = [getattr(s, name) for s in snapshots if getattr(s, name) is not None]
        return max(values) if values else None

    summed = {
        field.name: sum(getattr(s, field.name) for s in snapshots)
        for field in attrs.fields(Snapshot)
        if field.name not in ("elapsed", "call_p50", "call_p99")
    }
    return Snapshot(
        elapsed=high("elapsed"), call_p50=high("call_p50"), call_p99=high("call_p99"), **summed
    )


async def _sample_turns(fake: FakeAssistant, config: LoadTestConfig, begun: float) -> list[int]:
    """The fake's processed messages at each of its window boundaries, from the end of
    the first full window (a warm-up) until the run's duration is over (or until
    cancelled): goodput is measured over whole windows of the fake's clock."""
    window = config.rate_window
    duration = config.run_duration
    end = math.inf if duration is None else begun + duration
    boundary = (math.floor(begun / window) + 2) * window
    samples: list[int] = []
    try:
        while boundary <= end:
            await asyncio.sleep(max(0.0, boundary - time.time()))
            samples.append(fake.total_turns_processed)
            boundary += window
    except asyncio.CancelledError:
        pass  # the workers are done: what was sampled is the answer
    return samples
