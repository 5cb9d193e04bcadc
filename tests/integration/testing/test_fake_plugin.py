"""The pytest plugin's fixtures."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from _subpytest import run_pytest

from watson_async.testing import FakeAssistant


async def test_fixture_is_started(fake_assistant: FakeAssistant) -> None:
    assert fake_assistant.started
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{fake_assistant.service_url}/v2/assistants",
            params={"version": "2024-08-25"},
            headers={"Authorization": f"Bearer {fake_assistant.issue_token()}"},
        ) as resp,
    ):
        assert resp.status == 200


@pytest.mark.fake_assistant(rate_limit=7, assistant_id="marked")
async def test_marker_passes_kwargs(fake_assistant: FakeAssistant) -> None:
    assert fake_assistant.rate_limit == 7
    assert fake_assistant.assistant_id == "marked"


async def test_factory(fake_assistant_factory: Callable[..., Awaitable[FakeAssistant]]) -> None:
    one = await fake_assistant_factory(apikey="one")
    two = await fake_assistant_factory(apikey="two")
    assert one.started
    assert two.started
    assert one.port != two.port


def run_fixture_test(
    tmp_path: Path, *args: str, marker: str = "", ini: str = ""
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nfilterwarnings = error\n{ini}")
    (tmp_path / "test_uses_fixture.py").write_text(
        textwrap.dedent(
            f"""
            import pytest

            {marker}
            async def test_it(fake_assistant):
                assert fake_assistant.started
            """
        )
    )
    return run_pytest(tmp_path, "-rs", *args)


@pytest.mark.slow
def test_without_pytest_asyncio_the_fixture_skips(tmp_path: Path) -> None:
    result = run_fixture_test(tmp_path, "-p", "no:asyncio")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "need pytest-asyncio" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "marker"), [("auto", ""), ("strict", "@pytest.mark.asyncio")])
def test_with_pytest_asyncio(tmp_path: Path, mode: str, marker: str) -> None:
    ini = f"asyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    result = run_fixture_test(tmp_path, marker=marker, ini=ini)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_fake_assistant_env_points_from_env_at_the_fake(fake_assistant_env: FakeAssistant) -> None:
    assert os.environ["ASSISTANT_URL"] == fake_assistant_env.service_url
    assert os.environ["ASSISTANT_ID"] == fake_assistant_env.assistant_id
    assert os.environ["ASSISTANT_ENVIRONMENT_ID"] == fake_assistant_env.environment_id
