"""The token services: IBM Cloud IAM (:class:`IAMAuthenticator`) and Cloud Pak for Data
(:class:`CloudPakForDataAuthenticator`), and reading their replies (lifetime, JWT claims)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from watson_async.protocol import codec as _json
from watson_async.protocol.secret import SecretBytes, SecretStr
from watson_async.protocol.wire import error_from_response
from watson_async.transport import HttpResponse, Transport

from ..errors import AuthenticationError, WatsonError
from ._base import _check_secret
from ._token import RefreshListener, TokenAuthenticator, TokenCache

DEFAULT_IAM_URL = "https://iam.cloud.ibm.com"
_IAM_TOKEN_PATH = "/identity/token"
_CP4D_AUTHORIZE_PATH = "/v1/authorize"
_APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


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
        token_cache: TokenCache | None = None,
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
            token_cache=token_cache,
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
        self._cache_identity = (self._url, apikey, client_id or "", scope or "")

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
        token_cache: TokenCache | None = None,
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
            token_cache=token_cache,
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
        # Not the password: a low-entropy secret's unsalted hash must not sit in Redis.
        self._cache_identity = (self._url, username)
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
    """The claims of a JWT, read without checking its signature (we never verify a token
    we didn't sign: the claims only give its lifetime), else ``{}``."""
    import jwt  # here: most replies give expires_in, and PyJWT takes 20 ms to import

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}
