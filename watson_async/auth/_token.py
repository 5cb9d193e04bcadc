"""Authenticators of expiring tokens: :class:`TokenAuthenticator` (background refresh,
single-flight fetch, fail-soft retries, close semantics), :class:`AccessToken` and
:class:`RefreshEvent`. The token services themselves are in :mod:`._iam`."""

from __future__ import annotations

import abc
import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal, Protocol

import attrs

from watson_async.protocol.secret import SecretBytes, SecretStr
from watson_async.protocol.wire import backoff_wait
from watson_async.transport import AiohttpTransport, ConnectionSettings, HttpResponse, Transport

from ..errors import ClientClosedError, ResponseParseError, WatsonError
from ._base import NOT_READY, Authenticator, NotReady

_log = logging.getLogger("watson_async.auth")


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

TokenReply = tuple[str, float, "float | None"]
"""What a token service answered: ``(access_token, lifetime_seconds, unix_expiration)``."""


@attrs.frozen(slots=True, repr=False)
class SharedToken:
    """A token from a :class:`TokenCache`: the same absolute times in every process."""

    access_token: str = attrs.field(converter=SecretStr)
    expiration: float
    """UNIX time the token expires."""
    lifetime: float
    """Its whole lifetime in seconds, as issued."""
    remaining: float
    """Seconds left until ``expiration`` when the cache read it."""

    def __repr__(self) -> str:
        return f"SharedToken(access_token=<hidden>, expiration={self.expiration!r})"


class TokenCache(Protocol):
    """A second level behind an authenticator's own token, shared between processes
    (:class:`watson_async.redis.RedisTokenCache`). It never raises its own errors: when
    it can't help, it calls ``fetch`` itself."""

    async def get_token(
        self,
        identity: tuple[str, ...],
        fetch: Callable[[], Awaitable[TokenReply]],
        *,
        stale: str | None,
    ) -> SharedToken:
        """A usable token other than ``stale``: the shared one, or ``fetch()``'s (shared)."""
        ...

    async def invalidate(self, identity: tuple[str, ...], rejected: str) -> None:
        """Forget the shared token if it still is ``rejected``."""
        ...


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
    * ``token_cache`` (e.g. ``watson_async.redis.RedisTokenCache``) shares one
      token between processes: a fetch asks the cache first, and the cache makes sure
      one process of the fleet asks the token service. Without it, nothing changes.

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
        token_cache: TokenCache | None = None,
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
        self._token_cache = token_cache
        self._rejected: str | None = None  # the token a 401 refused, until replaced
        # Per process: spreads the fleet's refreshes of one shared token over a little time.
        self._jitter = random.random()
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

    def _ready(self) -> str | Literal[NotReady.NOT_READY] | None:
        token = self._token
        if token is None or self._clock() >= token.expires_at:
            # aclose() drops the token, so a closed authenticator always waits (and fails).
            return NOT_READY
        if self._refresher is None:
            self._start_refresher()
        return self._header

    async def authorization(self) -> str | None:
        # _ready()'s check, inline: the steady state of the public coroutine pays no call
        # (counted under callgrind: 4,600 instructions a call; 5,100 through _ready()).
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
        token = self._token
        if token is not None:
            self._rejected = token.access_token
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

    # Set by subclasses: where to POST, with which headers and (secret) body, and what
    # names the credential to a token cache (it hashes it, never stores it).
    _url: str
    _request_headers: dict[str, str]
    _token_request: SecretBytes
    _cache_identity: tuple[str, ...]

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

    async def _request_counted(self) -> TokenReply:
        self.token_requests += 1
        return await self._request_token(self._get_transport())

    async def _fetch_now(self, reason: str) -> None:
        started = self._clock()
        cache = self._token_cache
        shared: SharedToken | None = None
        try:
            if cache is None:
                access_token, lifetime, expiration = await self._request_counted()
            else:
                current = self._token
                stale = current.access_token if current is not None else self._rejected
                if reason == "unauthorized" and stale is not None:
                    await cache.invalidate(self._cache_identity, stale)
                shared = await cache.get_token(
                    self._cache_identity, self._request_counted, stale=stale
                )
                access_token, lifetime = shared.access_token, shared.lifetime
                expiration = shared.expiration
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
        if shared is None:
            issued, jitter = started, 0.0
        else:
            # Times from the token's absolute expiry: every process sharing it computes
            # the same refresh point, less its own jitter (up to a tenth of the rest), so
            # one of them refreshes and the others find the new token in the cache.
            issued = self._clock() + shared.remaining - lifetime
            jitter = self._jitter * 0.1 * usable * (1 - self._refresh_fraction)
        self._token = AccessToken(
            access_token=access_token,
            refresh_at=issued + usable * self._refresh_fraction - jitter,
            expires_at=issued + usable,
            expiration=expiration,
        )
        self._header = SecretStr("Bearer " + access_token)
        self._rejected = None
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
