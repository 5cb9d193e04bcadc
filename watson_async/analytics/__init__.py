"""Segment analytics: the events watsonx Assistant's Segment extension sends, derived
on the client, and sinks to send them to.

* Models: :class:`TrackCall` and the properties of the four events
  (:class:`MessageHandledProperties`, :class:`SessionStartedProperties`,
  :class:`ActionStartedProperties`, :class:`ActionCompletedProperties`), which also
  parse rows exported from a Segment warehouse or webhook.
* Derivation (pure): :func:`derive_session_started`, :func:`derive_turn`, configured by
  :class:`AnalyticsConfig`.
* Sinks: :class:`CallbackSink`, :class:`JsonLinesSink`, :class:`SegmentBatchSink`.
* :class:`SegmentEvents`: a conversation event hook (``session_started`` /
  ``message_handled``) that derives the events and sends them to a sink.

See ``docs/analytics.md``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from watson_async.analytics.derive import (
    FALLBACK_REASONS,
    RESUME_REASONS,
    AnalyticsConfig,
    _analytics_of,
    _input_analytics,
    _new_id,
    derive_session_started,
    derive_turn,
    iso_timestamp,
    service_instance_from_url,
)
from watson_async.analytics.models import (
    ACTION_COMPLETED,
    ACTION_STARTED,
    EVENT_PROPERTIES,
    MESSAGE_HANDLED,
    SESSION_STARTED,
    ActionCompletedProperties,
    ActionStartedProperties,
    EventProperties,
    MessageHandledProperties,
    SegmentProperties,
    SessionStartedProperties,
    StepsVisitedItem,
    StepVisited,
    TrackCall,
    UnknownEventProperties,
)
from watson_async.analytics.sinks import (
    DEFAULT_SEGMENT_URL,
    MAX_BATCH_BYTES,
    MAX_BATCH_CALLS,
    MAX_CALL_BYTES,
    CallbackSink,
    JsonLinesSink,
    SegmentBatchSink,
    SegmentHTTPError,
    Sink,
)
from watson_async.models.message import StatelessMessageResponse

__all__ = [
    "ACTION_COMPLETED",
    "ACTION_STARTED",
    "DEFAULT_SEGMENT_URL",
    "EVENT_PROPERTIES",
    "FALLBACK_REASONS",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_CALLS",
    "MAX_CALL_BYTES",
    "MESSAGE_HANDLED",
    "RESUME_REASONS",
    "SESSION_STARTED",
    "ActionCompletedProperties",
    "ActionStartedProperties",
    "AnalyticsConfig",
    "CallbackSink",
    "EventProperties",
    "JsonLinesSink",
    "MessageHandledProperties",
    "SegmentBatchSink",
    "SegmentEvents",
    "SegmentHTTPError",
    "SegmentProperties",
    "SessionStartedProperties",
    "Sink",
    "StepVisited",
    "StepsVisitedItem",
    "TrackCall",
    "UnknownEventProperties",
    "derive_session_started",
    "derive_turn",
    "iso_timestamp",
    "service_instance_from_url",
]

_log = logging.getLogger("watson_async.analytics")


def _str_attr(obj: Any, name: str) -> str | None:
    value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return value if isinstance(value, str) and value else None


def _lookup(conversation: Any, name: str) -> str | None:
    """``name`` on the conversation, else on its ``assistant``, else on their ``client``."""
    holders = [conversation, getattr(conversation, "assistant", None)]
    holders += [getattr(h, "client", None) for h in list(holders) if h is not None]
    for holder in holders:
        if holder is not None:
            value = _str_attr(holder, name)
            if value is not None:
                return value
    return None


class SegmentEvents:
    """A conversation event hook that sends the Segment events of each conversation.

    Implements ``async session_started(conversation, session_response)`` and
    ``async message_handled(conversation, request_input, reply)`` by deriving the events
    (:func:`derive_session_started`, :func:`derive_turn`) and awaiting ``sink.send``
    for each. It reads these attributes of ``conversation`` when present:
    ``assistant_id``, ``session_id``, ``user_id``, ``analytics`` (what
    ``create_session`` sent), ``stateless`` (True: no session events) and
    ``service_url`` or ``client.service_url`` (for ``serviceInstance``).

    Analytics never breaks a conversation: an error while deriving or sending is
    logged and counted in :attr:`errors`, never raised.
    """

    def __init__(
        self,
        sink: Sink,
        *,
        config: AnalyticsConfig | None = None,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.sink = sink
        self.config = config or AnalyticsConfig()
        self._clock = clock
        self._new_id = new_id
        #: Hook calls whose events could not be derived or sent.
        self.errors = 0

    def __repr__(self) -> str:
        return f"SegmentEvents({self.sink!r})"

    async def session_started(self, conversation: Any, session_response: Any) -> None:
        """Send ``Session Started`` (nothing for a stateless conversation)."""
        try:
            if getattr(conversation, "stateless", False) is True:
                return
            session_id = (
                session_response
                if isinstance(session_response, str)
                else _str_attr(session_response, "session_id")
            ) or _str_attr(conversation, "session_id")
            if session_id is None:
                return
            call = derive_session_started(
                session_id,
                config=self.config,
                assistant_id=_lookup(conversation, "assistant_id"),
                user_id=_str_attr(conversation, "user_id"),
                analytics=getattr(conversation, "analytics", None),
                service_url=_lookup(conversation, "service_url"),
                clock=self._clock,
                new_id=self._new_id,
            )
            await self.sink.send(call)
        except Exception as exc:
            self._failed("session_started", exc)

    async def message_handled(self, conversation: Any, request_input: Any, reply: Any) -> None:
        """Send the turn's ``Action Started`` / ``Action Completed`` / ``Message Handled``."""
        try:
            stateless = getattr(conversation, "stateless", False) is True or isinstance(
                reply, StatelessMessageResponse
            )
            # The turn's own analytics win; else those the session was created with.
            analytics = _input_analytics(request_input) or _analytics_of(
                getattr(conversation, "analytics", None)
            )
            calls = derive_turn(
                reply,
                config=self.config,
                assistant_id=_lookup(conversation, "assistant_id"),
                session_id=None if stateless else _str_attr(conversation, "session_id"),
                user_id=_str_attr(conversation, "user_id"),
                analytics=analytics,
                service_url=_lookup(conversation, "service_url"),
                clock=self._clock,
                new_id=self._new_id,
            )
            for call in calls:
                await self.sink.send(call)
        except Exception as exc:
            self._failed("message_handled", exc)

    def _failed(self, hook: str, exc: Exception) -> None:
        self.errors += 1
        _log.warning("Segment analytics: %s failed: %s", hook, type(exc).__name__)
