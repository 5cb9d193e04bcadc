"""The fake's server: lifecycle (the aiohttp low-level server on a loopback socket), the
request entry point (recording, latency, faults), routing through the endpoint table
(:mod:`watson_async.protocol.routes`), rate limiting and authorization of the v2 routes, and
streamed responses.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import web

from watson_async.auth.config import ASSISTANT_ID_KEY, ENVIRONMENT_ID_KEY, key_prefix
from watson_async.protocol import codec as _json
from watson_async.protocol.compression import BodyEncodingError, decode_body
from watson_async.protocol.routes import BY_NAME, ENDPOINTS

from .._common import NOT_FOUND as _NOT_FOUND
from .._common import Call as _Call
from .._common import error as _error
from .._common import serve as _serve
from .._records import RecordedRequest
from .._stream import StreamBody
from ._faults import FaultsMixin
from ._rate_limits import RATE_LIMIT_TEXT, RateLimitsMixin
from ._state import TEXT, Handler, cp4d_error
from ._tokens import CP4D_PATH, IAM_PATH, TokensMixin
from ._webhooks import PendingWebhooks, WebhooksMixin

if TYPE_CHECKING:
    from aiohttp.abc import AbstractStreamWriter
    from aiohttp.http_parser import RawRequestMessage
    from aiohttp.streams import StreamReader
    from aiohttp.web_protocol import RequestHandler

__all__ = ["ServerMixin"]


class _Route(NamedTuple):
    """One path of the endpoint table as the fake matches it, segment by segment."""

    literals: tuple[tuple[int, str], ...]
    """(position, text) of each fixed segment."""
    slots: tuple[int | None, ...]
    """Where each ID of the row (in path order) stands; None when absent (classic)."""
    endpoints: dict[str, str]
    """HTTP method -> endpoint."""


def _compile_routes() -> dict[int, tuple[_Route, ...]]:
    """The routes by segment count. Like the service, the fake answers the classic
    (un-scoped) variant of the runtime paths that have one; streams have none, so a
    classic stream path is a 404."""
    by_template: dict[str, dict[str, str]] = {}
    for row in ENDPOINTS:
        templates = [row.path]
        if row.classic_path is not None:
            templates.append(row.classic_path)
        for template in templates:
            by_template.setdefault(template, {})[row.method] = row.name
    routes: dict[int, list[_Route]] = {}
    for template, endpoints in by_template.items():
        ids = BY_NAME[next(iter(endpoints.values()))].ids
        segments = template.removeprefix("/v2/").split("/")
        at = {s[1:-1]: i for i, s in enumerate(segments) if s.startswith("{")}
        literals = tuple((i, s) for i, s in enumerate(segments) if not s.startswith("{"))
        route = _Route(literals, tuple(at.get(name) for name in ids), endpoints)
        routes.setdefault(len(segments), []).append(route)
    return {count: tuple(found) for count, found in routes.items()}


_ROUTES = _compile_routes()

_UNAUTHORIZED = (401, {"code": 401, "error": "Unauthorized"})
_METHOD_NOT_ALLOWED = _error(405, "Method Not Allowed")
_MISSING_VERSION = _error(400, "Missing required query parameter `version`")


@dataclass(slots=True)
class _PendingStream:
    """A streamed response :meth:`FakeAssistant._process` leaves to ``_handle``."""

    status: int
    headers: dict[str, str]
    body: StreamBody


class ServerMixin(FaultsMixin, TokensMixin, RateLimitsMixin, WebhooksMixin):
    """Serving: start/stop, the URLs, and each request from arrival to response."""

    async def start(self) -> None:
        """Bind the socket and start serving (``port=0`` picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("FakeAssistant is already started")
        loop = asyncio.get_running_loop()
        max_size = self.max_request_size

        def make_request(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=max_size
            )

        server = web.Server(
            self._handle,
            request_factory=make_request,
            access_log=None,
            auto_decompress=False,  # _handle decodes, so it can record and reject as the API
            handler_cancellation=True,  # a client gone mid-stream ends its handler at once
        )
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        self.port = await _serve(runner, self.host, self._bind_port)
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving and close connections; safe to call more than once. Streams
        still being written (e.g. parked in a ``stream_pause``) are cut off."""
        runner, self._runner = self._runner, None
        for task in list(self._streams):
            task.cancel()
        if runner is not None:
            await runner.cleanup()
        await self._close_webhooks()

    @property
    def started(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._runner is None:
            raise RuntimeError("FakeAssistant is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def service_url(self) -> str:
        """What a client passes as ``service_url``."""
        return f"{self.url}/instances/{self.instance_id}"

    @property
    def iam_url(self) -> str:
        """The IAM token endpoint (``.../identity/token``)."""
        return f"{self.url}{IAM_PATH}"

    @property
    def cp4d_url(self) -> str:
        """The Cloud Pak for Data ``url`` a client is configured with (the token
        endpoint is ``{cp4d_url}/v1/authorize``); the same as :attr:`url`."""
        return self.url

    def environ(self, service_name: str = "assistant") -> dict[str, str]:
        """The environment variables that point ``AssistantClient.from_env`` (and IBM's
        SDKs, ``watson-async chat`` and ``loadtest --target real``) at this fake.

        ``ASSISTANT_URL``, ``ASSISTANT_AUTH_TYPE`` (``iam``; ``noAuth`` with
        ``auth=False``), ``ASSISTANT_APIKEY`` and ``ASSISTANT_AUTH_URL`` (IAM only), and
        the IDs ``ASSISTANT_ID`` and ``ASSISTANT_ENVIRONMENT_ID``; the prefix follows
        ``service_name`` as ``from_env``'s does. Set them with pytest's ``monkeypatch``
        (the ``fake_assistant_env`` fixture does) or ``os.environ.update``.
        """
        prefix = key_prefix(service_name)
        values = {"URL": self.service_url}
        if self.auth:
            values.update(AUTH_TYPE="iam", APIKEY=self.apikey, AUTH_URL=self.iam_url)
        else:
            values["AUTH_TYPE"] = "noAuth"
        values[ASSISTANT_ID_KEY] = self.assistant_id
        values[ENVIRONMENT_ID_KEY] = self.environment_id
        return {prefix + key: value for key, value in values.items()}

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        method = request.method
        path = request.path
        body = await request.read() if request.body_exists else b""
        encoded: bytes | None = None  # the wire bytes of a body with a Content-Encoding
        rejected: BodyEncodingError | None = None
        coding = request.headers.get("Content-Encoding")
        if coding is not None and body:
            encoded = body
            try:
                body = decode_body(body, coding, self.max_request_size)
            except BodyEncodingError as exc:
                rejected, body = exc, b""
            if body is encoded:  # identity
                encoded = None
        is_iam = path == IAM_PATH
        is_cp4d = path == CP4D_PATH
        if is_iam:
            self.iam_calls += 1
        elif is_cp4d:
            self.cp4d_calls += 1
        elif self._tokens and path.startswith(self._v2_prefix):
            self._note_expired(request)
        parsed: Any = None
        json_ok = True
        if body and not is_iam:
            try:
                parsed = _json.loads(body)
            except ValueError:
                json_ok = False
        if self.record_requests:
            self.requests.append(
                RecordedRequest(
                    method, path, dict(request.query), dict(request.headers), parsed, body, encoded
                )
            )
        if rejected is not None:
            # The edge answers before routing: no handler, fault or rate limit sees it.
            payload = _error(rejected.status, str(rejected))
            return self._json_response(*payload, self._std_headers(self._clock()))
        if self.latency > 0:
            await self._sleep(self.latency)

        # A fault is chosen on arrival; unless after_processing it pre-empts the request.
        fault = self._take_fault(method, path) if self._faults else None
        if fault is None and self.error_rate > 0:
            fault = self._chance_fault(path)
        if fault is not None and not fault.after_processing:
            faulted = await self._apply_fault(request, fault)
            if faulted is not None:
                return faulted
        response = self._process(request, method, path, body, parsed, json_ok)
        if isinstance(response, PendingWebhooks):
            response = await self._run_with_webhooks(response)
        if fault is not None and fault.after_processing:
            faulted = await self._apply_fault(request, fault)
            if faulted is not None:
                return faulted
        if isinstance(response, _PendingStream):
            return await self._write_stream(request, response)
        return response

    async def _write_stream(
        self, request: web.BaseRequest, pending: _PendingStream
    ) -> web.StreamResponse:
        """Write a streamed body piece by piece (one HTTP chunk each) with
        ``stream_pause`` between pieces. A client that goes away mid-stream ends it
        quietly (counted in :attr:`streams_aborted`)."""
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        if self._streams_idle is not None:
            self._streams_idle.clear()
        headers = dict(pending.headers)
        headers.update(pending.body.headers)
        headers["Content-Type"] = pending.body.content_type
        response = web.StreamResponse(status=pending.status, headers=headers)
        try:
            await response.prepare(request)
            for i, piece in enumerate(pending.body.pieces):
                if i:
                    await self._stream_gap()
                transport = request.transport
                if transport is None or transport.is_closing():
                    raise ConnectionResetError("the client went away")
                await response.write(piece)
            await response.write_eof()
        except ConnectionError:
            self.streams_aborted += 1
        except asyncio.CancelledError:  # stop() cut it off
            self.streams_aborted += 1
            raise
        else:
            self.streams_completed += 1
        finally:
            if task is not None:
                self._streams.discard(task)
            if not self._streams and self._streams_idle is not None:
                self._streams_idle.set()
        return response

    async def _stream_gap(self) -> None:
        if self.stream_pause > 0:
            await self._sleep(self.stream_pause)
        else:
            await asyncio.sleep(0)

    def _process(
        self,
        request: web.BaseRequest,
        method: str,
        path: str,
        body: bytes,
        parsed: Any,
        json_ok: bool,
    ) -> web.Response | _PendingStream | PendingWebhooks:
        """Handle a request for real (its effects apply) and build the response (or,
        for a message with webhooks to call, what :meth:`_run_with_webhooks` needs)."""
        now = self._clock()
        if path in (IAM_PATH, CP4D_PATH):
            family = "iam" if path == IAM_PATH else "cp4d"
            if self._outages:
                outage = self._take_outage(family)
                if outage is not None:
                    return self._outage_response(request, outage, family == "iam", now)
            rate_headers, limited = self._rate_check(family, now)
            if limited:
                return self._too_many(family, request, now, rate_headers)
            if family == "iam":
                response = self._iam(request, method, body, now)
            else:
                response = self._cp4d(method, parsed, json_ok, now)
            if rate_headers:
                response.headers.update(rate_headers)
            return response
        if not path.startswith(self._v2_prefix):
            return self._json_response(*_NOT_FOUND, self._std_headers(now))
        match = self._route(method, path[len(self._v2_prefix) :])
        if match is None:
            return self._json_response(*_NOT_FOUND, self._std_headers(now))
        family, handler, args = match
        if handler is None:
            return self._json_response(*_METHOD_NOT_ALLOWED, self._std_headers(now))
        rate_headers, limited = self._rate_check(family, now)
        if limited:
            return self._too_many(family, request, now, rate_headers)
        headers = self._std_headers(now)
        headers.update(rate_headers)
        if not self._authorized(request, now):
            self._unauthorized_responses += 1
            return self._json_response(*_UNAUTHORIZED, headers)
        query = request.query
        if not query.get("version"):
            return self._json_response(*_MISSING_VERSION, headers)
        call = _Call(method, query, request.headers, body, parsed, json_ok, now)
        if self._wants_webhooks(handler):
            return PendingWebhooks(call, handler, args, headers)
        status, payload = handler(call, *args)
        if isinstance(payload, StreamBody):
            return _PendingStream(status, headers, payload)
        return self._json_response(status, payload, headers)

    def _too_many(
        self, family: str, request: web.BaseRequest, now: float, rate_headers: dict[str, str]
    ) -> web.Response:
        """The rate limiter's 429 for ``family``."""
        self.rate_limited_responses += 1
        if self.rate_limit_body == "text":
            headers = self._std_headers(now)
            headers.update(rate_headers)
            return web.Response(
                status=429, body=RATE_LIMIT_TEXT.encode(), headers=headers, content_type=TEXT
            )
        if family == "iam":
            response = self._iam_error(request, "BXNIM0001E", "Too Many Requests.", now, 429)
        elif family == "cp4d":
            payload = cp4d_error(429, "Too Many Requests")
            response = self._json_response(429, payload, self._std_headers(now))
        else:
            payload = {"error": RATE_LIMIT_TEXT, "code": 429}
            response = self._json_response(429, payload, self._std_headers(now))
        response.headers.update(rate_headers)
        return response

    def _route(self, method: str, path: str) -> tuple[str, Handler | None, tuple[Any, ...]] | None:
        """Map a path under ``v2/`` to (rate-limit family, handler or None for 405, its
        IDs in path order with ``None`` for a missing environment); None for an unknown
        route (404)."""
        parts = path.split("/")
        if "" in parts:
            return None
        for route in _ROUTES.get(len(parts), ()):
            if all(parts[i] == text for i, text in route.literals):
                endpoint = route.endpoints.get(method)
                if endpoint is None:
                    return "", None, ()
                args = tuple(None if i is None else parts[i] for i in route.slots)
                return BY_NAME[endpoint].family, self._handlers[endpoint], args
        return None

    def _handler(self, endpoint: str) -> Handler:
        """The handler of ``endpoint``: the resource API's, the fake's own
        ``_endpoint`` or the log store's."""
        for owner, name in ((self._api, endpoint), (self, f"_{endpoint}"), (self._log, endpoint)):
            handler: Handler | None = getattr(owner, name, None)
            if handler is not None:
                return handler
        raise LookupError(f"the fake has no handler for {endpoint}")
