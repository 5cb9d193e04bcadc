"""A gate object shared by several clients: what AssistantClient(rate_limit_gate=...)
accepts, each client's own events, and a closing client ending only its own waits."""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import pytest
from fakes import ScriptedTransport, VirtualTime, response

from watson_async import (
    AssistantClient,
    ClientClosedError,
    Gate,
    GateBinding,
    GateEvent,
    NoAuthAuthenticator,
    RateLimitGate,
)

WALL = 1_800_000_000.0


def limited(reset_in: int) -> dict[str, str]:
    """A 429's headers: the window resets ``reset_in`` seconds after its Date."""
    return {
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(WALL) + reset_in),
        "Date": email.utils.formatdate(WALL, usegmt=True),
    }


def client(gate: Any, *answers: object) -> AssistantClient:
    return AssistantClient(
        "2024-08-25",
        NoAuthAuthenticator(),
        service_url="https://x",
        transport=ScriptedTransport(*answers),  # type: ignore[arg-type]
        retry=None,
        rate_limit_gate=gate,
    )


@pytest.mark.parametrize("value", ["yes", 1, 0, None, object(), RateLimitGate])
def test_rate_limit_gate_accepts_only_a_bool_or_a_gate(value: Any) -> None:
    with pytest.raises(ValueError, match="rate_limit_gate must be True, False or a gate"):
        client(value)


def test_a_rate_limit_gate_is_a_gate_and_its_binding_a_binding() -> None:
    gate = RateLimitGate()
    assert isinstance(gate, Gate)
    assert isinstance(gate.bind(), GateBinding)
    assert isinstance(gate, GateBinding)  # a client's own gate is its own binding


async def test_clients_sharing_a_gate_share_what_it_learns() -> None:
    gate = RateLimitGate()
    a = client(gate, response(429, {"error": "slow down"}, headers=limited(30)))
    b = client(gate)
    with pytest.raises(Exception, match="429"):
        await a.list_assistants()
    assert b.rate_limits["list_assistants"].blocked_for == pytest.approx(30.0, abs=1.0)
    await a.aclose()
    await b.aclose()


async def test_each_client_gets_its_own_events_and_its_close_ends_only_its_waits() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    events_a: list[GateEvent] = []
    events_b: list[GateEvent] = []
    a, b = gate.bind(events_a.append), gate.bind(events_b.append)
    gate.observe("message", 429, limited(10))
    held_a = asyncio.ensure_future(a.acquire("message"))
    held_b = asyncio.ensure_future(b.acquire("message"))
    await vt.until_sleeping()  # one waker for both
    assert [e.reason for e in events_a] == ["rate_limited"]
    assert [e.reason for e in events_b] == ["rate_limited"]  # each its own request's event
    a.close()  # a's client closed: its wait ends now, b's goes on
    with pytest.raises(ClientClosedError):
        await held_a
    assert not held_b.done()
    vt.advance(10.0)
    assert await held_b == pytest.approx(10.0)


async def test_when_every_waiter_is_gone_the_waker_stops() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    binding = gate.bind()
    gate.observe("message", 429, limited(10))
    held = asyncio.ensure_future(binding.acquire("message"))
    await vt.until_sleeping()
    waker = gate._families["message"].waker
    assert waker is not None
    binding.close()
    with pytest.raises(ClientClosedError):
        await held
    with pytest.raises(asyncio.CancelledError):
        await waker  # no task of the closed client's is left sleeping
    assert gate._families["message"].waker is None


async def test_a_client_closing_ends_its_held_calls_on_a_shared_gate() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    gate.observe("list_assistants", 429, limited(10))
    a, b = client(gate), client(gate, response(200, {"assistants": [], "pagination": {}}))
    call_a = asyncio.ensure_future(a.list_assistants())
    call_b = asyncio.ensure_future(b.list_assistants())
    await vt.until_sleeping()
    await a.aclose()
    with pytest.raises(ClientClosedError):
        await call_a
    vt.advance(10.0)
    await call_b  # b's call went on, admitted at the reset
    await b.aclose()
