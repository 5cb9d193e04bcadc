"""Authenticators: each hands the client the ``Authorization`` header for a request.

* :class:`IAMAuthenticator` — IBM Cloud API key exchanged for an IAM access token,
  kept fresh by a background task; one IAM call however many callers wait.
* :class:`CloudPakForDataAuthenticator` — Cloud Pak for Data user name with a
  password or an API key, same refresh machinery.
* :class:`BearerTokenAuthenticator` — a token you obtained yourself.
* :class:`BasicAuthenticator` — user name and password (``apikey`` + key on some
  deployments).
* :class:`NoAuthAuthenticator` — no header (local fakes, proxies that add auth).

Secrets never appear in a ``repr``, a log line or an exception.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import attrs

from watson_async.protocol import codec as _json
from watson_async.protocol.secret import SecretBytes, SecretStr
from watson_async.protocol.wire import backoff_wait, error_from_response
from watson_async.transport import AiohttpTransport, ConnectionSettings, HttpResponse, Transport

from .errors import AuthenticationError, ClientClosedError, ResponseParseError, WatsonError

__all__ = [
    "DEFAULT_IAM_URL",
    "AccessToken",
    "Authenticator",
    "BasicAuthenticator",
    "BearerTokenAuthenticator",
    "CloudPakForDataAuthenticator",
    "IAMAuthenticator",
    "NoAuthAuthenticator",
    "RefreshEvent",
    "RefreshListener",
    "TokenAuthenticator",
]

DEFAULT_IAM_URL = "https://iam.cloud.ibm.com"
_IAM_TOKEN_PATH = "/identity/token"
_CP4D_AUTHORIZE_PATH = "/v1/authorize"

_log = logging.getLogger("watson_async.auth")
_APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


def _check_secret(name: str, value: object) -> str:
    """Catch the usual copy-paste mistakes without ever echoing the secret."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    if value != value.strip():
        raise ValueError(f"{name} has leading or trailing whitespace; check how it was copied")
    if value[0] in "{\"'" or value[-1] in "}\"'":
        raise ValueError(f"{name} starts or ends with a brace or quote; remove them")
    return value


class Authenticator(abc.ABC):
    """Base class: provides the ``Authorization`` header value for each request."""

    @abc.abstractmethod
    async def authorization(self) -> str | None:
        """The ``Authorization`` header value to send, or ``None`` for no header."""

    async def invalidate(self, rejected: str | None) -> bool:
        """The service answered 401 to a request sent with ``rejected`` as its header.

        Return True when a new header is now available and the request is worth sending
        once more; the default (static credentials) is False.
        """
        return False

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most need nothing
        """Release what the authenticator holds (connections, tasks). Idempotent."""


class NoAuthAuthenticator(Authenticator):
    """Sends no ``Authorization`` header."""

    async def authorization(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return "NoAuthAuthenticator()"


class BearerTokenAuthenticator(Authenticator):
    """Sends ``Authorization: Bearer <token>`` with a token managed by the application.

    Call :meth:`set_bearer_token` when you have a new one; calls already in flight keep
    the token they started with.
    """

    def __init__(self, bearer_token: str) -> None:
        self._header = SecretStr("Bearer " + _check_secret("bearer_token", bearer_token))

    def set_bearer_token(self, bearer_token: str) -> None:
        """Replace the token used by later requests."""
        self._header = SecretStr("Bearer " + _check_secret("bearer_token", bearer_token))

    async def authorization(self) -> str | None:
        return self._header

    def __repr__(self) -> str:
        return "BearerTokenAuthenticator(bearer_token=<hidden>)"


class BasicAuthenticator(Authenticator):
    """Sends HTTP Basic credentials (``username="apikey"`` with an API key works too)."""

    def __init__(self, username: str, password: str) -> None:
        self._username = _check_secret("username", username)
        if ":" in username:
            raise ValueError("username must not contain ':'")
        token = f"{username}:{_check_secret('password', password)}".encode()
        self._header = SecretStr("Basic " + base64.b64encode(token).decode("ascii"))

    async def authorization(self) -> str | None:
        return self._header

    def __repr__(self) -> str:
        return f"BasicAuthenticator(username={self._username!r}, password=<hidden>)"


@attrs.frozen(slots=True, repr=False)
class AccessToken:
    """An access token and when (on the authenticator's monotonic clock) to refresh and drop it.

    ``access_token`` is a ``str`` whose ``repr`` is redacted.
    """

    access_token: str = attrs.field(converter=SecretStr)
    refresh_at: float
    expires_at: float
    expiration: float | None = None
    """UNIX time the token expires, as the token service reported it."""

    def __repr__(self) -> str:
        return f"AccessToken(access_token=<hidden>, expiration={self.expiration!r})"


@attrs.frozen(slots=True)
class RefreshEvent:
    """One attempt to get a token, reported to :meth:`TokenAuthenticator.add_refresh_listener`.

    ``reason`` is ``"initial"`` (no token yet), ``"scheduled"`` (background refresh at
    ``refresh_fraction`` of the lifetime), ``"expired"`` (a caller found no valid token)
    or ``"unauthorized"`` (the service answered 401 to the current token).
    ``failures`` counts consecutive failed attempts including this one (0 on success).
    """

    authenticator: str
    reason: str
    ok: bool
    duration: float
    failures: int
    expires_in: float | None = None
    """Lifetime of the new token in seconds (success only)."""
    expiration: float | None = None
    """UNIX time the new token expires, when the token service said (success only)."""
    error: BaseException | None = None


RefreshListener = Callable[[RefreshEvent], None]


class TokenAuthenticator(Authenticator):
    """Base of authenticators that fetch expiring tokens (IAM, Cloud Pak for Data).

    * A background task, started on first use inside the running loop, refreshes the
      token once ``refresh_fraction`` of its lifetime has passed; callers never wait
      while a usable token exists.
    * The token counts as expired ``expiry_margin`` seconds before its real end.
    * Single-flight: at most one token request at a time; every caller that has to
      wait shares its outcome. A cancelled caller never cancels the shared request.
    * Fail-soft: a failed background refresh keeps the current token and tries again
      with jittered exponential backoff (``retry_base``..``retry_cap`` seconds), never
      waiting past the token's expiry. Only when no valid token is left does a failure
      reach callers, at once.
    * A 401 from the service for the current token forces one shared refresh
      (:meth:`invalidate`).
    * Token requests travel like the client's own: an :class:`~watson_async.AssistantClient`
      hands the authenticator its proxy, CA bundle and environment-proxy setting, unless
      the authenticator has a ``transport`` of its own. Used without a client, it honours
      ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``. TLS verification is turned off only
      by the authenticator's own ``disable_ssl_verification``.

    Subclasses implement :meth:`_request_token`.
    """

    def __init__(
        self,
        *,
        refresh_fraction: float = 0.8,
        expiry_margin: float = 10.0,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        timeout: float = 30.0,
        verify_ssl: bool = True,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_refresh: RefreshListener | None = None,
    ) -> None:
        if not 0.0 < refresh_fraction <= 1.0:
            raise ValueError("refresh_fraction must be in (0, 1]")
        if expiry_margin < 0:
            raise ValueError("expiry_margin must not be negative")
        if not 0 < retry_base <= retry_cap:
            raise ValueError("retry_base must be positive and at most retry_cap")
        self._refresh_fraction = refresh_fraction
        self._expiry_margin = expiry_margin
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._timeout = timeout
        self._verify_ssl = verify_ssl
        self._transport = transport
        self._owns_transport = transport is None
        self._settings: ConnectionSettings | None = None  # a client's, for the own transport
        self._clock = clock
        self._sleep = sleep
        self._listeners: list[RefreshListener] = [on_refresh] if on_refresh else []
        self._token: AccessToken | None = None
        self._header: str | None = None
        self._fetching: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._failures = 0
        self.token_requests = 0
        """How many token requests this authenticator has sent."""

    # --- public -------------------------------------------------------------------

    @property
    def token(self) -> AccessToken | None:
        """The current token, if one has been fetched."""
        return self._token

    def add_refresh_listener(self, listener: RefreshListener) -> None:
        """Call ``listener(event)`` after every token request, successful or not."""
        self._listeners.append(listener)

    def remove_refresh_listener(self, listener: RefreshListener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has run: every later request for a header fails."""
        return self._closed

    async def authorization(self) -> str | None:
        token = self._token
        if token is not None and self._clock() < token.expires_at:
            if self._refresher is None:
                self._start_refresher()
            return self._header
        # aclose() drops the token, so a closed authenticator always takes this path.
        await self._fetch("initial" if token is None else "expired")
        header = self._header
        if header is None:
            raise self._closed_error()
        self._start_refresher()
        return header

    async def invalidate(self, rejected: str | None) -> bool:
        if rejected is not None and rejected != self._header:
            return True  # already replaced since that request was sent
        self._token = None  # nobody may use the rejected token any more
        await self._fetch("unauthorized")
        return True

    async def aclose(self) -> None:
        """Stop refreshing, end a token request in flight, close the token transport.

        Every caller waiting for a token then gets :class:`~watson_async.ClientClosedError`
        (never a ``CancelledError`` it didn't ask for), and so does every later call.
        Its tasks run in the event loop it was first used in: from another thread's
        running loop they are stopped there; a loop that is not running can't stop them,
        so that is refused with a ``RuntimeError`` naming it, changing nothing.
        """
        refusal = self._foreign_loop_refusal()
        if refusal is not None:
            raise refusal
        self._closed = True
        self._token = None
        self._header = None
        tasks = [t for t in (self._refresher, self._fetching) if t is not None and not t.done()]
        self._refresher = self._fetching = None
        loop = self._loop
        if tasks and loop is not None:
            if loop is asyncio.get_running_loop():
                await _cancel_and_wait(tasks)
            else:  # another thread's running loop: its tasks are stopped there
                future = asyncio.run_coroutine_threadsafe(_cancel_and_wait(tasks), loop)
                await asyncio.wrap_future(future)
        transport = self._transport
        if transport is not None and self._owns_transport:
            self._transport = None
            await transport.aclose()

    def _foreign_loop_refusal(self) -> RuntimeError | None:
        """The error :meth:`aclose` raises when it can't stop the tasks from this loop."""
        loop = self._loop
        if loop is None or loop is asyncio.get_running_loop() or loop.is_running():
            return None
        if not any(t is not None and not t.done() for t in (self._refresher, self._fetching)):
            return None
        state = "closed" if loop.is_closed() else "not running"
        return RuntimeError(
            f"{type(self).__name__}'s token tasks belong to event loop {loop!r}, which is "
            f"{state}: call aclose() inside that loop"
        )

    # --- for subclasses -------------------------------------------------------------

    # Set by subclasses: where to POST, with which headers and (secret) body.
    _url: str
    _request_headers: dict[str, str]
    _token_request: SecretBytes

    async def _request_token(self, transport: Transport) -> tuple[str, float, float | None]:
        """Ask the token service: ``(access_token, lifetime_seconds, unix_expiration)``."""
        # One expression: the response (its body holds the token) is never a local in a
        # frame an error passes through; _read_token returns its error for us to raise.
        outcome = self._read_token(
            await transport.send(
                "POST", self._url, self._request_headers, self._token_request, None
            )
        )
        if isinstance(outcome, WatsonError):
            raise outcome
        return outcome

    @abc.abstractmethod
    def _read_token(self, response: HttpResponse) -> tuple[str, float, float | None] | WatsonError:
        """The token (a :class:`SecretStr`), its lifetime in seconds and UNIX expiration
        from the token service's reply, or the error to raise."""

    def _redacted_parse_error(
        self, why: str, status: int, headers: Mapping[str, str]
    ) -> ResponseParseError:
        # The body may hold a token: never attach it.
        return ResponseParseError(
            f"{type(self).__name__}: token response unusable: {why}",
            status_code=status,
            body="<redacted>",
            headers=headers,
            global_transaction_id=None,
        )

    # --- machinery ------------------------------------------------------------------

    def _use_connection_settings(self, settings: ConnectionSettings) -> None:
        """Send token requests with a client's proxy and TLS settings (the client calls this).

        The first client's settings stay: a later client's differ only with a warning.
        No effect on an authenticator given its own ``transport``.
        """
        if not self._owns_transport:
            return
        if self._settings is None and self._transport is None:
            self._settings = settings
        elif self._token_settings(settings) != self._token_settings(self._settings):
            _log.warning(
                "%s is shared by clients with different proxy or TLS settings; its token "
                "requests keep those of the first (give it transport= to choose)",
                type(self).__name__,
            )

    def _token_settings(self, client: ConnectionSettings | None) -> ConnectionSettings:
        """The client's proxy and CA bundle, with this authenticator's TLS verification."""
        client = client or ConnectionSettings()
        return ConnectionSettings(
            verify_ssl=self._verify_ssl,
            ca_bundle=client.ca_bundle if self._verify_ssl else None,
            proxy=client.proxy,
            proxy_from_env=client.proxy_from_env,
        )

    def _get_transport(self) -> Transport:
        if self._transport is None:
            settings = self._token_settings(self._settings)
            self._transport = AiohttpTransport(
                max_connections=4,
                timeout=self._timeout,
                verify_ssl=settings.verify_ssl,
                ca_bundle=settings.ca_bundle,
                proxy=settings.proxy,
                proxy_from_env=settings.proxy_from_env,
            )
        return self._transport

    def _closed_error(self) -> ClientClosedError:
        return ClientClosedError(f"{type(self).__name__} is closed; no token is fetched any more")

    async def _fetch(self, reason: str) -> None:
        """Single-flight: join the request in flight, or start one in its own task.

        The request is shared, so a caller's cancellation never cancels it; and its
        cancellation by :meth:`aclose` reaches callers as ``ClientClosedError``.
        """
        if self._closed:
            raise self._closed_error()
        task = self._fetching
        if task is None:
            self._loop = loop = asyncio.get_running_loop()
            task = loop.create_task(self._fetch_now(reason))
            task.add_done_callback(self._fetch_done)
            self._fetching = task
        if not task.done():
            await asyncio.wait((task,))
        if task.cancelled():
            raise self._closed_error()
        task.result()

    def _fetch_done(self, task: asyncio.Task[None]) -> None:
        if self._fetching is task:
            self._fetching = None
        if not task.cancelled():
            task.exception()  # retrieved here: a failure nobody awaited is not logged

    async def _fetch_now(self, reason: str) -> None:
        started = self._clock()
        self.token_requests += 1
        try:
            access_token, lifetime, expiration = await self._request_token(self._get_transport())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failures += 1
            self._emit(
                RefreshEvent(
                    type(self).__name__,
                    reason,
                    False,
                    self._clock() - started,
                    self._failures,
                    error=exc,
                )
            )
            raise
        # The margin never eats more than half of a (short, test) lifetime, and the
        # refresh point is a fraction of what is left, so it always comes first.
        usable = lifetime - min(self._expiry_margin, lifetime / 2)
        self._token = AccessToken(
            access_token=access_token,
            refresh_at=started + usable * self._refresh_fraction,
            expires_at=started + usable,
            expiration=expiration,
        )
        self._header = SecretStr("Bearer " + access_token)
        self._failures = 0
        self._emit(
            RefreshEvent(
                type(self).__name__,
                reason,
                True,
                self._clock() - started,
                0,
                expires_in=lifetime,
                expiration=expiration,
            )
        )

    def _emit(self, event: RefreshEvent) -> None:
        if not event.ok:
            _log.warning(
                "%s: token request failed (%s, %d in a row): %s",
                event.authenticator,
                event.reason,
                event.failures,
                event.error,
            )
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                _log.exception("refresh listener %r raised", listener)

    def _start_refresher(self) -> None:
        if self._refresher is None and not self._closed:
            self._loop = loop = asyncio.get_running_loop()
            task = loop.create_task(self._refresh_loop())
            task.add_done_callback(self._refresher_done)
            self._refresher = task

    def _refresher_done(self, task: asyncio.Task[None]) -> None:
        if self._refresher is task:
            self._refresher = None
        if not task.cancelled() and task.exception() is not None:
            _log.error("token refresher stopped", exc_info=task.exception())

    async def _refresh_loop(self) -> None:
        """Keep the token fresh; return when there is none left to keep (callers refetch)."""
        while not self._closed:
            token = self._token
            if token is None:
                return
            now = self._clock()
            if now < token.refresh_at:
                await self._sleep(token.refresh_at - now)
                continue
            if now >= token.expires_at:
                return
            # Retries are not run by retry.retrying (tenacity): the bound is the token's
            # expiry, not a count, and the last wait ends *at* it with no attempt after
            # (tenacity attempts after every wait); a 401 or aclose() during a wait ends
            # the loop too, and it is the same loop that sleeps until refresh time. The
            # waits are the one full-jitter backoff (_wire.backoff_wait), capped by expiry.
            try:
                await self._fetch("scheduled")
            except Exception:
                left = token.expires_at - self._clock()
                if left <= 0:
                    return
                wait = backoff_wait(
                    self._failures, self._retry_base, self._retry_cap, random.random
                )
                await self._sleep(min(wait, left))


async def _cancel_and_wait(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    # wait() never raises a task's own cancellation; our caller's still reaches us.
    await asyncio.wait(tasks)


def iam_token_url(url: str | None) -> str:
    """The token endpoint for an IAM base URL (or the endpoint itself)."""
    base = (url or DEFAULT_IAM_URL).rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ValueError(f"IAM url must start with https:// or http://, got {base!r}")
    return base if base.endswith(_IAM_TOKEN_PATH) else base + _IAM_TOKEN_PATH


class IAMAuthenticator(TokenAuthenticator):
    """Exchanges an IBM Cloud API key for IAM access tokens and keeps one fresh.

    ``url`` is the IAM base (default ``https://iam.cloud.ibm.com``) or its
    ``/identity/token`` endpoint. ``client_id`` and ``client_secret`` (both or neither)
    are sent as HTTP Basic credentials; ``scope`` is passed through. See
    :class:`TokenAuthenticator` for the refresh behaviour and its options.
    """

    def __init__(
        self,
        apikey: str,
        *,
        url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scope: str | None = None,
        disable_ssl_verification: bool = False,
        headers: Mapping[str, str] | None = None,
        refresh_fraction: float = 0.8,
        expiry_margin: float = 10.0,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        timeout: float = 30.0,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_refresh: RefreshListener | None = None,
    ) -> None:
        super().__init__(
            refresh_fraction=refresh_fraction,
            expiry_margin=expiry_margin,
            retry_base=retry_base,
            retry_cap=retry_cap,
            timeout=timeout,
            verify_ssl=not disable_ssl_verification,
            transport=transport,
            clock=clock,
            sleep=sleep,
            on_refresh=on_refresh,
        )
        apikey = _check_secret("apikey", apikey)
        if (client_id is None) != (client_secret is None):
            raise ValueError("client_id and client_secret must be given together")
        self._url = iam_token_url(url)
        self._request_headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            **(headers or {}),
        }
        if client_id is not None and client_secret is not None:
            basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
            self._request_headers["Authorization"] = SecretStr("Basic " + basic)
        form = {"grant_type": _APIKEY_GRANT, "apikey": apikey, "response_type": "cloud_iam"}
        if scope is not None:
            form["scope"] = scope
        self._token_request = SecretBytes(urlencode(form).encode())

    def __repr__(self) -> str:
        return f"IAMAuthenticator(url={self._url!r}, apikey=<hidden>)"

    @property
    def url(self) -> str:
        """The IAM token endpoint."""
        return self._url

    def _read_token(self, response: HttpResponse) -> tuple[str, float, float | None] | WatsonError:
        """The token, lifetime and expiration from IAM's reply, or the error to raise."""
        if response.status >= 300:
            return _token_service_error("IAM", response, self._url)
        data = _json_object(response.body)
        if data is None:
            return self._redacted_parse_error(
                "not a JSON object", response.status, response.headers
            )
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            return self._redacted_parse_error("no access_token", response.status, response.headers)
        lifetime = _lifetime(data, access_token)
        if lifetime is None or lifetime <= 0:
            return self._redacted_parse_error(
                "no usable expires_in, expiration or JWT exp", response.status, response.headers
            )
        expiration = data.get("expiration")
        return (
            SecretStr(access_token),
            lifetime,
            float(expiration) if isinstance(expiration, (int, float)) else None,
        )


class CloudPakForDataAuthenticator(TokenAuthenticator):
    """Cloud Pak for Data: ``POST {url}/v1/authorize`` with a password or an API key.

    The returned token is a JWT whose ``exp``/``iat`` give its lifetime; it is kept
    fresh exactly like IAM tokens (see :class:`TokenAuthenticator`).
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str | None = None,
        *,
        apikey: str | None = None,
        disable_ssl_verification: bool = False,
        headers: Mapping[str, str] | None = None,
        refresh_fraction: float = 0.8,
        expiry_margin: float = 10.0,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        timeout: float = 30.0,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_refresh: RefreshListener | None = None,
    ) -> None:
        super().__init__(
            refresh_fraction=refresh_fraction,
            expiry_margin=expiry_margin,
            retry_base=retry_base,
            retry_cap=retry_cap,
            timeout=timeout,
            verify_ssl=not disable_ssl_verification,
            transport=transport,
            clock=clock,
            sleep=sleep,
            on_refresh=on_refresh,
        )
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"Cloud Pak for Data url must start with https:// or http://: {url!r}")
        base = url.rstrip("/")
        self._url = base if base.endswith(_CP4D_AUTHORIZE_PATH) else base + _CP4D_AUTHORIZE_PATH
        if not isinstance(username, str) or not username:
            raise ValueError("username must be a non-empty string")
        if (password is None) == (apikey is None):
            raise ValueError("give exactly one of password and apikey")
        body: dict[str, str] = {"username": username}
        if password is not None:
            body["password"] = _check_secret("password", password)
        else:
            body["api_key"] = _check_secret("apikey", apikey)
        self._username = username
        self._token_request = SecretBytes(_json.dumps(body))
        self._request_headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            **(headers or {}),
        }

    def __repr__(self) -> str:
        return f"CloudPakForDataAuthenticator(url={self._url!r}, username={self._username!r})"

    @property
    def url(self) -> str:
        """The authorize endpoint."""
        return self._url

    def _read_token(self, response: HttpResponse) -> tuple[str, float, float | None] | WatsonError:
        """The token, lifetime and expiration from the reply, or the error to raise."""
        if response.status >= 300:
            return _token_service_error("Cloud Pak for Data", response, self._url)
        data = _json_object(response.body)
        token = data.get("token") if data is not None else None
        if not isinstance(token, str) or not token:
            return self._redacted_parse_error("no token", response.status, response.headers)
        claims = _jwt_claims(token)
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)) or exp <= iat:
            return self._redacted_parse_error(
                "token is not a JWT with exp and iat", response.status, response.headers
            )
        return SecretStr(token), float(exp) - float(iat), float(exp)


def _token_service_error(service: str, response: HttpResponse, url: str) -> AuthenticationError:
    error = error_from_response(
        response.status, response.reason, response.headers, response.body, method="POST", url=url
    )
    return AuthenticationError(
        f"{service} token request failed: {error.message}",
        status_code=error.status_code,
        code=error.code,
        errors=error.errors,
        global_transaction_id=error.global_transaction_id,
        headers=error.headers,
        body=error.body,
        json=error.json,
        method="POST",
        url=url,
    )


def _json_object(body: bytes) -> dict[str, Any] | None:
    """``body`` parsed as a JSON object, else ``None`` (the decoder's error holds the body)."""
    try:
        data = _json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _lifetime(data: Mapping[str, Any], access_token: str) -> float | None:
    """Token lifetime in seconds from ``expires_in``, else ``expiration - iat``/JWT claims."""
    expires_in = data.get("expires_in")
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        return float(expires_in)
    claims = _jwt_claims(access_token)
    exp = data.get("expiration", claims.get("exp"))
    iat = claims.get("iat")
    if isinstance(exp, (int, float)) and isinstance(iat, (int, float)):
        return float(exp) - float(iat)
    if isinstance(exp, (int, float)):
        return float(exp) - time.time()
    return None


def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = _json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}
