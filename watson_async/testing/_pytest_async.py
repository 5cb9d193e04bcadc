"""The plugin's fixtures when pytest-asyncio is active."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from .cassette import Cassette
from .cassette._pytest import use_cassette
from .fake import FakeAssistant

__all__ = ["fake_assistant", "fake_assistant_env", "fake_assistant_factory", "watson_cassette"]


@pytest_asyncio.fixture
async def fake_assistant(request: pytest.FixtureRequest) -> AsyncIterator[FakeAssistant]:
    """A started :class:`FakeAssistant`, stopped after the test.

    Constructor arguments come from ``@pytest.mark.fake_assistant(**kwargs)``.
    """
    marker = request.node.get_closest_marker("fake_assistant")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with FakeAssistant(**kwargs) as fake:
        yield fake


@pytest.fixture
def fake_assistant_env(
    fake_assistant: FakeAssistant, monkeypatch: pytest.MonkeyPatch
) -> FakeAssistant:
    """The started ``fake_assistant``, with the ``ASSISTANT_*`` variables of
    :meth:`FakeAssistant.environ` set for the test (``AssistantClient.from_env`` and an
    app configured that way reach the fake); the old environment comes back after."""
    for key, value in fake_assistant.environ().items():
        monkeypatch.setenv(key, value)
    return fake_assistant


@pytest_asyncio.fixture
async def fake_assistant_factory() -> AsyncIterator[Callable[..., Awaitable[FakeAssistant]]]:
    """``await fake_assistant_factory(**kwargs)`` starts a :class:`FakeAssistant`;
    every one is stopped after the test."""
    started: list[FakeAssistant] = []

    async def make(**kwargs: Any) -> FakeAssistant:
        fake = FakeAssistant(**kwargs)
        await fake.start()
        started.append(fake)
        return fake

    try:
        yield make
    finally:
        for fake in reversed(started):
            await fake.stop()


@pytest_asyncio.fixture
async def watson_cassette(request: pytest.FixtureRequest) -> AsyncIterator[Cassette]:
    """The test's :class:`~watson_async.testing.cassette.Cassette`, in the mode of
    ``--watson-record-mode`` (default ``none``: replay only), written after a passing
    test that recorded. ``@pytest.mark.watson_cassette("name", **options)`` names it
    (default: the test's name) and passes :class:`Cassette` options."""
    async for cassette in use_cassette(request):
        yield cassette
