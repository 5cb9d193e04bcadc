"""Goodput under a rate limit: the client with its rate-limit gate vs retries alone.

C concurrent conversations x T turns against FakeAssistant limiting stateful messages to
L per one-second window (real time: the headers have whole-second resolution). Reports
completed turns per window against L, 429s received, gate waits and retries, and writes
JSON to benchmarks/results/. Bounded: every run stops after its conversations or
--time-limit seconds, loopback only.

    python benchmarks/rate_limit_goodput.py [--conversations 200] [--turns 3] [--limit 50]

``--fairness`` runs the fairness matrix instead: C closed-loop conversations (10 and 48)
sending turns for a fixed time against a limit of L messages per W-second window (W = 1
and 10), the server's clock skewed by -30 and +30 s (``X-RateLimit-Reset`` is whole
seconds, as the service sends it). Goodput is the turns the fake processed between
window boundaries after a warm-up, over the limit; latency is each ``message()`` call's,
p50 and p99 (a fair gate keeps p99 near C/L*W, the fair share of one turn).

    python benchmarks/rate_limit_goodput.py --fairness [--limit 40] [--windows 1 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from watson_async import AssistantClient, NoAuthAuthenticator, RetryPolicy
from watson_async.testing import FakeAssistant

COLUMNS = (
    "mode",
    "turns",
    "elapsed_s",
    "goodput_per_s",
    "goodput_vs_limit",
    "http_429",
    "retries",
    "gate_waits",
    "failed_conversations",
)


async def run(
    *, gate: bool, conversations: int, turns: int, limit: int, time_limit: float
) -> dict[str, Any]:
    retries = gate_waits = 0

    def on_retry(_: object) -> None:
        nonlocal retries
        retries += 1

    def on_gate(_: object) -> None:
        nonlocal gate_waits
        gate_waits += 1

    async with FakeAssistant(
        auth=False, rate_limits={"message": limit}, rate_limit_window=1.0, record_requests=False
    ) as fake:
        policy = RetryPolicy(max_attempts=100, total_timeout=time_limit, max_wait=5)
        async with AssistantClient(
            "2024-08-25",
            NoAuthAuthenticator(),
            service_url=fake.service_url,
            retry=policy,
            rate_limit_gate=gate,
            on_retry=on_retry,
            on_gate_wait=on_gate,
        ) as client:
            aid, eid = fake.assistant_id, fake.environment_id

            async def conversation(n: int) -> None:
                sid = (await client.create_session(aid, eid)).session_id
                for t in range(turns):
                    await client.message(aid, eid, sid, input={"text": f"c{n} t{t}"})
                await client.delete_session(aid, eid, sid)

            started = time.perf_counter()
            results = await asyncio.wait_for(
                asyncio.gather(
                    *(conversation(n) for n in range(conversations)), return_exceptions=True
                ),
                time_limit,
            )
            elapsed = time.perf_counter() - started
        failed = sum(isinstance(r, BaseException) for r in results)
        turns_done = fake.total_turns_processed
        return {
            "mode": "gate + retries" if gate else "retries only",
            "conversations": conversations,
            "turns": turns_done,
            "failed_conversations": failed,
            "elapsed_s": round(elapsed, 3),
            "goodput_per_s": round(turns_done / elapsed, 1),
            "goodput_vs_limit": round(turns_done / elapsed / limit, 3),
            "http_429": fake.rate_limited_responses,
            "retries": retries,
            "gate_waits": gate_waits,
        }


FAIR_COLUMNS = (
    "window_s",
    "conversations",
    "skew_s",
    "goodput_vs_limit",
    "p50_s",
    "p99_s",
    "max_s",
    "http_429",
    "gate_waits",
)


async def fairness(
    *, conversations: int, limit: int, window: float, skew: float, windows: int, warmup: int
) -> dict[str, Any]:
    """Closed-loop conversations for ``warmup + windows`` windows; goodput counted over
    the last ``windows`` full windows of the fake's clock."""
    gate_waits = 0
    latencies: list[float] = []

    def on_gate(_: object) -> None:
        nonlocal gate_waits
        gate_waits += 1

    async with FakeAssistant(
        auth=False,
        rate_limits={"message": limit},
        rate_limit_window=window,
        date_skew=skew,
        record_requests=False,
        record_logs=False,
    ) as fake:
        policy = RetryPolicy(max_attempts=100, total_timeout=600, max_wait=2 * window + 5)
        async with AssistantClient(
            "2024-08-25",
            NoAuthAuthenticator(),
            service_url=fake.service_url,
            retry=policy,
            on_gate_wait=on_gate,
        ) as client:
            aid, eid = fake.assistant_id, fake.environment_id
            stop = measuring = False

            async def conversation(n: int) -> None:
                sid = (await client.create_session(aid, eid)).session_id
                t = 0
                while not stop:
                    started = time.perf_counter()
                    measured = measuring  # calls started during the warm-up don't count
                    await client.message(aid, eid, sid, input={"text": f"c{n} t{t}"})
                    if measured:
                        latencies.append(time.perf_counter() - started)
                    t += 1

            tasks = [asyncio.create_task(conversation(n)) for n in range(conversations)]
            # Window boundaries of the fake's clock (time.time, not skewed).
            first = (int(time.time() / window) + 1 + warmup) * window
            await asyncio.sleep(first - time.time())
            counted_from = fake.total_turns_processed
            measuring = True
            await asyncio.sleep(first + windows * window - time.time())
            counted = fake.total_turns_processed - counted_from
            stop = True
            await asyncio.wait(tasks, timeout=2 * window + 5)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    ordered = sorted(latencies) or [0.0]
    return {
        "window_s": window,
        "conversations": conversations,
        "skew_s": skew,
        "goodput_vs_limit": round(counted / (windows * limit), 3),
        "p50_s": round(statistics.median(ordered), 3),
        "p99_s": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
        "max_s": round(ordered[-1], 3),
        "http_429": fake.rate_limited_responses,
        "gate_waits": gate_waits,
    }


async def fairness_matrix(args: argparse.Namespace) -> None:
    rows = []
    for window in args.windows:
        for conversations in args.conversations_list:
            for skew in args.skews:
                rows.append(
                    await fairness(
                        conversations=conversations,
                        limit=args.limit,
                        window=window,
                        skew=skew,
                        windows=max(2, int(args.measure / window)),
                        warmup=2,
                    )
                )
    table = Table(title=f"Fairness under a limit of {args.limit} messages per window")
    for column in FAIR_COLUMNS:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(str(row[c]) for c in FAIR_COLUMNS))
    Console(width=140).print(table)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "rate_limit_fairness.json").write_text(json.dumps(rows, indent=2) + "\n")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--limit", type=int, default=50, help="messages per 1 s window")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--fairness", action="store_true", help="run the fairness matrix")
    parser.add_argument("--windows", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument(
        "--conversations-list", type=int, nargs="+", default=[10, 48], help="for --fairness"
    )
    parser.add_argument("--skews", type=float, nargs="+", default=[-30.0, 30.0])
    parser.add_argument(
        "--measure", type=float, default=12.0, help="seconds measured per run (>= 2 windows)"
    )
    args = parser.parse_args()
    if args.fairness:
        await fairness_matrix(args)
        return
    rows = [
        await run(
            gate=gate,
            conversations=args.conversations,
            turns=args.turns,
            limit=args.limit,
            time_limit=args.time_limit,
        )
        for gate in (True, False)
    ]
    table = Table(
        title=f"Goodput under a limit of {args.limit} messages/s "
        f"({args.conversations} conversations x {args.turns} turns)"
    )
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "mode" else "right")
    for row in rows:
        table.add_row(*(str(row[c]) for c in COLUMNS))
    console = Console(width=140)
    console.print(table)
    ratio = rows[1]["http_429"] / max(1, rows[0]["http_429"])
    console.print(f"429s without the gate / with it: {ratio:.1f}x")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "rate_limit_goodput.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
