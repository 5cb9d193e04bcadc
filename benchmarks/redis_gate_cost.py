"""What the fleet's rate-limit gate costs per admitted request, on loopback.

Starts its own ``redis-server`` on a free 127.0.0.1 port and times, per request of one
endpoint family, sequentially (no concurrency, so each number is one request's own
cost): a Redis ``PING`` (the floor), the in-process :class:`RateLimitGate`
(``acquire`` + ``observe``), and :class:`RedisRateLimitGate`'s ``acquire`` (one Lua
admission) and ``acquire`` + ``observe`` of a response with rate-limit headers (the
admission, and the merge awaited before the next request). Reports the median of
``--rounds`` rounds of ``--requests`` requests, in microseconds.

    python benchmarks/redis_gate_cost.py [--requests 2000] [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from watson_async import RateLimitGate
from watson_async.redis import RedisRateLimitGate

HEADERS = {
    "X-RateLimit-Limit": "1000000",
    "X-RateLimit-Remaining": "999999",
    "X-RateLimit-Reset": str(int(time.time()) + 3600),
    "Date": email.utils.formatdate(time.time(), usegmt=True),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def per_request(step: Callable[[], Awaitable[None]], requests: int, rounds: int) -> float:
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(requests):
            await step()
        results.append((time.perf_counter() - started) / requests * 1e6)
    return statistics.median(results)


async def main(requests: int, rounds: int, url: str) -> None:
    ping = aioredis.Redis.from_url(url)
    local = RateLimitGate()
    shared = RedisRateLimitGate.from_url(url, namespace="bench")

    async def ping_once() -> None:
        await ping.ping()

    async def local_once() -> None:
        await local.acquire("message")
        local.observe("message", 200, HEADERS)

    async def admission() -> None:
        await shared.acquire("bare")
        shared.observe("bare", 200, {})  # no headers: no merge, in-flight goes along

    async def admission_and_merge() -> None:
        await shared.acquire("message")
        shared.observe("message", 200, HEADERS)
        await asyncio.gather(*shared._merges)  # the merge's cost counted here

    for name, step in [
        ("redis PING", ping_once),
        ("in-process gate, acquire + observe", local_once),
        ("Redis gate, acquire (one Lua admission)", admission),
        ("Redis gate, acquire + observe with headers (admission + merge)", admission_and_merge),
    ]:
        await step()  # warm: connection made, scripts loaded
        print(f"{name:66s} {await per_request(step, requests, rounds):8.1f} µs")
    await shared.aclose()
    await ping.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="500 requests, 3 rounds")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 500, 3
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)  # waiting for the server process to listen
        asyncio.run(main(args.requests, args.rounds, f"redis://127.0.0.1:{port}/0"))
    finally:
        server.terminate()
        server.wait(10)
