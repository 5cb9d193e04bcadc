"""The aiohttp transport: request shaping (aioresponses) and failure mapping (real sockets)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aioresponses import aioresponses

from watson_async import AssistantClient, AttemptEvent, Event
from watson_async.auth import BearerTokenAuthenticator, NoAuthAuthenticator
from watson_async.errors import TransportError
from watson_async.testing import FakeAssistant
from watson_async.transport import AiohttpTransport

URL = "https://api.example/instances/abc"


async def test_request_goes_out_exactly_as_built() -> None:
    with aioresponses() as mocked:
        mocked.post(
            f"{URL}/v2/assistants/a%20b/environments/e/sessions?version=2024-08-25",
            status=201,
            payload={"session_id": "s-1"},
        )
        async with AssistantClient(
            "2024-08-25", BearerTokenAuthenticator("tok"), service_url=URL
        ) as client:
            session = await client.create_session("a b", "e")
        assert session.session_id == "s-1"
        ((key, calls),) = mocked.requests.items()
        assert key[0] == "POST"
        assert str(key[1]).endswith(
            "/v2/assistants/a%20b/environments/e/sessions?version=2024-08-25"
        )
        kwargs = calls[0].kwargs
        assert kwargs["headers"]["Authorization"] == "Bearer tok"
        assert kwargs["allow_redirects"] is False
        assert kwargs["data"] == b"{}"


async def test_connection_refused_is_a_transport_error_not_sent() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AssistantClient(
        "2024-08-25", NoAuthAuthenticator(), service_url=f"http://127.0.0.1:{port}", retry=None
    ) as client:
        with pytest.raises(TransportError) as info:
            await client.create_session("a", "e")
    assert info.value.request_sent is False
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_read_timeout_is_a_transport_error_that_may_have_been_sent() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # read nothing, answer nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with AssistantClient(
            "2024-08-25", NoAuthAuthenticator(), service_url=f"http://127.0.0.1:{port}"
        ) as client:
            with pytest.raises(TransportError) as info:
                await client.message("a", "e", "s", input={"text": "hi"}, timeout=0.2)
        assert info.value.timeout is True
        assert info.value.request_sent is True
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_second_event_loop_is_refused_clearly() -> None:
    transport = AiohttpTransport()
    transport._get_session()  # bind to this loop

    def other_loop() -> None:
        async def use() -> None:
            transport._get_session()

        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(use())

    await asyncio.to_thread(other_loop)
    await transport.aclose()


def test_ca_bundle_with_verification_off_is_refused() -> None:
    with pytest.raises(ValueError, match="ca_bundle"):
        AiohttpTransport(verify_ssl=False, ca_bundle="/etc/ssl/certs/ca-certificates.crt")


def test_ca_bundle_must_exist_and_builds_a_verifying_context() -> None:
    import ssl

    with pytest.raises(ValueError, match="is not a file"):
        AiohttpTransport(ca_bundle="/no/such/ca.pem")
    context = ssl.create_default_context()
    assert AiohttpTransport(ca_bundle=context)._ssl() is context
    assert AiohttpTransport(verify_ssl=False)._ssl() is False
    assert AiohttpTransport()._ssl() is True


async def test_proxy_and_per_call_timeout_reach_aiohttp() -> None:
    with aioresponses() as mocked:
        mocked.delete(f"{URL}/v2/assistants/a/sessions/s?version=2024-08-25", status=200)
        async with AssistantClient(
            "2024-08-25", NoAuthAuthenticator(), service_url=URL, proxy="http://127.0.0.1:3128"
        ) as client:
            await client.delete_session("a", None, "s", timeout=2.5)
            with pytest.raises(ValueError, match="timeout must be a positive number"):
                await client.delete_session("a", None, "s", timeout=0)
        ((_, calls),) = mocked.requests.items()
        assert calls[0].kwargs["proxy"] == "http://127.0.0.1:3128"
        assert calls[0].kwargs["timeout"].total == 2.5
        assert "Authorization" not in calls[0].kwargs["headers"]


# --- waiting for a connection ----------------------------------------------------------


class Held:
    """A ``sleep`` for FakeAssistant that holds delayed requests until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.arrived = 0
        self.concurrent = 0
        self.max_concurrent = 0
        self._changed = asyncio.Condition()

    async def sleep(self, seconds: float) -> None:
        async with self._changed:
            self.arrived += 1
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self._changed.notify_all()
        await self.release.wait()
        self.concurrent -= 1

    async def wait_arrived(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.arrived >= count), 5)


async def test_requests_beyond_the_pool_wait_for_a_slot_and_report_it() -> None:
    held = Held()
    events: list[Event] = []
    async with FakeAssistant(auth=False, sleep=held.sleep) as fake:
        fake.enqueue_delay(1.0, path_contains="/sessions", times=5)
        async with AssistantClient(
            "2024-08-25",
            NoAuthAuthenticator(),
            service_url=fake.service_url,
            max_connections=2,
            on_event=events.append,
        ) as client:
            calls = [
                asyncio.create_task(client.create_session(fake.assistant_id, fake.environment_id))
                for _ in range(5)
            ]
            await held.wait_arrived(2)
            held.release.set()
            sessions = await asyncio.gather(*calls)
            slots = client._transport._slots
            assert slots is not None
            assert not slots.locked()  # every slot came back...
            for _ in range(2):
                await slots.acquire()
            assert slots.locked()  # ...and no more than the pool's size
            for _ in range(2):
                slots.release()
    assert len({s.session_id for s in sessions}) == 5
    assert held.max_concurrent == 2
    waits = sorted(e.pool_wait or 0.0 for e in events if isinstance(e, AttemptEvent))
    assert len(waits) == 5
    assert waits[-1] > 0.0  # the queued ones report the time they waited for a slot


async def test_waiting_for_a_slot_is_bounded_by_the_connect_timeout() -> None:
    held = Held()
    async with FakeAssistant(auth=False, sleep=held.sleep) as fake:
        fake.enqueue_delay(1.0, path_contains="/sessions")
        async with AssistantClient(
            "2024-08-25",
            NoAuthAuthenticator(),
            service_url=fake.service_url,
            max_connections=1,
            connect_timeout=0.05,
            retry=None,
        ) as client:
            first = asyncio.create_task(
                client.create_session(fake.assistant_id, fake.environment_id)
            )
            await held.wait_arrived(1)
            with pytest.raises(TransportError, match="free connection") as info:
                await client.create_session(fake.assistant_id, fake.environment_id)
            assert info.value.request_sent is False  # safe to retry: nothing was sent
            assert info.value.timeout is True
            # A caller cancelled while it waits gives no slot away either.
            waiting = asyncio.create_task(
                client.create_session(fake.assistant_id, fake.environment_id)
            )
            await asyncio.sleep(0)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            held.release.set()
            await first
            await client.create_session(fake.assistant_id, fake.environment_id)
            slots = client._transport._slots
            assert slots is not None
            assert not slots.locked()
            await slots.acquire()
            assert slots.locked()
            slots.release()
