"""Reply conveniences of StatefulMessageResponse and StatelessMessageResponse."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from watson_async.models.message import (
    ReplyOption,
    ReplyOptionValue,
    StatefulMessageResponse,
    StatelessMessageResponse,
)
from watson_async.models.stream import FinalResponse, StatelessFinalResponse

REPLIES = [StatefulMessageResponse, StatelessMessageResponse]
Reply = type[StatefulMessageResponse] | type[StatelessMessageResponse]


def reply(cls: Reply, **output: Any) -> StatefulMessageResponse | StatelessMessageResponse:
    return cls.from_dict({"output": output})


def text(value: str) -> dict[str, Any]:
    return {"response_type": "text", "text": value}


def option(*labels: str) -> dict[str, Any]:
    return {
        "response_type": "option",
        "title": "Pick one",
        "options": [
            {"label": label, "value": {"input": {"text": label.lower()}}} for label in labels
        ],
    }


@pytest.fixture(params=REPLIES, ids=lambda c: c.__name__)
def cls(request: pytest.FixtureRequest) -> Reply:
    result: Reply = request.param
    return result


def test_helpers_are_not_fields() -> None:
    for model in REPLIES:
        names = {a.name for a in attrs.fields(model)}
        assert names.isdisjoint(
            {"text", "options", "top_intent", "entities_by_name", "is_fallback", "agent_requested"}
        )
    data = {"output": {"generic": [text("a")], "intents": [{"intent": "x", "confidence": 0.5}]}}
    assert StatefulMessageResponse.from_dict(data).to_dict() == data


def test_text_joins_text_items_in_order(cls: Reply) -> None:
    r = reply(
        cls,
        generic=[
            text("Hello."),
            {"response_type": "pause", "time": 500},
            option("Yes", "No"),
            {"response_type": "carousel", "text": "not a text item"},
            text("How can I help?"),
        ],
    )
    assert r.text == "Hello.\nHow can I help?"
    assert reply(cls).text == ""
    assert reply(cls, generic=[{"response_type": "image", "source": "x"}]).text == ""


def test_options_flatten_every_option_item(cls: Reply) -> None:
    r = reply(cls, generic=[option("Yes", "No"), text("or"), option("Maybe")])
    assert [o.label for o in r.options] == ["Yes", "No", "Maybe"]
    first = r.options[0].value
    assert first is not None
    assert first.input == {"text": "yes"}
    assert reply(cls, generic=[{"response_type": "option", "title": "empty"}]).options == []
    assert reply(cls).options == []


def test_options_always_carry_a_label_and_an_input(cls: Reply) -> None:
    # issue 17 item 4: typed without None, so `[o.label for o in reply.options]` is a
    # list[str] and `send(option.value.input)` needs no check.
    r = reply(
        cls,
        generic=[
            {
                "response_type": "option",
                "title": "Pick",
                "options": [
                    {"label": "Rome", "hint": "kept"},  # no value: its label is sent
                    {"value": {"input": {"intents": [{"intent": "x"}]}, "tag": 1}},
                ],
            }
        ],
    )
    rome, unlabelled = r.options
    assert isinstance(rome, ReplyOption)
    assert (rome.label, rome.value.input, rome.extra) == (
        "Rome",
        {"text": "Rome"},
        {"hint": "kept"},
    )
    assert unlabelled.label == ""
    assert unlabelled.value.input == {"intents": [{"intent": "x"}]}  # as given, no text added
    assert unlabelled.value.extra == {"tag": 1}
    assert isinstance(unlabelled.value, ReplyOptionValue)


def test_top_intent(cls: Reply) -> None:
    r = reply(
        cls,
        intents=[
            {"intent": "low", "confidence": 0.2},
            {"intent": "high", "confidence": 0.9},
            {"intent": "tie", "confidence": 0.9},
        ],
    )
    assert r.top_intent is not None
    assert (r.top_intent.intent, r.top_intent.confidence) == ("high", 0.9)
    assert reply(cls, intents=[]).top_intent is None
    assert reply(cls).top_intent is None
    supplied = reply(cls, intents=[{"intent": "given"}, {"intent": "scored", "confidence": 0.1}])
    assert supplied.top_intent is not None
    assert supplied.top_intent.intent == "scored"
    only_given = reply(cls, intents=[{"intent": "given"}])
    assert only_given.top_intent is not None
    assert only_given.top_intent.intent == "given"


def test_entities_by_name(cls: Reply) -> None:
    r = reply(
        cls,
        entities=[
            {"entity": "city", "value": "Paris", "location": [0, 5]},
            {"entity": "sys-number", "value": "2"},
            {"entity": "city", "value": "Rome", "location": [10, 14]},
            {"value": "nameless"},
        ],
    )
    grouped = r.entities_by_name
    assert list(grouped) == ["city", "sys-number"]
    assert [e.value for e in grouped["city"]] == ["Paris", "Rome"]
    assert [e.value for e in grouped["sys-number"]] == ["2"]
    assert reply(cls).entities_by_name == {}


def test_agent_requested(cls: Reply) -> None:
    handoff = {"response_type": "connect_to_agent", "message_to_human_agent": "help"}
    assert reply(cls, generic=[text("One moment."), handoff]).agent_requested
    assert not reply(cls, generic=[text("Hi")]).agent_requested
    assert not reply(cls).agent_requested


# --- is_fallback -------------------------------------------------------------------


def action_visited(action: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": "action_visited",
        "source": {"type": "action", "action": action, "action_title": action},
        **extra,
    }


@pytest.mark.parametrize(
    "event",
    [
        action_visited("anything_else", reason="no_action_matches"),
        action_visited("action_123", reason="no_action_matches"),
        action_visited("action_123", condition_type="anything_else"),
        action_visited("anything_else"),
        action_visited("fallback", reason="step_validation_failed"),
        {"event": "action_finished", "source": {"action": "action_9"}, "reason": "fallback"},
        {"event": "action_finished", "condition_type": "anything_else"},
        {
            "event": "node_visited",
            "source": {"type": "dialog_node", "dialog_node": "n9", "condition": "anything_else"},
            "reason": "branch_start",
        },
    ],
    ids=lambda e: e["event"] + ":" + str(e.get("reason") or e.get("condition_type") or ""),
)
def test_fallback_turn_events(cls: Reply, event: dict[str, Any]) -> None:
    # intents present: the debug output decides, not the intents
    r = reply(cls, intents=[{"intent": "x", "confidence": 0.3}], debug={"turn_events": [event]})
    assert r.is_fallback


def test_fallback_dialog_node_visited(cls: Reply) -> None:
    nodes = [
        {"dialog_node": "welcome", "conditions": "welcome"},
        {"dialog_node": "else", "title": "Anything else", "conditions": "anything_else"},
    ]
    assert reply(cls, debug={"nodes_visited": nodes}).is_fallback
    assert not reply(cls, debug={"nodes_visited": nodes[:1]}).is_fallback


def test_understood_turns_are_not_fallbacks(cls: Reply) -> None:
    events = [
        action_visited("action_1", reason="intent", condition_type="user_defined"),
        {"event": "step_visited", "source": {"action": "action_1"}, "has_question": True},
        {"event": "action_finished", "reason": "all_steps_done"},
        {"event": "some_future_event", "reason": "no_action_matches"},
    ]
    # no intent recognized (a step's question answered), but the events tell the truth
    assert not reply(cls, intents=[], debug={"turn_events": events}).is_fallback
    # a dialog branch left with reason "fallback" is not the fallback node
    debug = {
        "nodes_visited": [{"dialog_node": "n1", "conditions": "#book"}],
        "branch_exited": True,
        "branch_exited_reason": "fallback",
    }
    assert not reply(cls, intents=[], debug=debug).is_fallback


def test_fallback_without_debug_output_uses_the_intents(cls: Reply) -> None:
    assert reply(cls, intents=[]).is_fallback
    assert reply(cls).is_fallback
    assert reply(cls, intents=[{"confidence": 0.9}]).is_fallback  # no intent name
    assert not reply(cls, intents=[{"intent": "hello", "confidence": 0.9}]).is_fallback
    # an empty debug object carries no signal either
    assert reply(cls, intents=[], debug={"branch_exited": False}).is_fallback


def card(*items: dict[str, Any], footer: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"response_type": "card", "body": list(items)}
    if footer is not None:
        data["footer"] = footer
    return data


def button(label: str, **fields: Any) -> dict[str, Any]:
    return {"response_type": "button", "button_type": "post_back", "label": label, **fields}


def test_text_includes_text_nested_in_cards_carousels_and_grids(cls: Reply) -> None:
    grid = {
        "response_type": "grid",
        "rows": [{"cells": [{"items": [text("cell a")]}, {"items": [text("cell b")]}]}],
    }
    r = reply(
        cls,
        generic=[
            text("Top."),
            {"response_type": "carousel", "items": [card(text("Paris")), card(text("Rome"))]},
            card(grid, footer=[button("Book")]),
            {"response_type": "card"},  # untyped (no body): its keys are not read
        ],
    )
    assert r.text == "Top.\nParis\nRome\ncell a\ncell b"


def test_options_include_post_back_buttons_in_order(cls: Reply) -> None:
    r = reply(
        cls,
        generic=[
            option("Yes"),
            card(text("Paris"), footer=[button("Book", value={"input": {"text": "book paris"}})]),
            {"response_type": "button", "button_type": "url", "label": "Site", "url": "u"},
            button("Later"),
        ],
    )
    assert [o.label for o in r.options] == ["Yes", "Book", "Later"]
    inputs = [o.value.input if o.value else None for o in r.options]
    # a button without value.input sends its label, as web chat does
    assert inputs == [{"text": "yes"}, {"text": "book paris"}, {"text": "Later"}]


@pytest.mark.parametrize("final", [FinalResponse, StatelessFinalResponse])
def test_a_streams_final_response_has_the_same_helpers(final: Any, cls: Reply) -> None:
    output = {
        "generic": [text("Hi"), option("Yes")],
        "intents": [{"intent": "greet", "confidence": 0.9}],
        "entities": [{"entity": "city", "value": "Rome"}],
    }
    streamed, sent = final.from_dict({"output": output}), reply(cls, **output)
    helpers = ("text", "options", "top_intent", "entities_by_name", "is_fallback")
    assert [getattr(streamed, h) for h in helpers] == [getattr(sent, h) for h in helpers]
    assert streamed.agent_requested is sent.agent_requested is False
    empty = final.from_dict({})  # a final response may come without output
    assert (empty.text, empty.options, empty.top_intent, empty.entities_by_name) == (
        "",
        [],
        None,
        {},
    )
    assert empty.is_fallback is True
    assert empty.agent_requested is False
