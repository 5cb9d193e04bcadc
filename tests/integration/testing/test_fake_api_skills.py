"""FakeAssistant: skills, skills export/import and bulk classify."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}


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


async def test_get_skills(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        assert set(fake.skill_ids()) == {"action", "search"}
        status, action, headers = await send(
            http, "GET", url(fake, f"/skills/{fake.action_skill_id}")
        )
        assert status == 200
        assert headers["X-RateLimit-Limit"]
        assert action["skill_id"] == fake.action_skill_id
        assert action["type"] == "action"
        assert action["status"] == "Available"
        assert action["assistant_id"] == fake.assistant_id
        assert action["environment_id"] == fake.draft_environment_id
        assert action["language"] == "en"
        assert action["valid"] is True
        assert action["next_snapshot_version"] == "1"
        titles = {a["action"]: a["title"] for a in action["workspace"]["actions"]}
        assert titles["book_trip"] == "Book a trip"
        assert "search_settings" not in action

        status, search, _ = await send(http, "GET", url(fake, f"/skills/{fake.search_skill_id}"))
        assert status == 200
        assert search["type"] == "search"
        settings = search["search_settings"]
        assert settings["conversational_search"]["enabled"] is True
        assert settings["discovery"]["url"].startswith("https://")
        assert "workspace" not in search

        status, body, _ = await send(http, "GET", url(fake, "/skills/nope"))
        assert (status, body["code"]) == (404, 404)


async def test_update_skill_is_async(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, processing_polls=1) as fake:
        skill = url(fake, f"/skills/{fake.action_skill_id}")
        body = {
            "name": "Travel actions",
            "description": "Books trips",
            "workspace": {"actions": [], "intents": []},
            "dialog_settings": {"source_language": "en"},
        }
        status, updated, _ = await send(http, "POST", skill, json=body)
        assert status == 202
        assert updated["status"] == "Processing"
        assert updated["name"] == "Travel actions"
        assert updated["workspace"] == {"actions": [], "intents": []}
        assert updated["dialog_settings"] == {"source_language": "en"}
        statuses = [(await send(http, "GET", skill))[1]["status"] for _ in "12"]
        assert statuses == ["Processing", "Available"]
        assert (await send(http, "GET", skill))[1]["description"] == "Books trips"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": 1}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"workspace": []}, "workspace"),
        ({"search_settings": {}}, "search_settings"),  # not a search skill
    ],
)
async def test_update_skill_validation(
    http: aiohttp.ClientSession, body: dict[str, Any], path: str
) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, err, _ = await send(
            http, "POST", url(fake, f"/skills/{fake.action_skill_id}"), json=body
        )
        assert (status, err["errors"][0]["path"]) == (400, path)
        status, _, _ = await send(http, "POST", url(fake, "/skills/nope"), json={})
        assert status == 404


async def test_skills_export_and_import(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False, processing_polls=2) as fake:
        status, export, _ = await send(http, "GET", url(fake, "/skills_export"))
        assert status == 200
        assert {s["type"] for s in export["assistant_skills"]} == {"action", "search"}
        assert export["assistant_state"] == {"action_disabled": False, "dialog_disabled": False}

        status_url = url(fake, "/skills_import/status")
        assert (await send(http, "GET", status_url))[0] == 404  # nothing imported yet

        skills = export["assistant_skills"]
        for skill in skills:
            skill["description"] = f"Imported {skill['type']}"
        status, body, _ = await send(
            http,
            "POST",
            url(fake, "/skills_import"),
            json={"assistant_skills": skills, "assistant_state": export["assistant_state"]},
        )
        assert status == 202
        assert body == {
            "assistant_id": fake.assistant_id,
            "status": "Processing",
            "status_description": "The request is being processed.",
            "status_errors": [],
        }
        statuses = [(await send(http, "GET", status_url))[1]["status"] for _ in "123"]
        assert statuses == ["Processing", "Processing", "Completed"]
        status, got, _ = await send(http, "GET", url(fake, f"/skills/{fake.search_skill_id}"))
        assert got["description"] == "Imported search"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            {"assistant_state": {"action_disabled": False, "dialog_disabled": False}},
            "assistant_skills",
        ),
        ({"assistant_skills": []}, "assistant_state"),
        (
            {"assistant_skills": [], "assistant_state": {"action_disabled": "no"}},
            "assistant_state.action_disabled",
        ),
        (
            {
                "assistant_skills": [{"type": "chit-chat"}],
                "assistant_state": {"action_disabled": False, "dialog_disabled": False},
            },
            "assistant_skills[0].type",
        ),
    ],
)
async def test_skills_import_validation(
    http: aiohttp.ClientSession, body: dict[str, Any], path: str
) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, err, _ = await send(http, "POST", url(fake, "/skills_import"), json=body)
        assert (status, err["errors"][0]["path"]) == (400, path)
        other = f"{fake.service_url}/v2/assistants/nope/skills_export"
        assert (await send(http, "GET", other))[0] == 404


async def test_bulk_classify(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        classify = f"{fake.service_url}/v2/skills/{fake.action_skill_id}/workspace/bulk_classify"
        body = {"input": [{"text": "book a trip"}, {"text": "I need 2 tickets"}, {"text": "hi"}]}
        status, result, headers = await send(http, "POST", classify, json=body)
        assert status == 200
        assert headers["X-Global-Transaction-Id"]
        out = result["output"]
        assert [o["input"] for o in out] == body["input"]
        assert [o["intents"][0]["intent"] for o in out] == ["book_trip", "echo", "greeting"]
        assert all(0 < i["confidence"] <= 1 for o in out for i in o["intents"])
        assert out[0]["entities"] == []
        assert out[1]["entities"][0]["entity"] == "sys-number"
        assert out[1]["entities"][0]["location"] == [7, 8]

        for bad, path in [
            ({}, "input"),
            ({"input": []}, "input"),
            ({"input": [{"text": 3}]}, "input[0].text"),
            ({"input": ["hi"]}, "input[0].text"),
        ]:
            status, err, _ = await send(http, "POST", classify, json=bad)
            assert (status, err["errors"][0]["path"]) == (400, path)
        search = f"{fake.service_url}/v2/skills/{fake.search_skill_id}/workspace/bulk_classify"
        assert (await send(http, "POST", search, json=body))[0] == 400
        unknown = f"{fake.service_url}/v2/skills/nope/workspace/bulk_classify"
        assert (await send(http, "POST", unknown, json=body))[0] == 404
        assert (await send(http, "GET", classify))[0] == 405
