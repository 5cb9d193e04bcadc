"""examples/fastapi_backend/app.py, run as docs/backends.md says: its lifespan under
``app.router.lifespan_context``, requests through ``httpx.ASGITransport``, the service
played by the ``fake_assistant`` fixture (issue 17, "Done when")."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import httpx

from watson_async.testing import FakeAssistant

APP = Path(__file__).resolve().parents[3] / "examples" / "fastapi_backend" / "app.py"
MESSAGE = "/message"
Factory = Callable[..., Awaitable[FakeAssistant]]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_backend_app", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


backend = _load()


@asynccontextmanager
async def served(fake: FakeAssistant, **extra: str) -> AsyncIterator[httpx.AsyncClient]:
    app = backend.create_app({**fake.environ(), **extra})
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://backend") as http,
    ):
        yield http


async def chat(http: httpx.AsyncClient, user_id: str, text: str) -> httpx.Response:
    return await http.post("/chat", json={"user_id": user_id, "text": text})


class Hold:
    """The fake's ``sleep``: a delayed request waits here until the test lets it go."""

    def __init__(self) -> None:
        self.parked = asyncio.Event()
        self.release = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if seconds:
            self.parked.set()
            await self.release.wait()


async def test_each_user_keeps_their_dialog_across_requests(
    fake_assistant: FakeAssistant,
) -> None:
    async with served(fake_assistant) as http:
        first = await chat(http, "alice", "book a trip")
        assert first.json() == {"text": "Where would you like to go?", "options": []}
        other = await chat(http, "bob", "menu")
        assert other.json()["options"] == ["Book a trip", "Talk to an agent"]
        second = await chat(http, "alice", "Paris")
        assert second.status_code == 200
        assert second.json()["text"] == "Booked a trip to Paris."
        assert len(fake_assistant.sessions) == 2  # one per user
    assert fake_assistant.sessions == frozenset()  # shutdown deleted them


async def test_a_rate_limit_is_429_with_the_services_retry_after(
    fake_assistant: FakeAssistant,
) -> None:
    async with served(fake_assistant) as http:
        fake_assistant.enqueue_error(429, headers={"Retry-After": "30"}, path_contains=MESSAGE)
        response = await chat(http, "carol", "hello")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {"error": "rate limited"}


async def test_input_the_service_would_refuse_is_422(fake_assistant: FakeAssistant) -> None:
    async with served(fake_assistant) as http:
        newline = await chat(http, "dave", "two\nlines")
        missing = await http.post("/chat", json={"user_id": "dave"})
        bad_user = await chat(http, "", "hello")
    assert newline.status_code == 422
    assert newline.json() == {"error": "invalid input"}
    assert missing.status_code == 422
    assert bad_user.status_code == 422
    assert fake_assistant.requests_to(MESSAGE) == []


async def test_an_upstream_failure_is_502_without_the_errors_text(
    fake_assistant: FakeAssistant,
) -> None:
    async with served(fake_assistant) as http:
        fake_assistant.enqueue_error(500, path_contains=MESSAGE)
        response = await chat(http, "erin", "hello")
    assert response.status_code == 502
    assert response.json() == {"error": "assistant failed"}
    assert fake_assistant.assistant_id not in response.text


async def test_a_timeout_is_504(fake_assistant_factory: Factory) -> None:
    hold = Hold()
    fake = await fake_assistant_factory(sleep=hold.sleep)
    async with served(fake, CHAT_TIMEOUT="0.2") as http:
        fake.enqueue_delay(1.0, path_contains=MESSAGE)
        response = await chat(http, "frank", "hello")
        hold.release.set()
    assert response.status_code == 504
    assert response.json() == {"error": "assistant timed out"}


async def test_a_full_pool_is_503(fake_assistant_factory: Factory) -> None:
    hold = Hold()
    fake = await fake_assistant_factory(sleep=hold.sleep)
    async with served(fake, CHAT_MAX_USERS="1") as http:
        fake.enqueue_delay(1.0, path_contains=MESSAGE)
        busy = asyncio.create_task(chat(http, "gina", "hello"))
        await hold.parked.wait()  # gina is mid-turn and holds the only place
        refused = await chat(http, "hana", "hello")
        hold.release.set()
        assert (await busy).status_code == 200
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"


async def test_a_streamed_turn_is_the_text_and_the_dialog_goes_on(
    fake_assistant: FakeAssistant,
) -> None:
    async with served(fake_assistant) as http:
        async with http.stream(
            "POST", "/chat/stream", json={"user_id": "ivan", "text": "book a trip"}
        ) as response:
            assert response.status_code == 200
            pieces = [piece async for piece in response.aiter_text() if piece]
        # (httpx.ASGITransport hands the body over whole: the pieces are joined here)
        assert "".join(pieces) == "Where would you like to go?"
        after = await chat(http, "ivan", "Oslo")  # the streamed turn is the dialog's
        assert after.json()["text"] == "Booked a trip to Oslo."
    assert fake_assistant.sessions == frozenset()


async def test_a_stream_refused_before_its_first_frame_gets_the_errors_status(
    fake_assistant: FakeAssistant,
) -> None:
    async with served(fake_assistant) as http:
        fake_assistant.enqueue_error(429, headers={"Retry-After": "7"}, path_contains=MESSAGE)
        response = await http.post("/chat/stream", json={"user_id": "judy", "text": "hi"})
        assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
        again = await chat(http, "judy", "hello")  # the lease was given back
        assert again.status_code == 200


async def test_a_call_past_the_deadline_is_504(fake_assistant_factory: Factory) -> None:
    hold = Hold()
    fake = await fake_assistant_factory(sleep=hold.sleep)
    async with served(fake, CHAT_DEADLINE="0.2") as http:
        fake.enqueue_delay(1.0, path_contains=MESSAGE)
        response = await chat(http, "kim", "hello")
        hold.release.set()
    assert response.status_code == 504
    assert response.json() == {"error": "assistant timed out"}
