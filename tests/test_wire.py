"""The wire layer: request building, validation and response reading, without I/O."""

from __future__ import annotations

import email.utils
import json

import pytest
from multidict import CIMultiDict

from watson_async import _wire
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

# --- paths ---------------------------------------------------------------------


def test_environment_scoped_paths() -> None:
    assert _wire.create_session("a", "e", None).path == "/v2/assistants/a/environments/e/sessions"
    assert (
        _wire.message("a", "e", "s", None, None, None).path
        == "/v2/assistants/a/environments/e/sessions/s/message"
    )
    assert (
        _wire.message_stateless("a", "e", None, None, None).path
        == "/v2/assistants/a/environments/e/message"
    )
    assert _wire.delete_session("a", "e", "s").path == "/v2/assistants/a/environments/e/sessions/s"


def test_classic_paths_when_environment_is_none() -> None:
    assert _wire.create_session("a", None, None).path == "/v2/assistants/a/sessions"
    assert (
        _wire.message("a", None, "s", None, None, None).path
        == "/v2/assistants/a/sessions/s/message"
    )
    assert _wire.message_stateless("a", None, None, None, None).path == "/v2/assistants/a/message"
    assert _wire.delete_session("a", None, "s").path == "/v2/assistants/a/sessions/s"


def test_path_parameters_are_percent_encoded() -> None:
    req = _wire.delete_session("a/b c", "e?x", "s#1")
    assert req.path == "/v2/assistants/a%2Fb%20c/environments/e%3Fx/sessions/s%231"


def test_methods_and_idempotency() -> None:
    assert _wire.message("a", "e", "s", None, None, None).idempotent is False
    assert _wire.message_stateless("a", "e", None, None, None).idempotent is True
    assert _wire.create_session("a", "e", None).idempotent is True
    assert _wire.create_assistant(None, "n", None).idempotent is False
    assert _wire.delete_assistant("a").method == "DELETE"
    assert _wire.list_assistants(None, None, None, None, None).method == "GET"


def test_query_string_always_starts_with_version() -> None:
    assert _wire.query_string("2024-08-25") == "version=2024-08-25"
    req = _wire.list_assistants(10, True, "-name", "abc/=", False)
    assert (
        _wire.query_string("2024-08-25", req.query)
        == "version=2024-08-25&page_limit=10&include_count=true&sort=-name&cursor=abc%2F%3D"
        "&include_audit=false"
    )


# --- bodies --------------------------------------------------------------------


def test_message_body_from_dicts() -> None:
    req = _wire.message(
        "a", "e", "s", {"text": "Hi", "options": {"return_context": True}}, {"global": {}}, "u1"
    )
    assert req.body is not None
    assert json.loads(req.body) == {
        "input": {"text": "Hi", "options": {"return_context": True}},
        "context": {"global": {}},
        "user_id": "u1",
    }


def test_message_body_omits_what_was_not_given() -> None:
    req = _wire.message("a", "e", "s", None, None, None)
    assert req.body == b"{}"


def test_create_session_body_only_with_analytics() -> None:
    assert _wire.create_session("a", "e", None).body is None
    req = _wire.create_session("a", "e", {"browser": "Firefox", "pageUrl": "https://x"})
    assert req.body is not None
    assert json.loads(req.body) == {"analytics": {"browser": "Firefox", "pageUrl": "https://x"}}


def test_non_json_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not JSON-serializable"):
        _wire.message("a", "e", "s", {"text": "hi", "x": object()}, None, None)
    with pytest.raises(ValueError, match="input must be a model or a dict"):
        _wire.message("a", "e", "s", "hello", None, None)


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("", "e", "s"), "assistant_id must not be empty"),
        (("a", "", "s"), "environment_id must not be empty"),
        (("a", "e", ""), "session_id must not be empty"),
        (("a", "e", "   "), "session_id must not be empty"),
        ((None, "e", "s"), "assistant_id must be a string"),
    ],
)
def test_ids_are_checked(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _wire.message(*args, None, None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "must not be empty"),
        ("x" * 2049, "2049 characters"),
        ("a\nb", r"must not contain '\\n'"),
        ("a\rb", r"must not contain '\\r'"),
        ("a\tb", r"must not contain '\\t'"),
        (42, "must be a string"),
    ],
)
def test_input_text_is_checked(text: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _wire.message("a", "e", "s", {"text": text}, None, None)
    with pytest.raises(ValueError, match=match):
        _wire.message_stateless("a", "e", {"text": text}, None, None)


def test_longest_valid_text_passes() -> None:
    _wire.message("a", "e", "s", {"text": "x" * 2048}, None, None)


@pytest.mark.parametrize(
    ("user_id", "match"),
    [("", "must not be empty"), ("u" * 257, "257 characters"), ("a\nb", "must not contain")],
)
def test_user_id_is_checked(user_id: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _wire.message("a", "e", "s", None, None, user_id)


def test_context_size_limits_differ_for_stateful_and_stateless() -> None:
    big = {"skills": {"main skill": {"user_defined": {"blob": "x" * 150_000}}}}
    with pytest.raises(ValueError, match=r"stateful message accepts at most 102400 bytes"):
        _wire.message("a", "e", "s", None, big, None)
    _wire.message_stateless("a", "e", None, big, None)  # under 250 KB: fine
    huge = {"skills": {"main skill": {"user_defined": {"blob": "x" * 260_000}}}}
    with pytest.raises(ValueError, match=r"stateless message accepts at most 256000 bytes"):
        _wire.message_stateless("a", "e", None, huge, None)


def test_large_input_with_small_context_is_not_a_context_error() -> None:
    small_context = {"global": {"system": {"turn_count": 1}}}
    req = _wire.message_stateless("a", "e", {"text": "x" * 2048}, small_context, None)
    assert req.body is not None


def test_assistant_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="name is 65 characters"):
        _wire.create_assistant(None, "n" * 65, None)
    with pytest.raises(ValueError, match="description is 129 characters"):
        _wire.create_assistant(None, None, "d" * 129)
    body = _wire.create_assistant("en", "n" * 64, "d" * 128).body
    assert body is not None
    assert json.loads(body) == {"language": "en", "name": "n" * 64, "description": "d" * 128}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_limit": 0}, "page_limit must be a positive integer"),
        ({"page_limit": True}, "page_limit must be a positive integer"),
        ({"sort": "size"}, "sort must be"),
        ({"cursor": ""}, "cursor must be a non-empty string"),
    ],
)
def test_list_options_are_checked(kwargs: dict[str, object], match: str) -> None:
    args = {
        "page_limit": None,
        "include_count": None,
        "sort": None,
        "cursor": None,
        "include_audit": None,
        **kwargs,
    }
    with pytest.raises(ValueError, match=match):
        _wire.list_assistants(**args)  # type: ignore[arg-type]


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
