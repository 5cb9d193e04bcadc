"""Conversation logs: ``list_logs``.

A log event records one ``message`` call: the request as the service received it and
the reply it sent, with private data masked or removed. Their shapes are those of the
message API, so :class:`LogRequestInput` and :class:`LogResponseOutput` derive from
:class:`~watson_async.models.message.MessageInput` and
:class:`~watson_async.models.message.MessageOutput` (same fields, other names).
Timestamps are the strings the service sends.
"""

import attrs

from ._base import Model
from .context import MessageContext
from .message import MessageInput, MessageOutput

__all__ = [
    "Log",
    "LogCollection",
    "LogPagination",
    "LogRequest",
    "LogRequestInput",
    "LogResponse",
    "LogResponseOutput",
]


@attrs.define(kw_only=True)
class LogRequestInput(MessageInput):
    """The logged user input (a ``MessageInput`` with private data masked or removed)."""


@attrs.define(kw_only=True)
class LogRequest(Model):
    """The logged ``message`` request."""

    input: LogRequestInput | None = None
    context: MessageContext | None = None
    user_id: str | None = None


@attrs.define(kw_only=True)
class LogResponseOutput(MessageOutput):
    """The logged ``output`` (a ``MessageOutput`` with private data masked or removed)."""


@attrs.define(kw_only=True)
class LogResponse(Model):
    """The logged reply; unlike a ``message`` reply it always carries the full context."""

    output: LogResponseOutput | None = None
    context: MessageContext | None = None
    user_id: str | None = None


@attrs.define(kw_only=True)
class Log(Model):
    """One logged message exchange (item of ``list_logs``)."""

    log_id: str | None = None
    request: LogRequest | None = None
    response: LogResponse | None = None
    assistant_id: str | None = None
    session_id: str | None = None
    #: The skill that answered.
    skill_id: str | None = None
    #: The skill version that answered, for example ``draft``.
    snapshot: str | None = None
    #: When the message was received.
    request_timestamp: str | None = None
    #: When the reply was sent.
    response_timestamp: str | None = None
    #: The language of the assistant.
    language: str | None = None
    #: The customer ID given with the message (``X-Watson-Metadata: customer_id``).
    customer_id: str | None = None


@attrs.define(kw_only=True)
class LogPagination(Model):
    """Paging of ``list_logs``: pass ``next_cursor`` as ``cursor`` for the next page."""

    next_url: str | None = None
    #: Reserved for future use.
    matched: int | None = None
    next_cursor: str | None = None


@attrs.define(kw_only=True)
class LogCollection(Model):
    """A page of ``list_logs``."""

    logs: list[Log] | None = None
    pagination: LogPagination | None = None
