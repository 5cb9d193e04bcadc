"""pytest plugin: the ``fake_assistant``, ``fake_assistant_factory`` and
``watson_cassette`` fixtures.

Loaded through the ``pytest11`` entry point ``watson_async``. The fixtures are async,
so they need pytest-asyncio; without it (not installed, or ``-p no:asyncio``) they
exist but skip the test with a message saying so.

``@pytest.mark.fake_assistant(**kwargs)`` passes constructor arguments to the
``fake_assistant`` fixture, e.g. ``@pytest.mark.fake_assistant(rate_limit=2)``.
``@pytest.mark.watson_cassette("name", **options)`` names the ``watson_cassette``
fixture's file; ``--watson-record-mode`` says whether it records (see
``docs/testing-your-assistant.md``).
"""

from __future__ import annotations

import importlib
from collections.abc import Generator
from types import ModuleType
from typing import Any

import pytest

__all__ = ["pytest_addoption", "pytest_configure", "pytest_runtest_makereport"]

_PLUGIN_NAME = "watson_async-fixtures"


def _asyncio_active(config: pytest.Config) -> bool:
    manager = config.pluginmanager
    return manager.has_plugin("asyncio") or manager.has_plugin("pytest_asyncio.plugin")


def pytest_addoption(parser: pytest.Parser) -> None:
    from watson_async.testing.cassette._pytest import add_options

    add_options(parser)


@pytest.hookimpl(hookwrapper=True)  # not wrapper=True: that needs pluggy 1.2 (pytest 8)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Note a failed test, whose cassette is then not written."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call" and report.failed:
        from watson_async.testing.cassette._pytest import CALL_FAILED

        item.stash[CALL_FAILED] = True


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_assistant(**kwargs): FakeAssistant constructor arguments for the "
        "fake_assistant fixture",
    )
    config.addinivalue_line(
        "markers",
        "watson_cassette(name=None, **options): the watson_cassette fixture's file name "
        "and Cassette options",
    )
    if config.pluginmanager.has_plugin(_PLUGIN_NAME):
        return
    fixtures: ModuleType
    if _asyncio_active(config):
        fixtures = importlib.import_module("watson_async.testing._pytest_async")
    else:
        fixtures = importlib.import_module("watson_async.testing._pytest_noasync")
    config.pluginmanager.register(fixtures, _PLUGIN_NAME)
