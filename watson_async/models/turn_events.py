"""Items of ``output.debug.turn_events[]`` (sent when ``input.options.debug`` is true).

The events form a union keyed by ``event`` (:data:`MessageOutputDebugTurnEvent`); an
unknown ``event`` becomes :class:`TurnEventUnknown` with its keys in ``extra``. The
``generative_ai`` object of ``generative_ai_called`` is itself a union keyed by ``task``
(:data:`GenerativeAITask`).
"""

from typing import Any

import attrs

from watson_async.models._convert import register_tagged_union

from ._base import Model, json_field
from .generic import SearchResults

__all__ = [
    "ClientAction",
    "GenerativeAITask",
    "GenerativeAITaskConfidenceScores",
    "GenerativeAITaskContentGroundedAnswering",
    "GenerativeAITaskGeneralPurposeAnswering",
    "GenerativeAITaskUnknown",
    "MessageOutputDebugTurnEvent",
    "TurnEventActionFinished",
    "TurnEventActionRoutingDenied",
    "TurnEventActionSource",
    "TurnEventActionVisited",
    "TurnEventCallout",
    "TurnEventCalloutCallout",
    "TurnEventCalloutCalloutRequest",
    "TurnEventCalloutCalloutResponse",
    "TurnEventCalloutError",
    "TurnEventClientActions",
    "TurnEventConversationalSearchEnd",
    "TurnEventGenerativeAICalled",
    "TurnEventGenerativeAICalledCallout",
    "TurnEventGenerativeAICalledCalloutLlm",
    "TurnEventGenerativeAICalledCalloutLlmResponse",
    "TurnEventGenerativeAICalledCalloutRequest",
    "TurnEventGenerativeAICalledCalloutResponse",
    "TurnEventGenerativeAICalledCalloutSearch",
    "TurnEventGenerativeAICalledMetrics",
    "TurnEventHandlerVisited",
    "TurnEventManualRoute",
    "TurnEventNodeSource",
    "TurnEventNodeVisited",
    "TurnEventSearch",
    "TurnEventSearchError",
    "TurnEventStepAnswered",
    "TurnEventStepSource",
    "TurnEventStepVisited",
    "TurnEventSuggestionIntentsDenied",
    "TurnEventTopicSwitchDenied",
    "TurnEventUnknown",
]


# --------------------------------------------------------------------------- sources


@attrs.define(kw_only=True)
class TurnEventActionSource(Model):
    """The action an event happened in (``type: action``)."""

    type: str | None = None
    action: str | None = None
    action_title: str | None = None
    condition: str | None = None


@attrs.define(kw_only=True)
class TurnEventStepSource(Model):
    """The step of an action an event happened in (``type: step``)."""

    type: str | None = None
    action: str | None = None
    action_title: str | None = None
    step: str | None = None
    is_ai_guided: bool | None = None
    is_skill_based: bool | None = None


@attrs.define(kw_only=True)
class TurnEventNodeSource(Model):
    """The dialog node an event happened in (``type: dialog_node``)."""

    type: str | None = None
    dialog_node: str | None = None
    title: str | None = None
    condition: str | None = None


# --------------------------------------------------------------------------- callout / search


@attrs.define(kw_only=True)
class TurnEventCalloutCalloutRequest(Model):
    """The HTTP request of a callout to an extension."""

    method: str | None = None
    url: str | None = None
    path: str | None = None
    query_parameters: str | None = None
    headers_: dict[str, Any] | None = json_field("headers")
    body: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class TurnEventCalloutCalloutResponse(Model):
    """The HTTP response of a callout to an extension."""

    body: str | None = None
    status_code: int | None = None
    last_event: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class TurnEventCalloutCallout(Model):
    """A callout to an extension (``type: integration_interaction``)."""

    type: str | None = None
    internal: dict[str, Any] | None = None
    result_variable: str | None = None
    request: TurnEventCalloutCalloutRequest | None = None
    response: TurnEventCalloutCalloutResponse | None = None


@attrs.define(kw_only=True)
class TurnEventCalloutError(Model):
    """Why a callout failed."""

    message: str | None = None


@attrs.define(kw_only=True)
class TurnEventSearchError(Model):
    """Why a search failed."""

    message: str | None = None


@attrs.define(kw_only=True)
class ClientAction(Model):
    """An action the client is asked to run (``client_actions`` event)."""

    name: str | None = None
    result_variable: str | None = None
    type: str | None = None
    skill: str | None = None
    parameters: dict[str, Any] | None = None


# --------------------------------------------------------------------------- generative AI


@attrs.define(kw_only=True)
class GenerativeAITaskConfidenceScores(Model):
    """Confidence scores of a generated answer and the thresholds they were held to."""

    pre_gen: float | None = None
    pre_gen_threshold: float | None = None
    post_gen: float | None = None
    post_gen_threshold: float | None = None


@attrs.define(kw_only=True)
class GenerativeAITaskContentGroundedAnswering(Model):
    """An answer generated from search results (``task: content_grounded_answering``)."""

    task: str
    is_idk_response: bool | None = None
    is_hap_detected: bool | None = None
    confidence_scores: GenerativeAITaskConfidenceScores | None = None
    original_response: str | None = None
    inferred_query: str | None = None


@attrs.define(kw_only=True)
class GenerativeAITaskGeneralPurposeAnswering(Model):
    """An answer generated without search (``task: general_purpose_answering``)."""

    task: str
    is_idk_response: bool | None = None
    is_hap_detected: bool | None = None


@attrs.define(kw_only=True)
class GenerativeAITaskUnknown(Model):
    """A generative AI ``task`` this version does not model; its keys are in ``extra``."""

    task: str


GenerativeAITask = (
    GenerativeAITaskContentGroundedAnswering
    | GenerativeAITaskGeneralPurposeAnswering
    | GenerativeAITaskUnknown
)
"""The ``generative_ai`` object of a ``generative_ai_called`` event, chosen by ``task``."""

register_tagged_union(
    GenerativeAITask,
    "task",
    {
        "content_grounded_answering": GenerativeAITaskContentGroundedAnswering,
        "general_purpose_answering": GenerativeAITaskGeneralPurposeAnswering,
    },
    GenerativeAITaskUnknown,
)


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledCalloutRequest(Model):
    """The HTTP request sent to the search engine."""

    method: str | None = None
    url: str | None = None
    port: str | None = None
    path: str | None = None
    query_parameters: str | None = None
    headers_: dict[str, Any] | None = json_field("headers")
    body: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledCalloutResponse(Model):
    """The HTTP response of the search engine."""

    body: str | None = None
    status_code: int | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledCalloutSearch(Model):
    """The search made for a generated answer."""

    engine: str | None = None
    index: str | None = None
    query: str | None = None
    request: TurnEventGenerativeAICalledCalloutRequest | None = None
    response: TurnEventGenerativeAICalledCalloutResponse | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledCalloutLlmResponse(Model):
    """What the large language model answered."""

    text: str | None = None
    response_type: str | None = None
    is_idk_response: bool | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledCalloutLlm(Model):
    """The call to the large language model."""

    type: str | None = None
    model_id: str | None = None
    model_class_id: str | None = None
    generated_token_count: int | None = None
    input_token_count: int | None = None
    success: bool | None = None
    response: TurnEventGenerativeAICalledCalloutLlmResponse | None = None
    request: list[SearchResults] | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledCallout(Model):
    """The search and model calls made for a generated answer."""

    search_called: bool | None = None
    llm_called: bool | None = None
    search: TurnEventGenerativeAICalledCalloutSearch | None = None
    llm: TurnEventGenerativeAICalledCalloutLlm | None = None
    idk_reason_code: str | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalledMetrics(Model):
    """How long the search and the answer generation took, in milliseconds."""

    search_time_ms: float | None = None
    answer_generation_time_ms: float | None = None
    total_time_ms: float | None = None


# --------------------------------------------------------------------------- the events


@attrs.define(kw_only=True)
class _TurnEvent(Model):
    """What every turn event has: its ``event`` name, the union's tag."""

    event: str


@attrs.define(kw_only=True)
class _ActionTurnEvent(_TurnEvent):
    """An event inside an action: its ``source`` and the ``condition_type`` that led there."""

    source: TurnEventActionSource | None = None
    condition_type: str | None = None


@attrs.define(kw_only=True)
class _ActionRunTurnEvent(_ActionTurnEvent):
    """An event of an action that has started: when it did (``action_start_time``)."""

    action_start_time: str | None = None


@attrs.define(kw_only=True)
class TurnEventNodeVisited(_TurnEvent):
    """A dialog node was visited (``event: node_visited``)."""

    source: TurnEventNodeSource | None = None
    reason: str | None = None


@attrs.define(kw_only=True)
class TurnEventHandlerVisited(_TurnEvent):
    """A handler of an action was visited (``event: handler_visited``)."""

    source: TurnEventActionSource | None = None
    action_start_time: str | None = None


@attrs.define(kw_only=True)
class TurnEventCallout(_TurnEvent):
    """A callout to an extension was made (``event: callout``)."""

    source: TurnEventActionSource | None = None
    callout: TurnEventCalloutCallout | None = None
    error: TurnEventCalloutError | None = None


@attrs.define(kw_only=True)
class TurnEventSearch(_TurnEvent):
    """A search skill was called (``event: search``)."""

    source: TurnEventActionSource | None = None
    error: TurnEventSearchError | None = None


@attrs.define(kw_only=True)
class TurnEventActionVisited(_ActionRunTurnEvent):
    """An action was started or resumed (``event: action_visited``)."""

    reason: str | None = None
    result_variable: str | None = None


@attrs.define(kw_only=True)
class TurnEventActionFinished(_ActionRunTurnEvent):
    """An action ended (``event: action_finished``)."""

    reason: str | None = None
    action_variables: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class TurnEventStepVisited(_ActionRunTurnEvent):
    """A step of an action was visited (``event: step_visited``)."""

    has_question: bool | None = None


@attrs.define(kw_only=True)
class TurnEventStepAnswered(_ActionRunTurnEvent):
    """A step's question was answered (``event: step_answered``)."""

    prompted: bool | None = None


@attrs.define(kw_only=True)
class TurnEventConversationalSearchEnd(_ActionTurnEvent):
    """Conversational search finished (``event: conversational_search_end``)."""


@attrs.define(kw_only=True)
class TurnEventManualRoute(_TurnEvent):
    """A step routed the conversation by hand (``event: manual_route``)."""

    source: TurnEventStepSource | None = None
    condition_type: str | None = None
    action_start_time: str | None = None
    route_name: str | None = None


@attrs.define(kw_only=True)
class TurnEventTopicSwitchDenied(_ActionTurnEvent):
    """A switch to another action was refused (``event: topic_switch_denied``)."""

    reason: str | None = None


@attrs.define(kw_only=True)
class TurnEventActionRoutingDenied(_ActionTurnEvent):
    """Routing to an action was refused (``event: action_routing_denied``)."""

    reason: str | None = None


@attrs.define(kw_only=True)
class TurnEventSuggestionIntentsDenied(_TurnEvent):
    """Intents left out of suggestions (``event: suggestion_intents_denied``).

    Each item has the ``RuntimeIntent`` shape (``intent``, ``confidence``, ``skill``).
    """

    intents_denied: list[dict[str, Any]] | None = None


@attrs.define(kw_only=True)
class TurnEventClientActions(_TurnEvent):
    """A step asks the client to run actions (``event: client_actions``)."""

    source: TurnEventStepSource | None = None
    client_actions: list[ClientAction] | None = None


@attrs.define(kw_only=True)
class TurnEventGenerativeAICalled(_TurnEvent):
    """A generative AI answer was requested (``event: generative_ai_called``)."""

    source: dict[str, Any] | None = None
    generative_ai_start_time: str | None = None
    generative_ai: GenerativeAITask | None = None
    callout: TurnEventGenerativeAICalledCallout | None = None
    metrics: TurnEventGenerativeAICalledMetrics | None = None


@attrs.define(kw_only=True)
class TurnEventUnknown(_TurnEvent):
    """An ``event`` this version does not model; its keys are in ``extra``."""


MessageOutputDebugTurnEvent = (
    TurnEventNodeVisited
    | TurnEventHandlerVisited
    | TurnEventCallout
    | TurnEventSearch
    | TurnEventActionVisited
    | TurnEventActionFinished
    | TurnEventStepVisited
    | TurnEventStepAnswered
    | TurnEventConversationalSearchEnd
    | TurnEventManualRoute
    | TurnEventTopicSwitchDenied
    | TurnEventActionRoutingDenied
    | TurnEventSuggestionIntentsDenied
    | TurnEventClientActions
    | TurnEventGenerativeAICalled
    | TurnEventUnknown
)
"""An ``output.debug.turn_events[]`` item, chosen by its ``event``."""

register_tagged_union(
    MessageOutputDebugTurnEvent,
    "event",
    {
        "node_visited": TurnEventNodeVisited,
        "handler_visited": TurnEventHandlerVisited,
        "callout": TurnEventCallout,
        "search": TurnEventSearch,
        "action_visited": TurnEventActionVisited,
        "action_finished": TurnEventActionFinished,
        "step_visited": TurnEventStepVisited,
        "step_answered": TurnEventStepAnswered,
        "conversational_search_end": TurnEventConversationalSearchEnd,
        "manual_route": TurnEventManualRoute,
        "topic_switch_denied": TurnEventTopicSwitchDenied,
        "action_routing_denied": TurnEventActionRoutingDenied,
        "suggestion_intents_denied": TurnEventSuggestionIntentsDenied,
        "client_actions": TurnEventClientActions,
        "generative_ai_called": TurnEventGenerativeAICalled,
    },
    TurnEventUnknown,
)
