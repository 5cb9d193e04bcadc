"""FakeAssistant: IAM token endpoint, v2 authorization and the version parameter."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from fakes import ManualClock as Clock

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}
GRANT = "urn:ibm:params:oauth:grant-type:apikey"


async def get_token(http: aiohttp.ClientSession, fake: FakeAssistant, **form: str) -> Any:
    data = {"grant_type": GRANT, "apikey": fake.apikey, "response_type": "cloud_iam", **form}
    async with http.post(fake.iam_url, data=data) as resp:
        assert resp.status == 200
        return await resp.json()


def jwt_payload(token: str) -> Any:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_iam_success_token_shape(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with FakeAssistant(clock=clock, token_lifetime=1200) as fake:
        body = await get_token(http, fake)
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 1200
        assert body["expiration"] == int(clock.now) + 1200
        assert body["scope"] == "ibm openid"
        assert body["refresh_token"]
        payload = jwt_payload(body["access_token"])
        assert payload["iat"] == int(clock.now)
        assert payload["exp"] == int(clock.now) + 1200
        assert fake.iam_calls == 1
        assert fake.tokens_issued == 1
        recorded = fake.requests[-1]
        assert recorded.path == "/identity/token"
        assert recorded.form["apikey"] == fake.apikey
        assert recorded.json is None


async def test_iam_unknown_key(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        data = {"grant_type": GRANT, "apikey": "nope"}
        async with http.post(fake.iam_url, data=data) as resp:
            assert resp.status == 400
            assert resp.headers["X-Global-Transaction-Id"]
            assert "Date" in resp.headers
            body = await resp.json()
        assert body["errorCode"] == "BXNIM0415E"
        assert body["errorMessage"] == "Provided API key could not be found."
        assert isinstance(body["context"], dict)
        assert fake.iam_calls == 1
        assert fake.tokens_issued == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"grant_type": GRANT}, "BXNIM0109E"),
        ({"apikey": "fake-apikey"}, "BXNIM0109E"),
        ({"grant_type": "password", "apikey": "fake-apikey"}, "BXNIM0103E"),
        ({"grant_type": "refresh_token", "refresh_token": "bogus"}, "BXNIM0407E"),
    ],
)
async def test_iam_bad_requests(
    http: aiohttp.ClientSession, data: dict[str, str], code: str
) -> None:
    async with FakeAssistant() as fake, http.post(fake.iam_url, data=data) as resp:
        assert resp.status == 400
        assert (await resp.json())["errorCode"] == code


async def test_iam_refresh_grant(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        first = await get_token(http, fake)
        data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        async with http.post(fake.iam_url, data=data) as resp:
            assert resp.status == 200
            second = await resp.json()
        assert second["access_token"] != first["access_token"]
        assert fake.iam_calls == 2


async def sessions_call(
    http: aiohttp.ClientSession,
    fake: FakeAssistant,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    url = (
        f"{fake.service_url}/v2/assistants/{fake.assistant_id}"
        f"/environments/{fake.environment_id}/sessions"
    )
    async with http.post(url, params=VERSION if params is None else params, headers=headers) as r:
        return r.status, await r.json()


async def test_bearer_token_accepted(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        token = (await get_token(http, fake))["access_token"]
        status, body = await sessions_call(http, fake, {"Authorization": f"Bearer {token}"})
        assert status == 201
        assert body["session_id"] in fake.sessions


async def test_missing_and_unknown_token_401(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        assert await sessions_call(http, fake) == (401, {"code": 401, "error": "Unauthorized"})
        status, _ = await sessions_call(http, fake, {"Authorization": "Bearer not.a.token"})
        assert status == 401
        status, _ = await sessions_call(http, fake, {"Authorization": "Token abc"})
        assert status == 401


async def test_expired_token_401(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with FakeAssistant(clock=clock, token_lifetime=60) as fake:
        token = (await get_token(http, fake))["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        clock.now += 59
        assert (await sessions_call(http, fake, auth))[0] == 201
        clock.now += 1
        assert (await sessions_call(http, fake, auth))[0] == 401


async def test_revoke_tokens(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        auth = {"Authorization": f"Bearer {fake.issue_token()}"}
        assert (await sessions_call(http, fake, auth))[0] == 201
        fake.revoke_tokens()
        assert (await sessions_call(http, fake, auth))[0] == 401


async def test_basic_auth(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(apikey="s3cret") as fake:
        good = base64.b64encode(b"apikey:s3cret").decode()
        bad = base64.b64encode(b"apikey:wrong").decode()
        assert (await sessions_call(http, fake, {"Authorization": f"Basic {good}"}))[0] == 201
        assert (await sessions_call(http, fake, {"Authorization": f"Basic {bad}"}))[0] == 401


async def test_auth_disabled(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        assert (await sessions_call(http, fake))[0] == 201


async def test_missing_version_400(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body = await sessions_call(http, fake, params={})
        assert status == 400
        assert body == {"error": "Missing required query parameter `version`", "code": 400}


async def test_service_urls() -> None:
    fake = FakeAssistant(assistant_id="a1", environment_id="e1", apikey="k")
    with pytest.raises(RuntimeError):
        _ = fake.service_url
    await fake.start()
    try:
        assert fake.port > 0
        assert fake.service_url == f"http://127.0.0.1:{fake.port}/instances/fake-instance"
        assert fake.iam_url == f"http://127.0.0.1:{fake.port}/identity/token"
        assert (fake.apikey, fake.assistant_id, fake.environment_id) == ("k", "a1", "e1")
        with pytest.raises(RuntimeError):
            await fake.start()
    finally:
        await fake.stop()
    await fake.stop()  # idempotent
    assert not fake.started
