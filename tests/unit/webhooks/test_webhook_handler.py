"""The framework-neutral webhook handler: what each kind of bad request gets, that
nothing unverified reaches user code, the deadline and its fallback, bad replies."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from _samples import WEBHOOKS, load

from watson_async import WebhookCallEvent
from watson_async.models import (
    GenericText,
    MessageInput,
    MessageOutput,
    StatelessMessageResponse,
)
from watson_async.webhooks import (
    BearerAuth,
    JwtAuth,
    LogEvent,
    MessageRequest,
    NoAuth,
    PostMessageReply,
    PostMessageRequest,
    PreMessageReply,
    PreMessageRequest,
    SkipAssistant,
    WebhookHandler,
    authorization_headers,
    log_handler,
    post_message_handler,
    pre_message_handler,
)

SECRET = "a webhook secret nobody may see"
NOW = 1_800_000_000.0
PRE = json.dumps(load("pre_message_request.json", WEBHOOKS)).encode()
POST = json.dumps(load("post_message_request.json", WEBHOOKS)).encode()


def _headers() -> dict[str, str]:
    return authorization_headers(JwtAuth(SECRET), now=NOW)


async def _shout(request: PreMessageRequest) -> PreMessageReply:
    text = request.payload.input.text if request.payload.input else ""
    return PreMessageReply(payload=MessageRequest(input=MessageInput(text=(text or "").upper())))


def _pre(func: Any = _shout, **options: Any) -> tuple[WebhookHandler[Any, Any], list[Any]]:
    events: list[Any] = []
    options.setdefault("auth", JwtAuth(SECRET))
    handler = pre_message_handler(func, on_event=events.append, clock=lambda: NOW, **options)
    return handler, events


async def test_a_verified_request_reaches_the_function_and_its_reply_goes_back() -> None:
    handler, events = _pre()
    answer = await handler.handle(PRE, _headers())
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.body) == {"payload": {"input": {"text": "BUENOS DÍAS"}}}
    [event] = events
    assert isinstance(event, WebhookCallEvent)
    assert (event.kind, event.status, event.outcome) == ("pre_message", 200, "ok")


async def test_an_unverified_request_never_reaches_the_function(
    caplog: pytest.LogCaptureFixture,
) -> None:
    called: list[Any] = []

    async def func(request: PreMessageRequest) -> PreMessageReply:
        called.append(request)
        return PreMessageReply(payload=request.payload)

    handler, events = _pre(func)
    wrong = authorization_headers(JwtAuth("another secret"), now=NOW)
    late = authorization_headers(JwtAuth(SECRET), now=NOW - 3600)
    with caplog.at_level(logging.DEBUG, logger="watson_async"):
        for headers in ({}, wrong, late, {"Authorization": "Bearer nonsense"}):
            answer = await handler.handle(PRE, headers)
            assert answer.status == 401
            assert json.loads(answer.body) == {"error": "Unauthorized", "code": 401}
        # Refused before the body is even looked at.
        assert (await handler.handle(b"not json", {})).status == 401
    assert called == []
    assert [e.outcome for e in events] == ["unauthorized"] * 5
    assert "expired" in caplog.text
    assert SECRET not in caplog.text
    assert not any(h in caplog.text for h in (*wrong.values(), *late.values()))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
        (b'{"event": {"name": "message_received"}}', "the body has no payload object"),
        (b'{"payload": []}', "the body has no payload object"),
        (
            b'{"event": {"name": "message_processed"}, "payload": {}}',
            "the event is 'message_processed', expected 'message_received'",
        ),
    ],
)
async def test_a_malformed_request_gets_400(body: bytes, message: str) -> None:
    handler, events = _pre()
    answer = await handler.handle(body, _headers())
    assert (answer.status, json.loads(answer.body)) == (400, {"error": message, "code": 400})
    assert events[0].outcome == "bad_request"


async def test_a_request_that_breaks_the_schema_gets_400() -> None:
    handler, _ = _pre()
    body = json.dumps({"payload": {"input": {"text": {"not": "a string"}}}}).encode()
    answer = await handler.handle(body, _headers())
    assert answer.status == 400
    assert "does not match the pre_message schema" in json.loads(answer.body)["error"]


async def test_an_oversized_body_gets_413_after_authentication() -> None:
    handler, events = _pre(max_body_bytes=len(PRE) - 1)
    assert (await handler.handle(PRE, _headers())).status == 413
    assert (await handler.handle(PRE, {})).status == 401
    assert [e.outcome for e in events] == ["too_large", "unauthorized"]
    exact, _ = _pre(max_body_bytes=len(PRE))
    assert (await exact.handle(PRE, _headers())).status == 200


async def test_late_code_is_cancelled_and_the_fallback_answers() -> None:
    cancelled = asyncio.Event()

    async def never(request: PreMessageRequest) -> PreMessageReply:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    handler, events = _pre(never, deadline=0.05)
    answer = await handler.handle(PRE, _headers())
    assert cancelled.is_set()
    assert answer.status == 200  # by default the message goes on unchanged
    assert json.loads(answer.body) == {
        "payload": load("pre_message_request.json", WEBHOOKS)["payload"]
    }
    assert events[0].outcome == "fallback"

    marked, _ = _pre(
        never,
        deadline=0.05,
        fallback=lambda r: PreMessageReply(payload=MessageRequest(input=MessageInput(text="?"))),
    )
    assert json.loads((await marked.handle(PRE, _headers())).body)["payload"]["input"] == {
        "text": "?"
    }

    strict, strict_events = _pre(never, deadline=0.05, fallback=None)
    answer = await strict.handle(PRE, _headers())
    assert answer.status == 503
    assert strict_events[0].outcome == "late"


async def test_code_that_raises_gets_500_and_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(request: PreMessageRequest) -> PreMessageReply:
        raise KeyError("boom")

    handler, events = _pre(broken)
    with caplog.at_level(logging.ERROR, logger="watson_async.webhooks"):
        answer = await handler.handle(PRE, _headers())
    assert (answer.status, json.loads(answer.body)["error"]) == (500, "the webhook function failed")
    assert events[0].outcome == "error"
    assert "KeyError" in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        {"payload": {"input": {"text": "a dict, not the model"}}},
        None,
        PostMessageReply.from_dict({"payload": {"output": {"generic": []}}}),
        PreMessageReply.from_dict({"payload": {"input": {"text": "x"}}, "bad": {1, 2}}),
        PreMessageReply(payload=MessageRequest(input=MessageInput(text="two\nlines"))),
        PreMessageReply(payload=MessageRequest(input=MessageInput(text="x" * 2049))),
        PreMessageReply(payload=MessageRequest(user_id="")),
    ],
)
async def test_a_reply_that_breaks_the_schema_is_not_sent(
    reply: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def func(request: PreMessageRequest) -> Any:
        return reply

    handler, events = _pre(func)
    with caplog.at_level(logging.ERROR, logger="watson_async.webhooks"):
        answer = await handler.handle(PRE, _headers())
    assert answer.status == 500
    assert json.loads(answer.body) == {"error": "the webhook reply broke the schema", "code": 500}
    assert events[0].outcome == "bad_reply"
    assert "the reply was not sent" in caplog.text


async def test_post_message_handler() -> None:
    async def charm(request: PostMessageRequest) -> PostMessageReply:
        payload = request.payload
        for item in payload.output.generic or []:
            item.text = item.text.rstrip(".") + ", y'all."  # type: ignore[union-attr]
        return PostMessageReply(payload=payload)

    handler = post_message_handler(charm, auth=BearerAuth("t0ken"))
    answer = await handler.handle(POST, {"Authorization": "Bearer t0ken"})
    assert answer.status == 200
    reply = json.loads(answer.body)["payload"]
    assert reply["output"]["generic"] == [
        {"response_type": "text", "text": "Hello. Good evening, y'all."}
    ]
    assert reply["context"]["global"]["session_id"] == "sxxx"  # the rest is kept
    assert (await handler.handle(PRE, {"Authorization": "Bearer t0ken"})).status == 400


async def test_log_handler() -> None:
    seen: list[LogEvent] = []

    async def keep(event: LogEvent) -> None:
        seen.append(event)

    handler = log_handler(keep, auth=NoAuth())
    body = json.dumps(load("log_message_logged.json", WEBHOOKS)).encode()
    answer = await handler.handle(body, {})
    assert (answer.status, answer.body) == (200, b"{}")
    assert seen[0].message_log is not None
    cdr = json.dumps(load("log_cdr_logged.json", WEBHOOKS)).encode()
    assert (await handler.handle(cdr, {})).status == 200
    assert seen[1].name == "cdr_logged"


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"deadline": 0}, "deadline"),
        ({"deadline": 30}, "deadline"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"fallback": "echo"}, "fallback"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pre_message_handler(_shout, auth=NoAuth(), **options)
    with pytest.raises(ValueError, match="callable"):
        pre_message_handler("not callable", auth=NoAuth())  # type: ignore[arg-type]


def test_the_handler_repr_shows_no_secret() -> None:
    handler, _ = _pre()
    assert SECRET not in repr(handler)
    assert SECRET not in repr(vars(handler))


async def test_a_late_log_function_gets_503() -> None:
    async def slow(event: LogEvent) -> None:
        await asyncio.Event().wait()

    events: list[Any] = []
    handler = log_handler(slow, auth=NoAuth(), deadline=0.05, on_event=events.append)
    body = json.dumps(load("log_message_logged.json", WEBHOOKS)).encode()
    assert (await handler.handle(body, {})).status == 503
    assert events[0].outcome == "late"


def _closed_reply() -> SkipAssistant:
    text = GenericText(response_type="text", text="We are closed until 9:00.")
    return SkipAssistant(response=StatelessMessageResponse(output=MessageOutput(generic=[text])))


async def test_skipping_the_assistant_sends_a_message_response_with_the_header() -> None:
    async def closed(request: PreMessageRequest) -> SkipAssistant:
        return _closed_reply()

    handler, events = _pre(closed)
    answer = await handler.handle(PRE, _headers())
    assert answer.status == 200
    assert answer.headers["X-Watson-Assistant-Webhook-Return"] == "true"
    body = json.loads(answer.body)
    assert "payload" not in body  # the response itself, as IBM's docs' example sends it
    assert body["output"]["generic"] == [
        {"response_type": "text", "text": "We are closed until 9:00."}
    ]
    assert [e.outcome for e in events] == ["skipped"]


async def test_a_late_function_may_fall_back_to_skipping() -> None:
    async def late(request: PreMessageRequest) -> PreMessageReply:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    handler, events = _pre(late, deadline=0.01, fallback=lambda request: _closed_reply())
    answer = await handler.handle(PRE, _headers())
    assert answer.headers["X-Watson-Assistant-Webhook-Return"] == "true"
    assert [e.outcome for e in events] == ["fallback"]


async def test_only_a_pre_message_webhook_can_skip_the_assistant() -> None:
    async def skip(request: PostMessageRequest) -> Any:
        return _closed_reply()

    events: list[Any] = []
    handler = post_message_handler(
        skip, auth=JwtAuth(SECRET), on_event=events.append, clock=lambda: NOW
    )
    answer = await handler.handle(POST, _headers())
    assert answer.status == 500
    assert "X-Watson-Assistant-Webhook-Return" not in answer.headers
    assert [e.outcome for e in events] == ["bad_reply"]
