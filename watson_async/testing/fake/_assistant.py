"""``FakeAssistant``: a fake Watson Assistant v2 service (with IAM and the Cloud Pak for
Data authorize endpoint) on a loopback socket.

It speaks plain HTTP through aiohttp's low-level server and deliberately knows nothing
about the client package: requests and responses are plain dicts.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import math
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias
from urllib.parse import parse_qsl

from aiohttp import web

from watson_async import _json
from watson_async._routes import BY_NAME, ENDPOINTS

from .._common import NOT_FOUND as _NOT_FOUND
from .._common import Call as _Call
from .._common import Result as _Result
from .._common import b64url as _b64url
from .._common import bad_body as _bad_body
from .._common import body_object as _body_object_of
from .._common import error as _error
from .._common import iso as _iso
from .._common import num as _num
from .._common import paginate
from .._logs import LogStore, customer_id_of
from .._records import RecordedAnalytics, RecordedRequest, RecordedUpload
from .._script import ACTIONS_SKILL, MAIN_SKILL, BotState, run_turn
from .._stream import SSE_CONTENT_TYPE, StreamBody, sse_pieces
from ._authoring import ResourceAPI
from ._resources import Assistant as _Assistant
from ._resources import export_archive

if TYPE_CHECKING:
    from aiohttp.abc import AbstractStreamWriter
    from aiohttp.http_parser import RawRequestMessage
    from aiohttp.streams import StreamReader
    from aiohttp.web_protocol import RequestHandler

__all__ = [
    "DEFAULT_APIKEY",
    "DEFAULT_ASSISTANT_ID",
    "DEFAULT_ENVIRONMENT_ID",
    "DEFAULT_INSTANCE_ID",
    "RATE_LIMIT_FAMILIES",
    "FakeAssistant",
]

DEFAULT_APIKEY = "fake-apikey"
DEFAULT_ASSISTANT_ID = "00000000-0000-4000-8000-0000000a0001"
DEFAULT_ENVIRONMENT_ID = "00000000-0000-4000-8000-0000000e0001"
DEFAULT_INSTANCE_ID = "fake-instance"

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
IAM_PATH = "/identity/token"
CP4D_PATH = "/v1/authorize"
MAX_TEXT = 2048
MAX_USER_ID = 256
MAX_STATEFUL_BODY = 100 * 1024
MAX_STATELESS_BODY = 250 * 1024
# X-RateLimit-Limit reported when the fake is not rate limited (rate_limit=None).
UNLIMITED_RATE = 1_000_000

#: The v2 endpoint families, one per row of the endpoint table (its ``family``): each
#: has its own rate-limit window and budget (environment-scoped and classic paths of an
#: endpoint share one family). Paths are under ``/instances/{instance}/v2``.
V2_FAMILIES = tuple(dict.fromkeys(row.family for row in ENDPOINTS))
#: The token endpoints: rate limited only when named in ``rate_limits``.
TOKEN_FAMILIES = ("iam", "cp4d")  # POST /identity/token, POST /v1/authorize
#: Every key ``rate_limits`` and :meth:`FakeAssistant.requests_in_window` accept.
RATE_LIMIT_FAMILIES = V2_FAMILIES + TOKEN_FAMILIES
RATE_LIMIT_TEXT = "Rate limit exceeded"

_JSON = "application/json"
_TEXT = "text/plain"
_HTML = "text/html"
# What enqueue_malformed_json sends by default: a message response cut off mid-string.
MALFORMED_JSON = b'{"output": {"generic": [{"response_type": "text", "text": "Hel'
_FORBIDDEN_TEXT_CHARS = ("\r", "\n", "\t")

_Handler = Callable[..., _Result]


class _Route(NamedTuple):
    """One path of the endpoint table as the fake matches it, segment by segment."""

    literals: tuple[tuple[int, str], ...]
    """(position, text) of each fixed segment."""
    slots: tuple[int | None, ...]
    """Where each ID of the row (in path order) stands; None when absent (classic)."""
    endpoints: dict[str, str]
    """HTTP method -> endpoint."""


def _compile_routes() -> dict[int, tuple[_Route, ...]]:
    """The routes by segment count. Like the service, the fake answers the classic
    variant of every environment-scoped runtime path (streams too, although the client
    never sends them there)."""
    by_template: dict[str, dict[str, str]] = {}
    for row in ENDPOINTS:
        templates = [row.path]
        if row.scoped:
            templates.append(row.unscoped_path)
        for template in templates:
            by_template.setdefault(template, {})[row.method] = row.name
    routes: dict[int, list[_Route]] = {}
    for template, endpoints in by_template.items():
        ids = BY_NAME[next(iter(endpoints.values()))].ids
        segments = template.removeprefix("/v2/").split("/")
        at = {s[1:-1]: i for i, s in enumerate(segments) if s.startswith("{")}
        literals = tuple((i, s) for i, s in enumerate(segments) if not s.startswith("{"))
        route = _Route(literals, tuple(at.get(name) for name in ids), endpoints)
        routes.setdefault(len(segments), []).append(route)
    return {count: tuple(found) for count, found in routes.items()}


_ROUTES = _compile_routes()


class _Parsed(NamedTuple):
    assistant: _Assistant
    environment_id: str
    body: dict[str, Any]
    text: str
    options: dict[str, Any]
    context: dict[str, Any] | None


_INVALID_SESSION = _error(404, "Invalid Session")
_UNAUTHORIZED = (401, {"code": 401, "error": "Unauthorized"})
_METHOD_NOT_ALLOWED = _error(405, "Method Not Allowed")
_MISSING_VERSION = _error(400, "Missing required query parameter `version`")


def _cp4d_error(status: int, message: str) -> dict[str, Any]:
    return {"_messageCode_": str(status), "message": message, "exception": _phrase(status)}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _encode_body(
    body: bytes | str | Mapping[str, Any] | list[Any],
) -> tuple[bytes, str]:
    """(raw bytes, content type) of a fault body: str/bytes as text, else JSON."""
    if isinstance(body, bytes):
        return body, _TEXT
    if isinstance(body, str):
        return body.encode(), _TEXT
    return _json.dumps(body), _JSON


def _html_page(status: int) -> bytes:
    """A gateway's HTML error page (nginx style)."""
    title = f"{status} {_phrase(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


@dataclass(slots=True)
class _Fault:
    kind: str  # "error" | "disconnect" | "delay"
    method: str | None
    path_contains: str | None
    remaining: int
    status: int = 0
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] | None = None
    delay: float = 0.0
    after_processing: bool = False


@dataclass(slots=True)
class _Outage:
    """An active token-endpoint outage (see :meth:`FakeAssistant.iam_outage`)."""

    status: int
    until: float | None
    remaining: int | None
    disconnect: bool
    body: bytes | None  # None: the endpoint's own error shape
    content_type: str | None
    headers: dict[str, str] | None


_OutageBody: TypeAlias = "bytes | str | Mapping[str, Any] | list[Any] | None"


@dataclass(slots=True)
class _Session:
    assistant_id: str
    environment_id: str
    state: BotState
    last_active: float


@dataclass(slots=True)
class _PendingStream:
    """A streamed response :meth:`FakeAssistant._process` leaves to ``_handle``."""

    status: int
    headers: dict[str, str]
    body: StreamBody


class FakeAssistant:
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
    :meth:`enqueue_disconnect`, :meth:`enqueue_delay`.

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
    ) -> None:
        if processing_polls < 0 or export_archive_size < 0 or stream_pause < 0:
            raise ValueError("processing_polls, export_archive_size and stream_pause must be >= 0")
        if max_request_size < 1:
            raise ValueError("max_request_size must be >= 1")
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
        self._outages: dict[str, _Outage] = {}  # "iam" | "cp4d" -> active outage
        self.requests: list[RecordedRequest] = []
        self.analytics: list[RecordedAnalytics] = []

        self._bind_port = port
        self._runner: web.BaseRunner | None = None
        self._tokens: dict[str, float] = {}  # access token -> expiry (clock seconds)
        self._refresh_tokens: set[str] = set()
        self._basic = "Basic " + base64.b64encode(f"apikey:{apikey}".encode()).decode("ascii")
        self._sessions: dict[str, _Session] = {}
        self._assistants: dict[str, _Assistant] = {}
        self._env_index: dict[str, _Assistant] = {}
        self._assistant_seq = 0
        self._windows: dict[str, tuple[float, int]] = {}  # family -> (start, count)
        self._faults: list[_Fault] = []
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
            "Fake Assistant", "The fake assistant", "en", now, assistant_id, environment_id
        )
        self.draft_environment_id = self._assistants[assistant_id].draft_environment_id
        for i in range(1, extra_assistants + 1):
            self._add_assistant(f"Assistant {i:04d}", "", "en", now)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind the socket and start serving (``port=0`` picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("FakeAssistant is already started")
        loop = asyncio.get_running_loop()
        max_size = self.max_request_size

        def make_request(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=max_size
            )

        server = web.Server(
            self._handle,
            request_factory=make_request,
            access_log=None,
            handler_cancellation=True,  # a client gone mid-stream ends its handler at once
        )
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._bind_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving and close connections; safe to call more than once. Streams
        still being written (e.g. parked in a ``stream_pause``) are cut off."""
        runner, self._runner = self._runner, None
        for task in list(self._streams):
            task.cancel()
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeAssistant:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def started(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._runner is None:
            raise RuntimeError("FakeAssistant is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def service_url(self) -> str:
        """What a client passes as ``service_url``."""
        return f"{self.url}/instances/{self.instance_id}"

    @property
    def iam_url(self) -> str:
        """The IAM token endpoint (``.../identity/token``)."""
        return f"{self.url}{IAM_PATH}"

    @property
    def cp4d_url(self) -> str:
        """The Cloud Pak for Data ``url`` a client is configured with (the token
        endpoint is ``{cp4d_url}/v1/authorize``); the same as :attr:`url`."""
        return self.url

    # ------------------------------------------------------------------ inspection

    @property
    def sessions(self) -> frozenset[str]:
        """The ids of the sessions that are live now (not deleted, not expired)."""
        now = self._clock()
        return frozenset(
            sid for sid, s in self._sessions.items() if now - s.last_active < self._timeout_of(s)
        )

    def session_info(self, session_id: str) -> dict[str, Any] | None:
        """A snapshot of a session's bot state (None if it does not exist)."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        info = session.state.to_json_obj()
        del info["v"]
        info["assistant_id"] = session.assistant_id
        info["last_active"] = session.last_active
        return info

    def expire_session(self, session_id: str) -> bool:
        """Make a session invalid now (the next use gets 404); False if unknown."""
        return self._sessions.pop(session_id, None) is not None

    @property
    def token_requests(self) -> int:
        """Requests to either token endpoint: ``iam_calls + cp4d_calls``."""
        return self.iam_calls + self.cp4d_calls

    @property
    def unauthorized_responses(self) -> int:
        """How many 401s the v2 routes sent because the credentials were missing,
        unknown, revoked or expired (401s injected with :meth:`enqueue_error` are not
        counted)."""
        return self._unauthorized_responses

    @property
    def expired_token_requests(self) -> int:
        """How many v2-route requests arrived carrying ``Bearer`` a token this fake
        issued but which had expired (per ``clock``) when the request arrived, whatever
        their outcome (counted before latency, injected faults and rate limiting, and
        also with ``auth=False``). Revoked tokens are unknown, not expired."""
        return self._expired_token_requests

    def rotate_apikey(self, new: str, *, revoke: bool = False) -> None:
        """Replace :attr:`apikey` with ``new``: the old key becomes unknown to IAM
        (400 ``BXNIM0415E``) and to ``Basic`` auth. Tokens already issued stay valid
        until they expire unless ``revoke`` (then as :meth:`revoke_tokens`)."""
        self.apikey = new
        self._basic = "Basic " + base64.b64encode(f"apikey:{new}".encode()).decode("ascii")
        if revoke:
            self.revoke_tokens()

    def revoke_tokens(self) -> None:
        """Invalidate every issued access and refresh token (v2 calls get 401)."""
        self._tokens.clear()
        self._refresh_tokens.clear()

    def issue_token(self, *, lifetime: float | None = None) -> str:
        """Mint a valid access token directly (for bearer-token clients)."""
        return self._mint_token(self._clock(), lifetime or self.token_lifetime, "iam")[0]

    def clear_requests(self) -> None:
        self.requests.clear()

    def requests_to(self, path_contains: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path contains ``path_contains``."""
        m = method.upper() if method else None
        return [
            r for r in self.requests if path_contains in r.path and (m is None or r.method == m)
        ]

    @property
    def assistant_ids(self) -> list[str]:
        return list(self._assistants)

    def turns_received(self, session_id: str) -> int:
        """How many stateful message requests for ``session_id`` were processed, i.e.
        applied to its dialog (rejected ones and those answered by a fault injected
        before processing are not; ``after_processing`` faults are). Kept after the
        session is deleted or expires; 0 for an unknown id."""
        return len(self._turn_texts.get(session_id, ()))

    def turn_texts(self, session_id: str) -> list[str]:
        """The ``input.text`` of each processed stateful turn of ``session_id``, in
        order (``""`` for a turn without text): a copy."""
        return list(self._turn_texts.get(session_id, ()))

    # -- authoring resources, logs, streams

    @property
    def action_skill_id(self) -> str:
        """The id of the default assistant's action skill (every assistant has one
        action and one search skill; see :meth:`skill_ids`)."""
        return self.skill_ids()["action"]

    @property
    def search_skill_id(self) -> str:
        """The id of the default assistant's search skill."""
        return self.skill_ids()["search"]

    def skill_ids(self, assistant_id: str | None = None) -> dict[str, str]:
        """``{skill type: skill id}`` of an assistant (default: :attr:`assistant_id`)."""
        assistant = self._assistants[assistant_id or self.assistant_id]
        return {skill.type: skill.skill_id for skill in assistant.skills.values()}

    def release_status(self, release: str, assistant_id: str | None = None) -> str | None:
        """A release's status without counting as a status read; None if unknown."""
        assistant = self._assistants.get(assistant_id or self.assistant_id)
        found = assistant.releases.get(release) if assistant else None
        return found.task.status if found else None

    def finish_tasks(self) -> None:
        """Complete every asynchronous job now (releases, exports, imports, skill
        updates): the next status read reports it done."""
        now = self._clock()
        for assistant in self._assistants.values():
            tasks = [r.task for r in assistant.releases.values()]
            tasks += [r.export for r in assistant.releases.values() if r.export]
            tasks += [s.task for s in assistant.skills.values() if s.task]
            tasks += [t for t in (assistant.release_import, assistant.skills_import) if t]
            for task in tasks:
                task.finish(now)

    def export_archive(self, release: str, assistant_id: str | None = None) -> bytes:
        """The bytes ``download_release_export`` streams for a release (with
        ``Accept: application/octet-stream``): ``export_archive_size`` deterministic
        pseudo-random bytes that depend on the assistant id and release."""
        return export_archive(assistant_id or self.assistant_id, release, self.export_archive_size)

    @property
    def release_imports(self) -> list[RecordedUpload]:
        """Each ``create_release_import`` archive received (size, SHA-256), in order."""
        return list(self._api.release_imports)

    @property
    def provider_ids(self) -> list[str]:
        """The conversational skill providers' ids, in creation order."""
        return list(self._api.providers)

    def provider_private(self, provider_id: str) -> dict[str, Any] | None:
        """The ``private`` object (credentials) last sent for a provider, which the
        API never returns; None if the provider is unknown."""
        provider = self._api.providers.get(provider_id)
        return copy.deepcopy(provider.private) if provider else None

    def logs(self, assistant_id: str | None = None) -> list[dict[str, Any]]:
        """The log entries ``list_logs`` would return (oldest first; every assistant
        when ``assistant_id`` is None): copies. One entry per handled message turn
        (stateful, stateless and streamed)."""
        return [
            copy.deepcopy(e.data)
            for e in self._log.entries
            if assistant_id is None or e.assistant_id == assistant_id
        ]

    @property
    def user_data_deletions(self) -> list[str]:
        """The ``customer_id`` of each ``delete_user_data`` request handled, in order."""
        return list(self._log.user_data_deletions)

    @property
    def active_streams(self) -> int:
        """Streamed responses being written now."""
        return len(self._streams)

    async def wait_streams_idle(self) -> None:
        """Return once no streamed response is being written (at once if none is):
        after a client drops a stream, this waits for the fake to notice and finish."""
        while self._streams:
            if self._streams_idle is None:
                self._streams_idle = asyncio.Event()
            self._streams_idle.clear()
            await self._streams_idle.wait()

    def requests_in_window(self, family: str) -> int:
        """How many requests of ``family`` (see :data:`RATE_LIMIT_FAMILIES`) the rate
        limiter counted in the current window per ``clock()``, 429s included."""
        if family not in RATE_LIMIT_FAMILIES:
            raise ValueError(f"unknown rate-limit family {family!r}")
        entry = self._windows.get(family)
        if entry is None or entry[0] != self._window_start(self._clock()):
            return 0
        return entry[1]

    # ------------------------------------------------------------------ faults

    def enqueue_error(
        self,
        status: int,
        *,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead.

        A mapping/list body is sent as JSON, str/bytes as ``text/plain`` (or as
        ``content_type``); with ``body=None`` a 4xx/5xx gets
        ``{"error": <reason>, "code": status}`` and other statuses an empty body.
        ``X-Global-Transaction-Id`` and ``Date`` are added unless ``headers`` sets them;
        rate-limit headers are not (pass them, and any ``Retry-After``, in ``headers``).

        Matching, the same for every ``enqueue_*`` method: ``method`` (any case; None:
        any) and ``path_contains`` (a substring of the request path, without the query;
        None: any) select the requests, v2 and token endpoints alike; ``times`` (>= 1)
        is how many of them the fault answers. Faults are tried in the order they were
        enqueued and a request consumes at most one (the first that matches), when it
        arrives (after ``latency``).

        By default the fault is decided *before* the request is processed: the request
        has no effect (no session created or deleted, no turn applied, no rate-limit
        count). With ``after_processing=True`` the request is processed normally first
        (a stateful turn counts, see :meth:`turns_received`) and its response is then
        replaced by the fault: the server did the work but the answer was lost.
        """
        raw: bytes
        kind: str | None
        if body is None:
            if status >= 400:
                raw = _json.dumps({"error": _phrase(status), "code": status})
                kind = _JSON
            else:
                raw, kind = b"", None
        else:
            raw, kind = _encode_body(body)
        self._enqueue(
            _Fault(
                "error",
                None,
                None,
                times,
                status=status,
                body=raw,
                content_type=content_type or kind,
                headers=dict(headers) if headers else None,
                after_processing=after_processing,
            ),
            method,
            path_contains,
        )

    def enqueue_html_error(
        self,
        status: int = 502,
        *,
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with a gateway's HTML error page
        (``Content-Type: text/html``): ``body``, or by default nginx's
        ``<html><head><title>502 Bad Gateway</title></head>...``. Matching and
        ``after_processing`` as in :meth:`enqueue_error`."""
        raw = _html_page(status) if body is None else body
        self.enqueue_error(
            status,
            body=raw,
            headers=headers,
            content_type=_HTML,
            method=method,
            path_contains=path_contains,
            times=times,
            after_processing=after_processing,
        )

    def enqueue_malformed_json(
        self,
        *,
        status: int = 200,
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (200 by default),
        ``Content-Type: application/json`` and a body that is not valid JSON: ``body``,
        or by default a message response cut off mid-string (:data:`MALFORMED_JSON`).
        Matching and ``after_processing`` as in :meth:`enqueue_error`."""
        self.enqueue_error(
            status,
            body=MALFORMED_JSON if body is None else body,
            headers=headers,
            content_type=_JSON,
            method=method,
            path_contains=path_contains,
            times=times,
            after_processing=after_processing,
        )

    def enqueue_disconnect(
        self,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Close the connection of the next ``times`` matching requests unanswered
        (the client sees ``aiohttp.ServerDisconnectedError``). Matching and
        ``after_processing`` as in :meth:`enqueue_error`.

        Note that aiohttp's ``ClientSession`` (3.14) silently resends a request whose
        method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) once when the
        server disconnects or the connection fails (RFC 9112 section 9.3.1), whether
        or not the connection was reused: ``times=1`` on a GET or DELETE is then
        invisible to the caller (the resend succeeds, and with ``after_processing``
        the resend sees the first request's effect, e.g. 404 for a deleted session).
        Use ``times=2`` to make such a request fail; POST is never resent.
        """
        self._enqueue(
            _Fault("disconnect", None, None, times, after_processing=after_processing),
            method,
            path_contains,
        )

    def enqueue_delay(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Delay the next ``times`` matching requests (through the injected ``sleep``)
        and then handle them normally: for client timeout tests. By default the delay
        comes before processing; with ``after_processing=True`` the request is
        processed first and only its response is delayed (a client that times out
        has still had its request applied). Matching as in :meth:`enqueue_error`."""
        self._enqueue(
            _Fault("delay", None, None, times, delay=seconds, after_processing=after_processing),
            method,
            path_contains,
        )

    def _enqueue(self, fault: _Fault, method: str | None, path_contains: str | None) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        fault.method = method.upper() if method else None
        fault.path_contains = path_contains
        self._faults.append(fault)

    def clear_faults(self) -> None:
        """Drop pending enqueued faults (not outages: see :meth:`iam_recover`)."""
        self._faults.clear()

    def iam_outage(
        self,
        *,
        status: int = 500,
        until: float | None = None,
        times: int | None = None,
        body: _OutageBody = None,
        headers: Mapping[str, str] | None = None,
        disconnect: bool = False,
    ) -> None:
        """Make ``POST /identity/token`` fail until the outage ends.

        Each request (after latency and any enqueued fault, e.g. a delay) gets
        ``status`` with an IAM-style body (``{"errorCode": "BXNIM0001E",
        "errorMessage": ..., "context": {...}}``) or ``body`` (a mapping/list as JSON,
        str/bytes as ``text/plain``), plus ``headers``. ``disconnect=True`` (or
        ``status=0``) closes the connection unanswered instead.

        It ends at ``clock() >= until``, after ``times`` requests, whichever comes
        first, or (both None) at :meth:`iam_recover`. A new call replaces the current
        outage. The CP4D endpoint is unaffected.
        """
        self._outages["iam"] = self._new_outage(status, until, times, body, headers, disconnect)

    def iam_recover(self) -> None:
        """End any IAM outage now."""
        self._outages.pop("iam", None)

    @property
    def iam_outage_active(self) -> bool:
        """Whether the next IAM request would hit an outage."""
        return self._outage_active("iam")

    def cp4d_outage(
        self,
        *,
        status: int = 500,
        until: float | None = None,
        times: int | None = None,
        body: _OutageBody = None,
        headers: Mapping[str, str] | None = None,
        disconnect: bool = False,
    ) -> None:
        """Like :meth:`iam_outage`, for ``POST /v1/authorize``; the default body is
        CP4D-style ``{"_messageCode_": "<status>", "message": ..., "exception": ...}``.
        IAM is unaffected."""
        self._outages["cp4d"] = self._new_outage(status, until, times, body, headers, disconnect)

    def cp4d_recover(self) -> None:
        """End any CP4D outage now."""
        self._outages.pop("cp4d", None)

    @property
    def cp4d_outage_active(self) -> bool:
        """Whether the next CP4D authorize request would hit an outage."""
        return self._outage_active("cp4d")

    @staticmethod
    def _new_outage(
        status: int,
        until: float | None,
        times: int | None,
        body: _OutageBody,
        headers: Mapping[str, str] | None,
        disconnect: bool,
    ) -> _Outage:
        if status == 0:
            disconnect = True
        elif not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status (100-599), or 0 to disconnect")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        raw, content_type = (None, None) if body is None else _encode_body(body)
        return _Outage(
            status,
            until,
            times,
            disconnect,
            raw,
            content_type,
            dict(headers) if headers else None,
        )

    def _outage_active(self, kind: str) -> bool:
        outage = self._outages.get(kind)
        if outage is None:
            return False
        if outage.until is not None and self._clock() >= outage.until:
            del self._outages[kind]
            return False
        return True

    def _take_outage(self, kind: str) -> _Outage | None:
        """The active outage of ``kind`` for one request (counting it down), or None."""
        if not self._outage_active(kind):
            return None
        outage = self._outages[kind]
        if outage.remaining is not None:
            outage.remaining -= 1
            if outage.remaining <= 0:
                del self._outages[kind]
        return outage

    @property
    def pending_faults(self) -> int:
        return sum(f.remaining for f in self._faults)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for i, fault in enumerate(self._faults):
            if (fault.method is None or fault.method == method) and (
                fault.path_contains is None or fault.path_contains in path
            ):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[i]
                return fault
        return None

    # ------------------------------------------------------------------ plumbing

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
            return web.Response(status=status, body=b"", headers=headers, content_type=_JSON)
        return web.Response(
            status=status, body=_json.dumps(payload), headers=headers, content_type=_JSON
        )

    def _window_start(self, now: float) -> float:
        window = self.rate_limit_window
        return math.floor(now / window) * window

    def _rate_check(self, family: str, now: float) -> tuple[dict[str, str], bool]:
        """Count one request of ``family`` in its window: (the rate-limit headers to
        send, whether it is over the limit). Token families not named in
        :attr:`rate_limits` are counted but neither limited nor given headers."""
        start = self._window_start(now)
        entry = self._windows.get(family)
        count = 1 if entry is None or entry[0] != start else entry[1] + 1
        self._windows[family] = (start, count)
        if family in self.rate_limits:
            limit = self.rate_limits[family]
        elif family in TOKEN_FAMILIES:
            return {}, False
        else:
            limit = self.rate_limit
        limited = limit is not None and count > limit
        end = start + self.rate_limit_window
        headers: dict[str, str] = {}
        if self.rate_limit_headers:
            shown = UNLIMITED_RATE if limit is None else limit
            headers["X-RateLimit-Limit"] = str(shown)
            headers["X-RateLimit-Remaining"] = str(max(shown - count, 0))
            headers["X-RateLimit-Reset"] = str(math.ceil(end + self.date_skew))
        if limited and self.retry_after_header:
            headers["Retry-After"] = str(max(1, math.ceil(end - now)))
        return headers, limited

    def _too_many(
        self, family: str, request: web.BaseRequest, now: float, rate_headers: dict[str, str]
    ) -> web.Response:
        """The rate limiter's 429 for ``family``."""
        self.rate_limited_responses += 1
        if self.rate_limit_body == "text":
            headers = self._std_headers(now)
            headers.update(rate_headers)
            return web.Response(
                status=429, body=RATE_LIMIT_TEXT.encode(), headers=headers, content_type=_TEXT
            )
        if family == "iam":
            response = self._iam_error(request, "BXNIM0001E", "Too Many Requests.", now, 429)
        elif family == "cp4d":
            payload = _cp4d_error(429, "Too Many Requests")
            response = self._json_response(429, payload, self._std_headers(now))
        else:
            payload = {"error": RATE_LIMIT_TEXT, "code": 429}
            response = self._json_response(429, payload, self._std_headers(now))
        response.headers.update(rate_headers)
        return response

    def _authorized(self, request: web.BaseRequest, now: float) -> bool:
        if not self.auth:
            return True
        value = request.headers.get("Authorization")
        if not value:
            return False
        scheme, _, credentials = value.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            expiry = self._tokens.get(credentials.strip())
            return expiry is not None and now < expiry
        if scheme == "basic":
            return f"Basic {credentials.strip()}" == self._basic
        return False

    def _note_expired(self, request: web.BaseRequest) -> None:
        """Count a request carrying an issued-but-expired bearer token."""
        value = request.headers.get("Authorization")
        if value:
            scheme, _, credentials = value.partition(" ")
            if scheme.lower() == "bearer":
                expiry = self._tokens.get(credentials.strip())
                if expiry is not None and self._clock() >= expiry:
                    self._expired_token_requests += 1

    @staticmethod
    def _disconnect(request: web.BaseRequest) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.close()
        # Writing this to the closed transport fails; aiohttp drops it.
        return web.Response(status=500)

    def _fault_response(self, fault: _Fault) -> web.Response:
        headers = self._std_headers(self._clock())
        if fault.headers:
            headers.update(fault.headers)
        if fault.content_type is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = fault.content_type
        return web.Response(status=fault.status, body=fault.body, headers=headers)

    async def _apply_fault(self, request: web.BaseRequest, fault: _Fault) -> web.Response | None:
        """The fault's response, or None (after its delay) to answer normally."""
        if fault.kind == "disconnect":
            return self._disconnect(request)
        if fault.kind == "error":
            return self._fault_response(fault)
        await self._sleep(fault.delay)
        return None

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        method = request.method
        path = request.path
        body = await request.read() if request.body_exists else b""
        is_iam = path == IAM_PATH
        is_cp4d = path == CP4D_PATH
        if is_iam:
            self.iam_calls += 1
        elif is_cp4d:
            self.cp4d_calls += 1
        elif self._tokens and path.startswith(self._v2_prefix):
            self._note_expired(request)
        parsed: Any = None
        json_ok = True
        if body and not is_iam:
            try:
                parsed = _json.loads(body)
            except ValueError:
                json_ok = False
        if self.record_requests:
            self.requests.append(
                RecordedRequest(
                    method, path, dict(request.query), dict(request.headers), parsed, body
                )
            )
        if self.latency > 0:
            await self._sleep(self.latency)

        # A fault is chosen on arrival; unless after_processing it pre-empts the request.
        fault = self._take_fault(method, path) if self._faults else None
        if fault is not None and not fault.after_processing:
            faulted = await self._apply_fault(request, fault)
            if faulted is not None:
                return faulted
        response = self._process(request, method, path, body, parsed, json_ok)
        if fault is not None and fault.after_processing:
            faulted = await self._apply_fault(request, fault)
            if faulted is not None:
                return faulted
        if isinstance(response, _PendingStream):
            return await self._write_stream(request, response)
        return response

    async def _write_stream(
        self, request: web.BaseRequest, pending: _PendingStream
    ) -> web.StreamResponse:
        """Write a streamed body piece by piece (one HTTP chunk each) with
        ``stream_pause`` between pieces. A client that goes away mid-stream ends it
        quietly (counted in :attr:`streams_aborted`)."""
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        if self._streams_idle is not None:
            self._streams_idle.clear()
        headers = dict(pending.headers)
        headers.update(pending.body.headers)
        headers["Content-Type"] = pending.body.content_type
        response = web.StreamResponse(status=pending.status, headers=headers)
        try:
            await response.prepare(request)
            for i, piece in enumerate(pending.body.pieces):
                if i:
                    await self._stream_gap()
                transport = request.transport
                if transport is None or transport.is_closing():
                    raise ConnectionResetError("the client went away")
                await response.write(piece)
            await response.write_eof()
        except ConnectionError:
            self.streams_aborted += 1
        except asyncio.CancelledError:  # stop() cut it off
            self.streams_aborted += 1
            raise
        else:
            self.streams_completed += 1
        finally:
            if task is not None:
                self._streams.discard(task)
            if not self._streams and self._streams_idle is not None:
                self._streams_idle.set()
        return response

    async def _stream_gap(self) -> None:
        if self.stream_pause > 0:
            await self._sleep(self.stream_pause)
        else:
            await asyncio.sleep(0)

    def _process(
        self,
        request: web.BaseRequest,
        method: str,
        path: str,
        body: bytes,
        parsed: Any,
        json_ok: bool,
    ) -> web.Response | _PendingStream:
        """Handle a request for real (its effects apply) and build the response."""
        now = self._clock()
        if path in (IAM_PATH, CP4D_PATH):
            family = "iam" if path == IAM_PATH else "cp4d"
            if self._outages:
                outage = self._take_outage(family)
                if outage is not None:
                    return self._outage_response(request, outage, family == "iam", now)
            rate_headers, limited = self._rate_check(family, now)
            if limited:
                return self._too_many(family, request, now, rate_headers)
            if family == "iam":
                response = self._iam(request, method, body, now)
            else:
                response = self._cp4d(method, parsed, json_ok, now)
            if rate_headers:
                response.headers.update(rate_headers)
            return response
        if not path.startswith(self._v2_prefix):
            return self._json_response(*_NOT_FOUND, self._std_headers(now))
        match = self._route(method, path[len(self._v2_prefix) :])
        if match is None:
            return self._json_response(*_NOT_FOUND, self._std_headers(now))
        family, handler, args = match
        if handler is None:
            return self._json_response(*_METHOD_NOT_ALLOWED, self._std_headers(now))
        rate_headers, limited = self._rate_check(family, now)
        if limited:
            return self._too_many(family, request, now, rate_headers)
        headers = self._std_headers(now)
        headers.update(rate_headers)
        if not self._authorized(request, now):
            self._unauthorized_responses += 1
            return self._json_response(*_UNAUTHORIZED, headers)
        query = request.query
        if not query.get("version"):
            return self._json_response(*_MISSING_VERSION, headers)
        call = _Call(method, query, request.headers, body, parsed, json_ok, now)
        status, payload = handler(call, *args)
        if isinstance(payload, StreamBody):
            return _PendingStream(status, headers, payload)
        return self._json_response(status, payload, headers)

    def _route(self, method: str, path: str) -> tuple[str, _Handler | None, tuple[Any, ...]] | None:
        """Map a path under ``v2/`` to (rate-limit family, handler or None for 405, its
        IDs in path order with ``None`` for a missing environment); None for an unknown
        route (404)."""
        parts = path.split("/")
        if "" in parts:
            return None
        for route in _ROUTES.get(len(parts), ()):
            if all(parts[i] == text for i, text in route.literals):
                endpoint = route.endpoints.get(method)
                if endpoint is None:
                    return "", None, ()
                args = tuple(None if i is None else parts[i] for i in route.slots)
                return BY_NAME[endpoint].family, self._handlers[endpoint], args
        return None

    def _handler(self, endpoint: str) -> _Handler:
        """The handler of ``endpoint``: the resource API's, the fake's own
        ``_endpoint`` or the log store's."""
        for owner, name in ((self._api, endpoint), (self, f"_{endpoint}"), (self._log, endpoint)):
            handler: _Handler | None = getattr(owner, name, None)
            if handler is not None:
                return handler
        raise LookupError(f"the fake has no handler for {endpoint}")

    # ------------------------------------------------------------------ IAM

    def _mint_token(self, now: float, lifetime: float, issuer: str) -> tuple[str, float]:
        """A new access token valid until ``now + lifetime``: (token, expiry)."""
        expiry = now + lifetime
        header = _b64url(b'{"kid":"fake-key","alg":"RS256"}')
        claims: dict[str, Any]
        if issuer == "cp4d":
            claims = {
                "username": self.cp4d_username,
                "role": "Admin",
                "permissions": ["administrator"],
                "groups": [10000],
                "sub": self.cp4d_username,
                "iss": "KNOXSSO",
                "aud": "DSX",
                "uid": "1000330999",
                "authenticator": "default",
                "display_name": self.cp4d_username,
            }
        else:
            claims = {
                "iam_id": "iam-ServiceId-fake",
                "id": "iam-ServiceId-fake",
                "sub": "ServiceId-fake",
                "sub_type": "ServiceId",
                "iss": "https://iam.fake/identity",
                "grant_type": APIKEY_GRANT,
                "scope": "ibm openid",
                "client_id": "default",
            }
        claims["jti"] = uuid.uuid4().hex
        claims["iat"] = _num(now)
        claims["exp"] = _num(expiry)
        token = f"{header}.{_b64url(_json.dumps(claims))}.{_b64url(secrets.token_bytes(32))}"
        self._tokens[token] = expiry
        self.tokens_issued += 1
        return token, expiry

    def _iam_error(
        self, request: web.BaseRequest, code: str, message: str, now: float, status: int = 400
    ) -> web.Response:
        headers = self._std_headers(now)
        payload = {
            "errorCode": code,
            "errorMessage": message,
            "context": {
                "requestId": headers["X-Global-Transaction-Id"],
                "requestType": "incoming.Identity_Token",
                "userAgent": request.headers.get("User-Agent", ""),
                "url": "https://iam.fake",
                "instanceId": "iamid-fake",
                "threadId": "1",
                "host": "iam.fake",
                "startTime": _iso(now),
                "endTime": _iso(now),
                "elapsedTime": "0",
                "locale": "en_US",
                "clusterName": "iam-fake",
            },
        }
        return self._json_response(status, payload, headers)

    def _iam(self, request: web.BaseRequest, method: str, body: bytes, now: float) -> web.Response:
        if method != "POST":
            return self._iam_error(request, "BXNIM0102E", "Method not allowed.", now, 405)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        grant = form.get("grant_type")
        if not grant:
            return self._iam_error(request, "BXNIM0109E", "Property missing or empty.", now)
        if grant == APIKEY_GRANT:
            apikey = form.get("apikey")
            if not apikey:
                return self._iam_error(request, "BXNIM0109E", "Property missing or empty.", now)
            if apikey != self.apikey:
                return self._iam_error(
                    request, "BXNIM0415E", "Provided API key could not be found.", now
                )
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self._refresh_tokens:
                return self._iam_error(
                    request, "BXNIM0407E", "Provided refresh token is not valid.", now
                )
        else:
            return self._iam_error(request, "BXNIM0103E", "Unsupported grant type.", now)
        token, expiry = self._mint_token(now, self.token_lifetime, "iam")
        refresh = secrets.token_urlsafe(24)
        self._refresh_tokens.add(refresh)
        payload = {
            "access_token": token,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": _num(self.token_lifetime),
            "expiration": _num(expiry),
            "scope": "ibm openid",
        }
        return self._json_response(200, payload, self._std_headers(now))

    def _outage_response(
        self, request: web.BaseRequest, outage: _Outage, is_iam: bool, now: float
    ) -> web.Response:
        if outage.disconnect:
            return self._disconnect(request)
        status = outage.status
        if outage.body is not None:
            headers = self._std_headers(now)
            if outage.content_type is not None:
                headers["Content-Type"] = outage.content_type
            if outage.headers:
                headers.update(outage.headers)
            return web.Response(status=status, body=outage.body, headers=headers)
        if is_iam:
            response = self._iam_error(request, "BXNIM0001E", _phrase(status) + ".", now, status)
        else:
            response = self._json_response(
                status, _cp4d_error(status, _phrase(status)), self._std_headers(now)
            )
        if outage.headers:
            response.headers.update(outage.headers)
        return response

    # ------------------------------------------------------------------ CP4D

    def _cp4d(self, method: str, parsed: Any, json_ok: bool, now: float) -> web.Response:
        """``POST /v1/authorize``: a Cloud Pak for Data bearer token for a username
        and a password or an API key."""
        headers = self._std_headers(now)
        if method != "POST":
            return self._json_response(405, _cp4d_error(405, "Method Not Allowed"), headers)
        if not json_ok or not isinstance(parsed, dict):
            return self._json_response(400, _cp4d_error(400, "Invalid request body"), headers)
        username = parsed.get("username")
        password = parsed.get("password")
        api_key = parsed.get("api_key")
        secret = password if api_key is None else api_key
        if (
            not isinstance(username, str)
            or not username
            or (password is None) == (api_key is None)
            or not isinstance(secret, str)
        ):
            return self._json_response(
                400,
                _cp4d_error(400, "username and one of password or api_key are required"),
                headers,
            )
        expected = self.cp4d_password if api_key is None else self.cp4d_apikey
        if username != self.cp4d_username or secret != expected:
            return self._json_response(
                401, _cp4d_error(401, "Invalid user name or password"), headers
            )
        token, _ = self._mint_token(now, self.token_lifetime, "cp4d")
        payload = {"_messageCode_": "200", "message": "Success", "token": token}
        return self._json_response(200, payload, headers)

    # ------------------------------------------------------------------ assistants

    def _add_assistant(
        self,
        name: str,
        description: str,
        language: str,
        now: float,
        assistant_id: str | None = None,
        live_environment_id: str | None = None,
    ) -> _Assistant:
        self._assistant_seq += 1
        assistant = _Assistant.new(
            name,
            description,
            language,
            now,
            self._assistant_seq,
            assistant_id=assistant_id,
            live_environment_id=live_environment_id,
        )
        self._assistants[assistant.assistant_id] = assistant
        self._env_index[assistant.draft_environment_id] = assistant
        self._env_index[assistant.live_environment_id] = assistant
        return assistant

    def _resolve(self, aid: str, eid: str | None) -> _Assistant | None:
        assistant = self._assistants.get(aid)
        if eid is None:
            # Classic path: {id} is an assistant id or an environment id.
            return assistant if assistant is not None else self._env_index.get(aid)
        if assistant is None or eid not in (
            assistant.draft_environment_id,
            assistant.live_environment_id,
        ):
            return None
        return assistant

    @staticmethod
    def _environment_of(assistant: _Assistant, aid: str, eid: str | None) -> str:
        """The environment a (resolved) session or message route addresses: ``eid``,
        else the classic ``{id}`` when it is an environment id, else live."""
        if eid is not None:
            return eid
        if aid in assistant.environments:
            return aid
        return assistant.live_environment_id

    @staticmethod
    def _body_object(call: _Call) -> tuple[dict[str, Any], _Result | None]:
        return _body_object_of(call)

    def _create_assistant(self, call: _Call) -> _Result:
        body, err = self._body_object(call)
        if err is not None:
            return err
        values: dict[str, str] = {}
        fields = (("name", "", 64), ("description", "", 128), ("language", "en", 64))
        for key, default, limit in fields:
            value = body.get(key)
            if value is None:
                values[key] = default
            elif not isinstance(value, str):
                return _bad_body(f"{key} must be a string", key)
            elif len(value) > limit:
                return _bad_body(f"{key} cannot be longer than {limit} characters", key)
            else:
                values[key] = value
        assistant = self._add_assistant(
            values["name"], values["description"], values["language"], call.now
        )
        return 200, assistant.to_json()

    def _list_assistants(self, call: _Call) -> _Result:
        return paginate(
            call.query,
            list(self._assistants.values()),
            key="assistants",
            path="/v2/assistants",
            sorts={"name": lambda a: (a.name, a.seq), "updated": lambda a: (a.updated, a.seq)},
            render=_Assistant.to_json,
        )

    def _delete_assistant(self, call: _Call, aid: str) -> _Result:
        assistant = self._assistants.pop(aid, None)
        if assistant is None:
            return _NOT_FOUND
        self._env_index.pop(assistant.draft_environment_id, None)
        self._env_index.pop(assistant.live_environment_id, None)
        for sid in [s for s, v in self._sessions.items() if v.assistant_id == aid]:
            del self._sessions[sid]
        return 200, None

    # ------------------------------------------------------------------ sessions

    def _record_analytics(
        self, event: str, assistant_id: str, session_id: str | None, body: dict[str, Any]
    ) -> None:
        analytics = body.get("analytics")
        if analytics is None:
            inp = body.get("input")
            if isinstance(inp, dict):
                analytics = inp.get("analytics")
        if analytics is not None:
            self.analytics.append(RecordedAnalytics(event, assistant_id, session_id, analytics))

    def _create_session(self, call: _Call, aid: str, eid: str | None) -> _Result:
        assistant = self._resolve(aid, eid)
        if assistant is None:
            return _NOT_FOUND
        body, err = self._body_object(call)
        if err is not None:
            return err
        sid = str(uuid.uuid4())
        self._record_analytics("create_session", assistant.assistant_id, sid, body)
        state = BotState(session_id=sid, session_start_time=_iso(call.now))
        env = self._environment_of(assistant, aid, eid)
        self._sessions[sid] = _Session(assistant.assistant_id, env, state, call.now)
        return 201, {"session_id": sid}

    def _timeout_of(self, session: _Session) -> float:
        """The inactivity timeout of ``session``: its environment's ``session_timeout``
        when one was set with update_environment, else :attr:`session_timeout`."""
        assistant = self._assistants.get(session.assistant_id)
        env = assistant.environments.get(session.environment_id) if assistant else None
        if env is not None and env.session_timeout is not None:
            return float(env.session_timeout)
        return self.session_timeout

    def _live_session(self, sid: str, assistant: _Assistant, now: float) -> _Session | None:
        session = self._sessions.get(sid)
        if session is None or session.assistant_id != assistant.assistant_id:
            return None
        if now - session.last_active >= self._timeout_of(session):
            del self._sessions[sid]
            return None
        return session

    def _delete_session(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        assistant = self._resolve(aid, eid)
        if assistant is None:
            return _NOT_FOUND
        if self._live_session(sid, assistant, call.now) is None:
            return _INVALID_SESSION
        del self._sessions[sid]
        return 200, None

    # ------------------------------------------------------------------ messages

    @staticmethod
    def _check_message(
        body: dict[str, Any],
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None, _Result | None]:
        """Validate a message body: (text, options, context, error)."""
        inp = body.get("input")
        if inp is None:
            inp = {}
        elif not isinstance(inp, dict):
            return "", {}, None, _bad_body("input must be an object", "input")
        text = inp.get("text")
        if text is None:
            text = ""
        elif not isinstance(text, str):
            return "", {}, None, _bad_body("input.text must be a string", "input.text")
        if len(text) > MAX_TEXT:
            return (
                "",
                {},
                None,
                _bad_body(f"Text cannot be longer than {MAX_TEXT} characters", "input.text"),
            )
        if any(c in text for c in _FORBIDDEN_TEXT_CHARS):
            return (
                "",
                {},
                None,
                _bad_body(
                    "Text cannot contain carriage return, newline, or tab characters",
                    "input.text",
                ),
            )
        options = inp.get("options")
        if options is None:
            options = {}
        elif not isinstance(options, dict):
            return "", {}, None, _bad_body("input.options must be an object", "input.options")
        user_id = body.get("user_id")
        if user_id is not None and (
            not isinstance(user_id, str) or not 1 <= len(user_id) <= MAX_USER_ID
        ):
            return (
                "",
                {},
                None,
                _bad_body(f"user_id must be a string of 1 to {MAX_USER_ID} characters", "user_id"),
            )
        context = body.get("context")
        if context is not None and not isinstance(context, dict):
            return "", {}, None, _bad_body("context must be an object", "context")
        return text, options, context, None

    @staticmethod
    def _context_state(context: dict[str, Any] | None) -> BotState | None:
        """The bot state carried in ``context.skills[...].system.state``, if valid."""
        if not context:
            return None
        skills = context.get("skills")
        if not isinstance(skills, dict):
            return None
        for name in (ACTIONS_SKILL, MAIN_SKILL):
            skill = skills.get(name)
            if isinstance(skill, dict):
                system = skill.get("system")
                if isinstance(system, dict):
                    state = BotState.decode(system.get("state"))
                    if state is not None:
                        return state
        return None

    def _parse_message(self, call: _Call, aid: str, eid: str | None) -> _Parsed | _Result:
        """What both message routes check first: the assistant, the body, the input."""
        assistant = self._resolve(aid, eid)
        if assistant is None:
            return _NOT_FOUND
        body, err = self._body_object(call)
        if err is not None:
            return err
        text, options, context, err = self._check_message(body)
        if err is not None:
            return err
        env = self._environment_of(assistant, aid, eid)
        return _Parsed(assistant, env, body, text, options, context)

    def _message(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        parsed = self._parse_message(call, aid, eid)
        if not isinstance(parsed, _Parsed):
            return parsed
        assistant, _, body, text, options, context = parsed
        session = self._live_session(sid, assistant, call.now)
        if session is None:
            return _INVALID_SESSION
        if len(call.body) > MAX_STATEFUL_BODY:
            return _bad_body("Context is larger than 100 KB", "context")
        if context:
            restored = self._context_state(context)
            if restored is not None:
                restored.session_id = sid
                session.state = restored
        state = session.state
        if context:
            state.absorb_context(context)
        user_id = body.get("user_id")
        if user_id is not None:
            state.user_id = user_id
        self._record_analytics("message", assistant.assistant_id, sid, body)
        output = run_turn(
            state,
            text,
            now_iso=_iso(call.now),
            alternate_intents=options.get("alternate_intents") is True,
            debug=options.get("debug") is True,
            restart=options.get("restart") is True,
        )
        session.last_active = call.now
        self._turn_texts.setdefault(sid, []).append(text)
        self.total_turns_processed += 1
        response: dict[str, Any] = {"output": output, "user_id": state.user_id or sid}
        export = options.get("export") is True
        if export or options.get("return_context") is True:
            response["context"] = state.context(include_state=False, export=export)
        logged = dict(response)
        logged.setdefault("context", state.context(include_state=False, export=False))
        self._log_turn(call, assistant, session.environment_id, sid, body, logged)
        return 200, response

    def _message_stream(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        status, payload = self._message(call, aid, eid, sid)
        if status != 200:
            return status, payload
        return 200, self._sse(payload)

    def _message_stream_stateless(self, call: _Call, aid: str, eid: str | None) -> _Result:
        status, payload = self._message_stateless(call, aid, eid)
        if status != 200:
            return status, payload
        return 200, self._sse(payload)

    def _sse(self, response: dict[str, Any]) -> StreamBody:
        return StreamBody(
            SSE_CONTENT_TYPE,
            sse_pieces(response, extras=self.sse_extras),
            {"Cache-Control": "no-cache"},
        )

    def _log_turn(
        self,
        call: _Call,
        assistant: _Assistant,
        environment_id: str,
        session_id: str,
        body: dict[str, Any],
        response: dict[str, Any],
    ) -> None:
        """Record a handled message turn for ``list_logs``."""
        if not self.record_logs:
            return
        request: dict[str, Any] = {"input": body.get("input") or {}}
        if body.get("context") is not None:
            request["context"] = body["context"]
        if body.get("user_id") is not None:
            request["user_id"] = body["user_id"]
        env = assistant.environments.get(environment_id)
        action = assistant.skill_of_type("action")
        self._log.record(
            assistant_id=assistant.assistant_id,
            session_id=session_id,
            skill_id=action.skill_id if action is not None else None,
            snapshot=(env.release if env is not None else None) or "draft",
            language=assistant.language,
            customer_id=customer_id_of(call.headers),
            request=request,
            response=response,
            request_time=call.now,
            response_time=self._clock(),
        )

    def _list_logs(self, call: _Call, aid: str) -> _Result:
        if aid not in self._assistants:
            return _NOT_FOUND
        return self._log.list_logs(call, aid)

    def _message_stateless(self, call: _Call, aid: str, eid: str | None) -> _Result:
        parsed = self._parse_message(call, aid, eid)
        if not isinstance(parsed, _Parsed):
            return parsed
        assistant, env, body, text, options, context = parsed
        if len(call.body) > MAX_STATELESS_BODY:
            return _bad_body("Context is larger than 250 KB", "context")
        state = self._context_state(context)
        if state is None:
            sid: Any = None
            if context:
                glob = context.get("global")
                if isinstance(glob, dict):
                    sid = glob.get("session_id")
            if not isinstance(sid, str) or not sid:
                sid = str(uuid.uuid4())
            state = BotState(session_id=sid, session_start_time=_iso(call.now))
        if context:
            state.absorb_context(context)
        user_id = body.get("user_id")
        if user_id is not None:
            state.user_id = user_id
        self._record_analytics("message_stateless", assistant.assistant_id, state.session_id, body)
        output = run_turn(
            state,
            text,
            now_iso=_iso(call.now),
            alternate_intents=options.get("alternate_intents") is True,
            debug=options.get("debug") is True,
            restart=options.get("restart") is True,
        )
        response = {
            "output": output,
            "context": state.context(include_state=True, export=options.get("export") is True),
            "user_id": state.user_id or state.session_id,
        }
        self._log_turn(call, assistant, env, state.session_id, body, response)
        return 200, response
