"""Drives a load test: the closed and open workload models over one client.

Closed model: ``users`` virtual users run conversations back to back. Open model:
conversations arrive on a fixed schedule (``rate`` per second) whatever the service
does; each one's latency counts from its *scheduled* start, so a client that falls
behind (all ``max_in_flight`` slots busy) sees the queueing in its numbers instead of
silently sending less (no coordinated omission).

A conversation: create a session, send the turns, delete the session. A failed turn
doesn't end it (the offered load stays the same) unless the session is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..auth import IAMAuthenticator
from ..auth._token import TokenCache
from ..client import DEFAULT_RETRY, AssistantClient
from ..errors import NotFoundError, WatsonError
from ._config import LoadTestConfig
from ._recorder import Recorder, Snapshot, schedule_lag
from ._report import LoadTestReport

if TYPE_CHECKING:
    from ..testing import FakeAssistant

__all__ = ["FakeEndpoint", "LoadTestRunner", "ProgressSink", "embedded_fake"]


class ProgressSink(Protocol):
    """Something that shows progress (the rich live display, or a test's recorder)."""

    def update(self, snapshot: Snapshot, in_flight: int) -> None: ...

    def close(self) -> None: ...


@attrs.frozen
class FakeEndpoint:
    """Where an embedded fake running in another process (a fleet's parent) answers."""

    service_url: str
    iam_url: str
    apikey: str
    assistant_id: str
    environment_id: str

    @classmethod
    def of(cls, fake: FakeAssistant) -> FakeEndpoint:
        return cls(
            fake.service_url, fake.iam_url, fake.apikey, fake.assistant_id, fake.environment_id
        )


def embedded_fake(config: LoadTestConfig) -> FakeAssistant:
    """The (unstarted) embedded fake shaped by ``config``'s ``fake_*`` settings."""
    from ..testing import FakeAssistant

    return FakeAssistant(
        rate_limit=config.fake_rate_limit,
        rate_limit_window=config.rate_window,
        rate_limit_headers=config.fake_rate_headers,
        latency=config.fake_latency,
        token_lifetime=config.fake_token_lifetime,
        record_requests=False,  # memory stays flat however long the run
        record_logs=False,
    )


@attrs.define
class _Target:
    client: AssistantClient
    assistant_id: str
    environment_id: str | None
    service_url: str
    fake: FakeAssistant | None = None


class _Chaos:
    """The fake's error rate: before a call, maybe have the fake fail its next request."""

    def __init__(self, fake: FakeAssistant, rate: float, seed: int | None) -> None:
        self._fake = fake
        self._rate = rate
        self._random = random.Random(seed)

    def __call__(self) -> None:
        if self._random.random() < self._rate:
            self._fake.enqueue_error(500, path_contains="/v2/assistants/")


class LoadTestRunner:
    """One load test run. :meth:`run` once; :meth:`stop` from a signal handler.

    ``clock`` and ``sleep`` drive the schedule (virtual users' think time, open-model
    arrivals) and the timestamps; the hard time limit is always wall-clock time.
    ``fake``: a started :class:`~watson_async.testing.FakeAssistant` to run against
    instead of starting one (its own settings apply, not the config's ``fake_*`` ones
    except ``fake_error_rate``). ``client_options``: more keyword arguments for the
    :class:`~watson_async.AssistantClient` (``headers=``, ``clock=``/``sleep=`` in
    tests, ...). ``progress`` receives a snapshot a few times a second.

    For one process of a fleet (``loadtest --processes``): ``fake`` may be a
    :class:`FakeEndpoint` (the fake runs in the parent; no ``fake_error_rate`` then),
    ``token_cache`` goes to the fake's :class:`~watson_async.IAMAuthenticator`, and
    ``ready`` is awaited once the client is built, before the run's clock starts (the
    fleet's processes start together).
    """

    def __init__(
        self,
        config: LoadTestConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        progress: ProgressSink | None = None,
        progress_interval: float = 0.25,
        fake: FakeAssistant | FakeEndpoint | None = None,
        client_options: Mapping[str, Any] | None = None,
        token_cache: TokenCache | None = None,
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._progress = progress
        self._progress_interval = progress_interval
        self._given_fake = fake
        self._client_options = dict(client_options or {})
        self._token_cache = token_cache
        self._ready = ready
        self.recorder = Recorder(clock=clock)
        self._texts = config.turn_texts()
        self._chaos: Callable[[], None] | None = None
        self._stopping = False
        self._abort: asyncio.Event | None = None
        self._deadline = float("inf")
        self._budget = config.conversations
        self._begun = 0  # conversations allowed to start
        self._admitted = 0  # open model: arrivals waiting for a slot or running
        self._running = 0  # conversations in progress
        self._used = False
        self.fake: FakeAssistant | None = None
        """The embedded fake while the run uses one (its counters stay readable after)."""
        self.token_requests = 0
        """Token requests this run's authenticator sent (after :meth:`run`)."""

    def stop(self) -> None:
        """First call: start no new conversation, let those in flight finish. Second
        call: cancel everything now. Either way :meth:`run` returns the report."""
        if not self._stopping:
            self._stopping = True
        elif self._abort is not None:
            self._abort.set()

    # --- the run ---------------------------------------------------------------

    async def run(self) -> LoadTestReport:
        """Run the load test and return its report."""
        if self._used:
            raise RuntimeError("a LoadTestRunner runs once; create another")
        self._used = True
        self._abort = asyncio.Event()
        config = self.config
        async with self._target() as target:
            self.fake = target.fake
            if target.fake is not None and config.fake_error_rate > 0:
                self._chaos = _Chaos(target.fake, config.fake_error_rate, config.seed)
            if self._ready is not None:
                await self._ready()
            started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            self.recorder.start()
            duration = config.run_duration
            if duration is not None:
                self._deadline = self._clock() + duration
            driver = asyncio.ensure_future(
                self._open_model(target) if config.model == "open" else self._closed_model(target)
            )
            aborted = asyncio.ensure_future(self._abort.wait())
            progress = (
                asyncio.ensure_future(self._show_progress()) if self._progress is not None else None
            )
            try:
                done, _ = await asyncio.wait(
                    {driver, aborted},
                    timeout=config.hard_time_limit,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                cut_off = driver not in done
                if cut_off:
                    driver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await driver
                elapsed = self.recorder.elapsed()
            finally:
                for task in (aborted, progress):
                    if task is not None:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
                if not driver.done():  # run() itself was cancelled
                    driver.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await driver
                if self._progress is not None:
                    self._progress.close()
                self.token_requests = getattr(target.client.authenticator, "token_requests", 0)
            interrupted = self._stopping or self._abort.is_set()
            return self.recorder.report(
                config,
                duration=elapsed,
                service_url=target.service_url,
                started_at=started_at,
                time_limit_reached=cut_off and not self._abort.is_set(),
                interrupted=interrupted,
            )

    @contextlib.asynccontextmanager
    async def _target(self) -> AsyncIterator[_Target]:
        config = self.config
        options: dict[str, Any] = {
            "retry": DEFAULT_RETRY if config.retry else None,
            "rate_limit_gate": config.retry,
        }
        options.update(self._client_options)
        # Registered before the first request, so pool waits are measured.
        options["on_event"] = self.recorder
        if config.max_connections is not None:
            options["max_connections"] = config.max_connections
        if config.timeout is not None:
            options["timeout"] = config.timeout
        if config.target == "real":
            assert config.assistant_id is not None
            async with AssistantClient.from_env(
                config.version, token_cache=self._token_cache, **options
            ) as client:
                yield _Target(
                    client, config.assistant_id, config.environment_id, client.service_url
                )
            return
        async with contextlib.AsyncExitStack() as stack:
            fake = self._given_fake
            if fake is None:
                fake = await stack.enter_async_context(embedded_fake(config))
            lifetime = config.fake_token_lifetime
            authenticator = IAMAuthenticator(
                fake.apikey,
                url=fake.iam_url,
                expiry_margin=min(10.0, lifetime / 10),
                token_cache=self._token_cache,
            )
            # The fake runs in this process: a proxy from the environment can't reach it.
            options = {"proxy_from_env": False, **options}
            client = await stack.enter_async_context(
                AssistantClient(
                    config.version, authenticator, service_url=fake.service_url, **options
                )
            )
            yield _Target(
                client,
                config.assistant_id or fake.assistant_id,
                config.environment_id or fake.environment_id,
                fake.service_url,
                None if isinstance(fake, FakeEndpoint) else fake,
            )

    async def _show_progress(self) -> None:
        assert self._progress is not None
        while True:
            self._progress.update(self.recorder.snapshot(), self._running)
            await asyncio.sleep(self._progress_interval)

    # --- workload models ---------------------------------------------------------

    def _may_start(self) -> bool:
        if self._stopping or self._clock() >= self._deadline:
            return False
        if self._budget is not None and self._begun >= self._budget:
            return False
        self._begun += 1
        return True

    async def _closed_model(self, target: _Target) -> None:
        async def user() -> None:
            while self._may_start():
                await self._conversation(target, self._clock())

        await _run_all([asyncio.ensure_future(user()) for _ in range(self.config.users)])

    async def _open_model(self, target: _Target) -> None:
        config = self.config
        assert config.rate is not None
        interval = 1.0 / config.rate
        slots = asyncio.Semaphore(config.max_in_flight)
        capacity = config.max_in_flight + config.backlog
        tasks: set[asyncio.Future[None]] = set()
        start = self._clock()
        index = 0
        try:
            while True:
                scheduled = start + index * interval
                if self._stopping or scheduled >= self._deadline:
                    break
                if self._budget is not None and index >= self._budget:
                    break
                delay = scheduled - self._clock()
                if delay > 0:
                    await self._sleep(delay)
                    if self._stopping:
                        break
                index += 1
                if self._admitted >= capacity:
                    self.recorder.arrival(None, False)
                    continue
                self._admitted += 1
                task = asyncio.ensure_future(self._arrival(target, slots, scheduled))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await _run_all(list(tasks))
        finally:
            await _cancel_all(list(tasks))

    async def _arrival(self, target: _Target, slots: asyncio.Semaphore, scheduled: float) -> None:
        try:
            async with slots:
                lag = max(0.0, self._clock() - scheduled)
                self.recorder.arrival(lag, lag > self.config.late_threshold)
                # The first call of the conversation adds the lag to its end-to-end latency.
                schedule_lag.set([lag])
                await self._conversation(target, scheduled)
        finally:
            self._admitted -= 1

    async def _conversation(self, target: _Target, scheduled: float) -> None:
        recorder = self.recorder
        recorder.conversation_started()
        self._running += 1
        try:
            ok = await self._converse(target)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug, not the service: keep it for the report
            recorder.unexpected(exc)
            ok = False
        finally:
            self._running -= 1
        recorder.conversation_done(ok, self._clock() - scheduled)

    async def _converse(self, target: _Target) -> bool:
        client, aid, eid = target.client, target.assistant_id, target.environment_id
        chaos = self._chaos
        if chaos is not None:
            chaos()
        try:
            session = await client.create_session(aid, eid)
        except WatsonError:
            return False
        sid = session.session_id
        ok = True
        for text in self._texts:
            if self.config.think_time > 0:
                await self._sleep(self.config.think_time)
            if chaos is not None:
                chaos()
            try:
                await client.message(aid, eid, sid, input={"text": text})
            except NotFoundError:
                return False  # the session is gone: nothing left to say or delete
            except WatsonError:
                ok = False
        if chaos is not None:
            chaos()
        try:
            await client.delete_session(aid, eid, sid)
        except WatsonError:
            ok = False
        return ok


async def _run_all(tasks: list[asyncio.Future[None]]) -> None:
    """Wait for every task; if this is cancelled, cancel them and wait for them too."""
    try:
        await asyncio.gather(*tasks)
    finally:
        await _cancel_all(tasks)


async def _cancel_all(tasks: list[asyncio.Future[None]]) -> None:
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
