"""``watson-async test`` without a server: reading dialogue files (errors with file and
line), checking replies, summing runs up (flaky turns) and the JUnit XML."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from watson_async.cli.dialogue_run import (
    RunOutcome,
    TurnOutcome,
    collect,
    describe_failure,
    junit_xml,
    summarize,
)
from watson_async.cli.dialogues import (
    DialogueError,
    Mismatch,
    check_turn,
    load_dialogues,
)


def write(tmp_path: Path, text: str, name: str = "d.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_a_dialogue_file_is_read_with_its_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        turns:
          - user: hello
            expect: {intent: greeting}
          - user: menu
        """,
    )
    [dialogue] = load_dialogues(path)
    assert dialogue.name == "d"
    assert [(t.user, t.line, dict(t.expect)) for t in dialogue.turns] == [
        ("hello", 2, {"intent": "greeting"}),
        ("menu", 4, {}),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("turns:\n  - user: hi\n    expect:\n      txt: hi\n", 4, "unknown expectation key 'txt'"),
        ("turns:\n  - user: hi\n    expect:\n      confidence: 2\n", 4, "a number from 0 to 1"),
        ("turns:\n  - user: hi\n    expect:\n      text_matches: '('\n", 4, "regular expression"),
        ("turns:\n  - user: [1]\n", 2, "'user' must be the text"),
        ("turns: []\n", 1, "non-empty list of turns"),
        ("name: x\nturn:\n  - user: hi\n", 2, "unknown dialogue key 'turn'"),
        ("turns:\n  - user: hi\n   expect: {}\n", 3, "not valid YAML"),
        ("turns:\n  - hello\n", 1, "each turn must be a mapping"),
        ("42\n", 1, "expected a dialogue"),
        # the name is its cassette's file name: never another folder
        ("turns:\n  - user: hi\nname: ../../x\n", 3, "name must not contain '/'"),
        ("name: '..'\nturns:\n  - user: hi\n", 1, "name must not be only dots"),
    ],
)
def test_problems_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DialogueError) as caught:
        load_dialogues(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_collect_reports_every_file_and_duplicate_names(tmp_path: Path) -> None:
    write(tmp_path, "name: same\nturns: [{user: x}]\n", "a.yaml")
    write(tmp_path, "name: same\nturns: [{user: y}]\n", "b.yml")
    write(tmp_path, "turns: oops\n", "c.yaml")
    write(tmp_path, "- name: d\n  turns: [{user: x}]\n- name: d\n  turns: [{user: y}]\n", "d.yaml")
    dialogues, problems = collect([tmp_path])
    assert len(dialogues) == 4
    assert any("d.yaml:3: the dialogue name 'd' is taken by" in p for p in problems)
    assert any("c.yaml:1: 'turns' must be" in p for p in problems)
    assert any("b.yml:1: the dialogue name 'same' is taken by" in p for p in problems)


def reply(**output: Any) -> dict[str, Any]:
    context = output.pop("context", None)
    data: dict[str, Any] = {"output": output}
    if context is not None:
        data["context"] = context
    return data


BOOKED = reply(
    generic=[{"response_type": "text", "text": "Booked a trip to Paris."}],
    intents=[{"intent": "book_trip", "confidence": 0.95}],
    debug={
        "turn_events": [
            {"event": "action_visited", "source": {"action": "book_trip", "action_title": "Book"}}
        ]
    },
    context={"skills": {"actions skill": {"skill_variables": {"destination": "Paris"}}}},
)


def test_every_expectation_met() -> None:
    expect = {
        "text": "Booked a trip to Paris.",
        "text_contains": ["Booked", "Paris"],
        "text_matches": r"trip to \w+",
        "response_types": ["text"],
        "intent": "book_trip",
        "confidence": 0.9,
        "action": "Book",
        "context": {
            "destination": "Paris",
            "skills.actions skill.skill_variables.destination": "Paris",
        },
        "fallback": False,
        "options": [],
    }
    assert check_turn(expect, BOOKED) == []


def test_every_expectation_missed() -> None:
    expect = {
        "text": "Booked a trip to Rome.",
        "text_contains": "Rome",
        "text_matches": "^Rome",
        "response_types": ["option"],
        "intent": "greeting",
        "confidence": 0.99,
        "action": "greet",
        "context": {"destination": "Rome"},
        "fallback": True,
        "options": ["Yes"],
    }
    found = {m.what: (m.expected, m.actual) for m in check_turn(expect, BOOKED)}
    assert found == {
        "text": ("Booked a trip to Rome.", "Booked a trip to Paris."),
        "text contains": ("Rome", "Booked a trip to Paris."),
        "text matches": ("^Rome", "Booked a trip to Paris."),
        "response types": (["option"], ["text"]),
        "top intent": ("greeting", "book_trip"),
        "top intent confidence at least": (0.99, 0.95),
        "action visited": ("greet", ["book_trip"]),
        "context destination": ("Rome", "Paris"),
        "fallback": (True, False),
        "options": (["Yes"], []),
    }


def test_a_fallback_is_the_action_visited_for_anything_else() -> None:
    fell = reply(
        debug={"turn_events": [{"event": "action_visited", "source": {"action": "anything_else"}}]}
    )
    assert check_turn({"fallback": True, "intent": None}, fell) == []


def runs(tmp_path: Path, passes: list[list[bool]]) -> tuple[Any, list[RunOutcome]]:
    path = write(tmp_path, "name: d\nturns: [{user: a}, {user: b}]\n")
    [dialogue] = load_dialogues(path)
    outcomes = []
    for run in passes:
        turns = tuple(
            TurnOutcome(
                dialogue.turns[i],
                () if ok else (Mismatch("text", "yes", f"no {len(outcomes)}"),),
            )
            for i, ok in enumerate(run)
        )
        outcomes.append(RunOutcome(dialogue, turns, 0.5))
    return dialogue, outcomes


def test_repeats_name_flaky_turns(tmp_path: Path) -> None:
    dialogue, outcomes = runs(tmp_path, [[True, False], [True, True], [True, False]])
    first, second = summarize([dialogue], outcomes, 3)
    assert (first.status, second.status) == ("passed", "flaky")
    lines = describe_failure(second)
    assert lines[0] == f"FLAKY d turn 2 ({dialogue.path}:2), failed in 2 of 3 runs"
    assert lines[1:] == [
        "  you> b",
        "  text:",
        "    - yes",
        "    + no 0",
        "  text:",
        "    - yes",
        "    + no 2",
    ]


def test_an_error_leaves_later_turns_not_run(tmp_path: Path) -> None:
    path = write(tmp_path, "name: d\nturns: [{user: a}, {user: b}]\n")
    [dialogue] = load_dialogues(path)
    outcome = RunOutcome(dialogue, (TurnOutcome(dialogue.turns[0], error="ApiError: 500"),), 1.0)
    first, second = summarize([dialogue], [outcome], 1)
    assert (first.status, second.status) == ("failed", "not run")
    suite = ElementTree.fromstring(junit_xml([first, second], [outcome]))
    assert suite.attrib | {"time": ""} == {
        "name": "watson-async test",
        "tests": "2",
        "failures": "0",
        "errors": "1",
        "skipped": "1",
        "time": "",
    }
    first_case, second_case = suite.findall("testcase")
    error = first_case.find("error")
    assert error is not None
    assert "ApiError: 500" in (error.text or "")
    assert second_case.find("skipped") is not None
