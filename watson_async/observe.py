"""Observability: one stream of events for every attempt, call, retry, gate wait and refresh.

Register a listener with ``AssistantClient(on_event=...)`` or
:meth:`~watson_async.AssistantClient.add_listener`; it is called synchronously, in the
event loop, with each :data:`Event`. Attempt, call, retry and gate events are reported
in the task that made the call (so its context variables are visible to the listener);
refresh events in the authenticator's refresh task.

* :class:`AttemptEvent` — one attempt of a call (one HTTP request; a 401 answered by a
  token refresh and a replay stays one attempt), with its own latency;
* :class:`CallEvent` — one call as the caller saw it: end-to-end latency including
  retries, rate-limit gate waits and token waits;
* :class:`~watson_async.RetryEvent`, :class:`~watson_async.GateEvent`,
  :class:`~watson_async.RefreshEvent` — retries, rate-limit gate holds, token requests;
* :class:`~watson_async.FleetEvent` — a shared gate in Redis lost or found again;
* :class:`WebhookCallEvent` — one request answered by a :mod:`watson_async.webhooks`
  handler (passed to its ``on_event=``, not to a client).

Routes are templates such as ``/v2/assistants/{assistant_id}/sessions/{session_id}/message``
(never raw IDs, so metrics keep a low cardinality). A client without listeners does none
of this work. A listener that raises is logged (logger ``watson_async.events``) and the
call goes on.

Logging follows the same events, quiet by default (the ``watson_async`` logger has only
a ``NullHandler``): ``watson_async.client`` logs every attempt and call at ``DEBUG``,
``watson_async.resilience.retry`` every retry at ``INFO`` and gate hold at ``DEBUG``,
``watson_async.auth`` failed token requests at ``WARNING``, ``watson_async.webhooks``
every webhook request at ``DEBUG`` and every refused or failed one at ``WARNING``. Log
lines carry route templates, statuses, durations and transaction IDs, never tokens, API
keys or bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeAlias

import attrs

from watson_async.protocol.routes import BY_NAME, path_template
from watson_async.resilience.gates import FleetEvent
from watson_async.resilience.retry import GateEvent, RetryEvent

from .auth import RefreshEvent

__all__ = ["AttemptEvent", "CallEvent", "Event", "Listener", "WebhookCallEvent", "route_template"]

_log = logging.getLogger("watson_async.events")
_client_log = logging.getLogger("watson_async.client")
_retry_log = logging.getLogger("watson_async.resilience.retry")
_webhook_log = logging.getLogger("watson_async.webhooks")
_DEBUG = logging.DEBUG


@attrs.frozen(slots=True)
class AttemptEvent:
    """One attempt of a call: one HTTP request and its response (or its failure)."""

    endpoint: str
    """The client method, e.g. ``message``."""
    method: str
    route: str
    """The path template, e.g. ``/v2/assistants/{assistant_id}/sessions/{session_id}/message``."""
    attempt: int
    """1 for the first attempt of the call, 2 for its first retry, ..."""
    status: int | None
    """The HTTP status, ``None`` when no response arrived."""
    error: BaseException | None
    """What the attempt raised: the typed :class:`~watson_async.ApiError` for a status
    of 300 or more, a :class:`~watson_async.TransportError` when no response arrived."""
    started: float
    """When the attempt started, on the client's clock (``time.monotonic`` by default)."""
    duration: float
    """Seconds from sending (after any rate-limit gate wait) to the last byte read; for a
    stream, to its headers."""
    gate_wait: float
    """Seconds the rate-limit gate held this attempt before it was sent."""
    pool_wait: float | None
    """Seconds spent waiting for a connection from the pool, opening a new one included;
    ``None`` when the transport can't tell (see :meth:`AssistantClient.add_listener`)."""
    request_bytes: int | None
    """Size of the request body as sent, gzipped with ``gzip_requests`` (0 without one,
    ``None`` for a streamed upload)."""
    response_bytes: int | None
    """Size of the response body (``None`` for a streamed response)."""
    transaction_id: str | None
    """The response's ``X-Global-Transaction-Id``: quote it to IBM support."""

    @property
    def outcome(self) -> str:
        """``ok``, or the class name of :attr:`error` (``RateLimitError``, ...)."""
        return "ok" if self.error is None else type(self.error).__name__


@attrs.frozen(slots=True)
class CallEvent:
    """One call as its caller saw it, reported when it returns or raises."""

    endpoint: str
    method: str
    route: str
    attempts: int
    """Attempts made (1 when the first one settled it)."""
    status: int | None
    """The status of the last response, ``None`` when the last attempt got none."""
    error: BaseException | None
    """What the call raised, ``None`` on success."""
    started: float
    """When the call started, on the client's clock."""
    duration: float
    """Seconds end to end: every attempt, retry wait, gate wait and token wait."""
    retry_wait: float
    """Seconds slept between attempts."""
    gate_wait: float
    """Seconds the rate-limit gate held the call, over all attempts."""

    @property
    def outcome(self) -> str:
        """``ok``, or the class name of :attr:`error`."""
        return "ok" if self.error is None else type(self.error).__name__


@attrs.frozen(slots=True)
class WebhookCallEvent:
    """One request to a webhook handler, reported when it is answered."""

    kind: str
    """``pre_message``, ``post_message`` or ``log``."""
    status: int
    """The HTTP status the handler answered."""
    outcome: str
    """``ok``; ``skipped`` (your pre-message code answered with ``SkipAssistant``);
    ``fallback`` (your code was late: the fallback reply went out); or why the
    request was refused or failed: ``unauthorized``, ``too_large``, ``bad_request``,
    ``late`` (no fallback), ``error`` (your code raised), ``bad_reply`` (your reply
    broke the schema)."""
    started: float
    """When the request reached the handler (``time.monotonic``)."""
    duration: float
    """Seconds from then to the answer."""


_CallEvents: TypeAlias = AttemptEvent | CallEvent | RetryEvent | GateEvent | RefreshEvent
Event: TypeAlias = _CallEvents | FleetEvent | WebhookCallEvent
"""Everything a listener receives."""

Listener: TypeAlias = Callable[[Event], None]
"""A function called with each :data:`Event`. It must not block: it runs in the loop."""


_routes: dict[tuple[str, str, int], str] = {}


def route_template(endpoint: str, method: str, path: str) -> str:
    """The path of a request with its IDs replaced by ``{placeholders}``."""
    # An endpoint's template depends only on its shape (the classic un-scoped paths have
    # fewer segments), so it is looked up once per shape.
    key = (endpoint, method, path.count("/"))
    template = _routes.get(key)
    if template is None:
        template = _routes[key] = _template(endpoint, method, path)
    return template


def _template(endpoint: str, method: str, path: str) -> str:
    """The endpoint table's template for this request, else its IDs replaced by name."""
    row = BY_NAME.get(endpoint)
    if row is not None and row.method == method:
        for template in (row.path, row.classic_path):
            if template is not None and template.count("/") == path.count("/"):
                return template
    return path_template(path)


class Listeners:
    """The listeners of one client (shared with its ``with_options`` views).

    True when anyone listens: a registered listener, or ``DEBUG`` logging of
    ``watson_async.client`` (the logging module caches that answer).
    """

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: tuple[Listener, ...] = ()

    def __bool__(self) -> bool:
        return bool(self._listeners) or _client_log.isEnabledFor(_DEBUG)

    def add(self, listener: Listener) -> None:
        if not callable(listener):
            raise ValueError(f"a listener must be callable, got {type(listener).__name__}")
        self._listeners = (*self._listeners, listener)

    def remove(self, listener: Listener) -> None:
        listeners = list(self._listeners)
        try:
            listeners.remove(listener)
        except ValueError:
            raise ValueError(f"{listener!r} is not a listener of this client") from None
        self._listeners = tuple(listeners)

    def emit(self, event: Event) -> None:
        """Log ``event``, then call every listener; one that raises is logged."""
        _log_event(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                _log.exception("event listener %r failed on %s", listener, type(event).__name__)


def _log_event(event: Event) -> None:
    if isinstance(event, AttemptEvent):
        if _client_log.isEnabledFor(_DEBUG):
            _client_log.debug(
                "%s %s attempt %d: %s in %.1f ms (gate %.1f ms, transaction %s)",
                event.method,
                event.route,
                event.attempt,
                event.status if event.error is None or event.status else event.outcome,
                event.duration * 1000,
                event.gate_wait * 1000,
                event.transaction_id or "-",
            )
    elif isinstance(event, CallEvent):
        if _client_log.isEnabledFor(_DEBUG):
            _client_log.debug(
                "%s %s: %s after %d attempt(s) in %.1f ms",
                event.method,
                event.route,
                event.outcome,
                event.attempts,
                event.duration * 1000,
            )
    elif isinstance(event, RetryEvent):
        _retry_log.info(
            "%s: attempt %d failed (%s); retrying in %.2f s",
            event.endpoint,
            event.attempt,
            event.reason,
            event.wait,
        )
    elif isinstance(event, WebhookCallEvent):
        level = logging.DEBUG if event.outcome == "ok" else logging.WARNING
        _webhook_log.log(
            level,
            "%s webhook: %d %s in %.1f ms",
            event.kind,
            event.status,
            event.outcome,
            event.duration * 1000,
        )
    elif isinstance(event, GateEvent):
        _retry_log.debug(
            "%s: rate-limit gate holds a request for %.2f s (%s)",
            event.family,
            event.wait,
            event.reason,
        )
