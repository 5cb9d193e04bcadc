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


def environ(fake: FakeAssistant, **extra: str) -> dict[str, str]:
    """What the app reads from the environment, naming the fake."""
    return {
        "ASSISTANT_AUTH_TYPE": "iam",
        "ASSISTANT_APIKEY": fake.apikey,
        "ASSISTANT_AUTH_URL": fake.iam_url,
        "ASSISTANT_URL": fake.service_url,
        "ASSISTANT_ID": fake.assistant_id,
        "ASSISTANT_ENVIRONMENT_ID": fake.environment_id,
        **extra,
    }


@asynccontextmanager
async def served(fake: FakeAssistant, **extra: str) -> AsyncIterator[httpx.AsyncClient]:
    app = backend.create_app(environ(fake, **extra))
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
