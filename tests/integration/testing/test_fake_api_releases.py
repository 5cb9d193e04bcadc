"""FakeAssistant: releases, deployment, release export (JSON and streamed archive) and
release import."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import aiohttp
import pytest

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}
OCTET = {"Accept": "application/octet-stream"}


async def send(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any, Any]:
    params = {**VERSION, **kwargs.pop("params", {})}
    async with http.request(method, url, params=params, **kwargs) as resp:
        raw = await resp.read()
        body = await resp.json() if raw else None
        return resp.status, body, resp.headers


def url(fake: FakeAssistant, tail: str = "") -> str:
    return f"{fake.service_url}/v2/assistants/{fake.assistant_id}{tail}"


async def create_release(http: aiohttp.ClientSession, fake: FakeAssistant) -> str:
    status, body, _ = await send(http, "POST", url(fake, "/releases"), json={})
    assert status == 202
    release: str = body["release"]
    return release


async def test_release_progresses_over_status_reads(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, processing_polls=2) as fake:
        body = {"description": "First release"}
        status, created, headers = await send(http, "POST", url(fake, "/releases"), json=body)
        assert status == 202
        assert headers["X-Global-Transaction-Id"]
        assert created["release"] == "1"
        assert created["description"] == "First release"
        assert created["status"] == "Processing"
        assert created["environment_references"] == []
        skills = {s["type"]: s for s in created["content"]["skills"]}
        assert skills["action"] == {
            "skill_id": fake.action_skill_id,
            "type": "action",
            "snapshot": "1",
        }
        assert created["created"].endswith("Z")

        statuses = [(await send(http, "GET", url(fake, "/releases/1")))[1]["status"] for _ in "123"]
        assert statuses == ["Processing", "Processing", "Available"]
        assert fake.release_status("1") == "Available"

        # A second release gets the next number; listing does not advance it.
        assert await create_release(http, fake) == "2"
        status, listed, _ = await send(http, "GET", url(fake, "/releases"))
        assert status == 200
        assert [(r["release"], r["status"]) for r in listed["releases"]] == [
            ("1", "Available"),
            ("2", "Processing"),
        ]
        fake.finish_tasks()
        assert fake.release_status("2") == "Available"


async def test_list_releases_pagination(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        for _ in range(5):
            await create_release(http, fake)
        seen: list[str] = []
        params = {"page_limit": "2", "include_count": "true"}
        while True:
            status, body, _ = await send(http, "GET", url(fake, "/releases"), params=params)
            assert status == 200
            assert body["pagination"]["total"] == 5
            seen += [r["release"] for r in body["releases"]]
            if "next_cursor" not in body["pagination"]:
                break
            params = {**params, "cursor": body["pagination"]["next_cursor"]}
        assert seen == ["1", "2", "3", "4", "5"]
        status, body, _ = await send(http, "GET", url(fake, "/releases"), params={"sort": "-name"})
        assert [r["release"] for r in body["releases"]] == ["5", "4", "3", "2", "1"]
        status, body, _ = await send(http, "GET", url(fake, "/releases"), params={"sort": "x"})
        assert status == 400


async def test_release_not_found_and_delete(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        for method in ("GET", "DELETE"):
            status, body, headers = await send(http, method, url(fake, "/releases/9"))
            assert (status, body) == (404, {"error": "Resource not found", "code": 404})
            assert headers["X-Global-Transaction-Id"]
        status, _, _ = await send(http, "GET", f"{fake.service_url}/v2/assistants/x/releases")
        assert status == 404

        release = await create_release(http, fake)
        status, body, _ = await send(http, "DELETE", url(fake, f"/releases/{release}"))
        assert (status, body) == (200, None)
        assert (await send(http, "GET", url(fake, f"/releases/{release}")))[0] == 404

        status, body, _ = await send(http, "POST", url(fake, "/releases"), json={"description": 5})
        assert (status, body["errors"][0]["path"]) == (400, "description")


async def test_deploy_release(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, processing_polls=0) as fake:
        release = await create_release(http, fake)
        deploy = url(fake, f"/releases/{release}/deploy")
        # Not available until a status read has seen it finish.
        status, body, _ = await send(
            http, "POST", deploy, json={"environment_id": fake.environment_id}
        )
        assert (status, body["code"]) == (409, 409)
        assert (await send(http, "GET", url(fake, f"/releases/{release}")))[1]["status"] == (
            "Available"
        )

        status, env, _ = await send(
            http, "POST", deploy, json={"environment_id": fake.environment_id}
        )
        assert status == 200
        assert env["environment_id"] == fake.environment_id
        assert env["release_reference"] == {"release": release}
        assert {r["snapshot"] for r in env["skill_references"]} == {release}
        status, got, _ = await send(http, "GET", url(fake, f"/environments/{fake.environment_id}"))
        assert got["release_reference"] == {"release": release}
        status, rel, _ = await send(http, "GET", url(fake, f"/releases/{release}"))
        assert rel["environment_references"] == [
            {"name": "live", "environment_id": fake.environment_id, "environment": "live"}
        ]
        # A deployed release cannot be deleted.
        assert (await send(http, "DELETE", url(fake, f"/releases/{release}")))[0] == 409

        for body, path in [
            ({}, "environment_id"),
            ({"environment_id": "nope"}, "environment_id"),
            ({"environment_id": fake.draft_environment_id}, "environment_id"),
        ]:
            status, err, _ = await send(http, "POST", deploy, json=body)
            assert (status, err["errors"][0]["path"]) == (400, path)
        status, _, _ = await send(
            http,
            "POST",
            url(fake, "/releases/77/deploy"),
            json={"environment_id": fake.environment_id},
        )
        assert status == 404


async def test_release_export_json_progress(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, processing_polls=1) as fake:
        release = await create_release(http, fake)
        export = url(fake, f"/releases/{release}/export")
        assert (await send(http, "POST", export))[0] == 409  # release still processing
        assert (await send(http, "GET", export))[0] == 404  # no export yet
        fake.finish_tasks()
        status, body, _ = await send(http, "POST", export)
        assert status == 200
        assert body["status"] == "Processing"
        assert body["release"] == release
        assert body["assistant_id"] == fake.assistant_id
        assert body["task_id"]
        assert body["status_errors"] == []
        # Binary download is refused while processing.
        status, err, _ = await send(http, "GET", export, headers=OCTET)
        assert (status, err["code"]) == (409, 409)
        json_accept = {"Accept": "application/json"}
        reads = [(await send(http, "GET", export, headers=json_accept))[1] for _ in "12"]
        assert [r["status"] for r in reads] == ["Processing", "Available"]
        assert reads[1]["task_id"] == body["task_id"]
        assert (await send(http, "POST", url(fake, "/releases/42/export")))[0] == 404


@pytest.mark.parametrize("size", [256 * 1024, 10, 0])
async def test_release_export_archive_streams_in_chunks(
    http: aiohttp.ClientSession, size: int
) -> None:
    async with FakeAssistant(auth=False, processing_polls=0, export_archive_size=size) as fake:
        release = await create_release(http, fake)
        fake.finish_tasks()
        export = url(fake, f"/releases/{release}/export")
        assert (await send(http, "POST", export))[0] == 200
        fake.finish_tasks()
        async with http.get(export, params=VERSION, headers=OCTET) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/octet-stream"
            assert resp.headers["Transfer-Encoding"] == "chunked"
            assert resp.headers["X-Global-Transaction-Id"]
            assert resp.headers["X-RateLimit-Limit"]
            assert "attachment" in resp.headers["Content-Disposition"]
            chunks: list[bytes] = []
            current = b""
            async for data, end_of_chunk in resp.content.iter_chunks():
                current += data
                if end_of_chunk:
                    chunks.append(current)
                    current = b""
            assert current == b""
        received = b"".join(chunks)
        assert len(received) == size
        assert received == fake.export_archive(release)
        if size >= 4:
            assert len(chunks) >= 4
            assert max(len(c) for c in chunks) <= 64 * 1024
        assert fake.streams_completed == 1
        # Deterministic per release.
        assert fake.export_archive(release) == fake.export_archive(release)
        assert size == 0 or fake.export_archive("other") != received


async def test_archive_chunks_pause_through_injected_sleep(
    http: aiohttp.ClientSession,
) -> None:
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    async with FakeAssistant(
        auth=False, processing_polls=0, sleep=sleep, stream_pause=0.25, export_archive_size=40
    ) as fake:
        release = await create_release(http, fake)
        fake.finish_tasks()
        export = url(fake, f"/releases/{release}/export")
        await send(http, "POST", export)
        fake.finish_tasks()
        async with http.get(export, params=VERSION, headers=OCTET) as resp:
            assert len(await resp.read()) == 40
        assert slept == [0.25, 0.25, 0.25]  # between the four chunks


async def test_release_import_records_upload_and_progresses(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeAssistant(auth=False, processing_polls=1) as fake:
        archive = bytes(range(256)) * 8192  # 2 MiB: above aiohttp's default body limit
        imp = url(fake, "/import")
        assert (await send(http, "GET", imp))[0] == 404  # nothing imported yet
        status, body, _ = await send(
            http,
            "POST",
            imp,
            data=io.BytesIO(archive),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert status == 202
        assert body["status"] == "Processing"
        assert body["assistant_id"] == fake.assistant_id
        assert sorted(body["skill_impact_in_draft"]) == ["action", "search"]
        assert body["created"].endswith("Z")
        (upload,) = fake.release_imports
        assert upload.assistant_id == fake.assistant_id
        assert upload.size == len(archive)
        assert upload.sha256 == hashlib.sha256(archive).hexdigest()
        statuses = [(await send(http, "GET", imp))[1]["status"] for _ in "12"]
        assert statuses == ["Processing", "Completed"]
        status, final, _ = await send(http, "GET", imp)
        assert final["task_id"] == body["task_id"]
        assert final["status_errors"] == []


async def test_release_import_validation(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        imp = url(fake, "/import")
        octet = {"Content-Type": "application/octet-stream"}
        status, body, _ = await send(http, "POST", imp, data=b"", headers=octet)
        assert (status, body["error"]) == (400, "Invalid Request Body")
        status, body, _ = await send(http, "POST", imp, json={"a": 1})
        assert (status, body["code"]) == (415, 415)
        status, _, _ = await send(
            http, "POST", f"{fake.service_url}/v2/assistants/x/import", data=b"z", headers=octet
        )
        assert status == 404
        assert fake.release_imports == []
