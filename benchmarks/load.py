"""Load: client CPU per call, calls/s and latency of three clients in the same run.

C concurrent conversations x M turns (plus create_session and delete_session per
conversation) against ``lean_server`` in another process (pinned to its own CPU when
there are two), for each peer:

* ``aiohttp``: raw aiohttp, one ClientSession, ``TCPConnector(limit=C)``, ``json=`` bodies
  and ``await resp.json()`` (the floor a hand-written client reaches);
* ``watson_async``: ``AssistantClient`` with ``BearerTokenAuthenticator`` and default
  options (retries and the rate-limit gate on), typed results;
* ``ibm-watson``: the official SDK's ``AssistantV2`` (``BearerTokenAuthenticator``,
  ``set_service_url``), each conversation a job on a ``ThreadPoolExecutor``; its
  requests pool is sized to the thread count (the default 10 would discard connections).

Client CPU is user+system time of this process over the run (what ``os.times`` reports,
read from ``CLOCK_PROCESS_CPUTIME_ID`` without its 10 ms ticks); the server's is measured
separately (``/_stats``). A warm-up round runs first (it also opens the connections),
then ``--repeats`` rounds run the peers interleaved (order rotated); the table shows
medians, and each ratio is the median of the per-round ratios. Bounded by
``--time-limit`` per run; loopback only.

    python benchmarks/load.py [--conversations 200] [--turns 10] [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import datetime, timezone
from typing import Any

import aiohttp
from _common import (
    ASSISTANT_ID,
    ENVIRONMENT_ID,
    VERSION,
    cpu_pair,
    cpu_seconds,
    machine,
    machine_line,
    pin,
    write_results,
)
from hdrh.histogram import HdrHistogram
from lean_server import LeanServer
from rich.console import Console
from rich.table import Table

from watson_async import AssistantClient, BearerTokenAuthenticator

PEERS = ("aiohttp", "watson_async", "ibm-watson")
TOKEN = "bench-token"


def _text(n: int, t: int) -> str:
    return f"I would like to book a table, turn {t} of conversation {n}"


class _Run:
    """What one run collects: per-call latencies (ns), errors, CPU and wall time."""

    def __init__(self) -> None:
        self.latencies: list[int] = []
        self.errors = 0
        self.first_error = ""

    def error(self, exc: BaseException) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = f"{type(exc).__name__}: {exc}"[:200]


# --- peers -----------------------------------------------------------------------------


class AiohttpPeer:
    name = "aiohttp"

    def __init__(self, service_url: str, conversations: int) -> None:
        self.base = f"{service_url}/v2/assistants/{ASSISTANT_ID}/environments/{ENVIRONMENT_ID}"
        self.query = f"?version={VERSION}"
        self.headers = {"Authorization": f"Bearer {TOKEN}"}
        self.limit = conversations
        self.session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.limit),
            timeout=aiohttp.ClientTimeout(total=30),
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def conversation(self, n: int, turns: int, run: _Run) -> None:
        session = self.session
        assert session is not None
        lat = run.latencies
        perf = time.perf_counter_ns
        t0 = perf()
        async with session.post(f"{self.base}/sessions{self.query}", headers=self.headers) as resp:
            resp.raise_for_status()
            sid = (await resp.json())["session_id"]
        lat.append(perf() - t0)
        for t in range(turns):
            t0 = perf()
            async with session.post(
                f"{self.base}/sessions/{sid}/message{self.query}",
                json={"input": {"text": _text(n, t)}},
                headers=self.headers,
            ) as resp:
                resp.raise_for_status()
                await resp.json()
            lat.append(perf() - t0)
        t0 = perf()
        async with session.delete(
            f"{self.base}/sessions/{sid}{self.query}", headers=self.headers
        ) as resp:
            resp.raise_for_status()
            await resp.read()
        lat.append(perf() - t0)


class WatsonAsyncPeer:
    name = "watson_async"

    def __init__(self, service_url: str, conversations: int) -> None:
        self.service_url = service_url
        self.client: AssistantClient | None = None

    async def open(self) -> None:
        self.client = AssistantClient(
            VERSION, BearerTokenAuthenticator(TOKEN), service_url=self.service_url
        )

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def conversation(self, n: int, turns: int, run: _Run) -> None:
        client = self.client
        assert client is not None
        lat = run.latencies
        perf = time.perf_counter_ns
        t0 = perf()
        sid = (await client.create_session(ASSISTANT_ID, ENVIRONMENT_ID)).session_id
        lat.append(perf() - t0)
        for t in range(turns):
            t0 = perf()
            await client.message(ASSISTANT_ID, ENVIRONMENT_ID, sid, input={"text": _text(n, t)})
            lat.append(perf() - t0)
        t0 = perf()
        await client.delete_session(ASSISTANT_ID, ENVIRONMENT_ID, sid)
        lat.append(perf() - t0)


class SdkPeer:
    name = "ibm-watson"

    def __init__(self, service_url: str, threads: int, pool: int | None) -> None:
        from ibm_cloud_sdk_core.authenticators import (
            BearerTokenAuthenticator as SdkBearer,
        )
        from ibm_cloud_sdk_core.http_adapter import SSLHTTPAdapter
        from ibm_watson import AssistantV2

        self.threads = threads
        self.sdk = AssistantV2(VERSION, authenticator=SdkBearer(TOKEN))
        self.sdk.set_service_url(service_url)
        # requests keeps 10 connections per host by default: with more threads it opens
        # and discards connections all the time. Size the pool to the threads unless
        # told to keep the SDK's default (pool=None).
        if pool is not None:
            adapter = SSLHTTPAdapter(pool_connections=4, pool_maxsize=pool)
            self.sdk.http_client.mount("http://", adapter)
            self.sdk.http_client.mount("https://", adapter)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="sdk")
        self.stop = threading.Event()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.sdk.http_client.close()

    def conversation(self, n: int, turns: int, run: _Run) -> None:
        if self.stop.is_set():
            return
        sdk = self.sdk
        lat = run.latencies
        perf = time.perf_counter_ns
        try:
            t0 = perf()
            sid = sdk.create_session(ASSISTANT_ID, ENVIRONMENT_ID).get_result()["session_id"]
            lat.append(perf() - t0)
            for t in range(turns):
                if self.stop.is_set():
                    return
                t0 = perf()
                sdk.message(ASSISTANT_ID, ENVIRONMENT_ID, sid, input={"text": _text(n, t)})
                lat.append(perf() - t0)
            t0 = perf()
            sdk.delete_session(ASSISTANT_ID, ENVIRONMENT_ID, sid)
            lat.append(perf() - t0)
        except Exception as exc:
            run.error(exc)


# --- runs ------------------------------------------------------------------------------


def _server_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_stats", timeout=10) as resp:
        result: dict[str, Any] = json.loads(resp.read())
        return result


async def run_async(
    peer: AiohttpPeer | WatsonAsyncPeer, conversations: int, turns: int, time_limit: float
) -> tuple[_Run, float, float]:
    run = _Run()

    async def guarded(n: int) -> None:
        try:
            await peer.conversation(n, turns, run)
        except Exception as exc:
            run.error(exc)

    gc.collect()
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(guarded(n) for n in range(conversations))), time_limit
        )
    except asyncio.TimeoutError as exc:
        run.error(exc)
    return run, cpu_seconds() - cpu0, time.perf_counter() - wall0


def run_sdk(
    peer: SdkPeer, conversations: int, turns: int, time_limit: float
) -> tuple[_Run, float, float]:
    run = _Run()
    peer.stop.clear()
    gc.collect()
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    futures = [peer.pool.submit(peer.conversation, n, turns, run) for n in range(conversations)]
    _, pending = wait_futures(futures, timeout=time_limit)
    if pending:
        peer.stop.set()
        run.error(TimeoutError(f"{len(pending)} conversations unfinished after {time_limit}s"))
        wait_futures(futures)
    return run, cpu_seconds() - cpu0, time.perf_counter() - wall0


def summarize(
    peer: str, run: _Run, cpu: float, wall: float, server: tuple[float, int]
) -> dict[str, Any]:
    calls = len(run.latencies)
    hist = HdrHistogram(1, 120_000_000, 3)  # microseconds, up to 2 minutes
    for ns in run.latencies:
        hist.record_value(max(1, ns // 1000))
    server_cpu, server_requests = server
    return {
        "peer": peer,
        "calls": calls,
        "errors": run.errors,
        "first_error": run.first_error,
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "cpu_us_per_call": cpu / calls * 1e6 if calls else float("nan"),
        "calls_per_s": calls / wall if wall else 0.0,
        "calls_per_cpu_s": calls / cpu if cpu else float("nan"),
        "p50_ms": hist.get_value_at_percentile(50) / 1000,
        "p99_ms": hist.get_value_at_percentile(99) / 1000,
        "server_us_per_request": (
            server_cpu / server_requests * 1e6 if server_requests else float("nan")
        ),
    }


METRICS = (
    "cpu_us_per_call",
    "calls_per_s",
    "calls_per_cpu_s",
    "p50_ms",
    "p99_ms",
    "server_us_per_request",
)


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "peer": runs[0]["peer"],
        "runs": len(runs),
        "calls": runs[0]["calls"],
        "errors": sum(r["errors"] for r in runs),
    }
    for metric in METRICS:
        out[metric] = statistics.median(r[metric] for r in runs)
    out["cpu_us_per_call_min"] = min(r["cpu_us_per_call"] for r in runs)
    out["cpu_us_per_call_max"] = max(r["cpu_us_per_call"] for r in runs)
    return out


async def main_async(args: argparse.Namespace, server: LeanServer) -> dict[str, Any]:
    aio = AiohttpPeer(server.service_url, args.conversations)
    wa = WatsonAsyncPeer(server.service_url, args.conversations)
    sdk = SdkPeer(
        server.service_url,
        args.sdk_threads,
        None if args.sdk_default_pool else max(args.sdk_threads, 10),
    )
    await aio.open()
    await wa.open()
    loop = asyncio.get_running_loop()
    peers: dict[str, Callable[[], Any]] = {
        "aiohttp": lambda: run_async(aio, args.conversations, args.turns, args.time_limit),
        "watson_async": lambda: run_async(wa, args.conversations, args.turns, args.time_limit),
        # the SDK blocks: run it off the loop (the loop idles meanwhile)
        "ibm-watson": lambda: loop.run_in_executor(
            None, run_sdk, sdk, args.conversations, args.turns, args.time_limit
        ),
    }
    console = Console(width=150, stderr=True)
    results: dict[str, list[dict[str, Any]]] = {p: [] for p in PEERS}
    try:
        for repeat in range(-1, args.repeats):  # -1: warm-up, not recorded
            order = PEERS[repeat % len(PEERS) :] + PEERS[: repeat % len(PEERS)]
            for name in order:
                before = await loop.run_in_executor(None, _server_stats, server.url)
                run, cpu, wall = await peers[name]()
                after = await loop.run_in_executor(None, _server_stats, server.url)
                served = (after["cpu_s"] - before["cpu_s"], after["requests"] - before["requests"])
                row = summarize(name, run, cpu, wall, served)
                label = "warm-up" if repeat < 0 else f"run {repeat + 1}/{args.repeats}"
                console.print(
                    f"  {label:>9} {name:<13} {row['calls']:>6} calls  "
                    f"{row['cpu_us_per_call']:8.1f} us CPU/call  {row['calls_per_s']:8.0f} calls/s"
                    + (f"  errors={row['errors']} ({row['first_error']})" if row["errors"] else "")
                )
                if repeat >= 0:
                    results[name].append(row)
    finally:
        await aio.close()
        await wa.close()
        sdk.close()
    return {name: {"median": medians(rows), "runs": rows} for name, rows in results.items()}


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def paired_ratio(peers: dict[str, Any], name: str, base: str, metric: str) -> float:
    """Median over rounds of ``metric(name) / metric(base)`` measured in the same round:
    robust against the machine's speed drifting between rounds."""
    pairs = zip(peers[name]["runs"], peers[base]["runs"], strict=True)
    return statistics.median(ratio(a[metric], b[metric]) for a, b in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", "-c", type=int, default=200)
    parser.add_argument("--turns", "-m", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sdk-threads", type=int, default=32)
    parser.add_argument(
        "--sdk-default-pool",
        action="store_true",
        help="keep requests' default pool of 10 connections (churns with more threads)",
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--no-pin", action="store_true", help="don't pin client and server")
    parser.add_argument("--uvloop", action="store_true", help="client on uvloop")
    parser.add_argument("--quick", action="store_true", help="C=50, M=4, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.turns, args.repeats = 50, 4, 1

    info = machine()
    console = Console(width=150)
    console.print(f"[bold]Machine:[/] {machine_line(info)}")
    pair = None if args.no_pin else cpu_pair()
    client_cpu, server_cpu = pair if pair else (None, None)
    pinned = pin(client_cpu)
    console.print(
        f"C={args.conversations} conversations x M={args.turns} turns (+ create/delete): "
        f"{args.conversations * (args.turns + 2)} calls per run; "
        f"{f'client on CPU {client_cpu}, server on CPU {server_cpu}' if pinned else 'not pinned'}; "
        f"SDK threads={args.sdk_threads}"
        f"{' (default pool of 10)' if args.sdk_default_pool else ''}; "
        f"loop={'uvloop' if args.uvloop else 'asyncio'}"
    )
    with LeanServer(cpu=server_cpu) as server:
        if args.uvloop:
            import uvloop

            peers = uvloop.run(main_async(args, server))
        else:
            peers = asyncio.run(main_async(args, server))

    table = Table(
        title=f"Load: {args.conversations} conversations x {args.turns} turns, "
        f"median of {args.repeats} interleaved rounds (ratios: median of per-round ratios)"
    )
    for column in (
        "peer",
        "CPU us/call",
        "x aiohttp",
        "calls/s",
        "x aiohttp",
        "calls/CPU-s",
        "x ibm-watson",
        "p50 ms",
        "p99 ms",
        "server us/req",
        "errors",
    ):
        table.add_column(column, justify="left" if column == "peer" else "right")
    for name in PEERS:
        m = peers[name]["median"]
        m["cpu_ratio_to_aiohttp"] = paired_ratio(peers, name, "aiohttp", "cpu_us_per_call")
        m["calls_per_s_ratio_to_aiohttp"] = paired_ratio(peers, name, "aiohttp", "calls_per_s")
        m["per_core_ratio_to_sdk"] = paired_ratio(peers, name, "ibm-watson", "calls_per_cpu_s")
        table.add_row(
            name,
            f"{m['cpu_us_per_call']:,.1f}",
            f"{m['cpu_ratio_to_aiohttp']:.2f}",
            f"{m['calls_per_s']:,.0f}",
            f"{m['calls_per_s_ratio_to_aiohttp']:.2f}",
            f"{m['calls_per_cpu_s']:,.0f}",
            f"{m['per_core_ratio_to_sdk']:.1f}",
            f"{m['p50_ms']:.1f}",
            f"{m['p99_ms']:.1f}",
            f"{m['server_us_per_request']:.1f}",
            str(m["errors"]),
        )
    console.print(table)
    wa = peers["watson_async"]["median"]
    checks = {
        "cpu_per_call_le_1.10x_aiohttp": wa["cpu_ratio_to_aiohttp"] <= 1.10,
        "cpu_per_call_le_1.00x_aiohttp (aim)": wa["cpu_ratio_to_aiohttp"] <= 1.00,
        "calls_per_core_ge_6x_sdk": wa["per_core_ratio_to_sdk"] >= 6.0,
    }
    for name, ok in checks.items():
        console.print(f"target {name}: {'[green]met[/]' if ok else '[red]not met[/]'}")
    path = write_results(
        "load",
        {
            "benchmark": "load",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": info,
            "params": {
                "conversations": args.conversations,
                "turns": args.turns,
                "calls_per_run": args.conversations * (args.turns + 2),
                "repeats": args.repeats,
                "sdk_threads": args.sdk_threads,
                "sdk_pool": "requests default (10)"
                if args.sdk_default_pool
                else max(args.sdk_threads, 10),
                "pinned": {"client": client_cpu, "server": server_cpu} if pinned else None,
                "loop": "uvloop" if args.uvloop else "asyncio",
            },
            "peers": peers,
            "targets": checks,
        },
    )
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
