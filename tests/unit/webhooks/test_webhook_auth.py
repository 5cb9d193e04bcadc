"""Webhook authentication: every mode accepts what the service sends and refuses the
rest, in constant time, without a secret in any repr, message or traceback."""

from __future__ import annotations

import base64
import hmac
import time
from typing import Any

import jwt
import pytest
from _secrets import leaks

from watson_async.webhooks import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    JwtAuth,
    NoAuth,
    WebhookAuthError,
    _auth,
    authorization_headers,
    verify,
)

SECRET = "purple unicorn"  # IBM's example secret: 14 bytes, under PyJWT's 32-byte advice
NOW = 1_800_000_000.0


def _token(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    with _auth._any_key_length():
        return jwt.encode(claims, key, algorithm=algorithm)


def _refused(auth: Any, headers: dict[str, str], now: float = NOW) -> WebhookAuthError:
    with pytest.raises(WebhookAuthError) as caught:
        verify(auth, headers, now=now)
    return caught.value


# --- signed JWT -----------------------------------------------------------------------


def test_the_jwt_the_service_sends_passes_bare_or_with_bearer() -> None:
    auth = JwtAuth(SECRET)
    header = authorization_headers(auth, now=NOW)["Authorization"]
    assert not header.startswith("Bearer ")  # bare, as the docs' jwt.verify(header) reads it
    verify(auth, {"Authorization": header}, now=NOW)
    verify(auth, {"authorization": "Bearer " + header}, now=NOW + 10)


def test_an_expired_jwt_is_refused_past_the_leeway_only() -> None:
    auth = JwtAuth(SECRET, leeway=30)
    headers = {"Authorization": _token({"exp": int(NOW)})}
    verify(auth, headers, now=NOW + 29)
    error = _refused(auth, headers, now=NOW + 30)
    assert "expired" in str(error)


def test_a_jwt_not_valid_yet_is_refused() -> None:
    headers = {"Authorization": _token({"exp": int(NOW) + 600, "nbf": int(NOW) + 300})}
    assert "not valid yet" in str(_refused(JwtAuth(SECRET), headers))


def test_a_jwt_signed_with_another_secret_is_refused() -> None:
    headers = {"Authorization": _token({"exp": int(NOW) + 60}, key="another secret")}
    assert "InvalidSignatureError" in str(_refused(JwtAuth(SECRET), headers))


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_a_jwt_with_another_algorithm_is_refused(algorithm: str) -> None:
    headers = {"Authorization": _token({"exp": int(NOW) + 60}, algorithm=algorithm)}
    assert "InvalidAlgorithmError" in str(_refused(JwtAuth(SECRET), headers))


def test_an_unsigned_jwt_is_refused() -> None:
    unsigned = jwt.encode({"exp": int(NOW) + 60}, None, algorithm="none")
    _refused(JwtAuth(SECRET), {"Authorization": unsigned})
    # The same claims with the signature cut off: still refused.
    signed = _token({"exp": int(NOW) + 60})
    _refused(JwtAuth(SECRET), {"Authorization": signed.rsplit(".", 1)[0] + "."})


def test_a_jwt_without_exp_is_refused_unless_allowed() -> None:
    headers = {"Authorization": _token({"iat": int(NOW)})}
    assert "MissingRequiredClaimError" in str(_refused(JwtAuth(SECRET), headers))
    verify(JwtAuth(SECRET, require_exp=False), headers, now=NOW)


@pytest.mark.parametrize("value", ["", "Bearer ", "not.a.jwt", "Bearer x" * 2000])
def test_a_malformed_or_oversized_jwt_is_refused(value: str) -> None:
    _refused(JwtAuth(SECRET), {"Authorization": value})


def test_a_missing_header_is_refused_by_every_mode() -> None:
    for auth in (JwtAuth(SECRET), BasicAuth("u", "p"), BearerAuth("t"), ApiKeyAuth("X-Key", "k")):
        assert "missing" in str(_refused(auth, {"Content-Type": "application/json"}))
    verify(NoAuth(), {}, now=NOW)


def test_the_clock_is_the_callers() -> None:
    """PyJWT's own time checks (on time.time) are off: a token from the fake's clock,
    far from now, passes on that clock."""
    auth = JwtAuth(SECRET)
    past = 1_000_000.0
    verify(auth, authorization_headers(auth, now=past), now=past + 1)
    assert time.time() > past + 3600


# --- basic, bearer, API key -----------------------------------------------------------


def test_basic_auth() -> None:
    auth = BasicAuth("bot", "s3cret:with colon")
    verify(auth, authorization_headers(auth, now=NOW), now=NOW)
    good = base64.b64encode(b"bot:s3cret:with colon").decode()
    verify(auth, {"authorization": "basic " + good}, now=NOW)
    for value in (
        "Basic " + base64.b64encode(b"bot:wrong").decode(),
        "Bearer " + good,
        "Basic %%%not-base64",
        "Basic",
    ):
        assert "does not match" in str(_refused(auth, {"Authorization": value}))


def test_bearer_auth() -> None:
    auth = BearerAuth("tok-123")
    verify(auth, {"Authorization": "Bearer tok-123"}, now=NOW)
    for value in ("Bearer tok-124", "tok-123", "Bearer tok-1234"):
        _refused(auth, {"Authorization": value})


def test_api_key_auth_reads_its_own_header_in_any_case() -> None:
    auth = ApiKeyAuth("X-Webhook-Key", "k-1")
    verify(auth, {"x-webhook-key": "k-1"}, now=NOW)
    _refused(auth, {"X-Webhook-Key": "k-2"})
    _refused(auth, {"Authorization": "k-1"})


def test_every_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(_auth.hmac, "compare_digest", spy)
    verify(BearerAuth("t"), {"Authorization": "Bearer t"}, now=NOW)
    verify(ApiKeyAuth("K", "v"), {"K": "v"}, now=NOW)
    basic = BasicAuth("u", "p")
    verify(basic, authorization_headers(basic, now=NOW), now=NOW)
    # One compare each for bearer and API key; basic compares scheme and credentials.
    assert len(calls) == 4


# --- construction and secrets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: JwtAuth(""), "non-empty"),
        (lambda: JwtAuth(SECRET, leeway=-1), "leeway"),
        (lambda: BearerAuth(""), "non-empty"),
        (lambda: BasicAuth("a:b", "p"), "cannot contain"),
        (lambda: ApiKeyAuth("Bad:Header", "k"), "header name"),
        (lambda: ApiKeyAuth("", "k"), "header name"),
    ],
)
def test_bad_settings_are_refused_at_construction(build: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


def test_secrets_stay_out_of_reprs_messages_and_tracebacks() -> None:
    secrets = [SECRET, "pa55word", "tok-secret", "key-secret"]
    modes = [
        JwtAuth(SECRET),
        BasicAuth("bot", "pa55word"),
        BearerAuth("tok-secret"),
        ApiKeyAuth("X-Key", "key-secret"),
    ]
    for auth in modes:
        assert not any(s in repr(auth) for s in secrets)
        headers = authorization_headers(auth, now=NOW)
        assert not any(s in repr(headers) for s in secrets)
        wrong = dict.fromkeys(headers, "Bearer wrong.token.value")
        error = _refused(auth, wrong)
        assert leaks(error, [*secrets, *headers.values()]) == []
