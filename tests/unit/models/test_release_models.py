"""Release models (releases, export, import) and ``bulk_classify``."""

from typing import Any

import pytest
from _samples import assert_round_trip, load

from watson_async.models.assistants import EnvironmentReference
from watson_async.models.bulk_classify import (
    BulkClassifyOutput,
    BulkClassifyResponse,
    BulkClassifyUtterance,
)
from watson_async.models.message import RuntimeEntity, RuntimeIntent
from watson_async.models.releases import (
    CreateAssistantReleaseImportResponse,
    CreateReleaseExportWithStatusErrors,
    MonitorAssistantReleaseImportArtifactResponse,
    Release,
    ReleaseCollection,
    ReleaseContent,
    ReleaseSkill,
    StatusError,
)

STAMP = "2019-01-01T12:00:00.000Z"


def _check_release(release: Release) -> None:
    assert release.release == "release"
    assert release.description == "description"
    assert release.environment_references == [
        EnvironmentReference(name="name", environment_id="environmentId", environment="draft")
    ]
    assert release.content == ReleaseContent(
        skills=[ReleaseSkill(skill_id="skillId", type="dialog", snapshot="snapshot")]
    )
    assert release.status == "Available"
    assert release.created == STAMP
    assert release.updated == STAMP


@pytest.mark.parametrize("name", ["create_release.json", "get_release.json"])
def test_release_samples(name: str) -> None:
    data = load(name)
    release = Release.from_dict(data)
    _check_release(release)
    assert release.to_dict() == data


def test_list_releases_sample() -> None:
    data = load("list_releases.json")
    page = ReleaseCollection.from_dict(data)
    assert page.releases is not None
    _check_release(page.releases[0])
    assert page.pagination is not None
    assert page.pagination.next_cursor == "nextCursor"
    assert page.to_dict() == data


@pytest.mark.parametrize("name", ["create_release_export.json", "download_release_export.json"])
def test_release_export_samples(name: str) -> None:
    data = load(name)
    export = CreateReleaseExportWithStatusErrors.from_dict(data)
    assert export == CreateReleaseExportWithStatusErrors(
        status="Available",
        task_id="taskId",
        assistant_id="assistantId",
        release="release",
        created=STAMP,
        updated=STAMP,
        status_errors=[StatusError(message="message")],
        status_description="statusDescription",
    )
    assert export.to_dict() == data


def test_release_import_sample() -> None:
    data = load("create_release_import.json")
    started = CreateAssistantReleaseImportResponse.from_dict(data)
    assert started == CreateAssistantReleaseImportResponse(
        status="Failed",
        task_id="taskId",
        assistant_id="assistantId",
        skill_impact_in_draft=["action"],
        created=STAMP,
        updated=STAMP,
    )
    assert started.to_dict() == data


def test_release_import_status_sample() -> None:
    data = load("get_release_import_status.json")
    status = MonitorAssistantReleaseImportArtifactResponse.from_dict(data)
    assert status.status == "Completed"
    assert status.status_errors == [StatusError(message="message")]
    assert status.status_description == "statusDescription"
    assert status.skill_impact_in_draft == ["action"]
    assert status.created == STAMP
    assert status.to_dict() == data


def test_release_models_tolerate_missing_and_unknown_keys() -> None:
    for cls in (
        Release,
        ReleaseCollection,
        CreateReleaseExportWithStatusErrors,
        CreateAssistantReleaseImportResponse,
        MonitorAssistantReleaseImportArtifactResponse,
    ):
        assert cls.from_dict({}).to_dict() == {}
    data: dict[str, Any] = {"status": "Processing", "progress": 40, "status_errors": None}
    status = MonitorAssistantReleaseImportArtifactResponse.from_dict(data)
    assert status.extra == {"progress": 40}
    assert_round_trip(data, status.to_dict())


# --------------------------------------------------------------------------- bulk classify


def test_bulk_classify_sample() -> None:
    data = load("bulk_classify.json")
    response = BulkClassifyResponse.from_dict(data)
    assert response.output is not None
    out = response.output[0]
    assert isinstance(out, BulkClassifyOutput)
    assert out.input == BulkClassifyUtterance(text="text")
    assert out.intents == [RuntimeIntent(intent="intent", confidence=10, skill="skill")]
    assert out.entities is not None
    entity = out.entities[0]
    assert isinstance(entity, RuntimeEntity)
    assert entity.entity == "entity"
    assert entity.location == [8]
    assert entity.role is not None
    assert entity.role.type == "date_from"
    assert entity.interpretation is not None
    assert entity.interpretation.granularity == "day"
    assert response.to_dict() == data


def test_bulk_classify_spec_example() -> None:
    data = load("bulk_classify_spec_example.json")
    response = BulkClassifyResponse.from_dict(data)
    assert response.output is not None
    out = response.output[0]
    assert out.input is not None
    assert out.input.text == "I want to order some coffee"
    assert out.entities is not None
    entity = out.entities[0]
    assert entity.location == [14, 20]
    assert entity.groups is None
    assert entity.role is None
    # ``metadata`` is not in the SDK model: kept as an unknown key (its null included)
    assert entity.extra == {"metadata": None}
    assert out.intents is not None
    assert [i.intent for i in out.intents] == ["order", "goodbye"]
    assert out.intents[0].confidence == pytest.approx(0.1588214785085711)
    assert_round_trip(data, response.to_dict())


def test_bulk_classify_request_body() -> None:
    utterances = [BulkClassifyUtterance(text="hello"), BulkClassifyUtterance(text="bye")]
    assert {"input": [u.to_dict() for u in utterances]} == {
        "input": [{"text": "hello"}, {"text": "bye"}]
    }
    assert BulkClassifyResponse.from_dict({}).output is None
    assert BulkClassifyOutput.from_dict({"input": {}}).input == BulkClassifyUtterance()
