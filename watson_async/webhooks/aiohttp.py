"""Serve webhook handlers with aiohttp (``aiohttp.web``).

>>> app = webhook_app(pre_message=pre_message_handler(translate, auth=JwtAuth(secret)))
>>> web.run_app(app)  # POST /pre-message

or add one route to your own application: ``app.router.add_post("/pre", aiohttp_view(h))``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._handler import WebhookHandler

__all__ = ["aiohttp_view", "webhook_app"]


async def _read(request: web.Request, limit: int) -> bytes:
    """The body, cut at ``limit + 1`` bytes (enough to tell that it is too large)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]


def aiohttp_view(
    handler: WebhookHandler[Any, Any],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp request handler (for ``router.add_post``) answering with ``handler``."""

    async def view(request: web.Request) -> web.Response:
        body = await _read(request, handler.max_body_bytes)
        answer = await handler.handle(body, request.headers)
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)

    return view


def webhook_app(
    *,
    pre_message: WebhookHandler[Any, Any] | None = None,
    post_message: WebhookHandler[Any, Any] | None = None,
    log: WebhookHandler[Any, Any] | None = None,
) -> web.Application:
    """An application with ``POST /pre-message``, ``/post-message`` and ``/log`` for
    the handlers given."""
    routes = {"/pre-message": pre_message, "/post-message": post_message, "/log": log}
    if all(h is None for h in routes.values()):
        raise ValueError("webhook_app needs at least one handler")
    app = web.Application()
    for path, handler in routes.items():
        if handler is not None:
            app.router.add_post(path, aiohttp_view(handler))
    return app
