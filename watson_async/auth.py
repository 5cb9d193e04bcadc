"""Authenticators: each hands the client the ``Authorization`` header for a request.

* :class:`IAMAuthenticator` — IBM Cloud API key exchanged for an IAM access token,
  cached and refreshed before it expires; one IAM call however many callers wait.
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
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import attrs

from . import _json
from ._http import AiohttpTransport, Transport
from ._wire import error_from_response
from .errors import AuthenticationError, ResponseParseError, TransportError

__all__ = [
    "DEFAULT_IAM_URL",
    "Authenticator",
    "BasicAuthenticator",
    "BearerTokenAuthenticator",
    "IAMAuthenticator",
    "IAMToken",
    "NoAuthAuthenticator",
]

DEFAULT_IAM_URL = "https://iam.cloud.ibm.com"
_IAM_TOKEN_PATH = "/identity/token"
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
        self._header = "Bearer " + _check_secret("bearer_token", bearer_token)

    def set_bearer_token(self, bearer_token: str) -> None:
        """Replace the token used by later requests."""
        self._header = "Bearer " + _check_secret("bearer_token", bearer_token)

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
        self._header = "Basic " + base64.b64encode(token).decode("ascii")

    async def authorization(self) -> str | None:
        return self._header

    def __repr__(self) -> str:
        return f"BasicAuthenticator(username={self._username!r}, password=<hidden>)"


@attrs.frozen(slots=True, repr=False)
class IAMToken:
    """An access token and when (monotonic seconds) it should be refreshed and dropped."""

    access_token: str
    refresh_at: float
    expires_at: float
    expiration: float | None = None
    """UNIX time the token expires, as IAM reported it."""

    def __repr__(self) -> str:
        return f"IAMToken(access_token=<hidden>, expiration={self.expiration!r})"


def iam_token_url(url: str | None) -> str:
    """The token endpoint for an IAM base URL (or the endpoint itself)."""
    base = (url or DEFAULT_IAM_URL).rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ValueError(f"IAM url must start with https:// or http://, got {base!r}")
    return base if base.endswith(_IAM_TOKEN_PATH) else base + _IAM_TOKEN_PATH


class IAMAuthenticator(Authenticator):
    """Exchanges an IBM Cloud API key for IAM access tokens and keeps one fresh.

    The token is refreshed once ``refresh_fraction`` of its lifetime has passed and
    treated as expired ``expiry_margin`` seconds before its end. One IAM request at a
    time however many callers wait. If a refresh fails while the old token is still
    valid, callers keep using the old token; only when no valid token exists does a
    failure reach the caller, as :class:`~watson_async.AuthenticationError` (IAM said
    no) or :class:`~watson_async.TransportError` (IAM unreachable).
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
        timeout: float = 30.0,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._apikey = _check_secret("apikey", apikey)
        if (client_id is None) != (client_secret is None):
            raise ValueError("client_id and client_secret must be given together")
        self._url = iam_token_url(url)
        if not 0.0 < refresh_fraction <= 1.0:
            raise ValueError("refresh_fraction must be in (0, 1]")
        if expiry_margin < 0:
            raise ValueError("expiry_margin must not be negative")
        self._request_headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            **(headers or {}),
        }
        if client_id is not None and client_secret is not None:
            basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
            self._request_headers["Authorization"] = "Basic " + basic
        form = {"grant_type": _APIKEY_GRANT, "apikey": self._apikey, "response_type": "cloud_iam"}
        if scope is not None:
            form["scope"] = scope
        self._form = urlencode(form).encode()
        self._refresh_fraction = refresh_fraction
        self._expiry_margin = expiry_margin
        self._timeout = timeout
        self._verify_ssl = not disable_ssl_verification
        self._transport = transport
        self._owns_transport = transport is None
        self._clock = clock
        self._token: IAMToken | None = None
        self._header: str | None = None
        self._refreshing: asyncio.Task[IAMToken] | None = None
        self.iam_requests = 0
        """How many token requests this authenticator has sent (for tests and load tests)."""

    def __repr__(self) -> str:
        return f"IAMAuthenticator(url={self._url!r}, apikey=<hidden>)"

    @property
    def url(self) -> str:
        """The IAM token endpoint."""
        return self._url

    @property
    def token(self) -> IAMToken | None:
        """The current token, if one has been fetched."""
        return self._token

    async def authorization(self) -> str | None:
        token = self._token
        if token is not None:
            now = self._clock()
            if now < token.refresh_at:
                return self._header
            if now < token.expires_at:
                # Due for refresh but still valid: refresh, and on failure keep using it.
                with contextlib.suppress(AuthenticationError, TransportError, ResponseParseError):
                    await self._refresh()
                return self._header
        await self._refresh()
        return self._header

    async def _refresh(self) -> IAMToken:
        """Single-flight: every concurrent caller shares one IAM request and its outcome.

        The request runs in its own task and callers wait through ``shield``, so a
        caller that is cancelled never cancels the refresh the others wait for.
        """
        task = self._refreshing
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch())
            task.add_done_callback(self._fetch_done)
            self._refreshing = task
        return await asyncio.shield(task)

    async def _fetch(self) -> IAMToken:
        token = await self._request_token()
        self._token = token
        self._header = "Bearer " + token.access_token
        return token

    def _fetch_done(self, task: asyncio.Task[IAMToken]) -> None:
        if self._refreshing is task:
            self._refreshing = None
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is never logged

    def _get_transport(self) -> Transport:
        if self._transport is None:
            self._transport = AiohttpTransport(
                max_connections=4, timeout=self._timeout, verify_ssl=self._verify_ssl
            )
        return self._transport

    async def _request_token(self) -> IAMToken:
        started = self._clock()
        self.iam_requests += 1
        response = await self._get_transport().send(
            "POST", self._url, self._request_headers, self._form, None
        )
        if response.status >= 300:
            error = error_from_response(
                response.status,
                response.reason,
                response.headers,
                response.body,
                method="POST",
                url=self._url,
            )
            raise AuthenticationError(
                f"IAM token request failed: {error.message}",
                status_code=error.status_code,
                code=error.code,
                errors=error.errors,
                global_transaction_id=error.global_transaction_id,
                headers=error.headers,
                body=error.body,
                json=error.json,
                method="POST",
                url=self._url,
            )
        return self._parse(response.status, response.headers, response.body, started)

    def _parse(
        self, status: int, headers: Mapping[str, str], body: bytes, started: float
    ) -> IAMToken:
        def fail(why: str) -> ResponseParseError:
            # The body may hold a token: never attach it.
            return ResponseParseError(
                f"IAM token response unusable: {why}",
                status_code=status,
                body="<redacted>",
                headers=headers,
                global_transaction_id=None,
            )

        try:
            data: Any = _json.loads(body)
        except ValueError:
            raise fail("not JSON") from None
        if not isinstance(data, dict):
            raise fail("not a JSON object")
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise fail("no access_token")
        lifetime = _lifetime(data, access_token)
        if lifetime is None or lifetime <= 0:
            raise fail("no usable expires_in, expiration or JWT exp")
        expiration = data.get("expiration")
        expires_at = started + lifetime - self._expiry_margin
        refresh_at = started + lifetime * self._refresh_fraction
        return IAMToken(
            access_token=access_token,
            refresh_at=min(refresh_at, expires_at),
            expires_at=expires_at,
            expiration=float(expiration) if isinstance(expiration, (int, float)) else None,
        )

    async def aclose(self) -> None:
        task, self._refreshing = self._refreshing, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        transport = self._transport
        if transport is not None and self._owns_transport:
            self._transport = None
            await transport.aclose()


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
