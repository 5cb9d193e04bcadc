"""FakeAssistant: list, get and update environments."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from fakes import ManualClock, scoped
from yarl import URL

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


def envs_url(fake: FakeAssistant, tail: str = "") -> str:
    return f"{fake.service_url}/v2/assistants/{fake.assistant_id}/environments{tail}"


async def test_list_environments(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body, headers = await send(http, "GET", envs_url(fake))
        assert status == 200
        assert headers["X-RateLimit-Limit"]
        assert headers["X-Global-Transaction-Id"]
        envs = {e["environment"]: e for e in body["environments"]}
        assert set(envs) == {"draft", "live"}
        live = envs["live"]
        assert live["environment_id"] == fake.environment_id
        assert envs["draft"]["environment_id"] == fake.draft_environment_id
        assert live["assistant_id"] == fake.assistant_id
        assert live["name"] == "live"
        assert live["session_timeout"] == 300
        assert live["orchestration"] == {"search_skill_fallback": False}
        assert "release_reference" not in live
        assert live["integration_references"][0]["type"] == "web_chat"
        refs = {r["type"]: r for r in live["skill_references"]}
        assert refs["action"]["skill_id"] == fake.action_skill_id
        assert refs["action"]["skill_reference"] == "actions skill"
        assert refs["action"]["snapshot"] == "draft"
        assert refs["search"]["skill_id"] == fake.search_skill_id
        assert live["created"].endswith("Z")
        assert body["pagination"]["refresh_url"].startswith(
            f"/v2/assistants/{fake.assistant_id}/environments?"
        )

        # Pagination as for assistants.
        status, body, _ = await send(
            http, "GET", envs_url(fake), params={"page_limit": "1", "include_count": "true"}
        )
        assert status == 200
        assert len(body["environments"]) == 1
        assert body["pagination"]["total"] == 2
        cursor = body["pagination"]["next_cursor"]
        assert URL(body["pagination"]["next_url"]).query["cursor"] == cursor
        status, body2, _ = await send(
            http, "GET", envs_url(fake), params={"page_limit": "1", "cursor": cursor}
        )
        assert status == 200
        assert (
            body2["environments"][0]["environment_id"]
            != (body["environments"][0]["environment_id"])
        )
        assert "next_cursor" not in body2["pagination"]

        status, body, _ = await send(http, "GET", envs_url(fake), params={"sort": "-name"})
        assert [e["name"] for e in body["environments"]] == ["live", "draft"]


@pytest.mark.parametrize("params", [{"page_limit": "0"}, {"sort": "size"}, {"cursor": "%%"}])
async def test_list_environments_bad_params(
    http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body, _ = await send(http, "GET", envs_url(fake), params=params)
        assert (status, body["code"]) == (400, 400)


async def test_environment_not_found(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body, headers = await send(http, "GET", envs_url(fake, "/nope"))
        assert (status, body) == (404, {"error": "Resource not found", "code": 404})
        assert headers["X-Global-Transaction-Id"]
        other = f"{fake.service_url}/v2/assistants/nope/environments"
        assert (await send(http, "GET", other))[0] == 404
        assert (await send(http, "POST", envs_url(fake, "/nope"), json={}))[0] == 404
        assert (await send(http, "DELETE", envs_url(fake, f"/{fake.environment_id}")))[0] == 405


async def test_get_and_update_environment(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        url = envs_url(fake, f"/{fake.environment_id}")
        status, env, _ = await send(http, "GET", url)
        assert status == 200
        assert env["environment_id"] == fake.environment_id

        update = {
            "name": "production",
            "description": "What customers talk to",
            "orchestration": {"search_skill_fallback": True},
            "session_timeout": 900,
            "skill_references": [
                {"skill_id": fake.action_skill_id, "type": "action", "disabled": False}
            ],
        }
        status, env, _ = await send(http, "POST", url, json=update)
        assert status == 200
        assert env["name"] == "production"
        assert env["description"] == "What customers talk to"
        assert env["orchestration"] == {"search_skill_fallback": True}
        assert env["session_timeout"] == 900
        assert env["skill_references"] == [
            {
                "skill_id": fake.action_skill_id,
                "type": "action",
                "disabled": False,
                "snapshot": "draft",
                "skill_reference": "actions skill",
            }
        ]
        assert (await send(http, "GET", url))[1] == env


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": 3}, "name"),
        ({"name": ""}, "name"),
        ({"description": "x" * 129}, "description"),
        ({"orchestration": []}, "orchestration"),
        (
            {"orchestration": {"search_skill_fallback": "yes"}},
            "orchestration.search_skill_fallback",
        ),
        ({"session_timeout": 0}, "session_timeout"),
        ({"session_timeout": True}, "session_timeout"),
        ({"skill_references": {}}, "skill_references"),
        ({"skill_references": [{"skill_id": "nope"}]}, "skill_references[0].skill_id"),
    ],
)
async def test_update_environment_validation(
    http: aiohttp.ClientSession, body: dict[str, Any], path: str
) -> None:
    async with FakeAssistant(auth=False) as fake:
        url = envs_url(fake, f"/{fake.environment_id}")
        status, payload, headers = await send(http, "POST", url, json=body)
        assert status == 400
        assert payload["error"] == "Invalid Request Body"
        assert payload["errors"][0]["path"] == path
        assert headers["X-Global-Transaction-Id"]
        status, payload, _ = await send(http, "POST", url, data=b"{")
        assert (status, payload["errors"][0]["message"]) == (400, "Request body is not valid JSON")


async def test_session_timeout_applies_to_the_environment(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with FakeAssistant(auth=False, clock=clock, session_timeout=300) as fake:
        url = envs_url(fake, f"/{fake.environment_id}")
        status, _, _ = await send(http, "POST", url, json={"session_timeout": 60})
        assert status == 200
        status, created, _ = await send(http, "POST", scoped(fake, "/sessions"))
        sid = created["session_id"]
        # The draft environment keeps the fake's default.
        draft = (
            f"{fake.service_url}/v2/assistants/{fake.assistant_id}"
            f"/environments/{fake.draft_environment_id}/sessions"
        )
        draft_sid = (await send(http, "POST", draft))[1]["session_id"]
        clock.advance(61)
        assert fake.sessions == {draft_sid}
        status, body, _ = await send(
            http, "POST", scoped(fake, f"/sessions/{sid}/message"), json={"input": {"text": "hi"}}
        )
        assert (status, body["error"]) == (404, "Invalid Session")
        status, _, _ = await send(http, "POST", f"{draft}/{draft_sid}/message", json={})
        assert status == 200


async def test_environment_routes_are_rate_limited_per_method(
    http: aiohttp.ClientSession,
) -> None:
    # A fixed clock: the window must not roll over between the two GETs.
    async with FakeAssistant(
        auth=False, rate_limits={"get_environment": 1}, clock=lambda: 1_800_000_010.0
    ) as fake:
        url = envs_url(fake, f"/{fake.environment_id}")
        assert (await send(http, "GET", url))[0] == 200
        status, body, headers = await send(http, "GET", url)
        assert (status, body["code"]) == (429, 429)
        assert headers["X-RateLimit-Remaining"] == "0"
        assert (await send(http, "GET", envs_url(fake)))[0] == 200
        assert fake.requests_in_window("get_environment") == 2
        assert fake.requests_in_window("list_environments") == 1


async def test_new_routes_require_auth(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant() as fake:
        status, body, _ = await send(http, "GET", envs_url(fake))
        assert (status, body["code"]) == (401, 401)
        token = fake.issue_token()
        status, _, _ = await send(
            http, "GET", envs_url(fake), headers={"Authorization": f"Bearer {token}"}
        )
        assert status == 200
        auth = {"Authorization": f"Bearer {token}"}
        async with http.get(envs_url(fake), headers=auth) as resp:  # no version
            assert resp.status == 400
