"""Models of the Segment track calls the service's Segment extension sends.

The four events and their properties follow IBM's "Segment event reference" (property
names are camelCase in JSON, snake_case in Python). :class:`TrackCall` is one Segment
``track`` call (webhook / raw-data shape); its ``properties`` are parsed to the model of
its ``event`` (:data:`EVENT_PROPERTIES`), and an event this version doesn't know becomes
:class:`UnknownEventProperties` with every key kept. :meth:`TrackCall.from_warehouse_row`
reads a row of a Segment warehouse table (snake_case columns, ``context_*`` columns,
arrays stored as JSON text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from watson_async.models._base import Model, json_field
from watson_async.models._convert import JSON_NAME, converter

__all__ = [
    "ACTION_COMPLETED",
    "ACTION_STARTED",
    "EVENT_PROPERTIES",
    "MESSAGE_HANDLED",
    "SESSION_STARTED",
    "ActionCompletedProperties",
    "ActionStartedProperties",
    "EventProperties",
    "MessageHandledProperties",
    "SegmentProperties",
    "SessionStartedProperties",
    "StepVisited",
    "StepsVisitedItem",
    "TrackCall",
    "UnknownEventProperties",
]

MESSAGE_HANDLED = "Message Handled"
SESSION_STARTED = "Session Started"
ACTION_STARTED = "Action Started"
ACTION_COMPLETED = "Action Completed"


@attrs.define(kw_only=True)
class StepVisited(Model):
    """A ``stepsVisited`` item in its object form (``{stepId, stepTitle}``)."""

    step_id: str | None = json_field("stepId")
    step_title: str | None = json_field("stepTitle")


StepsVisitedItem = str | StepVisited
"""A ``stepsVisited`` item: IBM documents both a string (the step name prefixed with
the action name) and a ``{stepId, stepTitle}`` object."""


def _structure_step(value: Any, _: Any) -> str | StepVisited:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return converter.structure(value, StepVisited)
    raise TypeError(f"a stepsVisited item is a string or an object, got {type(value).__name__}")


converter.register_structure_hook(StepsVisitedItem, _structure_step)


@attrs.define(kw_only=True)
class SegmentProperties(Model):
    """Properties every event has (those of ``Session Started``)."""

    #: The ID of the IBM account.
    account_id: str | None = json_field("accountId")
    #: The ID of the assistant.
    assistant_id: str | None = json_field("assistantId")
    #: The browser used to send the message.
    browser: str | None = None
    #: The channel the customer used (``phone``, ``chat``, ...).
    channel: str | None = None
    #: The type of device used to send the message.
    device: str | None = None
    #: The environment (``draft``, ``live``, ...).
    environment: str | None = None
    #: The URL of the web page the message was sent from.
    page_url: str | None = json_field("pageUrl")
    #: The watsonx Assistant service instance.
    service_instance: str | None = json_field("serviceInstance")
    #: The ID of the session.
    session_id: str | None = json_field("sessionId")


@attrs.define(kw_only=True)
class SessionStartedProperties(SegmentProperties):
    """``Session Started``: a new session was started (never for the stateless API)."""


@attrs.define(kw_only=True)
class _TurnProperties(SegmentProperties):
    #: The language of the assistant.
    language: str | None = None
    #: Skills invoked while handling the message (``main skill``, ``actions skill``).
    skills_invoked: list[str] | None = json_field("skillsInvoked")
    #: The unique identifier of the action (``action_202``).
    action: str | None = None
    #: The title of the action.
    action_title: str | None = json_field("actionTitle")
    #: Why the action completed (``all_steps_done``, ``fallback``, ...).
    action_completed_reason: str | None = json_field("actionCompletedReason")
    #: Why the fallback action was visited (escalated to an agent, no action matches).
    fallback_reason: str | None = json_field("fallbackReason")
    #: The name of any handler that was called.
    handler: str | None = None
    #: The steps visited: strings, or ``{stepId, stepTitle}`` objects.
    steps_visited: list[StepsVisitedItem] | None = json_field("stepsVisited")
    #: The name of any subaction that was called.
    subaction: str | None = None


@attrs.define(kw_only=True)
class MessageHandledProperties(_TurnProperties):
    """``Message Handled``: the assistant finished handling a message.

    The action fields are present only for messages an actions skill handled, the
    dialog fields (``branch_exited``, ``branch_exited_reason``, ``nodes_visited``) only
    for messages a dialog skill handled.
    """

    #: Whether the action completed while handling the message.
    action_completed: bool | None = json_field("actionCompleted")
    #: Whether processing of the action started while handling the message.
    action_started: bool | None = json_field("actionStarted")
    #: The actions visited while handling the message.
    actions_visited: list[str] | None = json_field("actionsVisited")
    #: Whether the dialog branch was exited.
    branch_exited: bool | None = json_field("branchExited")
    #: Why the dialog branch was exited (``completed``, ``fallback``).
    branch_exited_reason: str | None = json_field("branchExitedReason")
    #: Dialog nodes visited: each node's title if it has one, else its ID.
    nodes_visited: list[str] | None = json_field("nodesVisited")


@attrs.define(kw_only=True)
class ActionStartedProperties(_TurnProperties):
    """``Action Started``: processing of an action (or subaction) began."""

    #: Whether the action completed in the same conversation turn.
    action_completed: bool | None = json_field("actionCompleted")


@attrs.define(kw_only=True)
class ActionCompletedProperties(_TurnProperties):
    """``Action Completed``: processing of an action (or subaction) ended."""

    #: Whether the action was started in the same conversation turn.
    action_started: bool | None = json_field("actionStarted")


@attrs.define(kw_only=True)
class UnknownEventProperties(Model):
    """Properties of an event this version does not model; every key is in ``extra``."""


EventProperties = (
    MessageHandledProperties
    | SessionStartedProperties
    | ActionStartedProperties
    | ActionCompletedProperties
    | UnknownEventProperties
)
"""The ``properties`` of a :class:`TrackCall`, chosen by the call's ``event``."""

#: Event name -> properties model; other events get :class:`UnknownEventProperties`.
EVENT_PROPERTIES: Mapping[str, type[Model]] = {
    MESSAGE_HANDLED: MessageHandledProperties,
    SESSION_STARTED: SessionStartedProperties,
    ACTION_STARTED: ActionStartedProperties,
    ACTION_COMPLETED: ActionCompletedProperties,
}


def _structure_properties_alone(value: Any, _: Any) -> Any:
    # Without the event name nothing tells the four apart: keep every key.
    if value is None:
        return None
    return converter.structure(value, UnknownEventProperties)


converter.register_structure_hook(EventProperties, _structure_properties_alone)
converter.register_structure_hook(EventProperties | None, _structure_properties_alone)


@attrs.define(kw_only=True)
class TrackCall(Model):
    """A Segment ``track`` call (``type: track``) as sent to ``/v1/batch`` or a webhook.

    ``properties`` is parsed by ``event``: the four events the Segment extension sends
    get their own model, any other event :class:`UnknownEventProperties`. Keys Segment
    adds on the way (``receivedAt``, ``sentAt``, ``originalTimestamp``, ...) are kept in
    ``extra``.
    """

    event: str
    properties: EventProperties | None = None
    user_id: str | None = json_field("userId")
    anonymous_id: str | None = json_field("anonymousId")
    #: ISO-8601 time of the event.
    timestamp: str | None = None
    #: Unique per call; Segment deduplicates on it.
    message_id: str | None = json_field("messageId")
    #: ``track`` for calls built here.
    type: str | None = None
    context: dict[str, Any] | None = None

    @classmethod
    def from_warehouse_row(cls, row: Mapping[str, Any]) -> TrackCall:
        """A call from a row of a Segment warehouse table (``message_handled``, ...).

        Segment stores properties as snake_case columns, the context as ``context_*``
        columns and arrays as JSON text; this maps them back (``id`` becomes
        ``messageId``, ``event_text`` -- or the table's ``event`` -- the event name).
        Other Segment columns (``received_at``, ``uuid_ts``, ...) go to ``extra``.
        """
        return _from_warehouse_row(row)


def _structure_track_call(value: Any, _: Any) -> TrackCall:
    if not isinstance(value, Mapping):
        raise TypeError(f"TrackCall expects a JSON object, got {type(value).__name__}")
    props = value.get("properties")
    rest = {k: v for k, v in value.items() if k != "properties"}
    call: TrackCall = _track_call_base(rest, TrackCall)
    if props is not None:
        cls: Any = EVENT_PROPERTIES.get(call.event, UnknownEventProperties)
        call.properties = converter.structure(props, cls)
    return call


_track_call_base = converter.get_structure_hook(TrackCall)
converter.register_structure_hook(TrackCall, _structure_track_call)


# --------------------------------------------------------------------------- warehouse rows

#: Segment's own columns of a track table (not properties, not context).
_SEGMENT_COLUMNS = frozenset(
    {"received_at", "sent_at", "original_timestamp", "uuid_ts", "loaded_at", "event"}
)
_JSON_NAMES: dict[str, str] = {}
for _cls in (MessageHandledProperties, ActionStartedProperties, ActionCompletedProperties):
    for _a in attrs.fields(_cls):
        if _a.name != "extra":
            _JSON_NAMES[_a.name] = _a.metadata.get(JSON_NAME, _a.name)
_LIST_COLUMNS = frozenset({"skills_invoked", "steps_visited", "actions_visited", "nodes_visited"})
_BOOL_COLUMNS = frozenset({"action_completed", "action_started", "branch_exited"})


def _event_name(row: Mapping[str, Any]) -> str:
    text = row.get("event_text")
    if isinstance(text, str) and text:
        return text
    event = row.get("event")
    if not isinstance(event, str) or not event:
        raise ValueError("a warehouse row needs an event_text or event column")
    for name in EVENT_PROPERTIES:
        if event == name.lower().replace(" ", "_"):
            return name
    return event


def _column_value(column: str, value: Any) -> Any:
    if column in _LIST_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if column in _BOOL_COLUMNS and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return value


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    return value


def _from_warehouse_row(row: Mapping[str, Any]) -> TrackCall:
    data: dict[str, Any] = {"event": _event_name(row), "type": "track"}
    properties: dict[str, Any] = {}
    context: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for column, value in row.items():
        if value is None or column == "event_text":
            continue
        if column == "id":
            data["messageId"] = value
        elif column == "user_id":
            data["userId"] = value
        elif column == "anonymous_id":
            data["anonymousId"] = value
        elif column == "timestamp":
            data["timestamp"] = _iso(value)
        elif column.startswith("context_"):
            context[column[len("context_") :]] = value
        elif column in _SEGMENT_COLUMNS:
            if column != "event":
                extra[column] = _iso(value)
        else:
            properties[_JSON_NAMES.get(column, column)] = _column_value(column, value)
    if properties:
        data["properties"] = properties
    if context:
        data["context"] = context
    call = converter.structure(data, TrackCall)
    if extra:
        call.extra = {**(call.extra or {}), **extra}
    return call
