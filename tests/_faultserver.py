"""A loopback HTTP/1.1 server that breaks HTTP at the byte level, on purpose.

``FaultServer`` reads each request (head and ``Content-Length`` body), records it, and
answers with the next scripted :class:`Fault`: raw bytes that no well-behaved server
sends (a malformed status line, an endless header, a body cut short), a close without
an answer, or silence until the client gives up. Only 127.0.0.1, random port.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs


@attrs.frozen
class Fault:
    """What to do with one request: write ``raw`` (then close), or ``hang``; with
    ``linger`` the connection stays open after ``raw`` until the client closes it."""

    name: str
    raw: bytes = b""
    hang: bool = False
    linger: bool = False


def _response(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


def json_ok(body: bytes = b'{"session_id": "s-1"}', status: str = "201 Created") -> Fault:
    return Fault(
        "ok",
        _response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            body,
        ),
    )


#: The byte-level matrix: each ends a call in success or a typed WatsonError, never
#: anything else, and no error reachable from it holds a credential.
MATRIX: tuple[Fault, ...] = (
    Fault("malformed status line", b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"),
    Fault("not HTTP at all", b"\x00\x01\x02 this is not http\r\n\r\n"),
    Fault(
        "oversized header",
        b"HTTP/1.1 201 Created\r\nX-Big: " + b"a" * 70_000 + b"\r\nContent-Length: 2\r\n\r\n{}",
    ),
    Fault("header line without colon", b"HTTP/1.1 201 Created\r\nno colon here\r\n\r\n"),
    Fault("closed before answering", b""),
    Fault("closed mid-status line", b"HTTP/1.1 20"),
    Fault("closed mid-headers", b"HTTP/1.1 201 Created\r\nContent-Type: applic"),
    Fault(
        "body shorter than Content-Length",
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    ),
    Fault(
        "invalid chunk size",
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ),
    Fault(
        "corrupt gzip body",
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: 10\r\n\r\nnot gzip!!",
    ),
    Fault(
        "gzip cut short",
        _response(
            "201 Created",
            [("Content-Encoding", "gzip"), ("Content-Length", "12")],
            gzip.compress(b'{"session_id": "s-1"}')[:12],
        ),
    ),
    Fault(
        "two Content-Length headers",
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    ),
    Fault(
        "HTML 200",
        _response(
            "200 OK", [("Content-Type", "text/html"), ("Content-Length", "13")], b"<html></html>"
        ),
    ),
    Fault(
        "500 with a body that is not JSON",
        _response("500 Oops", [("Content-Length", "5")], b"oops!"),
    ),
    Fault("401", _response("401 Unauthorized", [("Content-Length", "0")], b"")),
    Fault("silence", hang=True),
)


class FaultServer:
    """Answers requests with scripted faults, in order (the last one repeats)."""

    def __init__(self, *script: Fault) -> None:
        self.script = list(script) or [json_ok()]
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._release = asyncio.Event()
        #: Set when a client closed a connection a ``linger`` fault kept open.
        self.client_closed = asyncio.Event()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                fault = self.script.pop(0) if len(self.script) > 1 else self.script[0]
                if fault.hang:
                    await self._release.wait()
                    return
                writer.write(fault.raw)
                await writer.drain()
                if fault.linger:
                    with contextlib.suppress(ConnectionError):
                        while await reader.read(65536):  # until the client closes
                            pass
                    self.client_closed.set()
                    return
                if fault.name != "ok":
                    return  # close: a broken answer leaves nothing to keep alive
        finally:
            self._writers.discard(writer)
            writer.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        self._release.set()
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()


@asynccontextmanager
async def fault_server(*script: Fault) -> AsyncIterator[FaultServer]:
    server = FaultServer(*script)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
