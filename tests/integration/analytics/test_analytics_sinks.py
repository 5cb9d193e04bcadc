"""Analytics sinks: callback, JSON Lines, and Segment batches against FakeSegment."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from watson_async import set_testing
from watson_async.analytics import (
    MAX_BATCH_BYTES,
    CallbackSink,
    JsonLinesSink,
    SegmentBatchSink,
    Sink,
    TrackCall,
    derive_session_started,
)
from watson_async.testing._segment import FakeSegment

WRITE_KEY = "wk-secret-123"


def make_call(n: int, *, padding: int = 0) -> TrackCall:
    call = derive_session_started(f"s-{n}", clock=lambda: 1_700_000_000.0, new_id=lambda: f"m-{n}")
    if padding:
        call.context = {"padding": "x" * padding}
    return call


class Sleeps:
    """An injected sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def segment() -> AsyncIterator[FakeSegment]:
    async with FakeSegment(write_key=WRITE_KEY) as fake:
        yield fake


def sink_for(fake: FakeSegment, **kw: Any) -> SegmentBatchSink:
    key = kw.pop("write_key", WRITE_KEY)
    options: dict[str, Any] = {"url": fake.url, "flush_interval": 60.0, "sleep": Sleeps()}
    options.update(kw)
    return SegmentBatchSink(key, **options)


# --------------------------------------------------------------------------- simple sinks


async def test_callback_sink_sync_and_async() -> None:
    seen: list[str] = []
    sync = CallbackSink(lambda call: seen.append(f"sync {call.message_id}"))

    async def record(call: TrackCall) -> None:
        await asyncio.sleep(0)
        seen.append(f"async {call.message_id}")

    asynchronous = CallbackSink(record)
    for sink in (sync, asynchronous):
        assert isinstance(sink, Sink)
        await sink.send(make_call(1))
        await sink.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await sink.send(make_call(2))
    assert seen == ["sync m-1", "async m-1"]


async def test_json_lines_sink_writes_one_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"earlier": true}\n')
    sink = JsonLinesSink(path, buffer_size=2)
    assert isinstance(sink, Sink)
    for n in range(5):
        await sink.send(make_call(n))
    # two full buffers are on disk; the fifth line waits for a flush
    assert len(path.read_text().splitlines()) == 1 + 4
    assert sink.written == 4
    await sink.aclose()
    await sink.aclose()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"earlier": True}
    calls = [TrackCall.from_dict(json.loads(line)) for line in lines[1:]]
    assert [c.message_id for c in calls] == [f"m-{n}" for n in range(5)]
    assert calls[0].to_dict() == make_call(0).to_dict()
    with pytest.raises(RuntimeError, match="closed"):
        await sink.send(make_call(9))
    with pytest.raises(ValueError, match="buffer_size"):
        JsonLinesSink(path, buffer_size=0)


async def test_json_lines_sink_keeps_order_under_concurrency(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    sink = JsonLinesSink(str(path), buffer_size=3)
    for n in range(20):
        await sink.send(make_call(n))
    await sink.flush()
    await sink.aclose()
    ids = [json.loads(line)["messageId"] for line in path.read_text().splitlines()]
    assert ids == [f"m-{n}" for n in range(20)]


# --------------------------------------------------------------------------- batch sink


async def test_batches_by_size_and_flushes_on_close(segment: FakeSegment) -> None:
    sink = sink_for(segment, batch_size=3)
    assert isinstance(sink, Sink)
    for n in range(7):
        await sink.send(make_call(n))
    await segment.wait_for_calls(6)
    assert [len(b.calls) for b in segment.batches] == [3, 3]
    assert sink.pending == 1
    await sink.aclose()
    assert [len(b.calls) for b in segment.batches] == [3, 3, 1]
    assert [c["messageId"] for c in segment.calls] == [f"m-{n}" for n in range(7)]
    assert (sink.sent, sink.failed, sink.dropped, sink.batches_sent) == (7, 0, 0, 3)
    body = segment.batches[0].body
    assert body["sentAt"].endswith("Z")
    assert body["context"]["library"]["name"] == "watson_async"
    assert segment.batches[0].path == "/v1/batch"
    assert segment.batches[0].headers["Content-Type"] == "application/json"
    first = segment.calls[0]
    assert first["type"] == "track"
    assert first["event"] == "Session Started"
    assert TrackCall.from_dict(first).to_dict() == make_call(0).to_dict()


async def test_batches_by_time(segment: FakeSegment) -> None:
    sink = sink_for(segment, batch_size=100, flush_interval=0.02)
    await sink.send(make_call(1))
    await sink.send(make_call(2))
    await segment.wait_for_calls(2)  # sent by the timer, the sink still open
    assert [len(b.calls) for b in segment.batches] == [2]
    assert not sink.closed
    await sink.send(make_call(3))
    await segment.wait_for_calls(3)
    assert [len(b.calls) for b in segment.batches] == [2, 1]
    await sink.aclose()
    assert sink.sent == 3


async def test_write_key_is_basic_auth_user_and_never_shown(
    segment: FakeSegment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = sink_for(segment)
    bad = sink_for(segment, write_key="wrong-key-456")
    assert WRITE_KEY not in repr(good)
    assert base64.b64encode(f"{WRITE_KEY}:".encode()).decode() not in repr(good)
    await good.send(make_call(1))
    await bad.send(make_call(2))
    await bad.send(make_call(3))
    await good.flush()
    await bad.flush()
    assert [c["messageId"] for c in segment.calls] == ["m-1"]
    # 401 is not retried; the calls count as failed
    assert segment.unauthorized == 1
    assert segment.requests == 2
    assert (bad.sent, bad.failed, bad.last_error) == (0, 2, "HTTP 401")
    assert (good.sent, good.failed) == (1, 0)
    await good.aclose()
    await bad.aclose()
    assert "wrong-key-456" not in caplog.text
    assert WRITE_KEY not in caplog.text
    assert "HTTP 401" in caplog.text


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
async def test_retries_server_errors_and_rate_limits(segment: FakeSegment, status: int) -> None:
    sleeps = Sleeps()
    sink = sink_for(segment, sleep=sleeps, backoff_base=0.5, backoff_cap=4.0)
    segment.fail_next(status, times=2)
    await sink.send(make_call(1))
    await sink.flush()
    assert segment.requests == 3
    assert [c["messageId"] for c in segment.calls] == ["m-1"]
    assert (sink.sent, sink.failed) == (1, 0)
    assert len(sleeps.waits) == 2
    assert 0 <= sleeps.waits[0] <= 0.5
    assert 0 <= sleeps.waits[1] <= 1.0
    await sink.aclose()


async def test_retry_after_is_honoured_up_to_the_cap(segment: FakeSegment) -> None:
    sleeps = Sleeps()
    sink = sink_for(segment, sleep=sleeps, backoff_base=0.01, backoff_cap=5.0)
    segment.fail_next(429, retry_after=3)
    segment.fail_next(429, retry_after=60)
    await sink.send(make_call(1))
    await sink.flush()
    assert sleeps.waits == [3.0, 5.0]
    assert sink.sent == 1
    await sink.aclose()


async def test_testing_mode_zeroes_the_waits(segment: FakeSegment) -> None:
    sleeps = Sleeps()
    sink = sink_for(segment, sleep=sleeps, backoff_base=1.0)
    segment.fail_next(429, retry_after=5)
    segment.fail_next(500)
    set_testing(True, attempts=5)
    try:
        await sink.send(make_call(1))
        await sink.flush()
    finally:
        set_testing(False)
    assert sleeps.waits == [0.0, 0.0]
    assert sink.sent == 1
    await sink.aclose()


async def test_retries_connection_failures(segment: FakeSegment) -> None:
    sink = sink_for(segment)
    segment.disconnect_next()
    await sink.send(make_call(1))
    await sink.flush()
    assert segment.failures_injected == 1
    assert sink.sent == 1
    await sink.aclose()


async def test_an_unreachable_endpoint_is_a_counted_failure() -> None:
    async with FakeSegment(write_key=WRITE_KEY) as fake:
        url = fake.url
    sink = SegmentBatchSink(WRITE_KEY, url=url, max_attempts=2, sleep=Sleeps())
    await sink.send(make_call(1))
    await sink.flush()
    assert (sink.sent, sink.failed) == (0, 1)
    # the transport's typed error: no connection, so nothing was sent
    assert sink.last_error is not None
    assert sink.last_error.startswith("TransportError (before sending): cannot connect")
    await sink.aclose()


async def test_gives_up_after_max_attempts(segment: FakeSegment) -> None:
    sink = sink_for(segment, max_attempts=3)
    segment.fail_next(503, times=10)
    for n in range(4):
        await sink.send(make_call(n))
    await sink.flush()
    assert segment.requests == 3
    assert (sink.sent, sink.failed, sink.last_error) == (0, 4, "HTTP 503")
    assert sink.pending == 0  # failed calls are not queued again
    await sink.aclose()


async def test_bounded_memory_drops_the_oldest(segment: FakeSegment) -> None:
    sink = sink_for(segment, batch_size=100, max_queue=5)
    for n in range(8):
        await sink.send(make_call(n))
    assert sink.pending == 5
    assert sink.dropped == 3
    await sink.aclose()
    assert [c["messageId"] for c in segment.calls] == [f"m-{n}" for n in range(3, 8)]
    assert (sink.sent, sink.dropped) == (5, 3)


async def test_send_never_waits_for_segment(segment: FakeSegment) -> None:
    sink = sink_for(segment, batch_size=2)
    segment.hold()
    await sink.send(make_call(0))
    await sink.send(make_call(1))  # a full batch: the background task posts it (held)
    await segment.wait_for(lambda: sink.pending == 0)  # the batch is in flight

    async def many() -> None:
        for n in range(2, 502):
            await sink.send(make_call(n))

    # the request is held, yet 500 sends complete
    await asyncio.wait_for(many(), 5.0)
    assert sink.pending == 500
    assert segment.requests == 0
    segment.release()
    await sink.aclose()
    assert sink.sent == 502
    assert [c["messageId"] for c in segment.calls] == [f"m-{n}" for n in range(502)]


async def test_close_is_bounded_by_a_timeout(segment: FakeSegment) -> None:
    sink = sink_for(segment, batch_size=2, close_timeout=0.2)
    segment.hold()
    for n in range(5):
        await sink.send(make_call(n))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await sink.aclose()
    assert loop.time() - started < 2.0
    assert sink.sent == 0
    assert sink.dropped == 5  # in flight and still queued
    assert sink.pending == 0
    segment.release()
    with pytest.raises(RuntimeError, match="closed"):
        await sink.send(make_call(9))
    await sink.aclose()  # twice is fine


async def test_segment_size_limits(segment: FakeSegment) -> None:
    sink = sink_for(segment, batch_size=100)
    await sink.send(make_call(0, padding=40 * 1024))  # over 32 KB: never sent
    assert (sink.pending, sink.dropped) == (0, 1)
    for n in range(1, 41):
        await sink.send(make_call(n, padding=30 * 1024))
    await sink.aclose()
    assert sink.sent == 40
    assert len(segment.batches) >= 3
    assert sum(len(b.calls) for b in segment.batches) == 40
    for batch in segment.batches:
        assert len(json.dumps(batch.body)) <= MAX_BATCH_BYTES


async def test_an_external_session_is_used_and_left_open(segment: FakeSegment) -> None:
    async with aiohttp.ClientSession() as session:
        sink = sink_for(segment, session=session)
        await sink.send(make_call(1))
        await sink.aclose()
        assert not session.closed
        assert sink.sent == 1


async def test_close_without_sending(segment: FakeSegment) -> None:
    sink = sink_for(segment)
    await sink.aclose()
    assert (sink.sent, sink.dropped) == (0, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"write_key": ""}, "write_key"),
        ({"url": "api.segment.io"}, "url"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2501}, "batch_size"),
        ({"max_queue": 0}, "max_queue"),
        ({"flush_interval": 0}, "flush_interval"),
        ({"backoff_base": 2.0, "backoff_cap": 1.0}, "backoff"),
    ],
)
def test_batch_sink_validates_its_arguments(kwargs: dict[str, Any], match: str) -> None:
    key = kwargs.pop("write_key", WRITE_KEY)
    with pytest.raises(ValueError, match=match):
        SegmentBatchSink(key, **kwargs)


def test_default_url_is_segment() -> None:
    sink = SegmentBatchSink(WRITE_KEY)
    assert sink.url == "https://api.segment.io"
    assert (sink.batch_size, sink.flush_interval, sink.max_queue) == (100, 10.0, 10_000)


# --------------------------------------------------------------------------- the fake itself


async def test_fake_segment_routes_and_errors(segment: FakeSegment) -> None:
    token = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    auth = {"Authorization": f"Basic {token}"}
    async with aiohttp.ClientSession() as http:
        ok = await http.post(f"{segment.url}/v1/track", json={"event": "E"}, headers=auth)
        assert ok.status == 200
        assert await ok.json() == {"success": True}
        bad_json = await http.post(f"{segment.url}/v1/batch", data=b"{nope", headers=auth)
        assert bad_json.status == 400
        not_batch = await http.post(f"{segment.url}/v1/batch", json={"batch": 1}, headers=auth)
        assert not_batch.status == 400
        no_auth = await http.post(f"{segment.url}/v1/batch", json={"batch": []})
        assert no_auth.status == 401
        segment.fail_next(503, retry_after=2)
        failed = await http.post(f"{segment.url}/v1/batch", json={"batch": []}, headers=auth)
        assert failed.status == 503
        assert failed.headers["Retry-After"] == "2"
    assert segment.events() == ["E"]
    assert segment.calls == [{"type": "track", "event": "E"}]
    assert "Authorization" not in segment.batches[0].headers
    with pytest.raises(ValueError, match="times"):
        segment.fail_next(500, times=0)
    with pytest.raises(ValueError, match="times"):
        segment.disconnect_next(0)


async def test_fake_segment_url_needs_start() -> None:
    fake = FakeSegment()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url
    await fake.start()
    with pytest.raises(RuntimeError, match="already"):
        await fake.start()
    await fake.stop()
    await fake.stop()
