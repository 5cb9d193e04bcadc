"""Serve webhook handlers as a plain ASGI application: mount it in FastAPI or Starlette
(``app.mount("/webhooks", asgi_app(...))``) or run it with any ASGI server. No
framework is imported."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._handler import WebhookHandler

__all__ = ["asgi_app"]

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
_ASGIApp = Callable[[_Scope, _Receive, _Send], Awaitable[None]]


async def _respond(send: _Send, status: int, body: bytes, headers: Any) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _read(receive: _Receive, limit: int) -> bytes | None:
    """The body, cut at ``limit + 1`` bytes; ``None`` if the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if size <= limit:
            chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)[: limit + 1]


def asgi_app(
    *,
    pre_message: WebhookHandler[Any, Any] | None = None,
    post_message: WebhookHandler[Any, Any] | None = None,
    log: WebhookHandler[Any, Any] | None = None,
) -> _ASGIApp:
    """An ASGI app answering ``POST /pre-message``, ``/post-message`` and ``/log``
    (relative to where it is mounted) with the handlers given."""
    routes = {"/pre-message": pre_message, "/post-message": post_message, "/log": log}
    if all(h is None for h in routes.values()):
        raise ValueError("asgi_app needs at least one handler")

    async def app(scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"asgi_app serves HTTP only, not {scope['type']!r}")
        # Starlette's Mount keeps the full path and puts the mount point in root_path.
        root, path = scope.get("root_path", ""), scope["path"]
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        handler = routes.get(path)
        if handler is None:
            await _respond(send, 404, b'{"error":"Not Found","code":404}', _JSON)
            return
        if scope["method"] != "POST":
            await _respond(send, 405, b'{"error":"Method Not Allowed","code":405}', _JSON)
            return
        body = await _read(receive, handler.max_body_bytes)
        if body is None:
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        answer = await handler.handle(body, headers)
        await _respond(send, answer.status, answer.body, answer.headers)

    return app


_JSON = {"Content-Type": "application/json"}


async def _lifespan(receive: _Receive, send: _Send) -> None:
    """Nothing to start or stop: acknowledge both."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
