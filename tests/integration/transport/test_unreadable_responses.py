"""Successful responses the client cannot use: not an event stream, a stream without its
end, bodies and events over the size limits, bodies that cannot be decoded.

A scripted HTTP/1.1 server on 127.0.0.1 sends exactly the bytes each test needs.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from _faultserver import Fault, FaultServer, fault_server

from watson_async import (
    AssistantClient,
    AttemptEvent,
    Event,
    IncompleteStreamError,
    NoAuthAuthenticator,
    ResponseParseError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from watson_async.models import (
    MessageStreamPartialItem,
    StatelessMessageStreamFinalResponse,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
TXID = "txid-7"
PARTIAL = b'data: {"partial_item": {"text": "Hel"}}\n\n'
FINAL = b'data: {"final_response": {"output": {"generic": []}}}\n\n'


def response(
    body: bytes,
    *,
    status: int = 200,
    content_type: str | None = "application/json",
    length: bool = True,
    **headers: str,
) -> bytes:
    """The bytes of one HTTP/1.1 response that closes its connection; without ``length``
    the body is chunked, and each chunk (written at once) ends with the connection."""
    lines = [f"HTTP/1.1 {status} Whatever", f"X-Global-Transaction-Id: {TXID}"]
    lines.append("Connection: close")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    if length:
        lines.append(f"Content-Length: {len(body)}")
        framed = body
    else:
        lines.append("Transfer-Encoding: chunked")
        framed = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + framed


@asynccontextmanager
async def answering(*answers: bytes, hold: bool = False) -> AsyncIterator[FaultServer]:
    """A fault server answering request n with ``answers[n]`` (the last one once they run
    out), then closing; with ``hold=True`` it waits for the client to close first."""
    async with fault_server(*(Fault("answer", a, linger=hold) for a in answers)) as server:
        yield server


async def no_sleep(seconds: float) -> None:
    return None


def client_for(server: FaultServer, **options: object) -> AssistantClient:
    options.setdefault("retry", RetryPolicy(max_attempts=3))
    return AssistantClient(
        VERSION,
        NoAuthAuthenticator(),
        service_url=server.url,
        sleep=no_sleep,
        **options,  # type: ignore[arg-type]
    )


async def stream_frames(client: AssistantClient) -> list[object]:
    stream = await client.message_stream_stateless("a", "e", input={"text": "hi"})
    async with stream:
        return list(await stream.collect())


async def read_into(frames: list[object], stream: AsyncIterable[object]) -> None:
    """Iterate ``stream``, keeping the frames that came before an error."""
    async for frame in stream:
        frames.append(frame)


# --- a 2xx stream must be an event stream, and must end with its final frame ----


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(auth=False) as fake:
        yield fake


@pytest.mark.parametrize(
    ("enqueue", "body"),
    [
        (
            lambda fake: fake.enqueue_html_error(200, body="<html>Sign in</html>"),
            "<html>Sign in</html>",
        ),
        (lambda fake: fake.enqueue_error(200, body={"output": {}}), '{"output":{}}'),
        (lambda fake: fake.enqueue_error(200), ""),
    ],
    ids=["html", "json", "empty"],
)
async def test_a_2xx_stream_that_is_not_an_event_stream_is_a_parse_error(
    fake: FakeAssistant, enqueue: Callable[[FakeAssistant], None], body: str
) -> None:
    events: list[Event] = []
    aid, eid = fake.assistant_id, fake.environment_id
    async with AssistantClient(
        VERSION, NoAuthAuthenticator(), service_url=fake.service_url, on_event=events.append
    ) as client:
        session = await client.create_session(aid, eid)
        events.clear()
        enqueue(fake)
        with pytest.raises(ResponseParseError) as info:
            await client.message_stream(aid, eid, session.session_id, input={"text": "hi"})
        error = info.value
        assert type(error) is ResponseParseError
        assert error.status_code == 200
        assert error.body == body
        assert error.global_transaction_id == error.headers["X-Global-Transaction-Id"]
        assert "text/event-stream" in str(error)
        assert [e.error for e in events if isinstance(e, AttemptEvent)] == [error]  # once
        # The connection was let go: the next stream works.
        async with await client.message_stream(
            aid, eid, session.session_id, input={"text": "hi"}
        ) as stream:
            assert (await stream.collect())[-1]
    assert fake.active_streams == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/event-stream", "Text/Event-Stream; charset=utf-8", "text/event-stream ;charset=UTF-8"],
)
async def test_event_stream_media_type_parameters_and_case(content_type: str) -> None:
    answer = response(PARTIAL + FINAL, content_type=content_type)
    async with answering(answer) as server, client_for(server) as client:
        frames = await stream_frames(client)
    assert [type(f) for f in frames] == [
        MessageStreamPartialItem,
        StatelessMessageStreamFinalResponse,
    ]


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "text/event-streamx", "application/json"]
)
async def test_other_media_types_are_refused_and_never_retried(content_type: str | None) -> None:
    answer = response(PARTIAL + FINAL, content_type=content_type)
    async with answering(answer) as server, client_for(server) as client:
        with pytest.raises(ResponseParseError) as info:
            await client.message_stream_stateless("a", "e", input={"text": "hi"})
    assert len(server.requests) == 1  # message_stream_stateless is idempotent: still not retried
    assert info.value.body == (PARTIAL + FINAL).decode()
    assert info.value.global_transaction_id == TXID


@pytest.mark.parametrize(
    "body",
    [b"", PARTIAL, PARTIAL + FINAL[:-1], PARTIAL + FINAL[:-2]],
    ids=["empty", "partial-only", "final-without-blank-line", "final-cut-short"],
)
@pytest.mark.parametrize("length", [True, False], ids=["content-length", "chunked"])
async def test_a_stream_that_ends_without_its_final_frame_says_so(
    body: bytes, length: bool
) -> None:
    answer = response(body, content_type="text/event-stream", length=length)
    async with answering(answer) as server, client_for(server) as client:
        stream = await client.message_stream_stateless("a", "e", input={"text": "hi"})
        frames: list[object] = []
        with pytest.raises(IncompleteStreamError) as info:
            await read_into(frames, stream)
        assert stream.closed
        with pytest.raises(IncompleteStreamError):
            await (await client.message_stream_stateless("a", "e")).collect()
    expected = 0 if body == b"" else 1
    assert len(frames) == expected
    error = info.value
    assert isinstance(error, ResponseParseError)
    assert error.frames == expected
    assert error.status_code == 200
    assert error.global_transaction_id == TXID
    assert "final" in str(error)


async def test_frames_after_the_final_one_and_a_complete_stream_are_fine() -> None:
    answer = response(PARTIAL + FINAL + b": bye\n\n", content_type="text/event-stream")
    async with answering(answer) as server, client_for(server) as client:
        frames = await stream_frames(client)
    assert isinstance(frames[-1], StatelessMessageStreamFinalResponse)


# --- size limits -------------------------------------------------------------------


def test_limits_are_validated() -> None:
    for name in ("max_response_bytes", "max_event_bytes"):
        for bad in (0, -1, 1.5, True, "1", None):
            with pytest.raises(ValueError, match=name):
                AssistantClient(VERSION, NoAuthAuthenticator(), **{name: bad})  # type: ignore[arg-type]


async def test_an_event_over_max_event_bytes_raises_and_closes_the_connection() -> None:
    head = response(b"", content_type="text/event-stream", length=False).split(b"0\r\n\r\n")[0]
    line = b"data: " + b"x" * 4096  # never ends
    answer = head + b"%x\r\n%s\r\n" % (len(PARTIAL + line), PARTIAL + line)
    async with (
        answering(answer, hold=True) as server,
        client_for(server, max_event_bytes=1024) as c,
    ):
        stream = await c.message_stream_stateless("a", "e", input={"text": "hi"})
        frames: list[object] = []
        with pytest.raises(ResponseTooLargeError) as info:
            await read_into(frames, stream)
        assert stream.closed
        await asyncio.wait_for(server.client_closed.wait(), 5)
    assert len(frames) == 1
    error = info.value
    assert isinstance(error, ResponseParseError)
    assert error.limit == 1024
    assert error.size > 1024
    assert error.status_code == 200
    assert error.global_transaction_id == TXID
    assert "max_event_bytes" in str(error)


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "chunked"])
async def test_a_body_over_max_response_bytes_is_refused_and_not_retried(length: bool) -> None:
    body = json.dumps({"assistants": [], "pad": "x" * 2000}).encode()
    async with (
        answering(response(body, length=length)) as server,
        client_for(server, max_response_bytes=1000) as client,
    ):
        with pytest.raises(ResponseTooLargeError) as info:
            await client.list_assistants()  # a GET: idempotent
        assert len(server.requests) == 1
        assert info.value.limit == 1000
        if length:  # refused from its Content-Length, before reading it
            assert info.value.size == len(body)
        else:  # refused once more than the limit had arrived
            assert 1000 < info.value.size <= len(body)
        assert info.value.status_code == 200
        assert info.value.global_transaction_id == TXID
        assert info.value.body == ""  # what was read is dropped
        assert "max_response_bytes" in str(info.value)
    async with (  # at the limit exactly, it is read
        answering(response(body, length=length)) as server,
        client_for(server, max_response_bytes=len(body)) as client,
    ):
        page = await client.list_assistants()
        assert page.assistants == []


async def test_the_limit_counts_decompressed_bytes() -> None:
    bomb = gzip.compress(b'{"assistants": [], "pad": "' + b"0" * 1_000_000 + b'"}')
    assert len(bomb) < 2000
    answer = response(bomb, Content_Encoding="gzip")
    async with answering(answer) as server, client_for(server, max_response_bytes=64_000) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.list_assistants()
    assert info.value.size > 64_000
    async with answering(answer) as server, client_for(server) as client:
        assert (await client.list_assistants()).assistants == []  # the default is generous


async def test_an_error_response_over_the_limit_keeps_its_status_and_the_first_bytes() -> None:
    body = b"<html>" + b"x" * 5000 + b"</html>"
    answer = response(body, status=503, content_type="text/html")
    async with answering(answer) as server, client_for(server, max_response_bytes=1000) as client:
        with pytest.raises(ServerError) as info:
            await client.list_assistants()
    assert len(server.requests) == 3  # a 503 on an idempotent call: retried as usual
    assert info.value.body == body[:1000].decode()


async def test_downloads_are_not_capped() -> None:
    archive = bytes(range(256)) * 20
    answer = response(archive, content_type="application/octet-stream", length=False)
    async with answering(answer) as server, client_for(server, max_response_bytes=1000) as client:
        download = await client.download_release_export("a", "1", accept="application/octet-stream")
        assert await download.read() == archive


# --- an unreadable 2xx body is a parse error, never retried ----------------------


async def test_a_2xx_body_that_cannot_be_decoded_is_a_parse_error_not_retried() -> None:
    answer = response(b"this is not gzip at all", Content_Encoding="gzip")
    async with answering(answer) as server, client_for(server) as client:
        with pytest.raises(ResponseParseError) as info:
            await client.message_stateless("a", "e", input={"text": "hi"})  # idempotent
    assert len(server.requests) == 1
    error = info.value
    assert type(error) is ResponseParseError
    assert error.status_code == 200
    assert error.global_transaction_id == TXID
    assert error.headers["Content-Encoding"] == "gzip"
    assert "gzip" in str(error)


async def test_a_connection_dropped_mid_body_is_a_transport_error_and_retried() -> None:
    cut = response(b'{"output": {"generic": []}, "context": {}}')[:-10]  # Content-Length says more
    async with answering(cut) as server, client_for(server) as client:
        with pytest.raises(TransportError) as info:
            await client.message_stateless("a", "e", input={"text": "hi"})
    assert len(server.requests) == 3
    assert info.value.request_sent is True
    assert info.value.attempts == 3


async def test_an_error_status_with_an_undecodable_body_keeps_its_status() -> None:
    answer = response(b"this is not gzip at all", status=503, Content_Encoding="gzip")
    async with answering(answer) as server, client_for(server) as client:
        with pytest.raises(ServerError) as info:
            await client.message_stateless("a", "e", input={"text": "hi"})
    assert len(server.requests) == 3  # retried by its status, as any 503
    assert info.value.body == ""


async def test_a_stream_that_cannot_be_decoded_is_a_parse_error() -> None:
    answer = response(
        b"this is not gzip at all", content_type="text/event-stream", Content_Encoding="gzip"
    )
    async with answering(answer) as server, client_for(server) as client:
        stream = await client.message_stream_stateless("a", "e", input={"text": "hi"})
        with pytest.raises(ResponseParseError) as info:
            await stream.collect()
        assert stream.closed
    assert type(info.value) is ResponseParseError
    assert info.value.status_code == 200
    error_503 = response(b"garbage", status=503, Content_Encoding="gzip")
    async with answering(error_503) as server, client_for(server) as client:
        with pytest.raises(ServerError):
            await client.message_stream_stateless("a", "e", input={"text": "hi"})
    assert len(server.requests) == 3
