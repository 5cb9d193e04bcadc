"""``bulk_classify``: classify many utterances with a skill, no conversation state.

The request body is ``{"input": [BulkClassifyUtterance, ...]}``; the reply is a
:class:`BulkClassifyResponse` with one :class:`BulkClassifyOutput` per utterance.
Intents and entities are the ``RuntimeIntent`` / ``RuntimeEntity`` of ``message``.
"""

import attrs

from ._base import Model
from .message import RuntimeEntity, RuntimeIntent

__all__ = ["BulkClassifyOutput", "BulkClassifyResponse", "BulkClassifyUtterance"]


@attrs.define(kw_only=True)
class BulkClassifyUtterance(Model):
    """An utterance to classify (request item, echoed as ``output[].input``).

    The API requires ``text`` in requests.
    """

    text: str | None = None


@attrs.define(kw_only=True)
class BulkClassifyOutput(Model):
    """The classification of one utterance."""

    input: BulkClassifyUtterance | None = None
    entities: list[RuntimeEntity] | None = None
    intents: list[RuntimeIntent] | None = None


@attrs.define(kw_only=True)
class BulkClassifyResponse(Model):
    """The reply of ``bulk_classify``."""

    output: list[BulkClassifyOutput] | None = None
