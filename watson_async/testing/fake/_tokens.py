"""The fake's token endpoints and credentials: IAM (``POST /identity/token``), Cloud Pak
for Data (``POST /v1/authorize``), minted tokens, API-key rotation and revocation, and
the v2 routes' authorization check with its counters.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from watson_async.protocol import codec as _json

from .._common import b64url as _b64url
from .._common import iso as _iso
from .._common import num as _num
from ._faults import Outage
from ._state import FakeState, cp4d_error, phrase

__all__ = ["APIKEY_GRANT", "CP4D_PATH", "IAM_PATH", "TokensMixin"]

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
IAM_PATH = "/identity/token"
CP4D_PATH = "/v1/authorize"


class TokensMixin(FakeState):
    """Token issue (IAM, CP4D, :meth:`issue_token`), revocation and checking."""

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
        self, request: web.BaseRequest, outage: Outage, is_iam: bool, now: float
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
            response = self._iam_error(request, "BXNIM0001E", phrase(status) + ".", now, status)
        else:
            response = self._json_response(
                status, cp4d_error(status, phrase(status)), self._std_headers(now)
            )
        if outage.headers:
            response.headers.update(outage.headers)
        return response

    def _cp4d(self, method: str, parsed: Any, json_ok: bool, now: float) -> web.Response:
        """``POST /v1/authorize``: a Cloud Pak for Data bearer token for a username
        and a password or an API key."""
        headers = self._std_headers(now)
        if method != "POST":
            return self._json_response(405, cp4d_error(405, "Method Not Allowed"), headers)
        if not json_ok or not isinstance(parsed, dict):
            return self._json_response(400, cp4d_error(400, "Invalid request body"), headers)
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
                cp4d_error(400, "username and one of password or api_key are required"),
                headers,
            )
        expected = self.cp4d_password if api_key is None else self.cp4d_apikey
        if username != self.cp4d_username or secret != expected:
            return self._json_response(
                401, cp4d_error(401, "Invalid user name or password"), headers
            )
        token, _ = self._mint_token(now, self.token_lifetime, "cp4d")
        payload = {"_messageCode_": "200", "message": "Success", "token": token}
        return self._json_response(200, payload, headers)
