"""Cassettes against FakeAssistant: record (IAM, a session, a turn, a streamed turn),
then replay with the fake stopped, so nothing can reach the network."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from watson_async import AssistantClient, CloudPakForDataAuthenticator, IAMAuthenticator
from watson_async.testing import FakeAssistant
from watson_async.testing.cassette import (
    SCRUBBED,
    Cassette,
    CassetteMismatchError,
    RecordMode,
    UnmatchedRequestError,
    redact_keys,
)
from watson_async.transport import AiohttpTransport

VERSION = "2024-08-25"


def client_for(cassette: Cassette, service_url: str, iam_url: str, apikey: str) -> AssistantClient:
    """A client whose service and IAM requests both go through the cassette."""
    inner = AiohttpTransport(proxy_from_env=False)
    token_inner = AiohttpTransport(proxy_from_env=False)
    return AssistantClient(
        VERSION,
        IAMAuthenticator(apikey, url=iam_url, transport=cassette.transport(token_inner)),
        service_url=service_url,
        transport=cassette.transport(inner),
    )


async def converse(client: AssistantClient, aid: str, eid: str) -> dict[str, Any]:
    """One session: a plain turn, a streamed turn (frames and their chunks), delete."""
    session = await client.create_session(aid, eid)
    reply = await client.message(
        aid, eid, session.session_id, input={"text": "hello"}, user_id="alice@example.com"
    )
    frames = []
    async with await client.message_stream(
        aid, eid, session.session_id, input={"text": "book a trip"}
    ) as stream:
        async for frame in stream:
            frames.append(type(frame).__name__)
    await client.delete_session(aid, eid, session.session_id)
    return {"session": session.session_id, "reply": reply.to_dict()["output"], "frames": frames}


@attrs.frozen
class Stopped:
    """Where a fake that is now stopped listened: nothing answers there any more."""

    service_url: str
    iam_url: str
    assistant_id: str
    environment_id: str
    apikey: str


def stopped(fake: FakeAssistant) -> Stopped:
    return Stopped(
        fake.service_url, fake.iam_url, fake.assistant_id, fake.environment_id, fake.apikey
    )


async def record(path: Path, **options: Any) -> tuple[dict[str, Any], Stopped]:
    async with FakeAssistant() as fake, Cassette(path, RecordMode.ONCE, **options) as cassette:
        async with client_for(cassette, fake.service_url, fake.iam_url, fake.apikey) as client:
            seen = await converse(client, fake.assistant_id, fake.environment_id)
        assert fake.iam_calls == 1
        where = stopped(fake)
    assert not fake.started
    return seen, where


async def test_recorded_conversation_replays_without_the_fake(tmp_path: Path) -> None:
    path = tmp_path / "conversation.yaml"
    recorded, fake = await record(path, scrubbers=[redact_keys("user_id")])

    text = path.read_text()
    assert fake.apikey not in text
    assert "alice@example.com" not in text
    assert "Authorization" not in text
    document = yaml.safe_load(text)
    assert document["version"] == VERSION
    routes = [i["request"]["route"] for i in document["interactions"]]
    assert routes[0] == "/identity/token"
    assert routes[1].endswith("/sessions")
    token_reply = document["interactions"][0]["response"]["body"]
    assert token_reply["access_token"] == SCRUBBED
    assert document["interactions"][0]["request"]["body"]["apikey"] == SCRUBBED
    streamed = document["interactions"][3]["response"]
    assert len(streamed["chunks"]) > 2  # the chunk boundaries as the fake wrote them

    # The fake is stopped: any request that left the cassette would fail to connect.
    async with (
        Cassette(path) as cassette,
        client_for(cassette, fake.service_url, fake.iam_url, "any-key") as client,
    ):
        replayed = await converse(client, fake.assistant_id, fake.environment_id)
        assert cassette.played == len(document["interactions"])
    # The session ID is written as an alias, so recording again changes no line for it.
    assert replayed.pop("session") == "session-1"
    assert recorded.pop("session") not in text
    assert replayed == recorded


async def test_interleaved_sessions_each_replay_their_own_turns(tmp_path: Path) -> None:
    """Two conversations recorded one after the other replay concurrently: each
    session's turns match its own recording, whatever order they arrive in."""
    path = tmp_path / "two.yaml"
    texts = {"a": ("hello", "book a trip", "Paris"), "b": ("hello", "book a trip", "Rome")}

    async def talk(client: AssistantClient, where: Any, name: str) -> list[str]:
        session = await client.create_session(where.assistant_id, where.environment_id)
        said = []
        for text in texts[name]:
            reply = await client.message(
                where.assistant_id, where.environment_id, session.session_id, input={"text": text}
            )
            said.append(reply.output.generic[0].text)
        return said

    async with FakeAssistant() as fake, Cassette(path, "once") as cassette:
        async with client_for(cassette, fake.service_url, fake.iam_url, fake.apikey) as client:
            first = [await talk(client, fake, name) for name in ("a", "b")]
        where = stopped(fake)
    assert first[1][-1] == "Booked a trip to Rome."
    async with (
        Cassette(path) as cassette,
        client_for(cassette, where.service_url, where.iam_url, "k") as client,
    ):
        # b starts first: it gets session-1's create reply, yet its turns are b's.
        b_task = asyncio.ensure_future(talk(client, where, "b"))
        replayed = await asyncio.gather(talk(client, where, "a"), b_task)
    assert list(replayed) == first


async def test_replay_names_the_unmatched_request(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _, fake = await record(path)
    async with (
        Cassette(path) as cassette,
        client_for(cassette, fake.service_url, fake.iam_url, "k") as client,
    ):
        session = await client.create_session(fake.assistant_id, fake.environment_id)
        with pytest.raises(UnmatchedRequestError) as caught:
            await client.message(
                fake.assistant_id, fake.environment_id, session.session_id, input={"text": "bye"}
            )
    message = str(caught.value)
    assert "POST /v2/assistants/{assistant_id}/environments/{environment_id}/sessions/" in message
    assert '"text":"bye"' in message
    assert '"text":"hello"' in message  # what was recorded for that route


async def test_another_api_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _, fake = await record(path)
    async with Cassette(path) as cassette:
        client = AssistantClient(
            "2023-06-15",
            IAMAuthenticator("k", url=fake.iam_url, transport=cassette.transport()),
            service_url=fake.service_url,
            transport=cassette.transport(),
        )
        async with client:
            with pytest.raises(CassetteMismatchError, match="API version 2024-08-25"):
                await client.create_session(fake.assistant_id, fake.environment_id)


async def test_another_service_url_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _, fake = await record(path)
    async with (
        Cassette(path) as cassette,
        client_for(cassette, "https://elsewhere.example", fake.iam_url, "k") as client,
    ):
        with pytest.raises(CassetteMismatchError, match=r"not https://elsewhere\.example"):
            await client.create_session(fake.assistant_id, fake.environment_id)


async def test_new_episodes_replays_the_old_and_records_the_new(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    await record(path)
    before = len(yaml.safe_load(path.read_text())["interactions"])
    async with (
        FakeAssistant() as fake,
        Cassette(path, "new_episodes") as cassette,
        client_for(cassette, fake.service_url, fake.iam_url, fake.apikey) as client,
    ):
        await client.list_assistants()
        assert fake.iam_calls == 1  # recording: a real token, not the scrubbed one
    document = yaml.safe_load(path.read_text())
    assert len(document["interactions"]) == before + 1
    assert document["interactions"][-1]["request"]["route"] == "/v2/assistants"


async def test_client_replays_with_no_credentials_at_all(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    recorded, where = await record(path)
    async with Cassette(path) as cassette, cassette.client(VERSION) as client:
        assert client.service_url == where.service_url  # the recorded one
        replayed = await converse(client, where.assistant_id, where.environment_id)
    assert replayed.pop("session") == "session-1"
    recorded.pop("session")
    assert replayed == recorded


async def test_client_records_with_the_environment_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeAssistant() as fake:
        for key, value in fake.environ().items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("IBM_CREDENTIALS_FILE", raising=False)
        monkeypatch.chdir(tmp_path)  # no ./ibm-credentials.env
        async with (
            Cassette(tmp_path / "c.yaml", "once") as cassette,
            cassette.client(VERSION, proxy_from_env=False) as client,
        ):
            await client.list_assistants()
        service_url = fake.service_url
    assert yaml.safe_load((tmp_path / "c.yaml").read_text())["service_url"] == service_url


async def test_cloud_pak_for_data_password_and_token_are_scrubbed(tmp_path: Path) -> None:
    path = tmp_path / "cp4d.yaml"

    def client(cassette: Cassette, cp4d_url: str, password: str, service_url: str) -> Any:
        auth = CloudPakForDataAuthenticator(
            cp4d_url,
            "admin",
            password,
            transport=cassette.transport(AiohttpTransport(proxy_from_env=False)),
        )
        return AssistantClient(
            VERSION,
            auth,
            service_url=service_url,
            transport=cassette.transport(AiohttpTransport(proxy_from_env=False)),
        )

    async with FakeAssistant(cp4d_password="s3cret-pw") as fake, Cassette(path, "once") as cassette:
        async with client(cassette, fake.cp4d_url, fake.cp4d_password, fake.service_url) as c:
            await c.list_assistants()
        where = stopped(fake)
        cp4d_url, password = fake.cp4d_url, fake.cp4d_password
    document = yaml.safe_load(path.read_text())
    token = document["interactions"][0]
    assert token["request"]["body"]["password"] == SCRUBBED
    assert password not in path.read_text()
    assert token["response"]["body"]["token"].endswith(".scrubbed")  # claims only, unsigned
    # The replayed token still tells the authenticator its lifetime.
    async with (
        Cassette(path) as cassette,
        client(cassette, cp4d_url, "not-the-password", where.service_url) as c,
    ):
        assistants = await c.list_assistants()
    assert assistants.assistants
