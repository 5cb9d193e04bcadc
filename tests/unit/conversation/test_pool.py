"""ConversationPool without a server: a stub assistant records sessions, the test moves
a virtual clock, and gates decide every interleaving (issue 17, item 1)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fakes import Events, VirtualTime

from watson_async import ClientClosedError, PoolFullError, RateLimitError, SessionResponse
from watson_async.conversation import ConversationPool, PoolEvent
from watson_async.models import StatefulMessageResponse


class Gate:
    """Parks callers until released; ``parked`` counts who is waiting."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.parked = 0
        self._arrived = asyncio.Event()

    async def wait(self) -> None:
        self.parked += 1
        self._arrived.set()
        await self.release.wait()

    async def until_parked(self, count: int = 1) -> None:
        while self.parked < count:
            self._arrived.clear()
            await self._arrived.wait()


class StubAssistant:
    """What a Conversation calls on its Assistant, with the sessions kept in a set."""

    def __init__(self) -> None:
        self.live: set[str] = set()
        self.created = 0
        self.sent: list[tuple[str, str, str | None]] = []  # (session, text, user_id)
        self.create_gate: Gate | None = None
        self.message_gate: Gate | None = None
        self.delete_gate: Gate | None = None
        self.create_errors: list[Exception] = []
        self.delete_timeouts: list[float | None] = []

    async def create_session(self, *, analytics: Any = None) -> SessionResponse:
        if self.create_gate is not None:
            await self.create_gate.wait()
        if self.create_errors:
            raise self.create_errors.pop(0)
        self.created += 1
        session_id = f"session-{self.created}"
        self.live.add(session_id)
        return SessionResponse(session_id=session_id)

    async def message(
        self, session_id: str, *, input: Any, context: Any, user_id: str | None
    ) -> StatefulMessageResponse:
        self.sent.append((session_id, input.get("text"), user_id))
        if self.message_gate is not None:
            await self.message_gate.wait()
        text = {"response_type": "text", "text": f"you said {input.get('text')}"}
        return StatefulMessageResponse.from_dict({"output": {"generic": [text]}})

    def with_options(self, **options: Any) -> StubAssistant:
        return self  # a Conversation deletes its session through with_options(retry=None)

    async def delete_session(self, session_id: str, *, timeout: float | None = None) -> None:
        self.delete_timeouts.append(timeout)
        if self.delete_gate is not None:
            await self.delete_gate.wait()
        self.live.discard(session_id)


@pytest.fixture
def stub() -> StubAssistant:
    return StubAssistant()


@pytest.fixture
def time_() -> VirtualTime:
    return VirtualTime()


def make_pool(stub: StubAssistant, time_: VirtualTime, **options: Any) -> ConversationPool:
    return ConversationPool(stub, clock=time_, sleep=time_.sleep, **options)  # type: ignore[arg-type]


def kinds(events: Events) -> list[tuple[str, str, str | None]]:
    return [(e.kind, e.user_id, e.reason) for e in events.events]


async def test_two_concurrent_first_requests_share_one_session(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    events = Events()
    stub.create_gate = Gate()
    async with make_pool(stub, time_, on_event=events) as pool:
        first = asyncio.create_task(pool.send("alice", "one"))
        second = asyncio.create_task(pool.send("alice", "two"))
        await stub.create_gate.until_parked()
        stub.create_gate.release.set()
        replies = await asyncio.gather(first, second)
        assert [r.text for r in replies] == ["you said one", "you said two"]
        assert stub.created == 1
        assert stub.sent == [("session-1", "one", "alice"), ("session-1", "two", "alice")]
        assert len(pool) == 1
        assert "alice" in pool
    assert stub.live == set()
    assert kinds(events) == [("opened", "alice", None), ("closed", "alice", None)]


async def test_leases_of_one_user_never_overlap(stub: StubAssistant, time_: VirtualTime) -> None:
    inside = 0
    most = 0

    async def use(pool: ConversationPool, n: int) -> None:
        nonlocal inside, most
        async with pool.lease("bob") as conv:
            inside += 1
            most = max(most, inside)
            for _ in range(3):  # yield to the other tasks: they must not get in
                await asyncio.sleep(0)
            await conv.send(f"turn {n}")
            inside -= 1

    async with make_pool(stub, time_) as pool:
        await asyncio.gather(*(use(pool, n) for n in range(10)))
    assert most == 1
    assert stub.created == 1
    assert len(stub.sent) == 10
    assert stub.live == set()


async def test_different_users_get_their_own_sessions_and_run_together(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    stub.message_gate = Gate()
    async with make_pool(stub, time_) as pool:
        turns = [asyncio.create_task(pool.send(user, "hi")) for user in ("a", "b", "c")]
        await stub.message_gate.until_parked(3)  # all three are mid-turn at once
        stub.message_gate.release.set()
        await asyncio.gather(*turns)
        assert {session for session, _, _ in stub.sent} == {"session-1", "session-2", "session-3"}
        assert len(stub.live) == 3
    assert stub.live == set()


async def test_an_idle_user_is_evicted_after_idle_timeout(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    events = Events()
    async with make_pool(stub, time_, idle_timeout=100, on_event=events) as pool:
        await pool.send("carol", "hi")
        await time_.until_sleeping()
        time_.advance(99)
        assert time_.sleepers == 1  # not due yet: the sweeper sleeps on
        assert "carol" in pool
        assert stub.live == {"session-1"}
        time_.advance(1)
        await events.wait(2)
        assert kinds(events)[1] == ("evicted", "carol", "idle")
        assert events.events[1].users == 0
        assert "carol" not in pool
        assert stub.live == set()
        # The next request opens a new session.
        await pool.send("carol", "again")
        assert stub.sent[-1][0] == "session-2"


async def test_a_request_restarts_the_idle_timer(stub: StubAssistant, time_: VirtualTime) -> None:
    events = Events()
    async with make_pool(stub, time_, idle_timeout=100, on_event=events) as pool:
        await pool.send("dave", "hi")
        await time_.until_sleeping()
        time_.advance(50)
        await pool.send("dave", "still here")  # idle again from t+50: due at t+150
        time_.advance(50)  # the sweeper wakes at t+100, finds dave not due, sleeps 50
        await time_.until_sleeping()
        assert "dave" in pool
        assert len(events.events) == 1
        time_.advance(50)
        await events.wait(2)
        assert kinds(events)[1] == ("evicted", "dave", "idle")
        assert stub.live == set()


async def test_a_user_holding_a_lease_is_never_evicted_for_idleness(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    events = Events()
    async with make_pool(stub, time_, idle_timeout=100, on_event=events) as pool:
        await pool.send("erin", "hi")
        await time_.until_sleeping()
        async with pool.lease("erin") as conv:
            time_.advance(500)  # the sweeper wakes: erin holds a lease, so it waits
            await conv.send("long turn")
            assert "erin" in pool
        await time_.until_sleeping()  # idle again: due 100 s from now
        assert "erin" in pool
        time_.advance(100)
        await events.wait(2)
        assert kinds(events)[1] == ("evicted", "erin", "idle")


async def test_a_full_pool_evicts_the_least_recently_used_idle_user(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    events = Events()
    async with make_pool(stub, time_, max_users=2, on_event=events) as pool:
        await pool.send("u1", "hi")  # session-1
        await pool.send("u2", "hi")  # session-2
        await pool.send("u1", "again")  # u2 is now the least recently used
        await pool.send("u3", "hi")  # session-3, evicts u2
        await events.wait(4)
        assert ("evicted", "u2", "capacity") in kinds(events)
        assert set(pool._entries) == {"u1", "u3"}
        assert stub.live == {"session-1", "session-3"}


async def test_a_full_pool_whose_users_are_all_busy_raises_pool_full(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    async with make_pool(stub, time_, max_users=1) as pool:
        async with pool.lease("busy"):
            with pytest.raises(PoolFullError, match="max_users=1"):
                await pool.send("newcomer", "hi")
        assert stub.created == 1
        assert stub.sent == []
        await pool.send("newcomer", "hi")  # busy is idle now: evicted for the newcomer
        assert list(pool._entries) == ["newcomer"]


async def test_aclose_ends_a_turn_in_flight_and_deletes_every_session(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    events = Events()
    pool = make_pool(stub, time_, on_event=events)
    await pool.send("idle-user", "hi")
    stub.message_gate = Gate()
    turn = asyncio.create_task(pool.send("busy-user", "hi"))
    await stub.message_gate.until_parked()
    await pool.aclose()
    with pytest.raises(ClientClosedError):
        await turn
    assert stub.live == set()
    assert sorted(kinds(events))[-2:] == [
        ("opened", "busy-user", None),
        ("opened", "idle-user", None),
    ]
    assert {(k, u) for k, u, _ in kinds(events) if k == "closed"} == {
        ("closed", "idle-user"),
        ("closed", "busy-user"),
    }
    assert pool.closed
    assert len(pool) == 0
    assert not pool._tasks
    assert asyncio.all_tasks() == {asyncio.current_task()}
    with pytest.raises(ClientClosedError, match="pool is closed"):
        await pool.send("idle-user", "hi")
    await pool.aclose()  # twice is fine


async def test_aclose_waits_for_a_session_being_created_and_deletes_it(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    stub.create_gate, stub.delete_gate = Gate(), Gate()
    pool = make_pool(stub, time_)
    first = asyncio.create_task(pool.send("frank", "hi"))
    await stub.create_gate.until_parked()
    closing = asyncio.create_task(pool.aclose())
    stub.create_gate.release.set()
    await stub.delete_gate.until_parked()  # the new session is being deleted...
    assert not closing.done()  # ...and aclose waits for that
    stub.delete_gate.release.set()
    await closing
    assert stub.created == 1
    assert stub.live == set()
    with pytest.raises(ClientClosedError):  # not CancelledError: nobody cancelled it
        await first


async def test_a_caller_cancelled_while_the_session_is_created_leaves_it_to_the_pool(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    events = Events()
    stub.create_gate = Gate()
    async with make_pool(stub, time_, on_event=events) as pool:
        first = asyncio.create_task(pool.send("gina", "hi"))
        await stub.create_gate.until_parked()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        stub.create_gate.release.set()
        await events.wait(1)
        assert kinds(events) == [("opened", "gina", None)]
        await pool.send("gina", "hi again")
        assert stub.created == 1
        assert stub.sent == [("session-1", "hi again", "gina")]
    assert stub.live == set()


async def test_a_failed_opening_raises_to_the_caller_and_the_next_request_retries(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    stub.create_errors.append(RateLimitError("Too Many Requests", status_code=429))
    async with make_pool(stub, time_) as pool:
        with pytest.raises(RateLimitError):
            await pool.send("hana", "hi")
        assert "hana" not in pool
        assert stub.created == 0
        reply = await pool.send("hana", "hi")
        assert reply.text == "you said hi"
        assert stub.created == 1


def test_nothing_loop_bound_is_created_before_the_first_lease(stub: StubAssistant) -> None:
    pool = ConversationPool(stub)  # type: ignore[arg-type]

    async def use() -> str:
        async with pool:
            return (await pool.send("ivan", "hi")).text

    assert asyncio.run(use()) == "you said hi"
    assert stub.live == set()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_users": 0}, "max_users"),
        ({"max_users": True}, "max_users"),
        ({"idle_timeout": 0}, "idle_timeout"),
        ({"idle_timeout": float("nan")}, "idle_timeout"),
        ({"idle_timeout": "60"}, "idle_timeout"),
        ({"history_limit": -1}, "history_limit"),
        ({"analytics": 3}, "analytics"),
        ({"delete_timeout": 0}, "delete_timeout"),
    ],
)
def test_bad_options_raise_value_error(
    stub: StubAssistant, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ConversationPool(stub, **options)  # type: ignore[arg-type]


async def test_delete_timeout_bounds_each_sessions_deletion(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    async with make_pool(stub, time_, delete_timeout=2.5) as pool:
        await pool.send("ann", "hi")
        await pool.send("bob", "hi")
    assert stub.live == set()
    assert stub.delete_timeouts == [2.5, 2.5]


async def test_a_bad_user_id_is_refused_before_anything_is_sent(
    stub: StubAssistant, time_: VirtualTime
) -> None:
    async with make_pool(stub, time_) as pool:
        with pytest.raises(ValueError, match="user_id"):
            await pool.send("", "hi")
        with pytest.raises(ValueError, match="user_id"):
            await pool.send("a\nb", "hi")
        assert stub.created == 0
        assert len(pool) == 0


async def test_events_reach_a_failing_callback_and_the_log_without_ids(
    stub: StubAssistant, time_: VirtualTime, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[PoolEvent] = []

    def on_event(event: PoolEvent) -> None:
        seen.append(event)
        raise RuntimeError("listener bug")

    caplog.set_level(logging.DEBUG, logger="watson_async.conversation")
    async with make_pool(stub, time_, max_users=1, on_event=on_event) as pool:
        assert (await pool.send("secret-user-1", "hi")).text == "you said hi"
        await pool.send("secret-user-2", "hi")  # evicts the first for capacity
    assert [e.kind for e in seen].count("opened") == 2
    assert "evicted" in [e.kind for e in seen]
    lines = [r.getMessage() for r in caplog.records if r.name == "watson_async.conversation"]
    assert any("evicted (capacity)" in line for line in lines)
    assert any("on_event failed" in line for line in lines)
    assert not any("secret-user" in line or "session-" in line for line in lines if "pool" in line)
    assert "secret-user" not in repr(pool)
