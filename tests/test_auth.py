"""Authenticators, through the transport seam and an injected clock (no sockets)."""

from __future__ import annotations

import asyncio
import base64
import json
from urllib.parse import parse_qs

import pytest
from fakes import ManualClock, ScriptedTransport, response

from watson_async import _json
from watson_async.auth import (
    BasicAuthenticator,
    BearerTokenAuthenticator,
    IAMAuthenticator,
    NoAuthAuthenticator,
    iam_token_url,
)
from watson_async.errors import AuthenticationError, TransportError

APIKEY = "my-secret-apikey-123"


def token_body(token: str = "tok-1", expires_in: int = 3600) -> dict[str, object]:
    return {
        "access_token": token,
        "refresh_token": "not-used",
        "token_type": "Bearer",
        "expires_in": expires_in,
        "expiration": 1_700_000_000 + expires_in,
    }


def jwt(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(_json.dumps(obj)).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


async def test_no_auth_sends_no_header() -> None:
    assert await NoAuthAuthenticator().authorization() is None


async def test_bearer_and_replacement() -> None:
    auth = BearerTokenAuthenticator("abc")
    assert await auth.authorization() == "Bearer abc"
    auth.set_bearer_token("def")
    assert await auth.authorization() == "Bearer def"


async def test_basic() -> None:
    auth = BasicAuthenticator("apikey", "s3cret")
    expected = "Basic " + base64.b64encode(b"apikey:s3cret").decode()
    assert await auth.authorization() == expected


@pytest.mark.parametrize("bad", ["", "  ", " Zq9sec", "Zq9sec ", "{Zq9sec}", '"Zq9sec"'])
def test_secrets_are_checked_without_being_echoed(bad: str) -> None:
    for make in (
        lambda: IAMAuthenticator(bad),
        lambda: BearerTokenAuthenticator(bad),
        lambda: BasicAuthenticator("user", bad),
    ):
        with pytest.raises(ValueError, match=r"(?i)apikey|token|password|must") as info:
            make()
        assert "Zq9sec" not in str(info.value)


def test_secrets_never_in_repr() -> None:
    auths = [
        IAMAuthenticator(APIKEY),
        BearerTokenAuthenticator(APIKEY),
        BasicAuthenticator("apikey", APIKEY),
    ]
    for auth in auths:
        assert APIKEY not in repr(auth)
        assert APIKEY not in str(auth)


def test_iam_url_forms() -> None:
    assert iam_token_url(None) == "https://iam.cloud.ibm.com/identity/token"
    assert iam_token_url("https://iam.test.cloud.ibm.com/") == (
        "https://iam.test.cloud.ibm.com/identity/token"
    )
    assert iam_token_url("http://127.0.0.1:9/identity/token") == "http://127.0.0.1:9/identity/token"
    with pytest.raises(ValueError, match="must start with"):
        iam_token_url("iam.cloud.ibm.com")


def test_client_id_needs_client_secret() -> None:
    with pytest.raises(ValueError, match="together"):
        IAMAuthenticator(APIKEY, client_id="bx")


async def test_iam_request_shape() -> None:
    transport = ScriptedTransport(response(200, token_body()))
    auth = IAMAuthenticator(
        APIKEY,
        url="http://iam.example",
        client_id="bx",
        client_secret="bx",
        scope="s1",
        transport=transport,
    )
    assert await auth.authorization() == "Bearer tok-1"
    (sent,) = transport.sent
    assert sent.method == "POST"
    assert sent.url == "http://iam.example/identity/token"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"bx:bx").decode()
    assert sent.body is not None
    form = parse_qs(sent.body.decode())
    assert form == {
        "grant_type": ["urn:ibm:params:oauth:grant-type:apikey"],
        "apikey": [APIKEY],
        "response_type": ["cloud_iam"],
        "scope": ["s1"],
    }


async def test_token_is_cached_until_refresh_point() -> None:
    clock = ManualClock()
    transport = ScriptedTransport(
        response(200, token_body("tok-1", 100)), response(200, token_body("tok-2", 100))
    )
    auth = IAMAuthenticator(APIKEY, transport=transport, clock=clock)
    assert await auth.authorization() == "Bearer tok-1"
    clock.advance(79)
    assert await auth.authorization() == "Bearer tok-1"
    assert auth.iam_requests == 1
    clock.advance(2)  # past 80% of 100 s
    assert await auth.authorization() == "Bearer tok-2"
    assert auth.iam_requests == 2


async def test_failed_refresh_keeps_a_still_valid_token() -> None:
    clock = ManualClock()
    transport = ScriptedTransport(
        response(200, token_body("tok-1", 100)),
        response(500, {"errorCode": "BXNIM0001E", "errorMessage": "IAM is down"}),
        TransportError("refused", method="POST", url="x", request_sent=False),
    )
    auth = IAMAuthenticator(APIKEY, transport=transport, clock=clock)
    await auth.authorization()
    clock.advance(85)
    assert await auth.authorization() == "Bearer tok-1"  # refresh failed: old token used
    clock.advance(1)
    assert await auth.authorization() == "Bearer tok-1"
    assert auth.iam_requests == 3


async def test_expired_token_and_failing_iam_raise_authentication_error() -> None:
    clock = ManualClock()
    body = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}
    transport = ScriptedTransport(response(200, token_body("tok-1", 100)), response(400, body))
    auth = IAMAuthenticator(APIKEY, transport=transport, clock=clock)
    await auth.authorization()
    clock.advance(95)  # within the 10 s safety margin: treated as expired
    with pytest.raises(AuthenticationError) as info:
        await auth.authorization()
    err = info.value
    assert err.status_code == 400
    assert err.code == "BXNIM0415E"
    assert "Provided API key could not be found." in err.message
    assert APIKEY not in str(err)
    assert APIKEY not in repr(err)
    assert APIKEY not in err.body


async def test_concurrent_callers_share_one_iam_request() -> None:
    transport = ScriptedTransport(response(200, token_body()))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    waiters = [asyncio.create_task(auth.authorization()) for _ in range(100)]
    await asyncio.sleep(0)  # let every waiter reach the shared refresh
    transport.gate.set()
    assert set(await asyncio.gather(*waiters)) == {"Bearer tok-1"}
    assert auth.iam_requests == 1
    assert len(transport.sent) == 1


async def test_cancelled_waiter_does_not_cancel_the_shared_refresh() -> None:
    transport = ScriptedTransport(response(200, token_body()))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    first = asyncio.create_task(auth.authorization())
    second = asyncio.create_task(auth.authorization())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    transport.gate.set()
    assert await second == "Bearer tok-1"
    assert auth.iam_requests == 1


async def test_concurrent_failure_is_shared_too() -> None:
    transport = ScriptedTransport(response(400, {"errorCode": "X", "errorMessage": "nope"}))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    waiters = [asyncio.create_task(auth.authorization()) for _ in range(10)]
    await asyncio.sleep(0)
    transport.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert auth.iam_requests == 1


async def test_lifetime_from_jwt_when_expires_in_missing() -> None:
    clock = ManualClock()
    token = jwt({"iat": 1_700_000_000, "exp": 1_700_000_200})
    transport = ScriptedTransport(response(200, {"access_token": token}))
    auth = IAMAuthenticator(APIKEY, transport=transport, clock=clock)
    await auth.authorization()
    assert auth.token is not None
    assert auth.token.refresh_at == pytest.approx(clock.now + 160)
    assert auth.token.expires_at == pytest.approx(clock.now + 190)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        json.dumps({"expires_in": 5}).encode(),
        json.dumps({"access_token": "x"}).encode(),
    ],
)
async def test_unusable_token_responses_are_clear_and_redacted(body: bytes) -> None:
    from watson_async.errors import ResponseParseError

    auth = IAMAuthenticator(APIKEY, transport=ScriptedTransport(response(200, body)))
    with pytest.raises(ResponseParseError, match="IAM token response unusable") as info:
        await auth.authorization()
    assert info.value.body == "<redacted>"


async def test_aclose_leaves_no_pending_refresh() -> None:
    transport = ScriptedTransport(response(200, token_body()))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    waiter = asyncio.create_task(auth.authorization())
    await asyncio.sleep(0)
    await auth.aclose()
    with pytest.raises(asyncio.CancelledError):
        await waiter
