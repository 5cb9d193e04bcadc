"""FakeAssistant: message logs (list_logs with filter, sort, pagination) and
delete_user_data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from fakes import ManualClock, scoped
from yarl import URL

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}
T0 = 1_717_243_200.0  # 2024-06-01T12:00:00Z


async def send(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    params = {**VERSION, **kwargs.pop("params", {})}
    async with http.request(method, url, params=params, **kwargs) as resp:
        raw = await resp.read()
        return resp.status, (await resp.json() if raw else None)


def logs_url(fake: FakeAssistant) -> str:
    return f"{fake.service_url}/v2/assistants/{fake.assistant_id}/logs"


async def list_logs(http: aiohttp.ClientSession, fake: FakeAssistant, **params: str) -> Any:
    status, body = await send(http, "GET", logs_url(fake), params=params)
    assert status == 200, body
    return body


def texts(body: Any) -> list[str]:
    return [e["request"]["input"].get("text", "") for e in body["logs"]]


class Chat:
    """Messages one second apart: stateful turns as alice, stateless as bob."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeAssistant, clock: ManualClock):
        self.http, self.fake, self.clock = http, fake, clock
        self.sid = ""

    async def stateful(self, text: str, customer: str | None = "alice") -> Any:
        if not self.sid:
            self.sid = (await send(self.http, "POST", scoped(self.fake, "/sessions")))[1][
                "session_id"
            ]
        self.clock.advance(1)
        headers = {"X-Watson-Metadata": f"customer_id={customer}"} if customer else {}
        status, body = await send(
            self.http,
            "POST",
            scoped(self.fake, f"/sessions/{self.sid}/message"),
            json={"input": {"text": text}, "user_id": "u-1"},
            headers=headers,
        )
        assert status == 200
        return body

    async def stateless(self, text: str, context: Any = None) -> Any:
        self.clock.advance(1)
        body: dict[str, Any] = {"input": {"text": text}}
        if context is not None:
            body["context"] = context
        status, reply = await send(
            self.http,
            "POST",
            scoped(self.fake, "/message"),
            json=body,
            headers={"X-Watson-Metadata": "customer_id=bob"},
        )
        assert status == 200
        return reply


@pytest.fixture
async def chat(http: aiohttp.ClientSession) -> AsyncIterator[Chat]:
    clock = ManualClock(T0)
    async with FakeAssistant(auth=False, clock=clock) as fake:
        chat = Chat(http, fake, clock)
        await chat.stateful("hello")  # 12:00:01
        await chat.stateful("book a trip")  # 12:00:02
        await chat.stateful("Paris")  # 12:00:03
        reply = await chat.stateless("menu")  # 12:00:04
        await chat.stateless("talk to an agent", reply["context"])  # 12:00:05
        await chat.stateful("I want 3 tickets", customer=None)  # 12:00:06
        yield chat


async def test_log_entries(http: aiohttp.ClientSession, chat: Chat) -> None:
    fake = chat.fake
    body = await list_logs(http, fake)
    assert texts(body) == [
        "hello",
        "book a trip",
        "Paris",
        "menu",
        "talk to an agent",
        "I want 3 tickets",
    ]
    assert body["pagination"] == {"matched": 6}
    first = body["logs"][0]
    assert first["log_id"]
    assert first["assistant_id"] == fake.assistant_id
    assert first["session_id"] == chat.sid
    assert first["skill_id"] == fake.action_skill_id
    assert first["snapshot"] == "draft"
    assert first["language"] == "en"
    assert first["customer_id"] == "alice"
    assert first["request_timestamp"] == "2024-06-01T12:00:01.000Z"
    assert first["response_timestamp"] == "2024-06-01T12:00:01.000Z"
    assert first["request"] == {"input": {"text": "hello"}, "user_id": "u-1"}
    response = first["response"]
    assert response["output"]["intents"][0]["intent"] == "greeting"
    assert response["context"]["global"]["session_id"] == chat.sid
    assert response["user_id"] == "u-1"

    stateless = body["logs"][4]
    assert stateless["customer_id"] == "bob"
    assert stateless["request"]["context"]["global"]["session_id"] == stateless["session_id"]
    assert "state" in stateless["response"]["context"]["skills"]["actions skill"]["system"]
    assert "customer_id" not in body["logs"][5]
    assert fake.logs() == body["logs"]
    assert fake.logs("other-assistant") == []


async def test_failed_turns_are_not_logged(http: aiohttp.ClientSession, chat: Chat) -> None:
    fake = chat.fake
    status, _ = await send(
        http, "POST", scoped(fake, "/sessions/nope/message"), json={"input": {"text": "x"}}
    )
    assert status == 404
    status, _ = await send(http, "POST", scoped(fake, "/message"), json={"input": {"text": 5}})
    assert status == 400
    assert len(fake.logs()) == 6


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('request.input.text::"book a trip"', ["book a trip"]),
        ("request.input.text::book", []),
        ("request.input.text:TRIP", ["book a trip"]),
        ("request.input.text:*ick*", ["I want 3 tickets"]),
        ("request.input.text:t*o a", ["talk to an agent"]),
        ("request.input.text:!a", ["hello", "menu"]),
        ("request.input.text::!hello,customer_id::alice", ["book a trip", "Paris"]),
        ("customer_id::bob", ["menu", "talk to an agent"]),
        ("customer_id:ali", ["hello", "book a trip", "Paris"]),
        (
            "response_timestamp>=2024-06-01T12:00:03Z,response_timestamp<2024-06-01T12:00:05.000Z",
            ["Paris", "menu"],
        ),
        ("request_timestamp>2024-06-01T12:00:05Z", ["I want 3 tickets"]),
        ("request_timestamp<=2024-06-01T14:00:01+02:00", ["hello"]),
        ("response_timestamp<2024-06-01", []),
        ("response_timestamp>=2024-06-01", None),
        ("response.output.intents:intent::book_trip", ["book a trip"]),
        ('request.input.text:"a trip",customer_id::alice', ["book a trip"]),
        (r"request.input.text:a\ trip", ["book a trip"]),
        ("session_id::nope", []),
        ("language::en,snapshot::draft", None),
    ],
)
async def test_filter(
    http: aiohttp.ClientSession, chat: Chat, filter_: str, expected: list[str] | None
) -> None:
    body = await list_logs(http, chat.fake, filter=filter_)
    if expected is None:
        assert len(body["logs"]) == 6
    else:
        assert texts(body) == expected
    assert body["pagination"]["matched"] == len(body["logs"])


@pytest.mark.parametrize(
    "filter_",
    [
        "request.input.text:hello|menu",
        "[customer_id::bob]",
        "request.input.text:Watson~2",
        "request.input.intent::x",
        "response_timestamp::2024-06-01",
        "response_timestamp>=yesterday",
        "request.input.text>=a",
        "customer_id::",
        'request.input.text::"unterminated',
    ],
)
async def test_unsupported_filter(http: aiohttp.ClientSession, chat: Chat, filter_: str) -> None:
    status, body = await send(http, "GET", logs_url(chat.fake), params={"filter": filter_})
    assert status == 400
    assert body["code"] == 400
    assert "filter" in body["error"]
    assert body["errors"][0]["path"] == "filter"
    assert body["errors"][0]["message"]


async def test_sort_and_pagination(http: aiohttp.ClientSession, chat: Chat) -> None:
    fake = chat.fake
    desc = await list_logs(http, fake, sort="-request_timestamp")
    assert texts(desc)[0] == "I want 3 tickets"
    asc = await list_logs(http, fake, sort="request_timestamp")
    assert texts(asc) == texts(desc)[::-1]

    seen: list[str] = []
    params = {
        "page_limit": "4",
        "filter": "request.input.text::!menu",
        "sort": "-request_timestamp",
    }
    page = await list_logs(http, fake, **params)
    seen += texts(page)
    pagination = page["pagination"]
    assert pagination["matched"] == 5
    next_url = URL(pagination["next_url"])
    assert next_url.path == f"/v2/assistants/{fake.assistant_id}/logs"
    assert next_url.query["cursor"] == pagination["next_cursor"]
    assert next_url.query["filter"] == params["filter"]
    page = await list_logs(http, fake, **{**params, "cursor": pagination["next_cursor"]})
    seen += texts(page)
    assert "next_cursor" not in page["pagination"]
    assert seen == ["I want 3 tickets", "talk to an agent", "Paris", "book a trip", "hello"]

    for bad in ({"sort": "response_timestamp"}, {"page_limit": "0"}, {"cursor": "!!"}):
        status, body = await send(http, "GET", logs_url(fake), params=bad)
        assert (status, body["code"]) == (400, 400)
    status, _ = await send(http, "GET", f"{fake.service_url}/v2/assistants/nope/logs")
    assert status == 404


async def test_delete_user_data(http: aiohttp.ClientSession, chat: Chat) -> None:
    fake = chat.fake
    url = f"{fake.service_url}/v2/user_data"
    async with http.delete(url, params={**VERSION, "customer_id": "alice"}) as resp:
        assert resp.status == 202
        assert await resp.read() == b""
        assert resp.headers["X-Global-Transaction-Id"]
        assert resp.headers["X-RateLimit-Limit"]
    assert texts(await list_logs(http, fake)) == ["menu", "talk to an agent", "I want 3 tickets"]
    assert fake.user_data_deletions == ["alice"]

    status, body = await send(http, "DELETE", url)
    assert status == 400
    assert "customer_id" in body["error"]
    assert (await send(http, "GET", url, params={"customer_id": "bob"}))[0] == 405
    assert len(fake.logs()) == 3


async def test_record_logs_off_keeps_no_turns(http: aiohttp.ClientSession) -> None:
    clock = ManualClock(T0)
    async with FakeAssistant(auth=False, clock=clock, record_logs=False) as fake:
        chat = Chat(http, fake, clock)
        await chat.stateful("hello")
        await chat.stateless("menu")
        assert fake.logs() == []
        assert texts(await list_logs(http, fake)) == []
