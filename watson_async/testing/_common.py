"""Primitives shared by the fake's route modules: the request view handlers get, IBM-style
error bodies, timestamps and cursor pagination. Plain dicts only."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

__all__ = [
    "MAX_PAGE_LIMIT",
    "NOT_FOUND",
    "Call",
    "Result",
    "b64url",
    "bad_body",
    "body_object",
    "error",
    "flag",
    "iso",
    "num",
    "offset_cursor",
    "page_limit",
    "paginate",
    "parse_iso",
    "parse_offset_cursor",
    "serve",
]

MAX_PAGE_LIMIT = 1000

Result = tuple[int, Any]  # (status, JSON payload, None for an empty body, or a StreamBody)

_T = TypeVar("_T")


@dataclass(slots=True)
class Call:
    """One v2 request, as the handlers see it."""

    method: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # case-insensitive (the request's CIMultiDictProxy)
    body: bytes
    json: Any
    json_ok: bool
    now: float
    #: The turn's log entry, set by a message handler when a log webhook wants it.
    logged: dict[str, Any] | None = None


def error(status: int, error: str, errors: list[dict[str, str]] | None = None) -> Result:
    payload: dict[str, Any] = {"error": error, "code": status}
    if errors is not None:
        payload["errors"] = errors
    return status, payload


def bad_body(message: str, path: str) -> Result:
    return error(400, "Invalid Request Body", [{"message": message, "path": path}])


NOT_FOUND = error(404, "Resource not found")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def iso(ts: float) -> str:
    """``ts`` (epoch seconds) as IBM writes timestamps: ``2024-05-01T12:00:00.123Z``."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 date or date-time (UTC unless it has an offset);
    None if it is not one."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def flag(value: str | None) -> bool:
    return value is not None and value.lower() == "true"


def num(value: float) -> int | float:
    """``value`` as an int when it is whole (JSON ``3600``, not ``3600.0``)."""
    return int(value) if math.isfinite(value) and value == int(value) else value


def body_object(call: Call) -> tuple[dict[str, Any], Result | None]:
    """The JSON object body ({} when empty), or a 400."""
    if not call.body:
        return {}, None
    if not call.json_ok:
        return {}, bad_body("Request body is not valid JSON", "")
    if not isinstance(call.json, dict):
        return {}, bad_body("Request body must be a JSON object", "")
    return call.json, None


def page_limit(query: Mapping[str, str]) -> int | Result:
    raw = query.get("page_limit", "100")
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        return error(400, f"Invalid value `{raw}` for query parameter `page_limit`")
    return limit


def parse_offset_cursor(cursor: str | None) -> int | Result:
    """The offset an opaque cursor stands for (0 without one), or a 400."""
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor + "==").decode("ascii"))
    except ValueError:
        offset = -1
    if offset < 0:
        return error(400, "Invalid value for query parameter `cursor`")
    return offset


def offset_cursor(offset: int) -> str:
    return b64url(str(offset).encode())


def paginate(
    query: Mapping[str, str],
    items: Sequence[_T],
    *,
    key: str,
    path: str,
    sorts: Mapping[str, Callable[[_T], Any]],
    render: Callable[[_T], dict[str, Any]],
) -> Result:
    """A page of ``items`` as IBM lists them: ``{key: [...], "pagination": {...}}``.

    Query: ``page_limit`` (1..1000, default 100), ``sort`` (a name in ``sorts`` or it
    with a ``-`` prefix for descending), ``cursor`` (from ``next_cursor``) and
    ``include_count`` (adds ``total``). ``path`` is the ``/v2/...`` route the
    ``refresh_url``/``next_url`` point at.
    """
    limit = page_limit(query)
    if not isinstance(limit, int):
        return limit
    sort = query.get("sort")
    if sort is not None and sort.lstrip("-") not in sorts:
        return error(400, f"Invalid value `{sort}` for query parameter `sort`")
    cursor = query.get("cursor")
    offset = parse_offset_cursor(cursor)
    if not isinstance(offset, int):
        return offset
    ordered = list(items)
    if sort is not None:
        ordered.sort(key=sorts[sort.lstrip("-")], reverse=sort.startswith("-"))
    page = ordered[offset : offset + limit]
    params = {k: v for k, v in query.items() if k != "cursor"}
    refresh = {**params, "cursor": cursor} if cursor else params
    pagination: dict[str, Any] = {"refresh_url": f"{path}?" + urlencode(refresh)}
    if cursor:
        pagination["refresh_cursor"] = cursor
    if offset + limit < len(ordered):
        next_cursor = offset_cursor(offset + limit)
        pagination["next_cursor"] = next_cursor
        pagination["next_url"] = f"{path}?" + urlencode({**params, "cursor": next_cursor})
    if flag(query.get("include_count")):
        pagination["total"] = len(ordered)
    return 200, {key: [render(item) for item in page], "pagination": pagination}


async def serve(runner: web.BaseRunner, host: str, port: int) -> int:
    """Set ``runner`` up and serve it on ``host:port`` (``0``: a free port); the port
    bound. A runner that cannot bind is cleaned up before the error propagates."""
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return int(runner.addresses[0][1])
