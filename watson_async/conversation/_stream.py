""":class:`ConversationStream`: one streamed turn of a conversation, holding its turn."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from watson_async._lifecycle import AsyncClosing
from watson_async.client.streams import MessageStream

from ..errors import ClientClosedError

F = TypeVar("F")

#: Why a stream ended by the conversation's exit fails (the same words as ``send``'s).
CLOSED = "the conversation is closed; create a new one"


class ConversationStream(AsyncClosing, Generic[F]):
    """The frames of one streamed turn of a :class:`Conversation` (or a
    :class:`StatelessConversation`), from ``await conv.stream(...)``.

    ``async with await conv.stream("hi") as stream: async for frame in stream: ...``
    yields the frames of :meth:`AssistantClient.message_stream` (partial items,
    complete items, then the final response, whose ``final_response`` has the reply
    helpers: ``.text``, ``.options``, ...). It can be iterated once.

    The turn belongs to the conversation from ``stream()`` until the stream is read to
    the end, closed (leaving ``async with``, :meth:`aclose`) or dropped: other turns
    wait. The final response is recorded (history, ``last_turn``, saved state, events;
    the next context for a stateless conversation) before it is yielded. Leaving the
    conversation's ``async with`` ends a stream still open: reading it then raises
    :class:`ClientClosedError`.
    """

    def __init__(
        self,
        stream: MessageStream[F],
        is_final: Callable[[F], bool],
        on_final: Callable[[F], Awaitable[None]],
        on_close: Callable[[], None],
    ) -> None:
        self._stream = stream
        self._is_final = is_final
        self._on_final = on_final
        self._on_close: Callable[[], None] | None = on_close
        self._ended = False  # by the conversation's exit

    def __repr__(self) -> str:
        return f"ConversationStream(closed={self.closed})"

    def __del__(self) -> None:
        # Dropped without being read or closed: give the turn back (the transport closes
        # the connection of a stream dropped unclosed).
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self._release()

    @property
    def closed(self) -> bool:
        """True once the turn has been given back (read to the end, closed, or ended)."""
        return self._on_close is None

    def __aiter__(self) -> AsyncIterator[F]:
        # Handed out, not kept: a loop that stops early and drops it has its
        # ``finally`` run by the event loop's async-generator finalizer.
        iterator = self._stream.__aiter__()  # raises when iterated twice
        return self._frames(iterator)

    async def _frames(self, iterator: AsyncIterator[F]) -> AsyncIterator[F]:
        try:
            if self._ended:
                raise ClientClosedError(CLOSED)
            try:
                async for frame in iterator:
                    if self._is_final(frame):
                        await self._on_final(frame)
                    yield frame
            except Exception:
                if self._ended:  # the exit closed the connection under us
                    raise ClientClosedError(CLOSED) from None
                raise
        finally:
            await self.aclose()

    async def collect(self) -> list[F]:
        """Read the rest of the stream; return every frame (the last is the final one)."""
        return [frame async for frame in self]

    async def aclose(self) -> None:
        """Close the connection and give the turn back (idempotent)."""
        try:
            await self._stream.aclose()
        finally:
            self._release()

    async def _end(self) -> None:
        """Close it for the conversation's exit: a reader gets :class:`ClientClosedError`."""
        self._ended = True
        await self.aclose()

    def _release(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()
