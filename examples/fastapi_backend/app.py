"""A FastAPI chat backend: one AssistantClient and one ConversationPool per process.

POST /chat {"user_id": ..., "text": ...} sends one turn of that user's conversation and
answers {"text": ..., "options": [...]}. Configuration comes from the environment
(``AssistantClient.from_env``: ASSISTANT_APIKEY, ASSISTANT_URL, ...) plus
ASSISTANT_ID and ASSISTANT_ENVIRONMENT_ID. Run it with ``uvicorn app:app``; see
README.md next to this file and docs/backends.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from watson_async import (
    AssistantClient,
    ClientClosedError,
    PoolFullError,
    RateLimitError,
    RetryPolicy,
    TransportError,
    WatsonError,
)
from watson_async.conversation import ConversationPool

VERSION = "2024-08-25"
#: An interactive request gives up after about 10 s instead of the default minute, and
#: a rate limit that resets later than 2 s from now goes back to the browser at once.
INTERACTIVE = RetryPolicy(max_attempts=3, total_timeout=10.0, max_wait=2.0)


class ChatRequest(BaseModel):
    user_id: str
    text: str


class ChatReply(BaseModel):
    text: str
    options: list[str]


def create_app(environ: Mapping[str, str] | None = None) -> FastAPI:
    """The app, configured from ``environ`` (default: the process environment) when it
    starts."""
    env = os.environ if environ is None else environ

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = AssistantClient.from_env(
            VERSION, environ=env, retry=INTERACTIVE, timeout=float(env.get("CHAT_TIMEOUT", 30))
        )
        assistant = client.assistant(env["ASSISTANT_ID"], env.get("ASSISTANT_ENVIRONMENT_ID"))
        pool = assistant.conversation_pool(
            max_users=int(env.get("CHAT_MAX_USERS", 10_000)),
            idle_timeout=float(env.get("CHAT_IDLE_TIMEOUT", 240)),
        )
        async with client, pool:  # leaving: the pool deletes every session, then the client closes
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)
    app.add_exception_handler(WatsonError, error_response)
    app.add_exception_handler(ValueError, error_response)

    @app.post("/chat")
    async def chat(body: ChatRequest, pool: Pool) -> ChatReply:
        reply = await pool.send(body.user_id, body.text)
        labels = [option.label for option in reply.options if option.label is not None]
        return ChatReply(text=reply.text, options=labels)

    return app


def get_pool(request: Request) -> ConversationPool:
    """The process's pool, created by the lifespan."""
    pool: ConversationPool = request.app.state.pool
    return pool


Pool = Annotated[ConversationPool, Depends(get_pool)]


def error_response(request: Request, exc: Exception) -> JSONResponse:
    """A library error as an HTTP status; the body never repeats the error's text
    (it may name the assistant or session)."""
    if isinstance(exc, ValueError):  # refused before sending: bad user_id or text
        return JSONResponse({"error": "invalid input"}, status_code=422)
    if isinstance(exc, RateLimitError):
        wait = math.ceil(exc.retry_after) if exc.retry_after is not None else 1
        return JSONResponse(
            {"error": "rate limited"}, status_code=429, headers={"Retry-After": str(wait)}
        )
    if isinstance(exc, (PoolFullError, ClientClosedError)):  # busy, or shutting down
        return JSONResponse({"error": "busy"}, status_code=503, headers={"Retry-After": "1"})
    if isinstance(exc, TransportError) and exc.timeout:
        return JSONResponse({"error": "assistant timed out"}, status_code=504)
    return JSONResponse({"error": "assistant failed"}, status_code=502)


app = create_app()
