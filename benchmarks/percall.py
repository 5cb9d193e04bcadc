"""Instructions per ``message()`` call spent by watson_async itself, outside aiohttp.

The focused count behind docs/performance.md ("Per-call work outside parsing"): an
``AssistantClient`` whose transport answers at once with the lean server's 2.3 KB reply
(no socket, no event-loop turn), so a call never suspends and N calls run inside one
``functools.reduce``. Under ``valgrind --tool=callgrind --toggle-collect=functools_reduce``
only that loop is counted: (instructions at N - at 0) / N is one call, exactly
(``PYTHONHASHSEED=0``; runs repeat to the instruction). Three variants:

* ``full``: the call as a user makes it (building the request, gate, auth, the send
  path, the reply typed into models);
* ``noparse``: the same with the reply left as bytes (``full`` minus parsing);
* ``nogate``: ``noparse`` with ``rate_limit_gate=False`` (the difference is the gate);
* ``transport``: ``AiohttpTransport.send`` alone, its aiohttp session's ``request``
  replaced by one that answers at once (what the transport does around aiohttp).

    python benchmarks/percall.py [--calls 200] [--variants full,noparse,...] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import message_bytes
from multidict import CIMultiDict, CIMultiDictProxy

VARIANTS = ("full", "noparse", "nogate", "transport")
#: Calls before the counted ones: caches filled, and the interpreter's own caches warm
#: (CPython 3.10 caches lookups only in code that has run 1,024 times; 3.11+
#: specialises after a few runs).
WARM = 5 if sys.version_info >= (3, 11) else 1100
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
_TEXT = "I would like to book a table, turn 1 of conversation 3"
# What the lean server answers a message with (benchmarks/lean_server.py).
_HEADERS = CIMultiDictProxy(
    CIMultiDict(
        {
            "Content-Type": "application/json; charset=utf-8",
            "Date": "Fri, 04 Dec 2026 03:00:00 GMT",
            "X-Global-Transaction-Id": "bench-0000000000000001",
            "X-RateLimit-Limit": "1000000",
            "X-RateLimit-Remaining": "999999",
            "X-RateLimit-Reset": "1796353260",
        }
    )
)


def _run(calls: int, start: Any) -> None:
    """``start()`` ``calls`` times inside ``functools.reduce``; each must not suspend."""

    def call(total: int, _: int) -> int:
        coro = start()
        try:
            coro.send(None)
        except StopIteration:
            return total + 1
        raise AssertionError("the call suspended")

    assert functools.reduce(call, range(calls), 0) == calls


async def _transport(calls: int) -> None:
    from watson_async.transport import AiohttpTransport

    body = message_bytes(2300)

    class Response:
        status, reason, headers, content_length = 200, "OK", _HEADERS, len(body)

        async def read(self) -> bytes:
            return body

    class Exchange:
        async def __aenter__(self) -> Response:
            return Response()

        async def __aexit__(self, *exc_info: object) -> None:
            pass

    class Session:
        def request(self, *args: Any, **kwargs: Any) -> Exchange:
            return Exchange()

    transport = AiohttpTransport()
    real = transport._get_session()  # the session and slots, made as on a first request
    transport._session = Session()  # type: ignore[assignment]
    url = "http://127.0.0.1:1/v2/assistants/a/environments/e/sessions/s/message?version=v"
    headers = {"User-Agent": "bench", "Authorization": "Bearer " + "x" * 900}
    for _ in range(WARM):
        await transport.send("POST", url, headers, b"{}", None)
    _run(calls, lambda: transport.send("POST", url, headers, b"{}", None))
    transport._session = real
    await transport.aclose()


async def _client(variant: str, calls: int) -> None:
    from watson_async import AssistantClient, BearerTokenAuthenticator
    from watson_async.client import base
    from watson_async.transport import HttpResponse

    body = message_bytes(2300)

    class Instant:
        """A transport that answers every request at once."""

        opened = True

        async def send(self, *args: Any) -> HttpResponse:
            return HttpResponse(200, "OK", _HEADERS, body)

        def stream(self, *args: Any) -> Any:
            raise NotImplementedError

        async def aclose(self) -> None:
            pass

    if variant != "full":
        base._protocol.parse = lambda request, response, model: response  # type: ignore[assignment]
    client = AssistantClient(
        "2024-08-25",
        BearerTokenAuthenticator("x" * 900),  # the size of the lean server's IAM token
        service_url="http://127.0.0.1:1",
        transport=Instant(),  # type: ignore[arg-type]
        rate_limit_gate=variant != "nogate",
    )
    ids = ("a" * 36, "e" * 36, "s" * 36)
    for _ in range(WARM):  # warm: caches filled, the gate's window known
        await client.message(*ids, input={"text": _TEXT})
    _run(calls, lambda: client.message(*ids, input={"text": _TEXT}))


def _count(variant: str, calls: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--toggle-collect=functools_reduce",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        variant,
        "--calls",
        str(calls),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    match = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"{variant} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--quick", action="store_true", help="50 calls")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "transport":
            asyncio.run(_transport(args.calls))
        else:
            asyncio.run(_client(args.child, args.calls))
        return
    if args.quick:
        args.calls = 50
    for variant in args.variants.split(","):
        per_call = (_count(variant, args.calls) - _count(variant, 0)) / args.calls
        print(f"{variant}: {per_call:,.0f} instructions per call", flush=True)


if __name__ == "__main__":
    main()
