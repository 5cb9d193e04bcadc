"""FakeAssistant: auth counters, IAM/CP4D outages, key rotation and the CP4D endpoint."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from fakes import ManualClock as Clock
from fakes import scoped

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}
GRANT = "urn:ibm:params:oauth:grant-type:apikey"


def jwt_payload(token: str) -> Any:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def iam(
    http: aiohttp.ClientSession, fake: FakeAssistant, apikey: str | None = None
) -> tuple[int, Any]:
    data = {"grant_type": GRANT, "apikey": fake.apikey if apikey is None else apikey}
    async with http.post(fake.iam_url, data=data) as resp:
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.text()


async def iam_token(http: aiohttp.ClientSession, fake: FakeAssistant) -> str:
    status, body = await iam(http, fake)
    assert status == 200
    token: str = body["access_token"]
    return token


async def cp4d(
    http: aiohttp.ClientSession, fake: FakeAssistant, body: Any = None, *, raw: bytes = b""
) -> tuple[int, Any]:
    url = f"{fake.cp4d_url}/v1/authorize"
    if body is not None:
        raw = json.dumps(body).encode()
    async with http.post(url, data=raw, headers={"Content-Type": "application/json"}) as resp:
        return resp.status, await resp.json()


async def create(http: aiohttp.ClientSession, fake: FakeAssistant, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else None
    async with http.post(scoped(fake, "/sessions"), params=VERSION, headers=headers) as resp:
        await resp.read()
        return resp.status


# ---------------------------------------------------------------- counters, lifetimes


async def test_unauthorized_and_expired_counters(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with FakeAssistant(clock=clock, token_lifetime=2.0) as fake:
        status, body = await iam(http, fake)
        assert status == 200
        assert body["expires_in"] == 2
        assert isinstance(body["expires_in"], int)
        assert body["expiration"] == int(clock.now) + 2
        token = body["access_token"]
        assert await create(http, fake, token) == 201
        clock.advance(1.5)
        assert await create(http, fake, token) == 201
        assert (fake.unauthorized_responses, fake.expired_token_requests) == (0, 0)

        clock.advance(0.5)  # expiry is exclusive
        assert await create(http, fake, token) == 401
        assert (fake.unauthorized_responses, fake.expired_token_requests) == (1, 1)
        assert await create(http, fake) == 401  # no credentials
        assert await create(http, fake, "not.a.token") == 401  # unknown
        assert (fake.unauthorized_responses, fake.expired_token_requests) == (3, 1)

        # An injected 401 is not the fake's own decision: not counted.
        fake.enqueue_error(401, path_contains="/sessions")
        assert await create(http, fake, await iam_token(http, fake)) == 401
        assert fake.unauthorized_responses == 3
        # Revoked tokens are unknown, not expired.
        fake.revoke_tokens()
        assert await create(http, fake, token) == 401
        assert (fake.unauthorized_responses, fake.expired_token_requests) == (4, 1)
        assert fake.iam_calls == fake.token_requests == 2
        assert fake.cp4d_calls == 0


async def test_expired_counted_on_arrival_whatever_the_outcome(
    http: aiohttp.ClientSession,
) -> None:
    clock = Clock()
    async with FakeAssistant(auth=False, clock=clock, token_lifetime=10) as fake:
        token = fake.issue_token()
        clock.advance(10)
        assert await create(http, fake, token) == 201  # auth off: accepted, still counted
        fake.enqueue_error(503)
        assert await create(http, fake, token) == 503
        assert fake.expired_token_requests == 2
        assert fake.unauthorized_responses == 0


async def test_fractional_lifetime_and_clock(http: aiohttp.ClientSession) -> None:
    clock = Clock(1_700_000_000.25)
    async with FakeAssistant(clock=clock, token_lifetime=2.5) as fake:
        status, body = await iam(http, fake)
        assert status == 200
        assert body["expires_in"] == 2.5
        assert body["expiration"] == 1_700_000_002.75
        claims = jwt_payload(body["access_token"])
        assert (claims["iat"], claims["exp"]) == (1_700_000_000.25, 1_700_000_002.75)
        clock.now = 1_700_000_002.7
        assert await create(http, fake, body["access_token"]) == 201
        clock.now = 1_700_000_002.75
        assert await create(http, fake, body["access_token"]) == 401
        assert fake.expired_token_requests == 1


# ---------------------------------------------------------------- IAM outages


async def test_iam_outage_until(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with FakeAssistant(clock=clock) as fake:
        fake.iam_outage(status=503, until=clock.now + 10)
        assert fake.iam_outage_active
        for _ in range(3):
            status, body = await iam(http, fake)
            assert status == 503
            assert body["errorCode"] == "BXNIM0001E"
            assert body["errorMessage"] == "Service Unavailable."
            assert isinstance(body["context"], dict)
        clock.advance(9.9)
        assert (await iam(http, fake))[0] == 503
        clock.advance(0.1)
        assert not fake.iam_outage_active
        assert (await iam(http, fake))[0] == 200
        assert fake.iam_calls == 5
        assert fake.tokens_issued == 1


async def test_iam_outage_times_with_body_and_headers(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        fake.iam_outage(
            status=429, times=2, body={"errorCode": "BXNIM0429E"}, headers={"Retry-After": "7"}
        )
        for _ in range(2):
            async with http.post(
                fake.iam_url, data={"grant_type": GRANT, "apikey": fake.apikey}
            ) as resp:
                assert resp.status == 429
                assert resp.headers["Retry-After"] == "7"
                assert resp.headers["X-Global-Transaction-Id"]
                assert await resp.json() == {"errorCode": "BXNIM0429E"}
        assert not fake.iam_outage_active
        assert (await iam(http, fake))[0] == 200

        fake.iam_outage(times=1, body="upstream down")
        assert await iam(http, fake) == (500, "upstream down")
        assert (await iam(http, fake))[0] == 200


async def test_iam_outage_until_recover(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with FakeAssistant(clock=clock) as fake:
        fake.iam_outage()
        clock.advance(86_400)
        status, body = await iam(http, fake)
        assert status == 500
        assert body["errorMessage"] == "Internal Server Error."
        # Neither CP4D nor the v2 routes are affected.
        assert (await cp4d(http, fake, {"username": "admin", "password": "password"}))[0] == 200
        assert await create(http, fake, fake.issue_token()) == 201
        fake.iam_recover()
        fake.iam_recover()  # idempotent
        assert not fake.iam_outage_active
        assert (await iam(http, fake))[0] == 200


async def test_iam_outage_replaced_by_new_call(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        fake.iam_outage(status=500)
        fake.iam_outage(status=502, times=1)
        assert (await iam(http, fake))[0] == 502
        assert (await iam(http, fake))[0] == 200


@pytest.mark.parametrize("kwargs", [{"disconnect": True}, {"status": 0}])
async def test_iam_outage_disconnect(http: aiohttp.ClientSession, kwargs: Any) -> None:
    async with FakeAssistant() as fake:
        fake.iam_outage(times=2, **kwargs)
        for _ in range(2):
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await iam(http, fake)
        assert (await iam(http, fake))[0] == 200
        assert fake.iam_calls == 3


@pytest.mark.parametrize("kwargs", [{"status": 42}, {"status": 600}, {"times": 0}, {"times": -1}])
def test_outage_arguments_checked(kwargs: Any) -> None:
    fake = FakeAssistant()
    with pytest.raises(ValueError, match=r"status|times"):
        fake.iam_outage(**kwargs)
    with pytest.raises(ValueError, match=r"status|times"):
        fake.cp4d_outage(**kwargs)


async def test_delay_on_iam(http: aiohttp.ClientSession) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async with FakeAssistant(sleep=fake_sleep) as fake:
        fake.enqueue_delay(5.0, path_contains="/identity/token")
        assert await create(http, fake, fake.issue_token()) == 201  # not matched
        assert slept == []
        assert (await iam(http, fake))[0] == 200
        assert slept == [5.0]
        # A delay comes before an outage's answer.
        fake.enqueue_delay(3.0, path_contains="/identity/token")
        fake.iam_outage(times=1)
        assert (await iam(http, fake))[0] == 500
        assert slept == [5.0, 3.0]
        assert fake.pending_faults == 0


# ---------------------------------------------------------------- key rotation


async def test_rotate_apikey(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(apikey="old-key") as fake:
        token = await iam_token(http, fake)
        fake.rotate_apikey("new-key")
        assert fake.apikey == "new-key"
        status, body = await iam(http, fake, "old-key")
        assert status == 400
        assert body["errorCode"] == "BXNIM0415E"
        assert (await iam(http, fake, "new-key"))[0] == 200
        assert await create(http, fake, token) == 201  # issued tokens survive

        old = base64.b64encode(b"apikey:old-key").decode()
        new = base64.b64encode(b"apikey:new-key").decode()
        url = scoped(fake, "/sessions")
        async with http.post(url, params=VERSION, headers={"Authorization": f"Basic {old}"}) as r:
            assert r.status == 401
        async with http.post(url, params=VERSION, headers={"Authorization": f"Basic {new}"}) as r:
            assert r.status == 201

        fake.rotate_apikey("newer-key", revoke=True)
        assert await create(http, fake, token) == 401
        assert (await iam(http, fake, "new-key"))[0] == 400


# ---------------------------------------------------------------- CP4D


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "admin", "password": "password"},
        {"username": "admin", "api_key": "cp4d-apikey"},
    ],
)
async def test_cp4d_authorize(http: aiohttp.ClientSession, credentials: dict[str, str]) -> None:
    clock = Clock()
    async with FakeAssistant(clock=clock, token_lifetime=2.0) as fake:
        assert fake.cp4d_url == fake.url
        status, body = await cp4d(http, fake, credentials)
        assert status == 200
        assert body["_messageCode_"] == "200"
        assert body["message"] == "Success"
        claims = jwt_payload(body["token"])
        assert claims["iat"] == int(clock.now)
        assert claims["exp"] == int(clock.now) + 2
        assert claims["username"] == claims["sub"] == "admin"
        assert (fake.cp4d_calls, fake.iam_calls, fake.token_requests) == (1, 0, 1)
        assert fake.tokens_issued == 1
        recorded = fake.requests_to("/v1/authorize")[0]
        assert recorded.json == credentials

        token = body["token"]
        assert await create(http, fake, token) == 201
        clock.advance(1.999)
        assert await create(http, fake, token) == 201
        clock.advance(0.001)
        assert await create(http, fake, token) == 401
        assert (fake.unauthorized_responses, fake.expired_token_requests) == (1, 1)


async def test_cp4d_custom_credentials(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(cp4d_username="u", cp4d_password="p", cp4d_apikey="k") as fake:
        assert (await cp4d(http, fake, {"username": "u", "password": "p"}))[0] == 200
        assert (await cp4d(http, fake, {"username": "u", "api_key": "k"}))[0] == 200
        assert (await cp4d(http, fake, {"username": "admin", "password": "password"}))[0] == 401


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "admin", "password": "wrong"},
        {"username": "nobody", "password": "password"},
        {"username": "admin", "api_key": "wrong"},
        {"username": "admin", "api_key": "password"},  # the password is not an API key
        {"username": "admin", "password": "cp4d-apikey"},  # nor the other way round
    ],
)
async def test_cp4d_bad_credentials(
    http: aiohttp.ClientSession, credentials: dict[str, str]
) -> None:
    async with FakeAssistant() as fake:
        status, body = await cp4d(http, fake, credentials)
        assert status == 401
        assert body["_messageCode_"] == "401"
        assert body["message"] == "Invalid user name or password"
        assert "exception" in body
        assert fake.tokens_issued == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"admin"',
        b'{"password": "password"}',
        b'{"username": "", "password": "password"}',
        b'{"username": "admin"}',
        b'{"username": "admin", "password": "password", "api_key": "cp4d-apikey"}',
        b'{"username": "admin", "password": 123}',
        b'{"username": 1, "password": "password"}',
    ],
)
async def test_cp4d_malformed_body(http: aiohttp.ClientSession, body: bytes) -> None:
    async with FakeAssistant() as fake:
        status, payload = await cp4d(http, fake, raw=body)
        assert status == 400
        assert payload["_messageCode_"] == "400"
        assert fake.cp4d_calls == 1


async def test_cp4d_method_not_allowed(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake, http.get(f"{fake.cp4d_url}/v1/authorize") as resp:
        assert resp.status == 405
        assert (await resp.json())["_messageCode_"] == "405"


async def test_cp4d_enqueued_faults(http: aiohttp.ClientSession) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    creds = {"username": "admin", "password": "password"}
    async with FakeAssistant(sleep=fake_sleep) as fake:
        fake.enqueue_error(503, path_contains="/v1/authorize")
        fake.enqueue_delay(4.0, path_contains="/v1/authorize")
        fake.enqueue_disconnect(path_contains="/v1/authorize")
        assert (await iam(http, fake))[0] == 200  # not matched
        status, body = await cp4d(http, fake, creds)
        assert (status, body) == (503, {"error": "Service Unavailable", "code": 503})
        assert (await cp4d(http, fake, creds))[0] == 200
        assert slept == [4.0]
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await cp4d(http, fake, creds)
        assert (await cp4d(http, fake, creds))[0] == 200
        assert fake.cp4d_calls == 4


async def test_cp4d_outage(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    creds = {"username": "admin", "api_key": "cp4d-apikey"}
    async with FakeAssistant(clock=clock) as fake:
        fake.cp4d_outage(status=502, until=clock.now + 5)
        assert fake.cp4d_outage_active
        assert not fake.iam_outage_active
        status, body = await cp4d(http, fake, creds)
        assert status == 502
        assert body["_messageCode_"] == "502"
        assert body["message"] == "Bad Gateway"
        assert (await iam(http, fake))[0] == 200  # IAM unaffected
        clock.advance(5)
        assert (await cp4d(http, fake, creds))[0] == 200

        fake.cp4d_outage(disconnect=True)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await cp4d(http, fake, creds)
        fake.cp4d_recover()
        assert (await cp4d(http, fake, creds))[0] == 200
