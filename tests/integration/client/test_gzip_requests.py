"""gzip_requests against FakeAssistant on loopback: the round trip, retries and the
401 replay resend the same compressed bytes."""

from __future__ import annotations

import gzip

from watson_async import (
    AssistantClient,
    AttemptEvent,
    BasicAuthenticator,
    IAMAuthenticator,
    RetryPolicy,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
UTTERANCES = [{"text": f"I would like to book table number {i} for tonight"} for i in range(200)]


async def no_wait(delay: float) -> None:
    """The retry backoff, skipped (the test is about what is sent, not when)."""


async def test_a_large_body_arrives_gzipped_and_is_answered() -> None:
    events: list[object] = []
    async with FakeAssistant() as fake:
        auth = BasicAuthenticator("apikey", fake.apikey)
        async with AssistantClient(
            VERSION, auth, service_url=fake.service_url, gzip_requests=True, on_event=events.append
        ) as client:
            result = await client.bulk_classify(fake.action_skill_id, UTTERANCES)
            await client.create_session(fake.assistant_id, fake.environment_id)  # small body
        classify, session = fake.requests
    assert [o.input.text for o in result.output or []] == [u["text"] for u in UTTERANCES]
    assert classify.header("Content-Encoding") == "gzip"
    assert classify.encoded_body is not None
    assert gzip.decompress(classify.encoded_body) == classify.body
    assert classify.json == {"input": UTTERANCES}
    assert len(classify.encoded_body) * 5 < len(classify.body)
    assert session.header("Content-Encoding") is None
    assert session.encoded_body is None
    # Events count the bytes on the wire.
    attempt = next(e for e in events if isinstance(e, AttemptEvent))
    assert attempt.request_bytes == len(classify.encoded_body)


async def test_a_retry_resends_the_same_compressed_body() -> None:
    async with FakeAssistant() as fake:
        fake.enqueue_error(503, path_contains="bulk_classify", times=2)
        auth = BasicAuthenticator("apikey", fake.apikey)
        async with AssistantClient(
            VERSION,
            auth,
            service_url=fake.service_url,
            gzip_requests=True,
            retry=RetryPolicy(max_attempts=3),
            sleep=no_wait,
        ) as client:
            result = await client.bulk_classify(fake.action_skill_id, UTTERANCES)
        sent = fake.requests
    assert len(result.output or []) == len(UTTERANCES)
    assert len(sent) == 3
    assert all(r.header("Content-Encoding") == "gzip" for r in sent)
    assert sent[0].encoded_body is not None
    assert sent[0].encoded_body == sent[1].encoded_body == sent[2].encoded_body
    assert sent[2].json == {"input": UTTERANCES}


async def test_the_401_replay_resends_the_same_compressed_body() -> None:
    async with FakeAssistant() as fake:
        auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
        async with AssistantClient(
            VERSION, auth, service_url=fake.service_url, gzip_requests=True
        ) as client:
            await client.create_session(fake.assistant_id, fake.environment_id)
            fake.revoke_tokens()  # the next request gets a 401
            await client.bulk_classify(fake.action_skill_id, UTTERANCES)
        first, replay = [r for r in fake.requests if r.path.endswith("bulk_classify")]
    assert fake.unauthorized_responses == 1
    assert first.encoded_body is not None
    assert first.encoded_body == replay.encoded_body
    assert replay.json == {"input": UTTERANCES}


async def test_a_view_gzips_its_calls_only() -> None:
    async with FakeAssistant() as fake:
        auth = BasicAuthenticator("apikey", fake.apikey)
        async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
            await client.with_options(gzip_requests=True).bulk_classify(
                fake.action_skill_id, UTTERANCES
            )
            await client.bulk_classify(fake.action_skill_id, UTTERANCES)
        gzipped, plain = fake.requests
    assert gzipped.header("Content-Encoding") == "gzip"
    assert plain.header("Content-Encoding") is None
    assert gzipped.json == plain.json == {"input": UTTERANCES}
