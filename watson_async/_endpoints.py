"""Endpoint requests: pure functions that validate arguments and build requests (no I/O).

Each function returns a :class:`Request` (method, percent-encoded path, query, body)
or raises ``ValueError`` before anything could be sent. The client adds the service
URL, ``version``, headers and authentication.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from . import _json
from ._convert import converter

__all__ = [
    "MAX_ASSISTANT_DESCRIPTION",
    "MAX_ASSISTANT_NAME",
    "MAX_STATEFUL_CONTEXT_BYTES",
    "MAX_STATELESS_CONTEXT_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_USER_ID_LENGTH",
    "Request",
    "query_string",
]

MAX_TEXT_LENGTH = 2048
MAX_USER_ID_LENGTH = 256
MAX_ASSISTANT_NAME = 64
MAX_ASSISTANT_DESCRIPTION = 128
MAX_STATEFUL_CONTEXT_BYTES = 100 * 1024
MAX_STATELESS_CONTEXT_BYTES = 250 * 1024

_FORBIDDEN_CHARS = ("\r", "\n", "\t")


@attrs.frozen(slots=True)
class Request:
    """One HTTP request to the v2 API, before the service URL, version and auth are added.

    ``path`` is already percent-encoded and starts with ``/v2/``. ``idempotent`` says
    whether sending it twice changes nothing a user cares about (used by retries).
    """

    endpoint: str
    method: str
    path: str
    idempotent: bool
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


# --- validation ---------------------------------------------------------------


def check_id(name: str, value: object) -> str:
    """Return the percent-encoded path segment for an ID, or raise ``ValueError``."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value or value.isspace():
        raise ValueError(f"{name} must not be empty")
    return quote(value, safe="")


def _check_no_control(name: str, value: str) -> None:
    for ch in _FORBIDDEN_CHARS:
        if ch in value:
            raise ValueError(f"{name} must not contain {ch!r}")


def check_text(text: object) -> None:
    """Input text: 1..2048 characters, no carriage return, newline or tab."""
    if not isinstance(text, str):
        raise ValueError(f"input text must be a string, got {type(text).__name__}")
    if not text:
        raise ValueError("input text must not be empty (omit it to send no text)")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(
            f"input text is {len(text)} characters; the service accepts at most {MAX_TEXT_LENGTH}"
        )
    _check_no_control("input text", text)


def check_user_id(user_id: object) -> None:
    """``user_id``: 1..256 characters, no carriage return, newline or tab."""
    if not isinstance(user_id, str):
        raise ValueError(f"user_id must be a string, got {type(user_id).__name__}")
    if not user_id:
        raise ValueError("user_id must not be empty")
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise ValueError(
            f"user_id is {len(user_id)} characters; the service accepts at most "
            f"{MAX_USER_ID_LENGTH}"
        )
    _check_no_control("user_id", user_id)


def _as_json(name: str, value: Any) -> Any:
    """A model or a plain mapping, as the JSON-ready value the API expects."""
    if value is None or isinstance(value, dict):
        return value
    if getattr(type(value), "__watson_model__", False):
        return converter.unstructure(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError(f"{name} must be a model or a dict, got {type(value).__name__}")


def _encode(body: Mapping[str, Any]) -> bytes:
    try:
        return _json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"request body is not JSON-serializable: {exc}") from exc


def _encode_message(input: Any, context: Any, user_id: str | None, *, stateless: bool) -> bytes:
    body: dict[str, Any] = {}
    input_json = _as_json("input", input)
    if input_json is not None:
        text = input_json.get("text")
        if text is not None:
            check_text(text)
        body["input"] = input_json
    context_json = _as_json("context", context)
    if context_json is not None:
        body["context"] = context_json
    if user_id is not None:
        check_user_id(user_id)
        body["user_id"] = user_id
    encoded = _encode(body)
    if context_json is not None:
        limit = MAX_STATELESS_CONTEXT_BYTES if stateless else MAX_STATEFUL_CONTEXT_BYTES
        # The body bounds the context's size: serialize the context alone only when needed.
        if len(encoded) > limit:
            size = len(_encode(context_json))
            if size > limit:
                kind = "stateless" if stateless else "stateful"
                raise ValueError(
                    f"context is {size} bytes serialized; a {kind} message accepts at most "
                    f"{limit} bytes"
                )
    return encoded


# --- endpoints ----------------------------------------------------------------


def _runtime_base(assistant_id: str, environment_id: str | None) -> str:
    aid = check_id("assistant_id", assistant_id)
    if environment_id is None:
        return f"/v2/assistants/{aid}"
    return f"/v2/assistants/{aid}/environments/{check_id('environment_id', environment_id)}"


def create_session(assistant_id: str, environment_id: str | None, analytics: Any) -> Request:
    """``POST .../sessions``. Repeating it at worst leaves an unused session to expire."""
    analytics_json = _as_json("analytics", analytics)
    body = _encode({"analytics": analytics_json}) if analytics_json is not None else None
    return Request(
        "create_session",
        "POST",
        _runtime_base(assistant_id, environment_id) + "/sessions",
        idempotent=True,
        body=body,
    )


def delete_session(assistant_id: str, environment_id: str | None, session_id: str) -> Request:
    """``DELETE .../sessions/{session_id}``."""
    sid = check_id("session_id", session_id)
    return Request(
        "delete_session",
        "DELETE",
        f"{_runtime_base(assistant_id, environment_id)}/sessions/{sid}",
        idempotent=True,
    )


def message(
    assistant_id: str,
    environment_id: str | None,
    session_id: str,
    input: Any,
    context: Any,
    user_id: str | None,
) -> Request:
    """``POST .../sessions/{session_id}/message``: moves the dialog, so not idempotent."""
    sid = check_id("session_id", session_id)
    path = f"{_runtime_base(assistant_id, environment_id)}/sessions/{sid}/message"
    body = _encode_message(input, context, user_id, stateless=False)
    return Request("message", "POST", path, idempotent=False, body=body)


def message_stateless(
    assistant_id: str, environment_id: str | None, input: Any, context: Any, user_id: str | None
) -> Request:
    """``POST .../message``: the state travels in ``context``, so repeating it is safe."""
    path = _runtime_base(assistant_id, environment_id) + "/message"
    body = _encode_message(input, context, user_id, stateless=True)
    return Request("message_stateless", "POST", path, idempotent=True, body=body)


def create_assistant(language: str | None, name: str | None, description: str | None) -> Request:
    """``POST /v2/assistants``. Not idempotent: a repeat creates a second assistant."""
    body: dict[str, Any] = {}
    if language is not None:
        if not isinstance(language, str) or not language:
            raise ValueError("language must be a non-empty string such as 'en'")
        body["language"] = language
    if name is not None:
        if not isinstance(name, str):
            raise ValueError("name must be a string")
        if len(name) > MAX_ASSISTANT_NAME:
            raise ValueError(
                f"name is {len(name)} characters; the service accepts at most {MAX_ASSISTANT_NAME}"
            )
        _check_no_control("name", name)
        body["name"] = name
    if description is not None:
        if not isinstance(description, str):
            raise ValueError("description must be a string")
        if len(description) > MAX_ASSISTANT_DESCRIPTION:
            raise ValueError(
                f"description is {len(description)} characters; the service accepts at most "
                f"{MAX_ASSISTANT_DESCRIPTION}"
            )
        _check_no_control("description", description)
        body["description"] = description
    return Request(
        "create_assistant", "POST", "/v2/assistants", idempotent=False, body=_encode(body)
    )


def _bool(value: bool) -> str:
    return "true" if value else "false"


def list_assistants(
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
) -> Request:
    """``GET /v2/assistants`` with the usual paging options."""
    query: list[tuple[str, str]] = []
    if page_limit is not None:
        if isinstance(page_limit, bool) or not isinstance(page_limit, int) or page_limit < 1:
            raise ValueError(f"page_limit must be a positive integer, got {page_limit!r}")
        query.append(("page_limit", str(page_limit)))
    if include_count is not None:
        query.append(("include_count", _bool(include_count)))
    if sort is not None:
        if sort not in ("name", "-name", "updated", "-updated"):
            raise ValueError(f"sort must be 'name', 'updated', '-name' or '-updated', got {sort!r}")
        query.append(("sort", sort))
    if cursor is not None:
        if not isinstance(cursor, str) or not cursor:
            raise ValueError("cursor must be a non-empty string")
        query.append(("cursor", cursor))
    if include_audit is not None:
        query.append(("include_audit", _bool(include_audit)))
    return Request("list_assistants", "GET", "/v2/assistants", idempotent=True, query=tuple(query))


def delete_assistant(assistant_id: str) -> Request:
    """``DELETE /v2/assistants/{assistant_id}``."""
    aid = check_id("assistant_id", assistant_id)
    return Request("delete_assistant", "DELETE", f"/v2/assistants/{aid}", idempotent=True)


def query_string(version: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """``version=...`` followed by the endpoint's own query parameters, encoded."""
    return urlencode([("version", version), *extra])
