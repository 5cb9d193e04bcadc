"""The plugin's fixtures when pytest-asyncio is missing: they skip, saying why."""

from __future__ import annotations

from typing import NoReturn

import pytest

__all__ = ["fake_assistant", "fake_assistant_env", "fake_assistant_factory", "watson_cassette"]

_REASON = (
    "the fake_assistant and watson_cassette fixtures are async and need pytest-asyncio "
    "(pip install pytest-asyncio, and do not disable it with -p no:asyncio)"
)


@pytest.fixture
def fake_assistant() -> NoReturn:
    pytest.skip(_REASON)


@pytest.fixture
def fake_assistant_factory() -> NoReturn:
    pytest.skip(_REASON)


@pytest.fixture
def watson_cassette() -> NoReturn:
    pytest.skip(_REASON)


@pytest.fixture
def fake_assistant_env() -> NoReturn:
    pytest.skip(_REASON)
