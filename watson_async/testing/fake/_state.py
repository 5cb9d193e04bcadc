"""The state every part of :class:`~._assistant.FakeAssistant` shares: the attributes
(declared on :class:`FakeState`, set by ``FakeAssistant.__init__``), the session
record and the response helpers all parts use.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from watson_async.protocol import codec as _json

from .._common import Result as _Result
from .._logs import LogStore
from .._records import RecordedAnalytics, RecordedRequest
from .._script import BotState
from ._authoring import ResourceAPI
from ._resources import Assistant as _Assistant

if TYPE_CHECKING:
    from watson_async.transport import AiohttpTransport

    from ._faults import Fault, Outage
    from ._webhooks import WebhookCall, WebhookTarget

__all__ = ["HTML", "JSON", "TEXT", "FakeState", "Handler", "Session", "cp4d_error", "phrase"]

JSON = "application/json"
TEXT = "text/plain"
HTML = "text/html"

Handler = Callable[..., _Result]


def cp4d_error(status: int, message: str) -> dict[str, Any]:
    return {"_messageCode_": str(status), "message": message, "exception": phrase(status)}


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass(slots=True)
class Session:
    assistant_id: str
    environment_id: str
    state: BotState
    last_active: float


class FakeState:
    """The attributes of a :class:`~._assistant.FakeAssistant` (its constructor sets
    them) and the helpers every part of it uses; the parts are mixins over this class."""

    host: str
    port: int
    apikey: str
    assistant_id: str
    environment_id: str
    draft_environment_id: str
    instance_id: str
    auth: bool
    token_lifetime: float
    session_timeout: float
    rate_limit: int | None
    rate_limit_window: float
    rate_limits: dict[str, int | None]
    rate_limit_headers: bool
    rate_limit_body: Literal["json", "text"]
    retry_after_header: bool
    date_skew: float
    latency: float
    error_rate: float
    error_fault: str
    _random: random.Random
    record_requests: bool
    record_logs: bool
    cp4d_username: str
    cp4d_password: str
    cp4d_apikey: str
    processing_polls: int
    export_archive_size: int
    stream_pause: float
    sse_extras: bool
    max_request_size: int
    pre_message_webhook: WebhookTarget | None
    post_message_webhook: WebhookTarget | None
    log_webhook: WebhookTarget | None
    _sleep: Callable[[float], Awaitable[Any]]
    _clock: Callable[[], float]

    # counters and records
    iam_calls: int
    cp4d_calls: int
    tokens_issued: int
    _unauthorized_responses: int
    _expired_token_requests: int
    rate_limited_responses: int
    total_turns_processed: int
    _turn_texts: dict[str, list[str]]  # session id -> processed inputs
    requests: list[RecordedRequest]
    analytics: list[RecordedAnalytics]
    streams_completed: int
    streams_aborted: int
    webhook_calls: list[WebhookCall]
    _webhook_transport: AiohttpTransport | None

    # serving
    _bind_port: int
    _runner: web.BaseRunner | None
    _v2_prefix: str
    _handlers: dict[str, Handler]
    _txn_prefix: str
    _txn_counter: int
    _date_second: int
    _date_text: str
    _streams: set[asyncio.Task[Any]]
    _streams_idle: asyncio.Event | None

    # credentials, faults and rate-limit windows
    _tokens: dict[str, float]  # access token -> expiry (clock seconds)
    _refresh_tokens: set[str]
    _basic: str
    _outages: dict[str, Outage]  # "iam" | "cp4d" -> active outage
    _faults: list[Fault]
    _windows: dict[str, tuple[float, int]]  # family -> (start, count)

    # resources
    _sessions: dict[str, Session]
    _assistants: dict[str, _Assistant]
    _env_index: dict[str, _Assistant]
    _assistant_seq: int
    _api: ResourceAPI
    _log: LogStore

    def _std_headers(self, now: float) -> dict[str, str]:
        self._txn_counter += 1
        second = math.floor(now + self.date_skew)  # the server's (skewed) clock
        if second != self._date_second:
            self._date_second = second
            self._date_text = formatdate(second, usegmt=True)
        return {
            "X-Global-Transaction-Id": f"{self._txn_prefix}{self._txn_counter:016x}",
            "Date": self._date_text,
        }

    def _json_response(self, status: int, payload: Any, headers: dict[str, str]) -> web.Response:
        if payload is None:
            return web.Response(status=status, body=b"", headers=headers, content_type=JSON)
        return web.Response(
            status=status, body=_json.dumps(payload), headers=headers, content_type=JSON
        )

    @staticmethod
    def _disconnect(request: web.BaseRequest) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.close()
        # Writing this to the closed transport fails; aiohttp drops it.
        return web.Response(status=500)

    def _timeout_of(self, session: Session) -> float:
        """The inactivity timeout of ``session``: its environment's ``session_timeout``
        when one was set with update_environment, else :attr:`session_timeout`."""
        assistant = self._assistants.get(session.assistant_id)
        env = assistant.environments.get(session.environment_id) if assistant else None
        if env is not None and env.session_timeout is not None:
            return float(env.session_timeout)
        return self.session_timeout
