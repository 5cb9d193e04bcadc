"""Retries and the rate-limit gate end to end: the real client against FakeAssistant.

A JumpClock drives both sides (the client's clock and sleep, the fake's clock), so waits
for rate-limit windows pass instantly and in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fakes import JumpClock

from watson_async import (
    ApiError,
    AssistantClient,
    BadRequestError,
    GateEvent,
    NoAuthAuthenticator,
    NotFoundError,
    ResponseParseError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    TransportError,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
WALL0 = 1_800_000_000.0  # a multiple of 60: windows start at jc.now = 0, 60, 120...


@pytest.fixture
def jc() -> JumpClock:
    return JumpClock()


def make_client(fake: FakeAssistant, jc: JumpClock, **options: Any) -> AssistantClient:
    return AssistantClient(
        VERSION,
        NoAuthAuthenticator(),
        service_url=fake.service_url,
        clock=jc,
        sleep=jc.sleep,
        **options,
    )


@pytest.fixture
async def fake(jc: JumpClock) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(auth=False, clock=lambda: WALL0 + jc.now, extra_assistants=3) as f:
        yield f


# --- the fault matrix ------------------------------------------------------------------

FAULTS: dict[str, Callable[..., None]] = {
    "500": lambda f, **m: f.enqueue_error(500, **m),
    "502": lambda f, **m: f.enqueue_error(502, **m),
    "503": lambda f, **m: f.enqueue_error(503, headers={"Retry-After": "2"}, **m),
    "504": lambda f, **m: f.enqueue_error(504, **m),
    "408": lambda f, **m: f.enqueue_error(408, **m),
    "html_502": lambda f, **m: f.enqueue_html_error(502, **m),
    "disconnect": lambda f, **m: f.enqueue_disconnect(**m),
    "429_json": lambda f, **m: f.enqueue_error(429, body={"error": "Rate limit exceeded"}, **m),
    "429_text": lambda f, **m: f.enqueue_error(429, body="Rate limit exceeded", **m),
    "400": lambda f, **m: f.enqueue_error(400, body={"error": "Invalid Request Body"}, **m),
    "404": lambda f, **m: f.enqueue_error(404, body={"error": "Resource not found"}, **m),
    "malformed_json": lambda f, **m: f.enqueue_malformed_json(**m),
}
AMBIGUOUS = {"500", "502", "503", "504", "408", "html_502", "disconnect"}
ERROR_FOR: dict[str, type[Exception]] = {
    "500": ServerError,
    "502": ServerError,
    "503": ServerError,
    "504": ServerError,
    "408": ApiError,
    "html_502": ServerError,
    "disconnect": TransportError,
    "400": BadRequestError,
    "404": NotFoundError,
    "malformed_json": ResponseParseError,
}
KINDS = ["message", "message_stateless", "create_session", "list_assistants", "delete_session"]


async def run_kind(
    kind: str, client: AssistantClient, fake: FakeAssistant
) -> Callable[[], Awaitable[object]]:
    """Set up what ``kind`` needs; return the call and arrange the fault's target."""
    aid, eid = fake.assistant_id, fake.environment_id
    sid = (await client.create_session(aid, eid)).session_id
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "message": lambda: client.message(aid, eid, sid, input={"text": "hello"}),
        "message_stateless": lambda: client.message_stateless(aid, eid, input={"text": "hi"}),
        "create_session": lambda: client.create_session(aid, eid),
        "list_assistants": lambda: client.list_assistants(),
        "delete_session": lambda: client.delete_session(aid, eid, sid),
    }
    return calls[kind]


TARGET = {
    "message": {"method": "POST", "path_contains": "/message"},
    "message_stateless": {"method": "POST", "path_contains": "/message"},
    "create_session": {"method": "POST", "path_contains": "/sessions"},
    "list_assistants": {"method": "GET", "path_contains": "/v2/assistants"},
    "delete_session": {"method": "DELETE", "path_contains": "/sessions/"},
}


def expected_outcome(fault: str, kind: str) -> type[Exception] | None:
    """None: the call succeeds (after a retry where one is allowed)."""
    if fault.startswith("429"):
        return None
    if fault in AMBIGUOUS:
        if kind != "message":
            return None  # safe to repeat
        return ERROR_FOR[fault]  # a stateful turn is never sent twice blindly
    if fault == "malformed_json" and kind == "delete_session":
        return None  # a delete reads no body
    return ERROR_FOR[fault]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fault_matrix(fault: str, kind: str, fake: FakeAssistant, jc: JumpClock) -> None:
    retries: list[RetryEvent] = []
    async with make_client(fake, jc, on_retry=retries.append) as client:
        call = await run_kind(kind, client, fake)
        FAULTS[fault](fake, **TARGET[kind])
        expected = expected_outcome(fault, kind)
        if expected is None:
            await asyncio.wait_for(call(), 10)
            # aiohttp itself silently resends a GET or DELETE once after a disconnect.
            aiohttp_resent = fault == "disconnect" and kind in ("list_assistants", "delete_session")
            retried = fault.startswith("429") or (fault in AMBIGUOUS and not aiohttp_resent)
            assert len(retries) == (1 if retried else 0), retries
        else:
            with pytest.raises(expected) as info:
                await asyncio.wait_for(call(), 10)
            assert info.value.attempts == 1  # type: ignore[attr-defined]
            assert retries == []
    assert fake.pending_faults == 0


# --- no stateful turn twice ----------------------------------------------------------


async def test_default_policy_never_applies_a_stateful_turn_twice(
    fake: FakeAssistant, jc: JumpClock
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    outcomes: dict[str, int] = {"ok": 0, "error": 0}
    async with make_client(fake, jc) as client:
        sessions = [(await client.create_session(aid, eid)).session_id for _ in range(10)]
        for turn in range(6):
            for i, sid in enumerate(sessions):
                # Faults before and after the service applied the turn, on some sessions.
                if (i + turn) % 3 == 0:
                    fake.enqueue_error(
                        503,
                        method="POST",
                        path_contains=f"{sid}/message",
                        after_processing=bool(turn % 2),
                    )
                elif (i + turn) % 3 == 1:
                    fake.enqueue_disconnect(
                        method="POST",
                        path_contains=f"{sid}/message",
                        after_processing=bool(turn % 2),
                    )
                try:
                    await client.message(aid, eid, sid, input={"text": f"turn {turn}"})
                    outcomes["ok"] += 1
                except (ServerError, TransportError):
                    outcomes["error"] += 1
    assert outcomes["error"] == 40
    for sid in sessions:
        texts = fake.turn_texts(sid)
        assert len(texts) == len(set(texts)), texts  # no turn applied twice
    applied = sum(fake.turns_received(sid) for sid in sessions)
    assert applied == outcomes["ok"] + 20  # 20 faults came after the turn was applied


# --- the 429 storm -------------------------------------------------------------------
# Real time with one-second windows (the headers' resolution): a simulated clock can't
# tell how long requests in flight take, and the gate's accounting depends on it.


async def storm(
    *, gate: bool, conversations: int = 100, turns: int = 2, limit: int = 50
) -> tuple[FakeAssistant, int, list[GateEvent]]:
    gate_events: list[GateEvent] = []
    async with FakeAssistant(
        auth=False, rate_limits={"message": limit}, rate_limit_window=1.0, record_requests=False
    ) as fake:
        policy = RetryPolicy(max_attempts=50, total_timeout=60, max_wait=5)
        async with AssistantClient(
            VERSION,
            NoAuthAuthenticator(),
            service_url=fake.service_url,
            retry=policy,
            rate_limit_gate=gate,
            on_gate_wait=gate_events.append,
        ) as client:
            aid, eid = fake.assistant_id, fake.environment_id

            async def conversation(n: int) -> None:
                sid = (await client.create_session(aid, eid)).session_id
                for t in range(turns):
                    await client.message(aid, eid, sid, input={"text": f"c{n} t{t}"})
                await client.delete_session(aid, eid, sid)

            await asyncio.wait_for(
                asyncio.gather(*(conversation(n) for n in range(conversations))), 60
            )
        return fake, fake.rate_limited_responses, gate_events


async def test_429_storm_completes_with_bounded_429s_and_fewer_than_without_the_gate() -> None:
    fake, with_gate, gate_events = await storm(gate=True)
    assert fake.total_turns_processed == 200
    assert gate_events  # the gate held requests back
    # The first burst (100 coroutines, nothing known yet) collects up to 50 429s; after
    # that the gate admits what each window allows. Retries alone collect far more.
    assert with_gate <= 50 + 4 * 10, with_gate
    fake, without_gate, _ = await storm(gate=False)
    assert fake.total_turns_processed == 200
    assert with_gate < without_gate


# --- clocks, headers, bodies -----------------------------------------------------------


@pytest.mark.parametrize("skew", [-30.0, 30.0])
async def test_waits_match_the_reset_whatever_the_servers_clock(skew: float, jc: JumpClock) -> None:
    events: list[GateEvent] = []
    async with (
        FakeAssistant(
            auth=False,
            clock=lambda: WALL0 + jc.now,
            rate_limits={"create_session": 2},
            rate_limit_window=60.0,
            date_skew=skew,
        ) as fake,
        make_client(fake, jc, on_gate_wait=events.append) as client,
    ):
        jc.now = 10.0  # 50 s left in the first window
        for _ in range(3):
            await client.create_session(fake.assistant_id, fake.environment_id)
    (event,) = events
    assert 50.0 <= event.wait <= 51.0  # the reset by the server's Date, + up to 1 s jitter
    assert fake.rate_limited_responses == 0


async def test_missing_headers_and_plain_text_429s(jc: JumpClock) -> None:
    retries: list[RetryEvent] = []
    async with FakeAssistant(
        auth=False,
        clock=lambda: WALL0 + jc.now,
        rate_limits={"message_stateless": 1},
        rate_limit_window=5.0,
        rate_limit_headers=False,
        rate_limit_body="text",
    ) as fake:
        policy = RetryPolicy(max_attempts=30, total_timeout=600)
        async with make_client(fake, jc, retry=policy, on_retry=retries.append) as client:
            for _ in range(3):
                await client.message_stateless(fake.assistant_id, fake.environment_id)
    assert retries
    assert {e.reason for e in retries} == {"rate_limited"}
    assert all(getattr(e.error, "body", "") == "Rate limit exceeded" for e in retries)
