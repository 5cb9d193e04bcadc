"""Tokens: the steady-state cost of the Authorization header, and IAM calls per refresh.

(Named ``iam_token.py``, not ``token.py``: a script's folder comes first on
``sys.path``, and a ``token.py`` there would shadow the standard library's ``token``
module that ``tokenize``, ``linecache`` and ``inspect`` import.)

1. Steady state: ``await IAMAuthenticator.authorization()`` with a valid token, in
   microseconds per call, next to an ``await`` of an empty coroutine and
   ``BearerTokenAuthenticator``; and the official SDK's ``IAMAuthenticator``
   (``token_manager.get_token()`` and ``authenticate(request)``) for reference.
2. Single flight: IAM requests when 10,000 coroutines want a token at once with none
   yet, with an expired one (a clock moved past expiry), and after 10,000 calls report
   the same token rejected (a 401 each); the official SDK with 32 threads and no token
   for reference (its waiters poll every 0.5 s).

The IAM server is ``watson_async.testing.FakeAssistant`` on loopback (its cost does
not enter the per-call figures). Bounded; loopback only.

    python benchmarks/iam_token.py [--calls 200000] [--waiters 10000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from _common import machine, machine_line, write_results
from rich.console import Console
from rich.table import Table

from watson_async import BearerTokenAuthenticator, IAMAuthenticator
from watson_async.testing import FakeAssistant


async def _noop() -> str:
    return "Bearer x"


async def per_call_us(fn: Any, calls: int) -> float:
    """Best of 5 loops of ``calls // 5`` awaits, microseconds per await."""
    n = max(1, calls // 5)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            await fn()
        best = min(best, time.perf_counter() - started)
    return best / n * 1e6


def per_call_us_sync(fn: Any, calls: int) -> float:
    n = max(1, calls // 5)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - started)
    return best / n * 1e6


async def steady_state(fake: FakeAssistant, calls: int) -> list[dict[str, Any]]:
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator as SdkIAM

    rows = []
    rows.append(
        {"what": "await of an empty coroutine (floor)", "us": await per_call_us(_noop, calls)}
    )
    bearer = BearerTokenAuthenticator("x")
    rows.append(
        {
            "what": "watson_async BearerTokenAuthenticator.authorization()",
            "us": await per_call_us(bearer.authorization, calls),
        }
    )
    iam = IAMAuthenticator(fake.apikey, url=fake.iam_url)
    try:
        await iam.authorization()  # fetch the token
        rows.append(
            {
                "what": "watson_async IAMAuthenticator.authorization() (valid token)",
                "us": await per_call_us(iam.authorization, calls),
            }
        )
    finally:
        await iam.aclose()
    sdk = SdkIAM(fake.apikey, url=fake.iam_url)
    await asyncio.to_thread(sdk.token_manager.get_token)  # fetch off the loop
    rows.append(
        {
            "what": "ibm-watson IAMAuthenticator token_manager.get_token() (valid token)",
            "us": per_call_us_sync(sdk.token_manager.get_token, calls),
        }
    )

    def authenticate() -> None:
        sdk.authenticate({"headers": {}})

    rows.append(
        {
            "what": "ibm-watson IAMAuthenticator.authenticate(request) (valid token)",
            "us": per_call_us_sync(authenticate, calls),
        }
    )
    floor = rows[0]["us"]
    for row in rows:
        row["x_floor"] = row["us"] / floor
    return rows


async def single_flight(fake: FakeAssistant, waiters: int) -> list[dict[str, Any]]:
    rows = []
    now = [time.monotonic()]
    iam = IAMAuthenticator(fake.apikey, url=fake.iam_url, clock=lambda: now[0])
    try:
        # no token yet
        before, started = fake.iam_calls, time.perf_counter()
        headers = await asyncio.gather(*(iam.authorization() for _ in range(waiters)))
        rows.append(
            {
                "scenario": f"watson_async: {waiters:,} callers, no token yet",
                "iam_calls": fake.iam_calls - before,
                "elapsed_ms": (time.perf_counter() - started) * 1e3,
                "distinct_tokens": len(set(headers)),
            }
        )
        # token expired: move the authenticator's clock past the expiry
        token = iam.token
        assert token is not None
        now[0] = token.expires_at + 1
        before, started = fake.iam_calls, time.perf_counter()
        headers = await asyncio.gather(*(iam.authorization() for _ in range(waiters)))
        rows.append(
            {
                "scenario": f"watson_async: {waiters:,} callers, token expired",
                "iam_calls": fake.iam_calls - before,
                "elapsed_ms": (time.perf_counter() - started) * 1e3,
                "distinct_tokens": len(set(headers)),
            }
        )
        # the service rejected the token: every caller reports the same 401
        rejected = headers[0]
        before, started = fake.iam_calls, time.perf_counter()
        await asyncio.gather(*(iam.invalidate(rejected) for _ in range(waiters)))
        headers = await asyncio.gather(*(iam.authorization() for _ in range(waiters)))
        rows.append(
            {
                "scenario": f"watson_async: {waiters:,} callers got a 401 for the token",
                "iam_calls": fake.iam_calls - before,
                "elapsed_ms": (time.perf_counter() - started) * 1e3,
                "distinct_tokens": len(set(headers)),
            }
        )
    finally:
        await iam.aclose()

    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator as SdkIAM

    threads = 32
    sdk = SdkIAM(fake.apikey, url=fake.iam_url)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(threads) as pool:
        before, started = fake.iam_calls, time.perf_counter()
        tokens = await asyncio.gather(
            *(loop.run_in_executor(pool, sdk.token_manager.get_token) for _ in range(threads))
        )
        rows.append(
            {
                "scenario": f"ibm-watson: {threads} threads, no token yet",
                "iam_calls": fake.iam_calls - before,
                "elapsed_ms": (time.perf_counter() - started) * 1e3,
                "distinct_tokens": len(set(tokens)),
            }
        )
    return rows


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with FakeAssistant(record_requests=False) as fake:
        steady = await steady_state(fake, args.calls)
        flight = await single_flight(fake, args.waiters)
    return {"steady_state": steady, "single_flight": flight}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200_000, help="awaits per steady figure")
    parser.add_argument("--waiters", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="50,000 calls, 2,000 waiters")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.waiters = 50_000, 2_000
    info = machine()
    console = Console(width=150)
    console.print(f"[bold]Machine:[/] {machine_line(info)}")
    result = asyncio.run(run(args))

    table = Table(title="Getting the Authorization header in steady state (best of 5 loops)")
    table.add_column("what")
    table.add_column("us/call", justify="right")
    table.add_column("x floor", justify="right")
    for row in result["steady_state"]:
        table.add_row(row["what"], f"{row['us']:.3f}", f"{row['x_floor']:.1f}")
    console.print(table)
    table = Table(title="Token requests per refresh with concurrent callers")
    for column in ("scenario", "IAM calls", "elapsed ms", "distinct tokens"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for row in result["single_flight"]:
        table.add_row(
            row["scenario"],
            str(row["iam_calls"]),
            f"{row['elapsed_ms']:.1f}",
            str(row["distinct_tokens"]),
        )
    console.print(table)
    ok = all(
        r["iam_calls"] == 1 for r in result["single_flight"] if r["scenario"].startswith("watson")
    )
    console.print(
        f"one IAM call per refresh with {args.waiters:,} waiters: "
        f"{'[green]yes[/]' if ok else '[red]no[/]'}"
    )
    path = write_results(
        "token",
        {
            "benchmark": "token",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": info,
            "params": {"calls": args.calls, "waiters": args.waiters},
            **result,
            "targets": {"one_iam_call_per_refresh": ok},
        },
    )
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
