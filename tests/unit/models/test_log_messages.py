"""``output.debug.log_messages[]`` and the ``source`` union keyed by ``type``."""

from typing import Any

import pytest
from _samples import RESPONSES, assert_round_trip, load

from watson_async.models._convert import converter
from watson_async.models.log_messages import (
    DialogLogMessage,
    LogMessageSource,
    LogMessageSourceAction,
    LogMessageSourceDialogNode,
    LogMessageSourceHandler,
    LogMessageSourceStep,
    LogMessageSourceUnknown,
)

# A union alias is not a ``type[T]`` for mypy; hand it to cattrs as ``Any``.
_UNION: Any = LogMessageSource


def parse_source(value: Any) -> Any:
    return converter.structure(value, _UNION)


SAMPLES = {
    "log_message_source_action.json": LogMessageSourceAction,
    "log_message_source_dialog_node.json": LogMessageSourceDialogNode,
    "log_message_source_handler.json": LogMessageSourceHandler,
    "log_message_source_step.json": LogMessageSourceStep,
}


def test_every_source_sample_is_covered() -> None:
    assert {p.name for p in RESPONSES.glob("log_message_source_*.json")} == set(SAMPLES)


@pytest.mark.parametrize(("name", "cls"), sorted(SAMPLES.items()))
def test_source_sample_parses_to_class_and_round_trips(name: str, cls: type[Any]) -> None:
    data = load(name)
    source = parse_source(data)
    assert type(source) is cls
    assert source.type == data["type"]
    assert source.extra is None
    assert source.to_dict() == data
    # inside a log message too
    message = {"level": "warn", "message": "m", "code": "c", "source": data}
    assert DialogLogMessage.from_dict(message).to_dict() == message


def test_source_fields() -> None:
    handler = parse_source(load("log_message_source_handler.json"))
    assert handler == LogMessageSourceHandler(
        type="handler", action="testString", step="testString", handler="testString"
    )
    step = parse_source(load("log_message_source_step.json"))
    assert step == LogMessageSourceStep(type="step", action="testString", step="testString")
    node = parse_source(load("log_message_source_dialog_node.json"))
    assert node == LogMessageSourceDialogNode(type="dialog_node", dialog_node="testString")


def test_log_messages_in_full_responses_round_trip() -> None:
    seen = 0
    names = sorted(p.name for p in RESPONSES.glob("message_*.json"))
    for name in [*names, "legacy_mixed_generic_java_fixture.json"]:
        data = load(name)
        for output_key in ("output", "masked_output"):
            raw = data.get(output_key, {}).get("debug", {}).get("log_messages")
            if raw is None:
                continue
            messages = converter.structure(raw, list[DialogLogMessage])
            assert all(m.level == "info" for m in messages)
            assert_round_trip(raw, [m.to_dict() for m in messages])
            seen += len(messages)
    assert seen >= 5


def test_log_message_from_full_response() -> None:
    raw = load("message_stateful_full.json")["output"]["debug"]["log_messages"][0]
    message = DialogLogMessage.from_dict(raw)
    assert (message.level, message.message, message.code) == ("info", "message", "code")
    assert message.source == LogMessageSourceDialogNode(
        type="dialog_node", dialog_node="dialogNode"
    )


def test_legacy_message_without_code_or_source() -> None:
    message = DialogLogMessage.from_dict({"level": "info", "message": "message"})
    assert message.code is None
    assert message.source is None
    assert message.to_dict() == {"level": "info", "message": "message"}


def test_null_source_is_none() -> None:
    data = {"level": "error", "message": "m", "code": "c", "source": None}
    message = DialogLogMessage.from_dict(data)
    assert message.source is None
    assert_round_trip(data, message.to_dict())


def test_unknown_source_type_keeps_the_whole_source() -> None:
    data = {
        "level": "error",
        "message": "m",
        "code": "c",
        "source": {"type": "extension", "extension": "ext-1", "operation": {"id": 7}},
    }
    message = DialogLogMessage.from_dict(data)
    assert isinstance(message.source, LogMessageSourceUnknown)
    assert message.source.type == "extension"
    assert message.source.extra == {"extension": "ext-1", "operation": {"id": 7}}
    assert message.to_dict() == data


def test_unknown_keys_survive_round_trip() -> None:
    data = {
        "level": "warn",
        "message": "m",
        "code": "c",
        "timestamp": "2025-01-01T00:00:00Z",
        "source": {"type": "step", "action": "a", "step": "s", "handler": "h2"},
    }
    message = DialogLogMessage.from_dict(data)
    assert message.extra == {"timestamp": "2025-01-01T00:00:00Z"}
    assert isinstance(message.source, LogMessageSourceStep)
    assert message.source.extra == {"handler": "h2"}
    assert message.to_dict() == data


@pytest.mark.parametrize("bad", ["dialog_node", 5, ["type"]])
def test_non_object_source_raises_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="JSON object"):
        parse_source(bad)
    with pytest.raises(TypeError, match="JSON object"):
        DialogLogMessage.from_dict({"level": "info", "source": bad})


@pytest.mark.parametrize("bad", ["info", None, 3])
def test_non_object_message_raises_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="DialogLogMessage expects a JSON object"):
        converter.structure([bad], list[DialogLogMessage])
