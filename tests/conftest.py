"""Shared test configuration.

The ``watson_async`` pytest plugin normally arrives through the package's ``pytest11``
entry point; when the package is not installed (running from a checkout) load it here.
"""

from collections.abc import AsyncIterator
from importlib.metadata import entry_points

import aiohttp
import pytest

_PLUGIN = "watson_async.testing.pytest_plugin"

if not any(ep.value == _PLUGIN for ep in entry_points(group="pytest11")):
    pytest_plugins = [_PLUGIN]

import _aioresponses_shim  # noqa: E402, F401  - patches aioresponses for aiohttp >= 3.14

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback test traffic never goes to a developer's or CI's proxy: the proxy
    variables (either case) are unset in every test; proxy tests set their own."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, for tests that talk to the fake without our client."""
    async with aiohttp.ClientSession() as session:
        yield session
