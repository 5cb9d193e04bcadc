"""Streamed response bodies: the ``message_stream`` server-sent events and the
``download_release_export`` archive, written in several HTTP chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from watson_async.protocol import codec as _json

__all__ = [
    "KEEP_ALIVE",
    "SSE_CONTENT_TYPE",
    "StreamBody",
    "split_chunks",
    "sse_frame",
    "sse_pieces",
]

SSE_CONTENT_TYPE = "text/event-stream"
#: The SSE comment block the fake sends once per stream (with ``sse_extras``).
KEEP_ALIVE = b": keep-alive\n\n"
#: Largest chunk of a streamed archive.
ARCHIVE_CHUNK = 64 * 1024
_WORD = re.compile(r"\s*\S+(?:\s+$)?")


@dataclass(slots=True)
class StreamBody:
    """A response body a handler wants written piece by piece (one HTTP chunk each,
    with the fake's ``stream_pause`` between pieces)."""

    content_type: str
    pieces: list[bytes]
    headers: dict[str, str] = field(default_factory=dict)


def split_chunks(data: bytes) -> list[bytes]:
    """``data`` in at least four pieces when it has four bytes, at most
    :data:`ARCHIVE_CHUNK` bytes each."""
    if not data:
        return []
    size = max(1, min(ARCHIVE_CHUNK, -(-len(data) // 4)))
    return [data[i : i + size] for i in range(0, len(data), size)]


def sse_frame(payload: Any, *, event: str = "message", event_id: int | None = None) -> bytes:
    """One SSE frame: ``[id: N\\n]event: message\\ndata: {json}\\n\\n``."""
    head = b"" if event_id is None else b"id: %d\n" % event_id
    return head + b"event: " + event.encode() + b"\ndata: " + _json.dumps(payload) + b"\n\n"


def _frames(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The SSE data objects for a message ``response``: per generic item, the text in
    ``partial_item`` word pieces (text items only) then its ``complete_item``; last a
    ``final_response`` with the whole response."""
    output = response.get("output") or {}
    generic = [
        {**item, "streaming_metadata": {"id": i}}
        for i, item in enumerate(output.get("generic") or [], 1)
    ]
    frames: list[dict[str, Any]] = []
    for item in generic:
        text = item.get("text")
        if item.get("response_type") == "text" and isinstance(text, str):
            for word in _WORD.findall(text):
                frames.append(
                    {
                        "partial_item": {
                            "response_type": "text",
                            "text": word,
                            "streaming_metadata": item["streaming_metadata"],
                        }
                    }
                )
        frames.append({"complete_item": item})
    final_output = {
        **output,
        "generic": generic,
        "streaming_metadata": {"streaming_metadata": {"id": len(generic)}},
    }
    frames.append({"final_response": {**response, "output": final_output}})
    return frames


def sse_pieces(response: dict[str, Any], *, extras: bool) -> list[bytes]:
    """The network pieces of a ``message_stream`` body.

    Every frame is its own piece except: the first frame is cut in the middle of its
    JSON and the last (``final_response``) just before its terminating blank line,
    so both span two chunks. With ``extras`` the first frame starts with an
    ``id: 1`` line and a :data:`KEEP_ALIVE` comment block follows it.
    """
    frames = _frames(response)
    encoded = [
        sse_frame(frame, event_id=1 if extras and i == 0 else None)
        for i, frame in enumerate(frames)
    ]
    first = encoded[0]
    data_at = first.index(b"data: ") + len(b"data: ")
    cut = data_at + (len(first) - 2 - data_at) // 2
    pieces = [first[:cut], first[cut:]]
    if extras:
        pieces.append(KEEP_ALIVE)
    if len(encoded) > 1:
        pieces.extend(encoded[1:-1])
        last = encoded[-1]
        pieces.extend([last[:-1], last[-1:]])
    return pieces
