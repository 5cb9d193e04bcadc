"""Environment models: ``get/list/update_environment`` and ``deploy_release`` replies."""

from typing import Any

import pytest
from _samples import assert_round_trip, load

from watson_async.models import assistants
from watson_async.models.environments import (
    BaseEnvironmentOrchestration,
    BaseEnvironmentReleaseReference,
    Environment,
    EnvironmentCollection,
    EnvironmentOrchestration,
    EnvironmentReference,
    EnvironmentReleaseReference,
    EnvironmentSkill,
    IntegrationReference,
    UpdateEnvironmentOrchestration,
    UpdateEnvironmentReleaseReference,
)


def _check_environment(env: Environment) -> None:
    assert env.name == "name"
    assert env.description == "description"
    assert env.assistant_id == "assistantId"
    assert env.environment_id == "environmentId"
    assert env.environment == "environment"
    assert env.release_reference == BaseEnvironmentReleaseReference(release="release")
    assert env.orchestration == BaseEnvironmentOrchestration(search_skill_fallback=False)
    assert env.session_timeout == 10
    assert env.integration_references == [
        IntegrationReference(integration_id="integrationId", type="type")
    ]
    assert env.skill_references == [
        EnvironmentSkill(
            skill_id="skillId",
            type="dialog",
            disabled=True,
            snapshot="snapshot",
            skill_reference="skillReference",
        )
    ]
    assert env.created == "2019-01-01T12:00:00.000Z"
    assert env.updated == "2019-01-01T12:00:00.000Z"
    assert env.extra is None


@pytest.mark.parametrize(
    "name", ["get_environment.json", "update_environment.json", "deploy_release.json"]
)
def test_environment_samples(name: str) -> None:
    data = load(name)
    env = Environment.from_dict(data)
    _check_environment(env)
    assert env.to_dict() == data


def test_list_environments_sample() -> None:
    data = load("list_environments.json")
    page = EnvironmentCollection.from_dict(data)
    assert page.environments is not None
    assert len(page.environments) == 1
    _check_environment(page.environments[0])
    assert page.pagination is not None
    assert page.pagination.total == 5
    assert page.to_dict() == data


def test_update_environment_request_parts() -> None:
    assert UpdateEnvironmentOrchestration(search_skill_fallback=True).to_dict() == {
        "search_skill_fallback": True
    }
    assert EnvironmentSkill(skill_id="abc", type="action", disabled=False).to_dict() == {
        "skill_id": "abc",
        "type": "action",
        "disabled": False,
    }
    assert EnvironmentSkill(skill_id="abc").to_dict() == {"skill_id": "abc"}
    assert UpdateEnvironmentReleaseReference(release="3").to_dict() == {"release": "3"}
    assert UpdateEnvironmentOrchestration().to_dict() == {}


def test_shared_and_legacy_names() -> None:
    # one EnvironmentReference across assistants and releases
    assert EnvironmentReference is assistants.EnvironmentReference
    # names from older ibm-watson releases
    assert EnvironmentOrchestration is BaseEnvironmentOrchestration
    assert EnvironmentReleaseReference is BaseEnvironmentReleaseReference


def test_missing_nulls_and_unknown_keys_are_tolerated() -> None:
    assert Environment.from_dict({}) == Environment()
    data: dict[str, Any] = {
        "environment_id": "e",
        "orchestration": None,
        "skill_references": [{"type": "search", "skill_reference": "search skill"}],
        "language": "en",
    }
    env = Environment.from_dict(data)
    assert env.orchestration is None
    assert env.skill_references == [EnvironmentSkill(type="search", skill_reference="search skill")]
    assert env.extra == {"language": "en"}
    assert_round_trip(data, env.to_dict())
