"""The endpoint table agrees with the client, the builders and docs/api-coverage.md."""

from __future__ import annotations

import inspect
import itertools
import re
from pathlib import Path

import pytest

from watson_async import AssistantClient
from watson_async.observe import route_template
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol.routes import BY_NAME, ENDPOINTS, ID_AFTER, Endpoint
from watson_async.testing import FakeAssistant

ROOT = Path(__file__).resolve().parents[3]

#: Public coroutine methods of AssistantClient that are not API endpoints.
NOT_ENDPOINTS = {"aclose", "with_response"}


def test_names_and_routes_are_unique() -> None:
    assert len(BY_NAME) == len(ENDPOINTS)
    routes = [(row.method, row.path) for row in ENDPOINTS]
    assert len(set(routes)) == len(routes)


def test_every_endpoint_method_of_the_client_has_a_row() -> None:
    methods = {
        name
        for name, member in inspect.getmembers(AssistantClient)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }
    assert methods - NOT_ENDPOINTS == set(BY_NAME)


@pytest.mark.parametrize("row", ENDPOINTS, ids=lambda row: row.name)
def test_every_row_has_its_client_method_and_builder(row: Endpoint) -> None:
    method = getattr(AssistantClient, row.name)
    signature = inspect.signature(method)
    assert inspect.iscoroutinefunction(method)
    for name in (*row.ids, *row.query):
        assert name in signature.parameters, f"{row.name}: no parameter {name}"
    assert signature.return_annotation == row.result
    builder = inspect.signature(getattr(_endpoints, row.name))
    for name in (*row.ids, *row.query):
        assert name in builder.parameters, f"{row.name} builder: no parameter {name}"
    assert row.method in ("GET", "POST", "DELETE")
    assert row.family == row.name
    if row.streaming or row.classic:
        assert row.scoped, row.name


def test_a_collection_is_followed_by_one_kind_of_id() -> None:
    for row in ENDPOINTS:
        parts = row.path.split("/")
        for collection, segment in itertools.pairwise(parts):
            if segment.startswith("{"):
                assert ID_AFTER[collection] == segment, row.name


_COVERAGE_ROW = re.compile(
    r"^\| `(?P<name>\w+)` \| (?P<method>[A-Z]+) \| `(?P<path>[^`]+)` \| (?P<returns>[^|]+) \|"
)


def test_api_coverage_table_is_the_endpoint_table() -> None:
    text = (ROOT / "docs" / "api-coverage.md").read_text(encoding="utf-8")
    rows = [m for line in text.splitlines() if (m := _COVERAGE_ROW.match(line))]
    assert [m.group("name") for m in rows] == sorted(BY_NAME)
    for m in rows:
        row = BY_NAME[m.group("name")]
        assert m.group("method") == row.method, row.name
        assert m.group("path") == row.path, row.name
        returns = "`" + row.result.replace(" | ", "` or `") + "`"
        assert m.group("returns").strip() == returns, row.name


@pytest.mark.parametrize("row", ENDPOINTS, ids=lambda row: row.name)
def test_events_carry_the_rows_templates(row: Endpoint) -> None:
    ids = {name: f"id-{i}" for i, name in enumerate(row.ids)}
    request = _endpoints._build(row.name, ids)
    assert route_template(row.name, row.method, request.path) == row.path
    if row.classic_path is not None:
        classic = _endpoints._build(row.name, {**ids, "environment_id": None})
        assert classic.path.count("/") == row.classic_path.count("/")
        assert route_template(row.name, row.method, classic.path) == row.classic_path


@pytest.mark.parametrize("row", ENDPOINTS, ids=lambda row: row.name)
def test_the_fake_routes_every_row_to_its_handler(row: Endpoint) -> None:
    fake = FakeAssistant()
    ids = {name: f"id-{i}" for i, name in enumerate(row.ids)}
    variants = [(_endpoints._build(row.name, ids).path, tuple(ids.values()))]
    if row.classic_path is not None:  # the fake also answers the classic variant
        path = row.classic_path.format_map(ids)
        variants.append((path, tuple(None if n == "environment_id" else ids[n] for n in ids)))
    elif row.scoped:  # streams have no classic variant: nothing answers it
        unscoped = row.unscoped_path.format_map(ids).removeprefix("/v2/")
        assert fake._route(row.method, unscoped) is None
    for path, args in variants:
        route = fake._route(row.method, path.removeprefix("/v2/"))
        assert route is not None, path
        family, handler, found = route
        assert family == row.family
        assert handler is not None
        assert handler.__name__.lstrip("_") == row.name
        assert found == args
        assert fake._route("PUT", path.removeprefix("/v2/")) == ("", None, ())
