"""The webhook models parse IBM's samples (tests/conformance/webhooks) and write them
back unchanged, unknown keys included."""

from __future__ import annotations

from typing import Any

import pytest
from _samples import WEBHOOKS, assert_round_trip, load

from watson_async.models import GenericText, Log, StatelessMessageResponse
from watson_async.webhooks import (
    LogEvent,
    PostMessageReply,
    PostMessageRequest,
    PreMessageReply,
    PreMessageRequest,
)

MODELS: dict[str, Any] = {
    "pre_message_request.json": PreMessageRequest,
    "pre_message_reply.json": PreMessageReply,
    "pre_message_reply_translated.json": PreMessageReply,
    # SkipAssistant's response, as the docs' example sends it (no envelope)
    "pre_message_skip_reply.json": StatelessMessageResponse,
    "post_message_request.json": PostMessageRequest,
    "post_message_reply.json": PostMessageReply,
    "log_cdr_logged.json": LogEvent,
    "log_message_logged.json": LogEvent,
}


def test_every_sample_is_accounted() -> None:
    assert {p.name for p in WEBHOOKS.glob("*.json")} == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sample_round_trips(name: str) -> None:
    data = load(name, WEBHOOKS)
    assert_round_trip(data, MODELS[name].from_dict(data).to_dict())


def test_the_samples_read_as_typed_models() -> None:
    pre = PreMessageRequest.from_dict(load("pre_message_request.json", WEBHOOKS))
    assert pre.event is not None
    assert pre.event.name == "message_received"
    assert pre.payload.input is not None
    assert pre.payload.input.text == "Buenos días"
    post = PostMessageRequest.from_dict(load("post_message_request.json", WEBHOOKS))
    assert post.options == {}
    assert post.payload.text == "Hello. Good evening"
    assert post.payload.context is not None
    assert post.payload.context.global_ is not None
    assert post.payload.context.global_.session_id == "sxxx"
    reply = PostMessageReply.from_dict(load("post_message_reply.json", WEBHOOKS))
    assert isinstance((reply.payload.output.generic or [])[0], GenericText)
    skip = StatelessMessageResponse.from_dict(load("pre_message_skip_reply.json", WEBHOOKS))
    assert skip.text == "This response is directly from the pre-message webhook."


def test_a_log_event_reads_as_a_message_log_or_a_cdr() -> None:
    message = LogEvent.from_dict(load("log_message_logged.json", WEBHOOKS))
    log = message.message_log
    assert isinstance(log, Log)
    assert log.request is not None
    assert log.request.input is not None
    assert log.request.input.text == "Hello"
    cdr = LogEvent.from_dict(load("log_cdr_logged.json", WEBHOOKS))
    assert cdr.name == "cdr_logged"
    assert cdr.message_log is None
    assert cdr.payload["call"]["end_reason"] == "assistant_hangup"


def test_unknown_keys_survive_in_the_envelope_and_the_payload() -> None:
    data = {
        "event": {"name": "message_received", "version": 2},
        "payload": {"input": {"text": "hi", "new_field": [1]}, "future": True},
        "trace": "t-1",
    }
    request = PreMessageRequest.from_dict(data)
    assert request.extra == {"trace": "t-1"}
    assert request.to_dict() == data
