"""``FakeAssistant.environ()`` and the fake's random faults (``error_rate``) (issue 17)."""

from __future__ import annotations

import pytest

from watson_async import (
    AssistantClient,
    RateLimitError,
    ResponseParseError,
    ServerError,
    TransportError,
    WatsonError,
)
from watson_async.testing import FakeAssistant


async def test_environ_configures_from_env_with_the_ids() -> None:
    async with FakeAssistant(assistant_id="a-1", environment_id="e-1") as fake:
        env = fake.environ()
        assert env == {
            "ASSISTANT_URL": fake.service_url,
            "ASSISTANT_AUTH_TYPE": "iam",
            "ASSISTANT_APIKEY": fake.apikey,
            "ASSISTANT_AUTH_URL": fake.iam_url,
            "ASSISTANT_ID": "a-1",
            "ASSISTANT_ENVIRONMENT_ID": "e-1",
        }
        async with AssistantClient.from_env("2024-08-25", environ=env) as client:
            reply = await client.message_stateless(
                env["ASSISTANT_ID"], env["ASSISTANT_ENVIRONMENT_ID"], input={"text": "hi"}
            )
        assert reply.text is not None
        assert fake.iam_calls == 1


async def test_environ_without_auth_and_with_another_service_name() -> None:
    async with FakeAssistant(auth=False) as fake:
        env = fake.environ("my-bot")
        assert env["MY_BOT_AUTH_TYPE"] == "noAuth"
        assert "MY_BOT_APIKEY" not in env
        async with AssistantClient.from_env(
            "2024-08-25", service_name="my-bot", environ=env
        ) as client:
            await client.list_assistants()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("server-error", ServerError),
        ("unavailable", ServerError),
        ("rate-limit", RateLimitError),
        ("html-error", ServerError),
        ("malformed-json", ResponseParseError),
        ("disconnect", TransportError),
    ],
)
async def test_error_rate_one_fails_every_api_request_with_its_fault(
    fault: str, error: type[WatsonError]
) -> None:
    async with (
        FakeAssistant(error_rate=1.0, error_fault=fault) as fake,
        AssistantClient.from_env(
            "2024-08-25", environ=fake.environ(), retry=None, rate_limit_gate=False
        ) as client,
    ):
        with pytest.raises(error):
            await client.message_stateless(
                fake.assistant_id, fake.environment_id, input={"text": "hi"}
            )
        assert fake.iam_calls == 1  # the token request was not faulted
        assert fake.total_turns_processed == 0


async def test_error_rate_is_a_seeded_fraction() -> None:
    async with (
        FakeAssistant(error_rate=0.3, seed=7, auth=False) as fake,
        AssistantClient.from_env(
            "2024-08-25", environ=fake.environ(), retry=None, rate_limit_gate=False
        ) as client,
    ):
        failed = 0
        for _ in range(200):
            try:
                await client.list_assistants()
            except ServerError:
                failed += 1
    assert 40 <= failed <= 80  # 60 expected; seeded, so the same count every run


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"error_rate": 1.5}, "error_rate must be between 0 and 1"),
        ({"error_rate": -0.1}, "error_rate must be between 0 and 1"),
        ({"error_fault": "gremlins"}, "unknown error_fault 'gremlins'"),
        ({"latency": -1}, "latency must be >= 0"),
    ],
)
def test_bad_fault_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FakeAssistant(**kwargs)  # type: ignore[arg-type]
