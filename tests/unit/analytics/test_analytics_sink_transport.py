"""SegmentBatchSink through the transport seam: a scripted transport (no sockets), the
sink's own AiohttpTransport, and SessionTransport for a caller's aiohttp session."""

from __future__ import annotations

import base64
import logging
import traceback
from typing import Any

import aiohttp
import pytest
from fakes import ScriptedTransport, response

from watson_async import AiohttpTransport, ClientClosedError, TransportError
from watson_async.analytics import SegmentBatchSink, SegmentHTTPError, derive_session_started

WRITE_KEY = "wk-secret-transport-789"
TOKEN = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
URL = "https://segment.test"
OK = response(200, {"success": True})


class Sleeps:
    """An injected sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_call(n: int) -> Any:
    return derive_session_started(f"s-{n}", clock=lambda: 1_700_000_000.0, new_id=lambda: f"m-{n}")


def scripted_sink(transport: ScriptedTransport, **kw: Any) -> SegmentBatchSink:
    options: dict[str, Any] = {"url": URL, "flush_interval": 60.0, "sleep": Sleeps()}
    options.update(kw)
    return SegmentBatchSink(WRITE_KEY, transport=transport, **options)  # type: ignore[arg-type]


def refused() -> TransportError:
    return TransportError(
        "cannot connect: refused", method="POST", url=f"{URL}/v1/batch", request_sent=False
    )


def timed_out() -> TransportError:
    return TransportError(
        "timed out waiting for the response",
        method="POST",
        url=f"{URL}/v1/batch",
        request_sent=True,
        timeout=True,
    )


async def test_a_batch_is_one_send_through_the_transport() -> None:
    transport = ScriptedTransport(OK)
    sink = scripted_sink(transport, timeout=7.5)
    await sink.send(make_call(1))
    await sink.send(make_call(2))
    await sink.flush()
    [sent] = transport.sent
    assert (sent.method, sent.url, sent.timeout) == ("POST", f"{URL}/v1/batch", 7.5)
    assert sent.headers["Authorization"] == f"Basic {TOKEN}"
    assert sent.headers["Content-Type"] == "application/json"
    assert [c["messageId"] for c in sent.json["batch"]] == ["m-1", "m-2"]
    assert (sink.sent, sink.batches_sent, sink.failed) == (2, 1, 0)
    await sink.aclose()
    assert transport.closed == 0  # a transport given is the caller's: left open


@pytest.mark.parametrize(
    "failure",
    [
        response(500),
        response(502),
        response(503),
        response(408),
        response(429),
        refused(),
        timed_out(),
    ],
    ids=["500", "502", "503", "408", "429", "not-sent", "sent-timeout"],
)
async def test_server_errors_and_failures_without_an_answer_are_retried(failure: Any) -> None:
    sleeps = Sleeps()
    transport = ScriptedTransport(failure, failure, OK)
    sink = scripted_sink(transport, sleep=sleeps, backoff_base=0.5, backoff_cap=4.0)
    await sink.send(make_call(1))
    await sink.flush()
    assert len(transport.sent) == 3
    assert transport.sent[0].body == transport.sent[2].body  # the same batch again
    assert (sink.sent, sink.failed, sink.last_error) == (1, 0, None)
    assert len(sleeps.waits) == 2
    await sink.aclose()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
async def test_other_statuses_fail_at_once(status: int) -> None:
    transport = ScriptedTransport(response(status))
    sink = scripted_sink(transport)
    await sink.send(make_call(1))
    await sink.send(make_call(2))
    await sink.flush()
    assert len(transport.sent) == 1
    assert (sink.sent, sink.failed, sink.last_error) == (0, 2, f"HTTP {status}")
    assert sink.pending == 0
    await sink.aclose()


async def test_retry_after_of_the_answer_is_honoured() -> None:
    sleeps = Sleeps()
    transport = ScriptedTransport(response(429, headers={"Retry-After": "3"}), OK)
    sink = scripted_sink(transport, sleep=sleeps, backoff_base=0.01, backoff_cap=5.0)
    await sink.send(make_call(1))
    await sink.flush()
    assert sleeps.waits == [3.0]
    assert sink.sent == 1
    await sink.aclose()


async def test_transport_errors_exhaust_the_attempts_and_are_described() -> None:
    transport = ScriptedTransport(refused(), timed_out(), timed_out())
    sink = scripted_sink(transport, max_attempts=3)
    await sink.send(make_call(1))
    await sink.flush()
    assert len(transport.sent) == 3
    assert (sink.sent, sink.failed) == (0, 1)
    assert sink.last_error == "TransportError (after sending): timed out waiting for the response"
    await sink.aclose()


async def test_a_closed_transport_fails_the_batch_without_retrying() -> None:
    transport = ScriptedTransport(ClientClosedError())
    sink = scripted_sink(transport)
    await sink.send(make_call(1))
    await sink.flush()
    assert len(transport.sent) == 1
    assert (sink.sent, sink.failed, sink.last_error) == (0, 1, "ClientClosedError")
    await sink.aclose()


async def test_the_write_key_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    transport = ScriptedTransport(response(401), refused(), RuntimeError("a transport bug"))
    sink = scripted_sink(transport, max_attempts=1)
    texts = [repr(sink), str(sink)]
    for n in range(3):
        await sink.send(make_call(n))
        if n < 2:
            await sink.flush()
            texts.append(str(sink.last_error))
    with pytest.raises(RuntimeError, match="a transport bug") as caught:
        await sink.flush()
    # what a traceback renderer with locals (rich, Sentry, capture_locals) would print
    texts.append(
        "".join(
            traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
        )
    )
    texts += [repr(sent) for sent in transport.sent]
    texts += [caplog.text, repr(sink), repr(SegmentHTTPError(401))]
    await sink.aclose()
    for text in texts:
        assert WRITE_KEY not in text
        assert TOKEN not in text
    assert "'<redacted>'" in repr(transport.sent[0].headers)
    assert "HTTP 401" in caplog.text


async def test_a_transport_excludes_session_and_proxy() -> None:
    with pytest.raises(ValueError, match="transport"):
        SegmentBatchSink(WRITE_KEY, transport=AiohttpTransport(), proxy="http://proxy:3128")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="transport"):
            SegmentBatchSink(WRITE_KEY, transport=AiohttpTransport(), session=session)
