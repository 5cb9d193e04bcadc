"""``FakeAssistant``: a fake Watson Assistant v2 service (and IAM) on a loopback socket.

It speaks plain HTTP through aiohttp's low-level server and deliberately knows nothing
about the client package: requests and responses are plain dicts.
"""

from __future__ import annotations

import asyncio
import base64
import math
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from watson_async import _json

from ._records import RecordedAnalytics, RecordedRequest
from ._script import ACTIONS_SKILL, MAIN_SKILL, BotState, run_turn

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

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
IAM_PATH = "/identity/token"
MAX_TEXT = 2048
MAX_USER_ID = 256
MAX_STATEFUL_BODY = 100 * 1024
MAX_STATELESS_BODY = 250 * 1024
MAX_PAGE_LIMIT = 1000
# X-RateLimit-Limit reported when the fake is not rate limited (rate_limit=None).
UNLIMITED_RATE = 1_000_000

_JSON = "application/json"
_TEXT = "text/plain"
_FORBIDDEN_TEXT_CHARS = ("\r", "\n", "\t")

_Result = tuple[int, Any]  # (status, JSON payload or None for an empty body)
_Handler = Callable[..., _Result]


class _Parsed(NamedTuple):
    assistant: _Assistant
    body: dict[str, Any]
    text: str
    options: dict[str, Any]
    context: dict[str, Any] | None


def _error(status: int, error: str, errors: list[dict[str, str]] | None = None) -> _Result:
    payload: dict[str, Any] = {"error": error, "code": status}
    if errors is not None:
        payload["errors"] = errors
    return status, payload


def _bad_body(message: str, path: str) -> _Result:
    return _error(400, "Invalid Request Body", [{"message": message, "path": path}])


_NOT_FOUND = _error(404, "Resource not found")
_INVALID_SESSION = _error(404, "Invalid Session")
_UNAUTHORIZED = (401, {"code": 401, "error": "Unauthorized"})
_METHOD_NOT_ALLOWED = _error(405, "Method Not Allowed")
_MISSING_VERSION = _error(400, "Missing required query parameter `version`")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() == "true"


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


@dataclass(slots=True)
class _Assistant:
    assistant_id: str
    name: str
    description: str
    language: str
    draft_environment_id: str
    live_environment_id: str
    seq: int
    updated: float

    def to_json(self) -> dict[str, Any]:
        return {
            "assistant_id": self.assistant_id,
            "name": self.name,
            "description": self.description,
            "language": self.language,
            "assistant_skills": [],
            "assistant_environments": [
                {
                    "name": "draft",
                    "environment_id": self.draft_environment_id,
                    "environment": "draft",
                },
                {
                    "name": "live",
                    "environment_id": self.live_environment_id,
                    "environment": "live",
                },
            ],
        }


@dataclass(slots=True)
class _Session:
    assistant_id: str
    state: BotState
    last_active: float


@dataclass(slots=True)
class _Call:
    """One v2 request, as the handlers see it."""

    method: str
    query: Mapping[str, str]
    body: bytes
    json: Any
    json_ok: bool
    now: float


class FakeAssistant:
    """A fake Watson Assistant v2 service and IAM token endpoint on a real socket.

    ``async with FakeAssistant() as fake:`` binds ``host`` on a free port; point a
    client at :attr:`service_url` and :attr:`iam_url` with :attr:`apikey`. Time comes
    from ``clock`` (wall-clock seconds), so tests can expire tokens, sessions and
    rate-limit windows without sleeping.
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
        rate_limit_headers: bool = True,
        retry_after_header: bool = False,
        extra_assistants: int = 0,
        latency: float = 0.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
    ) -> None:
        if rate_limit is not None and rate_limit < 0:
            raise ValueError("rate_limit must be >= 0 or None")
        if rate_limit_window <= 0:
            raise ValueError("rate_limit_window must be > 0")
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
        self.rate_limit_headers = rate_limit_headers
        self.retry_after_header = retry_after_header
        self.latency = latency
        self.record_requests = record_requests
        self._sleep = sleep
        self._clock = clock

        self.iam_calls = 0
        self.tokens_issued = 0
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
        self._windows: dict[str, list[float]] = {}  # endpoint -> [window start, count]
        self._faults: list[_Fault] = []
        self._txn_prefix = secrets.token_hex(8)
        self._txn_counter = 0
        self._date_second = -1
        self._date_text = ""
        self._v2_prefix = f"/instances/{instance_id}/v2/"

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
        server = web.Server(self._handle, access_log=None)
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
        """Stop serving and close connections; safe to call more than once."""
        runner, self._runner = self._runner, None
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

    # ------------------------------------------------------------------ inspection

    @property
    def sessions(self) -> frozenset[str]:
        """The ids of the sessions that are live now (not deleted, not expired)."""
        now = self._clock()
        timeout = self.session_timeout
        return frozenset(sid for sid, s in self._sessions.items() if now - s.last_active < timeout)

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

    def revoke_tokens(self) -> None:
        """Invalidate every issued access and refresh token (v2 calls get 401)."""
        self._tokens.clear()
        self._refresh_tokens.clear()

    def issue_token(self, *, lifetime: float | None = None) -> str:
        """Mint a valid access token directly (for bearer-token clients)."""
        return self._mint_token(self._clock(), lifetime or self.token_lifetime)[0]

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

    # ------------------------------------------------------------------ faults

    def enqueue_error(
        self,
        status: int,
        *,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead.

        A mapping/list body is sent as JSON, str/bytes as ``text/plain``; with
        ``body=None`` a 4xx/5xx gets ``{"error": <reason>, "code": status}`` and other
        statuses an empty body. ``X-Global-Transaction-Id`` and ``Date`` are added
        unless ``headers`` sets them; rate-limit headers are not (pass them).
        """
        content_type: str | None
        if body is None:
            if status >= 400:
                try:
                    reason = HTTPStatus(status).phrase
                except ValueError:
                    reason = "Error"
                raw = _json.dumps({"error": reason, "code": status})
                content_type = _JSON
            else:
                raw, content_type = b"", None
        elif isinstance(body, bytes):
            raw, content_type = body, _TEXT
        elif isinstance(body, str):
            raw, content_type = body.encode(), _TEXT
        else:
            raw, content_type = _json.dumps(body), _JSON
        self._faults.append(
            _Fault(
                "error",
                method.upper() if method else None,
                path_contains,
                times,
                status=status,
                body=raw,
                content_type=content_type,
                headers=dict(headers) if headers else None,
            )
        )

    def enqueue_disconnect(
        self, *, method: str | None = None, path_contains: str | None = None, times: int = 1
    ) -> None:
        """Close the connection of the next ``times`` matching requests unanswered."""
        self._faults.append(
            _Fault("disconnect", method.upper() if method else None, path_contains, times)
        )

    def enqueue_delay(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
    ) -> None:
        """Delay the next ``times`` matching requests (through the injected ``sleep``)
        before handling them normally: for client timeout tests."""
        self._faults.append(
            _Fault("delay", method.upper() if method else None, path_contains, times, delay=seconds)
        )

    def clear_faults(self) -> None:
        self._faults.clear()

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
        second = int(now)
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

    def _rate_headers(self, endpoint: str, now: float) -> tuple[dict[str, str], bool]:
        window = self.rate_limit_window
        start = math.floor(now / window) * window
        entry = self._windows.get(endpoint)
        if entry is None or entry[0] != start:
            entry = [start, 0.0]
            self._windows[endpoint] = entry
        entry[1] += 1
        count = int(entry[1])
        limit = self.rate_limit
        limited = limit is not None and count > limit
        if not self.rate_limit_headers:
            return {}, limited
        shown = UNLIMITED_RATE if limit is None else limit
        reset = math.ceil(start + window)
        headers = {
            "X-RateLimit-Limit": str(shown),
            "X-RateLimit-Remaining": str(max(shown - count, 0)),
            "X-RateLimit-Reset": str(reset),
        }
        if limited and self.retry_after_header:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
        return headers, limited

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

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        method = request.method
        path = request.path
        body = await request.read() if request.body_exists else b""
        is_iam = path == IAM_PATH
        if is_iam:
            self.iam_calls += 1
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

        if self._faults:
            fault = self._take_fault(method, path)
            if fault is not None:
                if fault.kind == "disconnect":
                    transport = request.transport
                    if transport is not None:
                        transport.close()
                    # Writing this to the closed transport fails; aiohttp drops it.
                    return web.Response(status=500)
                if fault.kind == "delay":
                    await self._sleep(fault.delay)
                else:
                    headers = self._std_headers(self._clock())
                    if fault.headers:
                        headers.update(fault.headers)
                    if fault.content_type is not None and not any(
                        k.lower() == "content-type" for k in headers
                    ):
                        headers["Content-Type"] = fault.content_type
                    return web.Response(status=fault.status, body=fault.body, headers=headers)

        now = self._clock()
        if is_iam:
            return self._iam(request, method, body, now)
        if not path.startswith(self._v2_prefix):
            return self._json_response(*_NOT_FOUND, self._std_headers(now))
        match = self._route(method, path[len(self._v2_prefix) :].split("/"))
        if match is None:
            return self._json_response(*_NOT_FOUND, self._std_headers(now))
        endpoint, handler, args = match
        headers = self._std_headers(now)
        if handler is None:
            return self._json_response(*_METHOD_NOT_ALLOWED, headers)
        rate_headers, limited = self._rate_headers(endpoint, now)
        if rate_headers:
            headers.update(rate_headers)
        if limited:
            return self._json_response(429, {"error": "Rate limit exceeded", "code": 429}, headers)
        if not self._authorized(request, now):
            return self._json_response(*_UNAUTHORIZED, headers)
        query = request.query
        if not query.get("version"):
            return self._json_response(*_MISSING_VERSION, headers)
        call = _Call(method, query, body, parsed, json_ok, now)
        status, payload = handler(call, *args)
        return self._json_response(status, payload, headers)

    def _route(
        self, method: str, parts: list[str]
    ) -> tuple[str, _Handler | None, tuple[Any, ...]] | None:
        """Map ``v2/...`` path segments to (endpoint key, handler or None for 405, args)."""
        n = len(parts)
        if n == 0 or parts[0] != "assistants" or any(not p for p in parts[1:]):
            return None
        if n == 1:
            if method == "POST":
                return "POST /v2/assistants", self._create_assistant, ()
            if method == "GET":
                return "GET /v2/assistants", self._list_assistants, ()
            return "", None, ()
        aid = parts[1]
        if n == 2:
            if method == "DELETE":
                return "DELETE /v2/assistants/{id}", self._delete_assistant, (aid,)
            return "", None, ()
        eid: str | None
        if parts[2] == "environments" and n >= 5:
            eid, tail, prefix = parts[3], parts[4:], "/v2/assistants/{id}/environments/{id}"
        else:
            eid, tail, prefix = None, parts[2:], "/v2/assistants/{id}"
        t = len(tail)
        if tail[0] == "sessions":
            if t == 1:
                if method == "POST":
                    return f"POST {prefix}/sessions", self._create_session, (aid, eid)
                return "", None, ()
            if t == 2:
                if method == "DELETE":
                    return (
                        f"DELETE {prefix}/sessions/{{id}}",
                        self._delete_session,
                        (aid, eid, tail[1]),
                    )
                return "", None, ()
            if t == 3 and tail[2] == "message":
                if method == "POST":
                    return (
                        f"POST {prefix}/sessions/{{id}}/message",
                        self._message,
                        (aid, eid, tail[1]),
                    )
                return "", None, ()
            return None
        if t == 1 and tail[0] == "message":
            if method == "POST":
                return f"POST {prefix}/message", self._message_stateless, (aid, eid)
            return "", None, ()
        return None

    # ------------------------------------------------------------------ IAM

    def _mint_token(self, now: float, lifetime: float) -> tuple[str, float]:
        expiry = now + lifetime
        header = _b64url(b'{"kid":"fake-key","alg":"RS256"}')
        claims = {
            "iam_id": "iam-ServiceId-fake",
            "id": "iam-ServiceId-fake",
            "sub": "ServiceId-fake",
            "sub_type": "ServiceId",
            "iss": "https://iam.fake/identity",
            "grant_type": APIKEY_GRANT,
            "scope": "ibm openid",
            "client_id": "default",
            "jti": uuid.uuid4().hex,
            "iat": int(now),
            "exp": int(expiry),
        }
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
        token, expiry = self._mint_token(now, self.token_lifetime)
        refresh = secrets.token_urlsafe(24)
        self._refresh_tokens.add(refresh)
        payload = {
            "access_token": token,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime),
            "expiration": int(expiry),
            "scope": "ibm openid",
        }
        return self._json_response(200, payload, self._std_headers(now))

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
        assistant = _Assistant(
            assistant_id=assistant_id or str(uuid.uuid4()),
            name=name,
            description=description,
            language=language,
            draft_environment_id=str(uuid.uuid4()),
            live_environment_id=live_environment_id or str(uuid.uuid4()),
            seq=self._assistant_seq,
            updated=now,
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
    def _body_object(call: _Call) -> tuple[dict[str, Any], _Result | None]:
        if not call.body:
            return {}, None
        if not call.json_ok:
            return {}, _bad_body("Request body is not valid JSON", "")
        if not isinstance(call.json, dict):
            return {}, _bad_body("Request body must be a JSON object", "")
        return call.json, None

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
        query = call.query
        raw_limit = query.get("page_limit", "100")
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_PAGE_LIMIT:
            return _error(400, f"Invalid value `{raw_limit}` for query parameter `page_limit`")
        sort = query.get("sort")
        if sort not in (None, "name", "-name", "updated", "-updated"):
            return _error(400, f"Invalid value `{sort}` for query parameter `sort`")
        cursor = query.get("cursor")
        offset = 0
        if cursor:
            try:
                offset = int(base64.urlsafe_b64decode(cursor + "==").decode("ascii"))
            except ValueError:
                offset = -1
            if offset < 0:
                return _error(400, "Invalid value for query parameter `cursor`")
        items = list(self._assistants.values())
        if sort is not None:
            if sort.endswith("name"):
                items.sort(key=lambda a: (a.name, a.seq), reverse=sort.startswith("-"))
            else:
                items.sort(key=lambda a: (a.updated, a.seq), reverse=sort.startswith("-"))
        page = items[offset : offset + limit]
        params = {k: v for k, v in query.items() if k != "cursor"}
        refresh = {**params, "cursor": cursor} if cursor else params
        pagination: dict[str, Any] = {"refresh_url": "/v2/assistants?" + urlencode(refresh)}
        if cursor:
            pagination["refresh_cursor"] = cursor
        if offset + limit < len(items):
            next_cursor = _b64url(str(offset + limit).encode())
            pagination["next_cursor"] = next_cursor
            next_params = {**params, "cursor": next_cursor}
            pagination["next_url"] = "/v2/assistants?" + urlencode(next_params)
        if _flag(query.get("include_count")):
            pagination["total"] = len(items)
        return 200, {"assistants": [a.to_json() for a in page], "pagination": pagination}

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
        self._sessions[sid] = _Session(assistant.assistant_id, state, call.now)
        return 201, {"session_id": sid}

    def _live_session(self, sid: str, assistant: _Assistant, now: float) -> _Session | None:
        session = self._sessions.get(sid)
        if session is None or session.assistant_id != assistant.assistant_id:
            return None
        if now - session.last_active >= self.session_timeout:
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
        return _Parsed(assistant, body, text, options, context)

    def _message(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        parsed = self._parse_message(call, aid, eid)
        if not isinstance(parsed, _Parsed):
            return parsed
        assistant, body, text, options, context = parsed
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
        response: dict[str, Any] = {"output": output, "user_id": state.user_id or sid}
        export = options.get("export") is True
        if export or options.get("return_context") is True:
            response["context"] = state.context(include_state=False, export=export)
        return 200, response

    def _message_stateless(self, call: _Call, aid: str, eid: str | None) -> _Result:
        parsed = self._parse_message(call, aid, eid)
        if not isinstance(parsed, _Parsed):
            return parsed
        assistant, body, text, options, context = parsed
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
        return 200, {
            "output": output,
            "context": state.context(include_state=True, export=options.get("export") is True),
            "user_id": state.user_id or state.session_id,
        }
