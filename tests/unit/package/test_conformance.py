"""Parse every shared response sample and check that it round-trips.

The samples live in ``tests/conformance/responses`` (copied from the project's shared
conformance set, provenance in ``tests/conformance/README.md``). Every file there is
mapped to the model that parses it; a new sample that is not fails
``test_every_sample_is_accounted``. A sample that parses but genuinely cannot round-trip
is listed in ``NO_ROUND_TRIP`` with the reason (its round trip is a strict xfail).
"""

import importlib
import json
from typing import Any

import pytest
from _samples import RESPONSES, assert_round_trip, load

from watson_async.models._convert import converter
from watson_async.models.assistants import AssistantCollection, AssistantData
from watson_async.models.common import EmptyResponse, ErrorResponse
from watson_async.models.context import MessageContext, StatelessMessageContext
from watson_async.models.logs import LogCollection
from watson_async.models.message import StatefulMessageResponse, StatelessMessageResponse
from watson_async.models.session import SessionResponse
from watson_async.models.skills import Skill, SkillsAsyncRequestStatus, SkillsExport
from watson_async.models.stream import (
    CompleteItem,
    MessageStreamCompleteItem,
    MessageStreamPartialItem,
    StatefulMessageStreamFinalResponse,
    StatelessMessageStreamFinalResponse,
)

SAMPLES = RESPONSES


# Models of other modules are named lazily ("module:attribute", a union alias or class)
# so this module imports even while those modules are being written. "list[...]" wraps
# the target for files holding a JSON array.
GENERIC = "watson_async.models.generic:RuntimeResponseGeneric"
TURN_EVENT = "watson_async.models.turn_events:MessageOutputDebugTurnEvent"
LOG_SOURCE = "watson_async.models.log_messages:LogMessageSource"
STREAM = "watson_async.models.stream:MessageStreamResponse"
STATELESS_STREAM = "watson_async.models.stream:StatelessMessageStreamResponse"
PROVIDERS = "watson_async.models.providers"
RELEASES = "watson_async.models.releases"
ENVIRONMENTS = "watson_async.models.environments"
OAUTH2_FLOWS = f"{PROVIDERS}:ProviderPrivateAuthenticationOAuth2FlowFlows"
OAUTH2_PASSWORD_FLOW = (
    f"{PROVIDERS}:"
    "ProviderPrivateAuthenticationOAuth2FlowFlowsProviderPrivateAuthenticationOAuth2Password"
)

MODELS: dict[str, Any] = {
    # message / message_stateless
    "message_stateful_full.json": StatefulMessageResponse,
    "message_stateful_spec_example.json": StatefulMessageResponse,
    "message_stateful_text_sdkmock.json": StatefulMessageResponse,
    "message_stateless_full.json": StatelessMessageResponse,
    "message_stateless_spec_example.json": StatelessMessageResponse,
    "message_stateless_text_sdkmock.json": StatelessMessageResponse,
    "legacy_mixed_generic_java_fixture.json": StatefulMessageResponse,
    **{
        f"message_docs_{name}.json": StatefulMessageResponse
        for name in (
            "audio",
            "iframe",
            "image",
            "option",
            "option_with_intents",
            "pause",
            "return_context",
            "search_results_key",
            "suggestion",
            "text",
            "text_and_image",
            "user_defined",
            "video",
        )
    },
    # context
    "context_stateful.json": MessageContext,
    "context_stateless.json": StatelessMessageContext,
    # sessions, assistants, errors
    "create_session.json": SessionResponse,
    "create_session_sdkmock.json": SessionResponse,
    "create_assistant.json": AssistantData,
    "list_assistants.json": AssistantCollection,
    "error_400_with_errors.json": ErrorResponse,
    "error_404_invalid_session.json": ErrorResponse,
    "error_500_create_session.json": ErrorResponse,
    "empty_response.json": EmptyResponse,
    # output.generic[] items, turn events, log message sources
    **{
        f"generic_{name}.json": GENERIC
        for name in (
            "audio",
            "channel_transfer",
            "connect_to_agent",
            "conversational_search",
            "conversational_search_sdk",
            "date",
            "dtmf",
            "end_session",
            "iframe",
            "image",
            "option",
            "pause",
            "search",
            "suggestion",
            "text",
            "button_custom_event",
            "button_post_back",
            "button_show_panel",
            "button_url",
            "card",
            "carousel",
            "grid",
            "speech_to_text",
            "start_activities",
            "stop_activities",
            "table_synthesized",
            "text_to_speech",
            "user_defined",
            "video",
        )
    },
    "search_result_highlight_extra_keys.json": "watson_async.models.generic:SearchResultHighlight",
    **{
        f"turn_event_{name}.json": TURN_EVENT
        for name in (
            "action_finished",
            "action_visited",
            "callout",
            "handler_visited",
            "node_visited",
            "search",
            "step_answered",
            "step_visited",
        )
    },
    "synth_turn_events_newer.json": f"list[{TURN_EVENT}]",
    **{
        f"log_message_source_{name}.json": LOG_SOURCE
        for name in ("action", "dialog_node", "handler", "step")
    },
    # skills
    "get_skill.json": Skill,
    "update_skill.json": Skill,
    "export_skills.json": SkillsExport,
    "import_skills.json": SkillsAsyncRequestStatus,
    "import_skills_status.json": SkillsAsyncRequestStatus,
    # logs
    "list_logs.json": LogCollection,
    # message_stream / message_stream_stateless frames (one SSE data line each)
    "synth_stream_partial_item.json": STREAM,
    "synth_stream_complete_item.json": STREAM,
    "synth_stream_final_response_stateful.json": STREAM,
    "synth_stream_final_response_stateless.json": STATELESS_STREAM,
    # bulk classify
    "bulk_classify.json": "watson_async.models.bulk_classify:BulkClassifyResponse",
    "bulk_classify_spec_example.json": "watson_async.models.bulk_classify:BulkClassifyResponse",
    # providers
    "create_provider.json": f"{PROVIDERS}:ProviderResponse",
    "update_provider.json": f"{PROVIDERS}:ProviderResponse",
    "list_providers.json": f"{PROVIDERS}:ProviderCollection",
    # a ``private.authentication.flows`` value: a oneOf chosen by the keys present
    "provider_private_oauth2_password.json": OAUTH2_FLOWS,
    # releases
    "create_release.json": f"{RELEASES}:Release",
    "get_release.json": f"{RELEASES}:Release",
    "list_releases.json": f"{RELEASES}:ReleaseCollection",
    "create_release_export.json": f"{RELEASES}:CreateReleaseExportWithStatusErrors",
    "download_release_export.json": f"{RELEASES}:CreateReleaseExportWithStatusErrors",
    "create_release_import.json": f"{RELEASES}:CreateAssistantReleaseImportResponse",
    "get_release_import_status.json": f"{RELEASES}:MonitorAssistantReleaseImportArtifactResponse",
    # environments
    "deploy_release.json": f"{ENVIRONMENTS}:Environment",
    "get_environment.json": f"{ENVIRONMENTS}:Environment",
    "update_environment.json": f"{ENVIRONMENTS}:Environment",
    "list_environments.json": f"{ENVIRONMENTS}:EnvironmentCollection",
}

# Samples that parse but genuinely cannot round-trip: file -> reason. Their round trip
# is a strict xfail, so one that starts round-tripping must be taken off this list.
NO_ROUND_TRIP: dict[str, str] = {}

# Values the converter deliberately coerces (lenient parsing of old or sloppy
# payloads): file -> {JSON path: value after the round trip}.
COERCED: dict[str, dict[tuple[str, ...], Any]] = {
    # 2019 fixture: turn_count sent as the string "10".
    "legacy_mixed_generic_java_fixture.json": {
        ("context", "global", "system", "turn_count"): 10,
    },
}


def resolve(target: Any) -> Any:
    """The type to structure with: a class, or a lazily imported "module:name"."""
    if not isinstance(target, str):
        return target
    if target.startswith("list[") and target.endswith("]"):
        return list[resolve(target[5:-1])]
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def parse(name: str) -> Any:
    return converter.structure(load(name), resolve(MODELS[name]))


def dump(obj: Any) -> Any:
    return converter.unstructure(obj)


def with_coercions(name: str, data: Any) -> Any:
    for keys, value in COERCED.get(name, {}).items():
        node = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return data


# --- the walk -------------------------------------------------------------------------


def test_every_sample_is_accounted() -> None:
    files = {p.name for p in SAMPLES.iterdir() if p.is_file()}
    unaccounted = files - MODELS.keys()
    assert not unaccounted, f"samples not mapped to a model: {sorted(unaccounted)}"
    missing = MODELS.keys() - files
    assert not missing, f"mapped samples that no longer exist: {sorted(missing)}"
    assert NO_ROUND_TRIP.keys() <= MODELS.keys()
    assert all(reason.strip() for reason in NO_ROUND_TRIP.values())


def _round_trip_cases() -> list[Any]:
    return [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason=NO_ROUND_TRIP[name])]
            if name in NO_ROUND_TRIP
            else [],
            id=name,
        )
        for name in sorted(MODELS)
    ]


@pytest.mark.parametrize("name", sorted(MODELS), ids=str)
def test_sample_parses(name: str) -> None:
    """Every sample parses, including those that cannot round-trip."""
    assert parse(name) is not None


@pytest.mark.parametrize("name", _round_trip_cases())
def test_sample_round_trips(name: str) -> None:
    obj = parse(name)
    produced = dump(obj)
    json.dumps(produced)  # plain JSON types only
    assert_round_trip(with_coercions(name, load(name)), produced)


@pytest.mark.parametrize(
    "name", sorted(n for n in MODELS if not isinstance(MODELS[n], str) and n not in NO_ROUND_TRIP)
)
def test_model_from_dict_to_dict(name: str) -> None:
    """The public ``from_dict`` / ``to_dict`` agree with the converter."""
    cls = MODELS[name]
    obj = cls.from_dict(load(name))
    assert isinstance(obj, cls)
    assert obj.to_dict() == dump(parse(name))


def test_comparison_helper_catches_differences() -> None:
    assert_round_trip({"a": None, "b": [1]}, {"b": [1.0]})
    for original, produced in [
        ({"a": 1}, {}),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": True}, {"a": 1}),
        ({"a": [1, 2]}, {"a": [1]}),
        ({"a": "10"}, {"a": 10}),
    ]:
        with pytest.raises(AssertionError):
            assert_round_trip(original, produced)


# --- spot checks ----------------------------------------------------------------------


def fallback_class(target: str, tag: str) -> type:
    """The catch-all class a tagged union uses for tag values it does not know."""
    return type(converter.structure({tag: "no_such_tag_value"}, resolve(target)))


def fallback_generic_class() -> type:
    return fallback_class(GENERIC, "response_type")


def test_stateful_full_values() -> None:
    reply = parse("message_stateful_full.json")
    assert isinstance(reply, StatefulMessageResponse)
    first = reply.output.generic[0]
    # SDK tag "conversation_search" and web-chat tag "conversational_search" are one class.
    assert first.response_type == "conversation_search"
    assert type(first) is not fallback_generic_class()
    assert type(first) is type(parse("generic_conversational_search.json"))
    assert reply.user_id == "userId"
    assert reply.output.entities[0].interpretation.granularity == "day"
    assert reply.output.entities[0].role.type == "date_from"
    assert reply.output.debug.branch_exited_reason == "completed"
    assert len(reply.output.debug.turn_events) == 1
    assert reply.output.llm_metadata[0].model_id == "modelId"
    assert reply.context.global_.system.turn_count == 9
    assert reply.context.skills.main_skill.system.state == "state"
    assert reply.context.skills.actions_skill.skill_variables == {"anyKey": "anyValue"}
    assert reply.masked_input.analytics.page_url == "pageUrl"
    assert reply.masked_input.options.spelling.auto_correct is False


def test_stateless_full_values() -> None:
    reply = parse("message_stateless_full.json")
    assert isinstance(reply, StatelessMessageResponse)
    actions = reply.context.skills.actions_skill
    assert actions.private_action_variables == {"anyKey": "anyValue"}
    assert actions.private_skill_variables == {"anyKey": "anyValue"}
    assert reply.context.global_.session_id == "sessionId"


def test_context_values() -> None:
    context = parse("context_stateful.json")
    assert context.skills.main_skill.user_defined == {"anyKey": "anyValue"}
    assert context.skills.main_skill.system.state == "testString"
    assert context.skills.main_skill.system.extra == {"foo": "testString"}
    assert context.skills.actions_skill.system.extra == {"foo": "testString"}
    assert context.global_.system.skip_user_input is True
    assert context.skills.extra is None
    stateless = parse("context_stateless.json")
    assert stateless.skills.actions_skill.private_skill_variables == {"anyKey": "anyValue"}


def test_docs_samples() -> None:
    docs = parse("message_docs_return_context.json")
    assert docs.context.skills.main_skill.user_defined == {"account_number": "123456"}
    assert docs.output.entities == []
    assert docs.output.intents[0].confidence == 1.0
    # "output.text" is a pre-v2 key: kept as an unknown key, not dropped.
    text_and_image = parse("message_docs_text_and_image.json")
    assert text_and_image.output.extra == {"text": ["OK, here's a picture of a dog."]}
    assert len(text_and_image.output.generic) == 2


def test_legacy_fixture_is_coerced() -> None:
    reply = parse("legacy_mixed_generic_java_fixture.json")
    assert reply.context.global_.system.turn_count == 10
    assert reply.context.skills.main_skill.extra == {"skill_key": "skill_var"}
    assert reply.user_id is None
    assert reply.output.entities[0].extra == {"metadata": {"key": "value"}}


def test_session_assistants_errors() -> None:
    session = parse("create_session.json")
    assert session.session_id == "af11c111-860d-4071-b6d2-550bf20c016e"
    collection = parse("list_assistants.json")
    assert collection.pagination.refresh_cursor == "refreshCursor"
    assert collection.assistants[0].assistant_environments[0].environment == "draft"
    assert parse("create_assistant.json").assistant_skills[0].type == "dialog"
    error = parse("error_400_with_errors.json")
    assert (error.code, error.errors[0].path) == (400, ".input")
    assert parse("error_404_invalid_session.json").errors is None
    assert parse("empty_response.json").to_dict() == {}


TAGGED = {GENERIC: "response_type", TURN_EVENT: "event", LOG_SOURCE: "type"}


@pytest.mark.parametrize(
    "name", sorted(n for n in MODELS if MODELS[n] in TAGGED or n.startswith("synth_turn"))
)
def test_known_tags_get_their_own_class(name: str) -> None:
    """Every tag value modelled gets a real class (no sample falls back any more)."""
    target = MODELS[name].removeprefix("list[").removesuffix("]")
    fallback = fallback_class(target, TAGGED[target])
    parsed = parse(name)
    items = parsed if isinstance(parsed, list) else [parsed]
    for item in items:
        assert type(item) is not fallback, f"{item!r} fell back to {fallback.__name__}"


def test_skill_samples() -> None:
    skill = parse("get_skill.json")
    assert isinstance(skill, Skill)
    assert (skill.type, skill.status, skill.valid) == ("action", "Available", False)
    assert skill.status_errors[0].message == "message"
    assert skill.workspace == {"anyKey": "anyValue"}
    settings = skill.search_settings
    assert settings.discovery.authentication.bearer == "bearer"
    assert settings.discovery.max_total_results == 10000
    assert settings.elastic_search.filter == ["anyValue"]
    assert settings.conversational_search.response_length.option == "moderate"
    assert settings.conversational_search.search_confidence.threshold == "less_often"
    assert settings.server_side_search.auth_type == "basic"
    assert settings.client_side_search.metadata == {"anyKey": "anyValue"}
    assert skill.warnings[0].path == "path"
    exported = parse("export_skills.json")
    assert exported.assistant_skills == [skill]
    assert exported.assistant_state.action_disabled is True
    assert parse("import_skills_status.json").status_errors[0].message == "message"


def test_log_samples() -> None:
    collection = parse("list_logs.json")
    assert collection.pagination.next_cursor == "nextCursor"
    log = collection.logs[0]
    assert (log.log_id, log.customer_id) == ("logId", "customerId")
    assert log.request.input.analytics.page_url == "pageUrl"
    assert log.request.input.options.return_context is False
    assert log.request.context.skills.actions_skill.skill_variables == {"anyKey": "anyValue"}
    first = log.response.output.generic[0]
    assert type(first) is type(parse("generic_conversational_search.json"))
    assert log.response.output.debug.turn_events[0].event == "action_visited"
    assert log.response.context.global_.system.turn_count == 9


STREAM_FRAMES = {
    "synth_stream_partial_item.json": (STREAM, MessageStreamPartialItem),
    "synth_stream_complete_item.json": (STREAM, MessageStreamCompleteItem),
    "synth_stream_final_response_stateful.json": (STREAM, StatefulMessageStreamFinalResponse),
    "synth_stream_final_response_stateless.json": (
        STATELESS_STREAM,
        StatelessMessageStreamFinalResponse,
    ),
}


def test_every_stream_sample_is_checked() -> None:
    assert {n for n in MODELS if n.startswith("synth_stream_")} == STREAM_FRAMES.keys()


@pytest.mark.parametrize(("name", "expected"), sorted(STREAM_FRAMES.items()))
def test_stream_frames_get_their_own_class(name: str, expected: tuple[str, type]) -> None:
    target, cls = expected
    assert MODELS[name] == target
    assert type(parse(name)) is cls


def test_stream_sample_values() -> None:
    partial = parse("synth_stream_partial_item.json").partial_item
    assert (partial.response_type, partial.text) == ("text", "Sure, here are")
    assert partial.streaming_metadata.id == 1
    complete = parse("synth_stream_complete_item.json").complete_item
    assert isinstance(complete, CompleteItem)
    assert complete.text.startswith("Sure, here are the steps")
    assert complete.streaming_metadata.id == 1
    assert type(complete.as_generic()) is type(parse("generic_text.json"))
    final = parse("synth_stream_final_response_stateful.json").final_response
    assert final.output.streaming_metadata.streaming_metadata.id == 1
    # generic items of the final response carry their stream id: kept in ``extra``
    assert final.output.generic[0].extra == {"streaming_metadata": {"id": 1}}
    assert final.user_id == "user-123"
    stateless = parse("synth_stream_final_response_stateless.json").final_response
    assert stateless.output.streaming_metadata.streaming_metadata.id == 1
    assert stateless.context.skills.actions_skill.system.state == "opaque-state"


def test_provider_oauth2_password_flow() -> None:
    flow = parse("provider_private_oauth2_password.json")
    assert type(flow) is resolve(OAUTH2_PASSWORD_FLOW)
