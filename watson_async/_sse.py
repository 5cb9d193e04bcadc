"""Server-sent events, parsed incrementally from bytes as they arrive (pure, no I/O).

Follows the HTML ``text/event-stream`` rules: lines end with ``\\n``, ``\\r\\n`` or
``\\r``; ``data:`` lines accumulate (joined with ``\\n``); ``event:`` and ``id:`` set the
event's type and id; lines starting with ``:`` are comments; a blank line dispatches the
event. A line or a multi-byte character split across network chunks is carried over.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import attrs

__all__ = ["SSEParser", "ServerSentEvent"]


@attrs.frozen(slots=True)
class ServerSentEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed it bytes; it yields each complete event once its blank line has arrived."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """Parse ``chunk``; yield the events it completes."""
        text = self._decoder.decode(chunk)
        if self._first and text:
            self._first = False
            text = text.removeprefix("\ufeff")
        self._buffer += text
        while True:
            line, found, rest = self._next_line()
            if not found:
                return
            self._buffer = rest
            event = self._line(line)
            if event is not None:
                yield event

    def _next_line(self) -> tuple[str, bool, str]:
        buffer = self._buffer
        cr, lf = buffer.find("\r"), buffer.find("\n")
        if cr == -1 and lf == -1:
            return "", False, buffer
        if cr == -1 or (lf != -1 and lf < cr):
            return buffer[:lf], True, buffer[lf + 1 :]
        if cr == len(buffer) - 1:
            return "", False, buffer  # a lone \r at the end may be half of \r\n
        end = cr + 2 if buffer[cr + 1] == "\n" else cr + 1
        return buffer[:cr], True, buffer[end:]

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (keep-alive)
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            data="\n".join(self._data),
            event=self._event or "message",
            id=self._id,
            retry=self._retry,
        )
        self._data = []
        self._event = ""
        return event
