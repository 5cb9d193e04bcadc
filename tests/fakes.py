"""In-memory test doubles for the transport seam (no sockets)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from watson_async.transport import HttpResponse


@attrs.define
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    timeout: float | None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def response(
    status: int = 200, body: Any = None, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    if isinstance(body, (dict, list)):
        raw = json.dumps(body).encode()
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = body or b""
    hdrs: CIMultiDict[str] = CIMultiDict({"X-Global-Transaction-Id": "txn-test"})
    hdrs.update(headers or {})
    return HttpResponse(status, "OK" if status < 400 else "Error", CIMultiDictProxy(hdrs), raw)


Responder = Callable[[Sent], HttpResponse]


class ScriptedTransport:
    """Answers each request with the next scripted response (or a function of it)."""

    def __init__(self, *responses: HttpResponse | Responder | BaseException) -> None:
        self.script = list(responses)
        self.sent: list[Sent] = []
        self.closed = 0
        self.gate: asyncio.Event | None = None

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float | None,
    ) -> HttpResponse:
        sent = Sent(method, url, dict(headers), body, timeout)
        self.sent.append(sent)
        if self.gate is not None:
            await self.gate.wait()
        if not self.script:
            raise AssertionError(f"unexpected request {method} {url}")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(sent)
        return item

    async def aclose(self) -> None:
        self.closed += 1


class ManualClock:
    """A clock (wall or monotonic) the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def scoped(fake: Any, tail: str = "") -> str:
    """URL of an environment-scoped v2 route of a FakeAssistant."""
    return (
        f"{fake.service_url}/v2/assistants/{fake.assistant_id}"
        f"/environments/{fake.environment_id}{tail}"
    )


class VirtualTime:
    """A monotonic clock and a matching ``sleep`` that only the test moves forward.

    ``sleep(d)`` parks the caller until :meth:`advance` passes its deadline, so code with
    background timers (token refresh) runs deterministically and instantly.
    """

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self._slept: asyncio.Event | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + max(delay, 0.0), future))
        if self._slept is not None:
            self._slept.set()
        await future

    async def until_sleeping(self, count: int = 1) -> None:
        """Return once ``count`` sleeps are pending (a background task reached its timer)."""
        while self.sleepers < count:
            self._slept = asyncio.Event()
            await self._slept.wait()

    @property
    def sleepers(self) -> int:
        """How many sleeps are pending."""
        return sum(1 for _, f in self._sleepers if not f.done())

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleep that is due."""
        self.now += seconds
        due = [(t, f) for t, f in self._sleepers if t <= self.now]
        self._sleepers = [(t, f) for t, f in self._sleepers if t > self.now and not f.done()]
        for _, future in due:
            if not future.done():
                future.set_result(None)


class Events:
    """Collects refresh events; ``wait(n)`` returns once n events have arrived."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait(self, count: int) -> list[Any]:
        while len(self.events) < count:
            self._changed.clear()
            await self._changed.wait()
        return self.events


class JumpClock:
    """A clock whose ``sleep(d)`` returns at once and moves time to the sleeper's deadline.

    Shared by the client (clock, sleep) and FakeAssistant (as ``WALL0 + now``), it lets
    minutes of rate-limit windows pass in milliseconds while keeping their order.
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        deadline = self.now + max(delay, 0.0)
        self.slept.append(delay)
        await asyncio.sleep(0)
        self.now = max(self.now, deadline)
