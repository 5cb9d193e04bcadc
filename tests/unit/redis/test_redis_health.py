"""RedisHealth without a server: bounded operations, the back-off that keeps a dead
Redis from being asked on every call, one probe at a time, events and log lines."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import redis.exceptions

from watson_async import FleetEvent
from watson_async.redis import RedisRateLimitGate
from watson_async.redis._health import RedisHealth, Unavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Operation:
    """Counts its calls; fails with ``error`` (hangs if ``hang``) until told otherwise."""

    def __init__(self) -> None:
        self.calls = 0
        self.error: BaseException | None = None
        self.hang = False

    async def __call__(self) -> str:
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.error is not None:
            raise self.error
        return "ok"


def health(events: list[FleetEvent], clock: Clock) -> RedisHealth:
    return RedisHealth(
        "rate_limit_gate",
        op_timeout=0.01,
        backoff=1.0,
        max_backoff=4.0,
        clock=clock,
        on_event=events.append,
    )


async def test_after_a_failure_redis_is_left_alone_until_the_back_off_passes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watson_async.redis")
    clock, events, op = Clock(), [], Operation()
    h = health(events, clock)
    assert await h.run(op) == "ok"
    op.error = redis.exceptions.ConnectionError("Connection refused")
    with pytest.raises(Unavailable):
        await h.run(op)
    assert not h.available
    for _ in range(5):  # during the back-off: refused without asking Redis
        with pytest.raises(Unavailable):
            await h.run(op)
    assert op.calls == 2
    backoffs = []
    for _ in range(4):  # each failed probe doubles the back-off, up to max_backoff
        start = clock.now
        while not h.usable():
            clock.now += 0.25
        backoffs.append(clock.now - start)
        with pytest.raises(Unavailable):
            await h.run(op)
    assert backoffs == [1.0, 2.0, 4.0, 4.0]
    assert op.calls == 6
    op.error = None
    clock.now += 4.0
    assert await h.run(op) == "ok"
    assert h.available
    assert [(e.component, e.state) for e in events] == [
        ("rate_limit_gate", "fallback"),
        ("rate_limit_gate", "rejoined"),
    ]
    assert "ConnectionError: Connection refused" in events[0].reason
    logged = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in logged] == [logging.WARNING, logging.INFO]
    assert "rate-limit gate" in logged[0][1]


async def test_a_hanging_redis_costs_op_timeout_once_per_back_off() -> None:
    clock, events, op = Clock(), [], Operation()
    h = health(events, clock)
    op.hang = True
    with pytest.raises(Unavailable):
        await h.run(op)  # bounded by op_timeout
    with pytest.raises(Unavailable):
        await h.run(op)  # not asked again
    assert op.calls == 1
    assert [e.state for e in events] == ["fallback"]


async def test_one_probe_at_a_time() -> None:
    clock, events, op = Clock(), [], Operation()
    h = health(events, clock)
    op.error = OSError("unreachable")
    with pytest.raises(Unavailable):
        await h.run(op)
    clock.now += 1.0
    op.error, op.hang = None, True
    probe = asyncio.ensure_future(h.run(op))
    await asyncio.sleep(0)  # the probe is under way
    assert not h.usable()
    with pytest.raises(Unavailable):
        await h.run(op)  # others don't pile onto a probe
    with pytest.raises(Unavailable):
        await probe  # timed out: still alone
    assert op.calls == 2  # the first failure and the probe
    assert [e.state for e in events] == ["fallback"]


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.NoScriptError("NOSCRIPT No matching script"),
        redis.exceptions.NoPermissionError("NOPERM this user has no permissions"),
        redis.exceptions.ResponseError("ERR unknown command 'EVALSHA'"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
    ],
    ids=["noscript", "acl", "unknown-command", "timeout"],
)
async def test_a_refused_command_is_a_fallback_not_an_exception(error: BaseException) -> None:
    clock, events, op = Clock(), [], Operation()
    op.error = error
    with pytest.raises(Unavailable):
        await health(events, clock).run(op)
    assert [e.state for e in events] == ["fallback"]


def test_a_listener_that_raises_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: FleetEvent) -> None:
        raise RuntimeError("listener bug")

    h = RedisHealth("token_cache", op_timeout=1.0, on_event=broken)
    h._failed(OSError("down"))
    assert any("on_event failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "options",
    [{"op_timeout": 0}, {"op_timeout": -1.0}, {"backoff": 0}, {"max_backoff": "1"}],
)
def test_bad_timings_are_value_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        RedisRateLimitGate.from_url("redis://127.0.0.1:6379/0", **options)


@pytest.mark.parametrize("namespace", ["", "a b", "a\nb", 3, None])
def test_a_bad_namespace_is_a_value_error(namespace: Any) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisRateLimitGate.from_url("redis://127.0.0.1:6379/0", namespace=namespace)


@pytest.mark.parametrize("url", ["http://127.0.0.1", "redis://host:notaport", "nonsense", 5])
def test_a_malformed_url_is_a_value_error(url: Any) -> None:
    with pytest.raises(ValueError, match=r"Redis URL|url must be"):
        RedisRateLimitGate.from_url(url)


@pytest.mark.parametrize("options", [{"key_ttl": 0}, {"burst": 0}, {"burst": 1.5}])
def test_bad_gate_options_are_value_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        RedisRateLimitGate.from_url("redis://127.0.0.1:6379/0", **options)


async def test_repr_and_keys_carry_no_secret() -> None:
    gate = RedisRateLimitGate.from_url("redis://:hunter2@127.0.0.1:6379/0", namespace="fleet")
    assert repr(gate) == "RedisRateLimitGate(namespace='fleet')"
    assert gate.key("message") == "fleet:gate:message"
    await gate.aclose()  # never connected: closing sends nothing
