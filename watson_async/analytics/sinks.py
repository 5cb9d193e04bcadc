"""Where derived Segment calls go: a callback, a JSON Lines file, or Segment's batch API.

Every sink has ``async send(call)`` and ``async aclose()`` (:class:`Sink`).
:class:`SegmentBatchSink` only enqueues in ``send()``: a background task started in the
running loop posts batches to ``{url}/v1/batch`` by size and by time, retries 429, 5xx
and connection failures with backoff, and ``aclose()`` flushes what is left within a
time bound. Its memory is bounded: when ``max_queue`` calls wait, the oldest is dropped
and counted. It sends through the transport seam (:class:`~watson_async.transport.Transport`),
like every other HTTP request the package makes.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import inspect
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

from watson_async._version import __version__
from watson_async.analytics.derive import iso_timestamp
from watson_async.analytics.models import TrackCall
from watson_async.errors import TransportError, WatsonError
from watson_async.protocol import codec as _json
from watson_async.protocol.secret import SecretStr
from watson_async.protocol.wire import backoff_wait, retry_after_seconds
from watson_async.resilience.retrying import retrying
from watson_async.transport import AiohttpTransport, SessionTransport, Transport

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "DEFAULT_SEGMENT_URL",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_CALLS",
    "MAX_CALL_BYTES",
    "CallbackSink",
    "JsonLinesSink",
    "SegmentBatchSink",
    "SegmentHTTPError",
    "Sink",
]

_log = logging.getLogger("watson_async.analytics")

DEFAULT_SEGMENT_URL = "https://api.segment.io"
#: Segment's limits for ``/v1/batch``: bytes per request, bytes per call, calls per batch.
MAX_BATCH_BYTES = 500 * 1024
MAX_CALL_BYTES = 32 * 1024
MAX_BATCH_CALLS = 2500
_LIBRARY = {"library": {"name": "watson_async", "version": __version__}}


@runtime_checkable
class Sink(Protocol):
    """Where Segment calls go. ``send`` should return quickly; ``aclose`` flushes."""

    async def send(self, call: TrackCall) -> None: ...

    async def aclose(self) -> None: ...


class CallbackSink:
    """Hands each call to ``fn`` (a plain function or a coroutine function)."""

    def __init__(self, fn: Callable[[TrackCall], Any]) -> None:
        self._fn = fn
        self.closed = False

    def __repr__(self) -> str:
        return f"CallbackSink({self._fn!r})"

    async def send(self, call: TrackCall) -> None:
        if self.closed:
            raise RuntimeError("CallbackSink is closed")
        result = self._fn(call)
        if inspect.isawaitable(result):
            await result

    async def aclose(self) -> None:
        self.closed = True


class JsonLinesSink:
    """Appends one JSON object per call to ``path`` (JSON Lines, UTF-8).

    Lines are buffered and written ``buffer_size`` at a time in a worker thread, so the
    event loop never waits on the disk; :meth:`flush` writes the buffer now and
    :meth:`aclose` flushes and closes the file. Writes keep the order of ``send``.
    """

    def __init__(self, path: str | os.PathLike[str], *, buffer_size: int = 100) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be at least 1")
        self.path = os.fspath(path)
        self._buffer_size = buffer_size
        self._buffer: list[bytes] = []
        self._file: IO[bytes] | None = None
        self._lock: asyncio.Lock | None = None
        self.closed = False
        #: Lines written to the file so far.
        self.written = 0

    def __repr__(self) -> str:
        return f"JsonLinesSink({self.path!r}, written={self.written})"

    async def send(self, call: TrackCall) -> None:
        if self.closed:
            raise RuntimeError("JsonLinesSink is closed")
        self._buffer.append(_json.dumps(call.to_dict()) + b"\n")
        if len(self._buffer) >= self._buffer_size:
            await self.flush()

    async def flush(self) -> None:
        """Write the buffered lines (in a worker thread)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            lines, self._buffer = self._buffer, []
            if lines:
                await asyncio.to_thread(self._write, b"".join(lines))
                self.written += len(lines)

    def _write(self, data: bytes) -> None:
        if self._file is None:
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open until aclose
        self._file.write(data)
        self._file.flush()

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.flush()
        if self._file is not None:
            file, self._file = self._file, None
            await asyncio.to_thread(file.close)


class SegmentHTTPError(Exception):
    """Segment answered a batch with a non-2xx status."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"Segment answered HTTP {status}")
        self.status = status
        self.retry_after = retry_after


#: Segment answers are a few bytes (``{"success": true}``); the sink's own transport reads
#: no more than this of one.
_MAX_ANSWER_BYTES = 1024 * 1024
#: Batches go out one at a time; a few connections are plenty.
_MAX_CONNECTIONS = 4


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, SegmentHTTPError):
        return exc.status == 429 or exc.status >= 500 or exc.status == 408
    # No response: connection refused or reset, DNS, TLS, timeout. Retrying is safe even
    # when the batch may have arrived (``request_sent``): Segment de-duplicates calls
    # by ``messageId``.
    return isinstance(exc, TransportError)


def _describe(exc: TransportError) -> str:
    """``last_error`` for a batch that got no answer."""
    sent = "after sending" if exc.request_sent else "before sending"
    return f"TransportError ({sent}): {exc.message}"


class SegmentBatchSink:
    """Sends calls to Segment's HTTP tracking API in batches (``POST {url}/v1/batch``).

    * ``send()`` only enqueues (it never waits on the network). A background task,
      started in the running loop by the first ``send()``, posts a batch when
      ``batch_size`` calls wait, and otherwise every ``flush_interval`` seconds.
    * The write key is the HTTP basic-auth user name (empty password); it never
      appears in a ``repr``, a log line or an exception.
    * 429, 408, 5xx, connection errors and timeouts are retried (``max_attempts`` in
      all, exponential backoff with jitter from ``backoff_base`` up to
      ``backoff_cap`` seconds; a 429's ``Retry-After`` is honoured up to the cap; no
      waits under :func:`watson_async.set_testing`). Other statuses (401 for a wrong
      write key, 400) fail at once. Calls of a batch that failed count in ``failed``
      (``last_error`` says why); they are not re-queued.
    * At most ``max_queue`` calls wait: when full, the oldest is dropped and counted in
      ``dropped``, as are calls larger than Segment's 32 KB limit and calls still
      unsent when ``aclose()`` gives up after ``close_timeout`` seconds.
    * Batches also respect Segment's 500 KB per request limit.
    * Batches go through a :class:`~watson_async.transport.Transport`: ``transport`` (the
      preferred seam; it is left open by :meth:`aclose`), else the sink's own
      :class:`~watson_async.transport.AiohttpTransport`, created in the running loop at the
      first batch and closed by :meth:`aclose`. ``session``, an ``aiohttp.ClientSession``
      the caller owns, is still accepted: batches go through it and it is left open.
    * ``proxy`` sends the batches through that proxy; without it, ``proxy_from_env``
      (default ``True``) honours ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` as
      :class:`~watson_async.AssistantClient` does, whether the sink's own session or
      ``session`` sends them (a ``transport`` has its own proxy settings).

    Counters: ``sent``, ``failed``, ``dropped``, ``batches_sent``, ``pending``.
    """

    def __init__(
        self,
        write_key: str,
        *,
        url: str = DEFAULT_SEGMENT_URL,
        batch_size: int = 100,
        flush_interval: float = 10.0,
        max_queue: int = 10_000,
        timeout: float = 10.0,
        close_timeout: float = 10.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 10.0,
        session: aiohttp.ClientSession | None = None,
        proxy: str | None = None,
        proxy_from_env: bool = True,
        transport: Transport | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(write_key, str) or not write_key:
            raise ValueError("write_key must be a non-empty string")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError("url must start with https:// or http://")
        if not 1 <= batch_size <= MAX_BATCH_CALLS:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_CALLS}")
        if max_queue < 1 or max_attempts < 1:
            raise ValueError("max_queue and max_attempts must be at least 1")
        if flush_interval <= 0 or timeout <= 0 or close_timeout <= 0:
            raise ValueError("flush_interval, timeout and close_timeout must be positive")
        if backoff_base < 0 or backoff_cap < backoff_base:
            raise ValueError("backoff_base must be >= 0 and backoff_cap >= backoff_base")
        if proxy is not None and (
            not isinstance(proxy, str) or not proxy.startswith(("http://", "https://"))
        ):
            raise ValueError("proxy must be a URL starting with http:// or https://")
        if transport is not None and (session is not None or proxy is not None):
            raise ValueError(
                "pass either transport or session/proxy: a transport has its own settings"
            )
        write_key = SecretStr(write_key)
        token = SecretStr(base64.b64encode(f"{write_key}:".encode()).decode("ascii"))
        self._auth = SecretStr(f"Basic {token}")
        self.url = url.rstrip("/")
        self._endpoint = self.url + "/v1/batch"
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue = max_queue
        self._timeout = timeout
        self._close_timeout = close_timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._session = session
        self._proxy = proxy
        self._proxy_from_env = proxy_from_env
        self._transport = transport
        # Made at the first batch (in the running loop) when not given; closed by aclose().
        self._own_transport = transport is None
        self._sleep = sleep
        self._clock = clock
        self._queue: collections.deque[bytes] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._stopping = False
        self.closed = False
        #: Calls Segment accepted.
        self.sent = 0
        #: Calls in batches that failed (non-retryable status or retries exhausted).
        self.failed = 0
        #: Calls discarded unsent: queue full (oldest first), too large, or left at close.
        self.dropped = 0
        #: Batches Segment accepted.
        self.batches_sent = 0
        #: Why the last batch failed (``HTTP 401``, ``TransportError (before sending):
        #: cannot connect: ...``), or None.
        self.last_error: str | None = None

    def __repr__(self) -> str:
        return (
            f"SegmentBatchSink(url={self.url!r}, pending={self.pending}, sent={self.sent}, "
            f"failed={self.failed}, dropped={self.dropped})"
        )

    @property
    def pending(self) -> int:
        """Calls waiting to be sent."""
        return len(self._queue)

    # ------------------------------------------------------------------ enqueue

    async def send(self, call: TrackCall) -> None:
        """Queue ``call``; returns at once (the network is never awaited here)."""
        self.enqueue(call)

    def enqueue(self, call: TrackCall) -> None:
        """:meth:`send` without ``await``: must be called in the running loop."""
        if self.closed:
            raise RuntimeError("SegmentBatchSink is closed")
        data = _json.dumps(call.to_dict())
        if len(data) > MAX_CALL_BYTES:
            self.dropped += 1
            _log.warning("Segment call %r dropped: larger than 32 KB", call.event)
            return
        if len(self._queue) >= self.max_queue:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(data)
        self._ensure_task()
        if len(self._queue) >= self.batch_size and self._wake is not None:
            self._wake.set()

    def _ensure_task(self) -> None:
        if self._task is not None:
            return
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise RuntimeError("SegmentBatchSink is bound to another event loop")
        self._loop = loop
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task = loop.create_task(self._run(), name="watson_async-segment-sink")

    # ------------------------------------------------------------------ background

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            timed_out = False
            if len(self._queue) < self.batch_size:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.flush_interval)
                except asyncio.TimeoutError:
                    timed_out = True
            if self._stopping:
                return
            try:
                # Woken by a full batch: send the full batches, leave the rest for the timer.
                await self._flush(full_only=not timed_out)
            except Exception:  # pragma: no cover - _deliver handles delivery errors
                _log.exception("Segment sink: unexpected error while flushing")

    async def flush(self) -> None:
        """Send every call queued now (in batches), waiting for the outcome."""
        await self._flush(full_only=False)

    async def _flush(self, *, full_only: bool) -> None:
        if not self._queue:
            return
        if self._lock is None:
            self._ensure_task()
        assert self._lock is not None
        async with self._lock:
            remaining = len(self._queue)
            if full_only:
                remaining -= remaining % self.batch_size
            while remaining > 0 and self._queue:
                batch = self._take(min(remaining, self.batch_size))
                remaining -= len(batch)
                await self._deliver(batch)

    def _take(self, count: int) -> list[bytes]:
        batch: list[bytes] = []
        size = 64  # the envelope
        while self._queue and len(batch) < count:
            item = self._queue[0]
            if batch and size + len(item) + 1 > MAX_BATCH_BYTES:
                break
            batch.append(self._queue.popleft())
            size += len(item) + 1
        return batch

    def _body(self, batch: list[bytes]) -> bytes:
        envelope = _json.dumps({"sentAt": iso_timestamp(self._clock()), "context": _LIBRARY})
        return b'{"batch":[' + b",".join(batch) + b"]," + envelope[1:]

    async def _deliver(self, batch: list[bytes]) -> None:
        try:
            await self._post(self._body(batch))
        except asyncio.CancelledError:
            self.dropped += len(batch)
            raise
        except SegmentHTTPError as exc:
            self.failed += len(batch)
            self.last_error = f"HTTP {exc.status}"
            _log.warning("Segment rejected a batch of %d calls: HTTP %d", len(batch), exc.status)
        except TransportError as exc:
            self._failed(batch, _describe(exc))
        except WatsonError as exc:  # closed under it, an unreadable answer: not retried
            self._failed(batch, type(exc).__name__)
        else:
            self.sent += len(batch)
            self.batches_sent += 1

    def _failed(self, batch: list[bytes], reason: str) -> None:
        self.failed += len(batch)
        self.last_error = reason
        _log.warning("Segment batch of %d calls failed: %s", len(batch), reason)

    def _get_transport(self) -> Transport:
        transport = self._transport
        if transport is None:
            if self._session is not None:
                transport = SessionTransport(
                    self._session,
                    timeout=self._timeout,
                    proxy=self._proxy,
                    proxy_from_env=self._proxy_from_env,
                    max_response_bytes=_MAX_ANSWER_BYTES,
                )
            else:
                transport = AiohttpTransport(
                    max_connections=_MAX_CONNECTIONS,
                    timeout=self._timeout,
                    proxy=self._proxy,
                    proxy_from_env=self._proxy_from_env,
                    max_response_bytes=_MAX_ANSWER_BYTES,
                )
            self._transport = transport
        return transport

    def _wait(self, error: BaseException, attempt: int) -> float:
        """Full-jitter backoff, or the answer's ``Retry-After`` (up to the cap) when longer."""
        wait = backoff_wait(attempt, self._backoff_base, self._backoff_cap, random.random)
        if isinstance(error, SegmentHTTPError) and error.retry_after is not None:
            wait = max(wait, min(error.retry_after, self._backoff_cap))
        return wait

    async def _post(self, body: bytes) -> None:
        transport = self._get_transport()
        headers = {
            "Authorization": self._auth,  # a SecretStr: redacted in any repr
            "Content-Type": "application/json",
            "User-Agent": f"watson_async/{__version__}",
        }
        attempts = retrying(
            attempts=self._max_attempts, retry=_retryable, wait=self._wait, sleep=self._sleep
        )
        async for attempt in attempts:
            with attempt:
                response = await transport.send(
                    "POST", self._endpoint, headers, body, self._timeout
                )
                if response.status >= 300:
                    raise SegmentHTTPError(
                        response.status, retry_after_seconds(response.headers, time.time())
                    )

    # ------------------------------------------------------------------ close

    async def aclose(self) -> None:
        """Stop the background task and send what is queued, within ``close_timeout``
        seconds; calls still unsent then are counted in ``dropped``. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            await asyncio.wait_for(self._drain(), self._close_timeout)
        except asyncio.TimeoutError:
            _log.warning("Segment sink closed with %d calls unsent", len(self._queue))
        finally:
            self.dropped += len(self._queue)
            self._queue.clear()
            task, self._task = self._task, None
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self._own_transport and self._transport is not None:
                transport, self._transport = self._transport, None
                await transport.aclose()  # the sink's own; a session given stays open

    async def _drain(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            await self._task
        await self.flush()
