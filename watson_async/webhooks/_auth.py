"""How a webhook request proves it comes from your assistant: pure, no I/O.

The environment's webhook settings offer no authentication, basic, bearer, an API key
in a header of your naming, a signed JWT made with a secret you enter, and OAuth 2.0.
Each mode here checks one request's headers (:func:`verify`) and, for the fake and for
tests, makes them (:func:`authorization_headers`). Secrets are
:class:`~watson_async.protocol.secret.SecretStr`, so no ``repr``, log line or exception
shows them; every comparison is :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TypeAlias

import attrs
import jwt

from watson_async.protocol.secret import SecretStr

__all__ = [
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "JwtAuth",
    "NoAuth",
    "WebhookAuth",
    "WebhookAuthError",
    "authorization_headers",
    "verify",
]

#: The one algorithm a signed-JWT webhook uses: HMAC-SHA256 with the secret you enter.
JWT_ALGORITHM = "HS256"
#: The lifetime :func:`authorization_headers` gives the JWTs it makes.
JWT_LIFETIME = 300.0
_MAX_HEADER = 8192
_KEY_WARNING: type[Warning] | None = getattr(jwt, "InsecureKeyLengthWarning", None)


@contextmanager
def _any_key_length() -> Iterator[None]:
    """PyJWT warns about HMAC keys under 32 bytes; the service signs with whatever
    secret was entered (IBM's own example is 14 bytes), so that is not ours to refuse."""
    with warnings.catch_warnings():
        if _KEY_WARNING is not None:
            warnings.simplefilter("ignore", _KEY_WARNING)
        yield


def _secret(value: str) -> SecretStr:
    if not isinstance(value, str) or not value:
        raise ValueError("a webhook secret must be a non-empty string")
    return SecretStr(value)


def _header_name(value: str) -> str:
    if not isinstance(value, str) or not value or not value.isascii() or ":" in value:
        raise ValueError(f"a header name must be a non-empty ASCII name, got {value!r}")
    return value


class WebhookAuthError(Exception):
    """A webhook request failed authentication; the message says why, never a secret."""


@attrs.frozen
class NoAuth:
    """No authentication (the settings' default): every request is accepted."""


@attrs.frozen
class JwtAuth:
    """A signed JWT in the ``Authorization`` header, HS256 with ``secret``.

    The signature and algorithm are always checked (``none`` and every other algorithm
    are refused). ``exp`` is checked with ``leeway`` seconds of tolerance for clock
    skew; IBM's docs list no claims, so a token without ``exp`` is refused unless
    ``require_exp=False``. The docs describe no binding of the token to the body.
    """

    secret: SecretStr = attrs.field(converter=_secret)
    leeway: float = 30.0
    require_exp: bool = True

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.leeway <= 300:
            raise ValueError("leeway must be between 0 and 300 seconds")


@attrs.frozen
class BasicAuth:
    """HTTP basic authentication with ``username`` and ``password``."""

    username: str = attrs.field(converter=_secret)
    password: SecretStr = attrs.field(converter=_secret)

    def __attrs_post_init__(self) -> None:
        if ":" in self.username:
            raise ValueError("a basic-auth username cannot contain ':'")


@attrs.frozen
class BearerAuth:
    """``Authorization: Bearer <token>`` with a fixed token."""

    token: SecretStr = attrs.field(converter=_secret)


@attrs.frozen
class ApiKeyAuth:
    """An API key in the header named ``header`` (the settings' "API key name")."""

    header: str = attrs.field(converter=_header_name)
    key: SecretStr = attrs.field(converter=_secret)


WebhookAuth: TypeAlias = NoAuth | JwtAuth | BasicAuth | BearerAuth | ApiKeyAuth
"""Every authentication mode a webhook handler checks."""


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def verify(auth: WebhookAuth, headers: Mapping[str, str], *, now: float) -> None:
    """Check one request's ``headers`` (any case) against ``auth`` at time ``now``
    (epoch seconds); raise :class:`WebhookAuthError` if they don't pass."""
    if isinstance(auth, NoAuth):
        return
    lowered = _lower(headers)
    name = auth.header.lower() if isinstance(auth, ApiKeyAuth) else "authorization"
    value = lowered.get(name)
    if value is None:
        raise WebhookAuthError(f"the {name} header is missing")
    if len(value) > _MAX_HEADER:
        raise WebhookAuthError(f"the {name} header is too long")
    if isinstance(auth, ApiKeyAuth):
        ok = _equal(value, auth.key)
    elif isinstance(auth, BearerAuth):
        ok = _equal(value, "Bearer " + auth.token)
    elif isinstance(auth, BasicAuth):
        ok = _basic_ok(value, auth)
    else:
        _verify_jwt(value, auth, now)
        return
    if not ok:
        raise WebhookAuthError(f"the {name} header does not match")


def _basic_ok(value: str, auth: BasicAuth) -> bool:
    scheme, _, encoded = value.partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    expected = f"{auth.username}:{auth.password}".encode()
    # Both comparisons run, so the time taken does not tell which part was wrong.
    scheme_ok = hmac.compare_digest(scheme.lower().encode(), b"basic")
    return hmac.compare_digest(decoded, expected) and scheme_ok


def _verify_jwt(value: str, auth: JwtAuth, now: float) -> None:
    # IBM's docs pass the header's value straight to a JWT library, so the token comes
    # bare; a ``Bearer`` prefix is accepted too.
    token = value[7:] if value[:7].lower() == "bearer " else value
    claims: dict[str, object] = {}
    problem = None
    try:
        with _any_key_length():
            claims = jwt.decode(
                token.strip(),
                auth.secret,
                algorithms=[JWT_ALGORITHM],
                leeway=auth.leeway,
                options={
                    "require": ["exp"] if auth.require_exp else [],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
    except jwt.InvalidTokenError as exc:
        problem = f"the JWT is not valid ({type(exc).__name__})"
    if problem is not None:
        # Raised out here, so PyJWT's frames (which hold the key) are not its context.
        raise WebhookAuthError(problem)
    # Times are checked here, on the caller's clock, rather than by PyJWT on time.time().
    exp = claims.get("exp")
    if exp is not None:
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise WebhookAuthError("the JWT's exp claim is not a number")
        if exp + auth.leeway <= now:
            raise WebhookAuthError("the JWT has expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf - auth.leeway > now:
        raise WebhookAuthError("the JWT is not valid yet")


def authorization_headers(auth: WebhookAuth, *, now: float) -> dict[str, str]:
    """The headers a request authenticated by ``auth`` carries, as the service sends
    them (a JWT issued at ``now``, valid for five minutes, in a bare ``Authorization``)."""
    if isinstance(auth, NoAuth):
        return {}
    if isinstance(auth, ApiKeyAuth):
        return {auth.header: SecretStr(auth.key)}
    if isinstance(auth, BearerAuth):
        return {"Authorization": SecretStr("Bearer " + auth.token)}
    if isinstance(auth, BasicAuth):
        pair = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode("ascii")
        return {"Authorization": SecretStr("Basic " + pair)}
    claims = {"iat": int(now), "exp": int(now + JWT_LIFETIME)}
    with _any_key_length():
        token = jwt.encode(claims, auth.secret, algorithm=JWT_ALGORITHM)
    return {"Authorization": SecretStr(token)}
