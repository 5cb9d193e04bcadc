"""The public surface of ``watson_async.webhooks``: exactly these names, each documented."""

from __future__ import annotations

import inspect

import watson_async.webhooks
import watson_async.webhooks.aiohttp
import watson_async.webhooks.asgi

EXPECTED = {
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
}


def test_all_is_exactly_the_contract() -> None:
    assert set(watson_async.webhooks.__all__) == EXPECTED
    assert watson_async.webhooks.aiohttp.__all__ == ["aiohttp_view", "webhook_app"]
    assert watson_async.webhooks.asgi.__all__ == ["asgi_app"]


def test_every_public_name_is_documented() -> None:
    modules = (watson_async.webhooks, watson_async.webhooks.aiohttp, watson_async.webhooks.asgi)
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"
