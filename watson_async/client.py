"""``AssistantClient``: lifecycle and one thin method per v2 endpoint.

Each method validates and builds its request in the wire layer, sends it through the
transport with the authenticator's header, and converts the JSON reply to a model.
"""

from __future__ import annotations

import asyncio
import copy
import platform
import random
import re
import ssl
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

import aiohttp
import attrs

from . import _endpoints, _protocol, _wire
from ._http import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    AiohttpTransport,
    HttpResponse,
    RequestBody,
    StreamingResponse,
    Transport,
    check_byte_limit,
)
from ._management import ManagementMethods
from ._response import DetailedResponse, capture
from ._secret import secret_header as _secret
from ._version import __version__
from .auth import Authenticator, RefreshEvent, TokenAuthenticator
from .errors import ClientClosedError, WatsonError
from .models.assistants import AssistantCollection, AssistantData
from .models.context import MessageContext, StatelessMessageContext
from .models.message import (
    MessageInput,
    StatefulMessageResponse,
    StatelessMessageInput,
    StatelessMessageResponse,
)
from .models.session import RequestAnalytics, SessionResponse
from .models.stream import MessageStreamResponse, StatelessMessageStreamResponse
from .observe import AttemptEvent, CallEvent, Listener, Listeners, route_template
from .retry import (
    GateEvent,
    RateLimitGate,
    RateLimitState,
    RetryEvent,
    RetryPolicy,
    retry_after,
)
from .streams import DEFAULT_MAX_EVENT_BYTES, MessageStream, read_at_most

if TYPE_CHECKING:
    from .conversation import Assistant

__all__ = ["DEFAULT_RETRY", "DEFAULT_SERVICE_URL", "USER_AGENT", "AssistantClient"]

#: The retry policy clients use unless told otherwise (``retry=None`` turns retries off).
DEFAULT_RETRY = RetryPolicy()

DEFAULT_SERVICE_URL = "https://api.us-south.assistant.watson.cloud.ibm.com"
USER_AGENT = (
    f"watson-async/{__version__} aiohttp/{aiohttp.__version__} "
    f"{platform.python_implementation()}/{platform.python_version()} ({sys.platform})"
)

_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

T = TypeVar("T")
P = ParamSpec("P")


class AssistantClient(ManagementMethods):
    """Asynchronous client for the watsonx Assistant v2 API.

    Use it as ``async with AssistantClient(...) as client:`` or call :meth:`aclose`
    when done. One client per process (per event loop) is enough: it pools connections
    and is safe to share between any number of concurrent tasks.

    Args:
        version: API version date, ``YYYY-MM-DD`` (for example ``"2024-08-25"``).
        authenticator: Where the ``Authorization`` header comes from.
        service_url: The instance URL from the service credentials
            (``https://api.<region>.assistant.watson.cloud.ibm.com/instances/<id>``).
        max_connections: Size of the connection pool.
        timeout: Seconds one attempt may take, from connecting to the last byte.
        connect_timeout: Seconds to establish a connection.
        headers: Headers sent with every request (per-call ``headers=`` add to them).
        disable_ssl_verification: Skip TLS certificate checks of the service (test
            instances only); token requests are checked unless the authenticator's own
            ``disable_ssl_verification`` says otherwise.
        ca_bundle: PEM file path or ``ssl.SSLContext`` for a private CA; token requests
            use it too.
        proxy: Proxy URL (``http://[user:password@]host:port``) for every request,
            token requests included; the proxy environment variables are then ignored.
        proxy_from_env: Without ``proxy``, honour ``HTTPS_PROXY`` / ``HTTP_PROXY`` /
            ``NO_PROXY`` (default ``True``, for service and token requests alike);
            ``False`` connects directly. The rules are Python's ``urllib``'s; see
            "Proxies and TLS" in the getting-started guide.
        learning_opt_out: Send ``X-Watson-Learning-Opt-Out: true`` so IBM does not use
            request data to improve its services.
        customer_id: Label requests with ``X-Watson-Metadata: customer_id=...`` so the
            data can be deleted later with ``delete_user_data``.
        retry: The :class:`RetryPolicy` for every call (default :data:`DEFAULT_RETRY`);
            ``None`` sends each request once. :meth:`with_options` changes it per call.
        rate_limit_gate: Hold requests back while the service reports an endpoint's rate
            limit spent, instead of sending them to collect 429s (see
            :class:`RateLimitGate`). Turn off together with retries for capacity tests.
        on_event: Called with every observability event (attempts, calls, retries, gate
            waits, token refreshes); see :mod:`watson_async.observe` and
            :meth:`add_listener`.
        on_retry: Called with a :class:`RetryEvent` before each retry's wait.
        on_gate_wait: Called with a :class:`GateEvent` whenever the gate holds a request.
        max_response_bytes: The largest body read into memory, counted after
            decompression (default 64 MiB): a 2xx reply over it raises
            :class:`ResponseTooLargeError`, an error reply keeps that much of its body.
            Release archives (:class:`ByteStream`) are streamed and not capped.
        max_event_bytes: The largest event of a ``message_stream`` reply (default
            16 MiB): one over it raises :class:`ResponseTooLargeError`.
        transport: Replace the aiohttp transport (tests, custom stacks); the options
            above that configure the transport must then be left at their defaults.
    """

    def __init__(
        self,
        version: str,
        authenticator: Authenticator,
        *,
        service_url: str = DEFAULT_SERVICE_URL,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        disable_ssl_verification: bool = False,
        ca_bundle: str | ssl.SSLContext | None = None,
        proxy: str | None = None,
        proxy_from_env: bool = True,
        learning_opt_out: bool = False,
        customer_id: str | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        rate_limit_gate: bool = True,
        on_retry: Callable[[RetryEvent], None] | None = None,
        on_gate_wait: Callable[[GateEvent], None] | None = None,
        on_event: Listener | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not isinstance(version, str) or not _VERSION_RE.match(version):
            raise ValueError(f"version must be a date like '2024-08-25', got {version!r}")
        if not isinstance(authenticator, Authenticator):
            raise ValueError(
                "authenticator must be an Authenticator such as IAMAuthenticator(apikey), "
                f"got {type(authenticator).__name__}"
            )
        if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
            raise ValueError(
                f"service_url must start with https:// or http://, got {service_url!r}"
            )
        self._version = version
        self._authenticator = authenticator
        self._service_url = service_url.rstrip("/")
        base_headers = _protocol.base_headers(
            USER_AGENT, learning_opt_out=learning_opt_out, customer_id=customer_id, extra=headers
        )
        check_byte_limit("max_response_bytes", max_response_bytes)
        check_byte_limit("max_event_bytes", max_event_bytes)
        self._max_response_bytes = max_response_bytes
        self._max_event_bytes = max_event_bytes
        self._service = _protocol.Service(self._service_url, version, base_headers)
        if transport is None:
            transport = AiohttpTransport(
                max_connections=max_connections,
                timeout=timeout,
                connect_timeout=connect_timeout,
                verify_ssl=not disable_ssl_verification,
                ca_bundle=ca_bundle,
                proxy=proxy,
                proxy_from_env=proxy_from_env,
                time_pool=on_event is not None,
                max_response_bytes=max_response_bytes,
            )
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValueError(f"retry must be a RetryPolicy or None, got {type(retry).__name__}")
        self._transport = transport
        self._retry = retry
        self._on_retry = on_retry
        self._on_gate_wait = on_gate_wait
        self._clock = clock
        self._sleep = sleep
        self._gate = (
            RateLimitGate(
                clock=clock, sleep=self._sleep_unless_closed, on_wait=self._report_gate_wait
            )
            if rate_limit_gate
            else None
        )
        self._listeners = Listeners()  # shared with views from with_options()
        if on_event is not None:
            self.add_listener(on_event)
        if isinstance(authenticator, TokenAuthenticator):
            authenticator.add_refresh_listener(self._report_refresh)
            if isinstance(transport, AiohttpTransport):
                authenticator._use_connection_settings(transport._settings)
        self._life = _Lifecycle()  # shared with views from with_options()
        self._is_view = False

    @classmethod
    def from_env(
        cls,
        version: str,
        *,
        service_name: str = "assistant",
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> AssistantClient:
        """A client configured the way IBM's SDKs are, so deployments work unchanged.

        Reads the first of: the credentials file (``IBM_CREDENTIALS_FILE``, then
        ``./ibm-credentials.env``, then ``~/ibm-credentials.env``), environment
        variables, ``VCAP_SERVICES`` that has any ``ASSISTANT_*`` key (the prefix follows
        ``service_name``). ``ASSISTANT_URL`` gives ``service_url`` and
        ``ASSISTANT_DISABLE_SSL`` ``disable_ssl_verification``; the authenticator comes
        from ``ASSISTANT_AUTH_TYPE`` and its keys. ``options`` are the constructor's
        keyword arguments and win over the configuration. A missing or contradictory
        setting is a ``ValueError`` naming the key.
        """
        from .config import authenticator_from_config, read_external_config

        config = read_external_config(service_name, environ=environ)
        options.setdefault("service_url", config.url or DEFAULT_SERVICE_URL)
        options.setdefault("disable_ssl_verification", config.disable_ssl)
        return cls(version, authenticator_from_config(config), **options)

    def __repr__(self) -> str:
        return (
            f"AssistantClient(version={self._version!r}, service_url={self._service_url!r}, "
            f"authenticator={self._authenticator!r})"
        )

    # --- lifecycle -------------------------------------------------------------

    @property
    def version(self) -> str:
        """The API version date sent on every call."""
        return self._version

    @property
    def service_url(self) -> str:
        """The instance URL requests go to."""
        return self._service_url

    @property
    def authenticator(self) -> Authenticator:
        """The authenticator providing the ``Authorization`` header."""
        return self._authenticator

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has been called."""
        return self._life.closed

    @property
    def retry(self) -> RetryPolicy | None:
        """The retry policy of this client (or view)."""
        return self._retry

    @property
    def rate_limits(self) -> dict[str, RateLimitState]:
        """What the rate-limit gate knows, per endpoint family (empty with the gate off)."""
        return self._gate.state() if self._gate is not None else {}

    def with_options(self, *, retry: RetryPolicy | None = DEFAULT_RETRY) -> AssistantClient:
        """A view of this client with other options, sharing its connections and gate.

        ``await client.with_options(retry=None).message(...)`` sends that one call without
        retries. Closing a view does nothing; close the client itself.
        """
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValueError(f"retry must be a RetryPolicy or None, got {type(retry).__name__}")
        view = copy.copy(self)
        view._retry = retry
        view._is_view = True
        return view

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` with every event of :mod:`watson_async.observe`.

        Events: :class:`~watson_async.AttemptEvent` per attempt,
        :class:`~watson_async.CallEvent` per call, :class:`RetryEvent`,
        :class:`GateEvent` and :class:`~watson_async.RefreshEvent`. Listeners run in the
        event loop and must not block; one that raises is logged and ignored. Register
        before the first request to get ``pool_wait`` measured (aiohttp's connection
        tracing is switched on only then, so a client nobody listens to pays nothing).
        """
        self._listeners.add(listener)
        enable = getattr(self._transport, "time_pool", None)
        if callable(enable):
            enable()

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``; ``ValueError`` if it isn't registered."""
        self._listeners.remove(listener)

    async def __aenter__(self) -> AssistantClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close connections and stop background work. Safe to call more than once.

        Afterwards nothing is sent (token requests included) and no task of the client's
        is left. Every call still pending (waiting on the rate-limit gate, between
        retries, for a token, or with its request in flight) and every later call raises
        :class:`~watson_async.ClientClosedError`. Call it in the event loop the client
        was used in: from a loop that can't reach that one's connections it raises
        ``RuntimeError`` and changes nothing.
        """
        if self._life.closed or self._is_view:
            return
        for part in (self._transport, self._authenticator):
            refusal = getattr(part, "_foreign_loop_refusal", None)
            error = refusal() if callable(refusal) else None
            if error is not None:
                raise error
        self._life.close()
        if isinstance(self._authenticator, TokenAuthenticator):
            self._authenticator.remove_refresh_listener(self._report_refresh)
        try:
            await self._authenticator.aclose()
        finally:
            await self._transport.aclose()

    async def with_response(
        self, method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> DetailedResponse[T]:
        """Call ``method`` and return its result with the HTTP status and headers.

        ``await client.with_response(client.message, aid, eid, sid, input=...)`` gives a
        :class:`DetailedResponse` whose ``result`` is what ``client.message`` returns.
        Safe with any number of concurrent calls.
        """
        responses: list[HttpResponse] = []
        token = capture.set(responses)
        try:
            result = await method(*args, **kwargs)
        finally:
            capture.reset(token)
        if not responses:
            raise RuntimeError(f"{method!r} made no request to the service")
        last = responses[-1]
        return DetailedResponse(result=result, status_code=last.status, headers=last.headers)

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
        gate = self._gate
        waited = 0.0 if gate is None else await gate.acquire(request.endpoint)
        started = self._clock() if trace is not None else 0.0
        response: HttpResponse | _Opened | None = None
        try:
            try:
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

    def _report_refresh(self, event: RefreshEvent) -> None:
        self._listeners.emit(event)

    # --- sessions and messages ------------------------------------------------

    def assistant(self, assistant_id: str, environment_id: str | None) -> Assistant:
        """A handle on one assistant: the runtime methods without the repeated IDs, and
        :meth:`~watson_async.conversation.Assistant.conversation` /
        :meth:`~watson_async.conversation.Assistant.stateless_conversation`.

        ``environment_id=None`` selects the classic paths, as in :meth:`create_session`
        (the streaming methods have none and then raise ``ValueError``). Invalid IDs
        raise ``ValueError`` here.
        """
        from .conversation import Assistant

        return Assistant(self, assistant_id, environment_id)

    async def create_session(
        self,
        assistant_id: str,
        environment_id: str | None,
        *,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> SessionResponse:
        """Create a session for stateful messages.

        ``environment_id=None`` uses the classic path ``/v2/assistants/{id}/sessions``,
        where ``assistant_id`` is an environment ID or a classic assistant ID.
        """
        request = _endpoints.create_session(assistant_id, environment_id, analytics)
        return await self._call(request, SessionResponse, headers, timeout)

    async def delete_session(
        self,
        assistant_id: str,
        environment_id: str | None,
        session_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        """End a session before its inactivity timeout (frees it on the service)."""
        request = _endpoints.delete_session(assistant_id, environment_id, session_id)
        await self._send(request, headers, timeout)

    async def message(
        self,
        assistant_id: str,
        environment_id: str | None,
        session_id: str,
        *,
        input: MessageInput | Mapping[str, Any] | None = None,
        context: MessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> StatefulMessageResponse:
        """Send one user turn in a session and get the assistant's reply.

        Each stateful turn moves the dialog forward: it is never silently sent twice.
        """
        request = _endpoints.message(
            assistant_id, environment_id, session_id, input, context, user_id
        )
        return await self._call(request, StatefulMessageResponse, headers, timeout)

    async def message_stateless(
        self,
        assistant_id: str,
        environment_id: str | None,
        *,
        input: StatelessMessageInput | Mapping[str, Any] | None = None,
        context: StatelessMessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> StatelessMessageResponse:
        """Send one turn without a session; pass the returned ``context`` to the next turn."""
        request = _endpoints.message_stateless(
            assistant_id, environment_id, input, context, user_id
        )
        return await self._call(request, StatelessMessageResponse, headers, timeout)

    async def message_stream(
        self,
        assistant_id: str,
        environment_id: str,
        session_id: str,
        *,
        input: MessageInput | Mapping[str, Any] | None = None,
        context: MessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> MessageStream[MessageStreamResponse]:
        """Send one turn and get the reply as it is generated.

        ``async with await client.message_stream(...) as stream: async for frame in
        stream`` yields :class:`~watson_async.models.MessageStreamPartialItem`,
        :class:`~watson_async.models.MessageStreamCompleteItem` and finally a
        :class:`~watson_async.models.StatefulMessageStreamFinalResponse`, parsed as the
        bytes arrive. ``timeout`` bounds each wait for more bytes.

        A 2xx reply that is not ``text/event-stream`` raises
        :class:`ResponseParseError` here; a stream that ends before its final frame
        raises :class:`~watson_async.IncompleteStreamError` from the loop.
        ``environment_id`` is required: streams have no classic path (``None`` is a
        ``ValueError``, as in IBM's SDK).
        """
        request = _endpoints.message_stream(
            assistant_id, environment_id, session_id, input, context, user_id
        )
        opened = await self._open_stream(request, headers, timeout)
        return MessageStream(
            opened.context, opened.response, MessageStreamResponse, self._max_event_bytes
        )

    async def message_stream_stateless(
        self,
        assistant_id: str,
        environment_id: str,
        *,
        input: StatelessMessageInput | MessageInput | Mapping[str, Any] | None = None,
        context: StatelessMessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> MessageStream[StatelessMessageStreamResponse]:
        """:meth:`message_stream` without a session; the final frame carries the context.

        ``environment_id`` is required, as for :meth:`message_stream`.
        """
        request = _endpoints.message_stream_stateless(
            assistant_id, environment_id, input, context, user_id
        )
        opened = await self._open_stream(request, headers, timeout)
        return MessageStream(
            opened.context, opened.response, StatelessMessageStreamResponse, self._max_event_bytes
        )

    # --- assistants -------------------------------------------------------------

    async def create_assistant(
        self,
        *,
        language: str | None = None,
        name: str | None = None,
        description: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AssistantData:
        """Create an assistant (name at most 64, description at most 128 characters)."""
        request = _endpoints.create_assistant(language, name, description)
        return await self._call(request, AssistantData, headers, timeout)

    async def list_assistants(
        self,
        *,
        page_limit: int | None = None,
        include_count: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        include_audit: bool | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AssistantCollection:
        """One page of assistants; see :meth:`iter_assistants` for all of them."""
        request = _endpoints.list_assistants(page_limit, include_count, sort, cursor, include_audit)
        return await self._call(request, AssistantCollection, headers, timeout)

    def iter_assistants(
        self,
        *,
        page_limit: int | None = None,
        sort: str | None = None,
        include_audit: bool | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[AssistantData]:
        """Every assistant, page after page (following the cursor), at most ``limit``.

        ``async for assistant in client.iter_assistants(page_limit=50): ...``. Arguments
        are checked right away; pages are fetched as the loop consumes them.
        """
        return self._paginate(
            lambda cursor: _endpoints.list_assistants(
                page_limit, None, sort, cursor, include_audit
            ),
            AssistantCollection,
            lambda page: page.assistants,
            limit,
            headers,
            timeout,
        )

    async def delete_assistant(
        self,
        assistant_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        """Delete an assistant and everything in it."""
        request = _endpoints.delete_assistant(assistant_id)
        await self._send(request, headers, timeout)


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
