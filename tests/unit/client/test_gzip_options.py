"""AssistantClient's gzip_requests / gzip_min_bytes options and with_options views."""

from __future__ import annotations

import gzip
import json

import pytest
from fakes import ScriptedTransport, response

from watson_async import AssistantClient, RetryPolicy
from watson_async.auth import BearerTokenAuthenticator

VERSION = "2024-08-25"
URL = "https://api.example/instances/abc"
UTTERANCES = [{"text": f"I would like to book table number {i}"} for i in range(60)]  # ~3 KB
CLASSIFIED = {"output": []}


def make(*responses: object, **kwargs: object) -> tuple[AssistantClient, ScriptedTransport]:
    transport = ScriptedTransport(*responses)  # type: ignore[arg-type]
    kwargs.setdefault("retry", None)
    client = AssistantClient(
        VERSION, BearerTokenAuthenticator("t0ken"), service_url=URL, transport=transport, **kwargs
    )  # type: ignore[arg-type]
    return client, transport


async def test_off_by_default() -> None:
    client, transport = make(response(200, CLASSIFIED))
    async with client:
        await client.bulk_classify("skill", UTTERANCES)
    (sent,) = transport.sent
    assert "Content-Encoding" not in sent.headers
    assert sent.json == {"input": UTTERANCES}


async def test_on_a_large_body_is_gzipped_and_a_small_one_is_not() -> None:
    client, transport = make(
        response(200, CLASSIFIED), response(200, CLASSIFIED), gzip_requests=True
    )
    async with client:
        await client.bulk_classify("skill", UTTERANCES)
        await client.bulk_classify("skill", UTTERANCES[:3])  # ~150 bytes < 1024
    large, small = transport.sent
    assert large.headers["Content-Encoding"] == "gzip"
    assert large.headers["Content-Type"] == "application/json"
    assert large.body is not None
    assert len(large.body) < 1000
    assert json.loads(gzip.decompress(large.body)) == {"input": UTTERANCES}
    assert "Content-Encoding" not in small.headers
    assert small.json == {"input": UTTERANCES[:3]}


async def test_the_threshold_is_configurable() -> None:
    client, transport = make(response(200, CLASSIFIED), gzip_requests=True, gzip_min_bytes=0)
    async with client:
        await client.bulk_classify("skill", UTTERANCES[:1])
    assert transport.sent[0].headers["Content-Encoding"] == "gzip"


async def test_a_callers_content_encoding_wins() -> None:
    client, transport = make(response(200, CLASSIFIED), gzip_requests=True)
    async with client:
        await client.bulk_classify("skill", UTTERANCES, headers={"content-encoding": "identity"})
    (sent,) = transport.sent
    assert sent.headers["content-encoding"] == "identity"
    assert "Content-Encoding" not in sent.headers
    assert sent.json == {"input": UTTERANCES}


async def test_with_options_turns_it_on_or_off_per_call() -> None:
    client, transport = make(*[response(200, CLASSIFIED)] * 4)
    async with client:
        on = client.with_options(gzip_requests=True)
        await on.bulk_classify("skill", UTTERANCES)
        await client.bulk_classify("skill", UTTERANCES)  # the client itself is unchanged
        await on.with_options(gzip_requests=False).bulk_classify("skill", UTTERANCES)
        await on.with_options(gzip_min_bytes=10**6).bulk_classify("skill", UTTERANCES)
    assert [s.headers.get("Content-Encoding") for s in transport.sent] == [
        "gzip",
        None,
        None,
        None,  # still on, but the body is under the view's threshold
    ]


async def test_with_options_keeps_the_options_it_is_not_given() -> None:
    policy = RetryPolicy(max_attempts=7)
    client, _ = make(retry=policy, gzip_requests=True, gzip_min_bytes=5)
    async with client:
        view = client.with_options(gzip_min_bytes=9)
        assert view.retry is policy  # was reset to DEFAULT_RETRY before
        assert view._gzip_min_bytes == 9
        assert client.with_options(retry=None)._gzip_min_bytes == 5
        assert client.with_options(retry=None).retry is None
        off = client.with_options(gzip_requests=False)
        assert off._gzip_min_bytes is None
        assert off.with_options(gzip_requests=True)._gzip_min_bytes == 5  # its threshold kept


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"gzip_requests": "yes"}, "gzip_requests must be True or False, got 'yes'"),
        ({"gzip_requests": 1}, "gzip_requests must be True or False, got 1"),
        ({"gzip_min_bytes": -1}, "gzip_min_bytes must be a non-negative integer, got -1"),
        ({"gzip_min_bytes": 1.5}, "gzip_min_bytes must be a non-negative integer, got 1.5"),
    ],
)
async def test_bad_values_are_a_value_error_before_anything_is_sent(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make(**options)
    client, transport = make()
    async with client:
        with pytest.raises(ValueError, match=message):
            client.with_options(**options)  # type: ignore[arg-type]
    assert transport.sent == []
