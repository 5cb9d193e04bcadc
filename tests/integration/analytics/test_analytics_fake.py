"""Analytics derived from real conversations with FakeAssistant on loopback.

The derivation itself is tested without a server in tests/unit/analytics/test_analytics.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from watson_async import AssistantClient, IAMAuthenticator
from watson_async.analytics import (
    AnalyticsConfig,
    TrackCall,
    derive_session_started,
    derive_turn,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def clock() -> float:
    return T0


def props(call: TrackCall) -> dict[str, Any]:
    assert call.properties is not None
    return call.properties.to_dict()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant() as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeAssistant) -> AsyncIterator[AssistantClient]:
    async with AssistantClient(
        VERSION, IAMAuthenticator(fake.apikey, url=fake.iam_url), service_url=fake.service_url
    ) as client:
        yield client


async def test_a_stateful_conversation_with_the_fake(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    config = AnalyticsConfig(account_id="acc", channel="chat", environment="draft", language="en")
    analytics = {"browser": "Firefox", "device": "desktop"}
    session = await client.create_session(aid, eid, analytics=analytics)
    events: list[TrackCall] = [
        derive_session_started(
            session.session_id,
            config=config,
            assistant_id=aid,
            analytics=analytics,
            service_url=client.service_url,
            clock=clock,
        )
    ]
    for text in ("book a trip", "Paris"):
        turn_input = {"text": text, "options": {"debug": True}, "analytics": analytics}
        reply = await client.message(aid, eid, session.session_id, input=turn_input)
        events += derive_turn(
            reply,
            config=config,
            assistant_id=aid,
            session_id=session.session_id,
            input=turn_input,
            service_url=client.service_url,
            clock=clock,
        )
    assert [c.event for c in events] == [
        "Session Started",
        "Action Started",
        "Message Handled",
        "Action Completed",
        "Message Handled",
    ]
    common = {
        "accountId": "acc",
        "assistantId": aid,
        "browser": "Firefox",
        "channel": "chat",
        "device": "desktop",
        "environment": "draft",
        "serviceInstance": fake.instance_id,
        "sessionId": session.session_id,
    }
    assert props(events[0]) == common
    started, handled1, completed, handled2 = map(props, events[1:])
    assert started["action"] == completed["action"] == "book_trip"
    assert started["actionTitle"] == "Book a trip"
    assert started["actionCompleted"] is False
    assert started["stepsVisited"] == [{"stepId": "step_001"}]
    assert handled1["actionStarted"] is True
    assert handled1["actionCompleted"] is False
    assert handled1["branchExited"] is False
    assert completed["actionStarted"] is False
    assert completed["actionCompletedReason"] == "all_steps_done"
    assert handled2["actionCompleted"] is True
    assert handled2["branchExitedReason"] == "completed"
    assert handled2["nodesVisited"] == ["Book a trip"]
    for p in (started, handled1, completed, handled2):
        assert common.items() <= p.items()
        assert p["language"] == "en"
        assert "actions skill" in p["skillsInvoked"]
    # the fake reports the session id as user_id when none was sent, like the service
    assert {c.user_id for c in events} == {session.session_id}


async def test_a_stateless_turn_with_the_fake(fake: FakeAssistant, client: AssistantClient) -> None:
    reply = await client.message_stateless(
        fake.assistant_id,
        fake.environment_id,
        input={"text": "hello", "options": {"debug": True}},
        user_id="visitor-7",
    )
    calls = derive_turn(reply, assistant_id=fake.assistant_id, clock=clock)
    assert [c.event for c in calls] == ["Action Started", "Message Handled"]
    assert {c.user_id for c in calls} == {"visitor-7"}
    assert reply.context is not None
    assert reply.context.global_ is not None
    assert props(calls[-1])["sessionId"] == reply.context.global_.session_id
    assert props(calls[-1])["action"] == "greeting"
