"""FakeAssistant: the scripted bot, stateful and stateless, context options."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from fakes import scoped

from watson_async.testing import FakeAssistant
from watson_async.testing._script import GREETING_TEXT

VERSION = {"version": "2024-08-25"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(auth=False) as fake:
        yield fake


async def post(http: aiohttp.ClientSession, url: str, body: Any = None) -> Any:
    async with http.post(url, params=VERSION, json=body) as resp:
        assert resp.status in (200, 201), await resp.text()
        return await resp.json()


class Stateful:
    def __init__(self, http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
        self.http = http
        self.fake = fake
        self.sid = ""

    async def open(self) -> Stateful:
        self.sid = (await post(self.http, scoped(self.fake, "/sessions")))["session_id"]
        return self

    async def say(self, text: str, **extra: Any) -> Any:
        body: dict[str, Any] = {"input": {"text": text, **extra.pop("input", {})}, **extra}
        return await post(self.http, scoped(self.fake, f"/sessions/{self.sid}/message"), body)


def texts(reply: Any) -> list[str]:
    return [g["text"] for g in reply["output"]["generic"] if g["response_type"] == "text"]


async def test_book_a_trip_conversation(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    reply = await chat.say("Hello")
    assert texts(reply) == [GREETING_TEXT]
    assert reply["output"]["intents"][0]["intent"] == "greeting"
    assert 0 < reply["output"]["intents"][0]["confidence"] <= 1
    assert reply["output"]["entities"] == []
    assert "context" not in reply
    assert reply["user_id"] == chat.sid

    reply = await chat.say("book a trip")
    assert texts(reply) == ["Where would you like to go?"]
    assert reply["output"]["intents"][0]["intent"] == "book_trip"

    reply = await chat.say("Paris", input={"options": {"return_context": True}})
    assert texts(reply) == ["Booked a trip to Paris."]
    context = reply["context"]
    assert context["skills"]["actions skill"]["skill_variables"] == {"destination": "Paris"}
    assert context["global"]["session_id"] == chat.sid
    assert context["global"]["system"]["turn_count"] == 3
    assert "state" not in context["skills"]["actions skill"].get("system", {})

    reply = await chat.say("Rome")  # the action ended: this is an echo now
    assert texts(reply) == ["You said: Rome"]
    assert reply["output"]["intents"][0]["intent"] == "echo"


async def test_empty_text_is_greeting(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    reply = await post(http, scoped(fake, f"/sessions/{chat.sid}/message"), {})
    assert texts(reply) == [GREETING_TEXT]
    reply = await post(http, scoped(fake, f"/sessions/{chat.sid}/message"))
    assert texts(reply) == [GREETING_TEXT]


async def test_menu_agent_pause_echo(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    option = (await chat.say("menu"))["output"]["generic"][0]
    assert option["response_type"] == "option"
    assert option["title"] == "What would you like to do?"
    assert [o["label"] for o in option["options"]] == ["Book a trip", "Talk to an agent"]
    follow = option["options"][0]["value"]["input"]["text"]
    assert texts(await chat.say(follow)) == ["Where would you like to go?"]
    await chat.say("Oslo")

    agent = (await chat.say("Talk to an agent"))["output"]["generic"][0]
    assert agent["response_type"] == "connect_to_agent"
    assert agent["message_to_human_agent"]
    assert agent["agent_available"]["message"]
    assert agent["agent_unavailable"]["message"]
    assert agent["transfer_info"] == {"target": {}}

    generic = (await chat.say("pause"))["output"]["generic"]
    assert generic[0] == {"response_type": "pause", "time": 500, "typing": True}
    assert generic[1]["response_type"] == "text"

    reply = await chat.say("I need 2 tickets for 3.5 days")
    assert texts(reply) == ["You said: I need 2 tickets for 3.5 days"]
    entities = reply["output"]["entities"]
    assert [(e["entity"], e["value"], e["location"]) for e in entities] == [
        ("sys-number", "2", [7, 8]),
        ("sys-number", "3.5", [21, 24]),
    ]
    assert all(e["confidence"] == 1.0 for e in entities)


async def test_alternate_intents(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    reply = await chat.say("menu", input={"options": {"alternate_intents": True}})
    intents = reply["output"]["intents"]
    assert intents[0]["intent"] == "menu"
    assert len(intents) >= 3
    confidences = [i["confidence"] for i in intents]
    assert confidences == sorted(confidences, reverse=True)


async def test_user_id_and_context(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    reply = await chat.say("hi", user_id="user-1", input={"options": {"return_context": True}})
    assert reply["user_id"] == "user-1"
    assert reply["context"]["global"]["system"]["user_id"] == "user-1"
    chat2 = await Stateful(http, fake).open()
    reply = await chat2.say("hi", context={"global": {"system": {"user_id": "user-2"}}})
    assert reply["user_id"] == "user-2"


async def test_debug_output(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    reply = await chat.say("book a trip", input={"options": {"debug": True}})
    debug = reply["output"]["debug"]
    assert debug["log_messages"] == []
    assert debug["nodes_visited"][0]["dialog_node"] == "node_book_trip"
    events = [e["event"] for e in debug["turn_events"]]
    assert events == ["action_visited", "step_visited"]
    assert debug["branch_exited"] is False
    reply = await chat.say("Lima", input={"options": {"debug": True}})
    assert [e["event"] for e in reply["output"]["debug"]["turn_events"]] == [
        "step_answered",
        "action_finished",
    ]
    assert "debug" not in (await chat.say("hi"))["output"]


def decode_state(state: str) -> Any:
    return json.loads(base64.b64decode(state))


async def test_export_and_restore(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    chat = await Stateful(http, fake).open()
    await chat.say("hi")
    reply = await chat.say("book a trip", input={"options": {"export": True}})
    skills = reply["context"]["skills"]
    state = skills["actions skill"]["system"]["state"]
    assert skills["main skill"]["system"]["state"] == state
    assert decode_state(state)["action"] == "book_trip"

    # A new session restored from the exported state resumes the action.
    restored = await Stateful(http, fake).open()
    context = {"skills": {"actions skill": {"system": {"state": state}}}}
    reply = await restored.say(
        "Tokyo", context=context, input={"options": {"return_context": True}}
    )
    assert texts(reply) == ["Booked a trip to Tokyo."]
    assert reply["context"]["global"]["session_id"] == restored.sid
    assert reply["context"]["global"]["system"]["turn_count"] == 3
    assert reply["context"]["skills"]["actions skill"]["skill_variables"] == {
        "destination": "Tokyo"
    }


async def test_stateless_threads_context(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    url = scoped(fake, "/message")
    first = await post(http, url, {"input": {"text": "hi"}})
    assert texts(first) == [GREETING_TEXT]
    ctx = first["context"]
    sid = ctx["global"]["session_id"]
    assert sid
    assert ctx["global"]["system"]["turn_count"] == 1
    assert ctx["global"]["system"]["session_start_time"].endswith("Z")
    assert ctx["skills"]["actions skill"]["system"]["state"]
    assert ctx["skills"]["actions skill"]["skill_variables"] == {}
    assert first["user_id"] == sid

    second = await post(http, url, {"input": {"text": "book a trip"}, "context": ctx})
    assert texts(second) == ["Where would you like to go?"]
    ctx = second["context"]
    assert ctx["global"]["session_id"] == sid
    assert ctx["global"]["system"]["turn_count"] == 2

    third = await post(http, url, {"input": {"text": "Berlin"}, "context": ctx, "user_id": "u"})
    assert texts(third) == ["Booked a trip to Berlin."]
    ctx = third["context"]
    assert ctx["global"]["system"]["turn_count"] == 3
    assert ctx["global"]["system"]["user_id"] == "u"
    assert ctx["skills"]["actions skill"]["skill_variables"] == {"destination": "Berlin"}
    assert third["user_id"] == "u"
    assert fake.sessions == frozenset()  # stateless keeps nothing server-side


async def test_stateless_garbage_state_starts_fresh(
    http: aiohttp.ClientSession, fake: FakeAssistant
) -> None:
    url = scoped(fake, "/message")
    for state in ("!!!not base64", base64.b64encode(b"[1,2]").decode(), ""):
        ctx = {
            "global": {"session_id": "keep-me"},
            "skills": {"actions skill": {"system": {"state": state}}},
        }
        reply = await post(http, url, {"input": {"text": "Paris"}, "context": ctx})
        assert texts(reply) == ["You said: Paris"]
        assert reply["context"]["global"]["system"]["turn_count"] == 1
        assert reply["context"]["global"]["session_id"] == "keep-me"


async def test_stateless_export_and_debug(http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
    reply = await post(
        http,
        scoped(fake, "/message"),
        {"input": {"text": "menu", "options": {"export": True, "debug": True}}},
    )
    skills = reply["context"]["skills"]
    assert skills["main skill"]["system"]["state"] == skills["actions skill"]["system"]["state"]
    assert reply["output"]["debug"]["turn_events"][0]["event"] == "action_visited"


async def test_user_defined_context_round_trips(
    http: aiohttp.ClientSession, fake: FakeAssistant
) -> None:
    ctx = {"skills": {"main skill": {"user_defined": {"account": 42}}}}
    reply = await post(http, scoped(fake, "/message"), {"input": {"text": "hi"}, "context": ctx})
    assert reply["context"]["skills"]["main skill"]["user_defined"] == {"account": 42}
    reply = await post(
        http, scoped(fake, "/message"), {"input": {"text": "hi"}, "context": reply["context"]}
    )
    assert reply["context"]["skills"]["main skill"]["user_defined"] == {"account": 42}
