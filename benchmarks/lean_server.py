"""A lean fake Watson Assistant v2 for load benchmarks: a raw asyncio.Protocol server.

The aiohttp.web fake (``watson_async.testing.FakeAssistant``) costs 25-100 us of CPU per
request, as much as the client under test. This one parses HTTP/1.1 by hand, keeps
connections alive and answers from pre-encoded bytes (a few us per request), so it runs
in its own process and is never the bottleneck:

* ``POST .../sessions``: 201 ``{"session_id": "<uuid4>"}``
* ``POST .../sessions/{sid}/message`` (and stateless ``POST .../message``): 200 with a
  realistic ~2.3 KB message response (see ``_common.realistic_message``)
* ``DELETE .../sessions/{sid}``: 200, empty body
* ``POST /identity/token``: 200, an IAM token reply (a signed JWT valid for an hour,
  ``expires_in``, ``expiration``) for any API key, so an IAM authenticator can be given
  ``url=`` this server

with ``Date``, ``X-Global-Transaction-Id`` and ``X-RateLimit-Limit/Remaining/Reset``
headers like the service's (a generous limit: the client's rate-limit gate never holds).
Any ``Authorization`` is accepted. Control endpoints for the benchmarks: ``GET /_stats``
(requests served, server CPU seconds, parked messages, open connections), ``POST /_hold``
(park message requests until ``POST /_release``). ``--delay`` delays every message reply.

    python benchmarks/lean_server.py [--port 0] [--cpu N] [--delay 0] [--message-size 2300]

prints ``LISTENING <port>`` and serves until stdin closes or it gets SIGTERM. From a
benchmark: ``with LeanServer(cpu=1) as server: ... server.service_url ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from _common import message_bytes, pin

RATE_LIMIT = 1_000_000  # per 60 s window: generous, the gate never holds
RATE_WINDOW = 60

_REASONS = {200: b"OK", 201: b"Created", 404: b"Not Found", 501: b"Not Implemented"}
_JSON = b"application/json; charset=utf-8"


class _State:
    """Counters and pre-encoded bodies shared by all connections."""

    def __init__(self, message_size: int, delay: float) -> None:
        self.message = message_bytes(message_size)
        self.delay = delay
        self.requests = 0
        self.connections = 0
        self.hold = False
        self.parked: list[tuple[LeanProtocol, bytes]] = []
        self.txn_prefix = os.urandom(6).hex().encode()
        self.iam_token = _iam_token_reply()
        self._second = -1
        self._date = b""
        self._window = -1
        self._count = 0
        self._reset = b""

    def headers(self, status: int, content_length: int) -> bytes:
        """Status line and headers, built per response (date and rate counters change)."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._date = formatdate(second, usegmt=True).encode()
        window = second // RATE_WINDOW
        if window != self._window:
            self._window = window
            self._count = 0
            self._reset = str((window + 1) * RATE_WINDOW).encode()
        self._count += 1
        self.requests += 1
        txn = b"%s%016x" % (self.txn_prefix, self.requests)
        return (
            b"HTTP/1.1 %d %s\r\n"
            b"Content-Type: %s\r\n"
            b"Content-Length: %d\r\n"
            b"Date: %s\r\n"
            b"Connection: keep-alive\r\n"
            b"Cache-Control: no-cache, no-store\r\n"
            b"Strict-Transport-Security: max-age=31536000; includeSubDomains;\r\n"
            b"X-Content-Type-Options: nosniff\r\n"
            b"X-Global-Transaction-Id: %s\r\n"
            b"X-Request-Id: %s\r\n"
            b"X-RateLimit-Limit: %d\r\n"
            b"X-RateLimit-Remaining: %d\r\n"
            b"X-RateLimit-Reset: %s\r\n"
            b"\r\n"
        ) % (
            status,
            _REASONS.get(status, b"Unknown"),
            _JSON,
            content_length,
            self._date,
            txn,
            txn,
            RATE_LIMIT,
            max(RATE_LIMIT - self._count, 0),
            self._reset,
        )

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "cpu_s": time.process_time(),
            "parked": len(self.parked),
            "connections": self.connections,
        }


def _iam_token_reply(lifetime: int = 3600) -> bytes:
    """IAM's reply to a token request: a JWT with ``iat`` and ``exp`` like IAM's (the
    official SDK reads them), of a typical size, and its lifetime."""
    import jwt

    now = int(time.time())
    claims = {
        "iam_id": "iam-ServiceId-" + str(uuid.uuid4()),
        "id": "iam-ServiceId-" + str(uuid.uuid4()),
        "realmid": "iam",
        "jti": str(uuid.uuid4()),
        "identifier": "ServiceId-" + str(uuid.uuid4()),
        "name": "lean-server",
        "sub": "ServiceId-" + str(uuid.uuid4()),
        "sub_type": "ServiceId",
        "account": {"valid": True, "bss": os.urandom(16).hex(), "frozen": True},
        "iat": now,
        "exp": now + lifetime,
        "iss": "https://iam.cloud.ibm.com/identity",
        "grant_type": "urn:ibm:params:oauth:grant-type:apikey",
        "scope": "ibm openid",
        "client_id": "default",
        "acr": 1,
        "amr": ["pwd"],
    }
    token = jwt.encode(claims, os.urandom(32), algorithm="HS256")
    return json.dumps(
        {
            "access_token": token,
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": lifetime,
            "expiration": now + lifetime,
            "scope": "ibm openid",
        }
    ).encode()


class LeanProtocol(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection (requests answered in order, no pipelining
    needed by the clients under test, but handled)."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's isn't a subclass
        self.state.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            lower = head.lower()
            length = 0
            i = lower.find(b"\r\ncontent-length:")
            if i >= 0:
                j = lower.find(b"\r\n", i + 2)
                length = int(lower[i + 17 : j if j >= 0 else len(lower)])
            elif b"\r\ntransfer-encoding:" in lower:
                self.send(501, b'{"error":"chunked bodies are not supported","code":501}')
                assert self.transport is not None
                self.transport.close()
                return
            total = end + 4 + length
            if len(buf) < total:
                break
            line_end = head.find(b"\r\n")
            method, target, _ = head[: line_end if line_end >= 0 else len(head)].split(b" ", 2)
            buf = buf[total:]
            self.route(method, target.split(b"?", 1)[0])
        self.buffer = buf

    def send(self, status: int, body: bytes) -> None:
        transport = self.transport
        if transport is None:  # the client went away
            return
        transport.write(self.state.headers(status, len(body)) + body)

    def route(self, method: bytes, path: bytes) -> None:
        state = self.state
        if method == b"POST":
            if path.endswith(b"/message"):
                if state.hold:
                    state.parked.append((self, state.message))
                elif state.delay:
                    asyncio.get_running_loop().call_later(
                        state.delay, self.send, 200, state.message
                    )
                else:
                    self.send(200, state.message)
                return
            if path == b"/identity/token":
                self.send(200, state.iam_token)
                return
            if path.endswith(b"/sessions"):
                self.send(201, b'{"session_id":"%s"}' % str(uuid.uuid4()).encode())
                return
            if path == b"/_hold":
                state.hold = True
                self.send(200, b"{}")
                return
            if path == b"/_release":
                state.hold = False
                parked, state.parked = state.parked, []
                for protocol, body in parked:
                    protocol.send(200, body)
                self.send(200, b"{}")
                return
        elif method == b"DELETE" and b"/sessions/" in path:
            self.send(200, b"")
            return
        elif method == b"GET" and path == b"/_stats":
            self.send(200, json.dumps(state.stats()).encode())
            return
        self.send(404, b'{"error":"Resource not found","code":404}')


async def serve(port: int, message_size: int, delay: float) -> None:
    loop = asyncio.get_running_loop()
    state = _State(message_size, delay)
    server = await loop.create_server(
        lambda: LeanProtocol(state), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"LISTENING {bound}", flush=True)
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)

    # The parent holds our stdin: when it closes (parent gone), stop.
    reader = asyncio.StreamReader()
    watcher: asyncio.Task[None] | None = None
    with contextlib.suppress(OSError, ValueError):
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def watch_stdin() -> None:
            while await reader.read(4096):
                pass
            stop.set()

        watcher = loop.create_task(watch_stdin())
    await stop.wait()
    server.close()
    if watcher is not None:
        watcher.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per message reply")
    parser.add_argument("--message-size", type=int, default=2300)
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    pin(args.cpu)
    runner: Any = asyncio.run
    if not args.no_uvloop:
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            pass
    runner(serve(args.port, args.message_size, args.delay))


class LeanServer:
    """Run :mod:`lean_server` in a child process on 127.0.0.1 with a free port.

    ``url`` is the root (control endpoints), ``service_url`` the instance URL to give a
    client. The child is pinned to ``cpu`` when given.
    """

    def __init__(
        self, *, cpu: int | None = None, delay: float = 0.0, message_size: int = 2300
    ) -> None:
        self.cpu = cpu
        self.delay = delay
        self.message_size = message_size
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/instances/lean"

    def __enter__(self) -> LeanServer:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--delay",
            str(self.delay),
            "--message-size",
            str(self.message_size),
        ]
        if self.cpu is not None:
            cmd += ["--cpu", str(self.cpu)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.__exit__(None, None, None)
            raise RuntimeError(f"lean server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


if __name__ == "__main__":
    main()
