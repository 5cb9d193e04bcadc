"""The pytest plugin's ``watson_cassette`` fixture and ``--watson-record-mode``, run in a
pytest subprocess: record against the ``fake_assistant`` fixture, then replay."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import _subpytest
import pytest
import yaml

TEST_FILE = textwrap.dedent(
    """
    import pytest
    from watson_async import BearerTokenAuthenticator


    @pytest.mark.watson_cassette("greeting")
    async def test_greeting(fake_assistant, watson_cassette):
        fake = fake_assistant
        auth = BearerTokenAuthenticator(fake.issue_token())
        async with watson_cassette.client(
            "2024-08-25", auth, service_url=fake.service_url, proxy_from_env=False
        ) as client:
            session = await client.create_session(fake.assistant_id, fake.environment_id)
            reply = await client.message(
                fake.assistant_id, fake.environment_id, session.session_id,
                input={"text": "hello"},
            )
        assert reply.output.generic[0].text.startswith("Hello!")
        # Recording, the fake answered; replaying, it saw nothing.
        assert fake.turns_received(session.session_id) == int(watson_cassette.records)


    async def test_named_after_the_test(watson_cassette):
        assert watson_cassette.path.name == "test_named_after_the_test.yaml"


    @pytest.mark.watson_cassette("failing")
    async def test_failing(fake_assistant, watson_cassette):
        auth = BearerTokenAuthenticator(fake_assistant.issue_token())
        async with watson_cassette.client(
            "2024-08-25", auth, service_url=fake_assistant.service_url, proxy_from_env=False
        ) as client:
            await client.list_assistants()
        assert False, "a failing test's recording is not written"
    """
)


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings = error\nasyncio_mode = auto\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "test_recorded.py").write_text(TEST_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return _subpytest.run_pytest(tmp_path, "-rs", *args, environ=env)


@pytest.mark.slow
def test_record_once_then_replay(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    first = run_pytest(tmp_path, "--watson-record-mode=once", "test_recorded.py::test_greeting")
    assert first.returncode == 0, first.stdout + first.stderr
    document = yaml.safe_load((cassettes / "greeting.yaml").read_text())
    assert [i["request"]["route"].rsplit("/", 1)[-1] for i in document["interactions"]] == [
        "sessions",
        "message",
    ]

    # Replay only is the default: the fake is up but sees nothing.
    again = run_pytest(tmp_path, "test_recorded.py::test_greeting")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 passed" in again.stdout


@pytest.mark.slow
def test_missing_cassette_and_failed_recording(tmp_path: Path) -> None:
    replay = run_pytest(tmp_path, "test_recorded.py::test_named_after_the_test")
    assert replay.returncode == 1
    assert "does not exist; record it with mode 'once'" in replay.stdout

    recording = run_pytest(tmp_path, "--watson-record-mode=all", "-k", "named or failing")
    assert "1 failed, 1 passed" in recording.stdout, recording.stdout + recording.stderr
    assert not (tmp_path / "cassettes" / "failing.yaml").exists()
    # A test that sent nothing still gets its (empty) cassette, so it can replay.
    assert (tmp_path / "cassettes" / "test_named_after_the_test.yaml").exists()


@pytest.mark.slow
def test_an_unknown_mode_is_refused(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "--watson-record-mode=sometimes")
    assert result.returncode == 4
    assert "invalid choice: 'sometimes'" in result.stderr
