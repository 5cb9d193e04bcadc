"""End to end on loopback: FakeAssistant calls webhook apps served by aiohttp and by
FastAPI (through :class:`AsgiServer`), signed as configured, and the client sees what
the webhooks made of each turn; failures and timeouts go as the docs describe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from fastapi import FastAPI

from watson_async import AssistantClient, IAMAuthenticator, WebhookCallEvent
from watson_async.errors import ApiError
from watson_async.models import (
    GenericText,
    MessageInput,
    MessageOutput,
    StatelessMessageResponse,
)
from watson_async.testing import AsgiServer, FakeAssistant, WebhookTarget
from watson_async.webhooks import (
    ApiKeyAuth,
    JwtAuth,
    LogEvent,
    PostMessageReply,
    PostMessageRequest,
    PreMessageReply,
    PreMessageRequest,
    SkipAssistant,
    log_handler,
    post_message_handler,
    pre_message_handler,
)
from watson_async.webhooks.aiohttp import webhook_app
from watson_async.webhooks.asgi import asgi_app

SECRET = "purple unicorn"


async def _lower(request: PreMessageRequest) -> PreMessageReply:
    payload = request.payload
    assert payload.input is not None
    payload.input.text = (payload.input.text or "").replace("ROME", "Rome")
    return PreMessageReply(payload=payload)


async def _sign(request: PostMessageRequest) -> PostMessageReply:
    payload = request.payload
    for item in payload.output.generic or []:
        if isinstance(item, GenericText):
            item.text = f"{item.text} (checked)"
    return PostMessageReply(payload=payload)


class Recorder:
    def __init__(self) -> None:
        self.logs: list[LogEvent] = []
        self.events: list[WebhookCallEvent] = []

    async def log(self, event: LogEvent) -> None:
        self.logs.append(event)

    def handlers(self, auth: Any) -> dict[str, Any]:
        on_event = self.events.append
        return {
            "pre_message": pre_message_handler(_lower, auth=auth, on_event=on_event),
            "post_message": post_message_handler(_sign, auth=auth, on_event=on_event),
            "log": log_handler(self.log, auth=auth, on_event=on_event),
        }


@asynccontextmanager
async def _aiohttp_server(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def _fastapi_server(handlers: dict[str, Any]) -> AsyncIterator[str]:
    app = FastAPI()
    app.mount("/hooks", asgi_app(**handlers))
    async with AsgiServer(app) as server:
        yield f"{server.url}/hooks"


def _client(fake: FakeAssistant) -> AssistantClient:
    return AssistantClient(
        "2024-08-25",
        IAMAuthenticator(fake.apikey, url=fake.iam_url),
        service_url=fake.service_url,
    )


def _targets(base: str, auth: Any, **options: Any) -> dict[str, WebhookTarget]:
    return {
        f"{kind}_webhook": WebhookTarget(f"{base}/{path}", auth=auth, **options)
        for kind, path in (("pre_message", "pre-message"), ("post_message", "post-message"))
    } | {"log_webhook": WebhookTarget(f"{base}/log", auth=auth, **options)}


@pytest.mark.parametrize("framework", ["aiohttp", "fastapi"])
async def test_a_turn_goes_through_all_three_webhooks(framework: str) -> None:
    recorder = Recorder()
    handlers = recorder.handlers(JwtAuth(SECRET))
    server = (
        _aiohttp_server(webhook_app(**handlers))
        if framework == "aiohttp"
        else _fastapi_server(handlers)
    )
    async with (
        server as base,
        FakeAssistant(**_targets(base, JwtAuth(SECRET))) as fake,
        _client(fake) as client,
    ):
        assistant = client.assistant(fake.assistant_id, fake.environment_id)
        async with assistant.conversation() as conv:
            await conv.send("book a trip")
            reply = await conv.send("ROME")
            sid = conv.session_id
    # The pre-message webhook's text is what the bot saw; the post-message webhook's
    # reply is what the client got; the log webhook saw both.
    assert fake.turn_texts(sid) == ["book a trip", "Rome"]
    assert reply.text == "Booked a trip to Rome. (checked)"
    assert [e.name for e in recorder.logs] == ["message_logged", "message_logged"]
    last = recorder.logs[-1].message_log
    assert last is not None
    assert last.request is not None
    assert last.request.input is not None
    assert last.request.input.text == "Rome"
    assert last.session_id == sid
    assert last.response is not None
    assert isinstance((last.response.output.generic or [])[0], GenericText)
    assert [(e.kind, e.outcome) for e in recorder.events[:3]] == [
        ("pre_message", "ok"),
        ("post_message", "ok"),
        ("log", "ok"),
    ]
    assert [c.status for c in fake.webhook_calls] == [200] * 6


async def test_stateless_turns_call_the_webhooks_too() -> None:
    recorder = Recorder()
    auth = ApiKeyAuth("X-Hook-Key", "k-123")
    async with (
        _aiohttp_server(webhook_app(**recorder.handlers(auth))) as base,
        FakeAssistant(**_targets(base, auth)) as fake,
        _client(fake) as client,
    ):
        reply = await client.message_stateless(
            fake.assistant_id, fake.environment_id, input=MessageInput(text="hello")
        )
    assert reply.text is not None
    assert reply.text.endswith("(checked)")
    assert len(recorder.logs) == 1


def _failing_app(
    status: int = 200,
    body: bytes = b"{}",
    wait: asyncio.Event | None = None,
    headers: dict[str, str] | None = None,
) -> web.Application:
    async def view(request: web.Request) -> web.Response:
        if wait is not None:
            await wait.wait()
        return web.Response(
            status=status, body=body, content_type="application/json", headers=headers
        )

    app = web.Application()
    app.router.add_post("/pre-message", view)
    app.router.add_post("/post-message", view)
    return app


FAILURES: list[tuple[Callable[[], web.Application], str, str]] = [
    (lambda: _failing_app(500), "status", "Webhook responded with [500] status code"),
    (
        lambda: _failing_app(body=b"<html>"),
        "invalid_json",
        "Webhook responded with invalid JSON body",
    ),
    (
        lambda: _failing_app(body=b'{"payload": {"input": {"text": "a\\nb"}}}'),
        "invalid_payload",
        "Error validating webhook response",
    ),
    (  # skipping the assistant needs a message response, not the request's envelope
        lambda: _failing_app(
            body=b'{"payload": {"input": {"text": "hi"}}}',
            headers={"X-Watson-Assistant-Webhook-Return": "yes"},
        ),
        "invalid_payload",
        "Error validating webhook response",
    ),
]


@pytest.mark.parametrize(("make_app", "outcome", "message"), FAILURES)
async def test_a_failing_pre_message_webhook(
    make_app: Callable[[], web.Application], outcome: str, message: str
) -> None:
    async with _aiohttp_server(make_app()) as base:
        target = WebhookTarget(f"{base}/pre-message")
        # Fail open (the default): the turn goes on with the original message.
        async with FakeAssistant(pre_message_webhook=target) as fake, _client(fake) as client:
            reply = await client.message_stateless(
                fake.assistant_id, fake.environment_id, input=MessageInput(text="hello")
            )
            assert reply.text
            assert [c.outcome for c in fake.webhook_calls] == [outcome]
        # Fail closed: the client gets the docs' 422 and the bot never sees the turn.
        closed = WebhookTarget(f"{base}/pre-message", fail_closed=True)
        async with FakeAssistant(pre_message_webhook=closed) as fake, _client(fake) as client:
            with pytest.raises(ApiError) as caught:
                await client.message_stateless(
                    fake.assistant_id, fake.environment_id, input=MessageInput(text="hello")
                )
            assert caught.value.status_code == 422
            assert message in str(caught.value)
            assert fake.analytics == []


async def test_a_late_webhook_times_out_and_the_turn_goes_on() -> None:
    never = asyncio.Event()
    async with _aiohttp_server(_failing_app(wait=never)) as base:
        target = WebhookTarget(f"{base}/post-message", timeout=1)
        async with FakeAssistant(post_message_webhook=target) as fake, _client(fake) as client:
            reply = await client.message_stateless(
                fake.assistant_id, fake.environment_id, input=MessageInput(text="hello")
            )
            assert reply.text
            assert "(checked)" not in reply.text
            [call] = fake.webhook_calls
            assert (call.status, call.outcome) == (None, "no_answer")
        never.set()


async def test_a_webhook_with_the_wrong_secret_refuses_and_user_code_never_runs() -> None:
    calls: list[Any] = []

    async def spy(request: PreMessageRequest) -> PreMessageReply:
        calls.append(request)
        return PreMessageReply(payload=request.payload)

    handler = pre_message_handler(spy, auth=JwtAuth(SECRET))
    async with _aiohttp_server(webhook_app(pre_message=handler)) as base:
        target = WebhookTarget(
            f"{base}/pre-message", auth=JwtAuth("not the secret"), fail_closed=True
        )
        async with FakeAssistant(pre_message_webhook=target) as fake, _client(fake) as client:
            with pytest.raises(ApiError, match=r"\[401\]"):
                await client.message_stateless(
                    fake.assistant_id, fake.environment_id, input=MessageInput(text="hi")
                )
    assert calls == []


async def test_custom_headers_replace_the_authorization_the_auth_makes() -> None:
    seen: list[str | None] = []

    async def view(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"payload": await request.json() and {"input": {"text": "x"}}})

    app = web.Application()
    app.router.add_post("/pre", view)
    async with _aiohttp_server(app) as base:
        target = WebhookTarget(
            f"{base}/pre", auth=JwtAuth(SECRET), headers={"authorization": "Custom abc"}
        )
        async with FakeAssistant(pre_message_webhook=target) as fake, _client(fake) as client:
            await client.message_stateless(
                fake.assistant_id, fake.environment_id, input=MessageInput(text="hi")
            )
    assert seen == ["Custom abc"]


def test_webhook_targets_are_checked() -> None:
    with pytest.raises(ValueError, match="timeout"):
        WebhookTarget("https://example.test/hook", timeout=31)
    with pytest.raises(ValueError, match="URL"):
        WebhookTarget("ftp://example.test/hook")
    with pytest.raises(ValueError, match="WebhookTarget"):
        FakeAssistant(pre_message_webhook="https://example.test/hook")  # type: ignore[arg-type]
    target = WebhookTarget("https://h.test/", auth=JwtAuth("s3cr3t-value"), headers={"K": "v-9"})
    assert "s3cr3t-value" not in repr(target)
    assert "v-9" not in repr(target)  # custom headers may carry credentials
    assert repr(WebhookTarget("https://h.test/").auth) == "NoAuth()"


async def test_a_pre_message_webhook_can_answer_instead_of_the_assistant() -> None:
    async def closed_at_night(request: PreMessageRequest) -> PreMessageReply | SkipAssistant:
        payload = request.payload
        if payload.input is None or payload.input.text != "are you open?":
            return PreMessageReply(payload=payload)
        text = GenericText(response_type="text", text="We are closed until 9:00.")
        output = MessageOutput(generic=[text])
        return SkipAssistant(response=StatelessMessageResponse(output=output))

    recorder = Recorder()
    handlers = recorder.handlers(JwtAuth(SECRET))
    handlers["pre_message"] = pre_message_handler(
        closed_at_night, auth=JwtAuth(SECRET), on_event=recorder.events.append
    )
    async with (
        _aiohttp_server(webhook_app(**handlers)) as base,
        FakeAssistant(**_targets(base, JwtAuth(SECRET))) as fake,
        _client(fake) as client,
    ):
        assistant = client.assistant(fake.assistant_id, fake.environment_id)
        async with assistant.conversation() as conv:
            skipped = await conv.send("are you open?")
            answered = await conv.send("hello")
            sid = conv.session_id
    assert skipped.text == "We are closed until 9:00."  # straight from the webhook
    assert fake.turn_texts(sid) == ["hello"]  # the assistant never saw the question
    assert answered.text.endswith("(checked)")
    # Skipping returns at once: no post-message or log webhook for that turn.
    assert [(c.kind, c.outcome) for c in fake.webhook_calls] == [
        ("pre_message", "skipped"),
        ("pre_message", "ok"),
        ("post_message", "ok"),
        ("log", "ok"),
    ]
    assert [e.outcome for e in recorder.events if e.kind == "pre_message"] == ["skipped", "ok"]
