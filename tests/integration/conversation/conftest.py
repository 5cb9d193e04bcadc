"""The client and assistant handle of the conversation tests, on each module's ``fake``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from watson_async import AssistantClient, IAMAuthenticator
from watson_async.conversation import Assistant
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


@pytest.fixture
async def client(fake: FakeAssistant) -> AsyncIterator[AssistantClient]:
    # No retries: a fault enqueued on the fake is what the conversation sees.
    async with AssistantClient(
        VERSION,
        IAMAuthenticator(fake.apikey, url=fake.iam_url),
        service_url=fake.service_url,
        retry=None,
    ) as client:
        yield client


@pytest.fixture
def assistant(fake: FakeAssistant, client: AssistantClient) -> Assistant:
    return client.assistant(fake.assistant_id, fake.environment_id)
