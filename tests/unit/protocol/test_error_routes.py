"""``str(error)`` names a request by its route template, never by its IDs; the full URL
stays on ``error.url`` (issue 17)."""

from __future__ import annotations

from watson_async.errors import SessionNotFoundError, TransportError
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol.service import Service

AID, EID, SID = "aid-7f3e", "eid-91ab", "sid-c0ffee"
SERVICE_URL = "https://api.example.test/instances/inst-42"


def test_api_error_shows_the_route_and_keeps_the_url() -> None:
    service = Service(SERVICE_URL, "2024-08-25", {})
    request = _endpoints.message(AID, EID, SID, {"text": "hi"}, None, None)
    error = service.error(
        request, 404, "Not Found", {}, b'{"error": "Invalid Session", "code": 404}', now=0.0
    )
    assert isinstance(error, SessionNotFoundError)
    text = str(error)
    assert text == (
        "404 Invalid Session on POST https://api.example.test/instances/{instance_id}"
        "/v2/assistants/{assistant_id}/environments/{environment_id}/sessions/{session_id}/message"
    )
    for secret_ish in (AID, EID, SID, "inst-42"):
        assert secret_ish not in text
    assert (
        error.url == f"{SERVICE_URL}/v2/assistants/{AID}/environments/{EID}/sessions/{SID}/message"
    )


def test_transport_error_shows_the_route() -> None:
    url = f"{SERVICE_URL}/v2/assistants/{AID}/sessions/{SID}?version=2024-08-25"
    error = TransportError("connection reset", method="DELETE", url=url, request_sent=True)
    route = (
        "https://api.example.test/instances/{instance_id}"
        "/v2/assistants/{assistant_id}/sessions/{session_id}"
    )
    assert str(error) == f"connection reset (DELETE {route})"
    assert error.url == url
    assert error.route == route


def test_a_token_service_url_loses_only_its_query() -> None:
    error = TransportError(
        "timed out",
        method="POST",
        url="https://iam.example.test/identity/token?x=1",
        request_sent=False,
    )
    assert str(error) == "timed out (POST https://iam.example.test/identity/token)"
