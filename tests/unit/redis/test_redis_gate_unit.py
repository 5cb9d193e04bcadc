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
    """Answers the admission script from a list ([admitted, wait_ms, reason] or an
    exception), recording how many each call asked for;
    each answer waits for ``gate`` (when set), so arrivals can overlap a decision."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.admissions = 0
        self.wanted: list[int] = []
        self.gate: asyncio.Event | None = None

    def register_script(self, source: str) -> Any:
        async def admit(keys: list[str], args: list[Any]) -> Any:
            self.admissions += 1
            self.wanted.append(args[4])
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
    wait, go = [0, "1000.000", 3], [1, "0.000", 0]
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


HOLD = [0, "500.000", 2]  # nothing admitted: the budget is spent for 0.5 s


async def test_one_round_trip_admits_every_held_request_the_budget_allows() -> None:
    vt = VirtualTime()
    redis = ScriptedRedis(HOLD, HOLD, [3, "0.000", 0])
    gate = gate_on(redis, vt)
    order: list[str] = []

    async def request(name: str) -> None:
        await gate.acquire("message")
        order.append(name)

    tasks = [asyncio.ensure_future(request(n)) for n in ("a", "b", "c")]
    await vt.until_sleeping()
    vt.advance(0.5)
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert order == ["a", "b", "c"]
    assert redis.wanted == [1, 3, 3]  # a alone; then the three held, admitted at once
    assert gate._families["message"].in_flight == 3


async def test_admissions_granted_for_requests_that_left_are_released() -> None:
    vt = VirtualTime()
    redis = ScriptedRedis(HOLD, HOLD, [3, "0.000", 0])
    gate = gate_on(redis, vt)
    tasks = [asyncio.ensure_future(gate.acquire("message")) for _ in range(3)]
    await vt.until_sleeping()
    for task in tasks[1:]:
        task.cancel()
    vt.advance(0.5)
    await asyncio.wait_for(tasks[0], 5)
    for _ in range(5):
        await asyncio.sleep(0)  # the waker finds its queue empty and ends
    assert redis.wanted == [1, 3, 1]  # asked for the one still waiting
    assert gate._families["message"].in_flight == 1  # the two it got anyway given back
    assert gate._done["message"] == 2  # and told to Redis with the next admission
    assert gate._families["message"].waker is None


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
    scripted.answers.append([1, "0.000", 0])
    assert await held == pytest.approx(5.0)
    assert scripted.admissions == 2
    assert gate.available
    assert [e.state for e in fleet] == ["fallback", "rejoined"]
    await gate.aclose()


async def test_an_admission_never_overtakes_the_merge_of_an_earlier_response() -> None:
    # A conversation's next request starts the moment its previous response is observed.
    # Its admission must reach Redis after that response's merge: decided first, it
    # would be decided on a budget Redis hasn't heard of (on Python 3.12, whose wait_for
    # runs the admission at once, it was, and a fleet collected 429s).
    vt = VirtualTime()
    calls: list[str] = []
    merged = asyncio.Event()

    class Recording(ScriptedRedis):
        def register_script(self, source: str) -> Any:
            inner = super().register_script(source)

            async def script(keys: list[str], args: list[Any]) -> Any:
                if source == _ADMIT:
                    calls.append("admit")
                else:
                    await merged.wait()  # a slow merge
                    calls.append("merge")
                return await inner(keys, args)

            return script

    go = [1, "0.000", 0]
    gate = gate_on(Recording(go, go), vt)
    binding = gate.bind()
    await binding.acquire("message")
    binding.observe("message", 200, {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"})
    second = asyncio.ensure_future(binding.acquire("message"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert calls == ["admit"]  # the second admission waits for the merge
    merged.set()
    await second
    assert calls == ["admit", "merge", "admit"]
    await gate.aclose()
