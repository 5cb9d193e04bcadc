"""One send path: streams get the same 401 replay, capture and events as whole replies."""

from __future__ import annotations

from watson_async import AssistantClient, IAMAuthenticator
from watson_async.models.stream import StatefulMessageStreamFinalResponse
from watson_async.observe import AttemptEvent, CallEvent
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


async def test_a_401_to_a_stream_refreshes_the_token_and_replays_it_once() -> None:
    events: list[object] = []
    async with FakeAssistant() as fake:
        aid, eid = fake.assistant_id, fake.environment_id
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        async with AssistantClient(
            VERSION, auth, service_url=fake.service_url, on_event=events.append
        ) as client:
            session = await client.create_session(aid, eid)
            fake.revoke_tokens()  # the next request gets a 401
            detailed = await client.with_response(
                client.message_stream, aid, eid, session.session_id, input={"text": "hello"}
            )
            async with detailed.result as stream:
                frames = await stream.collect()
        assert isinstance(frames[-1], StatefulMessageStreamFinalResponse)
        assert fake.unauthorized_responses == 1
        assert fake.iam_calls == 2
        assert fake.total_turns_processed == 1
    assert detailed.status_code == 200
    attempts = [e for e in events if isinstance(e, AttemptEvent)]
    calls = [e for e in events if isinstance(e, CallEvent)]
    assert [(e.endpoint, e.status) for e in attempts] == [
        ("create_session", 201),
        ("message_stream", 200),
    ]
    assert [(e.endpoint, e.attempts, e.status) for e in calls] == [
        ("create_session", 1, 201),
        ("message_stream", 1, 200),
    ]
