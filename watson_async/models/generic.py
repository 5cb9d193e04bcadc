"""Items of ``output.generic[]``: the responses the assistant sends back, one per item.

The items form a union keyed by ``response_type`` (:data:`RuntimeResponseGeneric`).
Every ``response_type`` the SDK models has its own class; anything else (``inline_error``,
a channel's own types, ...) becomes :class:`GenericUnknown`, whose
keys all land in ``extra`` so the item round-trips intact. The web chat and phone types
no SDK models (``button``, ``card``, ``carousel``, ``grid``, ``table``, ``speech_to_text``,
``text_to_speech``, ``start_activities``, ``stop_activities``) have classes too; one
without its required fields is kept as :class:`GenericUnknown`.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from watson_async.models._convert import register_tagged_union

from ._base import Model
from ._choice import Pickable

__all__ = [
    "AgentAvailabilityMessage",
    "ButtonPanel",
    "ChannelTransferInfo",
    "ChannelTransferTarget",
    "ChannelTransferTargetChat",
    "DialogNodeOutputConnectToAgentTransferInfo",
    "DialogNodeOutputOptionsElement",
    "DialogNodeOutputOptionsElementValue",
    "DialogSuggestion",
    "DialogSuggestionValue",
    "DtmfCommandInfo",
    "GenericAudio",
    "GenericButton",
    "GenericCard",
    "GenericCarousel",
    "GenericChannelTransfer",
    "GenericConnectToAgent",
    "GenericConversationalSearch",
    "GenericDate",
    "GenericDtmf",
    "GenericEndSession",
    "GenericGrid",
    "GenericIframe",
    "GenericImage",
    "GenericOption",
    "GenericPause",
    "GenericSearch",
    "GenericSpeechToText",
    "GenericStartActivities",
    "GenericStopActivities",
    "GenericSuggestion",
    "GenericTable",
    "GenericText",
    "GenericTextToSpeech",
    "GenericUnknown",
    "GenericUserDefined",
    "GenericVideo",
    "GridCell",
    "GridColumn",
    "GridRow",
    "PhoneActivity",
    "PhoneCommandInfo",
    "ResponseGenericChannel",
    "ResponseGenericCitation",
    "ResponseGenericCitationRangesItem",
    "ResponseGenericConfidenceScores",
    "RuntimeResponseGeneric",
    "SearchResult",
    "SearchResultAnswer",
    "SearchResultHighlight",
    "SearchResultMetadata",
    "SearchResults",
    "SearchResultsResultMetadata",
    "TableRow",
    "iter_generic",
]


# --------------------------------------------------------------------------- shared shapes


@attrs.define(kw_only=True)
class ResponseGenericChannel(Model):
    """A channel a response is meant for (``channels[]``)."""

    channel: str | None = None


@attrs.define(kw_only=True)
class DialogNodeOutputOptionsElementValue(Model):
    """What is sent back when the user picks an option (``input`` is a ``MessageInput``)."""

    input: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class DialogNodeOutputOptionsElement(Pickable, Model):
    """One choice of an ``option`` response (:meth:`picked_input` is what to send back)."""

    label: str | None = None
    value: DialogNodeOutputOptionsElementValue | None = None


@attrs.define(kw_only=True)
class DialogSuggestionValue(DialogNodeOutputOptionsElementValue):
    """What is sent back when the user picks a suggestion (``input`` is a ``MessageInput``)."""


@attrs.define(kw_only=True)
class DialogSuggestion(Pickable, Model):
    """One suggestion of a ``suggestion`` (disambiguation) response."""

    label: str | None = None
    value: DialogSuggestionValue | None = None
    output: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class ChannelTransferTargetChat(Model):
    """Where a web chat user is transferred to."""

    url: str | None = None


@attrs.define(kw_only=True)
class ChannelTransferTarget(Model):
    """The target of a channel transfer, per channel."""

    chat: ChannelTransferTargetChat | None = None


@attrs.define(kw_only=True)
class ChannelTransferInfo(Model):
    """Information used by an integration to transfer the conversation to another channel."""

    target: ChannelTransferTarget | None = None


@attrs.define(kw_only=True)
class AgentAvailabilityMessage(Model):
    """A message shown when a human agent is (or is not) available."""

    message: str | None = None


@attrs.define(kw_only=True)
class DialogNodeOutputConnectToAgentTransferInfo(Model):
    """Routing information for a transfer to a human agent (free-form per integration)."""

    target: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class DtmfCommandInfo(Model):
    """A DTMF command for the phone channel (``collect``, ``send``, barge-in on/off)."""

    type: str | None = None
    parameters: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class SearchResultMetadata(Model):
    """Confidence and score of a search skill result."""

    confidence: float | None = None
    score: float | None = None


@attrs.define(kw_only=True)
class SearchResultHighlight(Model):
    """Highlighted passages of a search result; other fields arrive as extra keys."""

    body: list[str] | None = None
    title: list[str] | None = None
    url: list[str] | None = None


@attrs.define(kw_only=True)
class SearchResultAnswer(Model):
    """A short answer extracted from a search result."""

    text: str | None = None
    confidence: float | None = None


@attrs.define(kw_only=True)
class SearchResult(Model):
    """One result of a search skill (``search`` response)."""

    id: str | None = None
    result_metadata: SearchResultMetadata | None = None
    body: str | None = None
    title: str | None = None
    url: str | None = None
    highlight: SearchResultHighlight | None = None
    answers: list[SearchResultAnswer] | None = None


@attrs.define(kw_only=True)
class SearchResultsResultMetadata(Model):
    """Where a conversational search result came from and its score."""

    document_retrieval_source: str | None = None
    score: int | None = None


@attrs.define(kw_only=True)
class SearchResults(Model):
    """A search result a conversational search answer was generated from."""

    result_metadata: SearchResultsResultMetadata | None = None
    id: str | None = None
    title: str | None = None
    body: str | None = None


@attrs.define(kw_only=True)
class ResponseGenericCitationRangesItem(Model):
    """A character range of the answer text that a citation supports."""

    start: int | None = None
    end: int | None = None


@attrs.define(kw_only=True)
class ResponseGenericCitation(Model):
    """A citation of a conversational search answer."""

    title: str | None = None
    text: str | None = None
    body: str | None = None
    search_result_index: int | None = None
    ranges: list[ResponseGenericCitationRangesItem] | None = None


@attrs.define(kw_only=True)
class ResponseGenericConfidenceScores(Model):
    """Confidence scores of a conversational search answer."""

    threshold: float | None = None
    pre_gen: float | None = None
    post_gen: float | None = None
    extractiveness: float | None = None


# --------------------------------------------------------------------------- the items


@attrs.define(kw_only=True)
class _Generic(Model):
    """What every ``output.generic[]`` item has: its ``response_type``, the union's tag."""

    response_type: str


@attrs.define(kw_only=True)
class _ChannelGeneric(_Generic):
    """An item that may be meant for some channels only (``channels``)."""

    channels: list[ResponseGenericChannel] | None = None


@attrs.define(kw_only=True)
class _MediaGeneric(_ChannelGeneric):
    """A piece of media at ``source`` with its ``title`` and ``description``."""

    source: str | None = None
    title: str | None = None
    description: str | None = None


@attrs.define(kw_only=True)
class GenericText(_ChannelGeneric):
    """A text response (``response_type: text``)."""

    text: str | None = None


@attrs.define(kw_only=True)
class GenericPause(_ChannelGeneric):
    """A pause before the next response, in milliseconds (``response_type: pause``)."""

    time: int | None = None
    typing: bool | None = None


@attrs.define(kw_only=True)
class GenericImage(_MediaGeneric):
    """An image (``response_type: image``)."""

    alt_text: str | None = None


@attrs.define(kw_only=True)
class GenericOption(_ChannelGeneric):
    """A list of options to choose from (``response_type: option``)."""

    title: str | None = None
    description: str | None = None
    preference: str | None = None
    options: list[DialogNodeOutputOptionsElement] | None = None


@attrs.define(kw_only=True)
class GenericConnectToAgent(_ChannelGeneric):
    """A request to transfer the conversation to a human agent (``connect_to_agent``)."""

    message_to_human_agent: str | None = None
    agent_available: AgentAvailabilityMessage | None = None
    agent_unavailable: AgentAvailabilityMessage | None = None
    transfer_info: DialogNodeOutputConnectToAgentTransferInfo | None = None
    topic: str | None = None


@attrs.define(kw_only=True)
class GenericSuggestion(_ChannelGeneric):
    """Suggestions for disambiguation (``response_type: suggestion``)."""

    title: str | None = None
    suggestions: list[DialogSuggestion] | None = None


@attrs.define(kw_only=True)
class GenericChannelTransfer(_ChannelGeneric):
    """A transfer of the conversation to another channel (``channel_transfer``)."""

    message_to_user: str | None = None
    transfer_info: ChannelTransferInfo | None = None


@attrs.define(kw_only=True)
class GenericSearch(_ChannelGeneric):
    """Results of a search skill (``response_type: search``)."""

    header: str | None = None
    primary_results: list[SearchResult] | None = None
    additional_results: list[SearchResult] | None = None


@attrs.define(kw_only=True)
class GenericUserDefined(_ChannelGeneric):
    """A custom response for the client to render (``response_type: user_defined``)."""

    user_defined: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class GenericVideo(_MediaGeneric):
    """A video (``response_type: video``)."""

    channel_options: dict[str, Any] | None = None
    alt_text: str | None = None


@attrs.define(kw_only=True)
class GenericAudio(_MediaGeneric):
    """An audio clip (``response_type: audio``)."""

    channel_options: dict[str, Any] | None = None
    alt_text: str | None = None


@attrs.define(kw_only=True)
class GenericIframe(_MediaGeneric):
    """Embedded content shown in an iframe (``response_type: iframe``)."""

    image_url: str | None = None


@attrs.define(kw_only=True)
class GenericDate(_Generic):
    """A date picker (``response_type: date``)."""


@attrs.define(kw_only=True)
class GenericDtmf(_ChannelGeneric):
    """A DTMF command for the phone channel (``response_type: dtmf``)."""

    command_info: DtmfCommandInfo | None = None


@attrs.define(kw_only=True)
class GenericEndSession(_Generic):
    """The end of the session, e.g. hang up the call (``response_type: end_session``)."""

    channel_options: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class GenericConversationalSearch(_Generic):
    """A generated answer (``conversational_search``; the SDKs say ``conversation_search``)."""

    text: str | None = None
    citations_title: str | None = None
    citations: list[ResponseGenericCitation] | None = None
    confidence_scores: ResponseGenericConfidenceScores | None = None
    response_length_option: str | None = None
    search_results: list[SearchResults] | None = None
    disclaimer: str | None = None


# --------------------------------------------------------------------------- web chat and phone
#
# Types no SDK models, with the fields of IBM's "Response types reference" (``table``:
# web chat's ``TableItem``). Fields it marks required are required; an item without
# them is kept as GenericUnknown (``lenient`` below). Nested items use the same union.


@attrs.define(kw_only=True)
class ButtonPanel(Model):
    """The panel a ``show_panel`` button opens: ``body`` responses, ``footer`` buttons."""

    body: "list[RuntimeResponseGeneric]"
    title: str | None = None
    show_animations: bool | None = None
    footer: "list[RuntimeResponseGeneric] | None" = None


@attrs.define(kw_only=True)
class GenericButton(Pickable, _ChannelGeneric):
    """A web chat button (``response_type: button``).

    ``button_type`` says what a click does: ``post_back`` sends :meth:`picked_input`,
    ``url`` opens ``url`` in ``target``, ``custom_event`` raises ``custom_event_name``
    with ``user_defined``, ``show_panel`` opens ``panel``.
    """

    label: str
    button_type: str
    kind: str | None = None
    image_url: str | None = None
    alt_text: str | None = None
    value: DialogNodeOutputOptionsElementValue | None = None
    custom_event_name: str | None = None
    user_defined: dict[str, Any] | None = None
    panel: ButtonPanel | None = None
    url: str | None = None
    target: str | None = None


@attrs.define(kw_only=True)
class GenericCard(_ChannelGeneric):
    """A web chat card (``response_type: card``): ``body`` responses, ``footer`` buttons."""

    body: "list[RuntimeResponseGeneric]"
    footer: "list[RuntimeResponseGeneric] | None" = None


@attrs.define(kw_only=True)
class GenericCarousel(_ChannelGeneric):
    """Cards side by side (``response_type: carousel``); ``items`` are ``card`` items."""

    items: "list[RuntimeResponseGeneric]"


@attrs.define(kw_only=True)
class GridColumn(Model):
    """A grid column: ``width`` is a share (``"1"``) or pixels (``"48px"``)."""

    width: str | None = None


@attrs.define(kw_only=True)
class GridCell(Model):
    """A grid cell: the responses it shows and their alignment."""

    items: "list[RuntimeResponseGeneric]"
    horizontal_alignment: str | None = None
    vertical_alignment: str | None = None


@attrs.define(kw_only=True)
class GridRow(Model):
    """A grid row: one cell per column."""

    cells: list[GridCell]


@attrs.define(kw_only=True)
class GenericGrid(_ChannelGeneric):
    """Responses laid out in rows and columns (``response_type: grid``)."""

    rows: list[GridRow]
    columns: list[GridColumn] | None = None
    horizontal_alignment: str | None = None
    vertical_alignment: str | None = None
    max_width: str | None = None


@attrs.define(kw_only=True)
class TableRow(Model):
    """A table row: its ``cells``, each a string or a number."""

    cells: list[Any]


@attrs.define(kw_only=True)
class GenericTable(_ChannelGeneric):
    """A table of data (``response_type: table``); ``headers`` are strings or numbers."""

    headers: list[Any]
    rows: list[TableRow]
    title: str | None = None
    description: str | None = None


@attrs.define(kw_only=True)
class PhoneCommandInfo(Model):
    """A command for the phone channel's speech services (``configure``, barge-in on/off)."""

    type: str
    parameters: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class GenericSpeechToText(_ChannelGeneric):
    """A command for the phone channel's Speech to Text (``response_type: speech_to_text``)."""

    command_info: PhoneCommandInfo


@attrs.define(kw_only=True)
class GenericTextToSpeech(_ChannelGeneric):
    """A command for the phone channel's Text to Speech (``response_type: text_to_speech``)."""

    command_info: PhoneCommandInfo


@attrs.define(kw_only=True)
class PhoneActivity(Model):
    """A phone channel activity: ``speech_to_text_recognition`` or ``dtmf_collection``."""

    type: str


@attrs.define(kw_only=True)
class GenericStartActivities(_ChannelGeneric):
    """Start (resume) phone channel activities (``response_type: start_activities``)."""

    activities: list[PhoneActivity]


@attrs.define(kw_only=True)
class GenericStopActivities(_ChannelGeneric):
    """Stop phone channel activities until started again (``stop_activities``)."""

    activities: list[PhoneActivity]


@attrs.define(kw_only=True)
class GenericUnknown(_Generic):
    """An item of a ``response_type`` this version does not model; its keys are in ``extra``."""


RuntimeResponseGeneric = (
    GenericText
    | GenericPause
    | GenericImage
    | GenericOption
    | GenericConnectToAgent
    | GenericSuggestion
    | GenericChannelTransfer
    | GenericSearch
    | GenericUserDefined
    | GenericVideo
    | GenericAudio
    | GenericIframe
    | GenericDate
    | GenericDtmf
    | GenericEndSession
    | GenericConversationalSearch
    | GenericButton
    | GenericCard
    | GenericCarousel
    | GenericGrid
    | GenericTable
    | GenericSpeechToText
    | GenericTextToSpeech
    | GenericStartActivities
    | GenericStopActivities
    | GenericUnknown
)
"""An ``output.generic[]`` item, chosen by its ``response_type``."""

_RESPONSE_TYPES: dict[str, type] = {
    "text": GenericText,
    "pause": GenericPause,
    "image": GenericImage,
    "option": GenericOption,
    "connect_to_agent": GenericConnectToAgent,
    "suggestion": GenericSuggestion,
    "channel_transfer": GenericChannelTransfer,
    "search": GenericSearch,
    "user_defined": GenericUserDefined,
    "video": GenericVideo,
    "audio": GenericAudio,
    "iframe": GenericIframe,
    "date": GenericDate,
    "dtmf": GenericDtmf,
    "end_session": GenericEndSession,
    # Web chat says "conversational_search"; the SDKs' discriminator says "conversation_search".
    "conversational_search": GenericConversationalSearch,
    "conversation_search": GenericConversationalSearch,
}
#: The types with required fields, each kept as GenericUnknown when they are missing.
_RICH_TYPES: dict[str, type] = {
    "button": GenericButton,
    "card": GenericCard,
    "carousel": GenericCarousel,
    "grid": GenericGrid,
    "table": GenericTable,
    "speech_to_text": GenericSpeechToText,
    "text_to_speech": GenericTextToSpeech,
    "start_activities": GenericStartActivities,
    "stop_activities": GenericStopActivities,
}

register_tagged_union(
    RuntimeResponseGeneric,
    "response_type",
    {**_RESPONSE_TYPES, **_RICH_TYPES},
    GenericUnknown,
    lenient=_RICH_TYPES.values(),
)


def iter_generic(items: Iterable[RuntimeResponseGeneric]) -> Iterator[RuntimeResponseGeneric]:
    """Every item of ``items`` and, right after each, the items nested in it (a card's
    body and footer, a carousel's cards, a grid's cells, a button's panel), depth first."""
    for item in items:
        yield item
        yield from iter_generic(_nested(item))


def _nested(item: RuntimeResponseGeneric) -> list[RuntimeResponseGeneric]:
    if isinstance(item, GenericCard):
        return [*item.body, *(item.footer or ())]
    if isinstance(item, GenericCarousel):
        return item.items
    if isinstance(item, GenericGrid):
        return [i for row in item.rows for cell in row.cells for i in cell.items]
    if isinstance(item, GenericButton) and item.panel is not None:
        return [*item.panel.body, *(item.panel.footer or ())]
    return []
