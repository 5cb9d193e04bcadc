"""Goodput under a rate limit: the client with its rate-limit gate vs retries alone.

C concurrent conversations x T turns against FakeAssistant limiting stateful messages to
L per one-second window (real time: the headers have whole-second resolution). Reports
completed turns per window against L, 429s received, gate waits and retries, and writes
JSON to benchmarks/results/. Bounded: every run stops after its conversations or
--time-limit seconds, loopback only.

    python benchmarks/rate_limit_goodput.py [--conversations 200] [--turns 3] [--limit 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--limit", type=int, default=50, help="messages per 1 s window")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
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
