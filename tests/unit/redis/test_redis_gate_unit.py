"""RedisRateLimitGate without a server: Redis's admissions queued in arrival order in
the process, and the in-process rules when Redis fails."""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import pytest
import redis.exceptions
from fakes import VirtualTime

from watson_async import FleetEvent, GateEvent
from watson_async.redis import RedisRateLimitGate
from watson_async.redis._gate import _ADMIT

WALL = 1_800_000_000.0


class ScriptedRedis:
    """Answers the admission script from a list ([wait_ms, reason] or an exception);
    each answer waits for ``gate`` (when set), so arrivals can overlap a decision."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.admissions = 0
        self.gate: asyncio.Event | None = None

    def register_script(self, source: str) -> Any:
        async def admit(keys: list[str], args: list[Any]) -> Any:
            self.admissions += 1
            if self.gate is not None:
                await self.gate.wait()
            answer = self.answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        async def merge(keys: list[str], args: list[Any]) -> Any:
            return 1

        return admit if source == _ADMIT else merge


def gate_on(redis: ScriptedRedis, vt: VirtualTime, **options: Any) -> RedisRateLimitGate:
    return RedisRateLimitGate(
        redis,  # type: ignore[arg-type]
        clock=vt,
        sleep=vt.sleep,
        rand=lambda: 0.0,
        **options,
    )


async def test_held_requests_go_in_arrival_order_even_while_one_is_being_decided() -> None:
    vt = VirtualTime()
    wait, go = ["1000.000", 3], ["0.000", 0]
    redis = ScriptedRedis(wait, wait, go, go, go)
    redis.gate = asyncio.Event()
    gate = gate_on(redis, vt)
    order: list[str] = []
    events: list[GateEvent] = []
    binding = gate.bind(events.append)

    async def request(name: str) -> None:
        await binding.acquire("message")
        order.append(name)

    first = asyncio.ensure_future(request("first"))
    for _ in range(5):
        await asyncio.sleep(0)  # first is being decided by Redis
    later = [asyncio.ensure_future(request(n)) for n in ("second", "third")]
    for _ in range(5):
        await asyncio.sleep(0)
    assert redis.admissions == 1  # nothing else asks Redis while first is decided
    redis.gate.set()
    await vt.until_sleeping()  # first was told to wait: it goes back to the front
    assert order == []
    vt.advance(1.0)
    await asyncio.gather(first, *later)
    assert order == ["first", "second", "third"]
    assert redis.admissions == 5
    assert [e.reason for e in events] == ["paced", "paced", "paced"]


async def test_when_redis_fails_the_process_gates_alone_on_what_it_has_seen() -> None:
    vt = VirtualTime()
    down = redis.exceptions.ConnectionError("Connection refused")
    scripted = ScriptedRedis(down)
    fleet: list[FleetEvent] = []
    by_client: list[Any] = []
    gate = gate_on(scripted, vt, on_event=fleet.append)
    binding = gate.bind(None, by_client.append)
    assert await binding.acquire("message") == 0.0  # Redis failed: admitted alone
    assert not gate.available
    assert [(e.component, e.state) for e in fleet] == [("rate_limit_gate", "fallback")]
    assert by_client == fleet  # the bound client's listeners hear it too
    headers = {
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(WALL) + 5),
        "Date": email.utils.formatdate(WALL, usegmt=True),
    }
    binding.observe("message", 429, headers)  # learnt locally; no merge while alone
    held = asyncio.ensure_future(binding.acquire("message"))
    await vt.until_sleeping()
    assert scripted.admissions == 1  # Redis is not asked during the back-off
    assert gate.state()["message"].blocked_for == pytest.approx(5.0)
    vt.advance(5.0)  # the reset (and the back-off) passed: Redis is asked again
    scripted.answers.append(["0.000", 0])
    assert await held == pytest.approx(5.0)
    assert scripted.admissions == 2
    assert gate.available
    assert [e.state for e in fleet] == ["fallback", "rejoined"]
    await gate.aclose()
