"""Byte-level faults: every call ends in success or a typed error that holds no secret."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable

import pytest
from _faultserver import MATRIX, Fault, fault_server, json_ok
from _secrets import leaks

from watson_async import (
    AssistantClient,
    Authenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    CloudPakForDataAuthenticator,
    IAMAuthenticator,
    ResponseParseError,
    TransportError,
    WatsonError,
)
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
BEARER = "bearer-SECRET-b1e2a3r4"
PASSWORD = "basic-SECRET-p4ssw0rd"
CLIENT_SECRET = "client-SECRET-c1s2"
PLAIN_SECRETS = (BEARER, PASSWORD, CLIENT_SECRET)
ENCODED_SECRETS = (
    base64.b64encode(f"user:{PASSWORD}".encode()).decode(),
    base64.b64encode(f"cid:{CLIENT_SECRET}".encode()).decode(),
)


async def _no_wait(seconds: float) -> None:
    return None


def _timeout(fault: Fault) -> float:
    """Short for the fault that never answers; generous for the others."""
    return 0.1 if fault.hang else 5.0


@pytest.fixture
async def iam_fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant() as fake:
        yield fake


def _authenticators(fake: FakeAssistant) -> dict[str, Callable[[], Authenticator]]:
    return {
        "bearer": lambda: BearerTokenAuthenticator(BEARER),
        "basic": lambda: BasicAuthenticator("user", PASSWORD),
        "iam": lambda: IAMAuthenticator(
            fake.apikey, url=fake.iam_url, client_id="cid", client_secret=CLIENT_SECRET
        ),
    }


def _secrets(auth: Authenticator, fake: FakeAssistant) -> list[str]:
    found = [*PLAIN_SECRETS, *ENCODED_SECRETS, fake.apikey]
    token = getattr(auth, "token", None)
    if token is not None:
        found.append(str.__str__(token.access_token))
    return found


@pytest.mark.parametrize("kind", ["bearer", "basic", "iam"])
@pytest.mark.parametrize("fault", MATRIX, ids=[f.name for f in MATRIX])
async def test_every_fault_ends_typed_and_no_error_holds_a_secret(
    fault: Fault, kind: str, iam_fake: FakeAssistant
) -> None:
    auth = _authenticators(iam_fake)[kind]()
    async with (
        fault_server(fault) as server,
        AssistantClient(
            VERSION, auth, service_url=server.url, timeout=_timeout(fault), sleep=_no_wait
        ) as client,
    ):
        try:
            await client.create_session("a", "e")
        except WatsonError as exc:
            error: WatsonError = exc
        else:
            pytest.fail(f"{fault.name}: a broken answer was taken as a session")
        assert server.requests, "the request never reached the server"
        assert leaks(error, _secrets(auth, iam_fake)) == []
    if fault.name == "HTML 200":
        assert isinstance(error, ResponseParseError)
    if fault.name in {"malformed status line", "oversized header", "silence"}:
        assert isinstance(error, TransportError)
        # No aiohttp exception in the chain: its repr carries the request's headers.
        chained = error
        while chained is not None:
            assert isinstance(chained, WatsonError)
            assert chained.__cause__ is None
            chained = chained.__context__


@pytest.mark.parametrize("fault", MATRIX, ids=[f.name for f in MATRIX])
async def test_token_service_faults_hold_no_apikey_or_client_secret(fault: Fault) -> None:
    async with fault_server(fault) as server:
        auth = IAMAuthenticator(
            "apikey-SECRET-1234",
            url=server.url,
            client_id="cid",
            client_secret=CLIENT_SECRET,
            timeout=_timeout(fault),
        )
        async with AssistantClient(
            VERSION, auth, service_url=server.url, timeout=_timeout(fault), sleep=_no_wait
        ) as client:
            with pytest.raises(WatsonError) as info:
                await client.create_session("a", "e")
        assert leaks(info.value, ["apikey-SECRET-1234", *PLAIN_SECRETS, *ENCODED_SECRETS]) == []


@pytest.mark.parametrize(
    "reply",
    [
        b'{"access_token": "TOKEN-SECRET-no-expiry"}',
        b'{"access_token": "TOKEN-SECRET-no-expiry", "expires_in": "soon"}',
    ],
)
async def test_an_unusable_token_reply_keeps_the_token_out_of_the_error(reply: bytes) -> None:
    async with fault_server(json_ok(reply, "200 OK")) as server:
        auth = IAMAuthenticator("apikey-SECRET-1234", url=server.url)
        with pytest.raises(ResponseParseError) as info:
            await auth.authorization()
        await auth.aclose()
    assert info.value.body == "<redacted>"
    assert leaks(info.value, ["TOKEN-SECRET-no-expiry", "apikey-SECRET-1234"]) == []


async def test_cloud_pak_for_data_password_stays_out_of_transport_errors() -> None:
    fault = next(f for f in MATRIX if f.name == "oversized header")
    async with fault_server(fault) as server:
        auth = CloudPakForDataAuthenticator(server.url, "admin", "cp4d-SECRET-pw")
        with pytest.raises(TransportError) as info:
            await auth.authorization()
        await auth.aclose()
    assert leaks(info.value, ["cp4d-SECRET-pw"]) == []


async def test_a_401_error_shows_the_attempts_authorization_local_redacted(
    iam_fake: FakeAssistant,
) -> None:
    # The attempt's frame holds the Authorization header in a local: a renderer that
    # prints locals must see it redacted, whatever the authenticator returned.
    class Plain(Authenticator):
        async def authorization(self) -> str | None:
            return f"Bearer {BEARER}"  # a plain str, as custom authenticators return

    unauthorized = next(f for f in MATRIX if f.name == "401")
    async with (
        fault_server(unauthorized) as server,
        AssistantClient(VERSION, Plain(), service_url=server.url) as client,
    ):
        with pytest.raises(WatsonError) as info:
            await client.message("a", "e", "s", input={"text": "hi"})
    assert getattr(info.value, "status_code", None) == 401
    assert leaks(info.value, [BEARER]) == []
