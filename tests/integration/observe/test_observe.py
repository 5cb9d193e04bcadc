"""Observability: events per attempt and per call, retries, gate waits, refreshes, logging.

The client talks to FakeAssistant on loopback; a JumpClock drives the client's clock
and sleep and the fake's clock, so retry and rate-limit waits pass instantly.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fakes import JumpClock, ScriptedTransport, response

from watson_async import (
    AssistantClient,
    AttemptEvent,
    CallEvent,
    Event,
    GateEvent,
    IAMAuthenticator,
    NoAuthAuthenticator,
    RateLimitError,
    RefreshEvent,
    ResponseParseError,
    RetryEvent,
    RetryPolicy,
    TransportError,
)
from watson_async.observe import Listeners, route_template
from watson_async.protocol import endpoints as _endpoints
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
WALL0 = 1_800_000_000.0
MESSAGE = (
    "/v2/assistants/{assistant_id}/environments/{environment_id}/sessions/{session_id}/message"
)


@pytest.fixture
def jc() -> JumpClock:
    return JumpClock()


@pytest.fixture
async def fake(jc: JumpClock) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(auth=False, clock=lambda: WALL0 + jc.now) as f:
        yield f


def make_client(fake: FakeAssistant, jc: JumpClock, events: list[Event], **options: Any) -> Any:
    return AssistantClient(
        VERSION,
        options.pop("authenticator", NoAuthAuthenticator()),
        service_url=fake.service_url,
        clock=jc,
        sleep=jc.sleep,
        on_event=events.append,
        **options,
    )


def of(events: list[Event], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


# --- route templates (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "template"),
    [
        (_endpoints.message("a-1", "e-1", "s-1", {"text": "hi"}, None, None), MESSAGE),
        (
            _endpoints.message("a-1", None, "s-1", {"text": "hi"}, None, None),
            "/v2/assistants/{assistant_id}/sessions/{session_id}/message",
        ),
        (
            _endpoints.create_session("a-1", "e-1", None),
            "/v2/assistants/{assistant_id}/environments/{environment_id}/sessions",
        ),
        (
            _endpoints.message_stateless("a-1", "e-1", {"text": "hi"}, None, None),
            "/v2/assistants/{assistant_id}/environments/{environment_id}/message",
        ),
        (_endpoints.delete_assistant("a-1"), "/v2/assistants/{assistant_id}"),
        (_endpoints.delete_release("a-1", "3"), "/v2/assistants/{assistant_id}/releases/{release}"),
        (
            _endpoints.get_skill("a-1", "sk-1"),
            "/v2/assistants/{assistant_id}/skills/{skill_id}",
        ),
        (_endpoints.delete_user_data("cust"), "/v2/user_data"),
    ],
)
def test_route_templates_hide_every_id(request_: _endpoints.Request, template: str) -> None:
    assert route_template(request_.endpoint, request_.method, request_.path) == template
    # A second request of the same shape with other IDs gets the same template.
    other = request_.path.replace("a-1", "zz").replace("s-1", "yy")
    assert route_template(request_.endpoint, request_.method, other) == template


def test_listeners_keep_going_when_one_raises(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    listeners = Listeners()
    listeners.add(broken)
    listeners.add(lambda e: seen.append(type(e).__name__))
    with caplog.at_level(logging.ERROR, logger="watson_async.events"):
        listeners.emit(GateEvent("message", 1.0, "rate_limited"))
    assert seen == ["GateEvent"]
    assert "event listener" in caplog.text
    assert "boom" in caplog.text


def test_listener_registration_errors() -> None:
    listeners = Listeners()
    with pytest.raises(ValueError, match="callable"):
        listeners.add("not a function")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a listener"):
        listeners.remove(print)


# --- events end to end --------------------------------------------------------------------


async def test_a_conversation_reports_every_attempt_and_call(
    fake: FakeAssistant, jc: JumpClock
) -> None:
    events: list[Event] = []
    aid, eid = fake.assistant_id, fake.environment_id
    async with make_client(fake, jc, events) as client:
        session = await client.create_session(aid, eid)
        await client.message(aid, eid, session.session_id, input={"text": "hello"})
        await client.delete_session(aid, eid, session.session_id)

    attempts, calls = of(events, AttemptEvent), of(events, CallEvent)
    assert [(a.endpoint, a.method, a.status, a.attempt) for a in attempts] == [
        ("create_session", "POST", 201, 1),
        ("message", "POST", 200, 1),
        ("delete_session", "DELETE", 200, 1),
    ]
    message = attempts[1]
    assert message.route == MESSAGE
    assert session.session_id not in message.route
    assert aid not in message.route
    assert message.error is None
    assert message.outcome == "ok"
    assert message.request_bytes == len(b'{"input":{"text":"hello"}}')
    assert message.response_bytes is not None
    assert message.response_bytes > 100
    ids = {a.transaction_id for a in attempts}
    assert None not in ids
    assert len(ids) == 3
    assert message.pool_wait is not None
    assert message.pool_wait >= 0.0
    assert [(c.endpoint, c.attempts, c.status, c.outcome) for c in calls] == [
        ("create_session", 1, 201, "ok"),
        ("message", 1, 200, "ok"),
        ("delete_session", 1, 200, "ok"),
    ]
    # Each call's event follows its attempt's.
    assert [type(e).__name__ for e in events] == ["AttemptEvent", "CallEvent"] * 3


async def test_retries_report_each_attempt_and_the_waits(
    fake: FakeAssistant, jc: JumpClock
) -> None:
    events: list[Event] = []
    aid, eid = fake.assistant_id, fake.environment_id
    async with make_client(fake, jc, events) as client:
        session = await client.create_session(aid, eid)
        fake.enqueue_error(429, headers={"Retry-After": "3"}, path_contains="/message")
        events.clear()
        await client.message(aid, eid, session.session_id, input={"text": "hi"})
        fake.enqueue_error(503, path_contains="/sessions", method="POST")
        started_at = jc.now
        await client.create_session(aid, eid)

    attempts, calls, retries = (
        of(events, AttemptEvent),
        of(events, CallEvent),
        of(events, RetryEvent),
    )
    assert [(a.endpoint, a.attempt, a.status, a.outcome) for a in attempts] == [
        ("message", 1, 429, "RateLimitError"),
        ("message", 2, 200, "ok"),
        ("create_session", 1, 503, "ServerError"),
        ("create_session", 2, 201, "ok"),
    ]
    assert isinstance(attempts[0].error, RateLimitError)
    assert [(r.endpoint, r.attempt, r.reason) for r in retries] == [
        ("message", 1, "rate_limited"),
        ("create_session", 1, "status_503"),
    ]
    assert retries[0].route == MESSAGE
    message_call, session_call = calls
    assert (message_call.attempts, message_call.status, message_call.outcome) == (2, 200, "ok")
    assert message_call.retry_wait == retries[0].wait >= 3.0  # Retry-After, plus jitter
    assert message_call.duration >= retries[0].wait  # end to end, the wait included
    assert session_call.retry_wait == retries[1].wait
    assert session_call.started == started_at
    # The second attempt's own latency doesn't include the retry wait.
    assert attempts[1].duration < 3.0


async def test_a_call_that_runs_out_of_retries_reports_its_error(
    fake: FakeAssistant, jc: JumpClock
) -> None:
    events: list[Event] = []
    aid, eid = fake.assistant_id, fake.environment_id
    policy = RetryPolicy(max_attempts=2)
    async with make_client(fake, jc, events, retry=policy) as client:
        fake.enqueue_disconnect(path_contains="/sessions", times=2)
        with pytest.raises(TransportError):
            await client.create_session(aid, eid)

    attempts, (call,) = of(events, AttemptEvent), of(events, CallEvent)
    assert [(a.attempt, a.status, a.outcome) for a in attempts] == [
        (1, None, "TransportError"),
        (2, None, "TransportError"),
    ]
    assert attempts[0].response_bytes is None
    assert attempts[0].pool_wait is None
    assert (call.attempts, call.status, call.outcome) == (2, None, "TransportError")


async def test_gate_waits_reach_listeners_and_the_call(jc: JumpClock) -> None:
    events: list[Event] = []
    async with FakeAssistant(
        auth=False, clock=lambda: WALL0 + jc.now, rate_limits={"message": 1}, rate_limit_window=60
    ) as fake:
        aid, eid = fake.assistant_id, fake.environment_id
        async with make_client(fake, jc, events) as client:
            session = await client.create_session(aid, eid)
            await client.message(aid, eid, session.session_id, input={"text": "one"})
            events.clear()
            await client.message(aid, eid, session.session_id, input={"text": "two"})

    (gate,) = of(events, GateEvent)
    assert gate.family == "message"
    assert gate.reason == "budget_spent"
    assert gate.wait > 0
    (attempt,) = of(events, AttemptEvent)
    (call,) = of(events, CallEvent)
    assert attempt.gate_wait == pytest.approx(gate.wait)
    assert call.gate_wait == pytest.approx(gate.wait)
    assert call.duration >= gate.wait > attempt.duration >= 0.0


async def test_parse_failures_are_the_calls_outcome(fake: FakeAssistant, jc: JumpClock) -> None:
    events: list[Event] = []
    async with make_client(fake, jc, events) as client:
        fake.enqueue_malformed_json(path_contains="/sessions", status=201)
        with pytest.raises(ResponseParseError):
            await client.create_session(fake.assistant_id, fake.environment_id)
    (attempt,) = of(events, AttemptEvent)
    (call,) = of(events, CallEvent)
    assert attempt.outcome == "ok"
    assert attempt.status == 201
    assert call.outcome == "ResponseParseError"


async def test_streams_report_the_attempt_at_their_headers(
    fake: FakeAssistant, jc: JumpClock
) -> None:
    events: list[Event] = []
    aid, eid = fake.assistant_id, fake.environment_id
    async with make_client(fake, jc, events) as client:
        session = await client.create_session(aid, eid)
        events.clear()
        stream = await client.message_stream(aid, eid, session.session_id, input={"text": "hi"})
        frames = [frame async for frame in stream]
    assert frames
    (attempt,) = of(events, AttemptEvent)
    (call,) = of(events, CallEvent)
    assert attempt.endpoint == "message_stream"
    assert attempt.status == 200
    assert attempt.response_bytes is None
    assert call.outcome == "ok"


async def test_token_refreshes_reach_listeners(jc: JumpClock) -> None:
    events: list[Event] = []
    async with FakeAssistant() as fake:
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        async with make_client(fake, jc, events, authenticator=auth) as client:
            await client.create_session(fake.assistant_id, fake.environment_id)
            assert auth._listeners  # the client forwards refresh events while open
        assert not auth._listeners  # ...and stops when closed
    (refresh,) = of(events, RefreshEvent)
    assert refresh.reason == "initial"
    assert refresh.ok


async def test_views_share_listeners_and_removal_stops_events(
    fake: FakeAssistant, jc: JumpClock
) -> None:
    events: list[Event] = []
    async with make_client(fake, jc, events) as client:
        view = client.with_options(retry=None)
        await view.create_session(fake.assistant_id, fake.environment_id)
        assert len(of(events, CallEvent)) == 1
        client.remove_listener(events.append)
        await client.create_session(fake.assistant_id, fake.environment_id)
        with pytest.raises(ValueError, match="not a listener"):
            client.remove_listener(events.append)
    assert len(of(events, CallEvent)) == 1


async def test_without_listeners_nothing_is_traced(fake: FakeAssistant) -> None:
    async with AssistantClient(
        VERSION, NoAuthAuthenticator(), service_url=fake.service_url
    ) as client:
        await client.create_session(fake.assistant_id, fake.environment_id)
        session = client._transport._session
        assert session is not None
        assert not session.trace_configs
        assert not client._listeners


async def test_a_custom_transport_reports_no_pool_wait() -> None:
    events: list[Event] = []
    transport = ScriptedTransport(response(201, {"session_id": "s-1"}))
    async with AssistantClient(
        VERSION, NoAuthAuthenticator(), transport=transport, on_event=events.append
    ) as client:
        await client.create_session("a", "e")
    (attempt,) = of(events, AttemptEvent)
    assert attempt.pool_wait is None
    assert attempt.status == 201


# --- logging -------------------------------------------------------------------------------


def test_library_logging_is_quiet_by_default() -> None:
    handlers = logging.getLogger("watson_async").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


async def test_debug_logging_shows_templates_never_ids_or_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeAssistant() as fake:
        aid, eid = fake.assistant_id, fake.environment_id
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
            with caplog.at_level(logging.DEBUG, logger="watson_async"):
                session = await client.create_session(aid, eid)
                fake.enqueue_error(429, headers={"Retry-After": "0"}, path_contains="/message")
                await client.message(aid, eid, session.session_id, input={"text": "hi"})
            token = await auth.authorization()
    text = caplog.text
    assert f"POST {MESSAGE} attempt 1: 429" in text
    assert f"POST {MESSAGE} attempt 2: 200" in text
    assert "message: attempt 1 failed (rate_limited)" in text
    assert f"POST {MESSAGE}: ok after 2 attempt(s)" in text
    assert session.session_id not in text
    assert aid not in text
    assert token is not None
    assert token.split()[-1] not in text
    assert fake.apikey not in text
