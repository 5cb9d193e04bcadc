"""``message_stream*`` frames: dispatch on the key present, items, final responses."""

import json
from typing import Any

import attrs
import pytest
from _samples import RESPONSES, load
from hypothesis import given
from hypothesis import strategies as st

from watson_async.models import Model, stream
from watson_async.models._convert import converter
from watson_async.models.context import MessageContext, StatelessMessageContext
from watson_async.models.generic import GenericOption, GenericText, GenericUnknown
from watson_async.models.message import MessageInput, MessageOutput
from watson_async.models.stream import (
    CompleteItem,
    FinalResponse,
    FinalResponseOutput,
    MessageStreamCompleteItem,
    MessageStreamMetadata,
    MessageStreamPartialItem,
    MessageStreamResponse,
    MessageStreamUnknown,
    Metadata,
    PartialItem,
    StatefulMessageStreamFinalResponse,
    StatelessFinalResponse,
    StatelessFinalResponseOutput,
    StatelessMessageStreamFinalResponse,
    StatelessMessageStreamResponse,
)

# Union aliases are not ``type[T]`` for mypy; hand them to cattrs as ``Any``.
_STATEFUL: Any = MessageStreamResponse
_STATELESS: Any = StatelessMessageStreamResponse
UNIONS = {"stateful": _STATEFUL, "stateless": _STATELESS}


def frame(value: Any, union: Any = _STATEFUL) -> Any:
    return converter.structure(value, union)


def classes() -> list[type[Any]]:
    return [c for c in map(stream.__dict__.get, stream.__all__) if isinstance(c, type)]


@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_classes_follow_conventions(cls: type[Any]) -> None:
    assert issubclass(cls, Model)
    assert attrs.has(cls)
    assert cls.__doc__
    assert cls.__doc__.strip()
    assert cls.__module__ == stream.__name__


def test_all_lists_the_classes_and_the_two_unions() -> None:
    others = set(stream.__all__) - {c.__name__ for c in classes()}
    assert others == {"MessageStreamResponse", "StatelessMessageStreamResponse"}


def test_only_the_key_that_selects_a_frame_is_required() -> None:
    # The union picks a frame class by its key, so that payload is never None there
    # (issue 17 item 4: ``frame.partial_item.text`` needs no ``is not None`` check).
    required = [
        (cls.__name__, a.name)
        for cls in classes()
        for a in attrs.fields(cls)
        if a.default is attrs.NOTHING
    ]
    assert sorted(required) == [
        ("MessageStreamCompleteItem", "complete_item"),
        ("MessageStreamPartialItem", "partial_item"),
        ("PartialItem", "text"),  # required by IBM's SDK too: a chunk is its text
        ("StatefulMessageStreamFinalResponse", "final_response"),
        ("StatelessMessageStreamFinalResponse", "final_response"),
    ]


@pytest.mark.parametrize("union", sorted(UNIONS))
@pytest.mark.parametrize("key", ["partial_item", "complete_item", "final_response"])
def test_a_null_payload_is_an_unknown_frame(union: str, key: str) -> None:
    parsed = frame({key: None}, UNIONS[union])
    assert type(parsed) is MessageStreamUnknown
    assert parsed.extra == {key: None}


# --- dispatch -------------------------------------------------------------------------------


SAMPLES = {
    "synth_stream_partial_item.json": ("stateful", MessageStreamPartialItem),
    "synth_stream_complete_item.json": ("stateful", MessageStreamCompleteItem),
    "synth_stream_final_response_stateful.json": ("stateful", StatefulMessageStreamFinalResponse),
    "synth_stream_final_response_stateless.json": (
        "stateless",
        StatelessMessageStreamFinalResponse,
    ),
}


def test_every_stream_sample_is_covered() -> None:
    assert {p.name for p in RESPONSES.glob("synth_stream_*.json")} == set(SAMPLES)


@pytest.mark.parametrize(("name", "expected"), sorted(SAMPLES.items()))
def test_samples_parse_to_their_frame_and_round_trip(
    name: str, expected: tuple[str, type[Any]]
) -> None:
    union, cls = expected
    data = load(name)
    parsed = frame(data, UNIONS[union])
    assert type(parsed) is cls
    assert parsed.extra is None
    assert parsed.to_dict() == data


@pytest.mark.parametrize("union", sorted(UNIONS))
def test_items_are_the_same_frames_in_both_unions(union: str) -> None:
    partial = frame(load("synth_stream_partial_item.json"), UNIONS[union])
    complete = frame(load("synth_stream_complete_item.json"), UNIONS[union])
    assert type(partial) is MessageStreamPartialItem
    assert type(complete) is MessageStreamCompleteItem


def test_final_response_class_depends_on_the_union() -> None:
    data = load("synth_stream_final_response_stateless.json")
    stateful = frame(data, _STATEFUL)
    stateless = frame(data, _STATELESS)
    assert type(stateful) is StatefulMessageStreamFinalResponse
    assert type(stateless) is StatelessMessageStreamFinalResponse
    assert isinstance(stateful.final_response.context, MessageContext)
    assert isinstance(stateless.final_response.context, StatelessMessageContext)
    assert type(stateless.final_response.output) is StatelessFinalResponseOutput
    assert stateful.to_dict() == stateless.to_dict() == data


@pytest.mark.parametrize("union", sorted(UNIONS))
def test_unknown_frames_are_kept(union: str) -> None:
    data = {"heartbeat": {"ts": 1}, "other": [1, 2]}
    parsed = frame(data, UNIONS[union])
    assert type(parsed) is MessageStreamUnknown
    assert parsed.extra == data
    assert parsed.to_dict() == data
    empty = frame({}, UNIONS[union])
    assert type(empty) is MessageStreamUnknown
    assert empty.to_dict() == {}


def test_key_order_decides_when_several_keys_are_present() -> None:
    parsed = frame({"final_response": {}, "partial_item": {"text": "x"}})
    assert type(parsed) is MessageStreamPartialItem
    assert parsed.extra == {"final_response": {}}


def test_non_object_frames() -> None:
    with pytest.raises(TypeError):
        frame([{"partial_item": {}}])
    with pytest.raises(TypeError):
        frame("data: {}")
    assert converter.structure(None, MessageStreamResponse | None) is None


# --- items ----------------------------------------------------------------------------------


def test_partial_items_join_by_stream_id() -> None:
    frames = [
        {"partial_item": {"response_type": "text", "text": "Hel", "streaming_metadata": {"id": 1}}},
        {"partial_item": {"response_type": "text", "text": "lo", "streaming_metadata": {"id": 1}}},
        {"partial_item": {"response_type": "text", "text": "Bye", "streaming_metadata": {"id": 2}}},
    ]
    texts: dict[int | None, str] = {}
    for raw in frames:
        parsed = frame(raw)
        assert isinstance(parsed, MessageStreamPartialItem)
        item = parsed.partial_item
        assert item is not None
        assert item.streaming_metadata is not None
        key = item.streaming_metadata.id
        texts[key] = texts.get(key, "") + (item.text or "")
    assert texts == {1: "Hello", 2: "Bye"}


def test_complete_item_keeps_the_whole_generic_item() -> None:
    data = {
        "response_type": "option",
        "title": "Pick one",
        "options": [{"label": "A", "value": {"input": {"text": "a"}}}],
        "streaming_metadata": {"id": 3},
    }
    item = CompleteItem.from_dict(data)
    assert item.response_type == "option"
    assert item.text is None
    assert item.streaming_metadata == Metadata(id=3)
    assert item.extra == {"title": "Pick one", "options": data["options"]}
    assert item.to_dict() == data
    generic = item.as_generic()
    assert type(generic) is GenericOption
    assert generic.title == "Pick one"
    assert generic.extra == {"streaming_metadata": {"id": 3}}
    assert generic.to_dict() == data


def test_complete_item_as_generic() -> None:
    text = CompleteItem(response_type="text", text="hi", streaming_metadata=Metadata(id=1))
    generic = text.as_generic()
    assert generic == GenericText(
        response_type="text", text="hi", extra={"streaming_metadata": {"id": 1}}
    )
    assert type(CompleteItem(response_type="new_kind").as_generic()) is GenericUnknown
    with pytest.raises(TypeError):
        CompleteItem(text="no response_type").as_generic()


@given(
    response_type=st.one_of(st.none(), st.sampled_from(["text", "conversational_search"])),
    text=st.text(max_size=40),
    item_id=st.one_of(st.none(), st.integers(min_value=0, max_value=2**31)),
)
def test_partial_item_round_trips(
    response_type: str | None, text: str, item_id: int | None
) -> None:
    item = PartialItem(
        response_type=response_type, text=text, streaming_metadata=Metadata(id=item_id)
    )
    raw = json.loads(json.dumps(MessageStreamPartialItem(partial_item=item).to_dict()))
    parsed = frame(raw)
    assert parsed == MessageStreamPartialItem(partial_item=item)


# --- final responses --------------------------------------------------------------------------


def test_final_output_is_a_message_output_with_stream_metadata() -> None:
    assert issubclass(FinalResponseOutput, MessageOutput)
    assert issubclass(StatelessFinalResponseOutput, MessageOutput)
    for cls in (FinalResponseOutput, StatelessFinalResponseOutput):
        field = attrs.fields_dict(cls)["streaming_metadata"]
        assert field.type == MessageStreamMetadata | None


def test_stateful_final_response_values() -> None:
    parsed = frame(load("synth_stream_final_response_stateful.json"))
    final = parsed.final_response
    assert type(final) is FinalResponse
    assert type(final.output) is FinalResponseOutput
    assert final.output.streaming_metadata == MessageStreamMetadata(
        streaming_metadata=Metadata(id=1)
    )
    assert final.output.intents == []
    assert type(final.output.generic[0]) is GenericText
    assert final.context is None


def test_stateless_final_response_values() -> None:
    parsed = frame(load("synth_stream_final_response_stateless.json"), _STATELESS)
    final = parsed.final_response
    assert type(final) is StatelessFinalResponse
    assert final.context.global_.session_id == "b8a1f0a2-0000-4000-8000-000000000001"
    assert final.context.global_.system.turn_count == 1
    assert final.user_id == "user-123"


def test_masked_fields_and_unknown_keys() -> None:
    data = {
        "final_response": {
            "output": {"generic": [], "streaming_metadata": {"streaming_metadata": {"id": 0}}},
            "masked_output": {"generic": [{"response_type": "text", "text": "****"}]},
            "masked_input": {"text": "my pin is ****"},
            "future_key": {"a": 1},
        }
    }
    for union in UNIONS.values():
        final = frame(data, union).final_response
        assert isinstance(final.masked_output, MessageOutput)
        assert final.masked_input == MessageInput(text="my pin is ****")
        assert final.extra == {"future_key": {"a": 1}}
        assert final.to_dict() == data["final_response"]


def test_streaming_metadata_of_another_shape_still_parses() -> None:
    """A flat ``{"id": ...}`` (not nested twice) is kept, as an unknown key."""
    data = {"final_response": {"output": {"streaming_metadata": {"id": 7}}}}
    final = frame(data).final_response
    assert final.output.streaming_metadata == MessageStreamMetadata(extra={"id": 7})
    assert frame(data).to_dict() == data
