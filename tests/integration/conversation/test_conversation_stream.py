"""``Conversation.stream`` / ``StatelessConversation.stream`` against FakeAssistant on a
loopback socket: the same guarantees as ``send`` (turn lock, renewal, restore, history,
events, close), issue 17 item 2."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fakes import ManualClock as Clock

from watson_async import (
    AssistantClient,
    ClientClosedError,
    MessageInput,
    SessionResponse,
    StatefulMessageResponse,
)
from watson_async.conversation import Assistant, Conversation, ConversationStream
from watson_async.models import (
    MessageStreamPartialItem,
    MessageStreamResponse,
    StatefulMessageStreamFinalResponse,
    StatelessMessageStreamFinalResponse,
)
from watson_async.testing import FakeAssistant
from watson_async.testing._script import ASK_DESTINATION, GREETING_TEXT

TIMEOUT = 60.0
PAUSE = 5.0  # the fake's pause between stream chunks; only the gated sleep sees it


class ChunkGate:
    """The fake's ``sleep``: a paused stream chunk waits until ``release`` is set."""

    def __init__(self) -> None:
        self.parked = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def sleep(self, seconds: float) -> None:
        if seconds == PAUSE:
            self.parked.set()
            await self.release.wait()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chunks() -> ChunkGate:
    return ChunkGate()


@pytest.fixture
async def fake(clock: Clock, chunks: ChunkGate) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(
        clock=clock, session_timeout=TIMEOUT, sleep=chunks.sleep, stream_pause=PAUSE
    ) as fake:
        yield fake


def streamed(fake: FakeAssistant) -> list[Any]:
    return [r.json for r in fake.requests if r.path.endswith("/message_stream")]


async def final_of(stream: ConversationStream[MessageStreamResponse]) -> StatefulMessageResponse:
    """Read ``stream`` to the end; its final response as the conversation recorded it."""
    frames = await stream.collect()
    last = frames[-1]
    assert isinstance(last, StatefulMessageStreamFinalResponse)
    assert any(isinstance(frame, MessageStreamPartialItem) for frame in frames)
    return StatefulMessageResponse.from_dict(last.final_response.to_dict())


async def test_a_streamed_turn_is_restored_after_renewal(
    fake: FakeAssistant, assistant: Assistant, clock: Clock
) -> None:
    # The bug of issue 17 item 2: streaming "book a trip" outside the conversation left
    # nothing to restore, so "Oslo" on the renewed session was "You said: Oslo".
    async with assistant.conversation(restore=True) as conv:
        async with await conv.stream("book a trip") as stream:
            async for frame in stream:
                if isinstance(frame, StatefulMessageStreamFinalResponse):
                    assert frame.final_response.text == ASK_DESTINATION
        assert conv.turns == 1
        assert conv.last_turn is not None
        assert conv.last_turn.reply.text == ASK_DESTINATION
        assert set(conv.saved_state) == {"actions skill", "main skill"}
        first = conv.session_id
        clock.advance(TIMEOUT + 1)
        reply = await conv.send("Oslo")
        assert reply.text == "Booked a trip to Oslo."
        assert conv.renewals == 1
        assert conv.session_id != first
    assert fake.sessions == frozenset()


async def test_a_stream_renews_an_expired_session_and_replays_the_state(
    fake: FakeAssistant, assistant: Assistant, clock: Clock
) -> None:
    async with assistant.conversation(restore=True, history_limit=5) as conv:
        assert (await conv.send("book a trip")).text == ASK_DESTINATION
        first = conv.session_id
        clock.advance(TIMEOUT + 1)
        async with await conv.stream("Paris") as stream:  # 404 before any frame: renewed
            reply = await final_of(stream)
        assert reply.text == "Booked a trip to Paris."
        assert conv.renewals == 1
        assert conv.last_turn is not None
        assert conv.last_turn.renewed
        assert conv.last_turn.session_id == conv.session_id != first
        assert [turn.reply.text for turn in conv.history] == [ASK_DESTINATION, reply.text]
    bodies = streamed(fake)
    assert len(bodies) == 2  # the expired session's 404, then the resent turn
    assert "context" not in bodies[0]
    assert bodies[1]["context"]["skills"]["actions skill"]["system"]["state"]
    assert all(body["input"]["options"]["export"] is True for body in bodies)


async def test_a_stream_holds_the_turn_until_it_is_read(
    assistant: Assistant, chunks: ChunkGate
) -> None:
    async with assistant.conversation() as conv:
        chunks.release.clear()
        stream = await conv.stream("hello")
        sending = asyncio.ensure_future(conv.send("menu"))
        await chunks.parked.wait()  # the stream's body is being written
        assert not sending.done()  # queued behind the stream
        chunks.release.set()
        frames = await stream.collect()
        assert stream.closed
        reply = await sending
        assert isinstance(frames[-1], StatefulMessageStreamFinalResponse)
        assert frames[-1].final_response.text == GREETING_TEXT
        assert conv.turns == 2
        assert conv.last_turn is not None
        assert conv.last_turn.reply == reply


async def test_a_stream_left_early_or_dropped_gives_the_turn_back(
    assistant: Assistant,
) -> None:
    async with assistant.conversation() as conv:
        async with await conv.stream("hello") as stream:
            async for _ in stream:
                break
        assert stream.closed
        assert conv.turns == 0  # no final response: no turn recorded
        await conv.stream("hello")  # never read, never closed: dropped
        gc.collect()
        assert (await asyncio.wait_for(conv.send("hello"), 10)).text == GREETING_TEXT


async def test_the_final_response_has_the_reply_helpers(assistant: Assistant) -> None:
    async with assistant.conversation() as conv:
        async with await conv.stream("menu") as stream:
            frames = await stream.collect()
        sent = await conv.send("menu")
    final = frames[-1]
    assert isinstance(final, StatefulMessageStreamFinalResponse)
    reply = final.final_response
    assert reply.text == sent.text
    assert [o.label for o in reply.options] == [o.label for o in sent.options] != []
    assert reply.top_intent == sent.top_intent
    assert reply.entities_by_name == sent.entities_by_name
    assert reply.is_fallback is sent.is_fallback
    assert reply.agent_requested is sent.agent_requested


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    async def session_started(self, conversation: Conversation, response: SessionResponse) -> None:
        self.seen.append(("session_started", response.session_id))

    async def message_handled(
        self, conversation: Conversation, request_input: MessageInput, reply: Any
    ) -> None:
        self.seen.append(("message_handled", (request_input.text, reply)))


async def test_a_streamed_turn_is_reported_to_the_event_hook(assistant: Assistant) -> None:
    events = Events()
    async with assistant.conversation(events=events) as conv:
        await (await conv.stream("hello")).collect()  # read to the end: closed
    assert [kind for kind, _ in events.seen] == ["session_started", "message_handled"]
    text, reply = events.seen[1][1]
    assert text == "hello"
    assert isinstance(reply, StatefulMessageResponse)
    assert reply.text == GREETING_TEXT


async def test_a_closed_conversation_refuses_to_stream(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    async with assistant.conversation() as conv:
        pass
    with pytest.raises(ClientClosedError):
        await conv.stream("hello")
    assert streamed(fake) == []


async def test_exit_ends_a_stream_being_read(
    fake: FakeAssistant, assistant: Assistant, chunks: ChunkGate
) -> None:
    async def read(stream: ConversationStream[MessageStreamResponse]) -> list[Any]:
        return [frame async for frame in stream]

    async with assistant.conversation() as conv:
        chunks.release.clear()
        stream = await conv.stream("hello")
        reader = asyncio.ensure_future(read(stream))
        await chunks.parked.wait()
    # exit did not wait for the stalled stream: it closed it and deleted the session
    with pytest.raises(ClientClosedError):
        await asyncio.wait_for(reader, 10)
    assert stream.closed
    assert conv.turns == 0
    assert fake.sessions == frozenset()
    chunks.release.set()
    await fake.wait_streams_idle()


async def test_exit_ends_a_stream_still_opening(
    fake: FakeAssistant, assistant: Assistant, chunks: ChunkGate
) -> None:
    chunks.release.clear()
    fake.enqueue_delay(PAUSE, method="POST", path_contains="/message_stream")
    async with assistant.conversation() as conv:
        opening = asyncio.ensure_future(conv.stream("hello"))
        await chunks.parked.wait()  # the request is in the fake, no response yet
    with pytest.raises(ClientClosedError):
        await opening
    chunks.release.set()
    assert fake.sessions == frozenset()
    assert conv.turns == 0
    assert conv.renewals == 0
    with pytest.raises(ClientClosedError):
        await conv.stream("after close")


async def test_exit_ends_a_stream_nobody_reads(fake: FakeAssistant, assistant: Assistant) -> None:
    async with assistant.conversation() as conv:
        stream = await conv.stream("hello")
    assert stream.closed
    with pytest.raises(ClientClosedError):
        await stream.collect()
    assert fake.sessions == frozenset()


async def test_stateless_stream_threads_the_context(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    conv = client.assistant(fake.assistant_id, fake.environment_id).stateless_conversation()
    async with await conv.stream("book a trip") as stream:
        frames = await stream.collect()
    final = frames[-1]
    assert isinstance(final, StatelessMessageStreamFinalResponse)
    assert final.final_response.text == ASK_DESTINATION
    assert conv.turns == 1
    assert conv.session_id is not None
    assert (await conv.send("Rome")).text == "Booked a trip to Rome."
    assert conv.turns == 2
