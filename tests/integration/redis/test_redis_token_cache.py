"""RedisTokenCache against a real redis-server: one token for many authenticators and
processes, compare-and-delete after a 401, and an outage the authenticators ride out."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from _workers import run_workers
from fakes import Events, VirtualTime

from watson_async import (
    AssistantClient,
    CloudPakForDataAuthenticator,
    FleetEvent,
    IAMAuthenticator,
)
from watson_async.redis import RedisTokenCache
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
WALL0 = 1_800_000_000.0
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(record_requests=False) as fake:
        yield fake


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex}"


async def _close(*things: Any) -> None:
    for thing in things:
        await thing.aclose()


async def test_eight_authenticators_fetch_one_token_between_them(
    fake: FakeAssistant, redis_url: str, namespace: str
) -> None:
    caches = [RedisTokenCache.from_url(redis_url, namespace=namespace) for _ in range(8)]
    auths = [IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=c) for c in caches]
    headers = await asyncio.gather(*(a.authorization() for a in auths))
    assert fake.iam_calls == 1
    assert len(set(headers)) == 1
    assert sum(a.token_requests for a in auths) == 1
    expirations = {a.token.expiration for a in auths if a.token is not None}
    assert len(expirations) == 1  # one absolute expiry everywhere
    await _close(*auths, *caches)


async def test_cloud_pak_for_data_shares_too(
    fake: FakeAssistant, redis_url: str, namespace: str
) -> None:
    caches = [RedisTokenCache.from_url(redis_url, namespace=namespace) for _ in range(3)]
    auths = [
        CloudPakForDataAuthenticator(
            fake.cp4d_url, fake.cp4d_username, fake.cp4d_password, token_cache=c
        )
        for c in caches
    ]
    headers = await asyncio.gather(*(a.authorization() for a in auths))
    assert fake.cp4d_calls == 1
    assert len(set(headers)) == 1
    await _close(*auths, *caches)


async def test_a_401_removes_only_the_rejected_token(
    fake: FakeAssistant, redis_url: str, namespace: str
) -> None:
    client = aioredis.Redis.from_url(redis_url)
    cache_a = RedisTokenCache(client, namespace=namespace)
    cache_b = RedisTokenCache(client, namespace=namespace)
    a = IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=cache_a)
    b = IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=cache_b)
    first = await a.authorization()
    assert await b.authorization() == first
    assert fake.iam_calls == 1

    await a.invalidate(first)  # a 401 for the first token: a replaces it for everyone
    second = await a.authorization()
    assert second != first
    assert fake.iam_calls == 2

    await b.invalidate(first)  # b's 401 for the same token must not remove the new one
    assert await b.authorization() == second
    assert fake.iam_calls == 2

    keys = [k async for k in client.scan_iter(match=f"{namespace}:*")]
    assert len(keys) == 1  # the token; the lease is released
    assert fake.apikey.encode() not in keys[0]
    await _close(a, b, cache_a, cache_b)  # the caches don't own the client
    assert await client.ping()
    await client.aclose()


async def test_redis_outage_falls_back_and_rejoins(
    fake: FakeAssistant, redis_server: Any, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = StepClock()  # moved by hand past the back-off: no real waiting
    events: list[FleetEvent] = []
    caches = [
        RedisTokenCache.from_url(
            redis_server.url, namespace=namespace, op_timeout=2.0, clock=clock, on_event=e
        )
        for e in (events.append, None)
    ]
    a, b = (IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=c) for c in caches)
    first = await a.authorization()
    assert await b.authorization() == first
    assert fake.iam_calls == 1

    redis_server.stop()
    caplog.set_level(logging.INFO, logger="watson_async.redis")
    # The client closes its authenticator (a) on exit: the whole run happens inside.
    async with AssistantClient(VERSION, a, service_url=fake.service_url) as client:
        await a.invalidate(first)  # Redis down: a fetches its own token
        assert fake.iam_calls == 2
        await a.invalidate(await a.authorization())  # still down: one more own fetch
        assert fake.iam_calls == 3
        await client.message_stateless(fake.assistant_id, fake.environment_id)  # no raise
        assert not caches[0].available
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1  # once per outage
        assert "Redis unavailable" in warnings[0].getMessage()
        assert [(e.component, e.state) for e in events] == [("token_cache", "fallback")]

        redis_server.start()  # an empty Redis again, on the same port
        third = await a.authorization()
        await a.invalidate(third)  # within the back-off: Redis isn't asked yet
        assert not caches[0].available
        assert fake.iam_calls == 4
        clock.now += 1.0  # the back-off has passed: the next fetch tries Redis
        fourth = await a.authorization()
        await a.invalidate(fourth)  # shared again: a stores its new token
        fifth = await a.authorization()
        assert caches[0].available
        assert fake.iam_calls == 5
        assert [e.state for e in events] == ["fallback", "rejoined"]
        await b.invalidate(first)  # b finds a's token in Redis
        assert await b.authorization() == fifth
        assert fake.iam_calls == 5
        assert any("answers again" in r.getMessage() for r in caplog.records)
        await client.message_stateless(fake.assistant_id, fake.environment_id)
    await _close(a, b, *caches)


WORKER = """
import asyncio, sys
from watson_async import IAMAuthenticator
from watson_async.redis import RedisTokenCache

async def main(iam_url, apikey, redis_url, namespace):
    cache = RedisTokenCache.from_url(redis_url, namespace=namespace)
    auth = IAMAuthenticator(apikey, url=iam_url, token_cache=cache)
    header = await auth.authorization()
    print(auth.token_requests, header is not None and header.startswith("Bearer "))
    await auth.aclose()
    await cache.aclose()

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.slow
async def test_four_processes_fetch_one_token_between_them(
    fake: FakeAssistant, redis_url: str, namespace: str
) -> None:
    outputs = await run_workers(WORKER, fake.iam_url, fake.apikey, redis_url, namespace, count=4)
    lines = sorted(out.split() for out in outputs)
    assert all(line[1] == "True" for line in lines)
    assert sum(int(line[0]) for line in lines) == 1
    assert fake.iam_calls == 1


async def test_the_fleet_refreshes_once_ahead_of_expiry(redis_url: str, namespace: str) -> None:
    vt = VirtualTime(now=0.0)
    wall = lambda: WALL0 + vt.now  # noqa: E731
    events = Events()
    async with FakeAssistant(clock=wall, token_lifetime=60.0, record_requests=False) as fake:
        caches = [
            RedisTokenCache.from_url(redis_url, namespace=namespace, wall_clock=wall)
            for _ in range(3)
        ]
        auths = [
            IAMAuthenticator(
                fake.apikey,
                url=fake.iam_url,
                clock=vt,
                sleep=vt.sleep,
                on_refresh=events,
                token_cache=c,
            )
            for c in caches
        ]
        first = await asyncio.gather(*(a.authorization() for a in auths))
        assert fake.iam_calls == 1
        tokens = [a.token for a in auths if a.token is not None]
        assert len({t.expires_at for t in tokens}) == 1  # one expiry for the fleet
        # usable 50 s, refresh at 40 s less each one's jitter (at most 1 s)
        assert all(39.0 <= t.refresh_at <= 40.0 for t in tokens)
        await vt.until_sleeping(3)  # the three refreshers wait for their refresh points
        vt.advance(40.0)
        done = await asyncio.wait_for(events.wait(6), 30)
        assert [e.ok for e in done[3:]] == [True] * 3
        assert {e.reason for e in done[3:]} == {"scheduled"}
        assert fake.iam_calls == 2  # one refresh for all three
        second = {await a.authorization() for a in auths}
        assert len(second) == 1
        assert second.isdisjoint(first)
        await _close(*auths, *caches)


class StepClock:
    """A clock that only the cache's own poll sleeps move: waiting costs no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps += 1
        self.now += delay
        await asyncio.sleep(0)


async def test_a_lease_whose_holder_is_gone_delays_the_fetch_a_bounded_time(
    fake: FakeAssistant, redis_url: str, namespace: str
) -> None:
    clock = StepClock()
    cache = RedisTokenCache.from_url(
        redis_url,
        namespace=namespace,
        lease_wait=2.0,
        poll_interval=0.1,
        clock=clock,
        sleep=clock.sleep,
    )
    auth = IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=cache)
    _, lease_key = cache._keys(auth._cache_identity)
    client = aioredis.Redis.from_url(redis_url)
    await client.set(lease_key, "a process that died", px=60_000)  # never released
    assert await auth.authorization()
    assert fake.iam_calls == 1
    assert 19 <= clock.sleeps <= 21  # polled for lease_wait, then fetched itself
    # ... and shared what it got: a second authenticator needs no token request
    other_cache = RedisTokenCache.from_url(redis_url, namespace=namespace)
    other = IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=other_cache)
    assert await other.authorization() == await auth.authorization()
    assert fake.iam_calls == 1
    await _close(auth, other, cache, other_cache, client)


async def test_garbage_under_the_token_key_is_replaced(
    fake: FakeAssistant, redis_url: str, namespace: str
) -> None:
    cache = RedisTokenCache.from_url(redis_url, namespace=namespace)
    auth = IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=cache)
    token_key, _ = cache._keys(auth._cache_identity)
    client = aioredis.Redis.from_url(redis_url)
    await client.set(token_key, b"\xff not json")
    header = await auth.authorization()
    assert header is not None
    assert fake.iam_calls == 1
    stored = await client.get(token_key)
    assert stored is not None
    assert header.removeprefix("Bearer ").encode() in stored
    await _close(auth, cache, client)
