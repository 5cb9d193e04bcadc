"""Cassettes without a server: matching, scrubbing, the file format and the modes
(a scripted transport stands behind the cassette while recording)."""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from fakes import ScriptedTransport, response

from watson_async import ClientClosedError
from watson_async.testing.cassette import (
    SCRUBBED,
    Cassette,
    CassetteError,
    RecordMode,
    UnmatchedRequestError,
    redact_keys,
)
from watson_async.testing.cassette._format import (
    Exchange,
    Recorded,
    Target,
    dump,
    load,
    route_of,
    same_service,
    scrub_chunk,
    scrub_reply,
    scrub_request,
)
from watson_async.testing.cassette._pytest import open_cassette
from watson_async.transport import StreamingResponse

BASE = "https://api.example.test/instances/i1"
MESSAGE = f"{BASE}/v2/assistants/a1/environments/e1/sessions/s1/message?version=2024-08-25"
JSON = {"Content-Type": "application/json"}


def test_route_of_uses_the_endpoint_table() -> None:
    assert route_of("/v2/assistants/a/environments/e/sessions") == (
        "/v2/assistants/{assistant_id}/environments/{environment_id}/sessions"
    )
    assert route_of("/v2/assistants/a/sessions/s/message") == (
        "/v2/assistants/{assistant_id}/sessions/{session_id}/message"
    )
    assert route_of("/v2/not/an/endpoint") == "/v2/not/an/endpoint"


def test_target_splits_service_url_version_and_query() -> None:
    target = Target.of(f"{BASE}/v2/assistants?version=2024-08-25&page_limit=5")
    assert (target.base, target.path, target.version) == (BASE, "/v2/assistants", "2024-08-25")
    assert target.query == {"page_limit": "5"}
    assert target.is_service
    iam = Target.of("https://iam.example.test/identity/token")
    assert (iam.route, iam.is_service) == ("/identity/token", False)


def test_loopback_ports_are_the_same_service() -> None:
    assert same_service("http://127.0.0.1:1111/instances/x", "http://127.0.0.1:2222/instances/x")
    assert not same_service("http://127.0.0.1:1/instances/x", "http://127.0.0.1:1/instances/y")
    assert not same_service("https://a.example:1/x", "https://a.example:2/x")


def test_credentials_and_tokens_are_scrubbed() -> None:
    form = {"grant_type": "apikey", "apikey": "KEY", "client_secret": "S"}
    assert scrub_request(form, ()) == {
        "grant_type": "apikey",
        **dict.fromkeys(("apikey", "client_secret"), SCRUBBED),
    }
    assert scrub_request({"username": "u", "password": "p"}, ())["password"] == SCRUBBED
    reply = scrub_reply({"access_token": "T", "refresh_token": "R", "expires_in": 3600}, ())
    assert reply == {"access_token": SCRUBBED, "refresh_token": SCRUBBED, "expires_in": 3600}


def test_a_cp4d_token_keeps_only_its_lifetime_claims() -> None:
    import jwt

    token = jwt.encode({"iat": 100, "exp": 7300, "sub": "admin"}, "k" * 32, algorithm="HS256")
    scrubbed = scrub_reply({"token": token}, ())["token"]
    claims = jwt.decode(scrubbed, options={"verify_signature": False})
    assert claims == {"iat": 100, "exp": 7300}
    assert "admin" not in scrubbed


def test_user_scrubbers_run_on_bodies_and_event_stream_lines() -> None:
    scrub = [redact_keys("email")]
    assert scrub_request({"context": {"email": "a@b.c"}}, scrub) == {"context": {"email": SCRUBBED}}
    chunk = 'event: message\ndata: {"final_response":{"email":"a@b.c"}}\n\n'
    assert "a@b.c" not in scrub_chunk(chunk, scrub)
    assert scrub_chunk("data: {partial", scrub) == "data: {partial"  # split lines kept


def exchange(body: Any, path: str = "/v2/x", route: str = "/v2/x") -> Exchange:
    return Exchange("POST", path, route, {}, body, Recorded(200, "OK", {}, {"ok": True}))


def test_a_segment_batch_matches_whatever_its_message_ids(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.yaml", "all")
    batch = [{"type": "track", "event": "Turn", "messageId": "m1", "timestamp": "t1"}]
    recorded = exchange({"batch": batch, "sentAt": "s1"}, "/v1/batch", "/v1/batch")
    live = {"batch": [{**batch[0], "messageId": "m2", "timestamp": "t2"}], "sentAt": "s2"}
    target = Target.of("https://segment.example/v1/batch")
    assert recorded.matches("POST", target, live, cassette._ignored)


def test_matching_ignores_timestamps_and_the_version_and_treats_scrubbed_as_anything() -> None:
    recorded = exchange({"input": {"text": "hi"}, "user_id": SCRUBBED, "timestamp": "t1"})
    ignored = frozenset({"timestamp"})
    live = {"input": {"text": "hi"}, "user_id": "bob", "timestamp": "t2"}
    x = Target.of(f"{BASE}/v2/x?version=2020-01-01")
    assert recorded.matches("POST", x, live, ignored)
    assert not recorded.matches("POST", x, {**live, "input": {"text": "ho"}}, ignored)
    assert not recorded.matches("GET", x, live, ignored)
    assert not recorded.matches("POST", Target.of(f"{BASE}/v2/y"), live, ignored)
    assert not recorded.matches("POST", Target.of(f"{BASE}/v2/x?cursor=2"), live, ignored)


def test_the_file_round_trips_and_is_sorted_yaml(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.yaml"
    chunks = ("event: message\ndata: {}\n\n", "data: {}\n\n")
    written = [
        exchange({"b": 1, "a": [1, 2]}),
        Exchange(
            "GET", "/v2/s", "/v2/s", {"q": "1"}, None, Recorded(200, "OK", JSON, None, chunks)
        ),
    ]
    dump(path, written, BASE, "2024-08-25")
    text = path.read_text()
    assert text.index("a:") < text.index("b:")  # sorted keys
    assert "|" in text  # multi-line chunks as literal blocks
    assert load(path) == (written, BASE, "2024-08-25")


@pytest.mark.parametrize("content", ["{not yaml: [", "format: 99\n", "- a list\n"])
def test_an_unreadable_file_is_a_cassette_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(CassetteError, match=str(path)):
        Cassette(path)


def test_replay_only_needs_the_file(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="does not exist; record it with mode 'once'"):
        Cassette(tmp_path / "missing.yaml")


def test_a_bad_mode_or_scrubber_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode must be one of none, once, new_episodes, all"):
        Cassette(tmp_path / "c.yaml", "sometimes")
    with pytest.raises(ValueError, match="scrubbers must be a list of callables"):
        Cassette(tmp_path / "c.yaml", "all", scrubbers=["email"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="scrubbers must be a list of callables"):
        Cassette(tmp_path / "c.yaml", "all", scrubbers=redact_keys("email"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ignore_keys must be a list of keys, got 'ts'"):
        Cassette(tmp_path / "c.yaml", "all", ignore_keys="ts")


async def send(cassette: Cassette, inner: ScriptedTransport, text: str) -> Any:
    transport = cassette.transport(inner)  # type: ignore[arg-type]
    body = json.dumps({"input": {"text": text}}).encode()
    reply = await transport.send("POST", MESSAGE, JSON, body, None)
    return json.loads(reply.body)


async def test_once_records_then_replays_without_sending(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    inner = ScriptedTransport(response(200, {"n": 1}), response(200, {"n": 2}))
    async with Cassette(path, RecordMode.ONCE) as cassette:
        assert cassette.records
        assert await send(cassette, inner, "a") == {"n": 1}
        assert await send(cassette, inner, "a") == {"n": 2}
    assert len(inner.sent) == 2
    assert inner.closed == 2  # the cassette closes the transports it was given
    async with Cassette(path, "once") as cassette:
        assert not cassette.records
        # The same request twice: each recorded reply once, in order.
        assert [await send(cassette, inner, "a") for _ in range(2)] == [{"n": 1}, {"n": 2}]
        with pytest.raises(UnmatchedRequestError, match="already"):
            await send(cassette, inner, "a")
    assert len(inner.sent) == 2


async def test_allow_repeats_replays_the_last_match_again(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    async with Cassette(path, "all") as cassette:
        await send(cassette, ScriptedTransport(response(200, {"n": 1})), "a")
    async with Cassette(path, allow_repeats=True) as cassette:
        inner = ScriptedTransport()
        assert [await send(cassette, inner, "a") for _ in range(3)] == [{"n": 1}] * 3


async def test_all_sends_everything_again_and_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    async with Cassette(path, "all") as cassette:
        await send(cassette, ScriptedTransport(response(200, {"n": 1})), "a")
    async with Cassette(path, "all") as cassette:
        inner = ScriptedTransport(response(200, {"n": 9}))
        assert await send(cassette, inner, "a") == {"n": 9}
    exchanges, _, _ = load(path)
    assert [e.response.body for e in exchanges] == [{"n": 9}]


async def test_new_episodes_keeps_the_old_and_adds_the_new(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    async with Cassette(path, "all") as cassette:
        await send(cassette, ScriptedTransport(response(200, {"n": 1})), "a")
    inner = ScriptedTransport(response(200, {"n": 2}))
    async with Cassette(path, "new_episodes") as cassette:
        assert await send(cassette, inner, "a") == {"n": 1}  # replayed
        assert await send(cassette, inner, "b") == {"n": 2}  # sent and recorded
    assert len(inner.sent) == 1
    exchanges, _, _ = load(path)
    assert [e.body["input"]["text"] for e in exchanges] == ["a", "b"]


async def test_nothing_is_written_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"

    async def failing() -> None:
        async with Cassette(path, "once") as cassette:
            await send(cassette, ScriptedTransport(response(200, {})), "a")
            raise RuntimeError("the test failed")

    with pytest.raises(RuntimeError):
        await failing()
    assert not path.exists()


async def test_gzipped_request_bodies_are_matched_decoded(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    async with Cassette(path, "all") as cassette:
        await send(cassette, ScriptedTransport(response(200, {"n": 1})), "a")
    async with Cassette(path) as cassette:
        body = gzip.compress(json.dumps({"input": {"text": "a"}}).encode())
        headers = {**JSON, "Content-Encoding": "gzip"}
        reply = await cassette.transport().send("POST", MESSAGE, headers, body, None)
        assert json.loads(reply.body) == {"n": 1}
    assert yaml.safe_load(path.read_text())["interactions"][0]["request"]["body"] == {
        "input": {"text": "a"}
    }


async def test_a_closed_transport_answers_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    async with Cassette(path, "all") as cassette:
        await send(cassette, ScriptedTransport(response(200, {"n": 1})), "a")
    async with Cassette(path) as cassette:
        transport = cassette.transport()
        await transport.aclose()
        with pytest.raises(ClientClosedError):
            await transport.send("POST", MESSAGE, JSON, b'{"input":{"text":"a"}}', None)
        with pytest.raises(ClientClosedError):
            async with transport.stream("POST", MESSAGE, JSON, b"{}", None):
                pass


class StreamingInner:
    """Answers a stream with these chunks (as a server writing them one by one would)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def stream(self, method: str, url: str, headers: Any, body: Any, timeout: Any) -> Any:
        chunks = self.chunks

        @contextlib.asynccontextmanager
        async def opened() -> AsyncIterator[StreamingResponse]:
            async def each() -> AsyncIterator[bytes]:
                for chunk in chunks:
                    yield chunk

            async def read() -> bytes:
                return b"".join(chunks)

            yield StreamingResponse(200, "OK", {"Content-Type": "text/event-stream"}, each(), read)

        return opened()

    async def aclose(self) -> None:
        self.closed = True


async def test_a_stream_replays_chunk_by_chunk_as_recorded(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    chunks = [b'event: message\ndata: {"a":', b" 1}\n\n", b'data: {"email":"x@y.z"}\n\n']
    stream_url = MESSAGE.replace("/message?", "/message_stream?")
    async with Cassette(path, "once", scrubbers=[redact_keys("email")]) as cassette:
        transport = cassette.transport(StreamingInner(chunks))  # type: ignore[arg-type]
        async with transport.stream("POST", stream_url, JSON, b"{}", None) as response:
            assert [c async for c in response.chunks] == chunks  # passed on as they come
    async with (
        Cassette(path) as cassette,
        cassette.transport().stream("POST", stream_url, JSON, b"{}", None) as response,
    ):
        replayed = [c async for c in response.chunks]
    assert replayed[:2] == chunks[:2]  # the boundaries, even mid-line
    assert replayed[2] == b'data: {"email":"<scrubbed>"}\n\n'


@pytest.mark.parametrize("name", ["../elsewhere", "..", "a/b"])
def test_a_marker_name_stays_one_file_in_the_cassette_folder(tmp_path: Path, name: str) -> None:
    marker = SimpleNamespace(args=(name,), kwargs={})
    node = SimpleNamespace(
        get_closest_marker=lambda _: marker, name="test_x", path=tmp_path / "test_x.py"
    )
    config = SimpleNamespace(getoption=lambda _: "once", getini=lambda _: "cassettes")
    with pytest.raises(ValueError, match="watson_cassette name"):
        open_cassette(SimpleNamespace(node=node, config=config))  # type: ignore[arg-type]
