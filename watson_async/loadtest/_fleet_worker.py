"""One process of a load-test fleet: :func:`work` runs in a spawned process.

It builds its client against the parent's fake (or the real target), says ``ready``,
waits for the parent's ``go`` so the fleet starts together, runs its share of the load
and sends its results to the parent through a pipe: progress snapshots while it runs,
then its report and its recorder (whose HDR histograms the parent merges exactly).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

import attrs

from ._config import LoadTestConfig
from ._fleet import sharing
from ._recorder import Recorder, Snapshot
from ._report import LoadTestReport
from ._runner import FakeEndpoint, LoadTestRunner

__all__ = ["WorkerResult", "WorkerSpec", "work"]

#: How often a worker checks the parent's stop and abort signals, in seconds.
_WATCH_INTERVAL = 0.1


@attrs.frozen
class WorkerSpec:
    """What a worker process runs (pickled to it)."""

    index: int
    config: LoadTestConfig
    endpoint: FakeEndpoint | None
    """The parent's fake; ``None`` for the real target."""
    redis_url: str | None = attrs.field(repr=False)  # may carry a password
    namespace: str
    start_timeout: float
    progress_interval: float = 0.5


@attrs.frozen
class WorkerResult:
    """What a worker sends back at the end."""

    index: int
    pid: int
    report: LoadTestReport
    recorder: Recorder
    token_requests: int
    """Token requests this process sent to IAM."""
    shared: tuple[str, ...] = ()
    """What it shared through Redis (``"the token"``, ``"the rate-limit gate"``)."""


class _PipeProgress:
    """The runner's progress sink: snapshots to the parent."""

    def __init__(self, conn: Connection, index: int) -> None:
        self._conn = conn
        self._index = index

    def update(self, snapshot: Snapshot, in_flight: int) -> None:
        self._conn.send(("progress", self._index, snapshot, in_flight))

    def close(self) -> None:
        pass


def work(spec: WorkerSpec, conn: Connection, go: MpEvent, stop: MpEvent, abort: MpEvent) -> None:
    """The worker process's entry point. Never raises: a failure is sent as ``error``."""
    # Ctrl-C reaches the whole process group: the parent decides and tells us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = asyncio.run(_work(spec, conn, go, stop, abort))
        conn.send(("result", spec.index, result))
    except BaseException as exc:  # the parent reports it; nothing else would see it
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", spec.index, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


async def _work(
    spec: WorkerSpec, conn: Connection, go: MpEvent, stop: MpEvent, abort: MpEvent
) -> WorkerResult:
    token_cache: Any = None
    gate: Any = None
    if spec.redis_url is not None:
        token_cache, gate = sharing(spec.redis_url, spec.namespace)
    options = {"rate_limit_gate": gate} if gate is not None and spec.config.retry else {}

    async def ready() -> None:
        conn.send(("ready", spec.index, os.getpid()))
        if not await asyncio.to_thread(go.wait, spec.start_timeout):
            raise RuntimeError(f"no start signal within {spec.start_timeout:g} s")

    runner = LoadTestRunner(
        spec.config,
        fake=spec.endpoint,
        client_options=options,
        token_cache=token_cache,
        ready=ready,
        progress=_PipeProgress(conn, spec.index),
        progress_interval=spec.progress_interval,
    )
    watcher = asyncio.ensure_future(_watch(runner, stop, abort))
    try:
        report = await runner.run()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        for shared in (token_cache, gate):
            if shared is not None:
                await shared.aclose()
    shared = tuple(
        name
        for name, used in (("the token", token_cache), ("the rate-limit gate", gate))
        if used is not None
    )
    return WorkerResult(
        spec.index, os.getpid(), report, runner.recorder, runner.token_requests, shared
    )


async def _watch(runner: LoadTestRunner, stop: MpEvent, abort: MpEvent) -> None:
    """Pass the parent's stop (finish what is in flight) and abort (cancel) on."""
    stopped = False
    while True:
        if abort.is_set():
            runner.stop()
            runner.stop()
            return
        if stop.is_set() and not stopped:
            stopped = True
            runner.stop()
        await asyncio.sleep(_WATCH_INTERVAL)
