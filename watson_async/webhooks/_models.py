"""The bodies watsonx Assistant sends to its webhooks, and the replies it accepts.

Each is an envelope around the v2 ``message`` models, parsed by the models' converter,
so unknown keys are kept (``extra``) and ``to_dict()`` writes them back:

* pre-message: ``{"event": {"name": "message_received"}, "payload": <message request>}``,
  answered by ``{"payload": <message request>}``, or, to skip the assistant, by a
  message response with the ``X-Watson-Assistant-Webhook-Return`` header
  (:class:`SkipAssistant`);
* post-message: ``{"event": {"name": "message_processed"}, "options": {}, "payload":
  <message response>}``, answered by ``{"payload": <message response>}``;
* log: ``{"event": {"name": "message_logged" | "cdr_logged"}, "payload": {...}}``; the
  service reads no reply.
"""

from __future__ import annotations

from typing import Any

import attrs

from watson_async.models import (
    Log,
    MessageInput,
    Model,
    StatelessMessageContext,
    StatelessMessageResponse,
)

__all__ = [
    "LogEvent",
    "MessageRequest",
    "PostMessageReply",
    "PostMessageRequest",
    "PreMessageReply",
    "PreMessageRequest",
    "SkipAssistant",
    "WebhookEventName",
]

MESSAGE_RECEIVED = "message_received"
MESSAGE_PROCESSED = "message_processed"
MESSAGE_LOGGED = "message_logged"
CDR_LOGGED = "cdr_logged"
#: The response header that makes the service skip the assistant and return the body
#: (a message response) to the client as the reply (any value will do).
SKIP_HEADER = "X-Watson-Assistant-Webhook-Return"


@attrs.define(kw_only=True)
class WebhookEventName(Model):
    """The ``event`` object of a webhook request: which webhook the service is calling."""

    #: ``message_received`` (pre-message), ``message_processed`` (post-message),
    #: ``message_logged`` or ``cdr_logged`` (log).
    name: str | None = None


@attrs.define(kw_only=True)
class MessageRequest(Model):
    """The body of a v2 ``message`` request (stateful or stateless), as a pre-message
    webhook receives and returns it.

    ``context`` uses the stateless shape, which holds the stateful one too.
    """

    input: MessageInput | None = None
    context: StatelessMessageContext | None = None
    user_id: str | None = None


@attrs.define(kw_only=True)
class PreMessageRequest(Model):
    """What a pre-message webhook receives: the user's message before the assistant
    sees it."""

    payload: MessageRequest
    event: WebhookEventName | None = None


@attrs.define(kw_only=True)
class PreMessageReply(Model):
    """A pre-message webhook's answer: the message the assistant processes instead.

    The service replaces the request with ``payload``, so start from the request's
    payload and change what you need (:meth:`PreMessageRequest.payload`).
    """

    payload: MessageRequest


@attrs.define(kw_only=True)
class SkipAssistant:
    """A pre-message webhook's other answer: skip the assistant and give the client
    ``response`` as the message's reply.

    It goes out as the response's JSON (no ``payload`` envelope) with the
    ``X-Watson-Assistant-Webhook-Return`` header, as IBM's docs describe ("Skipping the
    assistant processing"). The assistant never sees the message, so nothing of it is
    in the session's dialog. For example, answering while the back end is closed::

        return SkipAssistant(
            StatelessMessageResponse(output=MessageOutput(generic=[GenericText(
                response_type="text", text="We are closed until 9:00.")]))
        )
    """

    response: StatelessMessageResponse


@attrs.define(kw_only=True)
class PostMessageRequest(Model):
    """What a post-message webhook receives: the assistant's reply before the channel
    shows it."""

    payload: StatelessMessageResponse
    event: WebhookEventName | None = None
    options: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class PostMessageReply(Model):
    """A post-message webhook's answer: the reply the channel gets instead."""

    payload: StatelessMessageResponse


@attrs.define(kw_only=True)
class LogEvent(Model):
    """What a log webhook receives: one message turn (``message_logged``) or one phone
    call's detail record (``cdr_logged``)."""

    payload: dict[str, Any]
    event: WebhookEventName | None = None

    @property
    def name(self) -> str | None:
        """The event's name: ``message_logged``, ``cdr_logged`` (or a newer one)."""
        return None if self.event is None else self.event.name

    @property
    def message_log(self) -> Log | None:
        """A ``message_logged`` payload as a :class:`~watson_async.models.Log` (the
        request, the response and their IDs), else ``None``."""
        if self.name != MESSAGE_LOGGED:
            return None
        return Log.from_dict(self.payload)
