"""aclose() at the worst moments: pending calls end with ClientClosedError, nothing
runs or is sent afterwards, nothing stays open, and only cancelled callers see
CancelledError."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import io
import random
import threading
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from watson_async import (
    AssistantClient,
    AuthenticationError,
    BearerTokenAuthenticator,
    ClientClosedError,
    IAMAuthenticator,
    TransportError,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


def _watson_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [
        t
        for t in asyncio.all_tasks()
        if t is not current and "watson_async" in repr(t.get_coro()) and not t.done()
    ]


class Parked:
    """An injectable sleep that parks every sleeper until released."""

    def __init__(self) -> None:
        self.sleepers = 0
        self.release = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.sleepers += 1
        await self.release.wait()

    async def until(self, sleepers: int) -> None:
        for _ in range(10_000):
            if self.sleepers >= sleepers:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"only {self.sleepers} of {sleepers} sleepers arrived")


async def test_calls_asleep_in_a_retry_or_on_the_gate_end_closed_and_nothing_restarts() -> None:
    async with FakeAssistant() as fake:
        parked = Parked()
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        client = AssistantClient(VERSION, auth, service_url=fake.service_url, sleep=parked)
        aid, eid = fake.assistant_id, fake.environment_id
        await client.create_session(aid, eid)  # a token, and a refresher for it
        fake.enqueue_error(503, path_contains="/sessions", times=3)
        retrying = [asyncio.create_task(client.create_session(aid, eid)) for _ in range(3)]
        await parked.until(3)  # each asleep before its retry
        fake.enqueue_error(429, headers={"Retry-After": "30"}, path_contains="/message")
        limited = asyncio.create_task(client.message_stateless(aid, eid))
        await parked.until(4)  # asleep before its retry, the gate closed for /message
        gated = [asyncio.create_task(client.message_stateless(aid, eid)) for _ in range(3)]
        await parked.until(5)  # the gate holds all three with one timer
        assert client._gate is not None
        family = client._gate._families["message_stateless"]
        for _ in range(100):
            if family.waiters is not None and len(family.waiters) == 3:
                break
            await asyncio.sleep(0)
        assert family.waiters is not None
        assert len(family.waiters) == 3
        iam_calls, requests = fake.iam_calls, len(fake.requests)

        await client.aclose()
        parked.release.set()  # were a sleeper still asleep, it would wake now
        results = await asyncio.gather(*retrying, limited, *gated, return_exceptions=True)

        assert [type(r) for r in results] == [ClientClosedError] * 7
        assert (fake.iam_calls, len(fake.requests)) == (iam_calls, requests)
        assert _watson_tasks() == []
        assert auth.closed
        assert auth._refresher is None
        assert auth._transport is None
        with pytest.raises(ClientClosedError):
            await client.create_session(aid, eid)
        with pytest.raises(ClientClosedError):
            await auth.authorization()
        assert (fake.iam_calls, len(fake.requests)) == (iam_calls, requests)


async def _storm_round(fake: FakeAssistant, rng: random.Random, calls: int) -> list[str]:
    """``calls`` calls in every state, some cancelled, aclose() at a random moment."""
    auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
    client = AssistantClient(
        VERSION, auth, service_url=fake.service_url, max_connections=16, connect_timeout=30
    )
    aid, eid = fake.assistant_id, fake.environment_id
    if rng.random() < 0.5:
        fake.enqueue_delay(0.05, path_contains="/identity/token")  # callers wait for a token
    kinds: list[Coroutine[Any, Any, object]] = []
    for _ in range(calls):
        pick = rng.randrange(4)
        if pick == 0:
            kinds.append(client.create_session(aid, eid))
        elif pick == 1:
            kinds.append(client.message_stateless(aid, eid, input={"text": "hi"}))
        elif pick == 2:
            kinds.append(client.list_assistants())
        else:
            kinds.append(_read_stream(client, aid, eid))
    tasks = [asyncio.create_task(k) for k in kinds]
    cancelled = rng.sample(range(calls), calls // 10)
    for i in cancelled[: len(cancelled) // 2]:
        tasks[i].cancel()
    # Close once a random share of the calls has finished: the rest are at every stage.
    finished = rng.randrange(calls // 2)
    pending = set(tasks)
    while calls - len(pending) < finished:
        _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    for i in cancelled[len(cancelled) // 2 :]:
        tasks[i].cancel()
    await client.aclose()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    seen: list[str] = []
    for i, result in enumerate(results):
        if isinstance(result, asyncio.CancelledError):
            assert i in cancelled, "a caller nobody cancelled saw CancelledError"
        elif isinstance(result, BaseException):
            assert type(result) is ClientClosedError, repr(result)
        seen.append(type(result).__name__)
    assert _watson_tasks() == []
    assert auth._fetching is None
    assert auth._refresher is None
    return seen


async def _read_stream(client: AssistantClient, aid: str, eid: str) -> object:
    session = await client.create_session(aid, eid)
    stream = await client.message_stream(aid, eid, session.session_id, input={"text": "hi"})
    async with stream:
        return await stream.collect()


async def test_shutdown_storm_every_caller_gets_a_result_or_one_typed_error() -> None:
    rng = random.Random(1357)
    outcomes: set[str] = set()
    async with FakeAssistant(latency=0.01, stream_pause=0.002) as fake:
        fake.record_requests = False
        for _ in range(6):
            outcomes.update(await _storm_round(fake, rng, 200))
    # The storm reached every outcome: finished, closed under, cancelled.
    assert {"ClientClosedError", "CancelledError"} <= outcomes
    assert outcomes - {"ClientClosedError", "CancelledError"}


async def test_aclose_wakes_a_pool_waiter_with_client_closed() -> None:
    async with FakeAssistant(latency=0.05) as fake:
        client = AssistantClient(
            VERSION,
            BearerTokenAuthenticator(fake.issue_token()),
            service_url=fake.service_url,
            max_connections=1,
        )
        aid, eid = fake.assistant_id, fake.environment_id
        first = asyncio.create_task(client.create_session(aid, eid))
        second = asyncio.create_task(client.create_session(aid, eid))  # waits for the slot
        for _ in range(50):
            await asyncio.sleep(0)
        await client.aclose()
        results = await asyncio.gather(first, second, return_exceptions=True)
    assert [type(r) for r in results] == [ClientClosedError, ClientClosedError]


async def test_a_stream_holds_its_connection_slot_until_closed() -> None:
    async with FakeAssistant() as fake:
        aid, eid = fake.assistant_id, fake.environment_id
        async with AssistantClient(
            VERSION,
            BearerTokenAuthenticator(fake.issue_token()),
            service_url=fake.service_url,
            max_connections=1,
            connect_timeout=0.05,
            retry=None,
        ) as client:
            session = await client.create_session(aid, eid)
            stream = await client.message_stream(aid, eid, session.session_id, input={"text": "x"})
            with pytest.raises(TransportError, match="free connection in the pool"):
                await client.create_session(aid, eid)
            await stream.aclose()
            assert (await client.create_session(aid, eid)).session_id


# --- another event loop ----------------------------------------------------------------


def test_aclose_from_a_loop_that_is_not_running_refuses_and_names_it() -> None:
    home = asyncio.new_event_loop()
    try:
        fake = FakeAssistant()
        home.run_until_complete(fake.start())
        client = AssistantClient(
            VERSION, BearerTokenAuthenticator(fake.issue_token()), service_url=fake.service_url
        )
        home.run_until_complete(client.create_session(fake.assistant_id, fake.environment_id))

        with pytest.raises(RuntimeError, match="event loop") as info:
            asyncio.run(client.aclose())
        assert repr(home) in str(info.value)
        assert not client.closed  # refused: nothing changed

        home.run_until_complete(client.aclose())  # in its own loop it closes for real
        assert client.closed
        home.run_until_complete(fake.stop())
    finally:
        home.close()
    gc.collect()  # an unclosed socket would warn now (warnings are errors)


def test_aclose_from_another_thread_closes_in_the_clients_loop() -> None:
    home = asyncio.new_event_loop()
    thread = threading.Thread(target=home.run_forever, daemon=True)
    thread.start()
    try:

        def run(coro: Coroutine[Any, Any, Any]) -> Any:
            return asyncio.run_coroutine_threadsafe(coro, home).result(timeout=30)

        fake = FakeAssistant()
        run(fake.start())
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        client = AssistantClient(VERSION, auth, service_url=fake.service_url)
        run(client.create_session(fake.assistant_id, fake.environment_id))
        assert auth._refresher is not None

        asyncio.run(client.aclose())  # from this thread's own loop

        assert client.closed
        assert auth._refresher is None
        assert run(_count_tasks()) == 0
        run(fake.stop())
    finally:
        home.call_soon_threadsafe(home.stop)
        thread.join(timeout=30)
        home.close()
    gc.collect()


async def _count_tasks() -> int:
    return len(_watson_tasks())


# --- uploads and the 401 replay ------------------------------------------------------


async def test_a_401_during_a_file_upload_resends_the_whole_file() -> None:
    archive = bytes(range(256)) * 400
    async with FakeAssistant() as fake:
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
            await client.list_assistants()  # a token
            fake.revoke_tokens()  # the next request gets a 401
            await client.create_release_import(fake.assistant_id, io.BytesIO(archive))
        assert fake.unauthorized_responses == 1
        (upload,) = fake.release_imports
        assert upload.size == len(archive)
        assert upload.sha256 == hashlib.sha256(archive).hexdigest()


async def test_a_401_during_a_one_shot_upload_is_raised_not_resent_empty() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"archive-bytes"

    async with FakeAssistant() as fake:
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
            await client.list_assistants()
            fake.revoke_tokens()
            with pytest.raises(AuthenticationError):
                await client.create_release_import(fake.assistant_id, chunks())
            assert len(fake.requests_to("/import", "POST")) == 1  # sent once
            assert fake.iam_calls == 2  # the token was still refreshed for later calls
            await client.list_assistants()
        assert fake.release_imports == []
