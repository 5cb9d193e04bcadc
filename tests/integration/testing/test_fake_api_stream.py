"""FakeAssistant: message_stream (server-sent events), stateful and stateless."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest
from fakes import scoped

from watson_async.testing import FakeAssistant
from watson_async.testing._script import GREETING_TEXT

VERSION = {"version": "2024-08-25"}
LONG = " ".join(f"word{i}" for i in range(60))


def parse_sse(raw: bytes) -> list[dict[str, Any]]:
    """A small spec-following SSE parser: events as {"event", "id", "data", "comments"}."""
    events: list[dict[str, Any]] = []
    fields: dict[str, Any] = {"data": [], "comments": []}
    for line in raw.decode().split("\n"):
        if line == "":
            if fields["data"]:
                events.append({**fields, "data": json.loads("\n".join(fields["data"]))})
                fields = {"data": [], "comments": []}
            continue
        if line.startswith(":"):
            fields["comments"].append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            fields["data"].append(value)
        else:
            fields[name] = value
    assert fields["data"] == [], "unterminated frame"
    return events


async def read_chunks(resp: aiohttp.ClientResponse) -> list[bytes]:
    """The body as the HTTP chunks the server wrote."""
    chunks: list[bytes] = []
    current = b""
    async for data, end_of_chunk in resp.content.iter_chunks():
        current += data
        if end_of_chunk:
            chunks.append(current)
            current = b""
    assert current == b""
    return chunks


async def open_session(http: aiohttp.ClientSession, fake: FakeAssistant) -> str:
    async with http.post(scoped(fake, "/sessions"), params=VERSION) as resp:
        assert resp.status == 201
        sid: str = (await resp.json())["session_id"]
        return sid


async def stream(
    http: aiohttp.ClientSession, url: str, body: Any, **headers: str
) -> tuple[aiohttp.ClientResponse, list[bytes]]:
    async with http.post(url, params=VERSION, json=body, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return resp, await read_chunks(resp)


async def test_stateful_stream(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        resp, chunks = await stream(
            http,
            url,
            {"input": {"text": "hello"}},
            **{"X-Watson-Metadata": "customer_id=carol"},
        )
        assert resp.headers["Content-Type"] == "text/event-stream"
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["X-Global-Transaction-Id"]
        assert resp.headers["X-RateLimit-Limit"]
        events = parse_sse(b"".join(chunks))
        assert {e["event"] for e in events} == {"message"}
        data = [e["data"] for e in events]
        assert all(len(d) == 1 for d in data)

        partials = [d["partial_item"] for d in data if "partial_item" in d]
        assert "".join(p["text"] for p in partials) == GREETING_TEXT
        assert len(partials) == len(GREETING_TEXT.split())
        assert {p["streaming_metadata"]["id"] for p in partials} == {1}
        assert all(p["response_type"] == "text" for p in partials)
        (complete,) = [d["complete_item"] for d in data if "complete_item" in d]
        assert complete == {
            "response_type": "text",
            "text": GREETING_TEXT,
            "streaming_metadata": {"id": 1},
        }
        assert list(data[-1]) == ["final_response"]
        final = data[-1]["final_response"]
        assert final["output"]["generic"] == [complete]
        assert final["output"]["intents"][0]["intent"] == "greeting"
        assert final["output"]["streaming_metadata"] == {"streaming_metadata": {"id": 1}}
        assert final["user_id"] == sid
        assert "context" not in final
        # Order: partials, then the complete item, then the final response.
        kinds = [next(iter(d)) for d in data]
        assert kinds == ["partial_item"] * len(partials) + ["complete_item", "final_response"]

        # It was a real turn: counted and logged.
        assert fake.turns_received(sid) == 1
        assert fake.turn_texts(sid) == ["hello"]
        (log,) = fake.logs()
        assert log["customer_id"] == "carol"
        assert log["request"]["input"] == {"text": "hello"}
        assert "streaming_metadata" not in log["response"]["output"]
        assert fake.requests_in_window("message_stream") == 1
        assert fake.requests_in_window("message") == 0
        assert fake.streams_completed == 1


async def test_framing_split_frames_comment_and_id(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        _, chunks = await stream(http, url, {"input": {"text": "pause"}})
        raw = b"".join(chunks)
        assert len(chunks) >= 5
        # Chunk ends that are not frame ends: the first frame is cut mid-JSON, the
        # final one before its blank line.
        assert not chunks[0].endswith(b"\n\n")
        assert chunks[0].startswith(b"id: 1\nevent: message\ndata: {")
        assert chunks[2] == b": keep-alive\n\n"
        assert chunks[-2].endswith(b"}\n")
        assert chunks[-1] == b"\n"
        ends, pos = set(), 0
        for chunk in chunks:
            pos += len(chunk)
            ends.add(pos)
        frame_ends = {i + 2 for i in range(len(raw)) if raw[i : i + 2] == b"\n\n"}
        assert ends - frame_ends == {len(chunks[0]), len(raw) - 1}
        # Every other frame is exactly "event: message\ndata: <json>\n\n" in one chunk.
        for chunk in chunks[3:-2]:
            event, data, blank, end = chunk.split(b"\n")
            assert event == b"event: message"
            assert data.startswith(b"data: {")
            assert (blank, end) == (b"", b"")
            json.loads(data[len(b"data: ") :])

        events = parse_sse(raw)
        assert events[0]["id"] == "1"
        assert all("id" not in e for e in events[1:])
        assert events[1]["comments"] == ["keep-alive"]
        data = [e["data"] for e in events]
        # "pause" gives a pause item (complete only) then a text item (partials).
        assert data[0] == {
            "complete_item": {
                "response_type": "pause",
                "time": 500,
                "typing": True,
                "streaming_metadata": {"id": 1},
            }
        }
        assert data[1]["partial_item"]["streaming_metadata"] == {"id": 2}
        final = data[-1]["final_response"]
        assert [g["streaming_metadata"]["id"] for g in final["output"]["generic"]] == [1, 2]
        assert final["output"]["streaming_metadata"] == {"streaming_metadata": {"id": 2}}


async def test_stream_without_extras_and_with_pauses(http: aiohttp.ClientSession) -> None:
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    async with FakeAssistant(auth=False, sse_extras=False, sleep=sleep, stream_pause=0.5) as fake:
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        _, chunks = await stream(http, url, {"input": {"text": "menu"}})
        raw = b"".join(chunks)
        assert b"id:" not in raw
        assert b"keep-alive" not in raw
        assert raw.startswith(b"event: message\ndata: {")
        # option item: complete_item + final_response, each split in two
        assert len(chunks) == 4
        assert slept == [0.5, 0.5, 0.5]
        data = [e["data"] for e in parse_sse(raw)]
        assert data[0]["complete_item"]["response_type"] == "option"
        assert "final_response" in data[1]


@pytest.mark.parametrize("path", ["/message_stream", "/sessions/{sid}/message_stream"])
async def test_streams_have_no_classic_path(http: aiohttp.ClientSession, path: str) -> None:
    # No API version has un-scoped stream routes (the client refuses to build them).
    async with FakeAssistant(auth=False) as fake:
        base = f"{fake.service_url}/v2/assistants/{fake.assistant_id}"
        async with http.post(f"{base}/sessions?version=2024-08-25") as created:
            sid = (await created.json())["session_id"]
        url = base + path.format(sid=sid) + "?version=2024-08-25"
        async with http.post(url, json={"input": {"text": "hi"}}) as response:
            assert response.status == 404
        assert fake.total_turns_processed == 0


async def test_stateless_stream(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        url = scoped(fake, "/message_stream")
        _, chunks = await stream(http, url, {"input": {"text": "book a trip"}})
        final = parse_sse(b"".join(chunks))[-1]["data"]["final_response"]
        context = final["context"]
        assert context["skills"]["actions skill"]["system"]["state"]
        _, chunks = await stream(http, url, {"input": {"text": "Rome"}, "context": context})
        data = [e["data"] for e in parse_sse(b"".join(chunks))]
        assert data[-1]["final_response"]["output"]["generic"][0]["text"] == (
            "Booked a trip to Rome."
        )
        assert "".join(d["partial_item"]["text"] for d in data if "partial_item" in d) == (
            "Booked a trip to Rome."
        )
        assert len(fake.logs()) == 2
        assert fake.requests_in_window("message_stream_stateless") == 2


async def test_stream_errors_are_json(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        url = scoped(fake, "/sessions/nope/message_stream")
        async with http.post(url, params=VERSION, json={"input": {"text": "hi"}}) as resp:
            assert resp.status == 404
            assert resp.headers["Content-Type"].startswith("application/json")
            assert await resp.json() == {"error": "Invalid Session", "code": 404}
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        async with http.post(url, params=VERSION, json={"input": {"text": 1}}) as resp:
            assert resp.status == 400
            assert (await resp.json())["errors"][0]["path"] == "input.text"
        async with http.get(url, params=VERSION) as resp:
            assert resp.status == 405
        other = f"{fake.service_url}/v2/assistants/nope/environments/x/message_stream"
        async with http.post(other, params=VERSION, json={}) as resp:
            assert resp.status == 404
        assert fake.turns_received(sid) == 0
        assert fake.logs() == []


async def test_fault_injection_applies_to_streams(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        fake.enqueue_error(503, path_contains="message_stream", after_processing=True)
        async with http.post(url, params=VERSION, json={"input": {"text": "hi"}}) as resp:
            assert resp.status == 503
        assert fake.turns_received(sid) == 1  # processed, then the answer was lost
        assert fake.streams_completed == 0


async def test_client_disconnect_mid_stream_is_clean(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gate = asyncio.Event()
    pauses = 0

    async def sleep(delay: float) -> None:
        nonlocal pauses
        pauses += 1
        if pauses == 1:
            await gate.wait()  # hold the stream after its first chunk
        else:
            await asyncio.sleep(0)

    before = asyncio.all_tasks()
    async with FakeAssistant(auth=False, sleep=sleep, stream_pause=1.0) as fake:
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        resp = await http.post(url, params=VERSION, json={"input": {"text": LONG}})
        assert resp.status == 200
        first = await resp.content.readany()
        assert first.startswith(b"id: 1\nevent: message\n")
        assert fake.active_streams == 1
        resp.close()  # drop the connection mid-stream
        gate.set()
        await fake.wait_streams_idle()
        assert fake.active_streams == 0
        assert fake.streams_aborted == 1
        assert fake.streams_completed == 0
        # The turn was processed before streaming began.
        assert fake.turns_received(sid) == 1
        assert len(fake.logs()) == 1
        # The fake still serves.
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        _, chunks = await stream(http, url, {"input": {"text": "hi"}})
        assert "final_response" in parse_sse(b"".join(chunks))[-1]["data"]
    assert asyncio.all_tasks() - before == set()
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == []


async def test_stop_cuts_off_a_parked_stream(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    never = asyncio.Event()

    async def sleep(delay: float) -> None:
        await never.wait()

    before = asyncio.all_tasks()
    fake = FakeAssistant(auth=False, sleep=sleep, stream_pause=1.0)
    await fake.start()
    try:
        sid = await open_session(http, fake)
        url = scoped(fake, f"/sessions/{sid}/message_stream")
        async with http.post(url, params=VERSION, json={"input": {"text": "hi"}}) as resp:
            assert resp.status == 200
            await resp.content.readany()
            assert fake.active_streams == 1
            await fake.stop()
            assert fake.active_streams == 0
            assert fake.streams_aborted == 1
            with pytest.raises(aiohttp.ClientError):
                await resp.read()
    finally:
        await fake.stop()
    assert asyncio.all_tasks() - before == set()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
