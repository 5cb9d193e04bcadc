"""The wire layer: pure functions, no I/O.

Builds each endpoint's request (method, path, query, JSON body) after validating the
arguments, and reads responses: error bodies, ``X-RateLimit-*``, ``Retry-After`` and
``Date``. Everything here is tested without a server.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from . import _json
from ._convert import converter
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SessionNotFoundError,
    TransportError,
)

__all__ = [
    "AMBIGUOUS_STATUSES",
    "MAX_ASSISTANT_DESCRIPTION",
    "MAX_ASSISTANT_NAME",
    "MAX_STATEFUL_CONTEXT_BYTES",
    "MAX_STATELESS_CONTEXT_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_USER_ID_LENGTH",
    "RateLimit",
    "Request",
    "backoff_wait",
    "error_from_response",
    "parse_http_date",
    "parse_rate_limit",
    "reset_seconds",
    "retry_after_seconds",
    "retry_reason",
    "retry_wait",
]

MAX_TEXT_LENGTH = 2048
MAX_USER_ID_LENGTH = 256
MAX_ASSISTANT_NAME = 64
MAX_ASSISTANT_DESCRIPTION = 128
MAX_STATEFUL_CONTEXT_BYTES = 100 * 1024
MAX_STATELESS_CONTEXT_BYTES = 250 * 1024

_FORBIDDEN_CHARS = ("\r", "\n", "\t")

TRANSACTION_ID_HEADER = "X-Global-Transaction-Id"


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


# --- responses ----------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not hasattr(headers, "getall"):  # plain dicts: try other cases
        lname = name.lower()
        for key, val in headers.items():
            if key.lower() == lname:
                return val
    return value


def parse_http_date(value: str | None) -> float | None:
    """An HTTP date (``Date``, ``Retry-After``) as UNIX seconds, or ``None``."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


@attrs.frozen(slots=True)
class RateLimit:
    """The ``X-RateLimit-*`` headers of one response (each may be missing)."""

    limit: int | None
    remaining: int | None
    reset_at: float | None
    """UNIX time (seconds) when the window resets, by the server's clock."""


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """The response's rate-limit state, or ``None`` when it sent no such header."""
    limit = _float(_header(headers, "X-RateLimit-Limit"))
    remaining = _float(_header(headers, "X-RateLimit-Remaining"))
    reset = _float(_header(headers, "X-RateLimit-Reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return RateLimit(
        limit=int(limit) if limit is not None else None,
        remaining=int(remaining) if remaining is not None else None,
        reset_at=reset,
    )


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """How long the response asks us to wait, or ``None`` when it doesn't say.

    ``Retry-After`` (seconds or an HTTP date) first, then ``X-RateLimit-Reset``. Dates
    are compared with the response's own ``Date`` header when present, so a skewed
    local clock doesn't matter; ``now`` (local UNIX time) is the fallback. A time in
    the past means no wait (0.0).
    """
    server_now = parse_http_date(_header(headers, "Date"))
    reference = server_now if server_now is not None else now
    retry_after = _header(headers, "Retry-After")
    if retry_after is not None:
        seconds = _float(retry_after)
        if seconds is not None:
            return max(0.0, seconds)
        when = parse_http_date(retry_after)
        if when is not None:
            return max(0.0, when - reference)
    return reset_seconds(headers, now)


def reset_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` by the response's own ``Date`` (else ``now``).

    Measured against the server's ``Date``, a skewed local clock doesn't matter. Both
    have whole-second resolution: callers add up to a second of jitter (see
    :func:`retry_wait` and the gate's spread). A reset in the past means 0.0; ``None``
    when there is no usable reset header.
    """
    reset = _float(_header(headers, "X-RateLimit-Reset"))
    if reset is None:
        return None
    server_now = parse_http_date(_header(headers, "Date"))
    return max(0.0, reset - (server_now if server_now is not None else now))


def _message_from(data: Any, reason: str) -> tuple[str, Any, list[dict[str, Any]] | None]:
    if not isinstance(data, dict):
        return reason, None, None
    errors = data.get("errors")
    error_list = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else None
    code = data.get("code", data.get("errorCode"))
    if error_list and isinstance(error_list[0].get("message"), str) and error_list[0]["message"]:
        return error_list[0]["message"], code, error_list
    for key in ("error", "message", "errorMessage"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value, code, error_list
    return reason, code, error_list


def error_from_response(
    status: int,
    reason: str | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str | None = None,
    url: str | None = None,
    now: float = 0.0,
) -> ApiError:
    """The typed exception for an error response. Never fails, whatever the body."""
    text = body.decode("utf-8", errors="replace")
    data: Any = None
    if body:
        try:
            data = _json.loads(body)
        except ValueError:
            data = None
    reason = reason or "HTTP error"
    message, code, errors = _message_from(data, reason)
    short = text.strip()
    if (
        data is None
        and short
        and len(short) <= 200
        and "<" not in short
        and short.isprintable()
        and "\ufffd" not in short
    ):
        message = short  # a short plain-text body ("Rate limit exceeded") says more
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "errors": errors,
        "global_transaction_id": _header(headers, TRANSACTION_ID_HEADER),
        "headers": headers,
        "body": text,
        "json": data,
        "method": method,
        "url": url,
    }
    if status == 429:
        rate = parse_rate_limit(headers)
        return RateLimitError(
            message,
            retry_after=retry_after_seconds(headers, now),
            reset_at=rate.reset_at if rate else None,
            **kwargs,
        )
    cls: type[ApiError]
    if status == 404:
        cls = SessionNotFoundError if "invalid session" in message.lower() else NotFoundError
    elif status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionDeniedError
    elif status == 409:
        cls = ConflictError
    elif status in (400, 413, 422):
        cls = BadRequestError
    elif status >= 500:
        cls = ServerError
    else:
        cls = ApiError
    return cls(message, **kwargs)


# --- retry rules ----------------------------------------------------------------

#: Seconds of jitter added to waits the service asked for (its headers have whole-second
#: resolution, and waiters should not all arrive at the same instant).
RESET_JITTER = 1.0

#: Statuses that say the service did not (or may not have) completed the request.
AMBIGUOUS_STATUSES = frozenset({408, 500, 502, 503, 504})


def retry_reason(error: BaseException, idempotent: bool, retry_ambiguous: bool) -> str | None:
    """Why ``error`` may be retried, or ``None`` when it must not be.

    * 429 — always: the service rejected the request without acting on it.
    * no connection (``request_sent=False``) — always: nothing was sent.
    * 408/5xx, disconnects and read timeouts — the service may have acted: only for
      requests that are safe to repeat, or when ``retry_ambiguous`` says so.
    * anything else (400, 401, 403, 404, 409, 413, 422, parse errors) — never.
    """
    if isinstance(error, RateLimitError):
        return "rate_limited"
    if isinstance(error, TransportError):
        if not error.request_sent:
            return "timeout_connecting" if error.timeout else "connect_error"
        reason = "timeout" if error.timeout else "disconnected"
    elif isinstance(error, ApiError) and error.status_code in AMBIGUOUS_STATUSES:
        reason = f"status_{error.status_code}"
    else:
        return None
    return reason if idempotent or retry_ambiguous else None


def backoff_wait(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
    return rand() * min(cap, base * 2.0 ** (attempt - 1))


def retry_wait(
    error: BaseException,
    attempt: int,
    base: float,
    cap: float,
    now: float,
    rand: Callable[[], float],
) -> float:
    """Seconds to wait before the next attempt after ``error`` on attempt ``attempt``.

    The service's word first (``Retry-After``, else ``X-RateLimit-Reset`` against the
    response's ``Date``) plus up to a second of jitter (the headers' resolution, and so
    waiters don't arrive together); otherwise exponential backoff with full jitter.
    """
    if isinstance(error, ApiError):
        told = retry_after_seconds(error.headers, now)
        if told is not None:
            return told + rand() * RESET_JITTER
    return backoff_wait(attempt, base, cap, rand)
