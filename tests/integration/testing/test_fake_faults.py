"""FakeAssistant: rate limits, standard headers, fault injection, latency, recording."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest
from fakes import ManualClock as Clock

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}
T0 = 1_699_999_990.0  # 10 s into a 60 s window (1_699_999_980 is a multiple of 60)


def sessions_url(fake: FakeAssistant) -> str:
    return (
        f"{fake.service_url}/v2/assistants/{fake.assistant_id}"
        f"/environments/{fake.environment_id}/sessions"
    )


async def create(http: aiohttp.ClientSession, fake: FakeAssistant) -> aiohttp.ClientResponse:
    async with http.post(sessions_url(fake), params=VERSION) as resp:
        await resp.read()
        return resp


async def test_rate_limit(http: aiohttp.ClientSession) -> None:
    clock = Clock(T0)
    async with FakeAssistant(auth=False, clock=clock, rate_limit=2) as fake:
        window_end = (int(clock.now) // 60 + 1) * 60
        first = await create(http, fake)
        assert first.status == 201
        assert first.headers["X-RateLimit-Limit"] == "2"
        assert first.headers["X-RateLimit-Remaining"] == "1"
        assert first.headers["X-RateLimit-Reset"] == str(window_end)
        second = await create(http, fake)
        assert (second.status, second.headers["X-RateLimit-Remaining"]) == (201, "0")

        async with http.post(sessions_url(fake), params=VERSION) as third:
            assert third.status == 429
            assert await third.json() == {"error": "Rate limit exceeded", "code": 429}
            assert third.headers["X-RateLimit-Limit"] == "2"
            assert third.headers["X-RateLimit-Remaining"] == "0"
            assert third.headers["X-RateLimit-Reset"] == str(window_end)
            assert "Retry-After" not in third.headers
            assert third.headers["X-Global-Transaction-Id"]

        # Another endpoint has its own budget.
        async with http.get(f"{fake.service_url}/v2/assistants", params=VERSION) as other:
            assert other.status == 200
            assert other.headers["X-RateLimit-Remaining"] == "1"

        clock.now = window_end  # a new window
        fourth = await create(http, fake)
        assert fourth.status == 201
        assert fourth.headers["X-RateLimit-Remaining"] == "1"
        assert fourth.headers["X-RateLimit-Reset"] == str(window_end + 60)


async def test_rate_limit_retry_after(http: aiohttp.ClientSession) -> None:
    clock = Clock(T0)
    async with FakeAssistant(
        auth=False, clock=clock, rate_limit=1, retry_after_header=True
    ) as fake:
        assert (await create(http, fake)).status == 201
        limited = await create(http, fake)
        assert limited.status == 429
        assert limited.headers["Retry-After"] == "50"


async def test_rate_limit_headers_can_be_omitted(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, rate_limit=0, rate_limit_headers=False) as fake:
        limited = await create(http, fake)
        assert limited.status == 429
        assert "X-RateLimit-Limit" not in limited.headers


async def test_standard_headers_everywhere(http: aiohttp.ClientSession) -> None:
    clock = Clock(T0)
    async with FakeAssistant(clock=clock) as fake:
        responses = []
        async with http.post(fake.iam_url, data={"grant_type": "x"}) as r:  # IAM error
            responses.append(r)
        async with http.post(
            fake.iam_url,
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": fake.apikey},
        ) as r:  # IAM success
            token = (await r.json())["access_token"]
            responses.append(r)
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(sessions_url(fake), params=VERSION) as r:  # 401
            responses.append(r)
        async with http.post(sessions_url(fake), headers=auth) as r:  # 400
            responses.append(r)
        async with http.post(sessions_url(fake), params=VERSION, headers=auth) as r:  # 201
            responses.append(r)
        async with http.get(f"{fake.url}/nowhere") as r:  # 404
            responses.append(r)
        ids = set()
        for resp in responses:
            ids.add(resp.headers["X-Global-Transaction-Id"])
            assert parsedate_to_datetime(resp.headers["Date"]).timestamp() == int(clock.now)
        assert len(ids) == len(responses)
        for resp in responses[2:5]:  # v2 routes
            assert resp.headers["X-RateLimit-Limit"]
            assert resp.headers["X-RateLimit-Remaining"]
            assert int(resp.headers["X-RateLimit-Reset"]) > clock.now
        assert [r.status for r in responses] == [400, 200, 401, 400, 201, 404]


async def test_enqueue_error_json(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        fake.enqueue_error(
            503,
            body={"error": "busy", "code": 503},
            headers={"Retry-After": "3"},
            path_contains="/sessions",
            times=2,
        )
        # Non-matching requests pass through.
        async with http.get(f"{fake.service_url}/v2/assistants", params=VERSION) as r:
            assert r.status == 200
        for _ in range(2):
            async with http.post(sessions_url(fake), params=VERSION) as r:
                assert r.status == 503
                assert r.content_type == "application/json"
                assert await r.json() == {"error": "busy", "code": 503}
                assert r.headers["Retry-After"] == "3"
                assert r.headers["X-Global-Transaction-Id"]
                assert r.headers["Date"]
                assert "X-RateLimit-Limit" not in r.headers
        assert fake.pending_faults == 0
        assert (await create(http, fake)).status == 201
        assert len(fake.sessions) == 1


async def test_enqueue_error_text_and_default(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        fake.enqueue_error(429, body="Too Many Requests", method="post")
        fake.enqueue_error(
            502, body=b"<html>bad gateway</html>", headers={"X-Global-Transaction-Id": "mine"}
        )
        fake.enqueue_error(500)
        async with http.post(sessions_url(fake), params=VERSION) as r:
            assert r.status == 429
            assert r.content_type == "text/plain"
            assert await r.text() == "Too Many Requests"
        async with http.post(sessions_url(fake), params=VERSION) as r:
            assert r.status == 502
            assert await r.read() == b"<html>bad gateway</html>"
            assert r.headers["X-Global-Transaction-Id"] == "mine"
        async with http.post(sessions_url(fake), params=VERSION) as r:
            assert r.status == 500
            assert await r.json() == {"error": "Internal Server Error", "code": 500}


async def test_enqueue_error_on_iam(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        fake.enqueue_error(500, path_contains="/identity/token")
        data = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": fake.apikey}
        async with http.post(fake.iam_url, data=data) as r:
            assert r.status == 500
        async with http.post(fake.iam_url, data=data) as r:
            assert r.status == 200
        assert fake.iam_calls == 2


async def test_enqueue_disconnect(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        fake.enqueue_disconnect(method="POST", path_contains="/sessions")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await create(http, fake)
        assert (await create(http, fake)).status == 201
        assert len(fake.requests) == 2


async def test_enqueue_delay_and_latency(http: aiohttp.ClientSession) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async with FakeAssistant(auth=False, latency=0.25, sleep=fake_sleep) as fake:
        fake.enqueue_delay(30.0, path_contains="/sessions")
        assert (await create(http, fake)).status == 201
        assert slept == [0.25, 30.0]
        assert (await create(http, fake)).status == 201
        assert slept == [0.25, 30.0, 0.25]


async def test_requests_recorded(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        sid = (await (await http.post(sessions_url(fake), params=VERSION)).json())["session_id"]
        url = f"{sessions_url(fake)}/{sid}/message"
        body: dict[str, Any] = {"input": {"text": "hi"}}
        async with http.post(url, params=VERSION, json=body, headers={"X-Test": "1"}) as r:
            assert r.status == 200
        first, second = fake.requests
        assert first.method == "POST"
        assert first.json is None
        assert first.body == b""
        assert second.path.endswith(f"/sessions/{sid}/message")
        assert second.query == VERSION
        assert second.json == body
        assert second.header("x-test") == "1"
        assert second.headers["X-Test"] == "1"
        assert fake.requests_to("/message", method="post") == [second]
        fake.clear_requests()
        assert fake.requests == []


async def test_recording_can_be_disabled(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, record_requests=False) as fake:
        assert (await create(http, fake)).status == 201
        assert fake.requests == []
