"""Retries and the rate-limit gate, without sockets: pure rules, then the runner and gate."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Iterator

import pytest
import tenacity
from fakes import JumpClock, ScriptedTransport, VirtualTime, response

from watson_async import (
    AssistantClient,
    BadRequestError,
    ClientClosedError,
    NoAuthAuthenticator,
    NotFoundError,
    RateLimitError,
    ResponseParseError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    TransportError,
    set_testing,
)
from watson_async.errors import ApiError
from watson_async.protocol import wire as _wire
from watson_async.resilience.retry import GateEvent, RateLimitGate
from watson_async.resilience.retrying import retrying

WALL = 1_800_000_000.0


def date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def api_error(status: int, **headers: str) -> ApiError:
    return _wire.error_from_response(
        status, "x", {k.replace("_", "-"): v for k, v in headers.items()}, b""
    )


DISCONNECT = TransportError("gone", method="POST", url="u", request_sent=True)
REFUSED = TransportError("refused", method="POST", url="u", request_sent=False)
READ_TIMEOUT = TransportError("slow", method="POST", url="u", request_sent=True, timeout=True)
CONNECT_TIMEOUT = TransportError("slow", method="POST", url="u", request_sent=False, timeout=True)


# --- the matrix (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "idempotent", "ambiguous", "expected"),
    [
        (api_error(429), False, False, "rate_limited"),
        (REFUSED, False, False, "connect_error"),
        (CONNECT_TIMEOUT, False, False, "timeout_connecting"),
        (api_error(503), True, False, "status_503"),
        (api_error(503), False, False, None),
        (api_error(503), False, True, "status_503"),
        (api_error(408), True, False, "status_408"),
        (api_error(500), True, False, "status_500"),
        (api_error(502), True, False, "status_502"),
        (api_error(504), True, False, "status_504"),
        (DISCONNECT, True, False, "disconnected"),
        (DISCONNECT, False, False, None),
        (READ_TIMEOUT, True, False, "timeout"),
        (READ_TIMEOUT, False, True, "timeout"),
        (api_error(400), True, True, None),
        (api_error(401), True, True, None),
        (api_error(403), True, True, None),
        (api_error(404), True, True, None),
        (api_error(409), True, True, None),
        (api_error(413), True, True, None),
        (api_error(422), True, True, None),
        (api_error(501), True, True, None),
        (ValueError("bug"), True, True, None),
    ],
)
def test_retry_matrix(
    error: BaseException, idempotent: bool, ambiguous: bool, expected: str | None
) -> None:
    assert _wire.retry_reason(error, idempotent, ambiguous) == expected


def test_backoff_is_full_jitter_capped() -> None:
    assert _wire.backoff_wait(1, 0.5, 10.0, lambda: 1.0) == 0.5
    assert _wire.backoff_wait(3, 0.5, 10.0, lambda: 1.0) == 2.0
    assert _wire.backoff_wait(10, 0.5, 10.0, lambda: 1.0) == 10.0
    assert _wire.backoff_wait(10, 0.5, 10.0, lambda: 0.0) == 0.0


@pytest.mark.parametrize("skew", [-30.0, 0.0, 30.0])
def test_wait_follows_the_servers_reset_whatever_its_clock(skew: float) -> None:
    server_now = WALL + skew
    error = api_error(429, X_RateLimit_Reset=str(int(server_now) + 12), Date=date(server_now))
    # Local clock: WALL. The wait is the server's reset minus the server's Date, plus up
    # to a second of jitter (both headers have whole-second resolution).
    assert _wire.retry_wait(error, 1, 0.5, 10.0, WALL, lambda: 0.0) == pytest.approx(12.0)
    assert _wire.retry_wait(error, 1, 0.5, 10.0, WALL, lambda: 1.0) == pytest.approx(13.0)


def test_retry_after_wins_and_missing_headers_fall_back_to_backoff() -> None:
    error = api_error(503, Retry_After="4", X_RateLimit_Reset=str(int(WALL) + 50), Date=date(WALL))
    assert _wire.retry_wait(error, 1, 0.5, 10.0, WALL, lambda: 0.0) == 4.0
    plain = _wire.error_from_response(429, "Too Many Requests", {}, b"Rate limit exceeded")
    assert _wire.retry_wait(plain, 2, 0.5, 10.0, WALL, lambda: 1.0) == 1.0  # backoff, attempt 2
    assert _wire.retry_wait(DISCONNECT, 1, 0.5, 10.0, WALL, lambda: 1.0) == 0.5


def test_policy_is_immutable_and_validated() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 3  # type: ignore[misc]
    for bad in (
        {"max_attempts": 0},
        {"total_timeout": 0},
        {"backoff_base": -1},
        {"max_wait": 0},
        {"backoff_base": 5.0, "backoff_cap": 1.0},
        {"max_attempts": "3"},
        {"max_attempts": True},
        {"max_attempts": 2.5},
        {"total_timeout": "60"},
    ):
        with pytest.raises(ValueError, match=r"must be|at least"):
            RetryPolicy(**bad)  # type: ignore[arg-type]


# --- the runner, through the client ------------------------------------------------


@pytest.fixture(autouse=True)
def _no_testing_mode() -> Iterator[None]:
    yield
    set_testing(False)


def client_with(
    *answers: object,
    policy: RetryPolicy | None = None,
    events: list[RetryEvent] | None = None,
    gate: bool = False,
) -> tuple[AssistantClient, ScriptedTransport, JumpClock]:
    transport = ScriptedTransport(*answers)  # type: ignore[arg-type]
    clock = JumpClock()
    client = AssistantClient(
        "2024-08-25",
        NoAuthAuthenticator(),
        service_url="https://x",
        transport=transport,
        retry=policy or RetryPolicy(),
        rate_limit_gate=gate,
        clock=clock,
        sleep=clock.sleep,
        on_retry=None if events is None else events.append,
    )
    return client, transport, clock


OK_SESSION = response(201, {"session_id": "s1"})
OK_REPLY = response(200, {"output": {}})


async def test_idempotent_call_retried_after_5xx_with_history() -> None:
    events: list[RetryEvent] = []
    client, transport, clock = client_with(
        response(503, {"error": "busy"}),
        response(502, b"<html>bad gateway</html>"),
        OK_SESSION,
        events=events,
    )
    async with client:
        session = await client.create_session("a", "e")
    assert session.session_id == "s1"
    assert len(transport.sent) == 3
    assert [(e.attempt, e.reason) for e in events] == [(1, "status_503"), (2, "status_502")]
    assert events[1].waited == pytest.approx(events[0].wait)
    assert clock.slept == [e.wait for e in events]


async def test_stateful_message_is_not_retried_after_5xx_or_disconnect() -> None:
    client, transport, _ = client_with(response(503, {"error": "busy"}), DISCONNECT)
    async with client:
        with pytest.raises(ServerError) as info:
            await client.message("a", "e", "s", input={"text": "hi"})
        assert info.value.attempts == 1
        with pytest.raises(TransportError):
            await client.message("a", "e", "s", input={"text": "hi"})
    assert len(transport.sent) == 2


async def test_stateful_message_is_retried_when_nothing_was_sent_or_rate_limited() -> None:
    client, transport, _ = client_with(REFUSED, response(429, b"Rate limit exceeded"), OK_REPLY)
    async with client:
        await client.message("a", "e", "s", input={"text": "hi"})
    assert len(transport.sent) == 3


async def test_retry_ambiguous_opts_in_for_stateful_message() -> None:
    client, transport, _ = client_with(
        response(504, {"error": "timeout"}), OK_REPLY, policy=RetryPolicy(retry_ambiguous=True)
    )
    async with client:
        await client.message("a", "e", "s", input={"text": "hi"})
    assert len(transport.sent) == 2


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 422])
async def test_client_errors_are_never_retried(status: int) -> None:
    client, transport, _ = client_with(response(status, {"error": "no", "code": status}))
    async with client:
        with pytest.raises(ApiError):
            await client.delete_session("a", "e", "s")
    assert len(transport.sent) == 1


async def test_exhausted_retries_raise_the_last_typed_error_not_tenacitys() -> None:
    failing = response(
        500,
        {"error": "Internal Server Error", "code": 500},
        {"X-Global-Transaction-Id": "txn-last"},
    )
    client, transport, _ = client_with(*[failing] * 3, policy=RetryPolicy(max_attempts=3))
    async with client:
        with pytest.raises(ServerError) as info:
            await client.delete_session("a", "e", "s")
    err = info.value
    assert not isinstance(err, tenacity.RetryError)
    assert err.attempts == 3
    assert len(err.retry_history) == 2
    assert err.waited == pytest.approx(sum(e.wait for e in err.retry_history))
    assert err.global_transaction_id == "txn-last"
    assert err.status_code == 500
    assert len(transport.sent) == 3


async def test_a_reset_beyond_max_wait_raises_at_once() -> None:
    headers = {"X-RateLimit-Reset": str(int(WALL) + 300), "Date": date(WALL)}
    client, transport, clock = client_with(
        response(429, {"error": "Rate limit exceeded"}, headers), policy=RetryPolicy(max_wait=60)
    )
    async with client:
        with pytest.raises(RateLimitError) as info:
            await client.create_session("a", "e")
    assert info.value.retry_after == pytest.approx(300.0)
    assert info.value.reset_at == int(WALL) + 300
    assert clock.slept == []
    assert len(transport.sent) == 1


async def test_total_timeout_bounds_the_waits() -> None:
    busy = response(503, {"error": "busy"}, {"Retry-After": "20"})
    client, _, clock = client_with(*[busy] * 5, policy=RetryPolicy(total_timeout=50, max_wait=30))
    async with client:
        with pytest.raises(ServerError) as info:
            await client.delete_session("a", "e", "s")
    assert info.value.attempts == 3  # waits of ~20 s: the third would cross 50 s
    assert clock.now <= 50


async def test_parse_errors_are_not_retried() -> None:
    client, transport, _ = client_with(response(200, b"{not json"))
    async with client:
        with pytest.raises(ResponseParseError):
            await client.message_stateless("a", "e")
    assert len(transport.sent) == 1


async def test_testing_switch_zeroes_waits_and_caps_attempts() -> None:
    set_testing(True, attempts=2)
    busy = response(503, {"error": "busy"}, {"Retry-After": "30"})
    client, _, clock = client_with(busy, busy, busy)
    async with client:
        with pytest.raises(ServerError) as info:
            await client.delete_session("a", "e", "s")
    assert info.value.attempts == 2
    assert clock.slept == [0.0]
    with pytest.raises(ValueError, match="attempts"):
        set_testing(True, attempts=0)


async def test_with_options_overrides_retry_per_call() -> None:
    busy = response(503, {"error": "busy"})
    client, transport, _ = client_with(busy, busy, OK_SESSION)
    async with client:
        with pytest.raises(ServerError):
            await client.with_options(retry=None).create_session("a", "e")
        assert len(transport.sent) == 1
        await client.create_session("a", "e")  # the client itself still retries
        view = client.with_options(retry=None)
        await view.aclose()  # closing a view closes nothing
        assert not client.closed
    assert client.closed
    with pytest.raises(RuntimeError, match="closed"):
        await view.create_session("a", "e")


def test_retry_option_is_checked() -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        AssistantClient("2024-08-25", NoAuthAuthenticator(), retry=3)  # type: ignore[arg-type]


async def test_bad_request_on_the_retry_ends_it() -> None:
    client, _transport, _ = client_with(
        response(503, {"error": "busy"}), response(400, {"error": "bad"})
    )
    async with client:
        with pytest.raises(BadRequestError) as info:
            await client.create_session("a", "e")
    assert info.value.attempts == 2


async def test_not_found_session_is_not_retried() -> None:
    client, _, _ = client_with(response(404, {"error": "Invalid Session", "code": 404}))
    async with client:
        with pytest.raises(NotFoundError):
            await client.message_stateless("a", "e")


# --- the building block: retry.retrying() ------------------------------------------


class Flaky:
    """Fails with ``errors`` in turn, then returns ``"ok"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_retrying_waits_reports_and_raises_the_last_error() -> None:
    clock = JumpClock()
    reports: list[tuple[BaseException, int, float]] = []
    first, second, third = api_error(503), api_error(502), api_error(500)
    flaky = Flaky(first, second, third)
    loop = retrying(
        attempts=3,
        retry=lambda error: isinstance(error, ApiError),
        wait=lambda error, attempt: 10.0 * attempt,
        sleep=clock.sleep,
        clock=clock,
        before_sleep=lambda *report: reports.append(report),
    )
    with pytest.raises(ApiError) as info:
        await loop(flaky)
    assert info.value is third
    assert reports == [(first, 1, 10.0), (second, 2, 20.0)]
    assert clock.slept == [10.0, 20.0]
    assert flaky.calls == 3


async def test_retrying_raises_what_it_may_not_retry_at_once() -> None:
    clock = JumpClock()
    flaky = Flaky(ValueError("bug"))
    loop = retrying(
        attempts=5, retry=lambda error: False, wait=lambda error, n: 1.0, sleep=clock.sleep
    )
    with pytest.raises(ValueError, match="bug"):
        await loop(flaky)
    assert (flaky.calls, clock.slept) == (1, [])


@pytest.mark.parametrize(
    ("wait", "limit", "calls", "slept"),
    [
        (61.0, {"max_wait": 60.0}, 1, []),
        (20.0, {"total_timeout": 50.0}, 3, [20.0, 20.0]),  # a third wait would end at 60 s
    ],
)
async def test_retrying_refuses_a_wait_over_max_wait_or_past_the_total_timeout(
    wait: float, limit: dict[str, float], calls: int, slept: list[float]
) -> None:
    clock = JumpClock()
    loop = retrying(
        attempts=9,
        retry=lambda error: True,
        wait=lambda error, n: wait,
        sleep=clock.sleep,
        clock=clock,
        **limit,
    )
    flaky = Flaky(*[api_error(503)] * 9)
    with pytest.raises(ApiError):
        await loop(flaky)
    assert (flaky.calls, clock.slept) == (calls, slept)


async def test_retrying_in_testing_mode_never_waits() -> None:
    clock = JumpClock()
    set_testing(True, attempts=1)  # the attempts cap is the client's: see retry_after()
    loop = retrying(
        attempts=3, retry=lambda error: True, wait=lambda error, n: 30.0, sleep=clock.sleep
    )
    assert await loop(Flaky(api_error(503), api_error(503))) == "ok"
    assert clock.slept == [0.0, 0.0]


# --- the gate --------------------------------------------------------------------


def budget(remaining: int, reset_in: int, limit: int = 10, now: float = WALL) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(now) + reset_in),
        "Date": date(now),
    }


async def test_gate_holds_a_family_when_its_budget_is_spent() -> None:
    vt = VirtualTime()
    events: list[GateEvent] = []
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0, on_wait=events.append)
    assert await gate.acquire("message") == 0.0  # nothing known: no wait
    gate.observe("message", 200, budget(remaining=0, reset_in=9))
    gate.observe("other", 200, budget(remaining=5, reset_in=9))
    waiter = asyncio.create_task(gate.acquire("message"))
    await vt.until_sleeping()
    assert await gate.acquire("other") == 0.0  # other families are not held
    assert events == [GateEvent("message", pytest.approx(9.0), "budget_spent")]  # type: ignore[arg-type]
    state = gate.state()["message"]
    assert (state.limit, state.remaining, state.resets_in) == (10, 0, pytest.approx(9.0))
    vt.advance(9.0)
    assert await waiter == pytest.approx(9.0)
    # The new window opened with the full limit, one unit already used by the waiter.
    assert gate.state()["message"].remaining == 9


async def test_gate_counts_what_it_admits_within_a_window() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    gate.observe("m", 200, budget(remaining=3, reset_in=30))
    for _ in range(3):
        assert await gate.acquire("m") == 0.0
    blocked = asyncio.create_task(gate.acquire("m"))
    await vt.until_sleeping()
    assert not blocked.done()
    # A late response of the same window reporting more left does not reopen it.
    gate.observe("m", 200, budget(remaining=2, reset_in=30))
    assert gate.state()["m"].remaining == 0
    vt.advance(31)
    await blocked


async def test_gate_after_a_429_holds_everyone_then_admits_them_in_order() -> None:
    # Before the fair gate each waiter slept its own randomly spread delay (woken in any
    # order); now one waker, jittered once by up to ``spread``, admits them in order.
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.5, spread=0.4)
    gate.observe("m", 429, {"Retry-After": "5"})
    order: list[int] = []
    waiters = [asyncio.create_task(gate.acquire("m")) for _ in range(3)]
    for n, waiter in enumerate(waiters):
        waiter.add_done_callback(lambda _, n=n: order.append(n))
    await vt.until_sleeping()
    assert vt.sleepers == 1  # one timer, however many wait
    vt.advance(5.2)
    assert await asyncio.gather(*waiters) == pytest.approx([5.2, 5.2, 5.2])
    assert order == [0, 1, 2]


async def settle() -> None:
    """Let woken tasks run (bounded)."""
    for _ in range(10):
        await asyncio.sleep(0)


def learned(gate: RateLimitGate, *, limit: int, window: int, remaining: int) -> None:
    """Two responses of successive windows: the gate learns the limit and the window."""
    gate.observe("m", 200, budget(remaining=remaining, reset_in=window, limit=limit))
    later = WALL + window
    gate.observe("m", 200, budget(remaining, reset_in=window, limit=limit, now=later))


async def test_gate_admits_waiters_in_arrival_order_and_no_arrival_overtakes() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    gate.observe("m", 200, budget(remaining=0, reset_in=9, limit=3))
    a, b, c = (asyncio.create_task(gate.acquire("m")) for _ in range(3))
    await vt.until_sleeping()
    vt.now += 9.0  # the budget is back, but the waker hasn't run yet
    d = asyncio.create_task(gate.acquire("m"))  # finds waiters: queues behind them
    await settle()
    assert not d.done()  # the old gate admitted it at once, ahead of a, b and c
    vt.advance(0.0)  # wake the waker
    await settle()
    assert [t.done() for t in (a, b, c, d)] == [True, True, True, False]
    assert gate.state()["m"].remaining == 0
    vt.advance(1.0)  # the next (assumed) window
    await settle()
    assert await d == pytest.approx(1.0)


async def test_gate_waiter_cancelled_in_the_middle_uses_no_budget() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    gate.observe("m", 200, budget(remaining=0, reset_in=9, limit=2))
    a, b, c = (asyncio.create_task(gate.acquire("m")) for _ in range(3))
    await vt.until_sleeping()
    b.cancel()
    await settle()
    vt.advance(9.0)
    await settle()
    assert a.done()
    assert c.done()
    assert b.cancelled()
    assert gate.state()["m"].remaining == 0
    assert gate._families["m"].in_flight == 2
    assert not gate._families["m"].waiters


async def test_gate_waiter_cancelled_after_admission_gives_its_unit_back() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    gate.observe("m", 200, budget(remaining=0, reset_in=9, limit=2))
    a = asyncio.create_task(gate.acquire("m"))
    await vt.until_sleeping()
    vt.advance(9.0)
    await asyncio.sleep(0)  # the waker ran and admitted a; a itself hasn't resumed
    assert gate._families["m"].in_flight == 1
    a.cancel()
    await settle()
    assert a.cancelled()
    assert (gate.state()["m"].remaining, gate._families["m"].in_flight) == (2, 0)


async def test_gate_paces_admissions_over_the_window() -> None:
    vt = VirtualTime()
    events: list[GateEvent] = []
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, on_wait=events.append, burst=2)
    learned(gate, limit=8, window=2, remaining=8)  # one admission every 0.25 s
    start = vt.now
    admitted: list[float] = []
    tasks = [asyncio.create_task(gate.acquire("m")) for _ in range(6)]
    for task in tasks:
        task.add_done_callback(lambda _: admitted.append(vt.now - start))
    await settle()
    for _ in range(8):
        vt.advance(0.25)
        await settle()
    await asyncio.gather(*tasks)
    assert admitted == [0.0, 0.0, 0.25, 0.5, 0.75, 1.0]  # spread, not all at the start
    # One event per held request, its expected wait counting its place in the queue.
    assert [e.reason for e in events] == ["paced"] * 4
    assert [e.wait for e in events] == [0.25, 0.5, 0.75, 1.0]


async def test_gate_bounds_a_new_windows_end_by_one_window() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep)
    learned(gate, limit=8, window=2, remaining=8)
    # Whole-second Date and Reset: 3 s reported, but the window began before this
    # response, so it ends within 2 s.
    gate.observe("m", 200, budget(remaining=7, reset_in=3, limit=8, now=WALL + 3))
    assert gate.state()["m"].resets_in == pytest.approx(2.0)
    # Far more than a window plus rounding: the gaps weren't windows; trust the header.
    gate.observe("m", 200, budget(remaining=7, reset_in=60, limit=8, now=WALL + 4))
    assert gate.state()["m"].resets_in == pytest.approx(60.0)


async def test_gate_hot_path_returns_without_awaiting() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep)
    gate.observe("m", 200, budget(remaining=5, reset_in=30))
    coro = gate.acquire("m")
    with pytest.raises(StopIteration):  # finished at its first step: nothing awaited
        coro.send(None)
    assert gate._families["m"].waiters is None


async def test_gate_close_ends_every_waiter_with_client_closed_error() -> None:
    vt = VirtualTime()
    client = AssistantClient(
        "2024-08-25",
        NoAuthAuthenticator(),
        service_url="https://x",
        transport=ScriptedTransport(),
        clock=vt,
        sleep=vt.sleep,
    )
    gate = client._gate
    assert gate is not None
    gate.observe("m", 200, budget(remaining=0, reset_in=30))
    waiters = [asyncio.create_task(gate.acquire("m")) for _ in range(3)]
    await vt.until_sleeping()
    await client.aclose()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, ClientClosedError) for r in results)
    assert not gate._families["m"].waiters


async def test_gate_without_reset_never_blocks_on_the_count() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep)
    gate.observe("m", 200, {"X-RateLimit-Remaining": "0"})
    assert await gate.acquire("m") == 0.0


async def test_gate_after_a_429_without_headers_waits_the_fallback() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0, fallback_wait=1.0)
    gate.observe("m", 429, {})
    waiter = asyncio.create_task(gate.acquire("m"))
    await vt.until_sleeping()
    vt.advance(1.0)
    assert await waiter == pytest.approx(1.0)


async def test_gate_is_bypassed_in_testing_mode() -> None:
    set_testing(True)
    gate = RateLimitGate()
    gate.observe("m", 429, {"Retry-After": "60"})
    assert await gate.acquire("m") == 0.0


async def test_client_exposes_rate_limit_state() -> None:
    client, _, _ = client_with(response(201, {"session_id": "s"}, budget(4, 20)), gate=True)
    async with client:
        assert client.rate_limits == {}
        await client.create_session("a", "e")
        state = client.rate_limits["create_session"]
    assert (state.limit, state.remaining) == (10, 4)


async def test_gate_releases_a_request_that_got_no_response() -> None:
    client, _, _ = client_with(response(200, {"output": {}}, budget(5, 30)), DISCONNECT, gate=True)
    async with client:
        await client.message_stateless("a", "e")
        with pytest.raises(TransportError):
            await client.with_options(retry=None).message_stateless("a", "e")
        assert client._gate is not None
        assert client._gate._families["message_stateless"].in_flight == 0


async def test_gate_reads_a_custom_transports_lower_case_headers() -> None:
    # A Transport may return any Mapping: a plain dict with lower-case names counts too.
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    lower = {k.lower(): v for k, v in budget(remaining=0, reset_in=9).items()}
    gate.observe("m", 200, lower)
    assert gate.state()["m"].remaining == 0
    blocked = asyncio.create_task(gate.acquire("m"))
    await vt.until_sleeping()
    assert not blocked.done()  # the spent budget is honoured
    vt.advance(9.0)
    assert await blocked == pytest.approx(9.0)
    gate.observe("m", 200, {k.lower(): v for k, v in budget(remaining=4, reset_in=9).items()})
    assert gate.state()["m"].remaining == 4  # the fast path reads them too


async def test_admit_now_admits_what_acquire_would_at_once_and_nothing_else() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    assert gate.admit_now("message")  # nothing known: admitted, and counted
    gate.observe("message", 200, budget(remaining=1, reset_in=9))
    assert gate.admit_now("message")
    assert gate.state()["message"].remaining == 0
    assert not gate.admit_now("message")  # budget spent: the caller must acquire() and wait
    assert gate.state()["message"].remaining == 0  # a refusal uses nothing
    gate.observe("message", 429, {"Retry-After": "5"})
    assert not gate.admit_now("message")


async def test_admit_now_in_testing_mode_admits_without_counting() -> None:
    vt = VirtualTime()
    gate = RateLimitGate(clock=vt, sleep=vt.sleep, rand=lambda: 0.0)
    gate.observe("message", 200, budget(remaining=0, reset_in=9))
    set_testing(True)
    try:
        assert gate.admit_now("message")
        assert await gate.acquire("message") == 0.0
    finally:
        set_testing(False)
    assert gate.state()["message"].remaining == 0
