"""The SSE parser, fed byte by byte and in odd chunks."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watson_async.protocol import sse as _sse
from watson_async.protocol.sse import EventTooLarge, ServerSentEvent, SSEParser

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


# --- cost and limits --------------------------------------------------------------------


def test_each_character_is_scanned_once_however_the_line_is_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The parser looks for line ends only in text it has not seen: feeding one long line
    # in small pieces costs the line's length, not its length times the number of pieces.
    scanned = 0
    split = _sse._lines

    def counting(text: str) -> list[str]:
        nonlocal scanned
        scanned += len(text)
        return split(text)

    monkeypatch.setattr(_sse, "_lines", counting)
    line = b"data: " + b"x" * 100_000 + b"\n\n"
    events = parse([line[i : i + 7] for i in range(0, len(line), 7)])
    assert events == [ServerSentEvent("x" * 100_000)]
    assert scanned == len(line)
    scanned = 0
    assert parse([b"data: a\r", b"\ndata: b\r", b"\r"]) == [ServerSentEvent("a\nb")]
    assert scanned == len(b"data: a\r\ndata: b\r\r") - 1  # the \n of a split \r\n: skipped


def test_a_long_line_in_small_chunks_takes_linear_time() -> None:
    # 16 MB in 1 KB chunks: a parser that rescans its buffer on each chunk reads 128 GB
    # (tens of seconds); a linear one reads 16 MB (tens of milliseconds).
    chunk = b"x" * 1024
    parser = SSEParser()
    started = time.perf_counter()
    assert list(parser.feed(b"data: ")) == []
    for _ in range(16 * 1024):
        assert list(parser.feed(chunk)) == []
    (event,) = parser.feed(b"\n\n")
    assert time.perf_counter() - started < 2.0
    assert len(event.data) == 16 * 1024 * 1024


def test_many_events_in_one_chunk() -> None:
    stream = b"".join(b"data: %d\n\n" % i for i in range(10_000))
    assert [e.data for e in parse([stream])] == [str(i) for i in range(10_000)]


def test_an_event_over_the_size_limit_raises_as_soon_as_it_is_over() -> None:
    parser = SSEParser(max_event_size=20)
    assert list(parser.feed(b"data: 0123456789\n")) == []  # 16 bytes so far
    with pytest.raises(EventTooLarge) as info:
        list(parser.feed(b"data:"))  # 21: over, though the line is not complete yet
    assert (info.value.size, info.value.limit) == (21, 20)


def test_the_size_limit_counts_one_event_at_a_time_in_utf8_bytes() -> None:
    parser = SSEParser(max_event_size=20)
    for _ in range(3):  # 20 bytes each (two lines, without their line ends): allowed
        assert list(parser.feed(b": comment\ndata: 12345\n\n")) == [ServerSentEvent("12345")]
    assert list(parser.feed("data: ééééééé".encode())) == []  # 6 + 14 = 20 bytes
    with pytest.raises(EventTooLarge) as info:
        list(parser.feed("é".encode()))
    assert info.value.size == 22
    with pytest.raises(EventTooLarge):  # a long line in one piece
        list(SSEParser(max_event_size=20).feed(b"data: " + b"x" * 15 + b"\n\n"))
