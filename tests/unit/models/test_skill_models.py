"""Skill models: search settings, export/import bodies, async status, round trips."""

import json
from typing import Any

import attrs
import pytest
from _samples import load
from hypothesis import given
from hypothesis import strategies as st

from watson_async.models import Model, skills
from watson_async.models._convert import JSON_NAME
from watson_async.models.releases import StatusError
from watson_async.models.skills import (
    AssistantState,
    SearchSettings,
    SearchSettingsClientSideSearch,
    SearchSettingsConversationalSearch,
    SearchSettingsConversationalSearchResponseLength,
    SearchSettingsConversationalSearchSearchConfidence,
    SearchSettingsDiscovery,
    SearchSettingsDiscoveryAuthentication,
    SearchSettingsElasticSearch,
    SearchSettingsMessages,
    SearchSettingsSchemaMapping,
    SearchSettingsServerSideSearch,
    SearchSkillWarning,
    Skill,
    SkillImport,
    SkillsAsyncRequestStatus,
    SkillsExport,
)


def classes() -> list[type[Any]]:
    return [getattr(skills, name) for name in skills.__all__]


@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_classes_follow_conventions(cls: type[Any]) -> None:
    assert issubclass(cls, Model)
    assert attrs.has(cls)
    assert cls.__doc__
    assert cls.__doc__.strip()
    assert cls.__module__ == skills.__name__


def test_every_field_is_optional() -> None:
    required = [
        (cls.__name__, a.name)
        for cls in classes()
        for a in attrs.fields(cls)
        if a.default is attrs.NOTHING
    ]
    assert required == []


# JSON keys of the ibm-watson 11.2.0 models (their from_dict/to_dict keys).
SDK_KEYS = {
    AssistantState: {"action_disabled", "dialog_disabled"},
    SearchSettings: {
        "discovery",
        "messages",
        "schema_mapping",
        "elastic_search",
        "conversational_search",
        "server_side_search",
        "client_side_search",
    },
    SearchSettingsClientSideSearch: {"filter", "metadata"},
    SearchSettingsConversationalSearch: {"enabled", "response_length", "search_confidence"},
    SearchSettingsConversationalSearchResponseLength: {"option"},
    SearchSettingsConversationalSearchSearchConfidence: {"threshold"},
    SearchSettingsDiscovery: {
        "instance_id",
        "project_id",
        "url",
        "max_primary_results",
        "max_total_results",
        "confidence_threshold",
        "highlight",
        "find_answers",
        "authentication",
    },
    SearchSettingsDiscoveryAuthentication: {"basic", "bearer"},
    SearchSettingsElasticSearch: {
        "url",
        "port",
        "username",
        "password",
        "index",
        "filter",
        "query_body",
        "managed_index",
        "apikey",
    },
    SearchSettingsMessages: {"success", "error", "no_result"},
    SearchSettingsSchemaMapping: {"url", "body", "title"},
    SearchSettingsServerSideSearch: {
        "url",
        "port",
        "username",
        "password",
        "filter",
        "metadata",
        "apikey",
        "no_auth",
        "auth_type",
    },
    SearchSkillWarning: {"code", "path", "message"},
    SkillImport: {
        "name",
        "description",
        "workspace",
        "skill_id",
        "status",
        "status_errors",
        "status_description",
        "dialog_settings",
        "assistant_id",
        "workspace_id",
        "environment_id",
        "valid",
        "next_snapshot_version",
        "search_settings",
        "warnings",
        "language",
        "type",
    },
    SkillsAsyncRequestStatus: {"assistant_id", "status", "status_description", "status_errors"},
    SkillsExport: {"assistant_skills", "assistant_state"},
}
SDK_KEYS[Skill] = SDK_KEYS[SkillImport]


def test_every_class_has_the_sdk_keys() -> None:
    assert set(SDK_KEYS) == set(classes())
    for cls, keys in SDK_KEYS.items():
        names = {a.metadata.get(JSON_NAME, a.name) for a in attrs.fields(cls) if a.name != "extra"}
        assert names == keys, cls.__name__


# --- samples ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["get_skill.json", "update_skill.json"])
def test_skill_samples_round_trip(name: str) -> None:
    data = load(name)
    skill = Skill.from_dict(data)
    assert skill.extra is None
    assert skill.to_dict() == data


def test_status_samples() -> None:
    for name in ("import_skills.json", "import_skills_status.json"):
        status = SkillsAsyncRequestStatus.from_dict(load(name))
        assert status == SkillsAsyncRequestStatus(
            assistant_id="assistantId",
            status="Available",
            status_description="statusDescription",
            status_errors=[StatusError(message="message")],
        )
        assert status.to_dict() == load(name)


def test_export_sample_is_an_import_body() -> None:
    data = load("export_skills.json")
    exported = SkillsExport.from_dict(data)
    assert exported.to_dict() == data
    assert exported.assistant_skills is not None
    skill = exported.assistant_skills[0]
    assert type(skill) is Skill
    # export -> import unchanged: a Skill is accepted where a SkillImport is expected
    assert isinstance(skill, SkillImport)
    imported: list[SkillImport] = list(exported.assistant_skills)
    assert [s.to_dict() for s in imported] == data["assistant_skills"]


def test_search_settings_built_by_hand_give_the_sample_json() -> None:
    """The request side: ``to_dict()`` is exactly the JSON ``update_skill`` sends."""
    settings = SearchSettings(
        discovery=SearchSettingsDiscovery(
            instance_id="instanceId",
            project_id="projectId",
            url="url",
            max_primary_results=10000,
            max_total_results=10000,
            confidence_threshold=0.0,
            highlight=False,
            find_answers=False,
            authentication=SearchSettingsDiscoveryAuthentication(basic="basic", bearer="bearer"),
        ),
        messages=SearchSettingsMessages(success="success", error="error", no_result="noResult"),
        schema_mapping=SearchSettingsSchemaMapping(url="url", body="body", title="title"),
        elastic_search=SearchSettingsElasticSearch(
            url="url",
            port="port",
            username="username",
            password="password",
            index="index",
            filter=["anyValue"],
            query_body={"anyKey": "anyValue"},
            managed_index="managedIndex",
            apikey="apikey",
        ),
        conversational_search=SearchSettingsConversationalSearch(
            enabled=True,
            response_length=SearchSettingsConversationalSearchResponseLength(option="moderate"),
            search_confidence=SearchSettingsConversationalSearchSearchConfidence(
                threshold="less_often"
            ),
        ),
        server_side_search=SearchSettingsServerSideSearch(
            url="url",
            port="port",
            username="username",
            password="password",
            filter="filter",
            metadata={"anyKey": "anyValue"},
            apikey="apikey",
            no_auth=True,
            auth_type="basic",
        ),
        client_side_search=SearchSettingsClientSideSearch(
            filter="filter", metadata={"anyKey": "anyValue"}
        ),
    )
    expected = load("get_skill.json")["search_settings"]
    assert settings.to_dict() == expected
    assert json.dumps(settings.to_dict(), sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert SearchSettings.from_dict(expected) == settings


# --- request side -------------------------------------------------------------------------


def test_skill_import_to_dict_is_the_request_json() -> None:
    skill = SkillImport(
        name="Actions",
        language="en",
        type="action",
        workspace={"actions": [], "variables": [{"variable": "v", "initial_value": None}]},
    )
    assert skill.to_dict() == {
        "name": "Actions",
        "workspace": {"actions": [], "variables": [{"variable": "v", "initial_value": None}]},
        "language": "en",
        "type": "action",
    }


def test_minimal_search_settings_for_update_skill() -> None:
    settings = SearchSettings(
        messages=SearchSettingsMessages(success="Here", error="Oops", no_result="Nothing"),
        schema_mapping=SearchSettingsSchemaMapping(url="link", body="text", title="name"),
        conversational_search=SearchSettingsConversationalSearch(enabled=False),
        client_side_search=SearchSettingsClientSideSearch(),
    )
    assert settings.to_dict() == {
        "messages": {"success": "Here", "error": "Oops", "no_result": "Nothing"},
        "schema_mapping": {"url": "link", "body": "text", "title": "name"},
        "conversational_search": {"enabled": False},
        "client_side_search": {},
    }


def test_empty_request_models_are_empty_objects() -> None:
    for cls in classes():
        assert cls().to_dict() == {}, cls.__name__
    assert AssistantState(action_disabled=False, dialog_disabled=True).to_dict() == {
        "action_disabled": False,
        "dialog_disabled": True,
    }


@given(
    enabled=st.one_of(st.none(), st.booleans()),
    option=st.one_of(st.none(), st.sampled_from(["concise", "moderate", "verbose"])),
    threshold=st.one_of(st.none(), st.text(max_size=12)),
    flags=st.lists(st.one_of(st.none(), st.booleans()), min_size=2, max_size=2),
)
def test_request_models_round_trip(
    enabled: bool | None, option: str | None, threshold: str | None, flags: list[bool | None]
) -> None:
    value = SkillImport(
        type="dialog",
        search_settings=SearchSettings(
            conversational_search=SearchSettingsConversationalSearch(
                enabled=enabled,
                response_length=SearchSettingsConversationalSearchResponseLength(option=option),
                search_confidence=SearchSettingsConversationalSearchSearchConfidence(
                    threshold=threshold
                ),
            )
        ),
    )
    data = json.loads(json.dumps(value.to_dict()))
    assert SkillImport.from_dict(data) == value
    state = AssistantState(action_disabled=flags[0], dialog_disabled=flags[1])
    assert AssistantState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


# --- lenient parsing ------------------------------------------------------------------------


def test_missing_required_sdk_fields_do_not_break_parsing() -> None:
    """The SDK requires language/type, messages/schema_mapping, url/index, ..."""
    skill = Skill.from_dict(
        {"skill_id": "s1", "search_settings": {"elastic_search": {"username": "u"}}}
    )
    assert skill.language is None
    assert skill.type is None
    assert skill.search_settings == SearchSettings(
        elastic_search=SearchSettingsElasticSearch(username="u")
    )
    assert SkillsExport.from_dict({}).assistant_skills is None


def test_nulls_unknown_keys_and_new_enum_values() -> None:
    data = {
        "skill_id": "s1",
        "status": "Brand New Status",
        "type": "generative",
        "status_errors": None,
        "search_settings": {
            "discovery": {"url": "u", "authentication": {"api_key": "k"}},
            "new_backend": {"url": "x"},
        },
        "workspace": {"intents": None, "dialog_nodes": [{"dialog_node": "n"}]},
        "new_top_level": 1,
    }
    skill = Skill.from_dict(data)
    assert skill.status == "Brand New Status"
    assert skill.type == "generative"
    assert skill.extra == {"new_top_level": 1}
    assert skill.search_settings is not None
    assert skill.search_settings.extra == {"new_backend": {"url": "x"}}
    assert skill.search_settings.discovery is not None
    assert skill.search_settings.discovery.authentication == (
        SearchSettingsDiscoveryAuthentication(extra={"api_key": "k"})
    )
    expected = dict(data)
    del expected["status_errors"]  # explicit null optional: dropped
    assert skill.to_dict() == expected  # free-form workspace keeps its nulls


def test_async_status_failed() -> None:
    status = SkillsAsyncRequestStatus.from_dict(
        {
            "assistant_id": "a",
            "status": "Failed",
            "status_description": "Import failed",
            "status_errors": [{"message": "bad workspace"}, {}],
        }
    )
    assert status.status_errors == [StatusError(message="bad workspace"), StatusError()]


def test_numbers_keep_their_json_type() -> None:
    discovery = SearchSettingsDiscovery.from_dict(
        {"max_primary_results": 5, "confidence_threshold": 1, "highlight": True}
    )
    assert discovery.max_primary_results == 5
    assert discovery.to_dict() == {
        "max_primary_results": 5,
        "confidence_threshold": 1,
        "highlight": True,
    }
    with pytest.raises(TypeError):
        SearchSettingsDiscovery.from_dict({"highlight": "false"})
