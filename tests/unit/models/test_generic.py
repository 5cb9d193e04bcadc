"""``output.generic[]`` items: dispatch on ``response_type``, field values, round trips."""

from typing import Any

import attrs
import pytest
from _samples import RESPONSES, assert_round_trip, load
from hypothesis import given
from hypothesis import strategies as st

from watson_async.models._convert import converter
from watson_async.models.generic import (
    GenericAudio,
    GenericButton,
    GenericCard,
    GenericCarousel,
    GenericChannelTransfer,
    GenericConnectToAgent,
    GenericConversationalSearch,
    GenericDate,
    GenericDtmf,
    GenericEndSession,
    GenericGrid,
    GenericIframe,
    GenericImage,
    GenericOption,
    GenericPause,
    GenericSearch,
    GenericSpeechToText,
    GenericStartActivities,
    GenericStopActivities,
    GenericSuggestion,
    GenericTable,
    GenericText,
    GenericTextToSpeech,
    GenericUnknown,
    GenericUserDefined,
    GenericVideo,
    ResponseGenericChannel,
    RuntimeResponseGeneric,
)

# A union alias is not a ``type[T]`` for mypy; hand it to cattrs as ``Any``.
_UNION: Any = RuntimeResponseGeneric


def parse(item: Any) -> Any:
    return converter.structure(item, _UNION)


def parse_list(items: Any) -> list[Any]:
    return converter.structure(items, list[_UNION])


SAMPLES = {
    "generic_audio.json": GenericAudio,
    "generic_channel_transfer.json": GenericChannelTransfer,
    "generic_connect_to_agent.json": GenericConnectToAgent,
    "generic_conversational_search.json": GenericConversationalSearch,
    "generic_conversational_search_sdk.json": GenericConversationalSearch,
    "generic_date.json": GenericDate,
    "generic_dtmf.json": GenericDtmf,
    "generic_end_session.json": GenericEndSession,
    "generic_iframe.json": GenericIframe,
    "generic_image.json": GenericImage,
    "generic_option.json": GenericOption,
    "generic_pause.json": GenericPause,
    "generic_search.json": GenericSearch,
    "generic_suggestion.json": GenericSuggestion,
    "generic_text.json": GenericText,
    "generic_user_defined.json": GenericUserDefined,
    "generic_video.json": GenericVideo,
    "generic_button_custom_event.json": GenericButton,
    "generic_button_post_back.json": GenericButton,
    "generic_button_show_panel.json": GenericButton,
    "generic_button_url.json": GenericButton,
    "generic_card.json": GenericCard,
    "generic_carousel.json": GenericCarousel,
    "generic_grid.json": GenericGrid,
    "generic_table_synthesized.json": GenericTable,
    "generic_speech_to_text.json": GenericSpeechToText,
    "generic_text_to_speech.json": GenericTextToSpeech,
    "generic_start_activities.json": GenericStartActivities,
    "generic_stop_activities.json": GenericStopActivities,
}


def test_every_generic_sample_is_covered() -> None:
    assert {p.name for p in RESPONSES.glob("generic_*.json")} == set(SAMPLES)


@pytest.mark.parametrize(("name", "cls"), sorted(SAMPLES.items()))
def test_sample_parses_to_class_and_round_trips(name: str, cls: type[Any]) -> None:
    data = load(name)
    item = parse(data)
    assert type(item) is cls
    assert item.response_type == data["response_type"]
    assert_round_trip(data, item.to_dict())
    # the class itself parses the item the same way as the union
    assert cls.from_dict(data) == item


def test_modelled_samples_have_no_unknown_keys() -> None:
    """Every key of the SDK-shaped samples is a known field (nothing lands in ``extra``)."""

    def extras(obj: Any, path: str) -> list[str]:
        found: list[str] = []
        if isinstance(obj, list):
            for i, x in enumerate(obj):
                found += extras(x, f"{path}[{i}]")
        elif attrs.has(type(obj)):
            if obj.extra:
                found.append(f"{path}: {sorted(obj.extra)}")
            for a in attrs.fields(type(obj)):
                if a.name != "extra":
                    found += extras(getattr(obj, a.name), f"{path}.{a.name}")
        return found

    leftovers: list[str] = []
    for name, cls in SAMPLES.items():
        if cls is not GenericUnknown:
            leftovers += extras(parse(load(name)), name)
    # SearchResultHighlight carries dynamic keys by design ("foo" in the SDK mock).
    assert leftovers == [
        "generic_search.json.primary_results[0].highlight: ['foo']",
        "generic_search.json.additional_results[0].highlight: ['foo']",
    ]


def test_text_fields() -> None:
    item = parse(load("generic_text.json"))
    assert isinstance(item, GenericText)
    assert item.text == "testString"
    assert item.channels == [ResponseGenericChannel(channel="testString")]


def test_pause_and_media_fields() -> None:
    pause = parse(load("generic_pause.json"))
    assert isinstance(pause, GenericPause)
    assert (pause.time, pause.typing) == (38, True)

    audio = parse(load("generic_audio.json"))
    assert isinstance(audio, GenericAudio)
    assert audio.source == "testString"
    assert audio.alt_text == "testString"
    assert audio.channel_options == {"anyKey": "anyValue"}

    iframe = parse(load("generic_iframe.json"))
    assert isinstance(iframe, GenericIframe)
    assert iframe.image_url == "testString"


def test_option_fields() -> None:
    item = parse(load("generic_option.json"))
    assert isinstance(item, GenericOption)
    assert item.preference == "dropdown"
    assert item.options is not None
    option = item.options[0]
    assert option.label == "testString"
    assert option.value is not None
    assert option.value.input is not None
    assert option.value.input["text"] == "testString"
    assert option.value.input["analytics"]["pageUrl"] == "testString"


def test_suggestion_fields() -> None:
    item = parse(load("generic_suggestion.json"))
    assert isinstance(item, GenericSuggestion)
    assert item.suggestions is not None
    assert item.suggestions[0].output == {"anyKey": "anyValue"}
    assert item.suggestions[0].value is not None
    assert item.suggestions[0].value.input is not None
    assert item.suggestions[0].value.input["suggestion_id"] == "testString"


def test_connect_to_agent_and_channel_transfer_fields() -> None:
    agent = parse(load("generic_connect_to_agent.json"))
    assert isinstance(agent, GenericConnectToAgent)
    assert agent.message_to_human_agent == "testString"
    assert agent.agent_available is not None
    assert agent.agent_available.message == "testString"
    assert agent.transfer_info is not None
    assert agent.transfer_info.target == {"key1": {"anyKey": "anyValue"}}
    assert agent.topic == "testString"

    transfer = parse(load("generic_channel_transfer.json"))
    assert isinstance(transfer, GenericChannelTransfer)
    assert transfer.message_to_user == "testString"
    assert transfer.transfer_info is not None
    assert transfer.transfer_info.target is not None
    assert transfer.transfer_info.target.chat is not None
    assert transfer.transfer_info.target.chat.url == "testString"


def test_search_fields() -> None:
    item = parse(load("generic_search.json"))
    assert isinstance(item, GenericSearch)
    assert item.header == "testString"
    assert item.primary_results is not None
    result = item.primary_results[0]
    assert result.result_metadata is not None
    assert result.result_metadata.confidence == 72.5
    assert result.highlight is not None
    assert result.highlight.body == ["testString"]
    assert result.highlight.extra == {"foo": ["testString"]}
    assert result.answers is not None
    assert result.answers[0].confidence == 0


def test_conversational_search_fields() -> None:
    item = parse(load("generic_conversational_search_sdk.json"))
    assert isinstance(item, GenericConversationalSearch)
    assert item.citations_title == "citationsTitle"
    assert item.citations is not None
    assert item.citations[0].search_result_index == 17
    assert item.citations[0].ranges is not None
    assert (item.citations[0].ranges[0].start, item.citations[0].ranges[0].end) == (5, 3)
    assert item.confidence_scores is not None
    assert item.confidence_scores.extractiveness == 14
    assert item.response_length_option == "responseLengthOption"
    assert item.search_results is not None
    assert item.search_results[0].result_metadata is not None
    assert item.search_results[0].result_metadata.document_retrieval_source == (
        "documentRetrievalSource"
    )
    assert item.disclaimer == "disclaimer"


def test_both_conversational_search_spellings_give_the_same_class() -> None:
    sdk = parse(load("generic_conversational_search_sdk.json"))
    web = parse(load("generic_conversational_search.json"))
    assert type(sdk) is type(web) is GenericConversationalSearch
    assert (sdk.response_type, web.response_type) == (
        "conversation_search",
        "conversational_search",
    )
    assert attrs.evolve(sdk, response_type="conversational_search") == web


def test_phone_items() -> None:
    dtmf = parse(load("generic_dtmf.json"))
    assert isinstance(dtmf, GenericDtmf)
    assert dtmf.command_info is not None
    assert dtmf.command_info.type == "collect"
    assert dtmf.command_info.parameters == {
        "termination_key": "#",
        "count": 16,
        "ignore_speech": True,
    }

    end = parse(load("generic_end_session.json"))
    assert isinstance(end, GenericEndSession)
    assert end.channel_options is not None
    assert end.channel_options["voice_telephony"]["sip"]["headers"][0]["name"] == (
        "Customer-Header1"
    )


def test_user_defined_and_date() -> None:
    item = parse(load("generic_user_defined.json"))
    assert isinstance(item, GenericUserDefined)
    assert item.user_defined == {"anyKey": "anyValue"}
    assert parse({"response_type": "date"}) == GenericDate(response_type="date")


def test_unknown_response_type_keeps_the_whole_item() -> None:
    # web chat's MessageResponseTypes has inline_error; IBM's reference does not document it
    data = {"response_type": "inline_error", "debug": {"text": "boom"}, "items": [1]}
    item = parse(data)
    assert isinstance(item, GenericUnknown)
    assert item.extra == {k: v for k, v in data.items() if k != "response_type"}
    assert item.to_dict() == data


def _generic_lists() -> list[tuple[str, str, Any]]:
    """Every ``generic`` array in the full-response samples, with where it was found."""
    found: list[tuple[str, str, Any]] = []

    def walk(obj: Any, path: str, name: str) -> None:
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key == "generic" and isinstance(value, list) and ".output" in path[-14:]:
                    found.append((name, f"{path}.{key}", value))
                else:
                    walk(value, f"{path}.{key}", name)
        elif isinstance(obj, list):
            for i, value in enumerate(obj):
                walk(value, f"{path}[{i}]", name)

    names = ["legacy_mixed_generic_java_fixture.json"]
    names += sorted(p.name for p in RESPONSES.glob("message_*.json"))
    names += sorted(p.name for p in RESPONSES.glob("synth_stream_*.json"))
    for name in names:
        walk(load(name), "$", name)
    return found


GENERIC_LISTS = _generic_lists()


def test_full_responses_have_generic_lists() -> None:
    assert len(GENERIC_LISTS) >= 20


@pytest.mark.parametrize(
    ("name", "path", "items"), GENERIC_LISTS, ids=[f"{n}:{p}" for n, p, _ in GENERIC_LISTS]
)
def test_generic_lists_in_full_responses_round_trip(name: str, path: str, items: Any) -> None:
    parsed = parse_list(items)
    assert len(parsed) == len(items)
    for raw, item in zip(items, parsed, strict=True):
        assert item.response_type == raw["response_type"]
        if raw["response_type"] in ("conversation_search", "conversational_search"):
            assert isinstance(item, GenericConversationalSearch)
        else:
            assert not isinstance(item, GenericUnknown), raw["response_type"]
    assert_round_trip(items, [item.to_dict() for item in parsed])


def test_docs_search_results_key_is_kept_as_extra() -> None:
    item = parse(load("message_docs_search_results_key.json")["output"]["generic"][0])
    assert isinstance(item, GenericSearch)
    assert item.primary_results is None
    assert item.extra is not None
    results = item.extra["results"]
    assert results[0]["highlight"]["Shortdesc"]


def test_docs_suggestion_extra_keys_survive() -> None:
    data = load("message_docs_suggestion.json")["output"]["generic"][0]
    item = parse(data)
    assert isinstance(item, GenericSuggestion)
    assert item.suggestions is not None
    suggestion = item.suggestions[0]
    assert suggestion.extra == {"source_dialog_node": "root"}
    assert suggestion.value is not None
    assert suggestion.value.extra is not None
    assert set(suggestion.value.extra) == {"intents", "entities"}
    assert item.to_dict() == data


def test_legacy_mixed_item_keeps_foreign_fields() -> None:
    data = load("legacy_mixed_generic_java_fixture.json")["output"]["generic"][0]
    item = parse(data)
    assert isinstance(item, GenericText)
    assert item.text == "text"
    assert item.extra is not None
    assert {"time", "typing", "options", "suggestions", "message_to_human_agent"} <= set(item.extra)
    assert item.to_dict() == data


def test_stream_item_streaming_metadata_is_kept() -> None:
    data = load("synth_stream_final_response_stateful.json")
    raw = data["final_response"]["output"]["generic"][0]
    item = parse(raw)
    assert isinstance(item, GenericText)
    assert item.extra == {"streaming_metadata": {"id": 1}}
    assert item.to_dict() == raw


def test_unknown_keys_in_known_item_survive_round_trip() -> None:
    data = {
        "response_type": "option",
        "title": "Pick",
        "new_top_level": {"a": [1, 2, None]},
        "options": [
            {
                "label": "One",
                "value": {"input": {"text": "one"}, "new_in_value": True},
                "new_in_option": "x",
            }
        ],
        "channels": [{"channel": "chat", "new_in_channel": 1}],
    }
    item = parse(data)
    assert isinstance(item, GenericOption)
    assert item.extra == {"new_top_level": {"a": [1, 2, None]}}
    assert item.to_dict() == data


def test_explicit_null_optionals_are_dropped() -> None:
    data = {"response_type": "image", "source": "s", "title": None, "channels": None}
    item = parse(data)
    assert item == GenericImage(response_type="image", source="s")
    assert item.to_dict() == {"response_type": "image", "source": "s"}
    assert_round_trip(data, item.to_dict())


def test_missing_optional_fields_do_not_fail() -> None:
    """The SDK marks ``text``, ``options``, ``source`` ... as required; we never do."""
    cases: list[tuple[str, type[Any]]] = [
        ("text", GenericText),
        ("option", GenericOption),
        ("search", GenericSearch),
        ("image", GenericImage),
        ("channel_transfer", GenericChannelTransfer),
        ("conversation_search", GenericConversationalSearch),
    ]
    for response_type, cls in cases:
        item = parse({"response_type": response_type})
        assert type(item) is cls
        assert item.to_dict() == {"response_type": response_type}


def test_built_item_serialises() -> None:
    item = GenericText(response_type="text", text="Hi", channels=[ResponseGenericChannel()])
    assert item.to_dict() == {"response_type": "text", "text": "Hi", "channels": [{}]}


@pytest.mark.parametrize("bad", ["text", 3, None, ["response_type", "text"]])
def test_non_object_item_raises_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="JSON object"):
        parse(bad)
    with pytest.raises(TypeError, match="JSON object"):
        parse_list([{"response_type": "text", "text": "ok"}, bad])


def test_non_object_nested_value_raises_type_error() -> None:
    with pytest.raises(TypeError, match="ResponseGenericChannel expects a JSON object"):
        parse({"response_type": "text", "channels": ["chat"]})


# --------------------------------------------------------------------------- hypothesis

# "extra" is deliberately not excluded: a JSON key named "extra" is just another unknown key.
_KNOWN_TEXT_KEYS = {a.name for a in attrs.fields(GenericText)} - {"extra"}
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_extra_keys = st.dictionaries(
    st.text(max_size=12).filter(lambda k: k not in _KNOWN_TEXT_KEYS),
    _json_values,
    max_size=6,
)


@given(extra=_extra_keys, text=st.text(max_size=20))
def test_extra_keys_on_known_item_survive_round_trip(extra: dict[str, Any], text: str) -> None:
    data = {"response_type": "text", "text": text, "channels": [{"channel": "chat"}], **extra}
    item = parse(data)
    assert isinstance(item, GenericText)
    assert item.text == text
    assert (item.extra or {}) == extra
    assert item.to_dict() == data


@given(extra=_extra_keys)
def test_extra_keys_on_nested_shapes_survive_round_trip(extra: dict[str, Any]) -> None:
    known = {"id", "result_metadata", "body", "title", "url", "highlight", "answers"}
    nested_extra = {k: v for k, v in extra.items() if k not in known}
    data = {
        "response_type": "search",
        "header": "h",
        "primary_results": [{"id": "1", "result_metadata": {"score": 0.5}, **nested_extra}],
        "additional_results": [],
    }
    assert parse(data).to_dict() == data
