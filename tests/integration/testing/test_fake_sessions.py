"""FakeAssistant: sessions, request validation and session expiry."""

from __future__ import annotations

from typing import Any

import aiohttp
from fakes import ManualClock as Clock
from fakes import scoped

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}


async def call(
    http: aiohttp.ClientSession, method: str, url: str, body: Any = None, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, url, params=VERSION, json=body, **kwargs) as resp:
        raw = await resp.read()
        return resp.status, (await resp.json() if raw else None)


async def test_create_and_delete_session(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body = await call(http, "POST", scoped(fake, "/sessions"))
        assert status == 201
        sid = body["session_id"]
        assert set(body) == {"session_id"}
        assert fake.sessions == frozenset({sid})
        async with http.delete(scoped(fake, f"/sessions/{sid}"), params=VERSION) as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        assert fake.sessions == frozenset()
        status, body = await call(http, "DELETE", scoped(fake, f"/sessions/{sid}"))
        assert (status, body) == (404, {"error": "Invalid Session", "code": 404})


async def test_classic_paths(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        base = f"{fake.service_url}/v2/assistants"
        for ident in (fake.assistant_id, fake.environment_id):
            status, body = await call(http, "POST", f"{base}/{ident}/sessions")
            assert status == 201
            sid = body["session_id"]
            status, reply = await call(
                http, "POST", f"{base}/{ident}/sessions/{sid}/message", {"input": {"text": "hi"}}
            )
            assert status == 200
            assert reply["output"]["intents"][0]["intent"] == "greeting"
            status, reply = await call(
                http, "POST", f"{base}/{ident}/message", {"input": {"text": "hi"}}
            )
            assert status == 200
            status, _ = await call(http, "DELETE", f"{base}/{ident}/sessions/{sid}")
            assert status == 200


async def test_unknown_assistant_and_environment(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        base = f"{fake.service_url}/v2/assistants"
        not_found = (404, {"error": "Resource not found", "code": 404})
        assert await call(http, "POST", f"{base}/nope/sessions") == not_found
        assert await call(http, "POST", f"{base}/nope/environments/x/sessions") == not_found
        eid_wrong = f"{base}/{fake.assistant_id}/environments/nope/sessions"
        assert await call(http, "POST", eid_wrong) == not_found
        # The draft environment works too.
        draft = f"{base}/{fake.assistant_id}/environments/{fake.draft_environment_id}/sessions"
        assert (await call(http, "POST", draft))[0] == 201
        # Unknown route / instance / method.
        assert (await call(http, "GET", f"{base}/{fake.assistant_id}/nothing"))[0] == 404
        other = fake.service_url.replace("fake-instance", "other")
        assert (await call(http, "GET", f"{other}/v2/assistants"))[0] == 404
        assert (await call(http, "GET", scoped(fake, "/sessions")))[0] == 405


async def test_session_expiry_and_refresh(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with FakeAssistant(auth=False, clock=clock, session_timeout=300) as fake:
        sid = (await call(http, "POST", scoped(fake, "/sessions")))[1]["session_id"]
        msg = scoped(fake, f"/sessions/{sid}/message")
        clock.now += 299
        assert (await call(http, "POST", msg, {"input": {"text": "hi"}}))[0] == 200
        clock.now += 299  # the turn refreshed the inactivity timer
        assert (await call(http, "POST", msg, {"input": {"text": "hi"}}))[0] == 200
        clock.now += 300
        assert sid not in fake.sessions
        status, body = await call(http, "POST", msg, {"input": {"text": "hi"}})
        assert (status, body) == (404, {"error": "Invalid Session", "code": 404})


async def test_expire_session(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = (await call(http, "POST", scoped(fake, "/sessions")))[1]["session_id"]
        assert fake.expire_session(sid)
        assert not fake.expire_session(sid)
        status, _ = await call(http, "POST", scoped(fake, f"/sessions/{sid}/message"), {})
        assert status == 404
        status, _ = await call(http, "POST", scoped(fake, "/sessions/unknown/message"), {})
        assert status == 404


async def test_analytics_recorded(http: aiohttp.ClientSession) -> None:
    analytics = {"browser": "Firefox", "device": "Desktop", "pageUrl": "https://x/"}
    async with FakeAssistant(auth=False) as fake:
        _, body = await call(http, "POST", scoped(fake, "/sessions"), {"analytics": analytics})
        sid = body["session_id"]
        await call(
            http,
            "POST",
            scoped(fake, f"/sessions/{sid}/message"),
            {"input": {"text": "hi"}, "analytics": analytics},
        )
        await call(http, "POST", scoped(fake, "/message"), {"input": {"analytics": analytics}})
        events = [(a.event, a.analytics) for a in fake.analytics]
        assert events == [
            ("create_session", analytics),
            ("message", analytics),
            ("message_stateless", analytics),
        ]
        assert fake.analytics[0].session_id == sid
        assert fake.analytics[0].assistant_id == fake.assistant_id


async def test_invalid_bodies(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = (await call(http, "POST", scoped(fake, "/sessions")))[1]["session_id"]
        msg = scoped(fake, f"/sessions/{sid}/message")
        headers = {"Content-Type": "application/json"}
        async with http.post(msg, params=VERSION, data=b"{nope", headers=headers) as resp:
            assert resp.status == 400
            body = await resp.json()
        assert body["error"] == "Invalid Request Body"
        assert body["code"] == 400
        assert body["errors"][0]["message"]
        assert "path" in body["errors"][0]
        assert fake.requests[-1].json is None
        assert fake.requests[-1].body == b"{nope"

        status, body = await call(http, "POST", msg, [1, 2])
        assert status == 400
        assert body["error"] == "Invalid Request Body"

        for text in ("x" * 2049, "a\nb", "a\rb", "a\tb"):
            status, body = await call(http, "POST", msg, {"input": {"text": text}})
            assert status == 400, text
            assert body["errors"][0]["path"] == "input.text"
        assert (await call(http, "POST", msg, {"input": {"text": "x" * 2048}}))[0] == 200

        status, body = await call(http, "POST", msg, {"input": {"text": 5}})
        assert body["errors"][0]["path"] == "input.text"
        status, body = await call(http, "POST", msg, {"user_id": "u" * 257})
        assert (status, body["errors"][0]["path"]) == (400, "user_id")
        status, body = await call(http, "POST", msg, {"context": "x"})
        assert (status, body["errors"][0]["path"]) == (400, "context")
        status, body = await call(http, "POST", scoped(fake, "/message"), {"input": []})
        assert (status, body["errors"][0]["path"]) == (400, "input")


async def test_session_info(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = (await call(http, "POST", scoped(fake, "/sessions")))[1]["session_id"]
        await call(http, "POST", scoped(fake, f"/sessions/{sid}/message"), {"user_id": "u1"})
        info = fake.session_info(sid)
        assert info is not None
        assert info["turn_count"] == 1
        assert info["user_id"] == "u1"
        assert info["assistant_id"] == fake.assistant_id
        assert fake.session_info("nope") is None
