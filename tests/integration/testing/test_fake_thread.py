"""``FakeAssistant.in_thread()``: the fake on a loop of its own, for sync tests (issue 17)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.request
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from watson_async import AssistantClient
from watson_async.testing import FakeAssistant


def test_a_sync_test_reaches_the_fake_with_urllib() -> None:
    with FakeAssistant().in_thread() as fake:
        assert fake.started
        token = fake.issue_token()
        request = urllib.request.Request(
            f"{fake.service_url}/v2/assistants?version=2024-08-25",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
        assert [a["assistant_id"] for a in body["assistants"]] == [fake.assistant_id]
        assert [r.path for r in fake.requests] == [f"/instances/{fake.instance_id}/v2/assistants"]
    assert not fake.started
    assert not any(t.name == "FakeAssistant.in_thread" for t in threading.enumerate())


def test_a_port_in_use_is_raised_in_the_caller() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        fake = FakeAssistant(port=taken.getsockname()[1])
        with pytest.raises(OSError, match=r"(?i)address already in use"), fake.in_thread():
            pass  # pragma: no cover
    assert not any(t.name == "FakeAssistant.in_thread" for t in threading.enumerate())


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with AssistantClient.from_env("2024-08-25") as client:
        app.state.client = client
        yield


_app = FastAPI(lifespan=_lifespan)


@_app.post("/chat")
async def _chat(text: str, assistant_id: str, environment_id: str) -> dict[str, str]:
    client: AssistantClient = _app.state.client
    reply = await client.message_stateless(assistant_id, environment_id, input={"text": text})
    return {"reply": reply.text or ""}


def test_fastapi_testclient_with_the_fake_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # TestClient runs the app on a loop of its own in another thread; the fake used to
    # serve on the (idle) test loop, and the request hung until its timeout.
    with FakeAssistant().in_thread() as fake:
        for key, value in fake.environ().items():
            monkeypatch.setenv(key, value)
        with TestClient(_app) as http:
            response = http.post(
                "/chat",
                params={
                    "text": "hello",
                    "assistant_id": fake.assistant_id,
                    "environment_id": fake.environment_id,
                },
            )
        assert response.status_code == 200, response.text
        assert response.json()["reply"].startswith("Hello!")
        assert fake.iam_calls == 1
