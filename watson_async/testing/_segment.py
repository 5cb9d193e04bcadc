"""``FakeSegment``: a fake of Segment's HTTP tracking API on a loopback socket.

``async with FakeSegment(write_key="wk") as fake:`` serves ``POST /v1/batch`` (and the
single-call routes ``/v1/track``, ``/v1/identify``, ... recorded as a batch of one) at
:attr:`FakeSegment.url`. Requests must carry the write key as the HTTP basic-auth user
name (401 otherwise). It records what it accepted (:attr:`~FakeSegment.batches`,
:attr:`~FakeSegment.calls`), can fail the next requests (:meth:`~FakeSegment.fail_next`,
:meth:`~FakeSegment.disconnect_next`), hold responses until released
(:meth:`~FakeSegment.hold`), and lets a test wait for traffic without sleeping
(:meth:`~FakeSegment.wait_for_calls`, :meth:`~FakeSegment.wait_for_requests`).

Like the real service it answers 400 to a body that is not JSON or is larger than
500 KB. (The real API is documented to answer 200 to most other mistakes, a wrong
write key included; the 401 here lets tests see a misconfigured key.)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from watson_async._lifecycle import AsyncServing

from ._common import serve

__all__ = ["DEFAULT_WRITE_KEY", "FakeSegment", "RecordedBatch"]

DEFAULT_WRITE_KEY = "fake-segment-write-key"
_MAX_BODY = 500 * 1024
_SINGLE = ("track", "identify", "page", "screen", "group", "alias")


@dataclass(frozen=True)
class RecordedBatch:
    """One accepted request: its parsed ``body``, the ``calls`` in it and the path."""

    path: str
    body: dict[str, Any]
    calls: list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    status: int | None  # None: drop the connection
    remaining: int
    retry_after: float | None = None


class FakeSegment(AsyncServing):
    """A fake Segment tracking API (``POST /v1/batch``) on 127.0.0.1.

    Counters: :attr:`requests` (every request), :attr:`unauthorized` (401s),
    :attr:`failures_injected`. Accepted batches are in :attr:`batches` and their
    calls, in order, in :attr:`calls`.
    """

    def __init__(self, *, write_key: str = DEFAULT_WRITE_KEY, host: str = "127.0.0.1") -> None:
        self.write_key = write_key
        self.host = host
        self.port = 0
        self.batches: list[RecordedBatch] = []
        self.requests = 0
        self.unauthorized = 0
        self.failures_injected = 0
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Condition | None = None
        self._gate: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"FakeSegment(url={self.url if self._runner else None!r})"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSegment is already started")
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=4 * _MAX_BODY)
        app.router.add_post("/v1/batch", self._handle)
        app.router.add_post("/v1/import", self._handle)
        for kind in _SINGLE:
            app.router.add_post(f"/v1/{kind}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        self.port = await serve(runner, self.host, 0)
        self._runner = runner

    async def stop(self) -> None:
        """Stop serving; safe to call twice. Held requests are released first."""
        runner, self._runner = self._runner, None
        if self._gate is not None:
            self._gate.set()
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port``: pass it as the sink's ``url``."""
        if self._runner is None:
            raise RuntimeError("FakeSegment is not started")
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ what was received

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every accepted call, in arrival order."""
        return [call for batch in self.batches for call in batch.calls]

    def events(self) -> list[str]:
        """The ``event`` of every accepted call."""
        return [str(call.get("event")) for call in self.calls]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked when a held request arrives and
        after every request is answered)."""
        assert self._changed is not None, "FakeSegment is not started"
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_for_calls(self, count: int, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` calls were accepted."""
        await self.wait_for(lambda: len(self.calls) >= count, timeout)

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` requests (accepted or not) were answered."""
        await self.wait_for(lambda: self.requests >= count, timeout)

    # ------------------------------------------------------------------ faults

    def fail_next(self, status: int, times: int = 1, *, retry_after: float | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``Retry-After``)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(_Fault(status, times, retry_after))

    def disconnect_next(self, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` requests."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(_Fault(None, times))

    def hold(self) -> None:
        """Keep requests waiting (unanswered) until :meth:`release`."""
        self._gate = asyncio.Event()

    def release(self) -> None:
        """Answer the held requests and stop holding."""
        if self._gate is not None:
            self._gate.set()
            self._gate = None

    def _take_fault(self) -> _Fault | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.pop(0)
        return fault

    # ------------------------------------------------------------------ handler

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, _password = decoded.partition(":")
        return user == self.write_key

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        gate = self._gate
        if gate is not None:
            # A held request has arrived: let wait_for() look again (its sender's state
            # has moved on), rather than only once it is answered.
            assert self._changed is not None
            async with self._changed:
                self._changed.notify_all()
            await gate.wait()
        try:
            return await self._answer(request)
        finally:
            self.requests += 1
            assert self._changed is not None
            async with self._changed:
                self._changed.notify_all()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        fault = self._take_fault()
        if fault is not None:
            self.failures_injected += 1
            if fault.status is None:
                transport = request.transport
                if transport is not None:
                    transport.close()
                # Writing this to the closed transport fails; aiohttp drops it.
                return web.Response(status=500)
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return web.json_response(
                {"success": False, "message": "fault injected"},
                status=fault.status,
                headers=headers,
            )
        if not self._authorized(request):
            self.unauthorized += 1
            return web.json_response({"success": False, "message": "Invalid write key"}, status=401)
        if len(raw) > _MAX_BODY:
            return web.json_response({"success": False, "message": "Too large"}, status=400)
        try:
            body = json.loads(raw)
        except ValueError:
            return web.json_response({"success": False, "message": "Invalid JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"success": False, "message": "Invalid JSON"}, status=400)
        kind = request.path.rsplit("/", 1)[-1]
        if kind in ("batch", "import"):
            calls = body.get("batch")
            if not isinstance(calls, list):
                return web.json_response(
                    {"success": False, "message": "batch must be an array"}, status=400
                )
        else:
            calls = [{"type": kind, **body}]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        self.batches.append(RecordedBatch(request.path, body, list(calls), headers))
        return web.json_response({"success": True})
