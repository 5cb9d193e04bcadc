"""The SSE parser, fed byte by byte and in odd chunks."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from watson_async._sse import ServerSentEvent, SSEParser

STREAM = (
    b": keep-alive\n"
    b"event: message\n"
    b'data: {"partial_item": {"text": "Hel"}}\n'
    b"\n"
    b"id: 7\r\n"
    b"data: line one\r\n"
    b"data: line two\r\n"
    b"\r\n"
    b"data:no space\r"
    b"\r"
    b'event: message\ndata: {"final_response": {"output": {"text": "caf\xc3\xa9"}}}\n\n'
)
EXPECTED = [
    ServerSentEvent('{"partial_item": {"text": "Hel"}}'),
    ServerSentEvent("line one\nline two", id="7"),
    ServerSentEvent("no space", id="7"),
    ServerSentEvent('{"final_response": {"output": {"text": "café"}}}', id="7"),
]


def parse(chunks: list[bytes]) -> list[ServerSentEvent]:
    parser = SSEParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


def test_whole_stream() -> None:
    assert parse([STREAM]) == EXPECTED


def test_byte_by_byte_including_a_split_utf8_character_and_crlf() -> None:
    assert parse([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=20))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted({0, len(STREAM), *cuts})
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(points)]
    assert parse(chunks) == EXPECTED


def test_no_event_without_its_blank_line_and_empty_events_are_dropped() -> None:
    parser = SSEParser()
    assert list(parser.feed(b"data: half")) == []
    assert list(parser.feed(b"\n")) == []
    assert list(parser.feed(b"event: ping\n\n")) == [ServerSentEvent("half", event="ping")]
    assert list(parser.feed(b"event: ping\n\n")) == []  # no data: nothing dispatched


def test_event_type_retry_and_bom() -> None:
    parser = SSEParser()
    events = list(parser.feed(b"\xef\xbb\xbfevent: done\nretry: 3000\ndata: x\n\n"))
    assert events == [ServerSentEvent("x", event="done", retry=3000)]
