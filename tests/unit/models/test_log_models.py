"""``list_logs`` models: log events reuse the message shapes; round trips."""

from typing import Any

import attrs
import pytest
from _samples import load

from watson_async.models import Model, logs
from watson_async.models._convert import JSON_NAME
from watson_async.models.context import MessageContext
from watson_async.models.generic import GenericText, GenericUnknown
from watson_async.models.logs import (
    Log,
    LogCollection,
    LogPagination,
    LogRequest,
    LogRequestInput,
    LogResponse,
    LogResponseOutput,
)
from watson_async.models.message import MessageInput, MessageOutput, RuntimeIntent


def classes() -> list[type[Any]]:
    return [getattr(logs, name) for name in logs.__all__]


def json_names(cls: type[Any]) -> set[str]:
    return {a.metadata.get(JSON_NAME, a.name) for a in attrs.fields(cls) if a.name != "extra"}


@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_classes_follow_conventions(cls: type[Any]) -> None:
    assert issubclass(cls, Model)
    assert attrs.has(cls)
    assert cls.__doc__
    assert cls.__doc__.strip()
    assert cls.__module__ == logs.__name__


def test_every_field_is_optional() -> None:
    required = [
        (cls.__name__, a.name)
        for cls in classes()
        for a in attrs.fields(cls)
        if a.default is attrs.NOTHING
    ]
    assert required == []


def test_keys_are_those_of_the_sdk() -> None:
    assert json_names(Log) == {
        "log_id",
        "request",
        "response",
        "assistant_id",
        "session_id",
        "skill_id",
        "snapshot",
        "request_timestamp",
        "response_timestamp",
        "language",
        "customer_id",
    }
    assert json_names(LogCollection) == {"logs", "pagination"}
    assert json_names(LogPagination) == {"next_url", "matched", "next_cursor"}
    assert json_names(LogRequest) == {"input", "context", "user_id"}
    assert json_names(LogResponse) == {"output", "context", "user_id"}


def test_input_and_output_are_the_message_shapes() -> None:
    assert issubclass(LogRequestInput, MessageInput)
    assert issubclass(LogResponseOutput, MessageOutput)
    assert json_names(LogRequestInput) == json_names(MessageInput)
    assert json_names(LogResponseOutput) == json_names(MessageOutput)


def test_sample_round_trips() -> None:
    data = load("list_logs.json")
    collection = LogCollection.from_dict(data)
    assert collection.to_dict() == data
    assert collection.pagination == LogPagination(
        next_url="nextUrl", matched=7, next_cursor="nextCursor"
    )
    assert collection.logs is not None
    log = collection.logs[0]
    assert log.request is not None
    assert type(log.request.input) is LogRequestInput
    assert isinstance(log.request.context, MessageContext)
    assert log.response is not None
    assert type(log.response.output) is LogResponseOutput
    assert log.response.output.intents == [
        RuntimeIntent(intent="intent", confidence=10, skill="skill")
    ]
    assert (log.request_timestamp, log.response_timestamp) == (
        "requestTimestamp",
        "responseTimestamp",
    )


def test_log_request_input_converts_to_a_message_input() -> None:
    logged = LogRequestInput.from_dict({"text": "hi", "options": {"return_context": True}})
    again = MessageInput.from_dict(logged.to_dict())
    assert again.to_dict() == {"text": "hi", "options": {"return_context": True}}


def test_minimal_and_partial_logs_parse() -> None:
    page = LogCollection.from_dict(
        {
            "logs": [
                {},
                {"log_id": "l1", "response": {"output": {}}},
                {"log_id": "l2", "request": {"input": {"text": "****"}}, "snapshot": None},
            ],
        }
    )
    assert page.logs == [
        Log(),
        Log(log_id="l1", response=LogResponse(output=LogResponseOutput())),
        Log(log_id="l2", request=LogRequest(input=LogRequestInput(text="****"))),
    ]
    assert page.pagination is None
    assert LogCollection.from_dict({}).to_dict() == {}


def test_unknown_generic_items_and_keys_survive() -> None:
    data = {
        "log_id": "l",
        "response": {
            "output": {
                "generic": [
                    {"response_type": "text", "text": "a"},
                    {"response_type": "carousel", "items": [{"title": "t"}]},
                ]
            },
            "user_id": "u",
            "new_key": True,
        },
        "request": {"input": {"text": "x", "new_input_key": 1}},
        "integration": "web_chat",
    }
    log = Log.from_dict(data)
    assert log.extra == {"integration": "web_chat"}
    assert log.response is not None
    assert log.response.extra == {"new_key": True}
    assert log.response.output is not None
    assert log.response.output.generic is not None
    assert [type(item) for item in log.response.output.generic] == [GenericText, GenericUnknown]
    assert log.to_dict() == data


def test_pagination_with_next_page() -> None:
    page = LogCollection.from_dict(
        {
            "logs": [],
            "pagination": {
                "next_url": "/v2/assistants/a/logs?cursor=c2&version=2024-08-25",
                "next_cursor": "c2",
            },
        }
    )
    assert page.logs == []
    assert page.pagination is not None
    assert page.pagination.next_cursor == "c2"
    assert page.pagination.matched is None
