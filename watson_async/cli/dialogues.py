"""Scripted dialogues for ``watson-async test``, pure: read from YAML (every problem named
with its file and line, before anything is sent) and each reply checked against a turn's
expectations.

A file holds one dialogue (a mapping with ``turns``) or a list of them::

    name: booking            # default: the file's name
    turns:
      - user: book a trip
        expect:
          text: Where would you like to go?      # all text items, joined by newlines
          response_types: [text]
          intent: book_trip
          confidence: 0.9                       # the top intent's, at least
      - user: Paris
        expect:
          text_contains: Paris                  # or a list of strings
          text_matches: "Booked a trip to \\w+"  # a regular expression (search)
          action: book_trip                     # visited: its ID or title
          context: {destination: Paris}         # skill variables, or dotted paths
          fallback: false
          options: [Yes, No]                    # the labels offered, in order
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from watson_async.protocol.validation import check_id

if TYPE_CHECKING:
    import yaml

__all__ = [
    "EXPECTATIONS",
    "Dialogue",
    "DialogueError",
    "Mismatch",
    "Turn",
    "check_turn",
    "load_dialogues",
]

#: What a turn can expect, and what each value must be.
EXPECTATIONS: dict[str, str] = {
    "text": "a string",
    "text_contains": "a string or a list of strings",
    "text_matches": "a regular expression",
    "response_types": "a list of response types",
    "options": "a list of option labels",
    "intent": "an intent name (null: none recognised)",
    "confidence": "a number from 0 to 1",
    "action": "an action ID or title",
    "context": "a mapping of variable names (or dotted context paths) to values",
    "fallback": "true or false",
}
_TURN_KEYS = ("user", "expect")
_DIALOGUE_KEYS = ("name", "turns")
_ACTIONS_SKILL = "actions skill"
_MAIN_SKILL = "main skill"
_FALLBACK_ACTIONS = frozenset({"anything_else", "fallback"})


class DialogueError(ValueError):
    """A dialogue file that can't be run: its message starts with ``file:line:``."""


@attrs.frozen(slots=True, eq=False)  # by identity: a dialogue's runs refer to it
class Turn:
    """One user input and what its reply must show."""

    user: str
    expect: Mapping[str, Any]
    line: int


@attrs.frozen(slots=True, eq=False)
class Dialogue:
    """Turns sent in order, in one session."""

    name: str
    path: Path
    turns: tuple[Turn, ...]
    line: int


@attrs.frozen(slots=True)
class Mismatch:
    """One expectation a reply did not meet."""

    what: str
    expected: Any
    actual: Any


# --- reading --------------------------------------------------------------------------


class _Marked(dict[Any, Any]):
    """A mapping that knows the line of each of its keys."""

    line: int
    lines: dict[Any, int]


def _loader() -> type[yaml.SafeLoader]:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Marked:
        loader.flatten_mapping(node)
        marked = _Marked()
        marked.line = node.start_mark.line + 1
        marked.lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            marked[key] = loader.construct_object(value_node, deep=True)
            marked.lines[key] = key_node.start_mark.line + 1
        return marked

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def load_dialogues(path: Path) -> list[Dialogue]:
    """The dialogues of one file; :class:`DialogueError` for the first problem found
    (names unique across files are checked by the command, which reads them all)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DialogueError(f"{path}: can't read it: {exc}") from None
    try:
        document = yaml.load(text, Loader=_loader())  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise DialogueError(f"{path}:{line}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise DialogueError(f"{path}: not valid YAML: {exc}") from None
    if isinstance(document, _Marked):
        items: Sequence[Any] = [document]
    elif isinstance(document, list) and document:
        items = document
    else:
        raise DialogueError(
            f"{path}:1: expected a dialogue (a mapping with 'turns') or a list of them"
        )
    return [_dialogue(path, item, i, len(items)) for i, item in enumerate(items)]


def _dialogue(path: Path, item: Any, index: int, count: int) -> Dialogue:
    if not isinstance(item, _Marked):
        raise DialogueError(f"{path}: dialogue {index + 1} is not a mapping with 'turns'")
    _known(path, item, _DIALOGUE_KEYS, "dialogue")
    default = path.stem if count == 1 else f"{path.stem}-{index + 1}"
    name = item.get("name", default)
    if not isinstance(name, str) or not name.strip():
        raise DialogueError(f"{path}:{item.lines.get('name', item.line)}: name must be text")
    try:  # the name is its cassette's file name (DIR/NAME.yaml): one segment, no '..'
        check_id("name", name)
    except ValueError as exc:
        raise DialogueError(f"{path}:{item.lines.get('name', item.line)}: {exc}") from None
    turns = item.get("turns")
    if not isinstance(turns, list) or not turns:
        line = item.lines.get("turns", item.line)
        raise DialogueError(f"{path}:{line}: 'turns' must be a non-empty list of turns")
    return Dialogue(name, path, tuple(_turn(path, t, item.line) for t in turns), item.line)


def _turn(path: Path, item: Any, parent_line: int) -> Turn:
    if not isinstance(item, _Marked):
        raise DialogueError(
            f"{path}:{parent_line}: each turn must be a mapping with 'user' "
            f"(and 'expect'), got {item!r}"
        )
    _known(path, item, _TURN_KEYS, "turn")
    user = item.get("user")
    if not isinstance(user, str):
        line = item.lines.get("user", item.line)
        raise DialogueError(f"{path}:{line}: 'user' must be the text the user sends")
    expect = item.get("expect", {})
    if not isinstance(expect, _Marked):
        if expect is None or expect == {}:
            return Turn(user, {}, item.line)
        line = item.lines.get("expect", item.line)
        raise DialogueError(f"{path}:{line}: 'expect' must be a mapping of expectations")
    _known(path, expect, tuple(EXPECTATIONS), "expectation")
    for key, value in expect.items():
        problem = _bad_value(key, value)
        if problem is not None:
            raise DialogueError(
                f"{path}:{expect.lines[key]}: {key} must be {EXPECTATIONS[key]}{problem}"
            )
    return Turn(user, dict(expect), item.line)


def _known(path: Path, item: _Marked, allowed: Sequence[str], kind: str) -> None:
    for key in item:
        if key not in allowed:
            raise DialogueError(
                f"{path}:{item.lines[key]}: unknown {kind} key {key!r} "
                f"(expected one of: {', '.join(allowed)})"
            )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _bad_value(key: str, value: Any) -> str | None:
    """Why ``value`` won't do for ``key`` (``''`` when it just has the wrong type)."""
    if key == "text_matches":
        if not isinstance(value, str):
            return ""
        try:
            re.compile(value)
        except re.error as exc:
            return f" ({exc})"
        return None
    ok = {
        "text": isinstance(value, str),
        "text_contains": isinstance(value, str) or _strings(value),
        "response_types": _strings(value),
        "options": _strings(value),
        "intent": value is None or isinstance(value, str),
        "confidence": isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 <= value <= 1,
        "action": isinstance(value, str),
        "context": isinstance(value, dict) and all(isinstance(k, str) for k in value),
        "fallback": isinstance(value, bool),
    }[key]
    return None if ok else f", got {value!r}"


# --- checking -------------------------------------------------------------------------


def reply_text(reply: Mapping[str, Any]) -> str:
    """The reply's text items, joined by newlines."""
    return "\n".join(
        str(item.get("text", "")) for item in _generic(reply) if item.get("response_type") == "text"
    )


def _generic(reply: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    output = reply.get("output") or {}
    return [item for item in output.get("generic") or () if isinstance(item, Mapping)]


def _options(reply: Mapping[str, Any]) -> list[str]:
    return [
        str(option.get("label", ""))
        for item in _generic(reply)
        if item.get("response_type") == "option"
        for option in item.get("options") or ()
    ]


def _top_intent(reply: Mapping[str, Any]) -> Mapping[str, Any] | None:
    intents = (reply.get("output") or {}).get("intents") or []
    return intents[0] if intents else None


def _actions(reply: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The sources of the ``action_visited`` turn events (needs ``debug``)."""
    debug = (reply.get("output") or {}).get("debug") or {}
    return [
        {**(event.get("source") or {}), "reason": event.get("reason")}
        for event in debug.get("turn_events") or ()
        if event.get("event") == "action_visited"
    ]


def is_fallback(reply: Mapping[str, Any]) -> bool:
    """Whether the turn fell back: a visited action that is the fallback (by ID, title or
    the reason it started)."""
    return any(
        source.get("action") in _FALLBACK_ACTIONS
        or str(source.get("action_title", "")).lower() in _FALLBACK_ACTIONS
        or source.get("reason") in ("anything_else", "no_action_matches")
        for source in _actions(reply)
    )


def context_value(reply: Mapping[str, Any], name: str) -> Any:
    """A dotted path in the reply's context, else an actions (or dialog) skill variable."""
    context = reply.get("context") or {}
    if "." in name:
        value: Any = context
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value
    skills = context.get("skills") or {}
    for skill, field in ((_ACTIONS_SKILL, "skill_variables"), (_MAIN_SKILL, "user_defined")):
        variables = (skills.get(skill) or {}).get(field) or {}
        if name in variables:
            return variables[name]
    return None


def check_turn(expect: Mapping[str, Any], reply: Mapping[str, Any]) -> list[Mismatch]:
    """Every expectation the reply (as JSON) does not meet."""
    found: list[Mismatch] = []
    text = reply_text(reply)
    top = _top_intent(reply)
    for key, wanted in expect.items():
        if key == "text" and text != wanted:
            found.append(Mismatch("text", wanted, text))
        elif key == "text_contains":
            for part in [wanted] if isinstance(wanted, str) else wanted:
                if part not in text:
                    found.append(Mismatch("text contains", part, text))
        elif key == "text_matches" and re.search(wanted, text) is None:
            found.append(Mismatch("text matches", wanted, text))
        elif key == "response_types":
            types = [item.get("response_type") for item in _generic(reply)]
            if types != wanted:
                found.append(Mismatch("response types", wanted, types))
        elif key == "options" and _options(reply) != wanted:
            found.append(Mismatch("options", wanted, _options(reply)))
        elif key == "intent":
            name = top.get("intent") if top else None
            if name != wanted:
                found.append(Mismatch("top intent", wanted, name))
        elif key == "confidence":
            confidence = top.get("confidence") if top else None
            if not isinstance(confidence, (int, float)) or confidence < wanted:
                found.append(Mismatch("top intent confidence at least", wanted, confidence))
        elif key == "action":
            visited = [s.get("action") for s in _actions(reply)]
            titles = [s.get("action_title") for s in _actions(reply)]
            if wanted not in visited and wanted not in titles:
                found.append(Mismatch("action visited", wanted, visited))
        elif key == "context":
            for name, value in wanted.items():
                actual = context_value(reply, name)
                if actual != value:
                    found.append(Mismatch(f"context {name}", value, actual))
        elif key == "fallback" and is_fallback(reply) != wanted:
            found.append(Mismatch("fallback", wanted, not wanted))
    return found
