"""Message input/output models: request JSON, lenient parsing, round trips."""

import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watson_async.models import Model, assistants, common, message, session
from watson_async.models.assistants import AssistantCollection, AssistantData
from watson_async.models.common import EmptyResponse, ErrorDetail, ErrorResponse, Pagination
from watson_async.models.context import MessageContext, StatelessMessageContext
from watson_async.models.message import (
    CaptureGroup,
    DialogNodeAction,
    MessageInput,
    MessageInputAttachment,
    MessageInputOptions,
    MessageInputOptionsSpelling,
    MessageOutput,
    MessageOutputDebug,
    RuntimeEntity,
    RuntimeEntityInterpretation,
    RuntimeEntityRole,
    RuntimeIntent,
    StatefulMessageResponse,
    StatelessMessageInput,
    StatelessMessageInputOptions,
    StatelessMessageResponse,
)
from watson_async.models.session import RequestAnalytics, SessionResponse

MODULES = [assistants, common, message, session]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_module_classes_follow_conventions(module: Any) -> None:
    for name in module.__all__:
        cls = getattr(module, name)
        assert issubclass(cls, Model), name
        assert attrs.has(cls), name
        assert cls.__doc__, name
        assert cls.__doc__.strip(), name
        assert cls.__module__ == module.__name__, name


# --- request side ----------------------------------------------------------------------


def test_message_input_to_dict_is_the_request_json() -> None:
    body = MessageInput(
        message_type="text",
        text="Hello",
        options=MessageInputOptions(
            return_context=True,
            debug=False,
            spelling=MessageInputOptionsSpelling(auto_correct=True),
        ),
        analytics=RequestAnalytics(browser="Firefox", page_url="https://example.com/help"),
        attachments=[MessageInputAttachment(url="https://example.com/a.png")],
        intents=[RuntimeIntent(intent="greeting")],
        entities=[RuntimeEntity(entity="city", value="Boston", location=[0, 6])],
    ).to_dict()
    assert body == {
        "message_type": "text",
        "text": "Hello",
        "intents": [{"intent": "greeting"}],
        "entities": [{"entity": "city", "value": "Boston", "location": [0, 6]}],
        "attachments": [{"url": "https://example.com/a.png"}],
        "analytics": {"browser": "Firefox", "pageUrl": "https://example.com/help"},
        "options": {
            "spelling": {"auto_correct": True},
            "debug": False,
            "return_context": True,
        },
    }


def test_empty_request_models_are_empty_objects() -> None:
    assert MessageInput().to_dict() == {}
    assert StatelessMessageInput(text="hi").to_dict() == {"text": "hi"}
    assert MessageInputOptions().to_dict() == {}
    assert RequestAnalytics().to_dict() == {}


def test_stateless_options_have_no_stateful_only_flags() -> None:
    names = {a.name for a in attrs.fields(StatelessMessageInputOptions)}
    assert "return_context" not in names
    assert "export" not in names
    assert {"return_context", "export"} <= {a.name for a in attrs.fields(MessageInputOptions)}
    opts = StatelessMessageInputOptions.from_dict({"debug": True, "return_context": True})
    assert opts.debug is True
    assert opts.extra == {"return_context": True}
    assert opts.to_dict() == {"debug": True, "return_context": True}


def test_request_analytics_page_url_rename() -> None:
    analytics = RequestAnalytics.from_dict({"pageUrl": "https://x", "device": "phone"})
    assert analytics.page_url == "https://x"
    assert analytics.extra is None
    assert analytics.to_dict() == {"device": "phone", "pageUrl": "https://x"}
    # the Python name is not a JSON name: it is an unknown key, kept as such
    odd = RequestAnalytics.from_dict({"page_url": "https://y"})
    assert odd.page_url is None
    assert odd.extra == {"page_url": "https://y"}


@given(
    text=st.text(min_size=1, max_size=50),
    flags=st.lists(st.one_of(st.none(), st.booleans()), min_size=7, max_size=7),
    page_url=st.one_of(st.none(), st.text(max_size=30)),
)
def test_message_input_round_trips(
    text: str, flags: list[bool | None], page_url: str | None
) -> None:
    restart, alt, async_callout, debug, ret, export, auto = flags
    value = MessageInput(
        text=text,
        analytics=RequestAnalytics(page_url=page_url),
        options=MessageInputOptions(
            restart=restart,
            alternate_intents=alt,
            async_callout=async_callout,
            debug=debug,
            return_context=ret,
            export=export,
            spelling=MessageInputOptionsSpelling(auto_correct=auto),
        ),
    )
    data = json.loads(json.dumps(value.to_dict()))
    assert None not in data["options"].values()
    assert MessageInput.from_dict(data) == value


# --- response side ---------------------------------------------------------------------


def test_minimal_stateful_reply() -> None:
    reply = StatefulMessageResponse.from_dict({"output": {}})
    assert reply.output == MessageOutput()
    assert reply.context is None
    assert reply.user_id is None
    assert reply.to_dict() == {"output": {}}


def test_output_is_required() -> None:
    assert attrs.fields(StatefulMessageResponse).output.default is attrs.NOTHING
    assert attrs.fields(StatelessMessageResponse).output.default is attrs.NOTHING
    assert attrs.fields(SessionResponse).session_id.default is attrs.NOTHING
    with pytest.raises(KeyError):
        StatefulMessageResponse.from_dict({"user_id": "u"})
    with pytest.raises(KeyError):
        SessionResponse.from_dict({})


def test_every_other_field_is_optional() -> None:
    required = {
        (cls.__name__, a.name)
        for module in MODULES
        for cls in map(module.__dict__.get, module.__all__)
        for a in attrs.fields(cls)
        if a.default is attrs.NOTHING
    }
    assert required == {
        ("SessionResponse", "session_id"),
        ("StatefulMessageResponse", "output"),
        ("StatelessMessageResponse", "output"),
        # what reply.options builds (never parsed), typed so common use needs no checks
        ("ReplyOption", "label"),
        ("ReplyOption", "value"),
        ("ReplyOptionValue", "input"),
    }


def test_stateless_reply_context_is_optional_and_stateless() -> None:
    reply = StatelessMessageResponse.from_dict({"output": {"generic": []}})
    assert reply.context is None
    with_context = StatelessMessageResponse.from_dict(
        {"output": {}, "context": {"global": {"session_id": "s"}}}
    )
    assert isinstance(with_context.context, StatelessMessageContext)
    stateful = StatefulMessageResponse.from_dict({"output": {}, "context": {}})
    assert isinstance(stateful.context, MessageContext)


def test_json_nulls_are_tolerated_and_dropped() -> None:
    data = {
        "output": {
            "generic": None,
            "intents": [{"intent": "hi", "confidence": None, "skill": None}],
            "entities": [
                {"entity": "e", "value": "v", "groups": None, "role": None, "location": None}
            ],
            "debug": {"turn_events": None, "branch_exited": None},
            "user_defined": {"keep": None},
        },
        "context": None,
        "user_id": None,
    }
    reply = StatefulMessageResponse.from_dict(data)
    assert reply.output.intents == [RuntimeIntent(intent="hi")]
    assert reply.to_dict() == {
        "output": {
            "intents": [{"intent": "hi"}],
            "entities": [{"entity": "e", "value": "v"}],
            "debug": {},
            "user_defined": {"keep": None},  # free-form: nulls stay
        }
    }


def test_missing_identifiers_do_not_break_parsing() -> None:
    """The SDK requires these; a reply without them must still parse."""
    output = MessageOutput.from_dict(
        {
            "intents": [{"confidence": 0.5}],
            "entities": [{"confidence": 0.5, "groups": [{"location": [1, 2]}]}],
            "actions": [{"type": "client"}],
        }
    )
    assert output.intents == [RuntimeIntent(confidence=0.5)]
    assert output.entities[0].groups == [CaptureGroup(location=[1, 2])]
    assert output.actions == [DialogNodeAction(type="client")]


def test_unknown_keys_survive_at_every_level() -> None:
    data = {
        "output": {
            "generic": [{"response_type": "text", "text": "hi"}],
            "entities": [
                {
                    "entity": "sys-date",
                    "value": "2024-01-01",
                    "interpretation": {"granularity": "day", "new_field": 1},
                    "metadata": {"k": "v"},
                }
            ],
            "streaming_metadata": {"response_id": "r"},
        },
        "user_id": "u",
        "new_top_level": [1, 2],
    }
    reply = StatefulMessageResponse.from_dict(data)
    assert reply.extra == {"new_top_level": [1, 2]}
    assert reply.output.extra == {"streaming_metadata": {"response_id": "r"}}
    entity = reply.output.entities[0]
    assert entity.extra == {"metadata": {"k": "v"}}
    assert entity.interpretation == RuntimeEntityInterpretation(
        granularity="day", extra={"new_field": 1}
    )
    assert reply.to_dict() == data


def test_unknown_generic_item_does_not_fail_the_reply() -> None:
    data = {
        "output": {
            "generic": [
                {"response_type": "text", "text": "a"},
                {"response_type": "brand_new_type", "payload": {"x": 1}},
                {"response_type": "text", "text": "b"},
            ]
        }
    }
    reply = StatefulMessageResponse.from_dict(data)
    assert [item.response_type for item in reply.output.generic] == [
        "text",
        "brand_new_type",
        "text",
    ]
    assert reply.to_dict() == data


def test_debug_fields() -> None:
    debug = MessageOutputDebug.from_dict(
        {
            "nodes_visited": [{"dialog_node": "n1", "title": "t", "conditions": "#hi"}],
            "log_messages": [{"level": "warn", "message": "m"}],
            "branch_exited": True,
            "branch_exited_reason": "fallback",
            "turn_events": [{"event": "something_new", "x": 1}],
        }
    )
    assert debug.nodes_visited is not None
    assert debug.nodes_visited[0].dialog_node == "n1"
    assert debug.log_messages is not None
    assert debug.log_messages[0].level == "warn"
    assert debug.branch_exited_reason == "fallback"
    assert debug.turn_events is not None
    assert debug.to_dict()["turn_events"] == [{"event": "something_new", "x": 1}]


def test_entity_interpretation_numbers() -> None:
    entity = RuntimeEntity.from_dict(
        {
            "entity": "sys-number",
            "value": "12",
            "location": [3, 5],
            "interpretation": {"numeric_value": 12, "subtype": "natural"},
            "role": {"type": "number_from"},
            "alternatives": [{"value": "13", "confidence": 0.1}],
        }
    )
    assert entity.interpretation is not None
    assert entity.interpretation.numeric_value == 12.0
    assert entity.role == RuntimeEntityRole(type="number_from")
    assert entity.alternatives is not None
    assert entity.alternatives[0].confidence == 0.1


def test_masked_input_is_a_message_input() -> None:
    reply = StatelessMessageResponse.from_dict(
        {"output": {}, "masked_input": {"text": "my card is ****", "options": {"export": True}}}
    )
    assert reply.masked_input == MessageInput(
        text="my card is ****", options=MessageInputOptions(export=True)
    )


# --- sessions, assistants, errors --------------------------------------------------------


def test_session_response() -> None:
    assert SessionResponse.from_dict({"session_id": "abc"}).session_id == "abc"
    assert SessionResponse(session_id="abc").to_dict() == {"session_id": "abc"}


def test_error_response() -> None:
    data = {
        "error": "Invalid Request Body",
        "code": 400,
        "errors": [{"message": "Required property is missing", "path": ".input"}],
    }
    error = ErrorResponse.from_dict(data)
    assert error == ErrorResponse(
        error="Invalid Request Body",
        code=400,
        errors=[ErrorDetail(message="Required property is missing", path=".input")],
    )
    assert error.to_dict() == data
    assert ErrorResponse.from_dict({"errorCode": "BXNIM0415E"}).extra == {"errorCode": "BXNIM0415E"}


def test_empty_response_keeps_whatever_arrives() -> None:
    assert EmptyResponse.from_dict({}).to_dict() == {}
    assert EmptyResponse.from_dict({"status": "ok"}).extra == {"status": "ok"}


def test_assistant_collection() -> None:
    collection = AssistantCollection.from_dict(
        {
            "assistants": [{"assistant_id": "a1", "language": "en"}],
            "pagination": {"refresh_url": "/v2/assistants?version=x", "total": 1},
        }
    )
    assert collection.assistants == [AssistantData(assistant_id="a1", language="en")]
    assert collection.pagination == Pagination(refresh_url="/v2/assistants?version=x", total=1)
