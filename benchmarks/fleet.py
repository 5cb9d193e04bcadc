"""A fleet against one rate limit: N = 1, 2, 4, 8 processes, without and with Redis.

Each row is one ``watson-async loadtest --processes N [--redis URL]`` run (the same
machinery, through ``fleet_load_test``): U closed-loop users in total, split between
the processes, send to one embedded fake limiting each endpoint family to L requests
per 1-second window (``X-RateLimit-Reset`` in whole seconds, as the service sends it)
and issuing IAM tokens that live T seconds. Per row: IAM calls and 429s as the fake
counted them, goodput (messages the fake processed per full window after a warm-up
window, over L), p50 and p99 ``message()`` call latency, and which goals the row
misses against one process without Redis. What the Redis round trips add to a call is
measured apart, without a rate limit (its waits would hide it): one process, 4 users,
p50 and p99 of every call with and without Redis. The Redis rows use a
``redis-server`` this script starts on a random loopback port (skipped, saying so,
when the binary is missing). Goals (issue 15): IAM calls and 429s no more than one
process's, goodput >= 95%.

    python benchmarks/fleet.py [--quick] [--users 16] [--duration 10] [--limit 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import attrs
from _common import machine, machine_line, write_results
from rich.console import Console
from rich.table import Table

from watson_async.loadtest import LoadTestConfig, fleet_load_test

COLUMNS = (
    "processes",
    "redis",
    "iam_calls",
    "http_429",
    "goodput_vs_limit",
    "message_p50_ms",
    "message_p99_ms",
    "calls",
    "failed",
    "goals",
)


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    """A throwaway ``redis-server`` on a free loopback port (``None`` without the binary)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:  # bounded: until it accepts a connection, or 10 s
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


async def row(config: LoadTestConfig, processes: int, redis_url: str | None) -> dict[str, Any]:
    fleet = await fleet_load_test(config, processes=processes, redis_url=redis_url)
    message = fleet.report.route("message")
    latency = message.call_latency if message is not None else None
    return {
        "processes": processes,
        "redis": redis_url is not None,
        "iam_calls": fleet.iam_calls,
        "http_429": fleet.http_429,
        "goodput_vs_limit": fleet.goodput,
        "message_p50_ms": latency["p50"] if latency else None,
        "message_p99_ms": latency["p99"] if latency else None,
        "calls": fleet.report.total.calls,
        "failed": fleet.report.total.failed,
        "token_requests_per_process": [p.token_requests for p in fleet.processes],
        "duration_s": round(fleet.report.duration, 3),
        "exit_code": fleet.exit_code,
    }


def goals(row: dict[str, Any], alone: dict[str, Any]) -> str:
    """The goals ``row`` misses against one process without Redis (``alone``)."""
    missed = []
    if row["iam_calls"] > alone["iam_calls"]:
        missed.append("IAM calls")
    if row["http_429"] > alone["http_429"]:
        missed.append("429s")
    if (row["goodput_vs_limit"] or 0) < 0.95:
        missed.append("goodput")
    return ", ".join(missed) or "met"


async def overhead(config: LoadTestConfig, redis_url: str) -> dict[str, Any]:
    """p50/p99 of every call of one process without a rate limit, without and with
    Redis: what its round trips add."""
    unlimited = attrs.evolve(config, users=4, duration=3.0, time_limit=20, fake_rate_limit=None)
    result: dict[str, Any] = {}
    for name, url in (("without", None), ("with", redis_url)):
        fleet = await fleet_load_test(unlimited, processes=1, redis_url=url)
        latency = fleet.report.total.call_latency
        result[name] = {"p50_ms": latency["p50"], "p99_ms": latency["p99"], "calls": latency.count}
    for q in ("p50_ms", "p99_ms"):
        result[f"added_{q}"] = round(result["with"][q] - result["without"][q], 3)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer users, shorter runs")
    parser.add_argument("--users", type=int, default=None, help="users in total (default 16)")
    parser.add_argument("--duration", type=float, default=None, help="seconds (default 8)")
    parser.add_argument("--limit", type=int, default=40, help="requests per family per 1 s")
    parser.add_argument("--token-lifetime", type=float, default=4.0, help="IAM token seconds")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()
    users = args.users or (8 if args.quick else 16)
    duration = args.duration or (4.0 if args.quick else 8.0)
    config = LoadTestConfig(
        users=users,
        duration=duration,
        time_limit=duration + 20,
        fake_rate_limit=args.limit,
        fake_rate_window=1.0,
        fake_token_lifetime=args.token_lifetime,
    )
    console = Console(width=140)
    rows = []
    added = None
    with redis_server() as url:
        if url is None:
            console.print("[yellow]redis-server is not installed: the Redis rows are skipped")
        for redis_url in (None, url) if url else (None,):
            for n in args.processes:
                rows.append(await row(config, n, redis_url))
                console.print(f"  done: {n} process(es), redis {redis_url is not None}")
        if url is not None:
            added = await overhead(config, url)
    reference = next((r for r in rows if r["processes"] == 1 and not r["redis"]), None)
    for r in rows:
        r["goals"] = goals(r, reference) if reference else "-"
    table = Table(
        title=f"{users} users in total, limit {args.limit}/s per family, tokens live "
        f"{args.token_lifetime:g} s, {duration:g} s runs"
    )
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(*(str(r[c]) for c in COLUMNS))
    console.print(table)
    if added is not None:
        console.print(
            "Redis round trips, 1 process, no rate limit: call p50 "
            f"{added['without']['p50_ms']} -> {added['with']['p50_ms']} ms "
            f"({added['added_p50_ms']:+.3f}), p99 {added['without']['p99_ms']} -> "
            f"{added['with']['p99_ms']} ms ({added['added_p99_ms']:+.3f})"
        )
    info = machine()
    console.print(machine_line(info))
    settings = {
        "users": users,
        "duration_s": duration,
        "limit_per_s": args.limit,
        "token_lifetime_s": args.token_lifetime,
        "quick": args.quick,
    }
    payload = {"machine": info, "settings": settings, "rows": rows, "redis_overhead": added}
    path = write_results("fleet", payload)
    console.print(f"results: {path}")


if __name__ == "__main__":
    asyncio.run(main())
