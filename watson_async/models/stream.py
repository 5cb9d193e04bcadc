"""Frames of ``message_stream`` and ``message_stream_stateless`` (server-sent events).

Every SSE ``data:`` line holds one JSON object with exactly one of three keys:

* ``partial_item``: a chunk of a response item being generated (:class:`PartialItem`);
* ``complete_item``: the finished item, all its chunks joined (:class:`CompleteItem`);
* ``final_response``: the whole reply, sent last (:class:`FinalResponse`, or
  :class:`StatelessFinalResponse` for ``message_stream_stateless``).

:data:`MessageStreamResponse` and :data:`StatelessMessageStreamResponse` pick the frame
class by which key is present; a frame with none of them becomes
:class:`MessageStreamUnknown`, its keys kept in ``extra``. Chunks and items belong
together by ``streaming_metadata.id``.
"""

from typing import Any

import attrs

from watson_async.models._convert import converter, register_keyed_union

from ._base import Model
from .context import MessageContext, StatelessMessageContext
from .generic import RuntimeResponseGeneric
from .message import MessageInput, MessageOutput, _ReplyHelpers

__all__ = [
    "CompleteItem",
    "FinalResponse",
    "FinalResponseOutput",
    "MessageStreamCompleteItem",
    "MessageStreamMetadata",
    "MessageStreamPartialItem",
    "MessageStreamResponse",
    "MessageStreamUnknown",
    "Metadata",
    "PartialItem",
    "StatefulMessageStreamFinalResponse",
    "StatelessFinalResponse",
    "StatelessFinalResponseOutput",
    "StatelessMessageStreamFinalResponse",
    "StatelessMessageStreamResponse",
]

# A union alias is not a ``type[T]`` for mypy; hand it to cattrs as ``Any``.
_GENERIC: Any = RuntimeResponseGeneric


@attrs.define(kw_only=True)
class Metadata(Model):
    """Which streamed item a chunk or item belongs to (``streaming_metadata``)."""

    #: Index of the item in the reply; chunks of one item share it.
    id: int | None = None


@attrs.define(kw_only=True)
class MessageStreamMetadata(Model):
    """``output.streaming_metadata`` of the final response (a :class:`Metadata` inside)."""

    streaming_metadata: Metadata | None = None


@attrs.define(kw_only=True)
class PartialItem(Model):
    """A chunk of a response item; append the ``text`` of chunks with the same id.

    ``text`` is required (as in IBM's SDK): a chunk is its text.
    """

    text: str
    response_type: str | None = None
    streaming_metadata: Metadata | None = None


@attrs.define(kw_only=True)
class CompleteItem(Model):
    """A finished response item: an ``output.generic[]`` item plus ``streaming_metadata``.

    Only ``response_type`` and ``text`` are fields here; the other keys of the item
    (``options``, ``citations``, ...) are in ``extra``. :meth:`as_generic` gives the
    item as the model of its ``response_type``.
    """

    response_type: str | None = None
    text: str | None = None
    streaming_metadata: Metadata | None = None

    def as_generic(self) -> RuntimeResponseGeneric:
        """The item as an ``output.generic[]`` model (``streaming_metadata`` in its extra).

        Raises ``TypeError`` when the item has no ``response_type``.
        """
        result: RuntimeResponseGeneric = converter.structure(self.to_dict(), _GENERIC)
        return result


@attrs.define(kw_only=True)
class FinalResponseOutput(MessageOutput):
    """``output`` of the final stateful frame: a ``MessageOutput`` with stream metadata."""

    streaming_metadata: MessageStreamMetadata | None = None


@attrs.define(kw_only=True)
class StatelessFinalResponseOutput(MessageOutput):
    """``output`` of the final stateless frame: a ``MessageOutput`` with stream metadata.

    The SDK types ``streaming_metadata`` as a stateless context here (a spec bug); it
    has the same shape as in :class:`FinalResponseOutput`.
    """

    streaming_metadata: MessageStreamMetadata | None = None


@attrs.define(kw_only=True)
class FinalResponse(_ReplyHelpers, Model):
    """The whole reply of ``message_stream``: the content and the helpers (``text``,
    ``options``, ...) of a ``message`` reply."""

    output: FinalResponseOutput | None = None
    #: Present only when ``input.options.return_context`` was set.
    context: MessageContext | None = None
    user_id: str | None = None
    #: ``output`` with sensitive values masked (when masking is on).
    masked_output: MessageOutput | None = None
    #: The input with sensitive values masked (when masking is on).
    masked_input: MessageInput | None = None


@attrs.define(kw_only=True)
class StatelessFinalResponse(_ReplyHelpers, Model):
    """The whole reply of ``message_stream_stateless`` (with the helpers of a reply);
    send ``context`` back next turn."""

    output: StatelessFinalResponseOutput | None = None
    context: StatelessMessageContext | None = None
    user_id: str | None = None
    #: ``output`` with sensitive values masked (when masking is on; not in the SDK model,
    #: as on the non-streaming stateless reply).
    masked_output: MessageOutput | None = None
    #: The input with sensitive values masked (when masking is on; as above).
    masked_input: MessageInput | None = None


# --- the frames --------------------------------------------------------------------------


@attrs.define(kw_only=True)
class MessageStreamPartialItem(Model):
    """A frame carrying a chunk: ``{"partial_item": {...}}``."""

    partial_item: PartialItem


@attrs.define(kw_only=True)
class MessageStreamCompleteItem(Model):
    """A frame carrying a finished item: ``{"complete_item": {...}}``."""

    complete_item: CompleteItem


@attrs.define(kw_only=True)
class StatefulMessageStreamFinalResponse(Model):
    """The last frame of ``message_stream``: ``{"final_response": {...}}``."""

    final_response: FinalResponse


@attrs.define(kw_only=True)
class StatelessMessageStreamFinalResponse(Model):
    """The last frame of ``message_stream_stateless``: ``{"final_response": {...}}``."""

    final_response: StatelessFinalResponse


@attrs.define(kw_only=True)
class MessageStreamUnknown(Model):
    """A frame with none of the known keys; everything it holds is in ``extra``."""


MessageStreamResponse = (
    MessageStreamPartialItem
    | MessageStreamCompleteItem
    | StatefulMessageStreamFinalResponse
    | MessageStreamUnknown
)
"""A ``message_stream`` frame, chosen by which key it carries."""

StatelessMessageStreamResponse = (
    MessageStreamPartialItem
    | MessageStreamCompleteItem
    | StatelessMessageStreamFinalResponse
    | MessageStreamUnknown
)
"""A ``message_stream_stateless`` frame, chosen by which key it carries."""

register_keyed_union(
    MessageStreamResponse,
    {
        "partial_item": MessageStreamPartialItem,
        "complete_item": MessageStreamCompleteItem,
        "final_response": StatefulMessageStreamFinalResponse,
    },
    MessageStreamUnknown,
)
register_keyed_union(
    StatelessMessageStreamResponse,
    {
        "partial_item": MessageStreamPartialItem,
        "complete_item": MessageStreamCompleteItem,
        "final_response": StatelessMessageStreamFinalResponse,
    },
    MessageStreamUnknown,
)
