"""What a builder returns: a :class:`Request` for the client to send, and the
:class:`Upload` wrapper that hands out a file or stream body afresh for each send."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import IO, NamedTuple

__all__ = ["Request", "Upload"]


class Request(NamedTuple):
    """One HTTP request to the v2 API, before the service URL, version and auth are added.

    ``path`` is already percent-encoded and starts with ``/v2/``. ``idempotent`` says
    whether sending it twice changes nothing a user cares about (used by retries).
    A named tuple (immutable, one per call): a frozen attrs instance took 8,300
    instructions to make, this takes 3,400.
    """

    endpoint: str
    method: str
    path: str
    idempotent: bool
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | Upload | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """Headers this endpoint needs (``Accept``, a non-JSON ``Content-Type``)."""

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again (a retry, a replay after a 401)."""
        body = self.body
        return type(body) is not Upload or body.replayable

    def outgoing_body(self) -> bytes | IO[bytes] | AsyncIterable[bytes] | None:
        """The body for one send: bytes as they are, an upload rewound to its start."""
        body = self.body
        return body.open() if isinstance(body, Upload) else body


class Upload:
    """A file or async-iterator request body, handed out afresh for every send.

    A seekable file is rewound to where it stood when the call was made, so every send
    (the first, a replay after a 401, a retry) carries all of it. Anything else (an
    async iterator, a pipe) can be read once: the client never sends such a request
    twice, and :meth:`open` refuses a second time rather than send an empty body.
    """

    __slots__ = ("_opened", "_source", "_start")

    def __init__(self, source: IO[bytes] | AsyncIterable[bytes]) -> None:
        self._source = source
        seekable = getattr(source, "seekable", None)
        self._start: int | None = (
            source.tell() if callable(seekable) and seekable() else None  # type: ignore[union-attr]
        )
        self._opened = False

    @property
    def replayable(self) -> bool:
        return self._start is not None

    def open(self) -> IO[bytes] | AsyncIterable[bytes]:
        if self._start is not None:
            self._source.seek(self._start)  # type: ignore[union-attr]
        elif self._opened:
            raise RuntimeError("a one-shot upload body would be sent twice (it is empty now)")
        self._opened = True
        return self._source
