"""FakeAssistant: create, list (pagination) and delete assistants."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from yarl import URL

from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"


async def list_page(
    http: aiohttp.ClientSession, fake: FakeAssistant, **params: str
) -> tuple[int, Any]:
    query = {"version": VERSION, **params}
    async with http.get(f"{fake.service_url}/v2/assistants", params=query) as resp:
        return resp.status, await resp.json()


async def test_default_assistant_listed(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body = await list_page(http, fake)
        assert status == 200
        (assistant,) = body["assistants"]
        assert assistant["assistant_id"] == fake.assistant_id
        assert assistant["assistant_skills"] == []
        envs = {e["environment"]: e for e in assistant["assistant_environments"]}
        assert envs["live"]["environment_id"] == fake.environment_id
        assert envs["draft"]["environment_id"] == fake.draft_environment_id
        pagination = body["pagination"]
        assert pagination["refresh_url"].startswith("/v2/assistants?")
        assert "next_url" not in pagination
        assert "next_cursor" not in pagination
        assert "total" not in pagination


async def test_pagination_follows_cursor(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, extra_assistants=24) as fake:
        seen: list[str] = []
        pages = 0
        params = {"page_limit": "10", "include_count": "true"}
        while True:
            status, body = await list_page(http, fake, **params)
            assert status == 200
            pages += 1
            seen += [a["assistant_id"] for a in body["assistants"]]
            pagination = body["pagination"]
            assert pagination["total"] == 25
            if "next_cursor" not in pagination:
                assert "next_url" not in pagination
                break
            next_url = URL(pagination["next_url"])
            assert next_url.path == "/v2/assistants"
            assert next_url.query["cursor"] == pagination["next_cursor"]
            assert next_url.query["page_limit"] == "10"
            params = {**params, "cursor": pagination["next_cursor"]}
        assert pages == 3
        assert len(seen) == 25
        assert seen == fake.assistant_ids
        assert len(set(seen)) == 25
        assert body["pagination"]["refresh_cursor"] == params["cursor"]


async def test_sorting(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, extra_assistants=3) as fake:
        _, body = await list_page(http, fake, sort="name")
        names = [a["name"] for a in body["assistants"]]
        assert names == sorted(names)
        _, body = await list_page(http, fake, sort="-name")
        assert [a["name"] for a in body["assistants"]] == sorted(names, reverse=True)
        _, body = await list_page(http, fake, sort="updated")
        assert [a["assistant_id"] for a in body["assistants"]] == fake.assistant_ids
        _, body = await list_page(http, fake, sort="-updated")
        assert [a["assistant_id"] for a in body["assistants"]] == fake.assistant_ids[::-1]
        assert "Assistant 0001" in names


@pytest.mark.parametrize(
    "params",
    [{"page_limit": "0"}, {"page_limit": "x"}, {"sort": "size"}, {"cursor": "!!!"}],
)
async def test_bad_list_params(http: aiohttp.ClientSession, params: dict[str, str]) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body = await list_page(http, fake, **params)
        assert status == 400
        assert body["code"] == 400


async def test_create_and_delete(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        url = f"{fake.service_url}/v2/assistants"
        body = {"name": "Travel", "description": "Books trips", "language": "fr"}
        async with http.post(url, params={"version": VERSION}, json=body) as resp:
            assert resp.status == 200
            created = await resp.json()
        assert created["name"] == "Travel"
        assert created["language"] == "fr"
        assert created["description"] == "Books trips"
        assert created["assistant_skills"] == []
        assert len(created["assistant_environments"]) == 2
        aid = created["assistant_id"]
        assert aid in fake.assistant_ids

        # Sessions work on the new assistant's environments.
        env = created["assistant_environments"][1]["environment_id"]
        sessions = f"{url}/{aid}/environments/{env}/sessions"
        async with http.post(sessions, params={"version": VERSION}) as resp:
            assert resp.status == 201

        async with http.delete(f"{url}/{aid}", params={"version": VERSION}) as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        async with http.delete(f"{url}/{aid}", params={"version": VERSION}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"error": "Resource not found", "code": 404}
        async with http.post(sessions, params={"version": VERSION}) as resp:
            assert resp.status == 404

        async with http.post(url, params={"version": VERSION}, json={"name": 3}) as resp:
            assert resp.status == 400
            assert (await resp.json())["errors"][0]["path"] == "name"
