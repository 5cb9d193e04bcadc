"""The fake calls your webhooks as the service does: a pre-message webhook before each
message turn, a post-message webhook on its reply, a log webhook after it.

What IBM's docs say, and the fake does: a POST of ``{"event": {"name": ...}, "payload":
...}`` with a JSON body, authenticated as configured (a signed JWT made with your secret
goes bare in ``Authorization``), within a timeout of 1 to 30 seconds. A pre- or
post-message reply's ``payload`` replaces the request or the response. When a call
fails (no answer in time, a status other than 2xx, a body that is not JSON, a payload
that is not a valid message) the turn goes on without the webhook's change, unless the
target says ``fail_closed`` ("return an error if the webhook call fails"): then the
client gets a 422 whose ``error`` is the docs' message. A pre-message answer with the
``X-Watson-Assistant-Webhook-Return`` header skips the assistant: its body, a message
response, is the client's reply at once (no post-message or log webhook follows, the
docs' "directly return"). The log webhook's answer is
never read. Only ``message`` and ``message_stateless`` call webhooks (not the streamed
routes), and the log webhook is awaited before the reply goes out, so a test sees it
as soon as the reply arrives (the service sends it in the background).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import attrs
from aiohttp import web

from watson_async.errors import WatsonError
from watson_async.protocol import codec as _json
from watson_async.transport import AiohttpTransport
from watson_async.webhooks import NoAuth, WebhookAuth, authorization_headers
from watson_async.webhooks._models import SKIP_HEADER

from .._common import Call as _Call
from .._common import error as _error
from ._runtime import RuntimeMixin
from ._state import Handler

__all__ = ["PendingWebhooks", "WebhookCall", "WebhookTarget", "WebhooksMixin"]

_MAX_TIMEOUT = 30.0


def _timeout(value: float) -> float:
    if not 1.0 <= value <= _MAX_TIMEOUT:
        raise ValueError("a webhook timeout must be between 1 and 30 seconds")
    return float(value)


def _url(value: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError("a webhook URL must start with http:// or https://")
    return value


@attrs.frozen
class WebhookTarget:
    """Where :class:`~watson_async.testing.FakeAssistant` sends one webhook, and how.

    ``auth`` is the environment's authentication setting (a
    :class:`~watson_async.webhooks.JwtAuth` holds the secret the JWT is signed with);
    ``headers`` are the setting's extra headers (an ``Authorization`` among them
    replaces the one ``auth`` makes, as the docs say); ``timeout`` is the setting's
    1 to 30 seconds; ``fail_closed`` is "return an error if the webhook call fails".
    """

    url: str = attrs.field(converter=_url)
    auth: WebhookAuth = attrs.field(factory=NoAuth)
    timeout: float = attrs.field(default=_MAX_TIMEOUT, converter=_timeout)
    fail_closed: bool = False
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)


@dataclass(slots=True)
class WebhookCall:
    """One webhook call the fake made: ``kind`` (``pre_message``, ``post_message``,
    ``log``), the JSON body sent, the answer's ``status`` (``None``: no answer in time or
    no connection), the parsed reply, and the ``outcome``: ``ok``, ``skipped`` (a
    pre-message answer that skips the assistant), ``no_answer``, ``status`` (not 2xx),
    ``invalid_json`` or ``invalid_payload``."""

    kind: str
    request: dict[str, Any]
    status: int | None
    outcome: str
    reply: Any = field(default=None, repr=False)


@dataclass(slots=True, frozen=True)
class _Skipped:
    """A pre-message webhook's answer that skips the assistant: the reply to give."""

    response: dict[str, Any]


@dataclass(slots=True)
class PendingWebhooks:
    """A message request that passed the fake's checks, to run with its webhooks."""

    call: _Call
    handler: Handler
    args: tuple[Any, ...]
    headers: dict[str, str]


class WebhooksMixin(RuntimeMixin):
    """Calling the configured webhooks around the message routes."""

    def _wants_webhooks(self, handler: Handler) -> bool:
        if (
            self.pre_message_webhook is None
            and self.post_message_webhook is None
            and self.log_webhook is None
        ):
            return False
        return handler in (self._handlers["message"], self._handlers["message_stateless"])

    async def _close_webhooks(self) -> None:
        transport, self._webhook_transport = self._webhook_transport, None
        if transport is not None:
            await transport.aclose()

    async def _run_with_webhooks(self, pending: PendingWebhooks) -> web.Response:
        call = pending.call
        target = self.pre_message_webhook
        if target is not None:
            envelope = {"payload": call.json, "event": {"name": "message_received"}}
            payload = await self._exchange("pre_message", target, envelope, self._valid_request)
            if isinstance(payload, _Skipped):
                return self._json_response(200, payload.response, pending.headers)
            if isinstance(payload, str):
                if target.fail_closed:
                    return self._json_response(*_error(422, payload), pending.headers)
            else:
                call = replace(call, json=payload, body=_json.dumps(payload))
        status, response = pending.handler(call, *pending.args)
        target = self.post_message_webhook
        if status == 200 and target is not None:
            envelope = {"event": {"name": "message_processed"}, "options": {}, "payload": response}
            payload = await self._exchange("post_message", target, envelope, _valid_response)
            if isinstance(payload, str):
                if target.fail_closed:
                    return self._json_response(*_error(422, payload), pending.headers)
            else:
                response = payload
        target = self.log_webhook
        if status == 200 and target is not None and call.logged is not None:
            # The log shows the reply the client got, with the context the log keeps.
            logged = dict(call.logged, response={**call.logged["response"], **response})
            envelope = {"event": {"name": "message_logged"}, "payload": logged}
            await self._exchange("log", target, envelope, None)
        return self._json_response(status, response, pending.headers)

    def _valid_request(self, payload: dict[str, Any]) -> bool:
        return self._check_message(payload)[3] is None

    async def _exchange(
        self, kind: str, target: WebhookTarget, envelope: dict[str, Any], valid: Any
    ) -> dict[str, Any] | _Skipped | str:
        """Call one webhook: the reply's ``payload`` (or, skipping the assistant, the
        reply to give), or the docs' error message."""
        if self._webhook_transport is None:
            self._webhook_transport = AiohttpTransport(proxy_from_env=False)
        headers = {"Content-Type": "application/json"}
        headers.update(authorization_headers(target.auth, now=self._clock()))
        for name, value in target.headers.items():
            for old in [k for k in headers if k.lower() == name.lower()]:
                del headers[old]
            headers[name] = value
        record = WebhookCall(kind, envelope, None, "ok")
        self.webhook_calls.append(record)
        try:
            answer = await self._webhook_transport.send(
                "POST", target.url, headers, _json.dumps(envelope), target.timeout
            )
        except WatsonError as exc:
            record.outcome = "no_answer"
            return f"Webhook request failed: {type(exc).__name__}"
        record.status = answer.status
        if not 200 <= answer.status < 300:
            record.outcome = "status"
            return f"Webhook responded with [{answer.status}] status code"
        if valid is None:
            return {}
        try:
            record.reply = reply = _json.loads(answer.body)
        except ValueError:
            record.outcome = "invalid_json"
            return "Webhook responded with invalid JSON body"
        if kind == "pre_message" and SKIP_HEADER in answer.headers:
            if not isinstance(reply, dict) or not _valid_response(reply):
                record.outcome = "invalid_payload"
                return "Error validating webhook response"
            record.outcome = "skipped"
            return _Skipped(reply)
        payload = reply.get("payload") if isinstance(reply, dict) else None
        if not isinstance(payload, dict) or not valid(payload):
            record.outcome = "invalid_payload"
            return "Error validating webhook response"
        return payload


def _valid_response(payload: dict[str, Any]) -> bool:
    output = payload.get("output")
    return isinstance(output, dict) and isinstance(output.get("generic", []), list)
