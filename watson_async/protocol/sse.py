"""Server-sent events, parsed incrementally from bytes as they arrive (pure, no I/O).

Follows the HTML ``text/event-stream`` rules: lines end with ``\\n``, ``\\r\\n`` or
``\\r``; ``data:`` lines accumulate (joined with ``\\n``); ``event:`` and ``id:`` set the
event's type and id; lines starting with ``:`` are comments; a blank line dispatches the
event. A line or a multi-byte character split across network chunks is carried over,
and each byte is scanned once: the cost is linear in the stream's length.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import attrs

__all__ = ["EventTooLarge", "SSEParser", "ServerSentEvent"]


@attrs.frozen(slots=True)
class ServerSentEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class EventTooLarge(Exception):
    """An event grew past the parser's ``max_event_size`` (UTF-8 bytes)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"an event of more than {limit} bytes ({size} so far)")
        self.size = size
        self.limit = limit


_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[str]:
    """``text`` cut at its line ends; the last item is what follows the last one."""
    if "\r" in text:
        return _LINE_END.split(text)
    return text.split("\n")  # the usual case, and the fastest


def _size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


class SSEParser:
    """Feed it bytes; it yields each complete event once its blank line has arrived.

    Each byte is looked at once, however the stream is cut into chunks: the unfinished
    line is kept as pieces and joined once its end arrives. ``max_event_size`` bounds
    one event (the UTF-8 bytes of its lines, without line ends): past it, :meth:`feed`
    raises :class:`EventTooLarge`, even while a line is still unfinished.
    """

    def __init__(self, max_event_size: int | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._limit = max_event_size
        self._pieces: list[str] = []  # the unfinished line
        self._pieces_size = 0
        self._event_size = 0  # the current event's finished lines
        self._skip_lf = False  # the text so far ends with \r: a \n next completes it
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """Parse ``chunk``; yield the events it completes."""
        text = self._decoder.decode(chunk)
        if not text:
            return
        if self._first:
            self._first = False
            text = text.removeprefix("\ufeff")
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        lines = _lines(text)
        self._skip_lf = text.endswith("\r")
        rest = lines.pop()
        for index, line in enumerate(lines):
            size = _size(line)
            if index == 0 and self._pieces:
                self._pieces.append(line)
                line = "".join(self._pieces)
                size += self._pieces_size
                self._pieces = []
                self._pieces_size = 0
            if line:
                self._event_size += size
                self._check(0)
            else:
                self._event_size = 0
            event = self._line(line)
            if event is not None:
                yield event
        if rest:
            self._pieces.append(rest)
            self._pieces_size += _size(rest)
            self._check(self._pieces_size)

    def _check(self, pending: int) -> None:
        if self._limit is not None and self._event_size + pending > self._limit:
            raise EventTooLarge(self._event_size + pending, self._limit)

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
