"""Ordinary IDs still work end to end against FakeAssistant.

Path tricks are refused before sending: tests/unit/protocol/test_path_ids.py.
"""

from __future__ import annotations

import pytest

from watson_async import AssistantClient
from watson_async.auth import NoAuthAuthenticator
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


@pytest.mark.fake_assistant(auth=False)
async def test_the_fake_service_still_works_with_ordinary_ids(
    fake_assistant: FakeAssistant,
) -> None:
    fake = fake_assistant
    aid, eid = fake.assistant_id, fake.environment_id
    async with AssistantClient(
        VERSION, NoAuthAuthenticator(), service_url=fake.service_url, retry=None
    ) as client:
        session = await client.create_session(aid, eid)
        reply = await client.message(aid, eid, session.session_id, input={"text": "hello"})
        assert reply.output.generic
        await client.delete_session(aid, eid, session.session_id)
        release = await client.create_release(aid, description="ids")
        assert release.release is not None
        fake.finish_tasks()
        assert (await client.get_release(aid, release.release)).release == release.release
        await client.create_release_export(aid, release.release)
        await client.delete_release(aid, release.release)
        for skill_id in fake.skill_ids().values():
            assert (await client.get_skill(aid, skill_id)).skill_id == skill_id
    assert not fake.sessions
