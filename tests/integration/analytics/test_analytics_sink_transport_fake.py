"""The Segment sink's own and session transports against FakeSegment on loopback."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest

from watson_async import AiohttpTransport, ClientClosedError, TransportError
from watson_async.analytics import SegmentBatchSink, derive_session_started
from watson_async.testing._segment import FakeSegment
from watson_async.transport import SessionTransport

WRITE_KEY = "wk-secret-transport-789"
TOKEN = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()


def make_call(n: int) -> Any:
    return derive_session_started(f"s-{n}", clock=lambda: 1_700_000_000.0, new_id=lambda: f"m-{n}")


async def test_the_own_transport_is_made_at_the_first_batch_and_closed() -> None:
    async with FakeSegment(write_key=WRITE_KEY) as segment:
        sink = SegmentBatchSink(WRITE_KEY, url=segment.url, flush_interval=60.0)
        assert sink._transport is None  # nothing loop-bound before the first batch
        await sink.send(make_call(1))
        await sink.flush()
        own = sink._transport
        assert isinstance(own, AiohttpTransport)
        await sink.aclose()
        assert sink.sent == 1
        with pytest.raises(ClientClosedError):
            await own.send("POST", f"{segment.url}/v1/batch", {}, b"{}", 1.0)


async def test_session_transport_uses_the_session_and_leaves_it_open() -> None:
    auth = {"Authorization": f"Basic {TOKEN}", "Content-Type": "application/json"}
    body = json.dumps({"batch": [{"type": "track", "event": "E"}]}).encode()
    async with FakeSegment(write_key=WRITE_KEY) as segment, aiohttp.ClientSession() as session:
        transport = SessionTransport(session, proxy_from_env=False)
        answer = await transport.send("POST", f"{segment.url}/v1/batch", auth, body, 5.0)
        assert answer.status == 200
        assert json.loads(answer.body) == {"success": True}
        segment.disconnect_next()
        with pytest.raises(TransportError) as caught:
            await transport.send("POST", f"{segment.url}/v1/batch", auth, body, 5.0)
        assert caught.value.request_sent
        await transport.aclose()
        await transport.aclose()  # idempotent
        assert not session.closed
        with pytest.raises(ClientClosedError):
            await transport.send("POST", f"{segment.url}/v1/batch", auth, body, 5.0)
        assert segment.events() == ["E"]
