"""Webhooks: the requests watsonx Assistant sends to *you*, typed and verified.

* :func:`pre_message_handler` — every user message before the assistant processes it;
* :func:`post_message_handler` — every reply before the channel shows it;
* :func:`log_handler` — each message turn (or phone call record) for your own logging.

Each wraps ``async def func(request) -> reply`` with authentication (:data:`WebhookAuth`:
:class:`JwtAuth`, :class:`BasicAuth`, :class:`BearerAuth`, :class:`ApiKeyAuth`,
:class:`NoAuth`), parsing into the models below, a deadline under the service's
30-second limit and structured errors. Serve it with
:func:`watson_async.webhooks.aiohttp.webhook_app` or
:func:`watson_async.webhooks.asgi.asgi_app`. See ``docs/webhooks.md``.
"""

from ._auth import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    JwtAuth,
    NoAuth,
    WebhookAuth,
    WebhookAuthError,
    authorization_headers,
    verify,
)
from ._handler import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    WebhookHandler,
    WebhookResponse,
    log_handler,
    post_message_handler,
    pre_message_handler,
)
from ._models import (
    LogEvent,
    MessageRequest,
    PostMessageReply,
    PostMessageRequest,
    PreMessageReply,
    PreMessageRequest,
    SkipAssistant,
    WebhookEventName,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY",
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "JwtAuth",
    "LogEvent",
    "MessageRequest",
    "NoAuth",
    "PostMessageReply",
    "PostMessageRequest",
    "PreMessageReply",
    "PreMessageRequest",
    "SkipAssistant",
    "WebhookAuth",
    "WebhookAuthError",
    "WebhookEventName",
    "WebhookHandler",
    "WebhookResponse",
    "authorization_headers",
    "log_handler",
    "post_message_handler",
    "pre_message_handler",
    "verify",
]
