"""What picking a choice sends: the value, not the label (API version 2024-12-02 keeps
them apart in Microsoft Teams too), for options, suggestions and post_back buttons."""

from __future__ import annotations

from typing import Any

import pytest

from watson_async.cli.render import render_item
from watson_async.models._convert import converter
from watson_async.models.generic import (
    DialogNodeOutputOptionsElement,
    DialogSuggestion,
    GenericOption,
    GenericSuggestion,
    RuntimeResponseGeneric,
)

_UNION: Any = RuntimeResponseGeneric

# As a 2024-12-02 reply carries them: the label shown, a different value sent back.
OPTION = {
    "response_type": "option",
    "title": "Which size?",
    "options": [
        {"label": "Large (500 ml)", "value": {"input": {"text": "large"}}},
        {"label": "Small"},
    ],
}
SUGGESTION = {
    "response_type": "suggestion",
    "title": "Did you mean:",
    "suggestions": [
        {"label": "Cancel my order", "value": {"input": {"text": "cancel order #12"}}},
        {"label": "None of the above", "value": {"input": {"suggestion_id": "none"}}},
    ],
}


def test_option_sends_its_value_or_else_its_label() -> None:
    item = converter.structure(OPTION, _UNION)
    assert isinstance(item, GenericOption)
    assert item.options is not None
    assert [o.picked_input() for o in item.options] == [{"text": "large"}, {"text": "Small"}]


def test_suggestion_sends_its_value_and_the_label_only_as_missing_text() -> None:
    item = converter.structure(SUGGESTION, _UNION)
    assert isinstance(item, GenericSuggestion)
    assert item.suggestions is not None
    assert [s.picked_input() for s in item.suggestions] == [
        {"text": "cancel order #12"},
        {"suggestion_id": "none", "text": "None of the above"},
    ]


@pytest.mark.parametrize("sample", [OPTION, SUGGESTION], ids=["option", "suggestion"])
def test_chat_shows_the_label_and_sends_the_value(sample: dict[str, Any]) -> None:
    rendered = render_item(converter.structure(sample, _UNION), first_choice=1)
    first = rendered.choices[0]
    assert first.label in ("Large (500 ml)", "Cancel my order")
    assert first.input in ({"text": "large"}, {"text": "cancel order #12"})
    assert f"  1) {first.label}" in rendered.lines


def test_a_choice_with_nothing_to_send_is_not_offered() -> None:
    empty = [DialogNodeOutputOptionsElement(), DialogSuggestion()]
    assert [c.picked_input() for c in empty] == [{}, {}]
    rendered = render_item(GenericOption(response_type="option", options=empty[:1]))
    assert rendered.choices == ()
