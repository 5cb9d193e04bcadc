"""Authenticators, through the transport seam and an injected clock (no sockets)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from urllib.parse import parse_qs

import pytest
from fakes import Events, ManualClock, ScriptedTransport, VirtualTime, response

from watson_async import AssistantClient
from watson_async.auth import (
    BasicAuthenticator,
    BearerTokenAuthenticator,
    IAMAuthenticator,
    NoAuthAuthenticator,
    RefreshEvent,
    iam_token_url,
)
from watson_async.auth._base import NOT_READY, ready_of
from watson_async.auth._iam import _jwt_claims
from watson_async.errors import AuthenticationError, ClientClosedError, TransportError
from watson_async.protocol import codec as _json
from watson_async.protocol.secret import SecretStr

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


def iam(transport: ScriptedTransport, vt: VirtualTime, events: Events) -> IAMAuthenticator:
    return IAMAuthenticator(
        APIKEY, transport=transport, clock=vt, sleep=vt.sleep, on_refresh=events
    )


async def test_background_refresh_at_80_percent_of_the_usable_lifetime() -> None:
    vt, events = VirtualTime(), Events()
    transport = ScriptedTransport(
        response(200, token_body("tok-1", 100)), response(200, token_body("tok-2", 100))
    )
    auth = iam(transport, vt, events)
    assert await auth.authorization() == "Bearer tok-1"
    await vt.until_sleeping()
    # Usable lifetime 100 - 10 s margin = 90 s; refresh at 80% of it, 72 s.
    vt.advance(71.9)
    assert await auth.authorization() == "Bearer tok-1"
    assert auth.token_requests == 1
    await vt.until_sleeping()
    transport.gate = asyncio.Event()
    vt.advance(0.2)  # the background task wakes up and asks IAM, gated
    # While the refresh is in flight, callers get the still-valid token at once.
    assert await auth.authorization() == "Bearer tok-1"
    transport.gate.set()
    first, second = await events.wait(2)
    assert (first.reason, first.ok) == ("initial", True)
    assert (second.reason, second.ok, second.expires_in) == ("scheduled", True, 100.0)
    assert await auth.authorization() == "Bearer tok-2"
    await auth.aclose()


async def test_failed_background_refresh_keeps_the_token_and_recovers() -> None:
    vt, events = VirtualTime(), Events()
    down = response(500, {"errorCode": "BXNIM0001E", "errorMessage": "IAM is down"})
    refused = TransportError("refused", method="POST", url="x", request_sent=False)
    transport = ScriptedTransport(
        response(200, token_body("tok-1", 100)), down, refused, response(200, token_body("tok-2"))
    )
    auth = iam(transport, vt, events)
    await auth.authorization()
    await vt.until_sleeping()
    vt.advance(73)
    await events.wait(2)  # first scheduled attempt failed
    assert await auth.authorization() == "Bearer tok-1"  # no caller fails
    for _ in range(2):  # each retry waits a jittered backoff (< 1 s here), then tries again
        await vt.until_sleeping()
        vt.advance(1.0)
        await events.wait(len(events.events) + 1)
    assert [e.ok for e in events.events] == [True, False, False, True]
    assert [e.failures for e in events.events] == [0, 1, 2, 0]
    assert isinstance(events.events[1].error, AuthenticationError)
    assert await auth.authorization() == "Bearer tok-2"
    await auth.aclose()


async def test_backoff_never_waits_past_expiry_and_the_refresher_then_stops() -> None:
    vt, events = VirtualTime(), Events()
    down = response(503, {"errorCode": "X", "errorMessage": "busy"})
    transport = ScriptedTransport(response(200, token_body("tok-1", 100)), *[down] * 50)
    auth = IAMAuthenticator(
        APIKEY,
        transport=transport,
        clock=vt,
        sleep=vt.sleep,
        on_refresh=events,
        retry_base=1000.0,
        retry_cap=1000.0,  # backoff far longer than the time left
    )
    await auth.authorization()
    expires_at = vt.now + 90
    await vt.until_sleeping()
    vt.advance(72)
    await events.wait(2)
    await vt.until_sleeping()
    (deadline,) = [t for t, f in vt._sleepers if not f.done()]
    assert deadline <= expires_at  # capped by the time left, not 0..1000 s
    vt.advance(expires_at - vt.now)  # the token is gone: the refresher exits, no retry
    refresher = auth._refresher
    if refresher is not None:
        await refresher
    assert auth._refresher is None
    assert vt.sleepers == 0
    assert len(events.events) == 2
    await auth.aclose()


async def test_expired_token_and_failing_iam_raise_authentication_error_promptly() -> None:
    vt, events = VirtualTime(), Events()
    body = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}
    transport = ScriptedTransport(
        response(200, token_body("tok-1", 100)),
        *[response(400, body)] * 4,
        response(200, token_body("tok-3", 100)),
    )
    auth = iam(transport, vt, events)
    await auth.authorization()
    transport.gate = asyncio.Event()
    vt.advance(91)  # past expiry (the refresher's first attempt is gated)
    transport.gate.set()
    with pytest.raises(AuthenticationError) as info:
        await auth.authorization()
    err = info.value
    assert err.status_code == 400
    assert err.code == "BXNIM0415E"
    assert "Provided API key could not be found." in err.message
    assert APIKEY not in str(err)
    assert APIKEY not in repr(err)
    assert APIKEY not in err.body
    # Every failure reached its caller; once IAM answers again the next call succeeds.
    while transport.script and transport.script[0].status == 400:  # type: ignore[union-attr]
        with pytest.raises(AuthenticationError):
            await auth.authorization()
    assert await auth.authorization() == "Bearer tok-3"
    await auth.aclose()


async def test_invalidate_refreshes_once_for_many_concurrent_401s() -> None:
    vt, events = VirtualTime(), Events()
    transport = ScriptedTransport(
        response(200, token_body("tok-1")), response(200, token_body("tok-2"))
    )
    auth = iam(transport, vt, events)
    rejected = await auth.authorization()
    transport.gate = asyncio.Event()
    waiters = [asyncio.create_task(auth.invalidate(rejected)) for _ in range(50)]
    await asyncio.sleep(0)
    transport.gate.set()
    assert all(await asyncio.gather(*waiters))
    assert auth.token_requests == 2
    assert events.events[-1].reason == "unauthorized"
    assert await auth.authorization() == "Bearer tok-2"
    # A 401 for a token that was already replaced needs no new request.
    assert await auth.invalidate(rejected) is True
    assert auth.token_requests == 2
    await auth.aclose()


async def test_static_authenticators_do_not_replay() -> None:
    assert await BearerTokenAuthenticator("abc").invalidate("Bearer abc") is False
    assert await NoAuthAuthenticator().invalidate(None) is False


async def test_listener_errors_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: RefreshEvent) -> None:
        raise RuntimeError("listener bug")

    auth = IAMAuthenticator(APIKEY, transport=ScriptedTransport(response(200, token_body())))
    auth.add_refresh_listener(broken)
    with caplog.at_level(logging.DEBUG, logger="watson_async"):
        assert await auth.authorization() == "Bearer tok-1"
    assert "listener" in caplog.text
    auth.remove_refresh_listener(broken)
    await auth.aclose()


async def test_secrets_never_reach_logs(caplog: pytest.LogCaptureFixture) -> None:
    vt, events = VirtualTime(), Events()
    transport = ScriptedTransport(
        response(200, token_body("tok-SECRET-1", 100)),
        response(500, {"errorCode": "E", "errorMessage": "down"}),
        response(200, token_body("tok-SECRET-2", 100)),
    )
    auth = iam(transport, vt, events)
    with caplog.at_level(logging.DEBUG):
        await auth.authorization()
        await vt.until_sleeping()
        vt.advance(73)
        await events.wait(2)
        await vt.until_sleeping()
        vt.advance(1.0)
        await events.wait(3)
    assert "token request failed" in caplog.text
    for secret in (APIKEY, "tok-SECRET-1", "tok-SECRET-2"):
        assert secret not in caplog.text
        assert all(secret not in repr(e) for e in events.events)
    assert "tok-SECRET-2" not in repr(auth.token)
    await auth.aclose()


async def test_concurrent_callers_share_one_iam_request() -> None:
    transport = ScriptedTransport(response(200, token_body()))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    waiters = [asyncio.create_task(auth.authorization()) for _ in range(100)]
    await asyncio.sleep(0)  # let every waiter reach the shared refresh
    transport.gate.set()
    assert set(await asyncio.gather(*waiters)) == {"Bearer tok-1"}
    assert auth.token_requests == 1
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
    assert auth.token_requests == 1


async def test_concurrent_failure_is_shared_too() -> None:
    transport = ScriptedTransport(response(400, {"errorCode": "X", "errorMessage": "nope"}))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    waiters = [asyncio.create_task(auth.authorization()) for _ in range(10)]
    await asyncio.sleep(0)
    transport.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert auth.token_requests == 1


async def test_lifetime_from_jwt_when_expires_in_missing() -> None:
    clock = ManualClock()
    token = jwt({"iat": 1_700_000_000, "exp": 1_700_000_200})
    transport = ScriptedTransport(response(200, {"access_token": token}))
    auth = IAMAuthenticator(APIKEY, transport=transport, clock=clock)
    await auth.authorization()
    assert auth.token is not None
    assert auth.token.refresh_at == pytest.approx(clock.now + 160)
    assert auth.token.expires_at == pytest.approx(clock.now + 190)


def test_jwt_claims_are_read_without_checking_signature_or_expiry() -> None:
    # Long expired, not yet valid, unknown audience: only the lifetime is read from it.
    claims = {"iat": 1, "exp": 2, "nbf": 10**12, "aud": "DSX"}
    assert _jwt_claims(jwt(claims)) == claims
    for not_a_jwt in ("", "abc", "a.b", "a.b.c.d", "!!.!!.!!", f"e30.{'W10'}.sig"):
        assert _jwt_claims(not_a_jwt) == {}


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
    with pytest.raises(
        ResponseParseError, match="IAMAuthenticator: token response unusable"
    ) as info:
        await auth.authorization()
    assert info.value.body == "<redacted>"


async def test_aclose_leaves_no_pending_refresh() -> None:
    transport = ScriptedTransport(response(200, token_body()))
    transport.gate = asyncio.Event()
    auth = IAMAuthenticator(APIKEY, transport=transport)
    waiter = asyncio.create_task(auth.authorization())
    await asyncio.sleep(0)
    await auth.aclose()
    # A waiter nobody cancelled learns the authenticator closed, never CancelledError.
    with pytest.raises(ClientClosedError):
        await waiter
    assert auth.closed
    assert waiter.done()
    assert not waiter.cancelled()


# --- the header at hand without a coroutine (Authenticator._ready, client/base.py) ---


async def test_a_token_is_ready_at_once_only_while_valid_and_refreshed() -> None:
    vt, events = VirtualTime(), Events()
    transport = ScriptedTransport(response(200, token_body("tok-1", 100)))
    auth = iam(transport, vt, events)
    ready = ready_of(auth)
    assert ready is not None
    assert ready() is NOT_READY  # no token yet: the client awaits authorization()
    assert await auth.authorization() == "Bearer tok-1"
    assert ready() == "Bearer tok-1"
    assert isinstance(ready(), SecretStr)
    vt.advance(101)  # expired (and the refresher asleep): waiting needed again
    assert ready() is NOT_READY
    await auth.aclose()


def test_static_headers_are_ready_and_a_subclass_overriding_authorization_is_not() -> None:
    class Rotating(BearerTokenAuthenticator):
        async def authorization(self) -> str | None:
            return "Bearer rotated"

    bearer_ready = ready_of(BearerTokenAuthenticator("t0ken"))
    assert bearer_ready is not None
    assert bearer_ready() == "Bearer t0ken"
    no_auth_ready = ready_of(NoAuthAuthenticator())
    assert no_auth_ready is not None
    assert no_auth_ready() is None
    assert ready_of(Rotating("t0ken")) is None  # its own authorization() is awaited


async def test_the_client_sends_what_an_overriding_subclass_returns() -> None:
    class Rotating(BearerTokenAuthenticator):
        async def authorization(self) -> str | None:
            return "Bearer rotated"

    transport = ScriptedTransport(response(200, {"output": {}}), response(200, {"output": {}}))
    async with AssistantClient(
        "2024-08-25", Rotating("t0ken"), service_url="https://x.test", transport=transport
    ) as client:
        for _ in range(2):
            await client.message("a", "e", "s")
    assert [s.headers["Authorization"] for s in transport.sent] == ["Bearer rotated"] * 2
