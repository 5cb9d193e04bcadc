"""``client.with_options(deadline=...)``: one bound over the gate, the retries and the send
(issue 17 item 5), against FakeAssistant on a loopback socket.

The client's injected ``sleep`` parks every wait (the gate's hold, a retry's backoff, the
deadline's timer) until the test releases it, each told apart by its length, so no test
waits for real time to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fakes import ManualClock as Clock

from watson_async import (
    AssistantClient,
    DeadlineExceededError,
    IAMAuthenticator,
    RetryPolicy,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
DEADLINE = 7.5  # the timer's sleep; every other wait is shorter or longer


class Sleeps:
    """The client's ``sleep``: each wait parks until released; ``waits`` lists them."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.parked = asyncio.Condition()
        self._released: dict[float, asyncio.Event] = {}

    def release(self, seconds: float) -> None:
        self._released.setdefault(seconds, asyncio.Event()).set()

    async def until(self, predicate: object) -> None:
        async with self.parked:
            await self.parked.wait_for(lambda: any(map(predicate, self.waits)))  # type: ignore[arg-type]

    async def sleep(self, seconds: float) -> None:
        async with self.parked:
            self.waits.append(seconds)
            self.parked.notify_all()
        await self._released.setdefault(seconds, asyncio.Event()).wait()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(clock=Clock(), rate_limit=1, rate_limit_window=60.0) as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeAssistant, sleeps: Sleeps) -> AsyncIterator[AssistantClient]:
    async with AssistantClient(
        VERSION,
        IAMAuthenticator(fake.apikey, url=fake.iam_url),
        service_url=fake.service_url,
        sleep=sleeps.sleep,
    ) as client:
        yield client


async def test_the_deadline_ends_a_call_the_gate_holds(
    fake: FakeAssistant, client: AssistantClient, sleeps: Sleeps
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    await client.create_session(aid, eid)  # the window's one session: the gate now knows
    bounded = client.with_options(deadline=DEADLINE)
    call = asyncio.ensure_future(bounded.create_session(aid, eid))
    await sleeps.until(lambda s: s != DEADLINE)  # held by the gate until the reset
    await sleeps.until(lambda s: s == DEADLINE)
    sleeps.release(DEADLINE)
    with pytest.raises(DeadlineExceededError) as info:
        await call
    assert info.value.deadline == DEADLINE
    assert isinstance(info.value, TimeoutError)
    assert "7.5 s" in str(info.value)
    assert len(fake.sessions) == 1  # the held call never went out


async def test_the_deadline_ends_retries(
    fake: FakeAssistant, client: AssistantClient, sleeps: Sleeps
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    fake.enqueue_error(503, path_contains="/sessions")
    bounded = client.with_options(
        deadline=DEADLINE, retry=RetryPolicy(backoff_base=20.0, backoff_cap=20.0)
    )
    call = asyncio.ensure_future(bounded.create_session(aid, eid))
    await sleeps.until(lambda s: s != DEADLINE)  # the retry's backoff
    sleeps.release(DEADLINE)
    with pytest.raises(DeadlineExceededError):
        await call
    assert len([r for r in fake.requests if r.path.endswith("/sessions")]) == 1  # the 503


async def test_a_call_within_its_deadline_is_untouched(
    fake: FakeAssistant, client: AssistantClient, sleeps: Sleeps
) -> None:
    bounded = client.with_options(deadline=DEADLINE)
    session = await bounded.create_session(fake.assistant_id, fake.environment_id)
    assert session.session_id in fake.sessions
    assert sleeps.waits == [DEADLINE]  # the timer, cancelled once the call was done
    # the view keeps its other options and views of it keep the deadline
    assert client.with_options(deadline=DEADLINE).with_options(retry=None)._deadline == DEADLINE
    assert client.with_options(deadline=DEADLINE).with_options(deadline=None)._deadline is None


async def test_cancelling_the_caller_cancels_the_call(
    fake: FakeAssistant, client: AssistantClient, sleeps: Sleeps
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    await client.create_session(aid, eid)
    call = asyncio.ensure_future(client.with_options(deadline=DEADLINE).create_session(aid, eid))
    await sleeps.until(lambda s: s != DEADLINE)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert len(fake.sessions) == 1
    assert sleeps.waits.count(DEADLINE) == 1  # the timer was cancelled, not left running


async def test_a_turn_on_a_bounded_assistant(
    fake: FakeAssistant, client: AssistantClient, sleeps: Sleeps
) -> None:
    assistant = client.with_options(deadline=DEADLINE).assistant(
        fake.assistant_id, fake.environment_id
    )
    session = await client.create_session(fake.assistant_id, fake.environment_id)
    await assistant.message(session.session_id, input={"text": "hello"})  # the window's one
    turn = asyncio.ensure_future(assistant.message(session.session_id, input={"text": "menu"}))
    await sleeps.until(lambda s: s != DEADLINE)
    sleeps.release(DEADLINE)
    with pytest.raises(DeadlineExceededError):
        await turn
    assert fake.turn_texts(session.session_id) == ["hello"]


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
def test_a_bad_deadline_is_refused(client: AssistantClient, bad: object) -> None:
    with pytest.raises(ValueError, match="deadline must be a number of seconds above 0"):
        client.with_options(deadline=bad)  # type: ignore[arg-type]
