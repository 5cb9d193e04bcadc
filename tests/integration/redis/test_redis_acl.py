"""The Redis ACL docs/fleet.md recommends is enough for a fleet, and no more is needed:
the token cache and the gate run as exactly that user (the command is read from the
page, so the page and the test can't drift apart) without ever falling back, and the
same user without one of its commands does fall back."""

from __future__ import annotations

import shlex
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from watson_async import AssistantClient, Event, FleetEvent, IAMAuthenticator
from watson_async.redis import RedisRateLimitGate, RedisTokenCache
from watson_async.testing import FakeAssistant

ROOT = Path(__file__).resolve().parents[3]
DOC_NAMESPACE = "bookings-prod"


def documented_acl() -> list[str]:
    """``ACL SETUSER ...`` as docs/fleet.md gives it, without ``redis-cli``."""
    for line in (ROOT / "docs" / "fleet.md").read_text().splitlines():
        if line.startswith("redis-cli ACL SETUSER "):
            return shlex.split(line)[1:]
    raise AssertionError("docs/fleet.md has no `redis-cli ACL SETUSER` line")


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(record_requests=False, rate_limit=50, rate_limit_window=1.0) as f:
        yield f


async def run_fleet_as(
    fake: FakeAssistant, redis_url: str, drop: str | None = None
) -> tuple[list[FleetEvent], list[str]]:
    """Three messages through a client sharing token and gate as the documented user
    (less the command ``drop``); the fleet events seen and the keys left in Redis."""
    namespace = f"test-{uuid.uuid4().hex}"
    user, password = f"fleet-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    acl = documented_acl()
    assert f"~{DOC_NAMESPACE}:*" in acl
    args = [
        *acl[:2],  # ACL SETUSER
        user,
        *(
            f">{password}" if a.startswith(">") else f"~{namespace}:*" if a.startswith("~") else a
            for a in acl[3:]
            if a != drop
        ),
    ]
    admin = aioredis.Redis.from_url(redis_url)
    parts = urllib.parse.urlsplit(redis_url)
    url = parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port}").geturl()
    events: list[FleetEvent] = []

    def on_event(event: Event) -> None:
        if isinstance(event, FleetEvent):
            events.append(event)

    cache = RedisTokenCache.from_url(url, namespace=namespace, on_event=on_event)
    gate = RedisRateLimitGate.from_url(url, namespace=namespace)
    try:
        await admin.execute_command(*args)
        async with AssistantClient(
            "2024-08-25",
            IAMAuthenticator(fake.apikey, url=fake.iam_url, token_cache=cache),
            service_url=fake.service_url,
            rate_limit_gate=gate,
            on_event=on_event,
        ) as client:
            for _ in range(3):
                await client.message_stateless(fake.assistant_id, fake.environment_id)
        await gate.aclose()  # waits for the last response's merge
        await cache.aclose()
        keys = sorted(k.decode() for k in await admin.keys(f"{namespace}:*"))
    finally:
        await admin.execute_command("ACL", "DELUSER", user)
        await admin.aclose()
    return events, [k.removeprefix(f"{namespace}:") for k in keys]


async def test_the_documented_acl_runs_a_fleet_without_falling_back(
    fake: FakeAssistant, redis_url: str
) -> None:
    events, keys = await run_fleet_as(fake, redis_url)
    assert events == []
    assert "gate:message_stateless" in keys
    assert any(k.startswith("token:") for k in keys)


@pytest.mark.parametrize("drop", ["+time", "+evalsha", "+set"])
async def test_without_one_of_its_commands_the_fleet_falls_back(
    fake: FakeAssistant, redis_url: str, drop: str
) -> None:
    events, _ = await run_fleet_as(fake, redis_url, drop=drop)
    # Refused inside a script or outright: either way this process goes it alone.
    assert any(e.state == "fallback" for e in events), events
