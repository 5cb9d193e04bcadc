"""``output.debug.turn_events[]``: dispatch on ``event`` (and ``generative_ai.task``)."""

import json
from typing import Any

import attrs
import pytest
from _samples import RESPONSES, assert_round_trip, load

from watson_async.models._convert import converter
from watson_async.models.turn_events import (
    GenerativeAITaskContentGroundedAnswering,
    GenerativeAITaskGeneralPurposeAnswering,
    GenerativeAITaskUnknown,
    MessageOutputDebugTurnEvent,
    TurnEventActionFinished,
    TurnEventActionRoutingDenied,
    TurnEventActionSource,
    TurnEventActionVisited,
    TurnEventCallout,
    TurnEventClientActions,
    TurnEventConversationalSearchEnd,
    TurnEventGenerativeAICalled,
    TurnEventHandlerVisited,
    TurnEventManualRoute,
    TurnEventNodeVisited,
    TurnEventSearch,
    TurnEventStepAnswered,
    TurnEventStepSource,
    TurnEventStepVisited,
    TurnEventSuggestionIntentsDenied,
    TurnEventTopicSwitchDenied,
    TurnEventUnknown,
)

# A union alias is not a ``type[T]`` for mypy; hand it to cattrs as ``Any``.
_UNION: Any = MessageOutputDebugTurnEvent


def parse(item: Any) -> Any:
    return converter.structure(item, _UNION)


def parse_list(items: Any) -> list[Any]:
    return converter.structure(items, list[_UNION])


def unknown_keys(obj: Any, path: str = "$") -> list[str]:
    """Paths of every model in ``obj`` that has keys in ``extra``."""
    found: list[str] = []
    if isinstance(obj, list):
        for i, x in enumerate(obj):
            found += unknown_keys(x, f"{path}[{i}]")
    elif attrs.has(type(obj)):
        if obj.extra:
            found.append(f"{path}: {sorted(obj.extra)}")
        for a in attrs.fields(type(obj)):
            if a.name != "extra":
                found += unknown_keys(getattr(obj, a.name), f"{path}.{a.name}")
    return found


SAMPLES = {
    "turn_event_action_finished.json": TurnEventActionFinished,
    "turn_event_action_visited.json": TurnEventActionVisited,
    "turn_event_callout.json": TurnEventCallout,
    "turn_event_handler_visited.json": TurnEventHandlerVisited,
    "turn_event_node_visited.json": TurnEventNodeVisited,
    "turn_event_search.json": TurnEventSearch,
    "turn_event_step_answered.json": TurnEventStepAnswered,
    "turn_event_step_visited.json": TurnEventStepVisited,
}

NEWER = [
    TurnEventConversationalSearchEnd,
    TurnEventManualRoute,
    TurnEventTopicSwitchDenied,
    TurnEventActionRoutingDenied,
    TurnEventSuggestionIntentsDenied,
    TurnEventClientActions,
    TurnEventGenerativeAICalled,
]


def test_every_turn_event_sample_is_covered() -> None:
    assert {p.name for p in RESPONSES.glob("turn_event_*.json")} == set(SAMPLES)


@pytest.mark.parametrize(("name", "cls"), sorted(SAMPLES.items()))
def test_sample_parses_to_class_and_round_trips(name: str, cls: type[Any]) -> None:
    data = load(name)
    event = parse(data)
    assert type(event) is cls
    assert event.event == data["event"]
    assert unknown_keys(event) == []
    assert_round_trip(data, event.to_dict())
    assert event.to_dict() == data


def test_newer_synthesized_events() -> None:
    data = load("synth_turn_events_newer.json")
    events = parse_list(data)
    assert [type(e) for e in events] == NEWER
    assert unknown_keys(events) == []
    assert [e.to_dict() for e in events] == data


def test_action_event_fields() -> None:
    visited = parse(load("turn_event_action_visited.json"))
    assert isinstance(visited, TurnEventActionVisited)
    assert visited.source == TurnEventActionSource(
        type="action", action="testString", action_title="testString", condition="testString"
    )
    assert (visited.condition_type, visited.reason) == ("user_defined", "intent")
    assert visited.result_variable == "testString"

    finished = parse(load("turn_event_action_finished.json"))
    assert isinstance(finished, TurnEventActionFinished)
    assert finished.reason == "all_steps_done"
    assert finished.action_variables == {"anyKey": "anyValue"}

    step = parse(load("turn_event_step_visited.json"))
    assert isinstance(step, TurnEventStepVisited)
    assert step.has_question is True

    answered = parse(load("turn_event_step_answered.json"))
    assert isinstance(answered, TurnEventStepAnswered)
    assert answered.prompted is True

    node = parse(load("turn_event_node_visited.json"))
    assert isinstance(node, TurnEventNodeVisited)
    assert node.source is not None
    assert node.source.dialog_node == "testString"
    assert node.reason == "welcome"


def test_callout_fields_and_headers_rename() -> None:
    data = load("turn_event_callout.json")
    event = parse(data)
    assert isinstance(event, TurnEventCallout)
    assert event.callout is not None
    assert event.callout.type == "integration_interaction"
    assert event.callout.request is not None
    assert event.callout.request.method == "get"
    assert event.callout.request.headers_ == {"anyKey": "anyValue"}
    assert event.callout.response is not None
    assert event.callout.response.status_code == 38
    assert event.error is not None
    assert event.error.message == "testString"
    out = event.to_dict()
    assert "headers" in out["callout"]["request"]
    assert "headers_" not in out["callout"]["request"]


def test_search_event_error() -> None:
    event = parse(load("turn_event_search.json"))
    assert isinstance(event, TurnEventSearch)
    assert event.error is not None
    assert event.error.message == "testString"


def test_newer_event_fields() -> None:
    events = parse_list(load("synth_turn_events_newer.json"))
    route, denied, clients, gen = events[1], events[4], events[5], events[6]

    assert isinstance(route, TurnEventManualRoute)
    assert isinstance(route.source, TurnEventStepSource)
    assert (route.source.step, route.source.is_ai_guided) == ("step_001", False)
    assert route.route_name == "route_1"

    assert isinstance(denied, TurnEventSuggestionIntentsDenied)
    assert denied.intents_denied == [{"intent": "balance", "confidence": 0.42}]

    assert isinstance(clients, TurnEventClientActions)
    assert clients.client_actions is not None
    assert clients.client_actions[0].skill == "actions skill"
    assert clients.client_actions[0].parameters == {"account": "123"}

    assert isinstance(gen, TurnEventGenerativeAICalled)
    assert gen.source == {"type": "action", "action": "fallback"}
    assert gen.generative_ai_start_time == "2025-06-01T12:00:01.000Z"
    task = gen.generative_ai
    assert isinstance(task, GenerativeAITaskContentGroundedAnswering)
    assert task.confidence_scores is not None
    assert task.confidence_scores.post_gen == 0.77
    assert task.inferred_query == "how do I pay my bill"
    assert gen.callout is not None
    assert gen.callout.search is not None
    assert gen.callout.search.request is not None
    assert gen.callout.search.request.headers_ == {}
    assert gen.callout.search.request.port == "443"
    assert gen.callout.llm is not None
    assert (gen.callout.llm.generated_token_count, gen.callout.llm.input_token_count) == (42, 900)
    assert gen.callout.llm.response is not None
    assert gen.callout.llm.response.text == "You can pay your bill ..."
    assert gen.callout.idk_reason_code == ""
    assert gen.metrics is not None
    assert gen.metrics.answer_generation_time_ms == 850.0


def test_generative_ai_task_union() -> None:
    base = {"event": "generative_ai_called"}
    general = parse({**base, "generative_ai": {"task": "general_purpose_answering"}})
    assert isinstance(general.generative_ai, GenerativeAITaskGeneralPurposeAnswering)

    data = {**base, "generative_ai": {"task": "summarize", "summary": "s", "n": [1]}}
    unknown = parse(data)
    assert isinstance(unknown.generative_ai, GenerativeAITaskUnknown)
    assert unknown.generative_ai.extra == {"summary": "s", "n": [1]}
    assert unknown.to_dict() == data

    null = {**base, "generative_ai": None}
    parsed = parse(null)
    assert parsed.generative_ai is None
    assert_round_trip(null, parsed.to_dict())


def test_llm_request_uses_search_results() -> None:
    data = {
        "event": "generative_ai_called",
        "callout": {
            "llm": {"request": [{"id": "d1", "result_metadata": {"score": 3}, "extra_k": 1}]}
        },
    }
    event = parse(data)
    assert isinstance(event, TurnEventGenerativeAICalled)
    assert event.callout is not None
    assert event.callout.llm is not None
    assert event.callout.llm.request is not None
    assert event.callout.llm.request[0].id == "d1"
    assert event.to_dict() == data


def test_turn_events_in_full_responses_round_trip() -> None:
    seen = 0
    for path in sorted(RESPONSES.glob("message_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for output_key in ("output", "masked_output"):
            raw = data.get(output_key, {}).get("debug", {}).get("turn_events")
            if raw is None:
                continue
            events = parse_list(raw)
            assert not any(isinstance(e, TurnEventUnknown) for e in events), path.name
            assert_round_trip(raw, [e.to_dict() for e in events])
            seen += len(events)
    assert seen >= 4


def test_unknown_event_keeps_the_whole_item() -> None:
    data = {"event": "llm_guardrail_tripped", "source": {"type": "x"}, "details": [1, {"a": None}]}
    event = parse(data)
    assert isinstance(event, TurnEventUnknown)
    assert event.event == "llm_guardrail_tripped"
    assert event.extra == {"source": {"type": "x"}, "details": [1, {"a": None}]}
    assert event.to_dict() == data


def test_unknown_keys_in_known_event_survive_round_trip() -> None:
    data = {
        "event": "step_visited",
        "source": {"type": "step", "action": "a", "step": "s1", "is_ai_guided": True},
        "has_question": False,
        "new_key": {"nested": ["x"]},
    }
    event = parse(data)
    assert isinstance(event, TurnEventStepVisited)
    assert event.extra == {"new_key": {"nested": ["x"]}}
    assert event.source is not None
    assert event.source.extra == {"step": "s1", "is_ai_guided": True}
    assert event.to_dict() == data


def test_missing_fields_do_not_fail() -> None:
    event = parse({"event": "callout"})
    assert event == TurnEventCallout(event="callout")
    assert event.to_dict() == {"event": "callout"}


@pytest.mark.parametrize("bad", ["node_visited", 1, None, []])
def test_non_object_item_raises_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="JSON object"):
        parse(bad)
    with pytest.raises(TypeError, match="JSON object"):
        parse_list([{"event": "search"}, bad])
    with pytest.raises(TypeError, match="JSON object"):
        parse({"event": "generative_ai_called", "generative_ai": bad or "x"})
