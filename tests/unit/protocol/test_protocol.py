"""The protocol layer: requests out, responses in (no server, no event loop)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from multidict import CIMultiDict

import watson_async
from watson_async.errors import (
    AuthenticationError,
    RateLimitError,
    ResponseParseError,
    SessionNotFoundError,
)
from watson_async.models.session import SessionResponse
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol import service as _protocol
from watson_async.transport import HttpResponse

SERVICE = _protocol.Service(
    "https://api.example.test/instances/i1/",
    "2024-08-25",
    _protocol.base_headers("ua/1", customer_id="c1", extra={"X-Extra": "x"}),
)
PACKAGE = Path(watson_async.__file__).parent


def _response(status: int = 200, body: bytes = b"{}", **headers: str) -> HttpResponse:
    return HttpResponse(status, "Reason", CIMultiDict(headers), body)


# --- purity -------------------------------------------------------------------------


PROTOCOL = sorted(p.stem for p in (PACKAGE / "protocol").glob("*.py") if p.stem != "__init__")


def test_the_protocol_layer_imports_neither_aiohttp_nor_asyncio() -> None:
    # The package's __init__ imports the client (and aiohttp): load the layer alone.
    imports = "\n".join(f"import watson_async.protocol.{name}" for name in PROTOCOL)
    script = f"""
import sys, types
package = types.ModuleType("watson_async")
package.__path__ = [{str(PACKAGE)!r}]
sys.modules["watson_async"] = package
{imports}
print(sorted({{name.split(".")[0] for name in sys.modules}} & {{"aiohttp", "asyncio"}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert {"endpoints", "routes", "service", "sse", "wire"} <= set(PROTOCOL)


@pytest.mark.parametrize("name", PROTOCOL)
def test_the_protocol_layer_reads_no_clock(name: str) -> None:
    tree = ast.parse((PACKAGE / "protocol" / f"{name}.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"time", "datetime", "asyncio", "aiohttp"}


# --- requests -----------------------------------------------------------------------


def test_base_headers() -> None:
    headers = _protocol.base_headers(
        "ua/1", learning_opt_out=True, customer_id="c1", extra={"Accept": "text/plain"}
    )
    assert headers == {
        "User-Agent": "ua/1",
        "Accept": "text/plain",
        "X-Watson-Learning-Opt-Out": "true",
        "X-Watson-Metadata": "customer_id=c1",
    }
    assert _protocol.base_headers("ua/1") == {"User-Agent": "ua/1", "Accept": "application/json"}


@pytest.mark.parametrize("customer_id", ["", "a;b", "a\nb", "a\tb"])
def test_base_headers_refuse_a_bad_customer_id(customer_id: str) -> None:
    with pytest.raises(ValueError, match="customer_id"):
        _protocol.base_headers("ua/1", customer_id=customer_id)


def test_url_has_the_version_then_the_query() -> None:
    assert SERVICE.url == "https://api.example.test/instances/i1"
    request = _endpoints.delete_session("a1", "e1", "s1")
    assert SERVICE.url_for(request) == (
        "https://api.example.test/instances/i1/v2/assistants/a1/environments/e1/sessions/s1"
        "?version=2024-08-25"
    )
    listing = _endpoints.list_assistants(10, True, None, "c/1", None)
    url = SERVICE.url_for(listing)
    assert url.startswith("https://api.example.test/instances/i1/v2/assistants?version=2024-08-25&")
    assert "page_limit=10" in url
    assert "cursor=c%2F1" in url


def test_headers_json_only_with_a_body() -> None:
    _, without = SERVICE.target(_endpoints.delete_session("a1", "e1", "s1"))
    assert "Content-Type" not in without
    assert without["X-Watson-Metadata"] == "customer_id=c1"
    assert without["X-Extra"] == "x"
    _, with_body = SERVICE.target(_endpoints.message("a1", "e1", "s1", {"text": "hi"}, None, None))
    assert with_body["Content-Type"] == "application/json"


def test_endpoint_headers_come_after_the_base() -> None:
    request = _endpoints.message_stream("a1", "e1", "s1", {"text": "hi"}, None, None)
    _, headers = SERVICE.target(request)
    assert headers["Accept"] == "text/event-stream"
    assert headers["Content-Type"] == "application/json"


def test_merge_headers_authorization_then_the_callers() -> None:
    base = {"Accept": "application/json"}
    merged = _protocol.merge_headers(base, "Bearer t", {"X-Call": "1"})
    assert merged == {"Accept": "application/json", "Authorization": "Bearer t", "X-Call": "1"}
    assert base == {"Accept": "application/json"}  # copied, not changed
    assert _protocol.merge_headers(base, None, None) == base
    own = _protocol.merge_headers(base, "Bearer t", {"Authorization": "Basic x"})
    assert own["Authorization"] == "Basic x"


# --- responses ----------------------------------------------------------------------


def test_error_names_the_method_and_url_without_the_query() -> None:
    request = _endpoints.message("a1", "e1", "s1", {"text": "hi"}, None, None)
    error = SERVICE.error(
        request, 404, "Not Found", CIMultiDict(), b'{"error": "Invalid Session"}', now=0.0
    )
    assert isinstance(error, SessionNotFoundError)
    assert error.method == "POST"
    assert error.url == (
        "https://api.example.test/instances/i1/v2/assistants/a1/environments/e1/sessions/s1/message"
    )
    auth = SERVICE.error(request, 401, None, CIMultiDict(), b"", now=0.0)
    assert isinstance(auth, AuthenticationError)


def test_error_uses_now_for_a_reset_without_date() -> None:
    request = _endpoints.delete_session("a1", "e1", "s1")
    error = SERVICE.error(
        request, 429, "Too Many", CIMultiDict({"X-RateLimit-Reset": "1010"}), b"", now=1000.0
    )
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 10.0


def test_parse_reads_the_model() -> None:
    request = _endpoints.create_session("a1", "e1", None)
    session = _protocol.parse(request, _response(body=b'{"session_id": "s9"}'), SessionResponse)
    assert session == SessionResponse(session_id="s9")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"{}"])
def test_parse_error_keeps_the_response(body: bytes) -> None:
    request = _endpoints.create_session("a1", "e1", None)
    response = _response(201, body, **{"X-Global-Transaction-Id": "txn-9"})
    with pytest.raises(
        ResponseParseError, match="create_session: cannot read the response as "
    ) as caught:
        _protocol.parse(request, response, SessionResponse)
    assert caught.value.status_code == 201
    assert caught.value.body == body.decode()
    assert caught.value.global_transaction_id == "txn-9"
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/event-stream", True),
        ("Text/Event-Stream; charset=utf-8", True),
        (" text/event-stream ;x=1", True),
        ("application/json", False),
        (None, False),
    ],
)
def test_is_event_stream(content_type: str | None, expected: bool) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    assert _protocol.is_event_stream(headers) is expected


def test_keeps_open_a_2xx_event_stream_or_any_2xx_of_other_streams() -> None:
    stream = _endpoints.message_stream("a1", "e1", "s1", {"text": "hi"}, None, None)
    archive = _endpoints.download_release_export("a1", "1", _endpoints.EXPORT_ARCHIVE, None)
    events = {"Content-Type": "text/event-stream"}
    json_type = {"Content-Type": "application/json"}
    assert _protocol.expects_event_stream(stream)
    assert not _protocol.expects_event_stream(archive)
    assert _protocol.keeps_open(stream, 200, events)
    assert not _protocol.keeps_open(stream, 200, json_type)
    assert not _protocol.keeps_open(stream, 500, events)
    assert _protocol.keeps_open(archive, 200, {})
    assert not _protocol.keeps_open(archive, 404, {})


def test_not_event_stream_error() -> None:
    request = _endpoints.message_stream("a1", "e1", "s1", {"text": "hi"}, None, None)
    error = _protocol.not_event_stream(
        request, _response(200, b'{"a": 1}', **{"Content-Type": "application/json"})
    )
    assert str(error).startswith(
        "message_stream: expected a text/event-stream reply, got application/json"
    )
    assert error.status_code == 200
    assert error.body == '{"a": 1}'
    bare = _protocol.not_event_stream(request, _response(200, b""))
    assert "got no Content-Type" in str(bare)
