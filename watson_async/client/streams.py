"""Streamed responses: reply frames as they are generated, archives as they download."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from watson_async._lifecycle import AsyncClosing
from watson_async.errors import IncompleteStreamError, ResponseParseError, ResponseTooLargeError
from watson_async.models._convert import converter
from watson_async.models.stream import (
    StatefulMessageStreamFinalResponse,
    StatelessMessageStreamFinalResponse,
)
from watson_async.protocol import codec as _json
from watson_async.protocol.service import EVENT_STREAM
from watson_async.protocol.sse import EventTooLarge, SSEParser
from watson_async.protocol.wire import TRANSACTION_ID_HEADER
from watson_async.transport import StreamingResponse

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "EVENT_STREAM", "ByteStream", "MessageStream"]

T = TypeVar("T")

#: The largest event of a ``message_stream`` reply, in bytes. The final frame carries
#: the whole reply (output and context); 16 MiB is about 60 times the 250 KB a
#: stateless context may hold.
DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024

_FINAL_FRAMES = (StatefulMessageStreamFinalResponse, StatelessMessageStreamFinalResponse)


async def read_at_most(response: StreamingResponse, limit: int) -> bytes:
    """The first ``limit`` bytes of the body (all of a smaller one), to report it.

    A body that cannot be decoded (a corrupt ``Content-Encoding``) ends where decoding
    failed.
    """
    parts: list[bytes] = []
    size = 0
    try:
        while size < limit:
            chunk = await anext(response.chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            size += len(chunk)
    except ResponseParseError:
        pass
    return b"".join(parts)[:limit]


class _OpenResponse(AsyncClosing):
    """An open streamed response and the context that closes it."""

    def __init__(
        self, context: AbstractAsyncContextManager[StreamingResponse], response: StreamingResponse
    ) -> None:
        self._context = context
        self._response = response
        self._closed = False

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self._response.status

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers."""
        return self._response.headers

    @property
    def global_transaction_id(self) -> str | None:
        """``X-Global-Transaction-Id``: quote it to IBM support."""
        return self._response.headers.get(TRANSACTION_ID_HEADER)

    @property
    def closed(self) -> bool:
        """True once the connection has been released."""
        return self._closed

    async def aclose(self) -> None:
        """Close the connection (idempotent). Unread data is dropped."""
        if not self._closed:
            self._closed = True
            await self._context.__aexit__(None, None, None)


class MessageStream(_OpenResponse, Generic[T]):
    """The frames of a streamed reply, parsed from server-sent events as bytes arrive.

    ``async for frame in stream`` yields typed frames (partial item, complete item,
    final response), once. Reading to the end closes the connection; so does leaving the
    loop early (break, an error, cancellation), as soon as the event loop finalizes it.
    ``async with stream:`` or :meth:`aclose` close it at a moment of your choosing.

    A body that ends before the final frame raises
    :class:`~watson_async.IncompleteStreamError` where the loop would end; an event over
    ``max_event_bytes`` raises :class:`~watson_async.ResponseTooLargeError` (and closes
    the connection) as soon as it is over.
    """

    def __init__(
        self,
        context: AbstractAsyncContextManager[StreamingResponse],
        response: StreamingResponse,
        frame_type: Any,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        super().__init__(context, response)
        self._frame_type = frame_type
        self._max_event_bytes = max_event_bytes
        self._iterated = False

    def __aiter__(self) -> AsyncIterator[T]:
        # The generator is handed out, not kept: when a loop over it ends early (break,
        # an exception, cancellation) and drops it, the event loop's async-generator
        # finalizer runs its ``finally`` and the connection is closed.
        if self._iterated:
            raise RuntimeError("a MessageStream can be iterated only once")
        self._iterated = True
        return self._parse()

    async def _parse(self) -> AsyncIterator[T]:
        parser = SSEParser(self._max_event_bytes)
        frames = 0
        final = False
        try:
            try:
                async for chunk in self._response.chunks:
                    for event in parser.feed(chunk):
                        if event.data.strip():
                            frame = self._frame(event.data)
                            frames += 1
                            final = final or isinstance(frame, _FINAL_FRAMES)
                            yield frame
            except EventTooLarge as exc:
                raise ResponseTooLargeError(
                    f"a stream event of more than max_event_bytes={exc.limit} bytes "
                    f"({exc.size} so far)",
                    limit=exc.limit,
                    size=exc.size,
                    status_code=self._response.status,
                    headers=self._response.headers,
                    global_transaction_id=self.global_transaction_id,
                ) from None
            if not final:
                raise IncompleteStreamError(
                    f"the stream ended after {frames} frame(s), without its final response",
                    frames=frames,
                    status_code=self._response.status,
                    headers=self._response.headers,
                    global_transaction_id=self.global_transaction_id,
                )
        finally:
            await self.aclose()

    def _frame(self, data: str) -> T:
        try:
            frame: T = converter.structure(_json.loads(data), self._frame_type)
        except Exception as exc:
            raise ResponseParseError(
                f"cannot read a stream frame: {exc}",
                status_code=self._response.status,
                body=data,
                headers=self._response.headers,
                global_transaction_id=self.global_transaction_id,
            ) from exc
        return frame

    async def collect(self) -> list[T]:
        """Read the rest of the stream; return every frame (the last is the final one).

        Raises :class:`~watson_async.IncompleteStreamError` when the final frame never
        came.
        """
        return [frame async for frame in self]


class ByteStream(_OpenResponse):
    """A binary download, handed over in chunks as they arrive (never all in memory).

    ``async for chunk in stream`` or ``await stream.save(path)``; ``async with`` closes
    it if you stop early.
    """

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` the service sent."""
        return self._response.headers.get("Content-Type")

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.chunks:
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        """Everything that is left, in memory (for small downloads: not bounded by
        ``max_response_bytes``)."""
        try:
            return await self._response.read()
        finally:
            await self.aclose()

    async def save(self, path: str | os.PathLike[str]) -> int:
        """Write the download to ``path`` chunk by chunk; return the bytes written."""
        written = 0
        with open(path, "wb") as file:  # noqa: ASYNC230 - each write goes to a thread
            async for chunk in self:
                await asyncio.to_thread(file.write, chunk)
                written += len(chunk)
        return written
