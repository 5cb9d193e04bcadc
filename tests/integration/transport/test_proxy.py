"""Proxies: service calls, IAM and Cloud Pak for Data token requests and Segment batches
go through a real loopback proxy (tests/_proxy.py) that counts what passes; the proxy
environment variables are honoured unless an explicit ``proxy=`` or
``proxy_from_env=False`` says otherwise. Token requests share the client's CA bundle.
"""

from __future__ import annotations

import io
import logging
import socket
import ssl
from collections.abc import AsyncIterator

import pytest
from _proxy import CountingProxy
from yarl import URL

from watson_async import (
    AiohttpTransport,
    AssistantClient,
    CloudPakForDataAuthenticator,
    IAMAuthenticator,
    NoAuthAuthenticator,
    TokenAuthenticator,
    TransportError,
)
from watson_async.analytics import SegmentBatchSink, derive_session_started
from watson_async.cli.main import main
from watson_async.loadtest import LoadTestConfig
from watson_async.loadtest._runner import LoadTestRunner
from watson_async.testing import FakeAssistant
from watson_async.testing._segment import FakeSegment
from watson_async.transport import ConnectionSettings, env_proxy

VERSION = "2024-08-25"
CA_FILE = ssl.get_default_verify_paths().cafile


@pytest.fixture
async def fake() -> AsyncIterator[FakeAssistant]:
    async with FakeAssistant() as fake:
        yield fake


@pytest.fixture
async def proxy() -> AsyncIterator[CountingProxy]:
    async with CountingProxy() as proxy:
        yield proxy


@pytest.fixture
async def other_proxy() -> AsyncIterator[CountingProxy]:
    async with CountingProxy() as proxy:
        yield proxy


def iam(fake: FakeAssistant) -> IAMAuthenticator:
    return IAMAuthenticator(fake.apikey, url=fake.iam_url)


def cp4d(fake: FakeAssistant) -> CloudPakForDataAuthenticator:
    return CloudPakForDataAuthenticator(fake.cp4d_url, fake.cp4d_username, fake.cp4d_password)


async def converse(client: AssistantClient, fake: FakeAssistant) -> None:
    """Two plain calls and a streamed one (the transport's two request paths)."""
    aid, eid = fake.assistant_id, fake.environment_id
    session = await client.create_session(aid, eid)
    await client.message(aid, eid, session.session_id, input={"text": "hello"})
    async with await client.message_stream_stateless(aid, eid, input={"text": "hi"}) as stream:
        await stream.collect()


# --- an explicit proxy= ---------------------------------------------------------------


async def test_explicit_proxy_carries_service_and_iam_token_requests(
    fake: FakeAssistant, proxy: CountingProxy
) -> None:
    async with AssistantClient(
        VERSION, iam(fake), service_url=fake.service_url, proxy=proxy.url
    ) as client:
        await converse(client, fake)
    assert proxy.count("/identity/token") == fake.iam_calls == 1
    assert proxy.service_count() == 3
    assert len(proxy.requests) == 4  # nothing else, nothing twice


async def test_explicit_proxy_carries_cp4d_token_requests(
    fake: FakeAssistant, proxy: CountingProxy
) -> None:
    async with AssistantClient(
        VERSION, cp4d(fake), service_url=fake.service_url, proxy=proxy.url
    ) as client:
        await converse(client, fake)
    assert proxy.count("/v1/authorize") == fake.cp4d_calls == 1
    assert proxy.service_count() == 3


async def test_proxy_credentials_in_the_url_authenticate_to_the_proxy_only(
    fake: FakeAssistant, proxy: CountingProxy
) -> None:
    with_credentials = proxy.url.replace("http://", "http://squid:pr0xy-s3cret@")
    client = AssistantClient(
        VERSION, iam(fake), service_url=fake.service_url, proxy=with_credentials
    )
    async with client:
        await client.list_assistants()
    assert {r.headers.get("proxy-authorization") for r in proxy.requests} == {
        "Basic c3F1aWQ6cHIweHktczNjcmV0"  # squid:pr0xy-s3cret
    }
    assert "Basic c3F1aWQ6cHIweHktczNjcmV0" not in {
        r.headers.get("authorization") for r in proxy.requests
    }
    transport = client._transport
    assert isinstance(transport, AiohttpTransport)
    assert "pr0xy-s3cret" not in repr(transport._settings)
    assert "squid:***@" in repr(transport._settings)


def test_proxy_must_be_an_http_url() -> None:
    for bad in ("proxy.corp:3128", "socks5://127.0.0.1:1080", ""):
        with pytest.raises(ValueError, match="proxy must be a URL"):
            AssistantClient(VERSION, NoAuthAuthenticator(), proxy=bad)
        with pytest.raises(ValueError, match="proxy must be a URL"):
            SegmentBatchSink("wk", proxy=bad)


# --- the environment ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HTTP_PROXY", "http_proxy"])
async def test_http_proxy_from_the_environment_is_used_by_default(
    fake: FakeAssistant, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, proxy.url)
    async with AssistantClient(VERSION, iam(fake), service_url=fake.service_url) as client:
        await converse(client, fake)
    assert proxy.count("/identity/token") == 1
    assert proxy.service_count() == 3


async def test_the_environment_reaches_cp4d_token_requests(
    fake: FakeAssistant, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url.removeprefix("http://"))  # no scheme: http
    async with AssistantClient(VERSION, cp4d(fake), service_url=fake.service_url) as client:
        await client.list_assistants()
    assert proxy.count("/v1/authorize") == 1
    assert proxy.service_count() == 1


async def test_an_authenticator_without_a_client_honours_the_environment(
    fake: FakeAssistant, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    auth = iam(fake)
    try:
        assert await auth.authorization()
    finally:
        await auth.aclose()
    assert proxy.count("/identity/token") == 1


async def test_each_scheme_has_its_own_variable(
    fake: FakeAssistant,
    proxy: CountingProxy,
    other_proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", other_proxy.url)  # https:// URLs only
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with AssistantClient(VERSION, iam(fake), service_url=fake.service_url) as client:
        await client.list_assistants()
    assert other_proxy.requests == []
    assert (proxy.count("/identity/token"), proxy.service_count()) == (1, 1)


async def test_no_proxy_excludes_the_hosts_it_names(
    fake: FakeAssistant, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same fake under two names: tokens from "localhost" (excluded), calls to 127.0.0.1.
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.com, LOCALHOST")
    auth = IAMAuthenticator(fake.apikey, url=f"http://localhost:{fake.port}")
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        await client.list_assistants()
    assert fake.iam_calls == 1
    assert proxy.count("/identity/token") == 0
    assert proxy.service_count() == 1


async def test_no_proxy_with_a_port_excludes_only_that_host_and_port(
    fake: FakeAssistant, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"127.0.0.1:{fake.port}")
    auth = IAMAuthenticator(fake.apikey, url=f"http://localhost:{fake.port}")
    async with AssistantClient(VERSION, auth, service_url=fake.service_url) as client:
        await client.list_assistants()
    assert (proxy.count("/identity/token"), proxy.service_count()) == (1, 0)
    assert env_proxy(URL(f"http://127.0.0.1:{fake.port + 1}/")) == proxy.url


async def test_explicit_proxy_wins_over_the_environment(
    fake: FakeAssistant,
    proxy: CountingProxy,
    other_proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", other_proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # applies to the environment's proxy only
    async with AssistantClient(
        VERSION, iam(fake), service_url=fake.service_url, proxy=proxy.url
    ) as client:
        await converse(client, fake)
    assert other_proxy.requests == []
    assert proxy.count("/identity/token") == 1
    assert proxy.service_count() == 3


@pytest.mark.parametrize("make_auth", [iam, cp4d])
async def test_proxy_from_env_false_ignores_the_environment(
    fake: FakeAssistant,
    proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
    make_auth: object,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("http_proxy", proxy.url)
    assert callable(make_auth)
    async with AssistantClient(
        VERSION, make_auth(fake), service_url=fake.service_url, proxy_from_env=False
    ) as client:
        await converse(client, fake)
    assert proxy.requests == []
    assert fake.token_requests == 1


async def test_segment_batches_honour_the_environment_and_proxy_from_env(
    proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    call = derive_session_started("s-1", clock=lambda: 1_700_000_000.0, new_id=lambda: "m-1")
    async with FakeSegment(write_key="wk") as segment:
        sink = SegmentBatchSink("wk", url=segment.url)
        await sink.send(call)
        await sink.aclose()
        assert (sink.sent, proxy.count("/v1/batch")) == (1, 1)
        direct = SegmentBatchSink("wk", url=segment.url, proxy_from_env=False)
        await direct.send(call)
        await direct.aclose()
        assert (direct.sent, proxy.count("/v1/batch")) == (1, 1)
        explicit = SegmentBatchSink("wk", url=segment.url, proxy=proxy.url, proxy_from_env=False)
        await explicit.send(call)
        await explicit.aclose()
        assert (explicit.sent, proxy.count("/v1/batch")) == (1, 2)
    assert segment.requests == 3


# --- what token requests are given ----------------------------------------------------


def token_settings(auth: TokenAuthenticator) -> ConnectionSettings:
    transport = auth._get_transport()
    assert isinstance(transport, AiohttpTransport)
    return transport._settings


def test_token_transport_gets_the_client_ca_bundle_proxy_and_env_setting() -> None:
    context = ssl.create_default_context()
    auth = IAMAuthenticator("key")
    AssistantClient(
        VERSION, auth, ca_bundle=context, proxy="http://127.0.0.1:3128", proxy_from_env=False
    )
    settings = token_settings(auth)
    assert settings == ConnectionSettings(
        verify_ssl=True, ca_bundle=context, proxy="http://127.0.0.1:3128", proxy_from_env=False
    )
    transport = auth._get_transport()
    assert isinstance(transport, AiohttpTransport)
    assert transport._ssl() is context


@pytest.mark.skipif(CA_FILE is None, reason="no default CA file to point at")
def test_a_ca_bundle_path_reaches_cp4d_token_requests() -> None:
    auth = CloudPakForDataAuthenticator("https://cpd.example", "admin", "pw")
    AssistantClient(VERSION, auth, ca_bundle=CA_FILE)
    assert token_settings(auth).ca_bundle == CA_FILE


def test_tls_verification_is_turned_off_for_tokens_only_by_the_authenticator() -> None:
    # The client's switch covers the service (ASSISTANT_DISABLE_SSL), the authenticator's
    # the token service (ASSISTANT_AUTH_DISABLE_SSL), as in IBM's SDKs.
    checked = IAMAuthenticator("key")
    AssistantClient(VERSION, checked, disable_ssl_verification=True)
    assert token_settings(checked).verify_ssl is True
    unchecked = IAMAuthenticator("key", disable_ssl_verification=True)
    AssistantClient(VERSION, unchecked, ca_bundle=ssl.create_default_context())
    assert token_settings(unchecked).verify_ssl is False
    assert token_settings(unchecked).ca_bundle is None


def test_a_custom_aiohttp_transport_lends_its_settings_to_token_requests() -> None:
    auth = IAMAuthenticator("key")
    AssistantClient(VERSION, auth, transport=AiohttpTransport(proxy="http://127.0.0.1:3128"))
    assert token_settings(auth).proxy == "http://127.0.0.1:3128"


def test_an_authenticator_with_its_own_transport_keeps_it() -> None:
    own = AiohttpTransport(proxy_from_env=False)
    auth = IAMAuthenticator("key", transport=own)
    AssistantClient(VERSION, auth, proxy="http://127.0.0.1:3128")
    assert auth._get_transport() is own


def test_a_shared_authenticator_keeps_the_first_client_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth = IAMAuthenticator("key")
    AssistantClient(VERSION, auth, proxy="http://127.0.0.1:3128")
    with caplog.at_level(logging.WARNING, logger="watson_async.auth"):
        AssistantClient(VERSION, auth, proxy="http://127.0.0.1:3128")  # the same: quiet
        assert caplog.records == []
        AssistantClient(VERSION, auth, proxy="http://user:secret@127.0.0.1:8080")
    assert token_settings(auth).proxy == "http://127.0.0.1:3128"
    (record,) = caplog.records
    assert "different proxy or TLS settings" in record.getMessage()
    assert "secret" not in record.getMessage()


async def test_a_proxy_refusing_a_tunnel_is_a_transport_error_without_its_password(
    proxy: CountingProxy,
) -> None:
    with_credentials = proxy.url.replace("http://", "http://squid:pr0xy-s3cret@")
    async with AssistantClient(
        VERSION,
        NoAuthAuthenticator(),
        service_url="https://assistant.invalid",  # CONNECT, which the proxy refuses
        proxy=with_credentials,
        retry=None,
    ) as client:
        with pytest.raises(TransportError) as info:
            await client.list_assistants()
    assert [r.method for r in proxy.requests] == ["CONNECT"]
    assert "the proxy refused the connection: HTTP 403" in str(info.value)
    assert info.value.request_sent is False
    assert "pr0xy-s3cret" not in f"{info.value} {info.value!r}"


# --- the commands that run their own fake ---------------------------------------------


def nobody_listens() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_demo_and_chat_with_their_own_fake_ignore_the_proxy_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HTTP_PROXY", nobody_listens())
    assert main(["demo", "--conversations", "1", "--concurrency", "1"]) == 0
    assert "errors     0" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("menu\n/quit\n"))
    assert main(["chat", "--fake"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("-- bye")


async def test_a_load_test_against_its_own_fake_ignores_the_proxy_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", nobody_listens())
    report = await LoadTestRunner(LoadTestConfig(users=1, conversations=1, turns=1)).run()
    assert report.total.failed == 0
    assert report.conversations.completed == 1
