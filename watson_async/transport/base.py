"""What a transport is: the protocol the client sends through, and what it returns.

Any object with :meth:`Transport.send`, :meth:`Transport.stream` and
:meth:`Transport.aclose` will do (tests use scripted ones); :class:`AiohttpTransport`
is the default.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import IO, Protocol

import attrs

#: aiohttp's own default (100) silently caps a bot's concurrency; conversations mostly wait
#: on the service, so a larger pool costs little.
DEFAULT_MAX_CONNECTIONS = 500
#: Seconds for a whole attempt (connect, send, wait, read). Never unbounded.
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
#: The largest body read into memory, counted after decompression. Replies are JSON of
#: at most a few MB (a log page, a skill export); release archives are streamed
#: (``ByteStream``) and not counted.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


RequestBody = bytes | IO[bytes] | AsyncIterable[bytes] | None
"""What a request can carry: bytes, a binary file, or an async iterator of chunks."""


@attrs.frozen(slots=True)
class StreamingResponse:
    """Status and headers of a response whose body is read as it arrives."""

    status: int
    reason: str
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes] = attrs.field(repr=False)
    """The body, chunk by chunk as the network delivers it."""
    read: Callable[[], Awaitable[bytes]] = attrs.field(repr=False)
    """Read the whole (rest of the) body."""


@attrs.frozen(slots=True)
class HttpResponse:
    """Status, headers and the whole body of one HTTP response."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    pool_wait: float | None = None
    """Seconds spent getting a connection (queueing for the pool, opening one), if timed."""


class Transport(Protocol):
    """What the client needs from an HTTP implementation.

    Send exactly the headers given: a request whose ``body`` is ``None`` goes out with no
    ``Content-Type`` (an HTTP library's default, such as aiohttp's
    ``application/octet-stream``, must be skipped), and redirects are not followed.
    Header values may be :class:`str` subclasses whose ``repr`` is redacted: send them
    as text, never log them.
    """

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> HttpResponse:
        """Send one request; raise :class:`~watson_async.TransportError` when no response
        (or :class:`~watson_async.ResponseParseError` for a 2xx body it cannot read)."""
        ...

    def stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> AbstractAsyncContextManager[StreamingResponse]:
        """Send one request and return its response with the body still to be read."""
        ...

    async def aclose(self) -> None:
        """Release connections. Idempotent."""
        ...
