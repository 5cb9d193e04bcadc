"""AssistantClient through the transport seam: request shaping, results, errors, lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from fakes import ScriptedTransport, response

from watson_async import USER_AGENT, AssistantClient
from watson_async.auth import BearerTokenAuthenticator, NoAuthAuthenticator
from watson_async.errors import ResponseParseError, ServerError, SessionNotFoundError
from watson_async.models.message import MessageInput, MessageInputOptions

VERSION = "2024-08-25"
URL = "https://api.example/instances/abc"


def make(*responses: object, **kwargs: object) -> tuple[AssistantClient, ScriptedTransport]:
    transport = ScriptedTransport(*responses)  # type: ignore[arg-type]
    kwargs.setdefault("retry", None)  # retries have their own tests (test_retry.py)
    client = AssistantClient(
        VERSION,
        BearerTokenAuthenticator("t0ken"),
        service_url=URL + "/",
        transport=transport,
        **kwargs,  # type: ignore[arg-type]
    )
    return client, transport


async def test_create_session_request_and_result() -> None:
    client, transport = make(response(201, {"session_id": "s-1"}))
    async with client:
        session = await client.create_session("a", "e", analytics={"browser": "Firefox"})
    assert session.session_id == "s-1"
    (sent,) = transport.sent
    assert sent.method == "POST"
    assert sent.url == f"{URL}/v2/assistants/a/environments/e/sessions?version={VERSION}"
    assert sent.headers["Authorization"] == "Bearer t0ken"
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json == {"analytics": {"browser": "Firefox"}}
    assert transport.closed == 1


async def test_message_accepts_models_and_returns_typed_reply() -> None:
    body = {
        "output": {"generic": [{"response_type": "text", "text": "Hello"}], "intents": []},
        "user_id": "u1",
    }
    client, transport = make(response(200, body))
    async with client:
        reply = await client.message(
            "a",
            "e",
            "s",
            input=MessageInput(text="Hi", options=MessageInputOptions(return_context=True)),
            user_id="u1",
        )
    assert reply.output.generic is not None
    assert reply.output.generic[0].text == "Hello"  # type: ignore[union-attr]
    assert reply.user_id == "u1"
    assert transport.sent[0].json == {
        "input": {"text": "Hi", "options": {"return_context": True}},
        "user_id": "u1",
    }


async def test_message_stateless_classic_path() -> None:
    client, transport = make(response(200, {"output": {}, "context": {"global": {}}}))
    async with client:
        reply = await client.message_stateless("a", None, input={"text": "x"})
    assert reply.context is not None
    assert transport.sent[0].url == f"{URL}/v2/assistants/a/message?version={VERSION}"


async def test_delete_session_returns_none_and_accepts_empty_body() -> None:
    client, transport = make(response(200, b""))
    async with client:
        assert await client.delete_session("a", "e", "s") is None
    assert transport.sent[0].method == "DELETE"
    assert transport.sent[0].body is None
    assert "Content-Type" not in transport.sent[0].headers


async def test_invalid_arguments_raise_before_anything_is_sent() -> None:
    client, transport = make()
    async with client:
        with pytest.raises(ValueError, match="input text"):
            await client.message("a", "e", "s", input={"text": "a\nb"})
        with pytest.raises(ValueError, match="session_id"):
            await client.message("a", "e", "", input={"text": "hi"})
    assert transport.sent == []


async def test_streams_need_an_environment() -> None:
    """No API version or SDK has un-scoped stream routes: refuse them, as the SDK does."""
    client, transport = make()
    no_environment: Any = None  # what an untyped caller may pass
    required = r"^environment_id is required for "
    async with client:
        with pytest.raises(ValueError, match=required + "message_stream:"):
            await client.message_stream("a", no_environment, "s", input={"text": "hi"})
        with pytest.raises(ValueError, match=required + "message_stream_stateless:"):
            await client.message_stream_stateless("a", no_environment, input={"text": "hi"})
        classic = client.assistant("a", None)
        with pytest.raises(ValueError, match=required + "message_stream:"):
            await classic.message_stream("s", input={"text": "hi"})
        with pytest.raises(ValueError, match=required + "message_stream_stateless:"):
            await classic.message_stream_stateless(input={"text": "hi"})
    assert transport.sent == []


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="version"):
        AssistantClient("2024/08/25", NoAuthAuthenticator())
    with pytest.raises(ValueError, match="authenticator"):
        AssistantClient(VERSION, "apikey")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="service_url"):
        AssistantClient(VERSION, NoAuthAuthenticator(), service_url="api.example")
    with pytest.raises(ValueError, match="max_connections"):
        AssistantClient(VERSION, NoAuthAuthenticator(), max_connections=0)
    with pytest.raises(ValueError, match="timeout"):
        AssistantClient(VERSION, NoAuthAuthenticator(), timeout=0)
    with pytest.raises(ValueError, match="customer_id"):
        AssistantClient(VERSION, NoAuthAuthenticator(), customer_id="a;b")


def test_constructor_needs_no_event_loop() -> None:
    # Nothing loop-bound in __init__: constructing outside any loop is fine.
    client = AssistantClient(VERSION, NoAuthAuthenticator())
    assert not client.closed


async def test_default_and_per_call_headers() -> None:
    client, transport = make(
        response(201, {"session_id": "s"}),
        headers={"X-Custom": "1"},
        learning_opt_out=True,
        customer_id="cust-9",
    )
    async with client:
        await client.create_session("a", "e", headers={"X-Per-Call": "2"}, timeout=5.0)
    sent = transport.sent[0]
    assert sent.headers["X-Custom"] == "1"
    assert sent.headers["X-Per-Call"] == "2"
    assert sent.headers["X-Watson-Learning-Opt-Out"] == "true"
    assert sent.headers["X-Watson-Metadata"] == "customer_id=cust-9"
    assert sent.timeout == 5.0


async def test_server_errors_are_typed() -> None:
    client, _ = make(
        response(404, {"error": "Invalid Session", "code": 404}, {"X-Global-Transaction-Id": "g1"}),
        response(500, "<html>oops</html>"),
    )
    async with client:
        with pytest.raises(SessionNotFoundError) as info:
            await client.message("a", "e", "s", input={"text": "hi"})
        assert info.value.global_transaction_id == "g1"
        assert info.value.url == f"{URL}/v2/assistants/a/environments/e/sessions/s/message"
        with pytest.raises(ServerError) as info2:
            await client.delete_session("a", "e", "s")
        assert info2.value.body == "<html>oops</html>"


async def test_unparseable_success_body_is_a_parse_error_with_the_body() -> None:
    client, _ = make(response(200, b"<html>proxy page</html>"), response(201, {"nope": 1}))
    async with client:
        with pytest.raises(ResponseParseError) as info:
            await client.message("a", "e", "s")
        assert info.value.body == "<html>proxy page</html>"
        assert info.value.global_transaction_id == "txn-test"
        with pytest.raises(ResponseParseError, match="SessionResponse"):
            await client.create_session("a", "e")


async def test_an_entity_that_does_not_fit_raises_when_read_and_the_call_succeeds() -> None:
    # Entities are typed on first read (models/_deferred.py): the rest of the reply is
    # still checked at the await, and the entity's error carries the same details.
    reply = {
        "output": {
            "generic": [{"response_type": "text", "text": "ok"}],
            "entities": [{"entity": "sys-date", "location": "not a list of ints"}],
        }
    }
    client, _ = make(response(200, reply, {"X-Global-Transaction-Id": "txn-e"}))
    async with client:
        result = await client.message("a", "e", "s", input={"text": "hi"})
    assert result.output.generic is not None
    assert result.output.entities is not None
    with pytest.raises(ResponseParseError, match=r"^message: .* \(RuntimeEntity\): ") as info:
        result.output.entities[0].entity  # noqa: B018
    assert info.value.status_code == 200
    assert info.value.global_transaction_id == "txn-e"
    assert orjson.loads(info.value.body) == reply["output"]["entities"][0]  # type: ignore[index]


async def test_with_response_gives_status_and_headers_per_task() -> None:
    def answer(sent: object) -> object:
        sid = sent.url.split("/sessions/")[1].split("/")[0]  # type: ignore[attr-defined]
        return response(
            200,
            {"output": {}},
            {"X-Global-Transaction-Id": f"txn-{sid}", "X-RateLimit-Remaining": "7"},
        )

    client, _ = make(*([answer] * 20))
    async with client:
        results = await asyncio.gather(
            *[
                client.with_response(client.message, "a", "e", f"s{i}", input={"text": "hi"})
                for i in range(20)
            ]
        )
    for i, detailed in enumerate(results):
        assert detailed.status_code == 200
        assert detailed.global_transaction_id == f"txn-s{i}"
        assert detailed.rate_limit is not None
        assert detailed.rate_limit.remaining == 7
        assert detailed.result.output is not None


async def test_with_response_for_methods_returning_none() -> None:
    client, _ = make(response(200, b"", {"X-Global-Transaction-Id": "del-1"}))
    async with client:
        detailed = await client.with_response(client.delete_session, "a", "e", "s")
    assert detailed.result is None
    assert detailed.global_transaction_id == "del-1"


async def test_list_and_iterate_assistants() -> None:
    def page(items: list[str], next_cursor: str | None) -> object:
        pagination: dict[str, object] = {"refresh_url": "/v2/assistants"}
        if next_cursor:
            pagination["next_cursor"] = next_cursor
        return response(
            200,
            {
                "assistants": [{"assistant_id": i, "name": i} for i in items],
                "pagination": pagination,
            },
        )

    client, transport = make(page(["a1", "a2"], "c2"), page(["a3", "a4"], "c3"), page(["a5"], None))
    async with client:
        names = [a.assistant_id async for a in client.iter_assistants(page_limit=2)]
    assert names == ["a1", "a2", "a3", "a4", "a5"]
    assert [s.url.split("?")[1] for s in transport.sent] == [
        f"version={VERSION}&page_limit=2",
        f"version={VERSION}&page_limit=2&cursor=c2",
        f"version={VERSION}&page_limit=2&cursor=c3",
    ]


async def test_iterate_with_limit_stops_early() -> None:
    body = {
        "assistants": [{"assistant_id": f"a{i}"} for i in range(3)],
        "pagination": {"refresh_url": "x", "next_cursor": "more"},
    }
    client, transport = make(response(200, body))
    async with client:
        got = [a.assistant_id async for a in client.iter_assistants(limit=2)]
    assert got == ["a0", "a1"]
    assert len(transport.sent) == 1
    with pytest.raises(ValueError, match="limit"):
        client.iter_assistants(limit=-1)
    with pytest.raises(ValueError, match="sort"):
        client.iter_assistants(sort="bogus")


@pytest.mark.parametrize(
    ("name", "args", "bad", "match"),
    [
        ("iter_assistants", (), {"limit": True}, "limit"),
        ("iter_assistants", (), {"page_limit": 0}, "page_limit"),
        ("iter_providers", (), {"limit": -1}, "limit"),
        ("iter_providers", (), {"sort": "bogus"}, "sort"),
        ("iter_environments", ("aid",), {"limit": 1.5}, "limit"),
        ("iter_environments", ("",), {}, "assistant_id"),
        ("iter_releases", ("aid",), {"limit": "3"}, "limit"),
        ("iter_releases", ("aid",), {"sort": "bogus"}, "sort"),
        ("iter_logs", ("aid",), {"limit": -2}, "limit"),
        ("iter_logs", ("aid",), {"filter": ""}, "filter"),
    ],
)
async def test_every_iterator_checks_its_arguments_before_any_page(
    name: str, args: tuple[str, ...], bad: dict[str, object], match: str
) -> None:
    client, transport = make()
    async with client:
        with pytest.raises(ValueError, match=match):
            getattr(client, name)(*args, **bad)
    assert transport.sent == []


async def test_aclose_is_idempotent_and_blocks_later_calls() -> None:
    client, transport = make()
    await client.aclose()
    await client.aclose()
    assert transport.closed == 1
    assert client.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.create_session("a", "e")


def test_repr_has_no_secret() -> None:
    client, _ = make()
    assert "t0ken" not in repr(client)
