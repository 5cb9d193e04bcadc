"""ConversationPool against FakeAssistant on a loopback socket: one session per live
user under concurrency, renewal under a lease, idle eviction and close delete the
sessions on the service (issue 17, item 1)."""

from __future__ import annotations

import asyncio
import collections
import random
import time
from collections.abc import AsyncIterator

import pytest
from fakes import Events, VirtualTime

from watson_async import AssistantClient, ClientClosedError, IAMAuthenticator
from watson_async.conversation import Assistant, ConversationPool
from watson_async.testing import FakeAssistant

USERS = 50
REQUESTS = 200


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(latency=0.002) as fake:  # requests overlap on the wire
        yield fake


async def test_200_concurrent_requests_over_50_users_hold_one_session_per_user(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    users = [f"user-{n}" for n in range(USERS)]
    picks = [users[n % USERS] for n in range(REQUESTS)]
    random.Random(17).shuffle(picks)  # first requests of a user arrive together
    opened: list[str] = []
    async with assistant.conversation_pool(
        max_users=USERS, on_event=lambda e: opened.append(e.user_id) if e.kind == "opened" else None
    ) as pool:
        started = time.perf_counter()
        replies = await asyncio.gather(*(pool.send(user, f"hello {user}") for user in picks))
        elapsed = time.perf_counter() - started
        assert all(reply.text for reply in replies)
        live = len(fake.sessions)
        assert live == USERS  # exactly one session per live user
        assert sorted(opened) == sorted(users)
        per_user = collections.Counter(picks)
        by_session = {}
        for user in users:
            async with pool.lease(user) as conv:
                assert conv.session_id is not None
                by_session[conv.session_id] = user
        assert set(by_session) == fake.sessions
        for session_id, user in by_session.items():
            assert fake.turns_received(session_id) == per_user[user]
            assert set(fake.turn_texts(session_id)) == {f"hello {user}"}
    assert fake.sessions == frozenset()  # every session deleted by aclose
    assert len(fake.requests_to("/sessions", "DELETE")) == USERS
    print(f"\n{REQUESTS} requests over {USERS} users: {elapsed:.3f} s, {live} sessions")


async def test_an_expired_session_is_renewed_under_the_lease(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    async with assistant.conversation_pool(restore=True) as pool:
        await pool.send("traveller", "book a trip")
        async with pool.lease("traveller") as conv:
            expired = conv.session_id
            assert expired is not None
            fake.expire_session(expired)
            reply = await conv.send("Oslo")
            assert conv.renewals == 1
        assert reply.text == "Booked a trip to Oslo."
        assert len(fake.sessions) == 1
    assert fake.sessions == frozenset()


async def test_an_idle_user_is_evicted_and_its_session_deleted_on_the_service(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    clock = VirtualTime()
    events = Events()
    pool = ConversationPool(
        assistant, idle_timeout=60, clock=clock, sleep=clock.sleep, on_event=events
    )
    async with pool:
        await pool.send("sleepy", "hello")
        await pool.send("awake", "hello")
        assert len(fake.sessions) == 2
        await clock.until_sleeping()
        clock.advance(30)
        await pool.send("awake", "still here")
        clock.advance(30)
        await events.wait(3)  # opened, opened, evicted
        assert [(e.kind, e.user_id, e.reason) for e in events.events][2] == (
            "evicted",
            "sleepy",
            "idle",
        )
        assert len(fake.sessions) == 1
        assert "awake" in pool
        assert "sleepy" not in pool
    assert fake.sessions == frozenset()


async def test_aclose_ends_a_turn_in_flight_and_leaves_no_session() -> None:
    release = asyncio.Event()
    parked = asyncio.Event()

    async def sleep(seconds: float) -> None:  # the fake's: a delayed request waits here
        if seconds:
            parked.set()
            await release.wait()

    async with (
        FakeAssistant(sleep=sleep) as fake,
        AssistantClient(
            "2024-08-25",
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
        ) as client,
    ):
        pool = client.assistant(fake.assistant_id, fake.environment_id).conversation_pool()
        await pool.send("idle", "hello")
        fake.enqueue_delay(1.0, path_contains="/message")
        turn = asyncio.create_task(pool.send("busy", "hello"))
        await parked.wait()  # busy's turn is on the wire
        await pool.aclose()
        with pytest.raises(ClientClosedError):
            await turn
        assert fake.sessions == frozenset()
        release.set()
