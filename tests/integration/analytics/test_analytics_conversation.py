"""A conversation reporting its Segment events: FakeAssistant serves, FakeSegment receives."""

from __future__ import annotations

from watson_async import (
    AnalyticsConfig,
    AssistantClient,
    IAMAuthenticator,
    SegmentBatchSink,
    SegmentEvents,
)
from watson_async.testing import FakeAssistant, FakeSegment


async def test_a_conversation_reports_its_segment_events() -> None:
    async with FakeAssistant() as fake, FakeSegment() as segment:
        sink = SegmentBatchSink(
            segment.write_key, url=segment.url, batch_size=10, flush_interval=60.0
        )
        events = SegmentEvents(sink, config=AnalyticsConfig(account_id="acct-1", channel="web"))
        async with AssistantClient(
            "2024-08-25",
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
        ) as client:
            assistant = client.assistant(fake.assistant_id, fake.environment_id)
            analytics = {"browser": "Firefox", "device": "Desktop", "pageUrl": "https://shop/"}
            async with assistant.conversation(
                user_id="user-9", analytics=analytics, events=events
            ) as conv:
                await conv.send("hello", options={"debug": True})
                await conv.send("book a trip", options={"debug": True})
                await conv.send("Rome", options={"debug": True})
                session_id = conv.session_id
        await sink.aclose()  # flushes
        assert events.errors == 0
        calls = segment.calls
        names = [c["event"] for c in calls]
        assert names[0] == "Session Started"
        assert names.count("Message Handled") == 3
        assert "Action Started" in names
        assert all(c["userId"] == "user-9" for c in calls)
        started = calls[0]["properties"]
        assert started["sessionId"] == session_id
        assert started["assistantId"] == fake.assistant_id
        assert started["accountId"] == "acct-1"
        assert started["serviceInstance"] == "fake-instance"
        assert started["browser"] == "Firefox"
        assert started["pageUrl"] == "https://shop/"
        assert "language" not in started  # not configured: left out, never invented
        handled = [c["properties"] for c in calls if c["event"] == "Message Handled"]
        assert handled[1]["action"] == "book_trip"
        assert sink.dropped == 0
        assert sink.failed == 0
