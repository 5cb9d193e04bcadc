"""``watson-async test`` end to end: against the embedded fake (JUnit XML), against an
instance configured like ``from_env`` (a FakeAssistant here), and cassettes recorded
then replayed with nothing listening."""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest

from watson_async.cli.dialogue_run import run_test_command
from watson_async.cli.main import build_parser, main
from watson_async.testing import FakeAssistant

BOOKING = """
name: booking
turns:
  - user: hello
    expect:
      text_contains: Hello
      intent: greeting
      confidence: 0.9
  - user: book a trip
    expect:
      text: Where would you like to go?
      action: book_trip
  - user: Paris
    expect:
      text_matches: "Booked a trip to \\\\w+"
      context: {destination: Paris}
      fallback: false
"""

WRONG = """
- name: echo
  turns:
    - user: blah
      expect:
        fallback: true
        text: "You said: blah blah"
"""


@pytest.fixture
def dialogues(tmp_path: Path) -> Path:
    folder = tmp_path / "dialogues"
    folder.mkdir()
    (folder / "booking.yaml").write_text(textwrap.dedent(BOOKING))
    (folder / "wrong.yaml").write_text(textwrap.dedent(WRONG))
    return folder


def test_against_the_fake_with_junit_xml(
    dialogues: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "reports" / "junit.xml"
    code = main(["test", "--fake", str(dialogues), "--junit-xml", str(junit), "--repeat", "2"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"FAILED echo turn 1 ({dialogues / 'wrong.yaml'}:4), failed in 2 of 2 runs" in out
    assert "    - You said: blah blah\n    + You said: blah\n" in out
    assert "4 turns: 3 passed, 1 failed, 0 flaky, 0 not run" in out
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "0")
    failed = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [("echo", "turn 1: blah")]


def test_all_passing_exits_zero(dialogues: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--fake", str(dialogues / "booking.yaml")]) == 0
    assert "3 turns: 3 passed, 0 failed" in capsys.readouterr().out


def test_record_cassettes_then_replay_with_nothing_listening(
    dialogues: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = tmp_path / "cassettes"
    booking = str(dialogues / "booking.yaml")
    assert main(["test", "--fake", "--cassette", str(cassettes), "--record", booking]) == 0
    assert (cassettes / "booking.yaml").exists()
    capsys.readouterr()
    # No --fake, no credentials, no IDs: the cassette answers everything.
    assert main(["test", "--cassette", str(cassettes), booking]) == 0
    assert "3 turns: 3 passed" in capsys.readouterr().out
    # An unreadable cassette fails its dialogue's first turn, saying why.
    (cassettes / "booking.yaml").write_text("format: 99\n")
    assert main(["test", "--cassette", str(cassettes), booking]) == 1
    out = capsys.readouterr().out
    assert "CassetteError: cassette" in out
    assert "is not a format 1 watson_async cassette" in out
    # A dialogue without its cassette is named before anything runs.
    assert main(["test", "--cassette", str(cassettes), str(dialogues)]) == 2
    err = capsys.readouterr().err
    assert f"no cassette {cassettes / 'echo.yaml'} for dialogue 'echo'" in err


async def test_real_instance_settings_and_nothing_sent_for_a_bad_file(
    dialogues: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./ibm-credentials.env
    async with FakeAssistant() as fake:
        environ = {**fake.environ(), "NO_PROXY": "127.0.0.1"}
        out, err = io.StringIO(), io.StringIO()
        args = build_parser().parse_args(["test", str(dialogues / "booking.yaml")])
        assert await run_test_command(args, environ=environ, out=out, err=err) == 0, err.getvalue()
        assert fake.iam_calls == 1

        bad = tmp_path / "bad.yaml"
        bad.write_text("turns:\n  - user: hi\n    expect:\n      intnet: greeting\n")
        args = build_parser().parse_args(["test", str(dialogues / "booking.yaml"), str(bad)])
        assert await run_test_command(args, environ=environ, out=out, err=err) == 2
        assert f"{bad}:4: unknown expectation key 'intnet'" in err.getvalue()
        assert "nothing was sent" in err.getvalue()
        assert fake.iam_calls == 1  # nothing more


def test_usage_errors(dialogues: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--record", str(dialogues)]) == 2
    assert "--record needs --cassette DIR" in capsys.readouterr().err
    args = ["test", "--cassette", "c", "--record", "--repeat", "2", str(dialogues)]
    assert main(args) == 2
    assert "leave out --repeat" in capsys.readouterr().err


DOC = Path(__file__).resolve().parents[3] / "docs" / "testing-your-assistant.md"


def test_the_dialogues_in_the_docs_pass_against_the_fake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)
    dialogues = [block for block in blocks if "\nturns:" in block]
    assert dialogues
    for i, block in enumerate(dialogues):
        (tmp_path / f"doc-{i}.yaml").write_text(block)
    assert main(["test", "--fake", str(tmp_path)]) == 0, capsys.readouterr().out
