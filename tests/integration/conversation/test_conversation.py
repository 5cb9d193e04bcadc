"""Conversations (watson_async.conversation) against FakeAssistant on a loopback socket."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ManualClock as Clock

from watson_async import (
    AssistantClient,
    MessageInput,
    PermissionDeniedError,
    RequestAnalytics,
    ServerError,
    SessionNotFoundError,
    SessionResponse,
    StatefulMessageResponse,
)
from watson_async.conversation import (
    Assistant,
    Conversation,
    EventHook,
    Renewal,
    StatelessConversation,
)
from watson_async.testing import FakeAssistant
from watson_async.testing._script import ASK_DESTINATION, GREETING_TEXT

TIMEOUT = 60.0
DOCS = Path(__file__).resolve().parents[3] / "docs" / "conversations.md"
INVALID_SESSION = {"error": "Invalid Session", "code": 404}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(clock=clock, session_timeout=TIMEOUT) as fake:
        yield fake


def messages(fake: FakeAssistant) -> list[Any]:
    """Bodies of the message requests the fake received, in order."""
    return [r.json for r in fake.requests if r.method == "POST" and r.path.endswith("/message")]


def deletes(fake: FakeAssistant) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.requests if r.method == "DELETE"]


# --------------------------------------------------------------------------- the handle


async def test_assistant_handle_binds_the_ids(fake: FakeAssistant, client: AssistantClient) -> None:
    assistant = client.assistant(fake.assistant_id, fake.environment_id)
    assert (assistant.assistant_id, assistant.environment_id) == (
        fake.assistant_id,
        fake.environment_id,
    )
    assert assistant.client is client
    session = await assistant.create_session()
    reply = await assistant.message(session.session_id, input={"text": "hello"})
    assert reply.text == GREETING_TEXT
    async with await assistant.message_stream(session.session_id, input={"text": "menu"}) as s:
        frames = [frame async for frame in s]
    assert frames
    await assistant.delete_session(session.session_id)
    assert session.session_id not in fake.sessions
    stateless = await assistant.message_stateless(input={"text": "hi"})
    assert stateless.context is not None
    async with await assistant.message_stream_stateless(input={"text": "hi"}) as s:
        assert [frame async for frame in s]
    # classic paths: the environment ID is the assistant ID
    classic = client.assistant(fake.environment_id, None)
    session = await classic.create_session()
    await classic.delete_session(session.session_id)


def test_assistant_handle_validates_ids(client: AssistantClient) -> None:
    with pytest.raises(ValueError, match="assistant_id"):
        client.assistant("", "env")
    with pytest.raises(ValueError, match="environment_id"):
        client.assistant("aid", "")
    assert "aid" in repr(client.assistant("aid", None))


# --------------------------------------------------------------------------- lifecycle


async def test_session_lives_exactly_as_long_as_the_block(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    async with assistant.conversation(
        user_id="traveller-1", analytics={"browser": "Firefox"}
    ) as conv:
        session_id = conv.session_id
        assert session_id in fake.sessions
        hello = await conv.send("hello")
        booked = await conv.send(MessageInput(text="book a trip"))
        assert hello.text == GREETING_TEXT
        assert booked.text == ASK_DESTINATION
        assert hello.user_id == "traveller-1"
    assert conv.session_id is None
    assert fake.sessions == frozenset()
    assert deletes(fake) == [session_id]
    assert conv.turns == 2
    assert conv.renewals == 0
    # analytics went with create_session and with every turn, user_id with every turn
    assert [(a.event, a.analytics) for a in fake.analytics] == [
        ("create_session", {"browser": "Firefox"}),
        ("message", {"browser": "Firefox"}),
        ("message", {"browser": "Firefox"}),
    ]
    assert [m["user_id"] for m in messages(fake)] == ["traveller-1", "traveller-1"]
    with pytest.raises(RuntimeError, match="closed"):
        await conv.send("hello again")


async def test_error_in_the_block_deletes_the_session(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    async def chat() -> None:
        async with assistant.conversation() as conv:
            await conv.send("hello")
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await chat()
    assert fake.sessions == frozenset()
    assert len(deletes(fake)) == 1


async def test_cancellation_deletes_the_session(fake: FakeAssistant, assistant: Assistant) -> None:
    entered = asyncio.Event()

    async def chat() -> None:
        async with assistant.conversation() as conv:
            await conv.send("hello")
            entered.set()
            await asyncio.Event().wait()  # parked until cancelled

    task = asyncio.create_task(chat())
    await entered.wait()
    assert len(fake.sessions) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake.sessions == frozenset()
    assert len(deletes(fake)) == 1


async def test_failed_delete_does_not_mask_the_original_error(
    fake: FakeAssistant, assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    sessions: list[str | None] = []

    async def chat() -> None:
        async with assistant.conversation() as conv:
            await conv.send("hello")
            sessions.append(conv.session_id)
            raise KeyError("original")

    fake.enqueue_error(500, method="DELETE")
    with (
        caplog.at_level(logging.WARNING, logger="watson_async.conversation"),
        pytest.raises(KeyError, match="original") as info,
    ):
        await chat()
    assert "could not delete the session while leaving on KeyError" in caplog.text
    assert sessions[0] is not None
    assert sessions[0] not in caplog.text  # log lines never carry IDs
    assert fake.assistant_id not in caplog.text
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python 3.11+
        assert any("deleting session" in note for note in notes)


async def test_failed_delete_is_raised_on_a_clean_exit(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    fake.enqueue_error(500, method="DELETE")
    with pytest.raises(ServerError):
        async with assistant.conversation() as conv:
            await conv.send("hello")


async def test_expired_session_at_exit_is_fine(
    fake: FakeAssistant, assistant: Assistant, clock: Clock
) -> None:
    async with assistant.conversation() as conv:
        await conv.send("hello")
        clock.advance(TIMEOUT + 1)
    assert len(deletes(fake)) == 1  # tried, got 404 Invalid Session, ignored


async def test_failed_create_session_propagates(fake: FakeAssistant, assistant: Assistant) -> None:
    fake.enqueue_error(403, method="POST", path_contains="/sessions")
    conv = assistant.conversation()
    with pytest.raises(PermissionDeniedError):
        async with conv:
            pytest.fail("the block must not run")
    assert conv.session_id is None
    assert deletes(fake) == []


async def test_misuse_is_reported(assistant: Assistant) -> None:
    conv = assistant.conversation()
    with pytest.raises(RuntimeError, match="enter the conversation first"):
        await conv.send("hello")
    async with conv:
        pass
    with pytest.raises(RuntimeError, match="only once"):
        async with conv:
            pass
    with pytest.raises(ValueError, match="user_id"):
        assistant.conversation(user_id="")
    with pytest.raises(ValueError, match="history_limit"):
        assistant.conversation(history_limit=-1)
    with pytest.raises(ValueError, match="analytics"):
        assistant.conversation(analytics=["Firefox"])  # type: ignore[arg-type]


async def test_validation_errors_propagate_before_sending(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    async with assistant.conversation() as conv:
        for bad in ("", "two\nlines", "x" * 2049):
            with pytest.raises(ValueError, match="input text"):
                await conv.send(bad)
        with pytest.raises(ValueError, match="options"):
            await conv.send({"text": "hi", "options": "debug"})
        with pytest.raises(ValueError, match="input"):
            await conv.send(42)  # type: ignore[arg-type]
        assert messages(fake) == []
        assert conv.turns == 0


async def test_options_merge_and_history(fake: FakeAssistant, assistant: Assistant) -> None:
    async with assistant.conversation(history_limit=2) as conv:
        await conv.send({"text": "hello", "options": {"alternate_intents": True}})
        await conv.send("menu", options={"debug": True})
        reply = await conv.send(
            {"text": "agent", "analytics": {"device": "phone"}},
            options={"return_context": True},
        )
        assert [turn.reply for turn in conv.history] == [conv.history[0].reply, reply]
        assert len(conv.history) == 2
        assert conv.last_turn is not None
        assert conv.last_turn.reply is reply
        assert conv.last_turn.input.text == "agent"
        assert conv.last_turn.session_id == conv.session_id
        assert not conv.last_turn.renewed
    sent = [m["input"] for m in messages(fake)]
    assert sent[0]["options"] == {"alternate_intents": True}
    assert sent[1]["options"] == {"debug": True}
    assert sent[2] == {
        "text": "agent",
        "analytics": {"device": "phone"},  # the input's own analytics win
        "options": {"return_context": True},
    }


# --------------------------------------------------------------------------- renewal


async def test_renewal_without_restore_restarts_the_dialog(
    fake: FakeAssistant, assistant: Assistant, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    renewals: list[Renewal] = []
    caplog.set_level(logging.DEBUG, logger="watson_async")
    async with assistant.conversation(on_renewal=renewals.append) as conv:
        assert (await conv.send("book a trip")).text == ASK_DESTINATION
        first = conv.session_id
        assert first is not None
        clock.advance(TIMEOUT + 1)  # the session expires on the service
        reply = await conv.send("Paris")
        second = conv.session_id
        assert second is not None
        assert second != first
        assert reply.text == "You said: Paris"  # a new dialog: the question is forgotten
        assert conv.renewals == 1
        assert conv.turns == 2
        assert conv.last_turn is not None
        assert conv.last_turn.renewed
        assert conv.last_turn.session_id == second
        assert fake.turn_texts(second) == ["Paris"]
        assert renewals == [
            Renewal(expired_session_id=first, session_id=second, renewals=1, restored=False)
        ]
        # later turns use the new session without fuss
        assert (await conv.send("hello")).text == GREETING_TEXT
        assert conv.renewals == 1
        assert fake.turn_texts(second) == ["Paris", "hello"]
    assert fake.sessions == frozenset()
    assert deletes(fake) == [second]
    assert "the session expired; starting a new one" in caplog.text
    assert first not in caplog.text  # log lines never carry IDs (docs/observability.md)


async def test_renewal_with_restore_continues_the_action(
    fake: FakeAssistant, assistant: Assistant, clock: Clock
) -> None:
    async def on_renewal(renewal: Renewal) -> None:  # async callbacks are awaited
        seen.append(renewal)

    seen: list[Renewal] = []
    async with assistant.conversation(restore=True, on_renewal=on_renewal) as conv:
        await conv.send("hello")
        assert (await conv.send("book a trip")).text == ASK_DESTINATION
        assert set(conv.saved_state) == {"actions skill", "main skill"}
        first = conv.session_id
        clock.advance(TIMEOUT + 1)
        reply = await conv.send("Paris")
        assert reply.text == "Booked a trip to Paris."
        assert conv.renewals == 1
        assert seen[0].restored
        assert seen[0].expired_session_id == first
        assert (await conv.send("hello")).text == GREETING_TEXT
        info = fake.session_info(conv.session_id or "")
        assert info is not None
        assert info["skill_variables"] == {"destination": "Paris"}

    bodies = messages(fake)
    assert all(body["input"]["options"]["export"] is True for body in bodies)
    # only the resent turn carried the saved state; it was the state after "book a trip"
    with_state = [i for i, body in enumerate(bodies) if "context" in body]
    assert with_state == [3]  # hello, book a trip, Paris (expired: 404), Paris (resent)
    skills = bodies[3]["context"]["skills"]
    assert skills["actions skill"]["system"]["state"] == skills["main skill"]["system"]["state"]


async def test_restore_keeps_the_callers_context(
    fake: FakeAssistant, assistant: Assistant, clock: Clock
) -> None:
    async with assistant.conversation(restore=True) as conv:
        await conv.send("book a trip")
        clock.advance(TIMEOUT + 1)
        context = {"skills": {"actions skill": {"user_defined": {"vip": True}}}}
        reply = await conv.send("Rome", context=context)
        assert reply.text == "Booked a trip to Rome."
    assert context == {"skills": {"actions skill": {"user_defined": {"vip": True}}}}
    resent = messages(fake)[-1]["context"]["skills"]["actions skill"]
    assert resent["user_defined"] == {"vip": True}
    assert resent["system"]["state"]


async def test_turn_is_resent_only_once(fake: FakeAssistant, assistant: Assistant) -> None:
    async with assistant.conversation() as conv:
        fake.enqueue_error(404, body=INVALID_SESSION, path_contains="/message", times=2)
        with pytest.raises(SessionNotFoundError):
            await conv.send("hello")
        assert conv.renewals == 1
        assert conv.turns == 0
        assert (await conv.send("hello")).text == GREETING_TEXT


async def test_failed_renewal_is_raised_and_tried_again(
    fake: FakeAssistant, assistant: Assistant, clock: Clock
) -> None:
    async with assistant.conversation() as conv:
        await conv.send("hello")
        expired = conv.session_id
        clock.advance(TIMEOUT + 1)
        fake.enqueue_error(403, method="POST", path_contains="/sessions")
        with pytest.raises(PermissionDeniedError):
            await conv.send("menu")
        assert conv.session_id == expired
        assert conv.renewals == 0
        assert (await conv.send("hello")).text == GREETING_TEXT
        assert conv.renewals == 1
        assert conv.session_id != expired


async def test_failing_renewal_callback_is_logged(
    assistant: Assistant, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(renewal: Renewal) -> None:
        raise RuntimeError("callback bug")

    async with assistant.conversation(on_renewal=broken) as conv:
        await conv.send("hello")
        clock.advance(TIMEOUT + 1)
        with caplog.at_level(logging.ERROR, logger="watson_async.conversation"):
            assert (await conv.send("hello")).text == GREETING_TEXT
    assert "on_renewal callback failed" in caplog.text


# --------------------------------------------------------------------------- hooks


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.events: list[tuple[str, Any, Any]] = []

    async def session_started(
        self, conversation: Conversation, session_response: SessionResponse
    ) -> None:
        self.events.append(("session_started", conversation, session_response))
        if self.fail:
            raise RuntimeError("hook bug")

    async def message_handled(
        self,
        conversation: Conversation,
        request_input: MessageInput,
        reply: StatefulMessageResponse,
    ) -> None:
        self.events.append(("message_handled", request_input, reply))
        if self.fail:
            raise RuntimeError("hook bug")


async def test_event_hook_is_called(assistant: Assistant, clock: Clock) -> None:
    recorder = Recorder()
    hook: EventHook = recorder  # the protocol is satisfied structurally
    async with assistant.conversation(events=hook, analytics=RequestAnalytics(device="kiosk")) as c:
        reply = await c.send("hello")
        clock.advance(TIMEOUT + 1)
        await c.send("menu")
    kinds = [kind for kind, _, _ in recorder.events]
    assert kinds == ["session_started", "message_handled", "session_started", "message_handled"]
    _, conversation, session = recorder.events[0]
    assert conversation is c
    assert isinstance(session, SessionResponse)
    _, request_input, handled = recorder.events[1]
    assert handled is reply
    assert request_input == MessageInput(text="hello", analytics=RequestAnalytics(device="kiosk"))
    assert recorder.events[2][2].session_id == c.last_turn.session_id  # type: ignore[union-attr]


async def test_failing_hook_does_not_break_the_turn(
    fake: FakeAssistant, assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(fail=True)
    with caplog.at_level(logging.ERROR, logger="watson_async.conversation"):
        async with assistant.conversation(events=recorder) as conv:
            reply = await conv.send("hello")
            assert reply.text == GREETING_TEXT
            assert conv.turns == 1
    assert len(recorder.events) == 2
    assert caplog.text.count("conversation event hook failed") == 2
    assert fake.sessions == frozenset()


# --------------------------------------------------------------------------- stateless


async def test_stateless_threads_the_context(fake: FakeAssistant, assistant: Assistant) -> None:
    conv = assistant.stateless_conversation(user_id="web-7", analytics={"browser": "Safari"})
    assert conv.context is None
    assert conv.session_id is None
    replies = [await conv.send(text) for text in ("hello", "book a trip", "Lisbon")]
    assert [r.text for r in replies] == [GREETING_TEXT, ASK_DESTINATION, "Booked a trip to Lisbon."]
    bodies = messages(fake)
    assert "context" not in bodies[0]
    # each turn sends back exactly the context the previous reply returned
    for body, previous in zip(bodies[1:], replies[:-1], strict=True):
        assert previous.context is not None
        assert body["context"] == previous.context.to_dict()
    assert conv.context == replies[-1].context.to_dict()  # type: ignore[union-attr]
    assert conv.session_id == replies[0].context.global_.session_id  # type: ignore[union-attr]
    assert conv.turns == 3
    assert all(body["user_id"] == "web-7" for body in bodies)
    assert all(body["input"]["analytics"] == {"browser": "Safari"} for body in bodies)


async def test_stateless_json_round_trip(
    fake: FakeAssistant, client: AssistantClient, assistant: Assistant
) -> None:
    conv = assistant.stateless_conversation(user_id="web-7", analytics={"device": "phone"})
    await conv.send("hello")
    await conv.send("book a trip")
    stored = conv.dumps()
    assert isinstance(stored, str)
    assert json.loads(stored)["context"] == conv.context

    restored = StatelessConversation.loads(client, stored)  # e.g. the next HTTP request
    assert restored.turns == 2
    assert restored.session_id == conv.session_id
    assert restored.user_id == "web-7"
    assert restored.analytics == RequestAnalytics(device="phone")
    assert restored.assistant.assistant_id == fake.assistant_id
    reply = await restored.send("Oslo")
    assert reply.text == "Booked a trip to Oslo."
    assert restored.turns == 3

    again = StatelessConversation.loads(assistant, restored.dumps())
    assert again.assistant is assistant
    assert (await again.send("hello")).text == GREETING_TEXT


def test_stateless_loads_refuses_garbage(client: AssistantClient, assistant: Assistant) -> None:
    good = assistant.stateless_conversation().dumps()
    for bad in ("not json", "[]", json.dumps({"kind": "other"})):
        with pytest.raises(ValueError, match="not a StatelessConversation dump"):
            StatelessConversation.loads(client, bad)
    with pytest.raises(ValueError, match="version"):
        StatelessConversation.loads(client, good.replace('"v":1', '"v":99'))
    with pytest.raises(ValueError, match="malformed"):
        StatelessConversation.loads(client, good.replace('"turns":0', '"turns":"0"'))
    other = client.assistant("another-assistant", None)
    with pytest.raises(ValueError, match="belongs to assistant"):
        StatelessConversation.loads(other, good)


async def test_stateless_context_over_250_kb_is_refused(
    fake: FakeAssistant, client: AssistantClient, assistant: Assistant
) -> None:
    blob = "x" * (250 * 1024)
    big = {"skills": {"actions skill": {"user_defined": {"blob": blob}}}}
    with pytest.raises(ValueError, match=r"250 KB"):
        assistant.stateless_conversation(context=big)

    conv = assistant.stateless_conversation()
    await conv.send("hello")
    with pytest.raises(ValueError, match=r"250 KB"):
        conv.context = big
    # a context grown in place is caught before anything is sent
    assert conv.context is not None
    conv.context["skills"]["actions skill"]["user_defined"] = {"blob": blob}
    sent = len(messages(fake))
    with pytest.raises(ValueError, match=r"conversation context is \d+ bytes.*250 KB"):
        await conv.send("book a trip")
    assert len(messages(fake)) == sent

    stored = json.loads(assistant.stateless_conversation().dumps())
    stored["context"] = big
    with pytest.raises(ValueError, match=r"stored context is \d+ bytes.*250 KB"):
        StatelessConversation.loads(client, json.dumps(stored))


# --------------------------------------------------------------------------- reply helpers


async def test_reply_helpers_on_real_replies(assistant: Assistant) -> None:
    async with assistant.conversation() as conv:
        hello = await conv.send("hello", options={"debug": True})
        assert hello.text == GREETING_TEXT
        assert hello.top_intent is not None
        assert (hello.top_intent.intent, hello.top_intent.confidence) == ("greeting", 0.98)
        assert not hello.is_fallback
        assert not hello.agent_requested
        assert hello.options == []

        alternates = await conv.send("menu", options={"alternate_intents": True})
        assert alternates.top_intent is not None
        assert alternates.top_intent.intent == "menu"
        assert [o.label for o in alternates.options] == ["Book a trip", "Talk to an agent"]
        assert alternates.text == ""
        picked = alternates.options[0].value
        assert picked is not None
        assert picked.input is not None

        question = await conv.send(picked.input)
        assert question.text == ASK_DESTINATION
        answer = await conv.send("Paris", options={"debug": True})
        assert answer.top_intent is None
        assert not answer.is_fallback  # the debug events show a step answered
        assert (await conv.send("book a trip")).text == ASK_DESTINATION
        # without debug output, an answer with no intent looks like a fallback (documented)
        assert (await conv.send("Rome")).is_fallback

        pause = await conv.send("pause")
        assert pause.text == "Thanks for waiting."  # the pause item is not text
        numbers = await conv.send("2 adults, 1 child and 3.5 bags")
        assert [e.value for e in numbers.entities_by_name["sys-number"]] == ["2", "1", "3.5"]
        assert set(numbers.entities_by_name) == {"sys-number"}
        agent = await conv.send("agent")
        assert agent.agent_requested

    stateless = await assistant.message_stateless(input={"text": "talk to an agent"})
    assert stateless.agent_requested
    assert stateless.top_intent is not None
    assert stateless.top_intent.intent == "agent"


# --------------------------------------------------------------------------- the docs


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


async def test_docs_bot_example_runs_and_prints_what_the_docs_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = _python_blocks()[0]
    expected = re.search(r"```python\n.*?```\s*```text\n(.*?)```", text, re.DOTALL)
    assert expected is not None
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(example, str(DOCS), "exec"), namespace)
    await namespace["main"]()
    assert capsys.readouterr().out == expected.group(1)


async def test_docs_stateless_handler_runs(fake: FakeAssistant, client: AssistantClient) -> None:
    (handler,) = [block for block in _python_blocks() if "async def handle(" in block]
    namespace: dict[str, Any] = {"__name__": "docs_handler"}
    exec(compile(handler, str(DOCS), "exec"), namespace)
    handle = namespace["handle"]
    aid, eid = fake.assistant_id, fake.environment_id
    shown, stored = await handle(client, aid, eid, None, "book a trip")
    assert shown == ASK_DESTINATION
    shown, stored = await handle(client, aid, eid, stored, "Tokyo")
    assert shown == "Booked a trip to Tokyo."
