"""The wire layer's response side: errors, rate-limit headers, waits (no I/O)."""

from __future__ import annotations

import email.utils
import json

import pytest
from multidict import CIMultiDict

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
)
from watson_async.protocol import wire as _wire

# --- errors --------------------------------------------------------------------


def _headers(**extra: str) -> CIMultiDict[str]:
    headers = CIMultiDict({"X-Global-Transaction-Id": "txn-1", "Content-Type": "application/json"})
    for key, value in extra.items():
        headers[key.replace("_", "-")] = value
    return headers


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"error": "Invalid Request Body", "code": 400}, BadRequestError),
        (401, {"code": 401, "error": "Unauthorized"}, AuthenticationError),
        (403, {"code": 403, "error": "Forbidden"}, PermissionDeniedError),
        (404, {"error": "Resource not found", "code": 404}, NotFoundError),
        (404, {"error": "Invalid Session", "code": 404}, SessionNotFoundError),
        (409, {"error": "conflict", "code": 409}, ConflictError),
        (413, {"error": "too large", "code": 413}, BadRequestError),
        (429, {"error": "Rate limit exceeded", "code": 429}, RateLimitError),
        (500, {"error": "Internal Server Error", "code": 500}, ServerError),
        (503, {"error": "busy", "code": 503}, ServerError),
        (418, {"error": "teapot", "code": 418}, ApiError),
    ],
)
def test_error_classes(status: int, body: dict[str, object], cls: type[ApiError]) -> None:
    err = _wire.error_from_response(status, "Reason", _headers(), json.dumps(body).encode())
    assert type(err) is cls
    assert err.status_code == status
    assert err.message == body["error"]
    assert err.code == body["code"]
    assert err.global_transaction_id == "txn-1"
    assert err.json == body
    assert "txn-1" in str(err)


def test_error_message_prefers_errors_list() -> None:
    body = {
        "error": "Invalid Request Body",
        "code": 400,
        "errors": [
            {"message": "text cannot be longer than 2048 characters", "path": ".input.text"}
        ],
    }
    err = _wire.error_from_response(400, "Bad Request", _headers(), json.dumps(body).encode())
    assert err.message == "text cannot be longer than 2048 characters"
    assert err.errors == body["errors"]


def test_iam_style_error() -> None:
    body = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}
    err = _wire.error_from_response(400, "Bad Request", {}, json.dumps(body).encode())
    assert err.message == "Provided API key could not be found."
    assert err.code == "BXNIM0415E"


def test_plain_text_and_html_bodies_are_kept() -> None:
    err = _wire.error_from_response(429, "Too Many Requests", {}, b"Rate limit exceeded")
    assert isinstance(err, RateLimitError)
    assert err.message == "Rate limit exceeded"
    assert err.body == "Rate limit exceeded"
    assert err.json is None
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    err = _wire.error_from_response(502, "Bad Gateway", {}, html)
    assert isinstance(err, ServerError)
    assert err.message == "Bad Gateway"
    assert err.body == html.decode()


def test_empty_and_undecodable_bodies() -> None:
    assert _wire.error_from_response(500, "", {}, b"").message == "HTTP error"
    err = _wire.error_from_response(500, "Oops", {}, b"\xff\xfe{")
    assert err.message == "Oops"
    assert "\ufffd" in err.body


def test_recorded_500_body_from_the_conformance_samples() -> None:
    body = b'{"error":"Internal Server Error","code":500}'
    err = _wire.error_from_response(500, "Internal Server Error", _headers(), body)
    assert isinstance(err, ServerError)
    assert err.message == "Internal Server Error"


# --- rate limits and waits ----------------------------------------------------


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def test_parse_rate_limit() -> None:
    rate = _wire.parse_rate_limit(
        {
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1700000060",
        }
    )
    assert rate == _wire.RateLimit(limit=100, remaining=0, reset_at=1700000060.0)
    assert _wire.parse_rate_limit({}) is None
    assert _wire.parse_rate_limit({"X-RateLimit-Limit": "junk"}) is None


def test_retry_after_seconds_and_date() -> None:
    now = 1_700_000_000.0
    assert _wire.retry_after_seconds({"Retry-After": "7"}, now) == 7.0
    assert _wire.retry_after_seconds({"Retry-After": "-3"}, now) == 0.0
    headers = {"Retry-After": _http_date(now + 30), "Date": _http_date(now)}
    assert _wire.retry_after_seconds(headers, now=0.0) == pytest.approx(30.0)


def test_reset_is_measured_against_the_servers_date_not_the_local_clock() -> None:
    server_now = 1_700_000_000.0
    headers = {"Date": _http_date(server_now), "X-RateLimit-Reset": str(int(server_now) + 5)}
    skewed_local_clock = server_now + 3600.0
    # 5 s to the reset by the server's own clock; the local clock's hour of skew is ignored.
    assert _wire.retry_after_seconds(headers, skewed_local_clock) == pytest.approx(5.0)


def test_reset_in_the_past_means_no_wait() -> None:
    now = 1_700_000_000.0
    headers = {"Date": _http_date(now), "X-RateLimit-Reset": str(int(now) - 100)}
    assert _wire.retry_after_seconds(headers, now) == 0.0


def test_no_headers_no_opinion() -> None:
    assert _wire.retry_after_seconds({}, 0.0) is None
    assert _wire.retry_after_seconds({"Retry-After": "soon"}, 0.0) is None


def test_rate_limit_error_carries_wait_and_reset() -> None:
    now = 1_700_000_000.0
    headers = _headers(X_RateLimit_Reset=str(int(now) + 10), Date=_http_date(now))
    err = _wire.error_from_response(429, "Too Many Requests", headers, b"", now=now)
    assert isinstance(err, RateLimitError)
    assert err.reset_at == now + 10
    assert err.retry_after == pytest.approx(10.0)


def test_header_lookup_is_case_insensitive_for_plain_dicts() -> None:
    assert _wire.retry_after_seconds({"retry-after": "2"}, 0.0) == 2.0


def test_http_date_parsing() -> None:
    assert _wire.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777.0
    assert _wire.parse_http_date("not a date") is None
    assert _wire.parse_http_date(None) is None
