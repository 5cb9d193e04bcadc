"""``_BaseClient``: the send path every endpoint method of ``AssistantClient`` uses.

One call of any endpoint, streamed or not, goes through :meth:`_BaseClient._call`: the
rate-limit gate, the ``Authorization`` header, the transport, the 401 replay, the typed
error, retries, the reply parsed into its model, and the events for listeners. Every
list endpoint's ``iter_*`` twin follows its pages with :meth:`_BaseClient._paginate`.
The runtime methods (``client.py``) and the authoring ones (``_management.py``) are
written against this class; ``AssistantClient.__init__`` sets the attributes it reads.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, TypeVar, overload

import attrs

from watson_async.auth import Authenticator, RefreshEvent
from watson_async.auth._base import NOT_READY, Ready
from watson_async.client.response import capture
from watson_async.client.streams import read_at_most
from watson_async.errors import ClientClosedError, DeadlineExceededError, WatsonError
from watson_async.observe import AttemptEvent, CallEvent, Listeners, route_template
from watson_async.protocol import compression as _compression
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol import service as _protocol
from watson_async.protocol import wire as _wire
from watson_async.protocol.secret import secret_header as _secret
from watson_async.resilience.gates import FleetEvent, GateBinding
from watson_async.resilience.retry import GateEvent, RetryEvent, RetryPolicy
from watson_async.resilience.retrying import retry_after
from watson_async.transport import HttpResponse, RequestBody, StreamingResponse, Transport

T = TypeVar("T")
P = TypeVar("P")
Headers = Mapping[str, str] | None


class _BaseClient:
    """How a request is sent and its reply read; how a list endpoint's pages are followed."""

    # Set by AssistantClient.__init__ (a view from with_options() shares all but _retry
    # and _gzip_min_bytes).
    _authenticator: Authenticator
    _service: _protocol.Service
    _transport: Transport
    _retry: RetryPolicy | None
    _gate: GateBinding | None
    # Set with them: the calls that skip a coroutine when the header is at hand and the
    # gate admits at once (None: always await the authenticator / the gate).
    _auth_ready: Ready | None
    _admit_now: Callable[[str], bool] | None
    _listeners: Listeners
    _life: _Lifecycle
    _clock: Callable[[], float]
    _sleep: Callable[[float], Awaitable[None]]
    _on_retry: Callable[[RetryEvent], None] | None
    _on_gate_wait: Callable[[GateEvent], None] | None
    _max_response_bytes: int
    _gzip_min_bytes: int | None  # None: bodies go uncompressed
    _deadline: float | None  # with_options(deadline=): seconds for a whole call
    _unbounded: _BaseClient  # the same client without the deadline (its calls run inside it)

    # --- plumbing --------------------------------------------------------------
    #
    # The path of one call, the same for every endpoint: _call → _attempt (gate →
    # authenticate → _receive → 401 replay → observe → _conclude) → _retry_after →
    # parse. A stream differs only in how _receive gets the response (_open keeps it
    # open); listeners only in the _Trace passed along. Without listeners, a call whose
    # first attempt succeeds is two coroutine levels (_call and _attempt) above the
    # transport's: with thousands of calls pending, every level costs each of them
    # memory, so the steps are inline and _receive / _send / _open_stream return the
    # coroutine they delegate to instead of awaiting it.

    async def _sleep_unless_closed(self, delay: float) -> None:
        """Sleep (retry backoff, the gate) but wake with ``ClientClosedError`` on close."""
        life = self._life
        if life.closed:
            raise ClientClosedError()
        sleeping = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait((sleeping, life.closing()), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not sleeping.done():
                sleeping.cancel()
        if life.closed:
            raise ClientClosedError()
        sleeping.result()

    @overload
    async def _call(
        self,
        request: _endpoints.Request,
        model: type[T],
        headers: Mapping[str, str] | None,
        timeout: float | None,
        *,
        retry: bool = True,
    ) -> T: ...

    @overload
    async def _call(
        self,
        request: _endpoints.Request,
        model: None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        *,
        retry: bool = True,
        stream: Literal[False] = False,
    ) -> HttpResponse: ...

    @overload
    async def _call(
        self,
        request: _endpoints.Request,
        model: None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        *,
        retry: bool = True,
        stream: Literal[True],
    ) -> _Opened: ...

    async def _call(
        self,
        request: _endpoints.Request,
        model: type[Any] | None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        *,
        retry: bool = True,
        stream: bool = False,
    ) -> Any:
        """One call: its attempts under the retry policy, the reply read as ``model``
        (``None``: the response itself; ``stream``: kept open), and a
        :class:`CallEvent` when anyone listens."""
        if self._life.closed:
            raise ClientClosedError()
        if self._deadline is not None:
            unbounded: Any = self._unbounded  # the same _call, its overloads aside
            return await self._within_deadline(
                self._deadline,
                unbounded._call(request, model, headers, timeout, retry=retry, stream=stream),
            )
        if self._gzip_min_bytes is not None:
            # Once per call: every attempt sends these same compressed bytes.
            request = _compression.gzip_request(request, self._gzip_min_bytes, headers)
        trace = _Trace(self._clock()) if self._listeners else None
        response: Any
        try:
            try:
                response = await self._attempt(request, headers, timeout, trace, stream)
            except WatsonError as exc:
                # The retry machinery only after a failure (it costs even when idle).
                policy = self._retry if retry and request.replayable else None
                if policy is None:
                    raise
                response = await self._retry_after(
                    exc, policy, request, headers, timeout, trace, stream
                )
            if model is not None:
                response = _protocol.parse(request, response, model)
        except BaseException as exc:
            if trace is not None:
                self._call_done(request, trace, exc)
            raise
        if trace is not None:
            self._call_done(request, trace, None)
        return response

    async def _within_deadline(self, deadline: float, call: Coroutine[Any, Any, T]) -> T:
        """``call``, or :class:`DeadlineExceededError` once ``deadline`` seconds (through
        the client's ``sleep``) have passed; then ``call`` is cancelled and awaited, so
        nothing of it runs on and its cancellation never reaches the caller."""
        running = asyncio.ensure_future(call)
        timer = asyncio.ensure_future(self._sleep(deadline))
        try:
            await asyncio.wait((running, timer), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the caller was cancelled: so is the call
            running.cancel()
            await asyncio.wait((running,))
            raise
        finally:
            timer.cancel()
        if not running.done():
            running.cancel()
            await asyncio.wait((running,))
            if running.cancelled():
                raise DeadlineExceededError(deadline)
        return running.result()  # done just in time (or refused to be cancelled)

    def _send(
        self,
        request: _endpoints.Request,
        headers: Mapping[str, str] | None,
        timeout: float | None,
    ) -> Coroutine[Any, Any, HttpResponse]:
        """:meth:`_call` for a reply that is not read as a model."""
        return self._call(request, None, headers, timeout)

    def _open_stream(
        self,
        request: _endpoints.Request,
        headers: Mapping[str, str] | None,
        timeout: float | None,
    ) -> Coroutine[Any, Any, _Opened]:
        """:meth:`_call` for a reply whose body the caller streams."""
        return self._call(request, None, headers, timeout, stream=True)

    async def _retry_after(
        self,
        error: WatsonError,
        policy: RetryPolicy,
        request: _endpoints.Request,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        trace: _Trace | None,
        stream: bool,
    ) -> HttpResponse | _Opened:
        route = route_template(request.endpoint, request.method, request.path)

        def on_retry(event: RetryEvent) -> None:
            if trace is not None:
                trace.retry_wait += event.wait
            self._report_retry(attrs.evolve(event, route=route))

        return await retry_after(
            error,
            self._attempt,
            request,
            headers,
            timeout,
            trace,
            stream,
            endpoint=request.endpoint,
            idempotent=request.idempotent,
            policy=policy,
            clock=self._clock,
            sleep=self._sleep_unless_closed,
            rand=random.random,
            on_retry=on_retry,
        )

    async def _attempt(
        self,
        request: _endpoints.Request,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        trace: _Trace | None,
        stream: bool = False,
    ) -> HttpResponse | _Opened:
        """One attempt: gate, authenticate, send, the 401 replay, observe, conclude.

        ``stream`` keeps a successful response open (an :class:`_Opened`) rather than
        reading its body. Gate, authentication, the 401 replay and the report are inline
        rather than in helpers: with thousands of calls pending, every coroutine level
        costs memory.
        """
        url, base_headers = self._service.target(request)
        gate, admit_now = self._gate, self._admit_now
        if gate is None or (admit_now is not None and admit_now(request.endpoint)):
            waited = 0.0  # no coroutine for the usual case (a gate with budget left)
        else:
            waited = await gate.acquire(request.endpoint)
        started = self._clock() if trace is not None else 0.0
        response: HttpResponse | _Opened | None = None
        try:
            try:
                ready = self._auth_ready
                authorization = NOT_READY if ready is None else ready()
                if authorization is NOT_READY:  # the header needs waiting for (or a custom one)
                    authorization = _secret(await self._authenticator.authorization())
                response = await self._receive(
                    request, url, base_headers, authorization, headers, timeout, stream
                )
                if response.status == 401 and await self._replay_unauthorized(
                    request, authorization, headers
                ):
                    authorization = _secret(await self._authenticator.authorization())
                    response = await self._receive(
                        request, url, base_headers, authorization, headers, timeout, stream
                    )
            except BaseException:
                if gate is not None:
                    gate.release(request.endpoint)
                raise
            if gate is not None:
                gate.observe(request.endpoint, response.status, response.headers)
            if isinstance(response, _Opened):
                self._conclude(request, response.summary())
            else:
                self._conclude(request, response)  # raises for an error status
                if stream:  # a 2xx, but not the event stream asked for
                    raise _protocol.not_event_stream(request, response)
        except BaseException as exc:
            if trace is not None:
                self._attempt_done(request, trace, started, waited, response, exc)
            raise
        if trace is not None:
            self._attempt_done(request, trace, started, waited, response, None)
        return response

    def _receive(
        self,
        request: _endpoints.Request,
        url: str,
        base_headers: Mapping[str, str],
        authorization: str | None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        stream: bool,
    ) -> Awaitable[HttpResponse | _Opened]:
        """One send, with the body made afresh (``request.outgoing_body()``): the whole
        response from the transport, or for ``stream`` one that may stay open (:meth:`_open`).

        Not a coroutine: the caller awaits the transport's directly.
        """
        sent_headers = _protocol.merge_headers(base_headers, authorization, headers)
        body = request.outgoing_body()
        if stream:
            return self._open(request, url, sent_headers, body, timeout)
        return self._transport.send(request.method, url, sent_headers, body, timeout)

    async def _open(
        self,
        request: _endpoints.Request,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> HttpResponse | _Opened:
        """Send and keep a successful response open (:func:`_protocol.keeps_open`); of
        any other, read (the start of) the body and let go."""
        context = self._transport.stream(request.method, url, headers, body, timeout)
        response = await context.__aenter__()
        if _protocol.keeps_open(request, response.status, response.headers):
            return _Opened(context, response)
        try:
            data = await read_at_most(response, self._max_response_bytes)
        finally:
            await context.__aexit__(None, None, None)
        return HttpResponse(response.status, response.reason, response.headers, data)

    async def _replay_unauthorized(
        self,
        request: _endpoints.Request,
        authorization: str | None,
        headers: Mapping[str, str] | None,
    ) -> bool:
        """After a 401: whether to send once more, with a token refreshed for everyone.

        A 401 for the token we sent means the service processed nothing, so even a
        stateful message may be sent again; a caller's own ``Authorization`` is not. A
        one-shot upload (an async iterator) can't be sent again: the token is still
        refreshed for later calls, and the 401 says why it was not replayed.
        """
        if authorization is None or (headers and "Authorization" in headers):
            return False
        if not await self._authenticator.invalidate(authorization):
            return False
        return request.replayable

    def _conclude(self, request: _endpoints.Request, response: HttpResponse) -> None:
        """Record the response for ``with_response``; raise the typed error for a failure."""
        sink = capture.get()
        if sink is not None:
            sink.append(response)
        if response.status >= 300:
            raise self._service.error(
                request,
                response.status,
                response.reason,
                response.headers,
                response.body,
                now=time.time(),
            )

    # --- observation -------------------------------------------------------------

    def _attempt_done(
        self,
        request: _endpoints.Request,
        trace: _Trace,
        started: float,
        gate_wait: float,
        response: HttpResponse | _Opened | None,
        error: BaseException | None,
    ) -> None:
        """Report one attempt (``gate_wait``: seconds the gate held it) to the listeners."""
        trace.attempts += 1
        trace.gate_wait += gate_wait
        if response is None:
            # A typed error for a status carries it; a transport failure has none.
            status = getattr(error, "status_code", None)
            transaction_id = getattr(error, "global_transaction_id", None)
            response_bytes = None
            pool_wait = None
        else:
            status = response.status
            transaction_id = response.headers.get(_wire.TRANSACTION_ID_HEADER)
            response_bytes = len(response.body) if isinstance(response, HttpResponse) else None
            pool_wait = response.pool_wait if isinstance(response, HttpResponse) else None
        trace.status = status
        body = request.body
        self._listeners.emit(
            AttemptEvent(
                endpoint=request.endpoint,
                method=request.method,
                route=route_template(request.endpoint, request.method, request.path),
                attempt=trace.attempts,
                status=status,
                error=error,
                started=started,
                duration=self._clock() - started,
                gate_wait=gate_wait,
                pool_wait=pool_wait,
                request_bytes=0 if body is None else len(body) if isinstance(body, bytes) else None,
                response_bytes=response_bytes,
                transaction_id=transaction_id,
            )
        )

    def _call_done(
        self, request: _endpoints.Request, trace: _Trace, error: BaseException | None
    ) -> None:
        """Report one call to the listeners."""
        self._listeners.emit(
            CallEvent(
                endpoint=request.endpoint,
                method=request.method,
                route=route_template(request.endpoint, request.method, request.path),
                attempts=max(trace.attempts, 1),
                status=trace.status,
                error=error,
                started=trace.started,
                duration=self._clock() - trace.started,
                retry_wait=trace.retry_wait,
                gate_wait=trace.gate_wait,
            )
        )

    def _report_retry(self, event: RetryEvent) -> None:
        if self._on_retry is not None:
            self._on_retry(event)
        self._listeners.emit(event)

    def _report_gate_wait(self, event: GateEvent) -> None:
        if self._on_gate_wait is not None:
            self._on_gate_wait(event)
        self._listeners.emit(event)

    def _report(self, event: RefreshEvent | FleetEvent) -> None:
        """Token refreshes and a shared gate's fleet events: to the listeners as they are."""
        self._listeners.emit(event)

    # --- pagination ----------------------------------------------------------------

    def _paginate(
        self,
        request_for: Callable[[str | None], _endpoints.Request],
        model: type[P],
        items: Callable[[P], Sequence[T] | None],
        limit: int | None,
        headers: Headers,
        timeout: float | None,
    ) -> AsyncIterator[T]:
        """Every item of a list endpoint across pages, at most ``limit``.

        ``request_for(cursor)`` builds the request for one page. The arguments are
        checked now, before any page is fetched: ``limit`` here, the rest by building
        the first page's request, which is then the one sent. Later pages follow
        ``pagination.next_cursor`` as the loop consumes them.
        """
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        first = request_for(None)

        async def pages() -> AsyncIterator[T]:
            request = first
            seen = 0
            while limit is None or seen < limit:
                page = await self._call(request, model, headers, timeout)
                for item in items(page) or ():
                    if limit is not None and seen >= limit:
                        return
                    seen += 1
                    yield item
                cursor = getattr(getattr(page, "pagination", None), "next_cursor", None)
                if not cursor:
                    return
                request = request_for(cursor)

        return pages()


class _Opened:
    """A successful response whose body is still to be read."""

    __slots__ = ("context", "response")

    def __init__(
        self, context: AbstractAsyncContextManager[StreamingResponse], response: StreamingResponse
    ) -> None:
        self.context = context
        self.response = response

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    def summary(self) -> HttpResponse:
        """Status and headers, without the body (for ``with_response``)."""
        response = self.response
        return HttpResponse(response.status, response.reason, response.headers, b"")


class _Trace:
    """What one observed call has done so far (only when listeners are registered)."""

    __slots__ = ("attempts", "gate_wait", "retry_wait", "started", "status")

    def __init__(self, started: float) -> None:
        self.started = started
        self.attempts = 0
        self.status: int | None = None
        self.retry_wait = 0.0
        self.gate_wait = 0.0


class _Lifecycle:
    """Whether the client is closed, and a future that wakes sleepers when it is.

    The future is made on first need, in the running loop (nothing loop-bound is made
    in ``__init__``).
    """

    __slots__ = ("_closing", "closed")

    def __init__(self) -> None:
        self.closed = False
        self._closing: asyncio.Future[None] | None = None

    def closing(self) -> asyncio.Future[None]:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_future()
            if self.closed:
                self._closing.set_result(None)
        return self._closing

    def close(self) -> None:
        self.closed = True
        if self._closing is not None and not self._closing.done():
            self._closing.set_result(None)
