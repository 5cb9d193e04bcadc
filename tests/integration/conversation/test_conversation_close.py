"""Leaving a stateful Conversation while a turn or a session creation is in flight,
against FakeAssistant on a loopback socket: no session is left behind, a closed
conversation never renews (issue 17, item 6).

The fake's injected ``sleep`` parks delayed requests on a :class:`Gates` entry until
the test releases it, so every interleaving below is decided by the test, not by timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from watson_async import (
    ClientClosedError,
    MessageInput,
    SessionResponse,
    StatefulMessageResponse,
)
from watson_async.conversation import Assistant, Conversation
from watson_async.testing import FakeAssistant

# The delay each kind of request is enqueued with; Gates tells them apart by it.
PASS, MESSAGE, CREATE, DELETE = 0.0, 1.0, 2.0, 3.0


class Gate:
    def __init__(self) -> None:
        self.parked = asyncio.Event()
        self.release = asyncio.Event()


class Gates:
    """The fake's ``sleep``: a request delayed by ``seconds`` waits for ``self[seconds]``."""

    def __init__(self) -> None:
        self._gates = {seconds: Gate() for seconds in (MESSAGE, CREATE, DELETE)}

    def __getitem__(self, seconds: float) -> Gate:
        return self._gates[seconds]

    async def sleep(self, seconds: float) -> None:
        if seconds == PASS:
            return
        gate = self._gates[seconds]
        gate.parked.set()
        await gate.release.wait()


class Events:
    """An EventHook that records what it is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    async def session_started(self, conversation: Conversation, response: SessionResponse) -> None:
        self.seen.append(("session_started", response.session_id))

    async def message_handled(
        self, conversation: Conversation, request_input: MessageInput, reply: Any
    ) -> None:
        assert isinstance(reply, StatefulMessageResponse)
        self.seen.append(("message_handled", conversation.session_id))


@pytest.fixture
def gates() -> Gates:
    return Gates()


@pytest.fixture
async def fake(gates: Gates) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(sleep=gates.sleep) as fake:
        yield fake


def requests(fake: FakeAssistant, method: str, suffix: str) -> int:
    return sum(1 for r in fake.requests if r.method == method and r.path.endswith(suffix))


async def renewal_held(
    fake: FakeAssistant, gates: Gates, conv: Conversation
) -> tuple[str, asyncio.Task[StatefulMessageResponse]]:
    """Expire the session and send a turn: its 404 passes, the renewal's create is
    applied by the fake and its response held at ``gates[CREATE]``. Returns the expired
    session and the turn."""
    await conv.send("hello")
    expired = conv.session_id
    assert expired is not None
    fake.expire_session(expired)
    fake.enqueue_delay(PASS, method="POST", path_contains="/message")
    fake.enqueue_delay(CREATE, method="POST", path_contains="/sessions", after_processing=True)
    turn = asyncio.create_task(conv.send("hello again"))
    await gates[CREATE].parked.wait()
    assert len(fake.sessions) == 1  # the new session exists on the server
    return expired, turn


@pytest.mark.parametrize("restore", [False, True])
async def test_exit_with_a_turn_in_flight_leaves_no_session_and_never_renews(
    fake: FakeAssistant, assistant: Assistant, gates: Gates, restore: bool
) -> None:
    events = Events()
    conv = assistant.conversation(restore=restore, events=events)
    fake.enqueue_delay(MESSAGE, method="POST", path_contains="/message")
    fake.enqueue_delay(DELETE, method="DELETE")
    sends: list[asyncio.Task[StatefulMessageResponse]] = []
    started: list[str | None] = []

    async def chat() -> None:
        async with conv:
            started.append(conv.session_id)
            sends.append(asyncio.create_task(conv.send("hello")))  # from another task
            await gates[MESSAGE].parked.wait()  # the turn is in the fake, not yet applied
            sends.append(asyncio.create_task(conv.send("queued behind it")))

    chatting = asyncio.create_task(chat())
    await gates[DELETE].parked.wait()  # exit is deleting the session
    gates[DELETE].release.set()
    await chatting  # the block has exited: the session is gone
    gates[MESSAGE].release.set()  # only now could the turn reach the deleted session
    results = await asyncio.gather(*sends, return_exceptions=True)

    assert [type(r) for r in results] == [ClientClosedError, ClientClosedError], results
    assert "closed" in str(results[0])
    assert fake.sessions == frozenset()
    assert conv.renewals == 0
    assert conv.session_id is None
    assert requests(fake, "POST", "/sessions") == 1  # no renewal
    assert requests(fake, "POST", "/message") <= 1  # the cancelled turn, never resent
    assert events.seen == [("session_started", started[0])]  # nothing after close
    with pytest.raises(ClientClosedError, match="conversation is closed"):
        await conv.send("after close")
    assert requests(fake, "POST", "/message") <= 1


async def test_cancelled_while_entering_deletes_the_session_created_meanwhile(
    fake: FakeAssistant, assistant: Assistant, gates: Gates
) -> None:
    # The fake creates the session, then holds its response back.
    fake.enqueue_delay(CREATE, method="POST", path_contains="/sessions", after_processing=True)
    events = Events()

    async def chat() -> None:
        async with assistant.conversation(events=events):
            pytest.fail("the block must not run")

    entering = asyncio.create_task(chat())
    await gates[CREATE].parked.wait()
    assert len(fake.sessions) == 1
    entering.cancel()
    gates[CREATE].release.set()  # the response arrives after the caller was cancelled
    with pytest.raises(asyncio.CancelledError):
        await entering
    assert fake.sessions == frozenset()
    assert requests(fake, "DELETE", "") == 1
    assert events.seen == []


@pytest.mark.parametrize("restore", [False, True])
async def test_cancelled_while_renewing_deletes_the_session_created_meanwhile(
    fake: FakeAssistant, assistant: Assistant, gates: Gates, restore: bool
) -> None:
    events = Events()
    async with assistant.conversation(restore=restore, events=events) as conv:
        expired, turn = await renewal_held(fake, gates, conv)
        turn.cancel()
        gates[CREATE].release.set()
        with pytest.raises(asyncio.CancelledError):
            await turn
        assert fake.sessions == frozenset()
        assert conv.session_id == expired  # the renewal did not happen
        assert conv.renewals == 0
    assert fake.sessions == frozenset()
    assert [name for name, _ in events.seen] == ["session_started", "message_handled"]


async def test_a_turn_that_finishes_before_exit_is_kept(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    async with assistant.conversation() as conv:
        reply = await asyncio.create_task(conv.send("hello"))
    assert reply.text
    assert conv.turns == 1
    assert fake.sessions == frozenset()


async def test_exit_during_a_renewal_deletes_the_new_session_and_never_resends(
    fake: FakeAssistant, assistant: Assistant, gates: Gates
) -> None:
    events = Events()
    async with assistant.conversation(events=events) as conv:
        _, turn = await renewal_held(fake, gates, conv)
        # Released only once the block has started to exit (exit's first step closes it).
        asyncio.get_running_loop().call_soon(gates[CREATE].release.set)
    with pytest.raises(ClientClosedError):
        await turn
    assert fake.sessions == frozenset()
    assert conv.renewals == 0
    assert requests(fake, "POST", "/message") == 2  # the 404'd turn was not resent
    assert [name for name, _ in events.seen] == ["session_started", "message_handled"]


async def test_exit_cancelled_while_a_renewal_runs_still_leaves_no_session(
    fake: FakeAssistant, assistant: Assistant, gates: Gates
) -> None:
    conv = assistant.conversation()
    turns: list[asyncio.Task[StatefulMessageResponse]] = []

    async def chat() -> None:
        async with conv:
            turns.append((await renewal_held(fake, gates, conv))[1])
            # Lands once the exit waits for the renewal to finish.
            asyncio.get_running_loop().call_soon(chatting.cancel)

    chatting = asyncio.create_task(chat())
    with pytest.raises(asyncio.CancelledError):
        await chatting
    gates[CREATE].release.set()  # the renewal's session arrives after the exit
    with pytest.raises(ClientClosedError):
        await turns[0]
    assert fake.sessions == frozenset()
    assert conv.renewals == 0


async def test_cancelled_in_the_session_started_hook_deletes_the_session(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    in_hook = asyncio.Event()

    class Parking(Events):
        async def session_started(self, conversation: Conversation, response: Any) -> None:
            in_hook.set()
            await asyncio.Event().wait()  # parked until cancelled

    async def chat() -> None:
        async with assistant.conversation(events=Parking()):
            pytest.fail("the block must not run")

    entering = asyncio.create_task(chat())
    await in_hook.wait()
    assert len(fake.sessions) == 1
    entering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await entering
    assert fake.sessions == frozenset()
