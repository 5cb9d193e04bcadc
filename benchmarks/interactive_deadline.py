"""How long a web request waits under a rate limit, with and without a bound.

Two bursts of ``--users`` concurrent ``message_stateless`` calls (each a web request of
an interactive endpoint) against an in-process FakeAssistant that allows ``--limit``
messages per ``--window`` seconds (50 per 10 s: the 300/min of issue 17). The first
burst finds the client knowing nothing: what is over the limit gets 429s (then the
retry policy decides). The second comes ``--gap`` seconds later, when the client's
rate-limit gate knows the window is spent and holds calls until its reset. Each
configuration gets a fresh fake and client, so each starts with a fresh window:

* ``defaults``: ``RetryPolicy()`` (``max_wait=60``, ``total_timeout=60``);
* ``max_wait=2, total_timeout=5``: a tighter policy;
* ``deadline=3``: ``client.with_options(deadline=3)``;
* both together.

It prints, per configuration and burst, how many calls got a reply, a
``RateLimitError`` or a ``DeadlineExceededError``, and the p50 / p90 / max latency of
the burst's calls (what the browser waits). Bounded: each configuration ends once its
slowest call is done (at most about two windows).

    python benchmarks/interactive_deadline.py [--users 100] [--limit 50] [--window 10] [--gap 1]
    nox -s bench -- deadline [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from typing import Any

from watson_async import (
    AssistantClient,
    DeadlineExceededError,
    IAMAuthenticator,
    RateLimitError,
    RetryPolicy,
)
from watson_async.testing import FakeAssistant

CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "max_wait=2, total_timeout=5": {"retry": RetryPolicy(max_wait=2, total_timeout=5)},
    "deadline=3": {"deadline": 3.0},
    "deadline=3, max_wait=2": {"deadline": 3.0, "retry": RetryPolicy(max_wait=2)},
}


def summary(results: list[tuple[str, float]]) -> str:
    outcomes = Counter(outcome for outcome, _ in results)
    latencies = sorted(seconds for _, seconds in results)
    p50 = statistics.median(latencies)
    p90 = latencies[int(0.9 * (len(latencies) - 1))]
    counts = ", ".join(f"{n} {name}" for name, n in sorted(outcomes.items()))
    return f"{counts} | p50 {p50:.2f} s, p90 {p90:.2f} s, max {latencies[-1]:.2f} s"


async def one_config(
    options: dict[str, Any], users: int, limit: int, window: float, gap: float
) -> list[str]:
    async with (
        FakeAssistant(rate_limit=limit, rate_limit_window=window) as fake,
        AssistantClient(
            "2024-08-25",
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
        ) as c,
    ):
        client = c.with_options(**options)
        assistant = client.assistant(fake.assistant_id, fake.environment_id)

        async def web_request() -> tuple[str, float]:
            started = time.perf_counter()
            try:
                await assistant.message_stateless(input={"text": "hello"})
                outcome = "reply"
            except RateLimitError:
                outcome = "RateLimitError"
            except DeadlineExceededError:
                outcome = "DeadlineExceededError"
            return outcome, time.perf_counter() - started

        first = asyncio.gather(*(web_request() for _ in range(users)))
        await asyncio.sleep(gap)
        second = await asyncio.gather(*(web_request() for _ in range(users)))
        return [summary(await first), summary(second)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--gap", type=float, default=1.0)
    parser.add_argument(
        "--quick", action="store_true", help="20 users, 10 per 2 s: the shape in seconds"
    )
    args = parser.parse_args()
    if args.quick:
        args.users, args.limit, args.window = 20, 10, 2.0
    print(
        f"2 bursts of {args.users} concurrent calls, {args.gap:g} s apart; "
        f"limit {args.limit} per {args.window:g} s"
    )
    for name, options in CONFIGS.items():
        lines = await one_config(options, args.users, args.limit, args.window, args.gap)
        for burst, line in zip(("first", "second"), lines, strict=True):
            print(f"{name:<28} {burst:<6} {line}")


if __name__ == "__main__":
    asyncio.run(main())
