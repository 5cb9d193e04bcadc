"""Token refresh end to end: the real client and authenticators against FakeAssistant.

Time is virtual: the authenticator's clock and sleep and the fake's clock all follow one
VirtualTime, so token lifetimes pass instantly and deterministically.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fakes import Events, VirtualTime

from watson_async import (
    AssistantClient,
    AuthenticationError,
    ClientClosedError,
    CloudPakForDataAuthenticator,
    IAMAuthenticator,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
WALL0 = 1_800_000_000.0
LIFETIME = 60.0  # seconds of virtual time; usable 50 s (10 s margin), refresh at 40 s


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime(now=0.0)


@pytest.fixture
async def fake(vt: VirtualTime) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(
        clock=lambda: WALL0 + vt.now, token_lifetime=LIFETIME, record_requests=False
    ) as fake:
        yield fake


def iam_for(fake: FakeAssistant, vt: VirtualTime, events: Events) -> IAMAuthenticator:
    return IAMAuthenticator(
        fake.apikey, url=fake.iam_url, clock=vt, sleep=vt.sleep, on_refresh=events
    )


async def test_10000_callers_arriving_after_expiry_share_one_iam_call(
    fake: FakeAssistant, vt: VirtualTime
) -> None:
    events = Events()
    auth = iam_for(fake, vt, events)
    await auth.authorization()
    await vt.until_sleeping()
    fake.iam_outage(status=503)  # the background refresh fails: the token runs out
    vt.advance(40)
    await asyncio.wait_for(events.wait(2), 10)  # the background attempt has failed
    fake.iam_recover()
    vt.advance(20)  # now past expiry
    before = fake.iam_calls
    headers = await asyncio.gather(*(auth.authorization() for _ in range(10_000)))
    assert fake.iam_calls == before + 1
    assert len(set(headers)) == 1
    assert headers[0] is not None
    await auth.aclose()


async def test_several_lifetimes_of_traffic_never_send_an_expired_token(
    fake: FakeAssistant, vt: VirtualTime
) -> None:
    events = Events()
    auth = iam_for(fake, vt, events)
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        aid, eid = fake.assistant_id, fake.environment_id
        for _ in range(int(5 * LIFETIME)):  # five token lifetimes, one virtual second a step
            await asyncio.gather(*(client.message_stateless(aid, eid) for _ in range(5)))
            vt.advance(1.0)
    assert fake.expired_token_requests == 0
    assert fake.unauthorized_responses == 0
    scheduled = [e for e in events.events if e.reason == "scheduled"]
    assert all(e.ok for e in events.events)
    assert len(scheduled) >= 6  # refreshed in the background every 40 s
    assert not [e for e in events.events if e.reason == "expired"]


async def test_iam_down_while_the_token_is_valid_fails_no_call(
    fake: FakeAssistant, vt: VirtualTime
) -> None:
    events = Events()
    auth = iam_for(fake, vt, events)
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        aid, eid = fake.assistant_id, fake.environment_id
        await client.message_stateless(aid, eid)
        fake.iam_outage(status=500, until=WALL0 + 45)  # down from 0 s to 45 s
        failures = 0
        for _ in range(49):  # until just before expiry at 50 s
            vt.advance(1.0)
            results = await asyncio.gather(
                *(client.message_stateless(aid, eid) for _ in range(3)), return_exceptions=True
            )
            failures += sum(isinstance(r, BaseException) for r in results)
        assert failures == 0
        assert any(not e.ok for e in events.events)  # the background refresh did fail...
        assert events.events[-1].ok  # ...and recovered once IAM came back
        assert fake.expired_token_requests == 0


async def test_iam_down_past_expiry_fails_every_waiter_promptly_then_recovers(
    fake: FakeAssistant, vt: VirtualTime
) -> None:
    events = Events()
    auth = iam_for(fake, vt, events)
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        aid, eid = fake.assistant_id, fake.environment_id
        await client.message_stateless(aid, eid)
        fake.iam_outage(
            status=400,
            body={
                "errorCode": "BXNIM0415E",
                "errorMessage": "Provided API key could not be found.",
            },
        )
        vt.advance(51)  # past expiry; the refresher's attempts failed or are pending
        results = await asyncio.wait_for(
            asyncio.gather(
                *(client.message_stateless(aid, eid) for _ in range(100)), return_exceptions=True
            ),
            timeout=10,
        )
        assert all(isinstance(r, AuthenticationError) for r in results)
        assert {r.code for r in results if isinstance(r, AuthenticationError)} == {"BXNIM0415E"}
        fake.iam_recover()
        reply = await client.message_stateless(aid, eid)
        assert reply.output is not None
        assert fake.expired_token_requests == 0


async def test_concurrent_401s_cause_one_refresh_and_each_request_one_replay(
    fake: FakeAssistant, vt: VirtualTime
) -> None:
    events = Events()
    auth = iam_for(fake, vt, events)
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        aid, eid = fake.assistant_id, fake.environment_id
        await client.message_stateless(aid, eid)
        fake.revoke_tokens()
        await asyncio.gather(*(client.message_stateless(aid, eid) for _ in range(50)))
    assert [e.reason for e in events.events] == ["initial", "unauthorized"]
    assert fake.iam_calls == 2
    assert fake.unauthorized_responses == 50


async def test_cancelled_waiters_and_close_mid_refresh_leave_nothing_behind(
    vt: VirtualTime,
) -> None:
    release, parked = asyncio.Event(), asyncio.Event()

    async def gated_sleep(seconds: float) -> None:
        parked.set()
        await release.wait()

    async with FakeAssistant(clock=lambda: WALL0 + vt.now, sleep=gated_sleep) as fake:
        fake.enqueue_delay(1.0, path_contains="/identity/token")
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url, clock=vt, sleep=vt.sleep)
        client = AssistantClient(VERSION, auth, service_url=fake.service_url)
        calls = [
            asyncio.create_task(client.message_stateless(fake.assistant_id, fake.environment_id))
            for _ in range(20)
        ]
        await asyncio.wait_for(parked.wait(), 10)  # the shared IAM request is in the fake
        for call in calls[:10]:
            call.cancel()
        await client.aclose()  # mid-refresh
        results = await asyncio.gather(*calls, return_exceptions=True)
        release.set()
        # Only the callers that were cancelled see CancelledError; the others learn the
        # client closed under them.
        assert all(isinstance(r, asyncio.CancelledError) for r in results[:10])
        assert all(type(r) is ClientClosedError for r in results[10:]), results[10:]
        assert auth._fetching is None
        assert auth._refresher is None
        current = asyncio.current_task()
        leftovers = [
            t
            for t in asyncio.all_tasks()
            if t is not current and "watson_async/auth" in repr(t.get_coro())
        ]
        assert leftovers == []


async def test_cloud_pak_for_data_password_and_apikey(fake: FakeAssistant) -> None:
    for auth in (
        CloudPakForDataAuthenticator(fake.cp4d_url, fake.cp4d_username, fake.cp4d_password),
        CloudPakForDataAuthenticator(fake.cp4d_url, fake.cp4d_username, apikey=fake.cp4d_apikey),
    ):
        async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
            session = await client.create_session(fake.assistant_id, fake.environment_id)
            assert session.session_id
            assert auth.token is not None
            assert auth.token.expiration == pytest.approx(WALL0 + LIFETIME)
        assert auth.token is None  # a closed authenticator keeps no token
    assert fake.cp4d_calls == 2


async def test_cloud_pak_for_data_bad_password(fake: FakeAssistant) -> None:
    auth = CloudPakForDataAuthenticator(fake.cp4d_url, "admin", "wrong-Pw-123")
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.create_session(fake.assistant_id, fake.environment_id)
    assert info.value.status_code == 401
    assert "wrong-Pw-123" not in str(info.value)
    assert "wrong-Pw-123" not in repr(auth)
