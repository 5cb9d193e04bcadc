"""FakeAssistant: conversational skill providers."""

from __future__ import annotations

import copy
from typing import Any

import aiohttp
import pytest

from watson_async.testing import FakeAssistant

VERSION = {"version": "2024-08-25"}
SECRET = "s3cr3t-p4ssw0rd"

SPEC: dict[str, Any] = {
    "servers": [{"url": "https://bookings.example.com/api"}],
    "components": {
        "securitySchemes": {
            "authentication_method": "basic",
            "basic": {"username": {"type": "value", "value": "watson"}},
        }
    },
}
PRIVATE: dict[str, Any] = {
    "authentication": {"basic": {"password": {"type": "value", "value": SECRET}}}
}


async def send(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any, bytes]:
    params = {**VERSION, **kwargs.pop("params", {})}
    async with http.request(method, url, params=params, **kwargs) as resp:
        raw = await resp.read()
        body = await resp.json() if raw else None
        return resp.status, body, raw


def providers(fake: FakeAssistant, tail: str = "") -> str:
    return f"{fake.service_url}/v2/providers{tail}"


async def create(
    http: aiohttp.ClientSession, fake: FakeAssistant, pid: str
) -> tuple[int, Any, bytes]:
    body = {"provider_id": pid, "specification": SPEC, "private": PRIVATE}
    return await send(http, "POST", providers(fake), json=body)


async def test_create_provider_never_echoes_private(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        status, body, raw = await create(http, fake, "bookings")
        assert status == 200
        assert body["provider_id"] == "bookings"
        assert body["specification"] == SPEC
        assert body["created"].endswith("Z")
        assert body["updated"] == body["created"]
        assert "private" not in body
        assert SECRET.encode() not in raw
        assert fake.provider_ids == ["bookings"]
        assert fake.provider_private("bookings") == PRIVATE
        assert fake.provider_private("nope") is None

        status, body, _ = await create(http, fake, "bookings")
        assert (status, body["code"]) == (409, 409)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"provider_id": None}, "provider_id"),
        ({"provider_id": "a/b"}, "provider_id"),
        ({"specification": None}, "specification"),
        ({"specification": {"servers": [{"url": "ftp://x"}]}}, "specification.servers[0].url"),
        ({"specification": {"servers": {}}}, "specification.servers"),
        (
            {"specification": {"components": {"securitySchemes": {"authentication_method": "x"}}}},
            "specification.components.securitySchemes.authentication_method",
        ),
        ({"private": None}, "private"),
        ({"private": {}}, "private.authentication"),
    ],
)
async def test_create_provider_validation(
    http: aiohttp.ClientSession, change: dict[str, Any], path: str
) -> None:
    async with FakeAssistant(auth=False) as fake:
        body = {"provider_id": "bookings", "specification": SPEC, "private": PRIVATE, **change}
        status, err, _ = await send(http, "POST", providers(fake), json=body)
        assert status == 400
        assert err["error"] == "Invalid Request Body"
        assert err["errors"][0]["path"] == path
        assert fake.provider_ids == []


async def test_list_providers_pagination(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        for pid in ("charlie", "alpha", "bravo"):
            assert (await create(http, fake, pid))[0] == 200
        params = {"page_limit": "2", "include_count": "true", "sort": "name"}
        status, page, raw = await send(http, "GET", providers(fake), params=params)
        assert status == 200
        assert SECRET.encode() not in raw
        ids = [p["provider_id"] for p in page["conversational_skill_providers"]]
        assert ids == ["alpha", "bravo"]
        pagination = page["pagination"]
        assert pagination["total"] == 3
        assert pagination["refresh_url"].startswith("/v2/providers?")
        status, page, _ = await send(
            http, "GET", providers(fake), params={**params, "cursor": pagination["next_cursor"]}
        )
        assert [p["provider_id"] for p in page["conversational_skill_providers"]] == ["charlie"]
        assert "next_url" not in page["pagination"]
        status, page, _ = await send(http, "GET", providers(fake))
        ids = [p["provider_id"] for p in page["conversational_skill_providers"]]
        assert ids == ["charlie", "alpha", "bravo"]  # creation order
        status, err, _ = await send(http, "GET", providers(fake), params={"page_limit": "-1"})
        assert (status, err["code"]) == (400, 400)


async def test_update_provider(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        await create(http, fake, "bookings")
        spec = copy.deepcopy(SPEC)
        spec["servers"] = [{"url": "https://bookings-v2.example.com/api"}]
        private = {"authentication": {"bearer": {"token": {"type": "value", "value": "tok"}}}}
        status, body, raw = await send(
            http,
            "POST",
            providers(fake, "/bookings"),
            json={"specification": spec, "private": private},
        )
        assert status == 200
        assert body["specification"] == spec
        assert b"tok" not in raw
        assert fake.provider_private("bookings") == private

        status, err, _ = await send(
            http, "POST", providers(fake, "/nope"), json={"specification": spec, "private": private}
        )
        assert (status, err) == (404, {"error": "Resource not found", "code": 404})
        status, err, _ = await send(
            http, "POST", providers(fake, "/bookings"), json={"specification": spec}
        )
        assert (status, err["errors"][0]["path"]) == (400, "private")
        assert (await send(http, "DELETE", providers(fake, "/bookings")))[0] == 405
