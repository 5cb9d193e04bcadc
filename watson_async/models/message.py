"""``message`` / ``message_stateless``: the input clients send and the replies.

Request models (``MessageInput`` and below) are sent as they are: ``to_dict()`` gives
the JSON body with unset (``None``) fields left out. Enumerated values (``message_type``,
``granularity``, ...) are plain strings so values added by the service still parse.
"""

from typing import Any, ClassVar

import attrs

from ._base import Model
from .context import MessageContext, StatelessMessageContext
from .generic import (
    DialogNodeOutputOptionsElement,
    DialogNodeOutputOptionsElementValue,
    GenericButton,
    GenericConnectToAgent,
    GenericOption,
    GenericText,
    RuntimeResponseGeneric,
    iter_generic,
)
from .log_messages import DialogLogMessage
from .session import RequestAnalytics
from .turn_events import (
    MessageOutputDebugTurnEvent,
    TurnEventActionFinished,
    TurnEventActionVisited,
    TurnEventNodeVisited,
)

__all__ = [
    "CaptureGroup",
    "DialogNodeAction",
    "DialogNodeVisited",
    "MessageInput",
    "MessageInputAttachment",
    "MessageInputOptions",
    "MessageInputOptionsSpelling",
    "MessageOutput",
    "MessageOutputDebug",
    "MessageOutputLLMMetadata",
    "MessageOutputSpelling",
    "ReplyOption",
    "ReplyOptionValue",
    "RuntimeEntity",
    "RuntimeEntityAlternative",
    "RuntimeEntityInterpretation",
    "RuntimeEntityRole",
    "RuntimeIntent",
    "StatefulMessageResponse",
    "StatelessMessageInput",
    "StatelessMessageInputOptions",
    "StatelessMessageResponse",
]


# --- intents and entities (input and output) --------------------------------------


@attrs.define(kw_only=True)
class RuntimeIntent(Model):
    """An intent recognized in the user input, or supplied by the client."""

    intent: str | None = None
    #: 0..1; ``None`` for intents the client supplied.
    confidence: float | None = None
    #: The skill that recognized the intent (``main skill`` / ``actions skill``).
    skill: str | None = None


@attrs.define(kw_only=True)
class CaptureGroup(Model):
    """A capture group of a pattern entity."""

    group: str | None = None
    #: ``[start, end)`` character offsets in the input text.
    location: list[int] | None = None


@attrs.define(kw_only=True)
class RuntimeEntityInterpretation(Model):
    """How a system entity (``@sys-date``, ``@sys-number``, ...) was understood."""

    calendar_type: str | None = None
    datetime_link: str | None = None
    festival: str | None = None
    #: ``day``, ``fortnight``, ``hour``, ``instant``, ``minute``, ``month``, ``quarter``,
    #: ``second``, ``week``, ``weekend`` or ``year``.
    granularity: str | None = None
    range_link: str | None = None
    range_modifier: str | None = None
    relative_day: float | None = None
    relative_month: float | None = None
    relative_week: float | None = None
    relative_weekend: float | None = None
    relative_year: float | None = None
    specific_day: float | None = None
    specific_day_of_week: str | None = None
    specific_month: float | None = None
    specific_quarter: float | None = None
    specific_year: float | None = None
    numeric_value: float | None = None
    subtype: str | None = None
    part_of_day: str | None = None
    relative_hour: float | None = None
    relative_minute: float | None = None
    relative_second: float | None = None
    specific_hour: float | None = None
    specific_minute: float | None = None
    specific_second: float | None = None
    timezone: str | None = None


@attrs.define(kw_only=True)
class RuntimeEntityAlternative(Model):
    """Another possible value of an entity mention."""

    value: str | None = None
    confidence: float | None = None


@attrs.define(kw_only=True)
class RuntimeEntityRole(Model):
    """The role of a mention in a range (``date_from``, ``number_to``, ...)."""

    type: str | None = None


@attrs.define(kw_only=True)
class RuntimeEntity(Model):
    """An entity mention recognized in the user input, or supplied by the client."""

    __watson_deferred__: ClassVar[bool] = True  # typed on first read

    entity: str | None = None
    #: ``[start, end)`` character offsets in the input text.
    location: list[int] | None = None
    value: str | None = None
    confidence: float | None = None
    groups: list[CaptureGroup] | None = None
    interpretation: RuntimeEntityInterpretation | None = None
    alternatives: list[RuntimeEntityAlternative] | None = None
    role: RuntimeEntityRole | None = None
    skill: str | None = None


# --- input --------------------------------------------------------------------------


@attrs.define(kw_only=True)
class MessageInputAttachment(Model):
    """A file attached to the user input (a URL, for example an image)."""

    url: str | None = None
    media_type: str | None = None


@attrs.define(kw_only=True)
class MessageInputOptionsSpelling(Model):
    """Spelling correction options (``input.options.spelling``)."""

    #: Return spelling suggestions in ``output.spelling`` without applying them.
    suggestions: bool | None = None
    #: Correct the input before it is processed.
    auto_correct: bool | None = None


@attrs.define(kw_only=True)
class _InputOptions(Model):
    """The processing options of both kinds of message input."""

    #: Start a new conversation, ignoring the dialog stack of the context.
    restart: bool | None = None
    #: Return up to 10 intents instead of the best one.
    alternate_intents: bool | None = None
    #: Run the callout asynchronously (actions only).
    async_callout: bool | None = None
    spelling: MessageInputOptionsSpelling | None = None
    #: Return ``output.debug`` (nodes visited, log messages, turn events).
    debug: bool | None = None


@attrs.define(kw_only=True)
class StatelessMessageInputOptions(_InputOptions):
    """Processing options of a ``message_stateless`` input."""


@attrs.define(kw_only=True)
class MessageInputOptions(_InputOptions):
    """Processing options of a stateful ``message`` input."""

    #: Return the session context in the response.
    return_context: bool | None = None
    #: Return the context variables of all skills, not only the active one.
    export: bool | None = None


@attrs.define(kw_only=True)
class _Input(Model):
    """The user input fields of both kinds of message call."""

    #: ``text`` (default) or ``search`` (send the text to the search skill).
    message_type: str | None = None
    text: str | None = None
    intents: list[RuntimeIntent] | None = None
    entities: list[RuntimeEntity] | None = None
    #: Set when the input is a suggestion the user picked.
    suggestion_id: str | None = None
    attachments: list[MessageInputAttachment] | None = None
    analytics: RequestAnalytics | None = None


@attrs.define(kw_only=True)
class MessageInput(_Input):
    """The user input of a stateful ``message`` call (and ``masked_input`` replies).

    The service accepts ``text`` of 1 to 2048 characters without ``\\r``, ``\\n``
    or ``\\t``.
    """

    options: MessageInputOptions | None = None


@attrs.define(kw_only=True)
class StatelessMessageInput(_Input):
    """The user input of a ``message_stateless`` call."""

    options: StatelessMessageInputOptions | None = None


# --- output -------------------------------------------------------------------------


@attrs.define(kw_only=True)
class DialogNodeAction(Model):
    """An action the client (or the service) should run (``output.actions[]``)."""

    name: str | None = None
    #: ``client``, ``server``, ``web-action`` or ``cloud-function``.
    type: str | None = None
    parameters: dict[str, Any] | None = None
    #: Context variable that receives the result.
    result_variable: str | None = None
    #: Context variable holding the credentials for the action.
    credentials: str | None = None


@attrs.define(kw_only=True)
class DialogNodeVisited(Model):
    """A dialog node visited during the turn (``output.debug.nodes_visited[]``)."""

    dialog_node: str | None = None
    title: str | None = None
    conditions: str | None = None


@attrs.define(kw_only=True)
class MessageOutputDebug(Model):
    """Debug information; present when ``input.options.debug`` is true."""

    nodes_visited: list[DialogNodeVisited] | None = None
    log_messages: list[DialogLogMessage] | None = None
    #: The turn left the current branch of the dialog.
    branch_exited: bool | None = None
    #: ``completed`` or ``fallback``.
    branch_exited_reason: str | None = None
    turn_events: list[MessageOutputDebugTurnEvent] | None = None


@attrs.define(kw_only=True)
class MessageOutputSpelling(Model):
    """Spelling correction of the input (``output.spelling``)."""

    #: The text that was processed (corrected if ``auto_correct`` was on).
    text: str | None = None
    original_text: str | None = None
    suggested_text: str | None = None


@attrs.define(kw_only=True)
class MessageOutputLLMMetadata(Model):
    """A large language model used during the turn (``output.llm_metadata[]``)."""

    task: str | None = None
    model_id: str | None = None


@attrs.define(kw_only=True)
class MessageOutput(Model):
    """What the assistant answered (``output``)."""

    #: The responses to show, in order; unknown ``response_type`` values still parse.
    generic: list[RuntimeResponseGeneric] | None = None
    intents: list[RuntimeIntent] | None = None
    entities: list[RuntimeEntity] | None = None
    actions: list[DialogNodeAction] | None = None
    debug: MessageOutputDebug | None = None
    #: Arbitrary data set by the dialog (``output.user_defined``).
    user_defined: dict[str, Any] | None = None
    spelling: MessageOutputSpelling | None = None
    llm_metadata: list[MessageOutputLLMMetadata] | None = None


# --- responses ----------------------------------------------------------------------

#: Condition of the dialog's "Anything else" node and ``condition_type`` of the actions
#: skill's "No action matches" action.
_ANYTHING_ELSE = "anything_else"
#: IDs of the built-in actions a turn ends in when the assistant did not understand:
#: "No action matches" and "Fallback".
_FALLBACK_ACTIONS = frozenset({"anything_else", "fallback"})


def _is_fallback_event(event: MessageOutputDebugTurnEvent) -> bool:
    if isinstance(event, TurnEventActionVisited):
        source = event.source
        return (
            event.reason == "no_action_matches"
            or event.condition_type == _ANYTHING_ELSE
            or (source is not None and source.action in _FALLBACK_ACTIONS)
        )
    if isinstance(event, TurnEventActionFinished):
        return event.reason == "fallback" or event.condition_type == _ANYTHING_ELSE
    if isinstance(event, TurnEventNodeVisited):
        node = event.source
        return node is not None and (node.condition or "").strip() == _ANYTHING_ELSE
    return False


@attrs.define(kw_only=True)
class ReplyOptionValue(DialogNodeOutputOptionsElementValue):
    """What to send back when the user picks a :class:`ReplyOption`: ``input``, always set."""

    input: dict[str, Any]


@attrs.define(kw_only=True)
class ReplyOption(DialogNodeOutputOptionsElement):
    """One choice of ``reply.options``: ``label`` to show, ``value.input`` to send back.

    Both are always set (typed without ``None``): an option without an input sends its
    label as text (as web chat does), one without a label shows ``""``. So
    ``[o.label for o in reply.options]`` is a ``list[str]`` and
    ``await conv.send(reply.options[0].value.input)`` needs no check.
    """

    label: str
    value: ReplyOptionValue


def _reply_option(choice: DialogNodeOutputOptionsElement | GenericButton) -> ReplyOption:
    value = choice.value
    return ReplyOption(
        label=choice.label or "",
        value=ReplyOptionValue(
            input=choice.picked_input(), extra=value.extra if value is not None else None
        ),
        extra=choice.extra if isinstance(choice, DialogNodeOutputOptionsElement) else None,
    )


class _ReplyHelpers:
    """Read-only conveniences over ``output``: ``text``, ``options``, ``top_intent``,
    ``entities_by_name``, ``is_fallback`` and ``agent_requested``.

    A base of both message responses and of a stream's final response
    (``frame.final_response``), so a streamed reply reads like a sent one. A missing
    ``output`` reads as an empty one.
    """

    __slots__ = ()

    #: A streamed final response may lack it; the replies of ``message`` always have it.
    output: MessageOutput | None

    @property
    def _generic(self) -> list[RuntimeResponseGeneric]:
        output = self.output
        return (output.generic if output is not None else None) or []

    @property
    def _intents(self) -> list[RuntimeIntent]:
        output = self.output
        return (output.intents if output is not None else None) or []

    @property
    def text(self) -> str:
        """The ``text`` items of ``output.generic``, in order, joined with ``"\\n"``
        (``""`` when there are none), those inside cards, carousels, grids and button
        panels included (:func:`iter_generic`). Other response types are left out."""
        return "\n".join(
            item.text
            for item in iter_generic(self._generic)
            if isinstance(item, GenericText) and item.text is not None
        )

    @property
    def options(self) -> list[ReplyOption]:
        """The choices of every ``option`` item and ``post_back`` button (nested ones
        included), in order: ``label`` is what to show and ``value.input`` the input to
        send back when the user picks it (``picked_input()``: an option or button without
        one sends its label), both always set (:class:`ReplyOption`)."""
        found: list[ReplyOption] = []
        for item in iter_generic(self._generic):
            if isinstance(item, GenericOption):
                found.extend(_reply_option(option) for option in item.options or ())
            elif isinstance(item, GenericButton) and item.button_type == "post_back":
                found.append(_reply_option(item))
        return found

    @property
    def top_intent(self) -> RuntimeIntent | None:
        """The recognized intent with the highest confidence (the first one on a tie or
        when no confidence is given), or ``None`` when no intent was recognized."""
        named = [i for i in self._intents if i.intent]
        if not named:
            return None
        return max(named, key=lambda i: -1.0 if i.confidence is None else i.confidence)

    @property
    def entities_by_name(self) -> dict[str, list[RuntimeEntity]]:
        """The recognized entities grouped by ``entity`` name, each list in input order."""
        grouped: dict[str, list[RuntimeEntity]] = {}
        output = self.output
        for entity in (output.entities if output is not None else None) or ():
            if entity.entity:
                grouped.setdefault(entity.entity, []).append(entity)
        return grouped

    @property
    def is_fallback(self) -> bool:
        """Whether the turn ended in the assistant's fallback (it did not understand).

        With debug output (``input.options.debug``) the answer is exact: ``True`` when a
        turn event or visited node shows the fallback: an ``action_visited`` event with
        reason ``no_action_matches``, condition type ``anything_else`` or the built-in
        action ``anything_else`` ("No action matches") or ``fallback``; an
        ``action_finished`` event with reason ``fallback``; a dialog node whose condition
        is ``anything_else`` (``node_visited`` event or ``nodes_visited``).

        Without debug output the only signal is ``output.intents`` being empty, which
        is also the case when the user answers a step's question (a destination, a
        date): ask for debug output when that difference matters.
        """
        debug = self.output.debug if self.output is not None else None
        if debug is not None and (debug.turn_events or debug.nodes_visited):
            if any(_is_fallback_event(event) for event in debug.turn_events or ()):
                return True
            return any(
                (node.conditions or "").strip() == _ANYTHING_ELSE
                for node in debug.nodes_visited or ()
            )
        return not any(i.intent for i in self._intents)

    @property
    def agent_requested(self) -> bool:
        """Whether the reply asks for a transfer to a human agent (a ``connect_to_agent``
        item in ``output.generic``)."""
        return any(isinstance(item, GenericConnectToAgent) for item in self._generic)


@attrs.define(kw_only=True)
class StatefulMessageResponse(_ReplyHelpers, Model):
    """The reply of a stateful ``message`` call."""

    output: MessageOutput
    #: Present only when ``input.options.return_context`` was set.
    context: MessageContext | None = None
    user_id: str | None = None
    #: ``output`` with sensitive values masked (when masking is on).
    masked_output: MessageOutput | None = None
    #: The input with sensitive values masked (when masking is on).
    masked_input: MessageInput | None = None


@attrs.define(kw_only=True)
class StatelessMessageResponse(_ReplyHelpers, Model):
    """The reply of ``message_stateless``; send ``context`` back on the next turn."""

    output: MessageOutput
    context: StatelessMessageContext | None = None
    #: ``output`` with sensitive values masked (when masking is on).
    masked_output: MessageOutput | None = None
    #: The input with sensitive values masked (when masking is on).
    masked_input: MessageInput | None = None
    user_id: str | None = None
