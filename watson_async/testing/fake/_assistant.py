"""``FakeAssistant``: a fake Watson Assistant v2 service (with IAM and the Cloud Pak for
Data authorize endpoint) on a loopback socket.

It speaks plain HTTP through aiohttp's low-level server and deliberately knows nothing
about the client package: requests and responses are plain dicts.

The class is its constructor and docstring over mixins, one per concern, sharing the
attributes declared on :class:`~._state.FakeState`: :mod:`._server` (lifecycle, the
request path, routing), :mod:`._faults` (``enqueue_*``, outages), :mod:`._tokens` (IAM,
CP4D, credentials), :mod:`._rate_limits`, :mod:`._inspect` (what tests read back) and
:mod:`._runtime` (assistants, sessions, messages, streams, logs). The authoring
handlers are :class:`~._authoring.ResourceAPI` (:mod:`._releases`, :mod:`._skills`
over the records in :mod:`._resources`).
"""

from __future__ import annotations

import asyncio
import base64
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from aiohttp import web

from watson_async._lifecycle import AsyncServing
from watson_async.protocol.routes import ENDPOINTS

from .._logs import LogStore
from .._records import RecordedAnalytics, RecordedRequest
from ._authoring import ResourceAPI
from ._faults import ERROR_FAULTS
from ._inspect import InspectMixin
from ._rate_limits import RATE_LIMIT_FAMILIES
from ._resources import Assistant as _Assistant
from ._runtime import RuntimeMixin
from ._server import ServerMixin
from ._webhooks import WebhookCall, WebhookTarget

__all__ = [
    "DEFAULT_APIKEY",
    "DEFAULT_ASSISTANT_ID",
    "DEFAULT_ENVIRONMENT_ID",
    "DEFAULT_INSTANCE_ID",
    "FakeAssistant",
]

DEFAULT_APIKEY = "fake-apikey"
DEFAULT_ASSISTANT_ID = "00000000-0000-4000-8000-0000000a0001"
DEFAULT_ENVIRONMENT_ID = "00000000-0000-4000-8000-0000000e0001"
DEFAULT_INSTANCE_ID = "fake-instance"


class FakeAssistant(ServerMixin, InspectMixin, RuntimeMixin, AsyncServing):
    """A fake Watson Assistant v2 service and IAM token endpoint on a real socket.

    ``async with FakeAssistant() as fake:`` binds ``host`` on a free port; point a
    client at :attr:`service_url` and :attr:`iam_url` with :attr:`apikey`, or at
    :attr:`cp4d_url` with :attr:`cp4d_username` and :attr:`cp4d_password` /
    :attr:`cp4d_apikey` (Cloud Pak for Data, ``POST /v1/authorize``). Time comes from
    ``clock`` (wall-clock seconds), so tests can expire tokens, sessions and
    rate-limit windows without sleeping.

    Tokens (IAM and CP4D alike) are valid from ``clock()`` at issue until issue time
    plus ``token_lifetime`` (a positive float; ``2.0`` is fine): the v2 routes accept
    ``Authorization: Bearer <token>`` while ``clock() < expiry``. IAM's ``expires_in``
    is ``token_lifetime``, and ``expiration`` and the JWT ``iat``/``exp`` claims are the
    issue and expiry times; each is a JSON int when whole, else a float (with a
    whole-second test clock and a whole lifetime, all are ints; with ``time.time``
    they are floats).

    Counters: :attr:`iam_calls`, :attr:`cp4d_calls`,
    :attr:`token_requests`, :attr:`tokens_issued`, :attr:`unauthorized_responses`,
    :attr:`expired_token_requests`, :attr:`rate_limited_responses`,
    :attr:`total_turns_processed` (and per session :meth:`turns_received` /
    :meth:`turn_texts`). Token-endpoint outages: :meth:`iam_outage` /
    :meth:`iam_recover`, :meth:`cp4d_outage` / :meth:`cp4d_recover`; a wrong key:
    :meth:`rotate_apikey`. Faults for the next N matching requests:
    :meth:`enqueue_error`, :meth:`enqueue_html_error`, :meth:`enqueue_malformed_json`,
    :meth:`enqueue_disconnect`, :meth:`enqueue_delay`; at random, ``error_rate`` (the
    fraction of v2 requests answered with the ``error_fault`` named in
    :data:`~._faults.ERROR_FAULTS`, chosen with ``seed``). ``latency``: seconds (through
    ``sleep``) before each request is answered.

    **Rate limiting.** Each endpoint family (:data:`RATE_LIMIT_FAMILIES`:
    ``create_session``, ``delete_session``, ``message`` (stateful),
    ``message_stateless``, ``message_stream``, ``message_stream_stateless``,
    ``list_assistants``, ``create_assistant``, ``delete_assistant``, one per
    authoring method named after it (``get_release``, ``list_logs``, ...), and the
    token endpoints ``iam`` and ``cp4d``) has its own
    fixed window: windows are aligned to multiples of ``rate_limit_window`` seconds of
    ``clock()``, and the ``limit + 1``-th request of a family in one window gets 429
    (``{"error": "Rate limit exceeded", "code": 429}``, or that text as
    ``text/plain`` with ``rate_limit_body="text"``). The limit of a v2 family is
    ``rate_limits[family]`` if given, else ``rate_limit`` (None: unlimited). The token
    families are limited only when named in ``rate_limits`` (their 429 body is
    IAM-/CP4D-shaped in ``"json"`` mode). Every response of a v2 family (and of a
    limited token family) carries ``X-RateLimit-Limit`` (:data:`UNLIMITED_RATE` when
    unlimited), ``X-RateLimit-Remaining`` (counting down to 0 within the window, 429s
    included) and ``X-RateLimit-Reset`` (the window end, integer epoch seconds of the
    server's clock, see ``date_skew``) unless ``rate_limit_headers=False`` (then 429s
    lack them too); with ``retry_after_header`` a 429 also has ``Retry-After``: the
    seconds to the window end, rounded up. Requests answered by an injected fault
    before processing, 404s for unknown routes and 405s are not counted. All these
    settings are plain attributes, changeable while running.

    **Server clock skew.** ``date_skew`` (seconds, an attribute too) shifts what the
    server *reports*: ``Date`` and ``X-RateLimit-Reset`` are ``clock() + date_skew``
    based, while the fake's own decisions (rate-limit windows, token and session
    expiry, IAM ``expiration``) use ``clock()``. ``Reset - Date`` is therefore the
    real wait (to whole-second rounding) whatever the skew.

    **Authoring routes** (all with the same auth, version, rate-limit, fault and header
    handling; each method is its own rate-limit family, see :data:`V2_FAMILIES`):
    environments (list/get/update; an environment's ``session_timeout``, in seconds,
    becomes the inactivity timeout of sessions created in it), releases
    (create/list/get/delete/deploy), release export (``POST``, then ``GET`` as JSON
    status or, with ``Accept: application/octet-stream``, an ``export_archive_size``
    byte archive streamed in several chunks, see :meth:`export_archive`), release import
    (``POST`` an octet-stream body, recorded in :attr:`release_imports`; ``GET``
    status), skills (get/update, :meth:`skill_ids`), skills export/import, bulk
    classify, conversational skill providers (create/list/update; ``private`` is kept,
    see :meth:`provider_private`, and never returned). Every assistant has a draft and
    a live environment and one action and one search skill.

    Asynchronous jobs (create_release, create_release_export, create_release_import,
    update_skill, import_skills) answer ``Processing``; their status reads (get_release,
    download_release_export as JSON, get_release_import_status, get_skill,
    import_skills_status) report ``Processing`` ``processing_polls`` more times and then
    ``Available`` (``Completed`` for imports). :meth:`finish_tasks` completes them all.

    **Logs.** Every message turn handled with a 200 (stateful, stateless, streamed) is
    logged: ``GET .../logs`` (filter syntax in :mod:`watson_async.testing._logs`) and
    :meth:`logs`; ``customer_id`` comes from ``X-Watson-Metadata: customer_id=...``.
    ``DELETE /v2/user_data?customer_id=`` removes that customer's entries.

    **Streaming.** ``.../message_stream`` (stateful and stateless) runs the turn, then
    answers ``text/event-stream``: per generic item, ``partial_item`` frames (text
    items, one per word) and a ``complete_item``; then a ``final_response``. Each frame
    is ``event: message\\ndata: <json>\\n\\n`` and is written as its own HTTP chunk,
    with ``stream_pause`` seconds (through ``sleep``) between chunks; the first frame
    is split mid-JSON and the last before its blank line, and with ``sse_extras`` the
    first frame begins with ``id: 1`` and a ``: keep-alive`` comment block follows it.
    A client that disconnects mid-stream ends it quietly (:attr:`streams_aborted`,
    :meth:`wait_streams_idle`); :meth:`stop` cuts off streams still being written.
    ``max_request_size`` bounds request bodies (default 64 MiB).

    **Webhooks.** ``pre_message_webhook``, ``post_message_webhook`` and ``log_webhook``
    (each a :class:`WebhookTarget`: URL, authentication, timeout, error setting) are
    called around every ``message`` and ``message_stateless`` turn as the service calls
    them (:mod:`watson_async.testing.fake._webhooks`), recorded in
    :attr:`webhook_calls`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        apikey: str = DEFAULT_APIKEY,
        assistant_id: str = DEFAULT_ASSISTANT_ID,
        environment_id: str = DEFAULT_ENVIRONMENT_ID,
        instance_id: str = DEFAULT_INSTANCE_ID,
        auth: bool = True,
        token_lifetime: float = 3600.0,
        session_timeout: float = 300.0,
        rate_limit: int | None = None,
        rate_limit_window: float = 60.0,
        rate_limits: Mapping[str, int | None] | None = None,
        rate_limit_headers: bool = True,
        rate_limit_body: Literal["json", "text"] = "json",
        retry_after_header: bool = False,
        date_skew: float = 0.0,
        extra_assistants: int = 0,
        latency: float = 0.0,
        error_rate: float = 0.0,
        error_fault: str = "server-error",
        seed: int | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
        record_logs: bool = True,
        cp4d_username: str = "admin",
        cp4d_password: str = "password",
        cp4d_apikey: str = "cp4d-apikey",
        processing_polls: int = 1,
        export_archive_size: int = 256 * 1024,
        stream_pause: float = 0.0,
        sse_extras: bool = True,
        max_request_size: int = 64 * 1024 * 1024,
        pre_message_webhook: WebhookTarget | None = None,
        post_message_webhook: WebhookTarget | None = None,
        log_webhook: WebhookTarget | None = None,
    ) -> None:
        if processing_polls < 0 or export_archive_size < 0 or stream_pause < 0:
            raise ValueError("processing_polls, export_archive_size and stream_pause must be >= 0")
        if max_request_size < 1:
            raise ValueError("max_request_size must be >= 1")
        for hook in (pre_message_webhook, post_message_webhook, log_webhook):
            if hook is not None and not isinstance(hook, WebhookTarget):
                raise ValueError(f"a webhook must be a WebhookTarget, got {type(hook).__name__}")
        if rate_limit is not None and rate_limit < 0:
            raise ValueError("rate_limit must be >= 0 or None")
        if rate_limit_window <= 0:
            raise ValueError("rate_limit_window must be > 0")
        limits = dict(rate_limits) if rate_limits else {}
        for family, value in limits.items():
            if family not in RATE_LIMIT_FAMILIES:
                raise ValueError(
                    f"unknown rate-limit family {family!r}; expected one of "
                    + ", ".join(RATE_LIMIT_FAMILIES)
                )
            if value is not None and value < 0:
                raise ValueError("rate_limits values must be >= 0 or None")
        if rate_limit_body not in ("json", "text"):
            raise ValueError('rate_limit_body must be "json" or "text"')
        if not 0 <= error_rate <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        if error_fault not in ERROR_FAULTS:
            raise ValueError(
                f"unknown error_fault {error_fault!r}; expected one of " + ", ".join(ERROR_FAULTS)
            )
        if latency < 0:
            raise ValueError("latency must be >= 0")
        if token_lifetime <= 0 or session_timeout <= 0:
            raise ValueError("token_lifetime and session_timeout must be > 0")
        self.host = host
        self.port = port
        self.apikey = apikey
        self.assistant_id = assistant_id
        self.environment_id = environment_id
        self.instance_id = instance_id
        self.auth = auth
        self.token_lifetime = token_lifetime
        self.session_timeout = session_timeout
        self.rate_limit = rate_limit
        self.rate_limit_window = rate_limit_window
        #: Per-family limits overriding ``rate_limit`` (see the class docstring).
        self.rate_limits: dict[str, int | None] = limits
        self.rate_limit_headers = rate_limit_headers
        self.rate_limit_body: Literal["json", "text"] = rate_limit_body
        self.retry_after_header = retry_after_header
        #: Seconds added to ``clock()`` in ``Date`` and ``X-RateLimit-Reset``.
        self.date_skew = date_skew
        self.latency = latency
        #: The fraction of v2 requests (not token requests) answered with
        #: ``error_fault`` (:data:`~._faults.ERROR_FAULTS`) instead, chosen at random
        #: (``seed``) on arrival, before processing; enqueued faults go first.
        self.error_rate = error_rate
        self.error_fault = error_fault
        self._random = random.Random(seed)
        #: Keep every request in :attr:`requests` (off for long load runs).
        self.record_requests = record_requests
        #: Keep every handled turn for ``list_logs`` (off for long load runs, so memory
        #: stays flat).
        self.record_logs = record_logs
        self.cp4d_username = cp4d_username
        self.cp4d_password = cp4d_password
        self.cp4d_apikey = cp4d_apikey
        #: Status reads (GET) that still see ``Processing`` after an asynchronous
        #: request (create_release, create_release_export, create_release_import,
        #: update_skill, import_skills) before it reports done.
        self.processing_polls = processing_polls
        #: Size in bytes of the archive ``download_release_export`` streams.
        self.export_archive_size = export_archive_size
        #: Seconds (through ``sleep``) between the chunks of a streamed body.
        self.stream_pause = stream_pause
        #: Whether SSE streams include an ``id:`` line and a ``: keep-alive`` comment.
        self.sse_extras = sse_extras
        self.max_request_size = max_request_size
        #: The webhooks called around each message turn (see :class:`WebhookTarget`).
        self.pre_message_webhook = pre_message_webhook
        self.post_message_webhook = post_message_webhook
        self.log_webhook = log_webhook
        #: Every webhook call made, in order.
        self.webhook_calls: list[WebhookCall] = []
        self._webhook_transport = None
        self._sleep = sleep
        self._clock = clock

        #: Requests to the IAM token endpoint (any method or outcome).
        self.iam_calls = 0
        #: Requests to the CP4D ``/v1/authorize`` endpoint (any method or outcome).
        self.cp4d_calls = 0
        #: Access tokens minted (IAM, CP4D and :meth:`issue_token`).
        self.tokens_issued = 0
        self._unauthorized_responses = 0
        self._expired_token_requests = 0
        #: 429s sent by the rate limiter (not those injected with enqueue_error).
        self.rate_limited_responses = 0
        #: Stateful message turns applied to a session's dialog (all sessions).
        self.total_turns_processed = 0
        self._turn_texts: dict[str, list[str]] = {}  # session id -> processed inputs
        self._outages = {}  # "iam" | "cp4d" -> active outage
        self.requests: list[RecordedRequest] = []
        self.analytics: list[RecordedAnalytics] = []

        self._bind_port = port
        self._runner: web.BaseRunner | None = None
        self._tokens: dict[str, float] = {}  # access token -> expiry (clock seconds)
        self._refresh_tokens: set[str] = set()
        self._basic = "Basic " + base64.b64encode(f"apikey:{apikey}".encode()).decode("ascii")
        self._sessions = {}
        self._assistants: dict[str, _Assistant] = {}
        self._env_index: dict[str, _Assistant] = {}
        self._assistant_seq = 0
        self._windows: dict[str, tuple[float, int]] = {}  # family -> (start, count)
        self._faults = []
        self._txn_prefix = secrets.token_hex(8)
        self._txn_counter = 0
        self._date_second = -1
        self._date_text = ""
        self._v2_prefix = f"/instances/{instance_id}/v2/"
        self._api = ResourceAPI(self._assistants, self)
        self._log = LogStore()
        self._handlers = {row.name: self._handler(row.name) for row in ENDPOINTS}
        #: Streamed responses (message_stream SSE, archive downloads) by outcome.
        self.streams_completed = 0
        self.streams_aborted = 0
        self._streams: set[asyncio.Task[Any]] = set()
        self._streams_idle: asyncio.Event | None = None

        now = clock()
        self._add_assistant(
            _Assistant.new(
                "Fake Assistant", "The fake assistant", "en", now, assistant_id, environment_id
            )
        )
        self.draft_environment_id = self._assistants[assistant_id].draft_environment_id
        for i in range(1, extra_assistants + 1):
            self._add_assistant(_Assistant.new(f"Assistant {i:04d}", "", "en", now))
