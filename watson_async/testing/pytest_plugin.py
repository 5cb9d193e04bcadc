"""pytest plugin: the ``fake_assistant`` and ``fake_assistant_factory`` fixtures.

Loaded through the ``pytest11`` entry point ``watson_async``. The fixtures are async,
so they need pytest-asyncio; without it (not installed, or ``-p no:asyncio``) they
exist but skip the test with a message saying so.

``@pytest.mark.fake_assistant(**kwargs)`` passes constructor arguments to the
``fake_assistant`` fixture, e.g. ``@pytest.mark.fake_assistant(rate_limit=2)``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

__all__ = ["pytest_configure"]

_PLUGIN_NAME = "watson_async-fixtures"


def _asyncio_active(config: pytest.Config) -> bool:
    manager = config.pluginmanager
    return manager.has_plugin("asyncio") or manager.has_plugin("pytest_asyncio.plugin")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_assistant(**kwargs): FakeAssistant constructor arguments for the "
        "fake_assistant fixture",
    )
    if config.pluginmanager.has_plugin(_PLUGIN_NAME):
        return
    fixtures: ModuleType
    if _asyncio_active(config):
        fixtures = importlib.import_module("watson_async.testing._pytest_async")
    else:
        fixtures = importlib.import_module("watson_async.testing._pytest_noasync")
    config.pluginmanager.register(fixtures, _PLUGIN_NAME)
