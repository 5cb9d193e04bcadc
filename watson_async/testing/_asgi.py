"""Serve an ASGI application (FastAPI, Starlette, :func:`watson_async.webhooks.asgi.asgi_app`)
on a loopback port without an ASGI server package, so ``FakeAssistant`` can call it
over real HTTP in a test.

Enough of ASGI 3 for request/response apps: one ``http.request`` message with the
whole body, then ``http.disconnect``; the response is collected and sent whole. No
lifespan, websockets or streaming responses. Use uvicorn or hypercorn in production.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aiohttp import web

from watson_async._lifecycle import AsyncServing

from ._common import serve

__all__ = ["AsgiServer"]

_ASGIApp = Callable[..., Awaitable[None]]


class AsgiServer(AsyncServing):
    """``async with AsgiServer(app) as server:`` serves ``app`` at :attr:`url`."""

    def __init__(self, app: _ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not callable(app):
            raise ValueError("app must be an ASGI application (a callable)")
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.BaseRunner | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._runner is None:
            raise RuntimeError("AsgiServer is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Bind the socket and start serving (``port=0`` picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("AsgiServer is already started")
        runner = web.ServerRunner(web.Server(self._handle, access_log=None))
        self.port = await serve(runner, self.host, self.port)
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving; safe to call more than once."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: web.BaseRequest) -> web.Response:
        body = await request.read()
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": f"{request.version.major}.{request.version.minor}",
            "method": request.method,
            "scheme": "http",
            "path": request.path,
            "raw_path": request.raw_path.split("?", 1)[0].encode("latin-1"),
            "query_string": request.query_string.encode("latin-1"),
            "root_path": "",
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in request.headers.items()
            ],
            "client": None,
            "server": (self.host, self.port),
            "state": {},
        }
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 500
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", ())
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
        response = web.Response(status=status, body=b"".join(chunks))
        for name, value in kept:
            response.headers.add(name, value)
        return response
