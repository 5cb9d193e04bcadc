"""A real forward HTTP proxy on 127.0.0.1 that counts what passes through it.

It takes absolute-form requests (``POST http://127.0.0.1:PORT/path HTTP/1.1``), sends
each to its loopback target on a fresh connection and relays the answer byte for byte,
one request per client connection (``Connection: close`` both ways). Anything but a
loopback ``http://`` target, and ``CONNECT``, is refused with 403 (and still counted).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from types import TracebackType
from urllib.parse import urlsplit

import attrs

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "upgrade"}
)
_MAX_HEAD = 64 * 1024


@attrs.frozen
class ProxiedRequest:
    method: str
    target: str
    """The request target as the client sent it (absolute form for a proxy)."""
    headers: dict[str, str]
    """Header names lower-cased."""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


class CountingProxy:
    """``async with CountingProxy() as proxy:`` then point a client at :attr:`url`."""

    def __init__(self) -> None:
        self.requests: list[ProxiedRequest] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def paths(self) -> collections.Counter[str]:
        """How many requests went through, per target path."""
        return collections.Counter(r.path for r in self.requests)

    def count(self, suffix: str) -> int:
        """Requests whose target path ends with ``suffix`` (``"/identity/token"``)."""
        return sum(1 for r in self.requests if r.path.endswith(suffix))

    def service_count(self) -> int:
        """Requests to the fake's service API (``/instances/<id>/v2/...``)."""
        return sum(1 for r in self.requests if "/v2/" in r.path)

    async def __aenter__(self) -> CountingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.close()
        if self._handlers:
            await asyncio.wait_for(asyncio.gather(*self._handlers, return_exceptions=True), 5)
        await server.wait_closed()

    # ------------------------------------------------------------------ forwarding

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, headers = _parse_head(head)
            self.requests.append(ProxiedRequest(method, target, dict(headers)))
            url = urlsplit(target)
            if method == "CONNECT" or url.scheme != "http" or url.hostname not in LOOPBACK:
                writer.write(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                await writer.drain()
                return
            body = await _read_body(reader, dict(headers))
            up_reader, upstream = await asyncio.open_connection(url.hostname, url.port or 80)
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            lines = [f"{method} {path} HTTP/1.1"]
            lines += [f"{k}: {v}" for k, v in headers if k not in _HOP_BY_HOP]
            lines.append("Connection: close")
            upstream.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await upstream.drain()
            # The response head, with the connection marked closed, then the rest as is.
            status_line, *response_headers = (
                (await up_reader.readuntil(b"\r\n\r\n"))[:-4].decode("latin-1").split("\r\n")
            )
            kept = [h for h in response_headers if h.split(":", 1)[0].lower() not in _HOP_BY_HOP]
            writer.write(
                "\r\n".join([status_line, *kept, "Connection: close"]).encode("latin-1")
                + b"\r\n\r\n"
            )
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            for w in (upstream, writer):
                if w is not None:
                    w.close()
                    with contextlib.suppress(ConnectionError):
                        await w.wait_closed()
            self._writers.discard(writer)
            self._handlers.discard(task)


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    if len(head) > _MAX_HEAD:
        raise ConnectionError("request head too large")
    request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return method, target, headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    """The body as sent (chunked bodies stay chunked; their header is passed on too)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        raw = bytearray()
        for _ in range(1_000_000):  # bounded: a chunk per turn
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            raw += size_line + await reader.readexactly(size + 2)
            if size == 0:
                return bytes(raw)
        raise ConnectionError("too many chunks")
    return await reader.readexactly(int(headers.get("content-length", "0")))
