"""The whole v2 surface end to end: the real client against FakeAssistant on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from watson_async import (
    AssistantClient,
    ByteStream,
    ConflictError,
    IAMAuthenticator,
    NoAuthAuthenticator,
    NotFoundError,
)
from watson_async.models import (
    BulkClassifyResponse,
    CreateReleaseExportWithStatusErrors,
    GenericText,
    MessageStreamCompleteItem,
    MessageStreamPartialItem,
    ProviderResponse,
    StatefulMessageStreamFinalResponse,
    StatelessMessageStreamFinalResponse,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Search provider", "version": "1.0.0"},
    "servers": [{"url": "https://search.example.com"}],
    "components": {"securitySchemes": {"authentication_method": "bearer"}},
}
PRIVATE = {"authentication": {"token": {"value": "provider-secret"}}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant(extra_assistants=2) as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeAssistant) -> AsyncIterator[AssistantClient]:
    async with AssistantClient(
        VERSION, IAMAuthenticator(fake.apikey, url=fake.iam_url), service_url=fake.service_url
    ) as client:
        yield client


async def test_providers(fake: FakeAssistant, client: AssistantClient) -> None:
    created = await client.create_provider("search-1", SPEC, PRIVATE)
    assert isinstance(created, ProviderResponse)
    assert created.provider_id == "search-1"
    assert "provider-secret" not in str(created.to_dict())
    with pytest.raises(ConflictError):
        await client.create_provider("search-1", SPEC, PRIVATE)
    updated = await client.update_provider("search-1", SPEC, PRIVATE)
    assert updated.provider_id == "search-1"
    for n in range(2, 6):
        await client.create_provider(f"search-{n}", SPEC, PRIVATE)
    ids = [p.provider_id async for p in client.iter_providers(page_limit=2)]
    assert sorted(ids) == [f"search-{n}" for n in range(1, 6)]
    assert len([p async for p in client.iter_providers(page_limit=2, limit=3)]) == 3
    with pytest.raises(NotFoundError):
        await client.update_provider("nope", SPEC, PRIVATE)


async def test_environments(fake: FakeAssistant, client: AssistantClient) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    page = await client.list_environments(aid, include_count=True)
    assert page.environments
    every = [e.environment_id async for e in client.iter_environments(aid, page_limit=1)]
    assert eid in every
    assert len(every) == len(page.environments)
    env = await client.get_environment(aid, eid, include_audit=True)
    assert env.environment_id == eid
    changed = await client.update_environment(aid, eid, name="Live!", session_timeout=900)
    assert changed.name == "Live!"
    assert changed.session_timeout == 900
    with pytest.raises(NotFoundError):
        await client.get_environment(aid, "no-such-environment")


async def test_release_lifecycle_with_export_download_and_deploy(
    fake: FakeAssistant, client: AssistantClient, tmp_path: Path
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    release = await client.create_release(aid, description="first")
    assert release.release is not None
    assert release.status == "Processing"
    while (await client.get_release(aid, release.release)).status != "Available":
        pass  # the fake advances one step per status read: bounded by processing_polls
    releases = [r.release async for r in client.iter_releases(aid, page_limit=1)]
    assert release.release in releases

    export = await client.create_release_export(aid, release.release)
    assert isinstance(export, CreateReleaseExportWithStatusErrors)
    status = await client.download_release_export(aid, release.release)
    while status.status != "Available":
        status = await client.download_release_export(aid, release.release)

    archive = await client.download_release_export(
        aid, release.release, accept="application/octet-stream"
    )
    assert isinstance(archive, ByteStream)
    chunks = [chunk async for chunk in archive]
    assert len(chunks) > 1  # it arrived (and was handed over) in pieces
    assert b"".join(chunks) == fake.export_archive(release.release)
    assert archive.closed

    second = await client.download_release_export(
        aid, release.release, accept="application/octet-stream"
    )
    written = await second.save(tmp_path / "export.zip")
    assert (tmp_path / "export.zip").read_bytes() == fake.export_archive(release.release)
    assert written == len(fake.export_archive(release.release))

    deployed = await client.deploy_release(aid, release.release, eid)
    assert deployed.environment_id == eid
    with pytest.raises(ConflictError):
        await client.delete_release(aid, release.release)  # it is deployed


async def test_content_type_as_ibm_sdks_send_it(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    """What arrives on the wire: ``{}`` as JSON for a session without analytics (as the
    Python SDK sends it), and no ``Content-Type`` at all on a POST without a body
    (aiohttp would add ``application/octet-stream``; the SDKs send none)."""
    aid, eid = fake.assistant_id, fake.environment_id
    fake.clear_requests()
    await client.create_session(aid, eid)
    release = await client.create_release(aid)
    assert release.release is not None
    fake.finish_tasks()
    await client.create_release_export(aid, release.release)
    await client.get_release(aid, release.release)
    session, created, export, got = [r for r in fake.requests if "/v2/" in r.path]
    assert session.path.endswith("/sessions")
    assert session.header("Content-Type") == "application/json"
    assert session.body == b"{}"
    assert created.header("Content-Type") == "application/json"
    assert export.method == "POST"
    assert export.path.endswith("/export")
    assert export.body == b""
    assert export.header("Content-Type") is None
    assert got.header("Content-Type") is None


async def test_early_closed_download_releases_its_connection(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid = fake.assistant_id
    release = await client.create_release(aid)
    assert release.release is not None
    while (await client.get_release(aid, release.release)).status != "Available":
        pass
    await client.create_release_export(aid, release.release)
    while (await client.download_release_export(aid, release.release)).status != "Available":
        pass
    async with await client.download_release_export(
        aid, release.release, accept="application/octet-stream"
    ) as archive:
        async for _chunk in archive:
            break
    assert archive.closed


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("form", ["bytes", "file", "async_iterator"])
async def test_release_import_uploads_intact(
    form: str, fake: FakeAssistant, client: AssistantClient
) -> None:
    archive = bytes(range(256)) * 4096  # 1 MiB
    body: object = {
        "bytes": archive,
        "file": io.BytesIO(archive),
        "async_iterator": chunks_of(archive, 65536),
    }[form]
    started = await client.create_release_import(fake.assistant_id, body)  # type: ignore[arg-type]
    assert started.status == "Processing"
    (upload,) = fake.release_imports
    assert upload.size == len(archive)
    assert upload.sha256 == hashlib.sha256(archive).hexdigest()
    status = await client.get_release_import_status(fake.assistant_id)
    while status.status != "Completed":
        status = await client.get_release_import_status(fake.assistant_id)


async def test_skills_export_import_update(fake: FakeAssistant, client: AssistantClient) -> None:
    aid = fake.assistant_id
    skill = await client.get_skill(aid, fake.action_skill_id)
    assert skill.skill_id == fake.action_skill_id
    exported = await client.export_skills(aid, include_audit=True)
    assert exported.assistant_skills
    assert exported.assistant_state is not None
    started = await client.import_skills(aid, exported.assistant_skills, exported.assistant_state)
    assert started.status == "Processing"
    while (await client.import_skills_status(aid)).status != "Completed":
        pass
    updated = await client.update_skill(aid, fake.search_skill_id, description="searching")
    assert updated.description == "searching"


async def test_bulk_classify(fake: FakeAssistant, client: AssistantClient) -> None:
    result = await client.bulk_classify(
        fake.action_skill_id, [{"text": "hello"}, {"text": "book a trip"}]
    )
    assert isinstance(result, BulkClassifyResponse)
    assert result.output is not None
    assert [o.intents[0].intent for o in result.output if o.intents] == ["greeting", "book_trip"]


async def test_logs_filter_iterate_and_delete_user_data(fake: FakeAssistant) -> None:
    auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
    aid, eid = fake.assistant_id, fake.environment_id
    async with (
        AssistantClient(
            VERSION, auth, service_url=fake.service_url, customer_id="cust-7"
        ) as tagged,
        AssistantClient(VERSION, auth, service_url=fake.service_url) as plain,
    ):
        session = await tagged.create_session(aid, eid)
        for text in ("hello", "menu", "hello again"):
            await tagged.message(aid, eid, session.session_id, input={"text": text})
        await plain.message_stateless(aid, eid, input={"text": "hello stateless"})
        hellos = [
            log.request.input.text  # type: ignore[union-attr]
            async for log in plain.iter_logs(aid, filter="request.input.text:hello", page_limit=1)
        ]
        assert hellos == ["hello", "hello again", "hello stateless"]
        mine = [log async for log in plain.iter_logs(aid, filter="customer_id::cust-7")]
        assert len(mine) == 3
        await plain.delete_user_data("cust-7")
        assert [log async for log in plain.iter_logs(aid, filter="customer_id::cust-7")] == []
        assert len([log async for log in plain.iter_logs(aid)]) == 1
    assert fake.user_data_deletions == ["cust-7"]


async def test_message_stream_yields_typed_frames_as_they_arrive(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid)
    stream = await client.message_stream(aid, eid, session.session_id, input={"text": "hello"})
    async with stream:
        frames = await stream.collect()
    kinds = [type(f) for f in frames]
    assert kinds[0] is MessageStreamPartialItem
    assert MessageStreamCompleteItem in kinds
    assert kinds[-1] is StatefulMessageStreamFinalResponse
    partial_text = "".join(
        f.partial_item.text or ""  # type: ignore[union-attr]
        for f in frames
        if isinstance(f, MessageStreamPartialItem)
    )
    final = frames[-1]
    assert isinstance(final, StatefulMessageStreamFinalResponse)
    assert final.final_response is not None
    generic = final.final_response.output.generic  # type: ignore[union-attr]
    assert generic is not None
    assert isinstance(generic[0], GenericText)
    assert partial_text == generic[0].text
    assert fake.turns_received(session.session_id) == 1
    assert stream.closed


async def test_stateless_stream_threads_context(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    async with await client.message_stream_stateless(
        aid, eid, input={"text": "book a trip"}
    ) as stream:
        first = (await stream.collect())[-1]
    assert isinstance(first, StatelessMessageStreamFinalResponse)
    assert first.final_response is not None
    context = first.final_response.context
    assert context is not None
    async with await client.message_stream_stateless(
        aid, eid, input={"text": "Lisbon"}, context=context
    ) as stream:
        second = (await stream.collect())[-1]
    assert isinstance(second, StatelessMessageStreamFinalResponse)
    assert second.final_response is not None
    generic = second.final_response.output.generic  # type: ignore[union-attr]
    assert generic is not None
    assert [g.text for g in generic if isinstance(g, GenericText)] == ["Booked a trip to Lisbon."]


async def test_breaking_out_early_closes_the_stream(
    fake: FakeAssistant, client: AssistantClient
) -> None:
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid)
    async with await client.message_stream(
        aid, eid, session.session_id, input={"text": "hello"}
    ) as stream:
        async for _frame in stream:
            break
    assert stream.closed
    await asyncio.wait_for(fake.wait_streams_idle(), 5)
    assert fake.active_streams == 0


@pytest.fixture
async def slow_stream_fake() -> AsyncIterator[FakeAssistant]:
    """A fake that pauses between stream chunks until the test's end: still writing when
    the client goes away, so the stream can only end by the client closing it."""
    never = asyncio.Event()
    pauses = 0

    async def paused(seconds: float) -> None:
        nonlocal pauses
        pauses += 1
        if pauses > 2:  # the first frames go out; then the fake holds the rest
            await never.wait()

    async with FakeAssistant(auth=False, stream_pause=1.0, sleep=paused) as fake:
        yield fake


async def test_cancelling_a_reader_closes_the_stream(slow_stream_fake: FakeAssistant) -> None:
    fake = slow_stream_fake
    async with AssistantClient(VERSION, NoAuthAuthenticator(), service_url=fake.service_url) as c:
        stream = await c.message_stream_stateless(
            fake.assistant_id, fake.environment_id, input={"text": "hello"}
        )
        got_one = asyncio.Event()

        async def read() -> None:
            async for _frame in stream:
                got_one.set()
                await asyncio.Event().wait()  # a slow consumer, cancelled below

        reader = asyncio.create_task(read())
        await asyncio.wait_for(got_one.wait(), 5)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        # No aclose() and no `async with`: the cancelled loop's generator is finalized by
        # the event loop, which closes the connection; the fake sees the client go away.
        await asyncio.wait_for(fake.wait_streams_idle(), 5)
        assert stream.closed
        assert fake.streams_aborted == 1


async def test_breaking_out_of_a_bare_loop_closes_the_stream(
    slow_stream_fake: FakeAssistant,
) -> None:
    fake = slow_stream_fake
    async with AssistantClient(VERSION, NoAuthAuthenticator(), service_url=fake.service_url) as c:
        stream = await c.message_stream_stateless(
            fake.assistant_id, fake.environment_id, input={"text": "hello"}
        )
        async for _frame in stream:
            break
        await asyncio.wait_for(fake.wait_streams_idle(), 5)
        assert stream.closed
        assert fake.streams_aborted == 1
        with pytest.raises(RuntimeError, match="only once"):
            stream.__aiter__()
