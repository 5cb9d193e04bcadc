"""Segment analytics: event models, derivation from replies, and the SegmentEvents hook."""

from __future__ import annotations

import copy
import itertools
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from _samples import assert_round_trip, load

from watson_async.analytics import (
    ActionCompletedProperties,
    ActionStartedProperties,
    AnalyticsConfig,
    CallbackSink,
    MessageHandledProperties,
    SegmentEvents,
    SessionStartedProperties,
    StepVisited,
    TrackCall,
    UnknownEventProperties,
    derive_session_started,
    derive_turn,
    iso_timestamp,
    service_instance_from_url,
)
from watson_async.models import (
    MessageInput,
    RequestAnalytics,
    SessionResponse,
    StatefulMessageResponse,
    StatelessMessageResponse,
)

VERSION = "2024-08-25"
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
T0_ISO = "2023-11-14T22:13:20.000Z"

# IBM's "Segment event reference" (cloud.ibm.com/docs/watson-assistant?topic=
# watson-assistant-segment-event-reference; ibm-cloud-docs/watson-assistant
# segment-event-reference.md): the properties of each event.
COMMON = {
    "accountId",
    "assistantId",
    "browser",
    "channel",
    "device",
    "environment",
    "pageUrl",
    "serviceInstance",
    "sessionId",
}
DOCUMENTED = {
    "Session Started": COMMON,
    "Message Handled": COMMON
    | {"language", "skillsInvoked"}
    | {
        "action",
        "actionCompleted",
        "actionCompletedReason",
        "actionStarted",
        "actionTitle",
        "actionsVisited",
        "fallbackReason",
        "handler",
        "stepsVisited",
        "subaction",
    }
    | {"branchExited", "branchExitedReason", "nodesVisited"},
    "Action Started": COMMON
    | {
        "language",
        "skillsInvoked",
        "action",
        "actionTitle",
        "actionCompleted",
        "actionCompletedReason",
        "fallbackReason",
        "handler",
        "stepsVisited",
        "subaction",
    },
    "Action Completed": COMMON
    | {
        "language",
        "skillsInvoked",
        "action",
        "actionTitle",
        "actionStarted",
        "actionCompletedReason",
        "fallbackReason",
        "handler",
        "stepsVisited",
        "subaction",
    },
}
MODELS = {
    "Session Started": SessionStartedProperties,
    "Message Handled": MessageHandledProperties,
    "Action Started": ActionStartedProperties,
    "Action Completed": ActionCompletedProperties,
}


def json_names(cls: type) -> set[str]:
    return {
        a.metadata.get("watson_async.json", a.name) for a in attrs.fields(cls) if a.name != "extra"
    }


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"id-{next(counter)}"


def clock() -> float:
    return T0


def props(call: TrackCall) -> dict[str, Any]:
    assert call.properties is not None
    return call.properties.to_dict()


def reply_with(*events: dict[str, Any], **debug: Any) -> StatefulMessageResponse:
    return StatefulMessageResponse.from_dict(
        {
            "output": {"generic": [], "debug": {"turn_events": list(events), **debug}},
            "user_id": "user-1",
        }
    )


def visited(action: str, reason: str = "intent", title: str | None = None) -> dict[str, Any]:
    source = {"type": "action", "action": action, "action_title": title or action.title()}
    return {"event": "action_visited", "source": source, "reason": reason}


def finished(action: str, reason: str = "all_steps_done") -> dict[str, Any]:
    source = {"type": "action", "action": action, "action_title": action.title()}
    return {"event": "action_finished", "source": source, "reason": reason}


def step(action: str, step_id: str, event: str = "step_visited") -> dict[str, Any]:
    return {"event": event, "source": {"type": "step", "action": action, "step": step_id}}


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize("event", sorted(DOCUMENTED))
def test_each_event_model_has_exactly_the_documented_properties(event: str) -> None:
    assert json_names(MODELS[event]) == DOCUMENTED[event]


def test_message_handled_parses_steps_visited_as_strings() -> None:
    data = {
        "assistantId": "a1",
        "sessionId": "s1",
        "skillsInvoked": ["actions skill"],
        "action": "action_202",
        "actionStarted": True,
        "actionCompleted": False,
        "actionsVisited": ["action_202"],
        "stepsVisited": ["action_202_step_1", "action_202_step_2"],
    }
    parsed = MessageHandledProperties.from_dict(data)
    assert parsed.steps_visited == ["action_202_step_1", "action_202_step_2"]
    assert parsed.action_started is True
    assert parsed.skills_invoked == ["actions skill"]
    assert_round_trip(data, parsed.to_dict())


def test_steps_visited_as_objects_and_mixed() -> None:
    data = {
        "stepsVisited": [
            {"stepId": "step_001", "stepTitle": "Ask the destination"},
            "action_1_step_002",
            {"stepId": "step_003"},
        ]
    }
    parsed = ActionCompletedProperties.from_dict(data)
    assert parsed.steps_visited == [
        StepVisited(step_id="step_001", step_title="Ask the destination"),
        "action_1_step_002",
        StepVisited(step_id="step_003"),
    ]
    assert parsed.to_dict() == data


def test_a_steps_visited_item_of_another_type_is_rejected() -> None:
    with pytest.raises(TypeError, match="stepsVisited"):
        MessageHandledProperties.from_dict({"stepsVisited": [42]})


@pytest.mark.parametrize(
    ("event", "cls"),
    [*MODELS.items(), ("Something New", UnknownEventProperties)],
)
def test_track_call_properties_are_parsed_by_event(event: str, cls: type) -> None:
    payload = {
        "type": "track",
        "event": event,
        "userId": "u1",
        "messageId": "m1",
        "timestamp": "2024-05-01T12:00:00.000Z",
        "properties": {"assistantId": "a1", "sessionId": "s1", "brandNew": 1},
        "context": {"library": {"name": "x"}},
    }
    call = TrackCall.from_dict(payload)
    assert type(call.properties) is cls
    assert call.user_id == "u1"
    assert call.properties is not None
    assert call.properties.extra == (
        {"brandNew": 1}
        if cls is not UnknownEventProperties
        else {"assistantId": "a1", "sessionId": "s1", "brandNew": 1}
    )
    assert_round_trip(payload, call.to_dict())


def test_a_webhook_payload_keeps_segment_keys() -> None:
    payload = {
        "anonymousId": None,
        "channel": "server",
        "context": {"library": {"name": "unknown", "version": "unknown"}},
        "event": "Session Started",
        "integrations": {},
        "messageId": "api-2ABC",
        "originalTimestamp": "2024-05-01T12:00:00.000Z",
        "properties": {
            "accountId": "acc",
            "assistantId": "a1",
            "channel": "chat",
            "environment": "live",
            "serviceInstance": "inst",
            "sessionId": "s1",
        },
        "receivedAt": "2024-05-01T12:00:00.200Z",
        "sentAt": "2024-05-01T12:00:00.100Z",
        "timestamp": "2024-05-01T12:00:00.000Z",
        "type": "track",
        "userId": "u1",
        "version": 2,
    }
    call = TrackCall.from_dict(payload)
    assert isinstance(call.properties, SessionStartedProperties)
    assert call.properties.environment == "live"
    assert call.extra is not None
    assert call.extra["receivedAt"] == "2024-05-01T12:00:00.200Z"
    assert_round_trip(payload, call.to_dict())


def test_a_warehouse_row_becomes_a_track_call() -> None:
    row = {
        "id": "m-1",
        "received_at": datetime(2024, 5, 1, 12, 0, 1, tzinfo=timezone.utc),
        "timestamp": datetime(2024, 5, 1, 12, 0, 0),
        "user_id": "u-1",
        "anonymous_id": None,
        "event": "message_handled",
        "event_text": "Message Handled",
        "context_library_name": "unknown",
        "account_id": "acc",
        "assistant_id": "a-1",
        "session_id": "s-1",
        "skills_invoked": '["actions skill"]',
        "steps_visited": '[{"stepId": "step_001", "stepTitle": "Ask"}]',
        "actions_visited": '["action_202"]',
        "action_completed": "true",
        "action_started": False,
        "branch_exited_reason": "completed",
        "uuid_ts": "2024-05-01 12:00:05",
    }
    call = TrackCall.from_warehouse_row(row)
    assert call.event == "Message Handled"
    assert call.message_id == "m-1"
    assert call.user_id == "u-1"
    assert call.anonymous_id is None
    assert call.timestamp == "2024-05-01T12:00:00+00:00"
    assert call.context == {"library_name": "unknown"}
    assert call.extra == {"received_at": "2024-05-01T12:00:01+00:00", "uuid_ts": row["uuid_ts"]}
    p = call.properties
    assert isinstance(p, MessageHandledProperties)
    assert p.account_id == "acc"
    assert p.skills_invoked == ["actions skill"]
    assert p.steps_visited == [StepVisited(step_id="step_001", step_title="Ask")]
    assert p.actions_visited == ["action_202"]
    assert p.action_completed is True
    assert p.action_started is False
    assert p.branch_exited_reason == "completed"


def test_a_warehouse_row_without_event_text_uses_the_table_event() -> None:
    call = TrackCall.from_warehouse_row(
        {"id": "m", "event": "action_completed", "user_id": "u", "action": "a", "zz": 1}
    )
    assert call.event == "Action Completed"
    assert isinstance(call.properties, ActionCompletedProperties)
    assert call.properties.extra == {"zz": 1}
    unknown = TrackCall.from_warehouse_row({"event": "other_thing", "x": 1})
    assert unknown.event == "other_thing"
    assert isinstance(unknown.properties, UnknownEventProperties)
    with pytest.raises(ValueError, match="event"):
        TrackCall.from_warehouse_row({"id": "m"})


# --------------------------------------------------------------------------- helpers


def test_iso_timestamp_and_service_instance() -> None:
    assert iso_timestamp(T0) == T0_ISO
    assert iso_timestamp(T0 + 0.5) == "2023-11-14T22:13:20.500Z"
    url = "https://api.us-south.assistant.watson.cloud.ibm.com/instances/abc-123"
    assert service_instance_from_url(url) == "abc-123"
    assert service_instance_from_url(url + "/v2/assistants?x=1") == "abc-123"
    assert service_instance_from_url("https://example.com/") is None
    assert service_instance_from_url(None) is None
    assert AnalyticsConfig(service_url=url).instance_id() == "abc-123"
    assert AnalyticsConfig(service_instance="x", service_url=url).instance_id() == "x"
    assert AnalyticsConfig().instance_id("http://h/instances/z") == "z"


# --------------------------------------------------------------------------- derivation


def test_session_started_from_configuration_and_analytics() -> None:
    config = AnalyticsConfig(
        account_id="acc",
        channel="chat",
        environment="live",
        language="en",
        service_url="https://x.example/instances/inst-1",
        device="desktop",
    )
    call = derive_session_started(
        "s-1",
        config=config,
        assistant_id="a-1",
        analytics={"browser": "Firefox", "pageUrl": "https://shop.example/help"},
        clock=clock,
        new_id=ids(),
    )
    assert call.to_dict() == {
        "event": "Session Started",
        "type": "track",
        "userId": "s-1",  # the service's default user_id is the session id
        "timestamp": T0_ISO,
        "messageId": "id-1",
        "properties": {
            "accountId": "acc",
            "assistantId": "a-1",
            "browser": "Firefox",
            "channel": "chat",
            "device": "desktop",
            "environment": "live",
            "pageUrl": "https://shop.example/help",
            "serviceInstance": "inst-1",
            "sessionId": "s-1",
        },
    }
    # language is not a Session Started property: it is not sent even when configured
    assert "language" not in props(call)


def test_nothing_is_invented_without_configuration() -> None:
    call = derive_session_started("s-1", user_id="u-1", clock=clock, new_id=ids())
    assert call.user_id == "u-1"
    assert props(call) == {"sessionId": "s-1"}
    [handled] = derive_turn({"output": {"generic": []}}, session_id="s-1", clock=clock)
    assert props(handled) == {"sessionId": "s-1"}


def test_default_ids_are_uuid4_and_times_utc() -> None:
    call = derive_session_started("s-1")
    assert call.message_id is not None
    assert uuid.UUID(call.message_id).version == 4
    assert call.timestamp is not None
    assert call.timestamp.endswith("Z")


def test_full_stateful_sample() -> None:
    reply = StatefulMessageResponse.from_dict(load("message_stateful_full.json"))
    calls = derive_turn(
        reply,
        config=AnalyticsConfig(account_id="acc", language="en"),
        assistant_id="a-1",
        service_url="https://x/instances/i-1",
        clock=clock,
        new_id=ids(),
    )
    assert [c.event for c in calls] == ["Action Started", "Message Handled"]
    assert [c.message_id for c in calls] == ["id-1", "id-2"]
    assert {c.timestamp for c in calls} == {T0_ISO}
    assert {c.user_id for c in calls} == {"userId"}  # the reply's user_id
    started, handled = calls
    common = {
        "accountId": "acc",
        "assistantId": "a-1",
        "serviceInstance": "i-1",
        "sessionId": "sessionId",  # context.global.session_id
        "language": "en",
        # action turn event -> actions skill; dialog log message / nodes -> main skill;
        # intents[].skill and entities[].skill as reported
        "skillsInvoked": ["actions skill", "main skill", "skill"],
    }
    assert props(started) == {
        **common,
        "action": "action",
        "actionTitle": "actionTitle",
        "actionCompleted": False,
    }
    assert props(handled) == {
        **common,
        "action": "action",
        "actionTitle": "actionTitle",
        "actionStarted": True,
        "actionCompleted": False,
        "actionsVisited": ["action"],
        "branchExited": True,
        "branchExitedReason": "completed",
        "nodesVisited": ["title"],  # the node's title (its id when untitled)
    }


def test_full_stateless_sample_has_no_session_events() -> None:
    reply = StatelessMessageResponse.from_dict(load("message_stateless_full.json"))
    calls = derive_turn(reply, clock=clock, new_id=ids())
    assert [c.event for c in calls] == ["Action Started", "Message Handled"]
    assert "Session Started" not in {c.event for c in calls}


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "turn_event_action_visited.json",
            [("Action Started", {"actionCompleted": False}), ("Message Handled", {})],
        ),
        (
            "turn_event_action_finished.json",
            [
                (
                    "Action Completed",
                    {"actionStarted": False, "actionCompletedReason": "all_steps_done"},
                ),
                ("Message Handled", {"actionCompletedReason": "all_steps_done"}),
            ],
        ),
        ("turn_event_step_visited.json", [("Message Handled", {})]),
        ("turn_event_handler_visited.json", [("Message Handled", {})]),
        ("turn_event_node_visited.json", [("Message Handled", {})]),
    ],
)
def test_turn_event_samples(sample: str, expected: list[tuple[str, dict[str, Any]]]) -> None:
    calls = derive_turn(reply_with(load(sample)), clock=clock, new_id=ids())
    assert [c.event for c in calls] == [event for event, _ in expected]
    for call, (_, subset) in zip(calls, expected, strict=True):
        p = props(call)
        assert subset.items() <= p.items(), (call.event, p)


def test_node_visited_only_means_the_dialog_skill() -> None:
    [handled] = derive_turn(reply_with(load("turn_event_node_visited.json")), clock=clock)
    assert props(handled) == {"skillsInvoked": ["main skill"], "nodesVisited": ["testString"]}


def test_an_action_started_and_completed_in_one_turn() -> None:
    reply = reply_with(
        visited("pay_bill", title="Pay my bill"),
        step("pay_bill", "step_001"),
        step("pay_bill", "step_002"),
        finished("pay_bill"),
    )
    started, completed, handled = derive_turn(reply, clock=clock, new_id=ids())
    steps = [{"stepId": "step_001"}, {"stepId": "step_002"}]
    base = {
        "skillsInvoked": ["actions skill"],
        "action": "pay_bill",
        "actionTitle": "Pay my bill",
        "actionCompletedReason": "all_steps_done",
        "stepsVisited": steps,
    }
    assert props(started) == {**base, "actionCompleted": True}
    assert props(completed) == {**base, "actionStarted": True}
    assert props(handled) == {
        **base,
        "actionStarted": True,
        "actionCompleted": True,
        "actionsVisited": ["pay_bill"],
    }
    assert started.user_id == "user-1"


def test_a_continued_action_answers_its_step_and_completes() -> None:
    reply = reply_with(step("book_trip", "step_001", "step_answered"), finished("book_trip"))
    completed, handled = derive_turn(reply, clock=clock)
    assert props(completed)["actionStarted"] is False
    assert props(completed)["stepsVisited"] == [{"stepId": "step_001"}]
    assert props(handled)["actionStarted"] is False
    assert props(handled)["actionCompleted"] is True


def test_subactions_and_resumes() -> None:
    reply = reply_with(
        visited("parent"),
        step("parent", "step_001"),
        visited("child", "invoke_subaction"),
        step("child", "step_001"),
        finished("child"),
        visited("parent", "subaction_return"),  # a resume, not a new start
        step("parent", "step_002"),
        finished("parent", "ended_by_step"),
    )
    calls = derive_turn(reply, clock=clock)
    assert [(c.event, props(c)["action"]) for c in calls] == [
        ("Action Started", "parent"),
        ("Action Started", "child"),
        ("Action Completed", "child"),
        ("Action Completed", "parent"),
        ("Message Handled", "parent"),
    ]
    parent_started, child_started, child_done, parent_done, handled = map(props, calls)
    assert parent_started["subaction"] == "child"
    assert "subaction" not in child_started
    assert parent_done["actionCompletedReason"] == "ended_by_step"
    assert parent_done["stepsVisited"] == [{"stepId": "step_001"}, {"stepId": "step_002"}]
    assert child_done["stepsVisited"] == [{"stepId": "step_001"}]
    assert handled["actionsVisited"] == ["parent", "child"]
    assert handled["subaction"] == "child"
    assert handled["stepsVisited"] == [
        {"stepId": "step_001"},
        {"stepId": "step_002"},
        {"stepId": "step_001"},
    ]


@pytest.mark.parametrize(
    "reason", ["no_action_matches", "agent_requested", "step_validation_failed"]
)
def test_fallback_reason(reason: str) -> None:
    reply = reply_with(
        visited("fallback", reason, title="Fallback"), finished("fallback", "fallback")
    )
    started, completed, handled = derive_turn(reply, clock=clock)
    for call in (started, completed, handled):
        assert props(call)["fallbackReason"] == reason
    assert props(completed)["actionCompletedReason"] == "fallback"


def test_an_ordinary_visit_has_no_fallback_reason() -> None:
    calls = derive_turn(reply_with(visited("a"), visited("b", "topic_switch")), clock=clock)
    assert all("fallbackReason" not in props(c) for c in calls)
    assert [c.event for c in calls] == ["Action Started", "Action Started", "Message Handled"]
    assert props(calls[-1])["action"] == "a"


def test_handlers_from_turn_events_and_log_messages() -> None:
    handler_event = {
        "event": "handler_visited",
        "source": {"type": "handler", "action": "a", "handler": "validation_not_found"},
    }
    [handled] = derive_turn(reply_with(handler_event), clock=clock)
    assert props(handled)["handler"] == "validation_not_found"
    logged = reply_with(
        log_messages=[
            {
                "level": "info",
                "message": "m",
                "code": "c",
                "source": load("log_message_source_handler.json"),
            }
        ]
    )
    [handled] = derive_turn(logged, clock=clock)
    assert props(handled)["handler"] == "testString"
    assert props(handled)["skillsInvoked"] == ["actions skill"]
    # the sample handler_visited source has no handler name: nothing is invented
    [handled] = derive_turn(reply_with(load("turn_event_handler_visited.json")), clock=clock)
    assert "handler" not in props(handled)


def test_refused_routes_are_not_visits() -> None:
    denied = [e for e in load("synth_turn_events_newer.json") if e["event"].endswith("_denied")]
    [handled] = derive_turn(reply_with(*denied), clock=clock)
    assert props(handled) == {}


def test_newer_turn_events_count_as_visits() -> None:
    calls = derive_turn(reply_with(*load("synth_turn_events_newer.json")), clock=clock)
    [handled] = calls
    assert props(handled)["actionsVisited"] == ["fallback", "action_123"]
    assert props(handled)["skillsInvoked"] == ["actions skill"]


def test_a_reply_without_debug_gives_only_message_handled() -> None:
    reply = StatefulMessageResponse.from_dict(
        {
            "output": {
                "generic": [{"response_type": "text", "text": "hi"}],
                "intents": [{"intent": "hello", "confidence": 0.9, "skill": "actions skill"}],
            },
            "user_id": "u",
        }
    )
    [handled] = derive_turn(reply, session_id="s", clock=clock)
    assert props(handled) == {"sessionId": "s", "skillsInvoked": ["actions skill"]}


def test_analytics_precedence() -> None:
    config = AnalyticsConfig(browser="default-b", device="default-d", page_url="default-p")
    reply = {"output": {}, "user_id": "u"}
    [call] = derive_turn(reply, config=config, clock=clock)
    assert props(call) == {"browser": "default-b", "device": "default-d", "pageUrl": "default-p"}
    with_input = MessageInput(text="hi", analytics=RequestAnalytics(browser="Safari"))
    [call] = derive_turn(reply, config=config, input=with_input, clock=clock)
    assert props(call)["browser"] == "Safari"
    assert props(call)["device"] == "default-d"
    [call] = derive_turn(
        reply, config=config, input={"text": "x", "analytics": {"pageUrl": "p"}}, clock=clock
    )
    assert props(call)["pageUrl"] == "p"
    [call] = derive_turn(
        reply, config=config, input=with_input, analytics={"device": "phone"}, clock=clock
    )
    assert props(call)["device"] == "phone"
    assert props(call)["browser"] == "default-b"  # explicit analytics replace the input's
    with pytest.raises(TypeError):
        derive_turn(reply, analytics=42)


def test_user_id_resolution() -> None:
    def user(reply: dict[str, Any], **kw: Any) -> list[str | None]:
        return [c.user_id for c in derive_turn(reply, clock=clock, **kw)]

    assert user({"output": {}, "user_id": "r"}, user_id="arg", session_id="s") == ["r"]
    in_context = {"output": {}, "context": {"global": {"system": {"user_id": "ctx"}}}}
    assert user(in_context, user_id="arg") == ["ctx"]
    assert user({"output": {}}, user_id="arg", session_id="s") == ["arg"]
    assert user({"output": {}}, session_id="s") == ["s"]
    # no user and no session: the service sends nothing either
    assert derive_turn({"output": {}}, clock=clock) == []


def test_config_context_is_copied_onto_calls() -> None:
    config = AnalyticsConfig(context={"app": {"name": "bot"}})
    call = derive_session_started("s", config=config, clock=clock)
    assert call.context == {"app": {"name": "bot"}}


# --------------------------------------------------------------------------- SegmentEvents


def conversation(**kw: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "assistant_id": "a-1",
        "session_id": "s-1",
        "user_id": None,
        "client": SimpleNamespace(service_url="https://x.example/instances/inst-9"),
    }
    return SimpleNamespace(**{**base, **kw})


async def test_segment_events_sends_each_derived_call() -> None:
    received: list[TrackCall] = []
    hooks = SegmentEvents(
        CallbackSink(received.append),
        config=AnalyticsConfig(account_id="acc"),
        clock=clock,
        new_id=ids(),
    )
    conv = conversation(analytics=RequestAnalytics(browser="Edge"))
    await hooks.session_started(conv, SessionResponse(session_id="s-1"))
    reply = reply_with(visited("a"), finished("a"))
    await hooks.message_handled(conv, MessageInput(text="hi"), reply)
    assert [c.event for c in received] == [
        "Session Started",
        "Action Started",
        "Action Completed",
        "Message Handled",
    ]
    assert [c.message_id for c in received] == ["id-1", "id-2", "id-3", "id-4"]
    for call in received:
        p = props(call)
        assert p["serviceInstance"] == "inst-9"
        assert p["assistantId"] == "a-1"
        assert p["sessionId"] == "s-1"
        assert p["browser"] == "Edge"  # the session's analytics, for turns without their own
        assert p["accountId"] == "acc"
    assert received[0].user_id == "s-1"
    assert received[1].user_id == "user-1"
    await hooks.message_handled(
        conv, {"text": "x", "analytics": {"browser": "Opera"}}, {"output": {}, "user_id": "u"}
    )
    assert props(received[-1])["browser"] == "Opera"
    assert hooks.errors == 0


async def test_segment_events_mirrors_the_stateless_api() -> None:
    received: list[TrackCall] = []
    hooks = SegmentEvents(CallbackSink(received.append), clock=clock)
    conv = conversation(stateless=True, session_id=None)
    await hooks.session_started(conv, SessionResponse(session_id="s-x"))
    assert received == []
    reply = StatelessMessageResponse.from_dict(
        {"output": {}, "context": {"global": {"session_id": "st-1"}}, "user_id": "u"}
    )
    await hooks.message_handled(conv, "hello", reply)
    assert [c.event for c in received] == ["Message Handled"]
    assert props(received[0])["sessionId"] == "st-1"
    # a stateless reply is recognised even when the conversation doesn't say so
    await hooks.message_handled(conversation(session_id="ignored"), None, reply)
    assert props(received[-1])["sessionId"] == "st-1"


async def test_segment_events_never_raise_into_the_conversation() -> None:
    def broken(call: TrackCall) -> None:
        raise RuntimeError("sink down")

    hooks = SegmentEvents(CallbackSink(broken))
    await hooks.session_started(conversation(), "s-1")
    await hooks.message_handled(conversation(), None, {"output": {}, "user_id": "u"})
    await hooks.message_handled(conversation(), None, {"output": "not an object"})
    assert hooks.errors == 3


async def test_segment_events_finds_ids_through_the_assistant_handle() -> None:
    received: list[TrackCall] = []
    hooks = SegmentEvents(CallbackSink(received.append), clock=clock)
    client = SimpleNamespace(service_url="https://x/instances/inst-2")
    conv = SimpleNamespace(
        session_id="s-2",
        user_id="u-2",
        analytics=None,
        assistant=SimpleNamespace(assistant_id="a-2", client=client),
    )
    await hooks.session_started(conv, SessionResponse(session_id="s-2"))
    await hooks.message_handled(conv, MessageInput(text="hi"), {"output": {}})
    assert [c.user_id for c in received] == ["u-2", "u-2"]
    for call in received:
        assert props(call) == {
            "assistantId": "a-2",
            "serviceInstance": "inst-2",
            "sessionId": "s-2",
        }


async def test_segment_events_session_id_sources() -> None:
    received: list[TrackCall] = []
    hooks = SegmentEvents(CallbackSink(received.append), clock=clock)
    await hooks.session_started(conversation(session_id="from-conv"), None)
    await hooks.session_started(conversation(session_id=None), {"session_id": "from-dict"})
    await hooks.session_started(conversation(session_id=None), None)  # nothing to report
    assert [props(c)["sessionId"] for c in received] == ["from-conv", "from-dict"]


def test_derivation_does_not_modify_the_reply() -> None:
    data = load("message_stateful_full.json")
    original = copy.deepcopy(data)
    reply = StatefulMessageResponse.from_dict(data)
    before = reply.to_dict()
    derive_turn(reply, clock=clock)
    assert reply.to_dict() == before
    assert data == original
