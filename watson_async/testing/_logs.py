"""The fake's message log: ``GET /v2/assistants/{id}/logs`` (a subset of IBM's filter
syntax) and ``DELETE /v2/user_data``.

**Filter syntax supported** (anything else is a 400): clauses joined by ``,`` (AND),
each ``<field><operator><term>``.

* String fields ``request.input.text``, ``customer_id``, ``assistant_id``,
  ``session_id``, ``skill_id``, ``snapshot``, ``language``, and the list field
  ``response.output.intents:intent`` (matches if any intent does) take
  ``::`` (exact, case-sensitive), ``::!`` (not exact), ``:`` (contains,
  case-insensitive) and ``:!`` (does not contain).
* Time fields ``request_timestamp`` and ``response_timestamp`` take ``>=``, ``>``,
  ``<=``, ``<`` with an ISO-8601 date (``2024-07-01``) or date-time
  (``2024-07-01T12:00:00.000Z``; UTC unless it has an offset).
* A term is bare (``\\`` escapes the next character; ``*`` matches any run of
  characters) or ``"quoted"`` (taken literally, no escapes or wildcards; it may contain
  ``,``).

Not supported: ``|`` (OR), grouping with ``()``/``[]``, ``~`` (approximate match),
other fields, and IBM's grammatical variants for ``:`` (it is a plain substring test).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ._common import (
    Call,
    Result,
    error,
    iso,
    offset_cursor,
    page_limit,
    parse_iso,
    parse_offset_cursor,
)

__all__ = ["LogEntry", "LogStore", "customer_id_of", "log_entry"]

_Predicate = Callable[["LogEntry"], bool]

_STRING_FIELDS = (
    "request.input.text",
    "customer_id",
    "assistant_id",
    "session_id",
    "skill_id",
    "snapshot",
    "language",
)
_LIST_FIELDS = ("response.output.intents:intent",)
_TIME_FIELDS = ("request_timestamp", "response_timestamp")
# Longest first, so ``response.output.intents:intent`` wins over any shorter prefix.
_FIELDS = sorted(_STRING_FIELDS + _LIST_FIELDS + _TIME_FIELDS, key=len, reverse=True)
_MATCH_OPS = ("::!", "::", ":!", ":")
_COMPARE_OPS = (">=", "<=", ">", "<")
_UNSUPPORTED = {"|": "OR (|)", "(": "grouping", ")": "grouping", "[": "grouping",
                "]": "grouping", "~": "approximate matching (~)"}  # fmt: skip


class FilterError(ValueError):
    pass


@dataclass(slots=True)
class LogEntry:
    seq: int
    assistant_id: str
    customer_id: str | None
    request_ts: float  # the logged ISO text, parsed back (millisecond precision)
    response_ts: float
    data: dict[str, Any]

    def strings(self, name: str) -> list[str]:
        """The values of a string or list filter field."""
        if name == "request.input.text":
            inp = self.data["request"].get("input")
            text = inp.get("text") if isinstance(inp, dict) else None
            return [text if isinstance(text, str) else ""]
        if name == "response.output.intents:intent":
            intents = self.data["response"].get("output", {}).get("intents") or []
            return [i["intent"] for i in intents if isinstance(i, dict) and "intent" in i]
        value = self.data.get(name)
        return [value] if isinstance(value, str) else []


def customer_id_of(headers: Mapping[str, str]) -> str | None:
    """The ``customer_id`` of an ``X-Watson-Metadata: customer_id=...`` header."""
    value = headers.get("X-Watson-Metadata")
    if not value:
        return None
    for part in value.split(";"):
        key, _, cid = part.partition("=")
        if key.strip() == "customer_id" and cid.strip():
            return cid.strip()
    return None


def _split_clauses(text: str) -> list[str]:
    clauses: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            current.append(c)
            if c == '"':
                quoted = False
        elif c == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 1
        elif c == '"':
            quoted = True
            current.append(c)
        elif c == ",":
            clauses.append("".join(current))
            current = []
        elif c in _UNSUPPORTED:
            raise FilterError(f"{_UNSUPPORTED[c]} is not supported")
        else:
            current.append(c)
        i += 1
    if quoted:
        raise FilterError("unterminated quoted term")
    clauses.append("".join(current))
    return clauses


def _term_pattern(term: str) -> str:
    """A regular expression for a bare or quoted term."""
    if not term:
        raise FilterError("empty term")
    if term.startswith('"'):
        if len(term) < 2 or not term.endswith('"') or '"' in term[1:-1]:
            raise FilterError(f"malformed quoted term {term}")
        return re.escape(term[1:-1])
    out: list[str] = []
    i = 0
    while i < len(term):
        c = term[i]
        if c == "\\" and i + 1 < len(term):
            out.append(re.escape(term[i + 1]))
            i += 2
            continue
        if c == '"':
            raise FilterError(f"misplaced quote in term {term}")
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return "".join(out)


def _clause(text: str) -> _Predicate:
    name = next((f for f in _FIELDS if text.startswith(f)), None)
    if name is None:
        raise FilterError(f"unsupported field in {text!r}")
    rest = text[len(name) :]
    if name in _TIME_FIELDS:
        op = next((o for o in _COMPARE_OPS if rest.startswith(o)), None)
        if op is None:
            raise FilterError(f"{name} takes >=, >, <= or <")
        raw = rest[len(op) :].strip('"')
        when = parse_iso(raw)
        if when is None:
            raise FilterError(f"{raw!r} is not an ISO-8601 date or date-time")
        attr = "request_ts" if name == "request_timestamp" else "response_ts"
        compare: dict[str, Callable[[float], bool]] = {
            ">=": lambda v: v >= when,
            ">": lambda v: v > when,
            "<=": lambda v: v <= when,
            "<": lambda v: v < when,
        }
        check = compare[op]
        return lambda e: check(getattr(e, attr))
    op = next((o for o in _MATCH_OPS if rest.startswith(o)), None)
    if op is None:
        raise FilterError(f"{name} takes ::, ::!, : or :!")
    pattern = _term_pattern(rest[len(op) :])
    negate = op.endswith("!")
    if op.startswith("::"):
        exact = re.compile(pattern, re.DOTALL)
        match: Callable[[str], bool] = lambda v: exact.fullmatch(v) is not None  # noqa: E731
    else:
        contains = re.compile(pattern, re.DOTALL | re.IGNORECASE)
        match = lambda v: contains.search(v) is not None  # noqa: E731
    if negate:
        return lambda e: not any(match(v) for v in e.strings(name))
    return lambda e: any(match(v) for v in e.strings(name))


def parse_filter(text: str) -> list[_Predicate]:
    """The predicates of a filter (see the module docstring); raises FilterError."""
    return [_clause(clause.strip()) for clause in _split_clauses(text)]


def log_entry(
    *,
    assistant_id: str,
    session_id: str,
    skill_id: str | None,
    snapshot: str,
    language: str,
    customer_id: str | None,
    request: dict[str, Any],
    response: dict[str, Any],
    request_time: float,
    response_time: float,
) -> dict[str, Any]:
    """One handled turn as ``list_logs`` and the log webhook show it."""
    data: dict[str, Any] = {
        "log_id": str(uuid.uuid4()),
        "request": copy.deepcopy(request),
        "response": copy.deepcopy(response),
        "assistant_id": assistant_id,
        "session_id": session_id,
    }
    if skill_id is not None:
        data["skill_id"] = skill_id
    data.update(
        {
            "snapshot": snapshot,
            "request_timestamp": iso(request_time),
            "response_timestamp": iso(response_time),
            "language": language,
        }
    )
    if customer_id is not None:
        data["customer_id"] = customer_id
    return data


class LogStore:
    """Log entries of handled message turns, oldest first."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self._seq = 0
        #: The ``customer_id`` of each ``delete_user_data`` call, in order.
        self.user_data_deletions: list[str] = []

    def record(self, data: dict[str, Any], request_time: float, response_time: float) -> None:
        """Keep ``data`` (a :func:`log_entry`) for ``list_logs``."""
        self._seq += 1
        self.entries.append(
            LogEntry(
                self._seq,
                data["assistant_id"],
                data.get("customer_id"),
                parse_iso(data["request_timestamp"]) or request_time,
                parse_iso(data["response_timestamp"]) or response_time,
                data,
            )
        )

    def list_logs(self, call: Call, aid: str) -> Result:
        query = call.query
        limit = page_limit(query)
        if not isinstance(limit, int):
            return limit
        sort = query.get("sort", "request_timestamp")
        if sort not in ("request_timestamp", "-request_timestamp"):
            return error(400, f"Invalid value `{sort}` for query parameter `sort`")
        predicates: list[_Predicate] = []
        text = query.get("filter")
        if text:
            try:
                predicates = parse_filter(text)
            except FilterError as exc:
                return error(
                    400,
                    f"Invalid value `{text}` for query parameter `filter`",
                    [{"message": str(exc), "path": "filter"}],
                )
        offset = parse_offset_cursor(query.get("cursor"))
        if not isinstance(offset, int):
            return offset
        matched = [
            e for e in self.entries if e.assistant_id == aid and all(p(e) for p in predicates)
        ]
        matched.sort(key=lambda e: (e.request_ts, e.seq), reverse=sort.startswith("-"))
        page = matched[offset : offset + limit]
        pagination: dict[str, Any] = {"matched": len(matched)}
        if offset + limit < len(matched):
            next_cursor = offset_cursor(offset + limit)
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = next_cursor
            pagination["next_url"] = f"/v2/assistants/{aid}/logs?" + urlencode(params)
            pagination["next_cursor"] = next_cursor
        return 200, {"logs": [copy.deepcopy(e.data) for e in page], "pagination": pagination}

    def delete_user_data(self, call: Call) -> Result:
        customer_id = call.query.get("customer_id")
        if not customer_id:
            return error(400, "Missing required query parameter `customer_id`")
        self.entries = [e for e in self.entries if e.customer_id != customer_id]
        self.user_data_deletions.append(customer_id)
        return 202, None
