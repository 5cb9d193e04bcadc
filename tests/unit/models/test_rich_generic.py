"""The web chat and phone response types no SDK models: fields, nesting, and the
GenericUnknown fallback for items that miss their required fields."""

from typing import Any

import pytest
from _samples import load

from watson_async.models._convert import converter
from watson_async.models.generic import (
    ButtonPanel,
    GenericButton,
    GenericCard,
    GenericCarousel,
    GenericGrid,
    GenericImage,
    GenericSpeechToText,
    GenericStartActivities,
    GenericStopActivities,
    GenericTable,
    GenericText,
    GenericTextToSpeech,
    GenericUnknown,
    PhoneActivity,
    PhoneCommandInfo,
    RuntimeResponseGeneric,
    iter_generic,
)
from watson_async.models.message import StatefulMessageResponse

_UNION: Any = RuntimeResponseGeneric


def parse(item: Any) -> Any:
    return converter.structure(item, _UNION)


def test_buttons_of_each_kind() -> None:
    post_back = parse(load("generic_button_post_back.json"))
    assert isinstance(post_back, GenericButton)
    assert (post_back.button_type, post_back.label) == ("post_back", "Send message")
    assert post_back.value is not None
    assert post_back.picked_input() == {"text": "[Message to send]"}

    event = parse(load("generic_button_custom_event.json"))
    assert (event.kind, event.custom_event_name) == ("danger", "trigger_alert")
    assert event.user_defined == {"message": "[Alert message]"}
    # a button without value.input sends its label, as web chat does
    assert event.picked_input() == {"text": "Alert"}

    url = parse(load("generic_button_url.json"))
    assert (url.url, url.target) == ("https://www.ibm.com", None)

    panel_button = parse(load("generic_button_show_panel.json"))
    panel = panel_button.panel
    assert isinstance(panel, ButtonPanel)
    assert (panel.title, panel.show_animations) == ("[Product name]", True)
    assert [type(i) for i in panel.body] == [GenericImage, GenericText]


def test_picked_input_keeps_other_keys_and_adds_the_label_as_text() -> None:
    button = parse(
        {
            "response_type": "button",
            "button_type": "post_back",
            "label": "Yes",
            "value": {"input": {"options": {"debug": True}}},
        }
    )
    assert button.picked_input() == {"options": {"debug": True}, "text": "Yes"}
    assert button.value.input == {"options": {"debug": True}}  # not changed in place


def test_card_and_carousel_nest_through_the_union() -> None:
    carousel = parse(load("generic_carousel.json"))
    assert isinstance(carousel, GenericCarousel)
    assert [type(c) for c in carousel.items] == [GenericCard, GenericCard]
    card = carousel.items[0]
    assert [t.text for t in card.body] == ["# Heading", "body"]
    assert card.footer is None


def test_card_footer_buttons() -> None:
    card = parse(
        {
            "response_type": "card",
            "body": [{"response_type": "text", "text": "Paris"}],
            "footer": [load("generic_button_url.json"), load("generic_button_post_back.json")],
        }
    )
    assert isinstance(card, GenericCard)
    assert [b.button_type for b in card.footer] == ["url", "post_back"]


def test_grid_rows_cells_and_columns() -> None:
    grid = parse(load("generic_grid.json"))
    assert isinstance(grid, GenericGrid)
    assert [c.width for c in grid.columns] == ["1", "1"]
    texts = [[cell.items[0].text for cell in row.cells] for row in grid.rows]
    assert texts == [["row 1 cell 1", "row 1 cell 2"], ["row 2 cell 1", "row 2 cell 2"]]


def test_table_keeps_numbers_as_numbers() -> None:
    table = parse(load("generic_table_synthesized.json"))
    assert isinstance(table, GenericTable)
    assert table.headers == ["City", "Opens", "Closes"]
    assert table.rows[1].cells == ["Lyon", "10:00", 18]
    assert table.to_dict() == load("generic_table_synthesized.json")


def test_phone_commands() -> None:
    stt = parse(load("generic_speech_to_text.json"))
    assert isinstance(stt, GenericSpeechToText)
    assert stt.command_info.type == "configure"
    assert stt.command_info.parameters["narrowband_recognize"]["smart_formatting"] is True
    tts = parse(load("generic_text_to_speech.json"))
    assert isinstance(tts, GenericTextToSpeech)
    assert tts.command_info == PhoneCommandInfo(
        type="configure", parameters={"synthesize": {"voice": "en-US_LisaVoice"}}
    )
    start = parse(load("generic_start_activities.json"))
    stop = parse(load("generic_stop_activities.json"))
    assert isinstance(start, GenericStartActivities)
    assert isinstance(stop, GenericStopActivities)
    assert start.activities == stop.activities == [PhoneActivity(type="speech_to_text_recognition")]
    assert start.channels[0].channel == "voice_telephony"


BROKEN = [
    # required fields missing
    {"response_type": "button", "label": "No type"},
    {"response_type": "button", "button_type": "url"},
    {"response_type": "button", "button_type": "show_panel", "label": "x", "panel": {}},
    {"response_type": "card"},
    {"response_type": "carousel"},
    {"response_type": "grid"},
    {"response_type": "grid", "rows": [{"cells": [{}]}]},
    {"response_type": "table", "rows": []},
    {"response_type": "table", "headers": [], "rows": [{}]},
    {"response_type": "speech_to_text"},
    {"response_type": "text_to_speech", "command_info": {"parameters": {}}},
    {"response_type": "start_activities"},
    {"response_type": "stop_activities", "activities": [{}]},
    # the wrong shape
    {"response_type": "card", "body": "not a list"},
    {"response_type": "card", "body": [{"text": "no response_type"}]},
    {"response_type": "carousel", "items": [{"text": "no response_type"}]},
    {"response_type": "carousel", "text": "not a text item"},
    {"response_type": "button", "button_type": "url", "label": {"not": "a string"}},
    {"response_type": "table", "headers": [], "rows": ["a", "b"]},
    {"response_type": "text_to_speech", "command_info": "configure"},
    {"response_type": "start_activities", "activities": [{"type": ["x"]}]},
]


@pytest.mark.parametrize(
    "data", BROKEN, ids=[f"{i}-{d['response_type']}" for i, d in enumerate(BROKEN)]
)
def test_item_missing_required_fields_is_kept_as_unknown(data: dict[str, Any]) -> None:
    reply = StatefulMessageResponse.from_dict(
        {"output": {"generic": [{"response_type": "text", "text": "before"}, data]}}
    )
    first, second = reply.output.generic
    assert isinstance(first, GenericText)  # the rest of the reply still parses
    assert type(second) is GenericUnknown
    assert second.to_dict() == data  # kept whole
    assert reply.text == "before"


def test_a_broken_nested_item_keeps_only_its_container_untyped() -> None:
    good = load("generic_card.json")
    broken = {"response_type": "carousel", "items": [good, {"response_type": "card"}]}
    # the broken card inside is itself kept as GenericUnknown: the carousel stays typed
    carousel = parse(broken)
    assert isinstance(carousel, GenericCarousel)
    assert [type(i) for i in carousel.items] == [GenericCard, GenericUnknown]
    assert carousel.to_dict() == broken


def test_existing_types_keep_their_strictness() -> None:
    # Only the new types fall back; a wrong shape in a type the SDK models still raises.
    with pytest.raises(TypeError):
        parse({"response_type": "option", "options": [5]})


def test_iter_generic_walks_nested_items_depth_first() -> None:
    card = {
        "response_type": "card",
        "body": [{"response_type": "text", "text": "a"}, load("generic_grid.json")],
        "footer": [load("generic_button_show_panel.json")],
    }
    items = [parse(card), parse({"response_type": "text", "text": "z"})]
    kinds = [i.response_type for i in iter_generic(items)]
    assert kinds == [
        "card",
        "text",
        "grid",
        *["text"] * 4,
        "button",
        "image",
        "text",
        "text",
    ]
