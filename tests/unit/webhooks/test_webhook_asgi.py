"""The plain ASGI adapter, driven message by message: routing under a mount point,
bodies in several chunks, the size limit, lifespan and a client that goes away."""

from __future__ import annotations

import json
from typing import Any

import pytest

from watson_async.webhooks import LogEvent, NoAuth, log_handler
from watson_async.webhooks.asgi import asgi_app

LOG = json.dumps({"event": {"name": "message_logged"}, "payload": {"log_id": "l-1"}}).encode()


async def _noop(event: LogEvent) -> None:
    return None


def _app(**options: Any) -> Any:
    return asgi_app(log=log_handler(_noop, auth=NoAuth(), **options))


async def _call(
    app: Any, path: str, chunks: list[bytes], *, method: str = "POST", root: str = ""
) -> tuple[int, bytes, dict[str, str]]:
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": root + path, "root_path": root}
    scope["headers"] = [(b"content-type", b"application/json")]
    await app(scope, receive, send)
    if not sent:
        return 0, b"", {}
    start, body = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], body["body"], headers


async def test_a_request_in_chunks_under_a_mount_point() -> None:
    status, body, headers = await _call(_app(), "/log", [LOG[:10], LOG[10:]], root="/hooks")
    assert (status, body) == (200, b"{}")
    assert headers["content-length"] == "2"
    assert headers["content-type"] == "application/json"


async def test_unknown_paths_and_methods() -> None:
    assert (await _call(_app(), "/pre-message", [LOG]))[0] == 404
    assert (await _call(_app(), "/log", [b""], method="GET"))[0] == 405


async def test_an_oversized_body_gets_413_without_being_kept() -> None:
    status, _, _ = await _call(_app(max_body_bytes=20), "/log", [LOG[:15], LOG[15:], b"x" * 99])
    assert status == 413


async def test_a_client_that_goes_away_gets_nothing() -> None:
    app = _app()
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "http", "method": "POST", "path": "/log", "headers": []}, receive, send)
    assert sent == []


async def test_lifespan_is_acknowledged_and_websockets_are_refused() -> None:
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    app = _app()
    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(ValueError, match="HTTP only"):
        await app({"type": "websocket"}, receive, send)


def test_an_app_needs_a_handler() -> None:
    with pytest.raises(ValueError, match="at least one handler"):
        asgi_app()
