"""Segment events derived from what the client sees: pure functions, no I/O.

A created session gives ``Session Started``; each message reply gives ``Action
Started`` / ``Action Completed`` for the ``action_visited`` / ``action_finished`` turn
events of ``output.debug`` (present when the input had ``options.debug=True``), then
``Message Handled``. The stateless API emits no session events, and neither does this.

What the client cannot see (account, language, channel, environment name) comes from
:class:`AnalyticsConfig` or is left out; ``serviceInstance`` is the ``/instances/{id}``
segment of the service URL when not configured. Nothing is invented.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from watson_async.analytics.models import (
    ACTION_COMPLETED,
    ACTION_STARTED,
    MESSAGE_HANDLED,
    SESSION_STARTED,
    ActionCompletedProperties,
    ActionStartedProperties,
    EventProperties,
    MessageHandledProperties,
    SessionStartedProperties,
    StepsVisitedItem,
    StepVisited,
    TrackCall,
)
from watson_async.models.log_messages import (
    LogMessageSourceAction,
    LogMessageSourceDialogNode,
    LogMessageSourceHandler,
    LogMessageSourceStep,
)
from watson_async.models.message import (
    MessageOutput,
    StatefulMessageResponse,
    StatelessMessageResponse,
)
from watson_async.models.session import RequestAnalytics
from watson_async.models.turn_events import (
    TurnEventActionFinished,
    TurnEventActionRoutingDenied,
    TurnEventActionVisited,
    TurnEventHandlerVisited,
    TurnEventNodeVisited,
    TurnEventStepAnswered,
    TurnEventStepVisited,
    TurnEventSuggestionIntentsDenied,
    TurnEventTopicSwitchDenied,
    TurnEventUnknown,
)

__all__ = [
    "FALLBACK_REASONS",
    "RESUME_REASONS",
    "AnalyticsConfig",
    "derive_session_started",
    "derive_turn",
    "iso_timestamp",
    "service_instance_from_url",
]

#: ``action_visited`` reasons that resume an action instead of starting it.
RESUME_REASONS = frozenset({"subaction_return", "topic_return"})
#: ``action_visited`` reasons of the fallback action (they become ``fallbackReason``).
FALLBACK_REASONS = frozenset({"agent_requested", "step_validation_failed", "no_action_matches"})
#: ``action_visited`` reason of a subaction called by another action.
SUBACTION_REASON = "invoke_subaction"

ACTIONS_SKILL = "actions skill"
DIALOG_SKILL = "main skill"

_INSTANCE = re.compile(r"/instances/([^/?#]+)")

Reply = StatefulMessageResponse | StatelessMessageResponse


def service_instance_from_url(url: str | None) -> str | None:
    """The instance ID in a service URL (``.../instances/{id}``), or None."""
    if not url:
        return None
    match = _INSTANCE.search(url)
    return match.group(1) if match else None


def iso_timestamp(epoch: float) -> str:
    """ISO-8601 UTC with milliseconds: ``2024-05-01T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _new_id() -> str:
    return str(uuid.uuid4())


@attrs.frozen(kw_only=True)
class AnalyticsConfig:
    """Event properties the client cannot see, and defaults for those it may.

    * ``account_id`` (``accountId``), ``language``, ``channel`` (``chat``, ``phone``),
      ``environment`` (the environment's *name*, ``draft`` / ``live``: the client only
      knows its ID) -- left out of the events when None.
    * ``service_instance`` (``serviceInstance``); when None it is taken from the
      ``/instances/{id}`` segment of ``service_url`` (or of the URL the caller passes).
    * ``assistant_id``: used when the caller doesn't give one.
    * ``browser``, ``device``, ``page_url``: defaults for the values a client sends in
      ``analytics`` (``RequestAnalytics``); what the request carries wins.
    * ``context``: a Segment ``context`` object put on every call (``library``,
      ``app``, ...).
    """

    account_id: str | None = None
    language: str | None = None
    channel: str | None = None
    environment: str | None = None
    service_instance: str | None = None
    service_url: str | None = None
    assistant_id: str | None = None
    browser: str | None = None
    device: str | None = None
    page_url: str | None = None
    context: Mapping[str, Any] | None = attrs.field(default=None, eq=False)

    def instance_id(self, service_url: str | None = None) -> str | None:
        """``service_instance``, else the instance ID in ``service_url`` or the config's."""
        if self.service_instance is not None:
            return self.service_instance
        return service_instance_from_url(service_url) or service_instance_from_url(self.service_url)


# --------------------------------------------------------------------------- helpers


def _analytics_of(value: Any) -> RequestAnalytics | None:
    """``RequestAnalytics`` from a model or its JSON shape (``{"browser": ...}``)."""
    if value is None or isinstance(value, RequestAnalytics):
        return value
    if isinstance(value, Mapping):
        return RequestAnalytics.from_dict(value)
    raise TypeError(f"analytics must be RequestAnalytics or a dict, got {type(value).__name__}")


def _input_analytics(value: Any) -> RequestAnalytics | None:
    """The ``analytics`` of a message input (a model or its JSON shape), if any."""
    if value is None or isinstance(value, str):
        return None
    inner = (
        value.get("analytics") if isinstance(value, Mapping) else getattr(value, "analytics", None)
    )
    return _analytics_of(inner)


def _common(
    config: AnalyticsConfig,
    *,
    assistant_id: str | None,
    session_id: str | None,
    analytics: RequestAnalytics | None,
    service_url: str | None,
) -> dict[str, Any]:
    return {
        "account_id": config.account_id,
        "assistant_id": assistant_id if assistant_id is not None else config.assistant_id,
        "browser": (analytics.browser if analytics else None) or config.browser,
        "channel": config.channel,
        "device": (analytics.device if analytics else None) or config.device,
        "environment": config.environment,
        "page_url": (analytics.page_url if analytics else None) or config.page_url,
        "service_instance": config.instance_id(service_url),
        "session_id": session_id,
    }


def _call(
    event: str,
    properties: EventProperties,
    *,
    user_id: str,
    timestamp: str,
    message_id: str,
    config: AnalyticsConfig,
) -> TrackCall:
    return TrackCall(
        event=event,
        properties=properties,
        user_id=user_id,
        timestamp=timestamp,
        message_id=message_id,
        type="track",
        context=dict(config.context) if config.context else None,
    )


def _unique(items: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def _source_get(source: Any, key: str) -> str | None:
    """A string from a turn-event source (a model, with unknown keys in ``extra``, or a
    plain dict as ``generative_ai_called`` has)."""
    if source is None:
        return None
    if isinstance(source, Mapping):
        value = source.get(key)
    else:
        value = getattr(source, key, None)
        if value is None and getattr(source, "extra", None):
            value = source.extra.get(key)
    return value if isinstance(value, str) and value else None


#: Events whose ``source.action`` was *not* visited (routing refused) or that have none.
_NOT_VISITS = (
    TurnEventTopicSwitchDenied,
    TurnEventActionRoutingDenied,
    TurnEventSuggestionIntentsDenied,
    TurnEventNodeVisited,
    TurnEventUnknown,
)


@attrs.define
class _Action:
    """What one turn shows of one action."""

    action: str
    title: str | None = None
    started: bool = False
    start_reason: str | None = None
    finished: bool = False
    finish_reason: str | None = None
    steps: list[str] = attrs.field(factory=list)
    handlers: list[str] = attrs.field(factory=list)
    subactions: list[str] = attrs.field(factory=list)


@attrs.define
class _Turn:
    """The facts of one reply's ``output.debug`` the events are made of."""

    actions: dict[str, _Action] = attrs.field(factory=dict)
    #: Actions in the order they were first seen.
    order: list[str] = attrs.field(factory=list)
    #: (event kind, action) for each action_visited start / action_finished, in order.
    lifecycle: list[tuple[str, str]] = attrs.field(factory=list)
    skills: list[str] = attrs.field(factory=list)
    fallback_reason: str | None = None
    nodes_visited: list[str] | None = None
    branch_exited: bool | None = None
    branch_exited_reason: str | None = None

    def action(self, source: Any) -> _Action | None:
        name = _source_get(source, "action")
        if name is None:
            return None
        entry = self.actions.get(name)
        if entry is None:
            entry = self.actions[name] = _Action(name)
            self.order.append(name)
        if entry.title is None:
            entry.title = _source_get(source, "action_title")
        return entry


def _read_turn(output: MessageOutput) -> _Turn:
    turn = _Turn()
    skills: list[str | None] = []
    debug = output.debug
    events = (debug.turn_events if debug else None) or []
    current: list[str] = []  # actions started and not yet finished, innermost last
    nodes: list[str] = []  # from node_visited events, when nodes_visited is absent
    for event in events:
        if isinstance(event, _NOT_VISITS):
            if isinstance(event, TurnEventNodeVisited):
                skills.append(DIALOG_SKILL)
                node_source = event.source
                node = (
                    (node_source.title or node_source.dialog_node)
                    if node_source is not None
                    else None
                )
                if node:
                    nodes.append(node)
            continue
        source = getattr(event, "source", None)
        entry = turn.action(source)
        if entry is None:
            continue
        skills.append(ACTIONS_SKILL)
        if isinstance(event, TurnEventActionVisited):
            reason = event.reason
            if reason not in RESUME_REASONS:
                entry.started = True
                entry.start_reason = reason
                turn.lifecycle.append((ACTION_STARTED, entry.action))
                if reason == SUBACTION_REASON and current and current[-1] != entry.action:
                    turn.actions[current[-1]].subactions.append(entry.action)
                if reason in FALLBACK_REASONS and turn.fallback_reason is None:
                    turn.fallback_reason = reason
            if entry.action in current:
                current.remove(entry.action)
            current.append(entry.action)
        elif isinstance(event, TurnEventActionFinished):
            entry.finished = True
            entry.finish_reason = event.reason
            turn.lifecycle.append((ACTION_COMPLETED, entry.action))
            if entry.action in current:
                current.remove(entry.action)
        elif isinstance(event, (TurnEventStepVisited, TurnEventStepAnswered)):
            step = _source_get(source, "step")
            if step and step not in entry.steps:
                entry.steps.append(step)
        elif isinstance(event, TurnEventHandlerVisited):
            handler = _source_get(source, "handler")
            if handler and handler not in entry.handlers:
                entry.handlers.append(handler)
    if debug is not None:
        for message in debug.log_messages or []:
            src = message.source
            if isinstance(src, (LogMessageSourceAction, LogMessageSourceStep)):
                skills.append(ACTIONS_SKILL)
            elif isinstance(src, LogMessageSourceHandler):
                skills.append(ACTIONS_SKILL)
                entry = turn.action({"action": src.action})
                if entry is not None and src.handler and src.handler not in entry.handlers:
                    entry.handlers.append(src.handler)
            elif isinstance(src, LogMessageSourceDialogNode):
                skills.append(DIALOG_SKILL)
        if debug.nodes_visited:
            skills.append(DIALOG_SKILL)
            turn.nodes_visited = [n.title or n.dialog_node or "" for n in debug.nodes_visited]
            turn.nodes_visited = [n for n in turn.nodes_visited if n] or None
        if turn.nodes_visited is None and nodes:
            turn.nodes_visited = nodes
        turn.branch_exited = debug.branch_exited
        turn.branch_exited_reason = debug.branch_exited_reason
    for found in (output.intents or [], output.entities or []):
        skills.extend(item.skill for item in found)
    turn.skills = _unique(skills)
    return turn


def _steps(names: Sequence[str]) -> list[StepsVisitedItem] | None:
    return [StepVisited(step_id=name) for name in names] or None


def _action_fields(entry: _Action) -> dict[str, Any]:
    return {
        "action": entry.action,
        "action_title": entry.title,
        "action_completed_reason": entry.finish_reason if entry.finished else None,
        "fallback_reason": entry.start_reason if entry.start_reason in FALLBACK_REASONS else None,
        "handler": entry.handlers[0] if entry.handlers else None,
        "steps_visited": _steps(entry.steps),
        "subaction": entry.subactions[0] if entry.subactions else None,
    }


def _reply_user_id(reply: Reply) -> str | None:
    if reply.user_id:
        return reply.user_id
    glob = reply.context.global_ if reply.context is not None else None
    system = glob.system if glob is not None else None
    return system.user_id if system is not None and system.user_id else None


def _reply_session_id(reply: Reply) -> str | None:
    glob = reply.context.global_ if reply.context is not None else None
    return glob.session_id if glob is not None and glob.session_id else None


# --------------------------------------------------------------------------- public


def derive_session_started(
    session_id: str,
    *,
    config: AnalyticsConfig | None = None,
    assistant_id: str | None = None,
    user_id: str | None = None,
    analytics: Any = None,
    service_url: str | None = None,
    clock: Callable[[], float] = time.time,
    new_id: Callable[[], str] = _new_id,
) -> TrackCall:
    """``Session Started`` for a session the client created (stateful API only).

    ``userId`` is ``user_id`` or, as the service does when none is sent, the session
    ID. ``analytics`` is what ``create_session`` sent (``RequestAnalytics`` or a dict).
    """
    config = config or AnalyticsConfig()
    fields = _common(
        config,
        assistant_id=assistant_id,
        session_id=session_id,
        analytics=_analytics_of(analytics),
        service_url=service_url,
    )
    return _call(
        SESSION_STARTED,
        SessionStartedProperties(**fields),
        user_id=user_id or session_id,
        timestamp=iso_timestamp(clock()),
        message_id=new_id(),
        config=config,
    )


def derive_turn(
    reply: Reply | Mapping[str, Any],
    *,
    config: AnalyticsConfig | None = None,
    assistant_id: str | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    input: Any = None,
    analytics: Any = None,
    service_url: str | None = None,
    clock: Callable[[], float] = time.time,
    new_id: Callable[[], str] = _new_id,
) -> list[TrackCall]:
    """The events of one message turn: ``Action Started`` / ``Action Completed`` in the
    order of the reply's turn events, then ``Message Handled``. Never session events
    (the stateless API has none; a session's start is :func:`derive_session_started`).

    * ``session_id``: the stateful session; else the reply's ``context.global.session_id``
      (stateless replies carry one).
    * ``userId``: the reply's ``user_id``, else ``context.global.system.user_id``, else
      ``user_id``, else the session ID (the service's own default). With none of them
      there is nothing to attribute the events to and the result is empty, as the
      service sends only events associated with a user ID.
    * ``browser`` / ``device`` / ``pageUrl``: ``analytics``, else ``input.analytics``,
      else the config's defaults.
    * Action fields need ``output.debug.turn_events`` (``input.options.debug=True``);
      dialog fields come from ``output.debug.nodes_visited`` / ``branch_exited``.
    """
    config = config or AnalyticsConfig()
    if isinstance(reply, Mapping):
        reply = StatefulMessageResponse.from_dict(reply)
    session = session_id or _reply_session_id(reply)
    user = _reply_user_id(reply) or user_id or session
    if not user:
        return []
    found = _analytics_of(analytics) if analytics is not None else _input_analytics(input)
    common = _common(
        config,
        assistant_id=assistant_id,
        session_id=session,
        analytics=found,
        service_url=service_url,
    )
    turn = _read_turn(reply.output)
    turn_common = {**common, "language": config.language, "skills_invoked": turn.skills or None}
    stamp = iso_timestamp(clock())
    calls: list[TrackCall] = []

    def emit(event: str, properties: EventProperties) -> None:
        calls.append(
            _call(
                event,
                properties,
                user_id=user,
                timestamp=stamp,
                message_id=new_id(),
                config=config,
            )
        )

    for kind, name in turn.lifecycle:
        entry = turn.actions[name]
        fields = _action_fields(entry)
        if kind == ACTION_STARTED:
            emit(
                ACTION_STARTED,
                ActionStartedProperties(**turn_common, **fields, action_completed=entry.finished),
            )
        else:
            emit(
                ACTION_COMPLETED,
                ActionCompletedProperties(
                    **turn_common,
                    **fields,
                    action_started=entry.started,
                ),
            )

    handled = dict(turn_common)
    if turn.order:
        primary = next((a for a in turn.order if turn.actions[a].started), turn.order[0])
        entry = turn.actions[primary]
        handled.update(_action_fields(entry))
        handled["fallback_reason"] = turn.fallback_reason
        subactions = [s for name in turn.order for s in turn.actions[name].subactions]
        handled["subaction"] = subactions[0] if subactions else None
        handled["steps_visited"] = _steps(
            [step for name in turn.order for step in turn.actions[name].steps]
        )
        handled["action_started"] = entry.started
        handled["action_completed"] = entry.finished
        handled["actions_visited"] = list(turn.order)
    handled["nodes_visited"] = turn.nodes_visited
    handled["branch_exited"] = turn.branch_exited
    handled["branch_exited_reason"] = turn.branch_exited_reason
    emit(MESSAGE_HANDLED, MessageHandledProperties(**handled))
    return calls
