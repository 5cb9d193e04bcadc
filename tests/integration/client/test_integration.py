"""The real client against FakeAssistant over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fakes import ManualClock as Clock

from watson_async import (
    AssistantClient,
    AuthenticationError,
    BadRequestError,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    IAMAuthenticator,
    NotFoundError,
    RateLimitError,
    SessionNotFoundError,
    TransportError,
)
from watson_async.models import GenericConnectToAgent, GenericOption, GenericText
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(clock=clock, session_timeout=300.0, extra_assistants=24) as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeAssistant) -> AsyncIterator[AssistantClient]:
    async with AssistantClient(
        VERSION, IAMAuthenticator(fake.apikey, url=fake.iam_url), service_url=fake.service_url
    ) as client:
        yield client


def texts(reply: object) -> list[str]:
    return [
        item.text or ""
        for item in reply.output.generic or []  # type: ignore[attr-defined]
        if isinstance(item, GenericText)
    ]


async def test_a_whole_stateful_conversation(fake: FakeAssistant, client: AssistantClient) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid, analytics={"browser": "Firefox"})
    hello = await client.message(aid, eid, session.session_id, input={"text": "hello"})
    assert any("fake assistant" in t for t in texts(hello))
    assert hello.output.intents is not None
    assert hello.output.intents[0].intent == "greeting"

    menu = await client.message(aid, eid, session.session_id, input={"text": "menu"})
    assert menu.output.generic is not None
    option = menu.output.generic[0]
    assert isinstance(option, GenericOption)
    assert option.options is not None
    assert option.options[0].label == "Book a trip"

    await client.message(aid, eid, session.session_id, input={"text": "book a trip"})
    booked = await client.message(
        aid,
        eid,
        session.session_id,
        input={"text": "Paris", "options": {"return_context": True}},
        user_id="traveller-1",
    )
    assert texts(booked) == ["Booked a trip to Paris."]
    assert booked.user_id == "traveller-1"
    assert booked.context is not None
    assert booked.context.skills is not None
    actions = booked.context.skills.actions_skill
    assert actions is not None
    assert actions.skill_variables == {"destination": "Paris"}

    await client.delete_session(aid, eid, session.session_id)
    with pytest.raises(SessionNotFoundError) as info:
        await client.message(aid, eid, session.session_id, input={"text": "hello?"})
    assert info.value.status_code == 404
    assert info.value.global_transaction_id


async def test_agent_handoff_item_is_typed(fake: FakeAssistant, client: AssistantClient) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid)
    reply = await client.message(aid, eid, session.session_id, input={"text": "talk to an agent"})
    assert reply.output.generic is not None
    assert isinstance(reply.output.generic[0], GenericConnectToAgent)


async def test_every_request_carries_version_auth_and_user_agent(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    session = await client.create_session(fake.assistant_id, fake.environment_id)
    await client.message(fake.assistant_id, fake.environment_id, session.session_id)
    v2 = [r for r in fake.requests if "/v2/" in r.path]
    assert len(v2) == 2
    for request in v2:
        assert request.query["version"] == VERSION
        assert request.headers["Authorization"].startswith("Bearer ")
        assert request.headers["User-Agent"].startswith("watson-async/")


async def test_session_expiry_is_session_not_found(
    fake: FakeAssistant, client: AssistantClient, clock: Clock
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid)
    await client.message(aid, eid, session.session_id, input={"text": "hi"})
    clock.now += 301  # no activity for longer than the session timeout
    with pytest.raises(SessionNotFoundError, match="Invalid Session"):
        await client.message(aid, eid, session.session_id, input={"text": "still there?"})


async def test_stateless_context_threads_the_dialog(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    first = await client.message_stateless(aid, eid, input={"text": "book a trip"})
    assert first.context is not None
    second = await client.message_stateless(aid, eid, input={"text": "Rome"}, context=first.context)
    assert texts(second) == ["Booked a trip to Rome."]
    assert second.context is not None
    assert second.context.global_ is not None
    assert second.context.global_.session_id == first.context.global_.session_id  # type: ignore[union-attr]
    # The model round-trips: the dict form works as well as the model.
    third = await client.message_stateless(
        aid, eid, input={"text": "hello"}, context=second.context.to_dict()
    )
    assert third.context is not None
    assert third.context.global_ is not None
    assert third.context.global_.system is not None
    assert third.context.global_.system.turn_count == 3


async def test_classic_unscoped_paths(fake: FakeAssistant, client: AssistantClient) -> None:
    session = await client.create_session(fake.assistant_id, None)
    reply = await client.message(fake.assistant_id, None, session.session_id, input={"text": "hi"})
    assert texts(reply)
    await client.delete_session(fake.assistant_id, None, session.session_id)
    stateless = await client.message_stateless(fake.assistant_id, None, input={"text": "hi"})
    assert stateless.context is not None
    paths = [r.path for r in fake.requests if "/v2/" in r.path]
    assert all("/environments/" not in p for p in paths)


async def test_unknown_assistant_is_not_found(client: AssistantClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.create_session("no-such-assistant", "env")
    assert not isinstance(info.value, SessionNotFoundError)


async def test_server_side_400_keeps_the_details(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    body = {
        "error": "Invalid Request Body",
        "code": 400,
        "errors": [{"message": "input.text is too long", "path": ".input.text"}],
    }
    fake.enqueue_error(400, body=body, path_contains="/message")
    session = await client.create_session(fake.assistant_id, fake.environment_id)
    with pytest.raises(BadRequestError) as info:
        await client.message(fake.assistant_id, fake.environment_id, session.session_id)
    err = info.value
    assert err.message == "input.text is too long"
    assert err.errors == body["errors"]
    assert err.json == body
    assert err.global_transaction_id


async def test_rate_limit_error_carries_wait_and_headers(clock: Clock) -> None:
    async with (
        FakeAssistant(clock=clock, rate_limit=2, rate_limit_window=60.0) as fake,
        AssistantClient(
            VERSION,
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
            retry=None,  # the raw error, not its handling (test_retry_integration.py)
            rate_limit_gate=False,
        ) as client,
    ):
        await client.create_session(fake.assistant_id, fake.environment_id)
        await client.create_session(fake.assistant_id, fake.environment_id)
        with pytest.raises(RateLimitError) as info:
            await client.create_session(fake.assistant_id, fake.environment_id)
    err = info.value
    assert err.status_code == 429
    assert err.reset_at is not None
    assert err.reset_at > clock.now
    assert err.retry_after is not None
    assert 0 < err.retry_after <= 61
    assert err.headers["X-RateLimit-Remaining"] == "0"


async def test_plain_text_429_body(fake: FakeAssistant, client: AssistantClient) -> None:
    fake.enqueue_error(429, body="Rate limit exceeded", path_contains="/sessions")
    with pytest.raises(RateLimitError) as info:
        await client.with_options(retry=None).create_session(fake.assistant_id, fake.environment_id)
    assert info.value.message == "Rate limit exceeded"
    assert info.value.body == "Rate limit exceeded"


async def test_disconnect_is_a_transport_error(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    session = await client.create_session(fake.assistant_id, fake.environment_id)
    fake.enqueue_disconnect(path_contains="/message")
    with pytest.raises(TransportError) as info:
        await client.message(fake.assistant_id, fake.environment_id, session.session_id)
    assert info.value.request_sent is True


async def test_revoked_token_is_refreshed_and_the_request_replayed_once(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid)
    await client.message(aid, eid, session.session_id, input={"text": "hello"})
    fake.revoke_tokens()
    reply = await client.message(
        aid, eid, session.session_id, input={"text": "menu", "options": {"return_context": True}}
    )
    assert fake.unauthorized_responses == 1
    assert fake.iam_calls == 2
    # The stateful turn was processed once, not twice.
    assert reply.context is not None
    assert reply.context.global_ is not None
    assert reply.context.global_.system is not None
    assert reply.context.global_.system.turn_count == 2


async def test_second_401_is_an_authentication_error(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    await client.create_session(fake.assistant_id, fake.environment_id)
    fake.enqueue_error(401, path_contains="/sessions", times=2)
    with pytest.raises(AuthenticationError) as info:
        await client.create_session(fake.assistant_id, fake.environment_id)
    assert info.value.status_code == 401
    assert len(fake.requests_to("/sessions", method="POST")) == 3  # 1 ok + 1 + 1 replay


async def test_wrong_apikey_fails_with_iams_error_code(fake: FakeAssistant) -> None:
    async with AssistantClient(
        VERSION, IAMAuthenticator("wrong-key", url=fake.iam_url), service_url=fake.service_url
    ) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.create_session(fake.assistant_id, fake.environment_id)
    assert info.value.code == "BXNIM0415E"
    assert "wrong-key" not in str(info.value)
    assert "wrong-key" not in repr(info.value)


async def test_basic_and_bearer_authenticators(fake: FakeAssistant) -> None:
    async with AssistantClient(
        VERSION, BasicAuthenticator("apikey", fake.apikey), service_url=fake.service_url
    ) as client:
        session = await client.create_session(fake.assistant_id, fake.environment_id)
        assert session.session_id
    async with AssistantClient(
        VERSION, BearerTokenAuthenticator("made-up"), service_url=fake.service_url
    ) as client:
        with pytest.raises(AuthenticationError):
            await client.create_session(fake.assistant_id, fake.environment_id)


async def test_many_concurrent_conversations_share_one_token(fake: FakeAssistant) -> None:
    auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:

        async def conversation() -> str:
            s = await client.create_session(fake.assistant_id, fake.environment_id)
            reply = await client.message(
                fake.assistant_id, fake.environment_id, s.session_id, input={"text": "42"}
            )
            await client.delete_session(fake.assistant_id, fake.environment_id, s.session_id)
            return texts(reply)[0]

        results = await asyncio.gather(*(conversation() for _ in range(200)))
    assert results == ["You said: 42"] * 200
    assert auth.token_requests == 1
    assert fake.iam_calls == 1
    assert not fake.sessions


async def test_assistants_create_list_iterate_delete(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    created = await client.create_assistant(language="en", name="Zeta bot", description="d")
    assert created.assistant_id
    assert created.name == "Zeta bot"
    page = await client.list_assistants(page_limit=10, include_count=True)
    assert page.assistants is not None
    assert len(page.assistants) == 10
    assert page.pagination is not None
    assert page.pagination.total == 26
    ids = [a.assistant_id async for a in client.iter_assistants(page_limit=10)]
    assert len(ids) == 26 == len(set(ids))
    assert created.assistant_id in ids
    await client.delete_assistant(created.assistant_id)  # type: ignore[arg-type]
    remaining = [a.assistant_id async for a in client.iter_assistants(page_limit=7)]
    assert len(remaining) == 25
    assert created.assistant_id not in remaining
    with pytest.raises(NotFoundError):
        await client.delete_assistant(created.assistant_id)  # type: ignore[arg-type]


async def test_with_response_exposes_rate_limit_and_transaction_id(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    detailed = await client.with_response(
        client.create_session, fake.assistant_id, fake.environment_id
    )
    assert detailed.status_code == 201
    assert detailed.result.session_id
    assert detailed.global_transaction_id
    assert detailed.rate_limit is not None
    assert detailed.rate_limit.reset_at is not None


async def test_learning_opt_out_and_customer_id_reach_the_service(fake: FakeAssistant) -> None:
    async with AssistantClient(
        VERSION,
        IAMAuthenticator(fake.apikey, url=fake.iam_url),
        service_url=fake.service_url,
        learning_opt_out=True,
        customer_id="cust-1",
        headers={"X-App": "bot"},
    ) as client:
        await client.create_session(
            fake.assistant_id, fake.environment_id, headers={"X-Request-Tag": "t1"}
        )
    request = next(r for r in fake.requests if r.path.endswith("/sessions"))
    assert request.headers["X-Watson-Learning-Opt-Out"] == "true"
    assert request.headers["X-Watson-Metadata"] == "customer_id=cust-1"
    assert request.headers["X-App"] == "bot"
    assert request.headers["X-Request-Tag"] == "t1"


async def test_fixture_from_the_pytest_plugin(fake_assistant: FakeAssistant) -> None:
    async with AssistantClient(
        VERSION,
        IAMAuthenticator(fake_assistant.apikey, url=fake_assistant.iam_url),
        service_url=fake_assistant.service_url,
    ) as client:
        reply = await client.message_stateless(
            fake_assistant.assistant_id, fake_assistant.environment_id, input={"text": "hi"}
        )
    assert texts(reply)
