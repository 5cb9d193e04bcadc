"""The framework-neutral core of a webhook endpoint: body and headers in, status and
body out.

Order of checks, each answered before the next runs: authentication (401, before any
parsing, so a stranger's request never reaches your code), size (413), JSON and schema
(400), then your function under a deadline below the service's 30-second limit. A late
function is cancelled and the fallback reply goes out (or 503 without one); a function
that raises gets 500; a reply that breaks the schema gets 500 too, and nothing of it
is sent. Every answer is an :class:`~watson_async.observe.WebhookCallEvent`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from watson_async.models import Model, StatelessMessageResponse
from watson_async.observe import Listener, Listeners, WebhookCallEvent
from watson_async.protocol.codec import dumps, loads
from watson_async.protocol.validation import check_text, check_user_id

from ._auth import WebhookAuth, WebhookAuthError, verify
from ._models import (
    MESSAGE_PROCESSED,
    MESSAGE_RECEIVED,
    SKIP_HEADER,
    LogEvent,
    PostMessageReply,
    PostMessageRequest,
    PreMessageReply,
    PreMessageRequest,
    SkipAssistant,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY",
    "WebhookHandler",
    "WebhookResponse",
    "log_handler",
    "post_message_handler",
    "pre_message_handler",
]

#: Seconds your function gets by default: the service waits 30 at most, so the
#: fallback still arrives in time over a slow network.
DEFAULT_DEADLINE = 25.0
#: The largest request body read by default (a stateless message may carry 250 KB of
#: context, and the response more).
DEFAULT_MAX_BODY = 2 * 1024 * 1024
_MAX_DEADLINE = 29.0
_JSON = {"Content-Type": "application/json"}
_SKIP = {**_JSON, SKIP_HEADER: "true"}

_log = logging.getLogger("watson_async.webhooks")

Req = TypeVar("Req", bound=Model)
Rep = TypeVar("Rep")


class WebhookResponse(NamedTuple):
    """What to answer: the status, the JSON body and its headers."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def _error(status: int, message: str) -> WebhookResponse:
    return WebhookResponse(status, dumps({"error": message, "code": status}), _JSON)


def _echo_pre(request: PreMessageRequest) -> PreMessageReply:
    return PreMessageReply(payload=request.payload)


def _echo_post(request: PostMessageRequest) -> PostMessageReply:
    return PostMessageReply(payload=request.payload)


#: Per kind: the request model, the reply model (None: the reply is ``{}``) and the
#: event name a request must carry if it names one.
_KINDS: dict[str, tuple[Any, type[Model] | None, str | None]] = {
    "pre_message": (PreMessageRequest, PreMessageReply, MESSAGE_RECEIVED),
    "post_message": (PostMessageRequest, PostMessageReply, MESSAGE_PROCESSED),
    "log": (LogEvent, None, None),
}


class WebhookHandler(Generic[Req, Rep]):
    """One webhook endpoint: verification, parsing, your function, the reply.

    Build one with :func:`pre_message_handler`, :func:`post_message_handler` or
    :func:`log_handler`, then serve it with :mod:`watson_async.webhooks.aiohttp` or
    :mod:`watson_async.webhooks.asgi` (or call :meth:`handle` from any framework).
    Nothing loop-bound is created until a request arrives.
    """

    def __init__(
        self,
        kind: str,
        func: Callable[[Req], Awaitable[Rep]],
        *,
        auth: WebhookAuth,
        deadline: float,
        fallback: Callable[[Req], Rep] | None,
        max_body_bytes: int,
        on_event: Listener | None,
        clock: Callable[[], float],
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        if not callable(func):
            raise ValueError(f"the {kind} webhook function must be callable")
        if not 0 < deadline <= _MAX_DEADLINE:
            raise ValueError(f"deadline must be > 0 and <= {_MAX_DEADLINE} seconds (30 s limit)")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        if fallback is not None and not callable(fallback):
            raise ValueError("fallback must be callable or None")
        self.kind = kind
        self.auth = auth
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self._func = func
        spec = _KINDS[kind]
        self._request_model: type[Req] = spec[0]
        self._reply_model, self._event_name = spec[1], spec[2]
        self._fallback = fallback
        self._clock = clock
        self._listeners = Listeners()
        if on_event is not None:
            self._listeners.add(on_event)

    def __repr__(self) -> str:
        return f"<WebhookHandler {self.kind} auth={type(self.auth).__name__}>"

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Answer one request (``body`` may be cut at ``max_body_bytes + 1``)."""
        started = time.monotonic()
        response, outcome = await self._answer(body, headers)
        self._listeners.emit(
            WebhookCallEvent(
                kind=self.kind,
                status=response.status,
                outcome=outcome,
                started=started,
                duration=time.monotonic() - started,
            )
        )
        return response

    async def _answer(self, body: bytes, headers: Mapping[str, str]) -> tuple[WebhookResponse, str]:
        try:
            verify(self.auth, headers, now=self._clock())
        except WebhookAuthError as exc:
            _log.warning("%s webhook: request refused: %s", self.kind, exc)
            return _error(401, "Unauthorized"), "unauthorized"
        if len(body) > self.max_body_bytes:
            return _error(413, f"the body is over {self.max_body_bytes} bytes"), "too_large"
        request = self._parse(body)
        if isinstance(request, str):
            _log.warning("%s webhook: bad request: %s", self.kind, request)
            return _error(400, request), "bad_request"
        try:
            reply = await asyncio.wait_for(self._func(request), self.deadline)
        except asyncio.TimeoutError:
            if self._fallback is None:
                return _error(503, "the webhook did not answer in time"), "late"
            return self._encode(self._fallback(request), "fallback")
        except Exception:
            _log.exception("%s webhook: the webhook function raised", self.kind)
            return _error(500, "the webhook function failed"), "error"
        return self._encode(reply, "ok")

    def _parse(self, body: bytes) -> Req | str:
        """The request's model, or why it is refused."""
        try:
            data = loads(body)
        except ValueError:
            return "the body is not JSON"
        if not isinstance(data, dict):
            return "the body is not a JSON object"
        if not isinstance(data.get("payload"), dict):
            return "the body has no payload object"
        event = data.get("event")
        name = event.get("name") if isinstance(event, dict) else None
        if self._event_name is not None and name is not None and name != self._event_name:
            return f"the event is {name!r}, expected {self._event_name!r}"
        try:
            return self._request_model.from_dict(data)
        except Exception as exc:
            # The converter's message names the field, never its value.
            return f"the body does not match the {self.kind} schema ({type(exc).__name__})"

    def _encode(self, reply: Any, outcome: str) -> tuple[WebhookResponse, str]:
        """The reply as JSON, after checking it against its model."""
        if self._reply_model is None:
            return WebhookResponse(200, b"{}", _JSON), outcome
        skip = self.kind == "pre_message" and isinstance(reply, SkipAssistant)
        sent = reply.response if skip else reply
        problem = _reply_problem(sent, StatelessMessageResponse if skip else self._reply_model)
        if problem is not None:
            _log.error("%s webhook: the reply was not sent: %s", self.kind, problem)
            return _error(500, "the webhook reply broke the schema"), "bad_reply"
        if skip:
            return WebhookResponse(200, dumps(sent.to_dict()), _SKIP), (
                "skipped" if outcome == "ok" else outcome
            )
        return WebhookResponse(200, dumps(sent.to_dict()), _JSON), outcome


def _reply_problem(reply: Any, model: type[Model]) -> str | None:
    """Why ``reply`` can't be sent as a ``model``, or ``None``."""
    if not isinstance(reply, model):
        return f"expected {model.__name__}, got {type(reply).__name__}"
    try:
        data = reply.to_dict()
        model.from_dict(data)
        dumps(data)
    except Exception as exc:
        return f"{model.__name__} does not round-trip ({type(exc).__name__})"
    if isinstance(reply, PreMessageReply):
        # The service would refuse these ("Error validating webhook response").
        payload = reply.payload
        try:
            if payload.input is not None and payload.input.text is not None:
                check_text(payload.input.text)
            if payload.user_id is not None:
                check_user_id(payload.user_id)
        except ValueError as exc:
            return str(exc)
    return None


def pre_message_handler(
    func: Callable[[PreMessageRequest], Awaitable[PreMessageReply | SkipAssistant]],
    *,
    auth: WebhookAuth,
    deadline: float = DEFAULT_DEADLINE,
    fallback: Callable[[PreMessageRequest], PreMessageReply | SkipAssistant] | None = _echo_pre,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    on_event: Listener | None = None,
    clock: Callable[[], float] = time.time,
) -> WebhookHandler[PreMessageRequest, PreMessageReply | SkipAssistant]:
    """A pre-message endpoint calling ``async func(request) -> PreMessageReply``, or
    ``-> SkipAssistant`` to answer the user without the assistant.

    When ``func`` misses ``deadline`` the ``fallback`` reply goes out: by default the
    message unchanged. With ``fallback=None`` the answer is 503 and the assistant does
    what its error setting says (go on without the webhook, or fail the message): choose
    that when the message must not pass unprocessed (PII masking). ``clock`` (epoch
    seconds) is what JWT expiry is checked against.
    """
    return WebhookHandler(
        "pre_message",
        func,
        auth=auth,
        deadline=deadline,
        fallback=fallback,
        max_body_bytes=max_body_bytes,
        on_event=on_event,
        clock=clock,
    )


def post_message_handler(
    func: Callable[[PostMessageRequest], Awaitable[PostMessageReply]],
    *,
    auth: WebhookAuth,
    deadline: float = DEFAULT_DEADLINE,
    fallback: Callable[[PostMessageRequest], PostMessageReply] | None = _echo_post,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    on_event: Listener | None = None,
    clock: Callable[[], float] = time.time,
) -> WebhookHandler[PostMessageRequest, PostMessageReply]:
    """A post-message endpoint calling ``async func(request) -> PostMessageReply``;
    the arguments are :func:`pre_message_handler`'s (the default fallback sends the
    assistant's reply unchanged)."""
    return WebhookHandler(
        "post_message",
        func,
        auth=auth,
        deadline=deadline,
        fallback=fallback,
        max_body_bytes=max_body_bytes,
        on_event=on_event,
        clock=clock,
    )


def log_handler(
    func: Callable[[LogEvent], Awaitable[None]],
    *,
    auth: WebhookAuth,
    deadline: float = DEFAULT_DEADLINE,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    on_event: Listener | None = None,
    clock: Callable[[], float] = time.time,
) -> WebhookHandler[LogEvent, None]:
    """A log endpoint calling ``async func(event)``; the service reads no reply, so the
    answer is ``200 {}`` (503 when ``func`` misses ``deadline``)."""
    return WebhookHandler(
        "log",
        func,
        auth=auth,
        deadline=deadline,
        fallback=None,
        max_body_bytes=max_body_bytes,
        on_event=on_event,
        clock=clock,
    )
