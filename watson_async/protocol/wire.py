"""The wire layer's response side: pure functions, no I/O.

Reads responses (error bodies, ``X-RateLimit-*``, ``Retry-After``, ``Date``) and
decides whether and when to retry. Requests are built in ``_endpoints``. Everything
here is tested without a server.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from multidict import istr

from watson_async.errors import (
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
from watson_async.protocol import codec as _json

__all__ = [
    "AMBIGUOUS_STATUSES",
    "RATE_LIMIT_LIMIT",
    "RATE_LIMIT_REMAINING",
    "RATE_LIMIT_RESET",
    "TRANSACTION_ID_HEADER",
    "RateLimit",
    "backoff_wait",
    "error_from_response",
    "header",
    "parse_http_date",
    "parse_rate_limit",
    "reset_seconds",
    "retry_after_seconds",
    "retry_reason",
    "retry_wait",
]

TRANSACTION_ID_HEADER = istr("X-Global-Transaction-Id")
# The rate-limit headers, read after every response. As multidict's ``istr`` (a ``str``
# to anything else), aiohttp's case-insensitive headers find them without folding each
# name's case again on every lookup: half the cost of a lookup.
RATE_LIMIT_LIMIT = istr("X-RateLimit-Limit")
RATE_LIMIT_REMAINING = istr("X-RateLimit-Remaining")
RATE_LIMIT_RESET = istr("X-RateLimit-Reset")


# --- responses ----------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` in any letter case: aiohttp's headers fold case
    themselves; a plain mapping (a custom transport's) is searched."""
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
    limit = _float(header(headers, RATE_LIMIT_LIMIT))
    remaining = _float(header(headers, RATE_LIMIT_REMAINING))
    reset = _float(header(headers, RATE_LIMIT_RESET))
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
    server_now = parse_http_date(header(headers, "Date"))
    reference = server_now if server_now is not None else now
    retry_after = header(headers, "Retry-After")
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
    reset = _float(header(headers, RATE_LIMIT_RESET))
    if reset is None:
        return None
    server_now = parse_http_date(header(headers, "Date"))
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
        "global_transaction_id": header(headers, TRANSACTION_ID_HEADER),
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
