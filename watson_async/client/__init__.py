"""``AssistantClient``: lifecycle and one thin method per v2 endpoint.

Each method validates and builds its request in the wire layer, sends it through the
transport with the authenticator's header, and converts the JSON reply to a model. The
runtime methods (sessions and messages) are here, the authoring ones (assistants and
everything in them) in ``management.ManagementMethods``; both use the send path of
``base._BaseClient``, which the client inherits through them.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import math
import platform
import re
import ssl
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

from watson_async._lifecycle import AsyncClosing
from watson_async._version import __version__
from watson_async.auth import Authenticator, TokenAuthenticator
from watson_async.auth._base import ready_of
from watson_async.auth._token import TokenCache
from watson_async.client.base import _Lifecycle
from watson_async.client.management import ManagementMethods
from watson_async.client.response import DetailedResponse, capture
from watson_async.client.streams import DEFAULT_MAX_EVENT_BYTES, MessageStream
from watson_async.models.context import MessageContext, StatelessMessageContext
from watson_async.models.message import (
    MessageInput,
    StatefulMessageResponse,
    StatelessMessageInput,
    StatelessMessageResponse,
)
from watson_async.models.session import RequestAnalytics, SessionResponse
from watson_async.models.stream import MessageStreamResponse, StatelessMessageStreamResponse
from watson_async.observe import Listener, Listeners
from watson_async.protocol import compression as _compression
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol import service as _protocol
from watson_async.resilience.gates import Gate, GateBinding
from watson_async.resilience.retry import (
    GateEvent,
    RateLimitGate,
    RateLimitState,
    RetryEvent,
    RetryPolicy,
)
from watson_async.transport import (
    AIOHTTP_VERSION,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    AiohttpTransport,
    HttpResponse,
    Transport,
    check_byte_limit,
)

if TYPE_CHECKING:
    from watson_async.conversation import Assistant

__all__ = ["DEFAULT_RETRY", "DEFAULT_SERVICE_URL", "USER_AGENT", "AssistantClient"]

#: The retry policy clients use unless told otherwise (``retry=None`` turns retries off).
DEFAULT_RETRY = RetryPolicy()

DEFAULT_SERVICE_URL = "https://api.us-south.assistant.watson.cloud.ibm.com"
USER_AGENT = (
    f"watson-async/{__version__} aiohttp/{AIOHTTP_VERSION} "
    f"{platform.python_implementation()}/{platform.python_version()} ({sys.platform})"
)

_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

T = TypeVar("T")
P = ParamSpec("P")


class _Keep(enum.Enum):
    """``with_options``' default: keep the client's value of that option."""

    KEEP = "keep"


_KEEP: Final = _Keep.KEEP


def _check_deadline(deadline: object) -> float | None:
    """``with_options(deadline=)``: ``None`` or a finite number of seconds above 0."""
    if deadline is None:
        return None
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, (int, float))
        or not math.isfinite(deadline)
        or deadline <= 0
    ):
        raise ValueError(f"deadline must be a number of seconds above 0 or None, got {deadline!r}")
    return float(deadline)


class AssistantClient(ManagementMethods, AsyncClosing):
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
            ``True`` (default) gives the client a gate of its own; a gate object
            (:class:`Gate`: a :class:`RateLimitGate` of yours, or
            :class:`watson_async.redis.RedisRateLimitGate` for a fleet) may be shared by
            several clients, each bound to it with its own events and close.
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
        gzip_requests: Send JSON request bodies of ``gzip_min_bytes`` or more gzipped,
            with ``Content-Encoding: gzip`` (default ``False``). It pays off for large
            bodies (skills imports, bulk classify, big contexts) over a slow link; on
            a fast one it costs more CPU time than it saves on the wire (see "Request
            compression" in the getting-started guide). Release archives and file
            uploads are sent as they are; :meth:`with_options` changes it per call.
        gzip_min_bytes: The smallest body ``gzip_requests`` compresses (default 1024).
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
        rate_limit_gate: bool | Gate = True,
        on_retry: Callable[[RetryEvent], None] | None = None,
        on_gate_wait: Callable[[GateEvent], None] | None = None,
        on_event: Listener | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        gzip_requests: bool = False,
        gzip_min_bytes: int = _compression.DEFAULT_GZIP_MIN_BYTES,
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
        self._set_gzip(gzip_requests, gzip_min_bytes)
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
        self._gate: GateBinding | None
        if rate_limit_gate is True:
            self._gate = RateLimitGate(
                clock=clock, sleep=self._sleep_unless_closed, on_wait=self._report_gate_wait
            )
        elif rate_limit_gate is False:
            self._gate = None
        elif isinstance(rate_limit_gate, Gate) and not isinstance(rate_limit_gate, type):
            self._gate = rate_limit_gate.bind(self._report_gate_wait, self._report)
        else:
            raise ValueError(
                "rate_limit_gate must be True, False or a gate such as RateLimitGate() or "
                f"RedisRateLimitGate, got {type(rate_limit_gate).__name__}"
            )
        self._admit_now = self._gate.admit_now if type(self._gate) is RateLimitGate else None
        self._auth_ready = ready_of(authenticator)
        self._listeners = Listeners()  # shared with views from with_options()
        if on_event is not None:
            self.add_listener(on_event)
        if isinstance(authenticator, TokenAuthenticator):
            authenticator.add_refresh_listener(self._report)
            if isinstance(transport, AiohttpTransport):
                authenticator._use_connection_settings(transport._settings)
        self._life = _Lifecycle()  # shared with views from with_options()
        self._is_view = False
        self._deadline = None
        self._unbounded = self

    @classmethod
    def from_env(
        cls,
        version: str,
        *,
        service_name: str = "assistant",
        environ: Mapping[str, str] | None = None,
        token_cache: TokenCache | None = None,
        **options: Any,
    ) -> AssistantClient:
        """A client configured the way IBM's SDKs are, so deployments work unchanged.

        Reads the first of: the credentials file (``IBM_CREDENTIALS_FILE``, then
        ``./ibm-credentials.env``, then ``~/ibm-credentials.env``), environment
        variables, ``VCAP_SERVICES`` that has any ``ASSISTANT_*`` key (the prefix follows
        ``service_name``). ``ASSISTANT_URL`` gives ``service_url`` and
        ``ASSISTANT_DISABLE_SSL`` ``disable_ssl_verification`` and ``ASSISTANT_ENABLE_GZIP``
        ``gzip_requests``, as in IBM's cores; the authenticator comes
        from ``ASSISTANT_AUTH_TYPE`` and its keys. ``options`` are the constructor's
        keyword arguments and win over the configuration. ``token_cache`` (e.g.
        :class:`watson_async.redis.RedisTokenCache`) goes to an ``iam`` or ``cp4d``
        authenticator; with another auth type it is a ``ValueError``. A missing or
        contradictory setting is a ``ValueError`` naming the key.
        """
        from watson_async.auth.config import authenticator_from_config, read_external_config

        config = read_external_config(service_name, environ=environ)
        options.setdefault("service_url", config.url or DEFAULT_SERVICE_URL)
        options.setdefault("disable_ssl_verification", config.disable_ssl)
        options.setdefault("gzip_requests", config.enable_gzip)
        return cls(version, authenticator_from_config(config, token_cache=token_cache), **options)

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

    def with_options(
        self,
        *,
        retry: RetryPolicy | _Keep | None = _KEEP,
        gzip_requests: bool | _Keep = _KEEP,
        gzip_min_bytes: int | _Keep = _KEEP,
        deadline: float | _Keep | None = _KEEP,
    ) -> AssistantClient:
        """A view of this client with other options, sharing its connections and gate.

        ``await client.with_options(retry=None).message(...)`` sends that one call without
        retries; ``client.with_options(gzip_requests=True).import_skills(...)`` sends that
        one gzipped. An option not given keeps this client's value. Closing a view does
        nothing; close the client itself.

        ``deadline`` (seconds, ``None``: none, the default) bounds each whole call of the
        view: the rate-limit gate's hold, every attempt and the waits between them (a
        stream: until its response starts). Past it the call is cancelled and
        :class:`~watson_async.DeadlineExceededError` raised. For an interactive endpoint:
        ``await client.with_options(deadline=5).message(...)``.
        """
        if retry is _KEEP:
            retry = self._retry
        elif retry is not None and not isinstance(retry, RetryPolicy):
            raise ValueError(f"retry must be a RetryPolicy or None, got {type(retry).__name__}")
        enabled, min_bytes = self._gzip_options
        view = copy.copy(self)
        view._set_gzip(
            enabled if gzip_requests is _KEEP else gzip_requests,
            min_bytes if gzip_min_bytes is _KEEP else gzip_min_bytes,
        )
        view._retry = retry
        view._is_view = True
        if deadline is not _KEEP:
            view._deadline = _check_deadline(deadline)
        view._unbounded = view
        if view._deadline is not None:
            view._unbounded = copy.copy(view)
            view._unbounded._deadline = None
            view._unbounded._unbounded = view._unbounded
        return view

    def _set_gzip(self, enabled: bool, min_bytes: int) -> None:
        """Check and set ``gzip_requests`` / ``gzip_min_bytes`` (``ValueError``)."""
        self._gzip_min_bytes = _compression.gzip_threshold(enabled, min_bytes)
        self._gzip_options = (enabled, min_bytes)

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
        if self._gate is not None:
            self._gate.close()
        if isinstance(self._authenticator, TokenAuthenticator):
            self._authenticator.remove_refresh_listener(self._report)
        try:
            await self._authenticator.aclose()
        finally:
            await self._transport.aclose()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # Like aiohttp's "Unclosed client session", but naming the object the user made.
        # Only once a request opened connections: an unused client holds nothing.
        if getattr(self, "_is_view", True) or self._life.closed:
            return
        if getattr(self._transport, "opened", False):
            _warn(
                "unclosed AssistantClient: call `await client.aclose()` when done, or use "
                "`async with AssistantClient(...) as client:`",
                ResourceWarning,
                source=self,
            )

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

    # --- sessions and messages ------------------------------------------------

    def assistant(self, assistant_id: str, environment_id: str | None) -> Assistant:
        """A handle on one assistant: the runtime methods without the repeated IDs, and
        :meth:`~watson_async.conversation.Assistant.conversation` /
        :meth:`~watson_async.conversation.Assistant.stateless_conversation`.

        ``environment_id=None`` selects the classic paths, as in :meth:`create_session`
        (the streaming methods have none and then raise ``ValueError``). Invalid IDs
        raise ``ValueError`` here.
        """
        from watson_async.conversation import Assistant

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
