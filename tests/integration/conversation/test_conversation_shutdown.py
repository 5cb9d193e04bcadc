"""Leaving conversations while the service is down is bounded: each exit sends its
DELETE once (no retries, no waits between attempts) with ``delete_timeout`` as its
timeout (issue 17: 5 sessions used to take 7.5 s)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import pytest

from watson_async import AssistantClient, IAMAuthenticator, ServerError, TransportError
from watson_async.conversation import Assistant
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


class Shutdown(Exception):
    """What ends the conversations' blocks, as a server's shutdown would."""


class Sleeps:
    """The client's injected sleep: records every wait (retries, the gate) and returns."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Hang:
    """The fake's injected sleep: a delayed request never gets its answer."""

    async def __call__(self, seconds: float) -> None:
        if seconds:
            await asyncio.Event().wait()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(sleep=Hang()) as fake:
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def assistant(fake: FakeAssistant, sleeps: Sleeps) -> AsyncIterator[Assistant]:
    # The client's default retry policy: a DELETE is idempotent, so a call would retry it.
    async with AssistantClient(
        VERSION,
        IAMAuthenticator(fake.apikey, url=fake.iam_url),
        service_url=fake.service_url,
        proxy_from_env=False,
        sleep=sleeps,
    ) as client:
        yield client.assistant(fake.assistant_id, fake.environment_id)


async def _shut_down(
    assistant: Assistant, conversations: int, created: list[str | None], **options: float
) -> None:
    """Enter ``conversations`` conversations, then leave them all on :class:`Shutdown`."""
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(conversations):
            conv = await stack.enter_async_context(assistant.conversation(**options))
            created.append(conv.session_id)
        raise Shutdown


async def test_exits_with_the_service_failing_send_each_delete_once_without_waiting(
    fake: FakeAssistant, assistant: Assistant, sleeps: Sleeps
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(5):
            await stack.enter_async_context(assistant.conversation())
    assert len(fake.sessions) == 0
    created: list[str | None] = []
    fake.enqueue_error(503, method="DELETE", path_contains="/sessions/", times=100)
    with pytest.raises(Shutdown):
        await _shut_down(assistant, 5, created)
    deletes = fake.requests_to("/sessions/", method="DELETE")
    assert len(deletes) == 5 + 5  # the first five deleted fine, then one attempt each
    assert sleeps.waits == []  # no retry waited
    assert fake.sessions == frozenset(created)  # left to expire on the service


async def test_a_clean_exit_raises_the_one_failed_delete(
    fake: FakeAssistant, assistant: Assistant, sleeps: Sleeps
) -> None:
    fake.enqueue_error(503, method="DELETE", path_contains="/sessions/", times=100)
    with pytest.raises(ServerError) as failed:
        async with assistant.conversation():
            pass
    assert failed.value.attempts == 1
    assert len(fake.requests_to("/sessions/", method="DELETE")) == 1
    assert sleeps.waits == []


async def test_a_hanging_delete_ends_after_delete_timeout(
    fake: FakeAssistant, assistant: Assistant
) -> None:
    fake.enqueue_delay(60, method="DELETE", path_contains="/sessions/", times=100)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(Shutdown) as raised:
        await _shut_down(assistant, 1, [], delete_timeout=0.2)
    took = loop.time() - started
    assert 0.2 <= took < 5, took  # the bound, not the client's 60 s default timeout
    if sys.version_info >= (3, 11):  # the failed delete is a note on the block's error
        assert any("TransportError" in note for note in raised.value.__notes__)
    with pytest.raises(TransportError) as timed_out:
        async with assistant.conversation(delete_timeout=0.2):
            pass
    assert timed_out.value.timeout


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan")])
def test_delete_timeout_is_checked(bad: float) -> None:
    client = AssistantClient(VERSION, IAMAuthenticator("k"), proxy_from_env=False)
    with pytest.raises(ValueError, match="delete_timeout must be a positive number"):
        client.assistant("a", "e").conversation(delete_timeout=bad)
