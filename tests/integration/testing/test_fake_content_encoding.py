"""FakeAssistant and Content-Encoding: gzip bodies are decoded before routing; what
can't be decoded is answered at the edge (400 malformed, 413 too large once inflated,
415 another coding), as we assume the service does: no handler sees it."""

from __future__ import annotations

import pytest

from watson_async import AssistantClient, BasicAuthenticator
from watson_async.errors import ApiError, BadRequestError
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
UTTERANCES = [{"text": "I would like to book a table"}] * 50


def client_for(fake: FakeAssistant, **options: object) -> AssistantClient:
    auth = BasicAuthenticator("apikey", fake.apikey)
    return AssistantClient(VERSION, auth, service_url=fake.service_url, retry=None, **options)  # type: ignore[arg-type]


async def test_a_body_that_is_not_gzip_is_a_400_and_reaches_no_handler() -> None:
    async with FakeAssistant() as fake, client_for(fake) as client:
        with pytest.raises(BadRequestError, match="not valid gzip") as info:
            await client.create_session(
                fake.assistant_id,
                fake.environment_id,
                analytics={"browser": "Firefox"},
                headers={"Content-Encoding": "gzip"},  # a lie: the body is plain JSON
            )
        (recorded,) = fake.requests
        assert fake.sessions == frozenset()
    assert info.value.status_code == 400
    assert recorded.body == b""
    assert recorded.encoded_body is not None
    assert recorded.encoded_body.startswith(b'{"analytics"')


async def test_another_coding_is_a_415() -> None:
    async with FakeAssistant() as fake, client_for(fake) as client:
        with pytest.raises(ApiError, match="Unsupported Content-Encoding 'br'") as info:
            await client.bulk_classify(
                fake.action_skill_id, UTTERANCES, headers={"Content-Encoding": "br"}
            )
    assert info.value.status_code == 415


async def test_identity_is_the_body_as_it_is() -> None:
    async with FakeAssistant() as fake, client_for(fake) as client:
        result = await client.bulk_classify(
            fake.action_skill_id, UTTERANCES, headers={"Content-Encoding": "identity"}
        )
        (recorded,) = fake.requests
    assert len(result.output or []) == len(UTTERANCES)
    assert recorded.encoded_body is None


async def test_a_body_inflating_past_max_request_size_is_a_413() -> None:
    async with (
        FakeAssistant(max_request_size=1000) as fake,
        client_for(fake, gzip_requests=True) as client,
    ):
        with pytest.raises(ApiError, match="exceeds 1000 bytes") as info:
            await client.bulk_classify(fake.action_skill_id, UTTERANCES)  # ~1.7 KB
        (recorded,) = fake.requests
    assert info.value.status_code == 413
    assert recorded.encoded_body is not None
    assert len(recorded.encoded_body) < 1000  # small on the wire, too big inflated
