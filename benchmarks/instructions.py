"""Instructions per stateful ``message()`` call, and import time, of three clients.

CPU seconds on a shared machine swing by a third from one round to the next; the
instructions a process executes hardly move. Each peer's client runs in a process under
``valgrind --tool=callgrind`` (the server, ``lean_server``, in its own process, not under
valgrind): C conversations each open a session and send one message (the warm-up
round), then M more messages each. The process runs twice, with M = 2 and M = 7; the
difference of the two totals divided by the C x 5 extra calls is the cost of one
``message()`` call, with start-up, imports, the session and the connections cancelled.

* ``aiohttp``: raw aiohttp, one ``ClientSession``, ``json=`` body, ``await resp.json()``,
  the IAM token fetched once from the lean server's ``/identity/token``;
* ``watson_async``: ``AssistantClient`` with ``IAMAuthenticator`` (default options, its
  token from the lean server's ``/identity/token``), the ~2.3 KB reply typed;
* ``ibm-watson``: the official SDK's ``AssistantV2`` with its ``IAMAuthenticator``
  against the same token endpoint, one call at a time (it is synchronous), dicts.

Import time: ``import watson_async`` and ``import aiohttp`` (and the SDK's), each in a
fresh interpreter, interleaved, best of 7; and the instructions each import costs
(callgrind, less an empty interpreter's). PYTHONHASHSEED=0 in every child so dict and
set layouts (and so the counts) repeat.

    python benchmarks/instructions.py [--conversations 20] [--quick] [--keep DIR]

``--keep DIR`` keeps the callgrind files: ``callgrind_annotate --inclusive=no
DIR/watson_async.7.out`` lists the cost per function.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _common import (
    ASSISTANT_ID,
    ENVIRONMENT_ID,
    VERSION,
    cpu_pair,
    fmt,
    machine,
    machine_line,
    write_results,
)
from lean_server import LeanServer

PEERS = ("aiohttp", "watson_async", "ibm-watson")
#: label -> what is imported: the packages, and what a program sending messages imports.
IMPORTS = {
    "aiohttp": "import aiohttp",
    "watson_async": "import watson_async",
    "watson_async client": "from watson_async import AssistantClient, IAMAuthenticator",
    "ibm_watson": "import ibm_watson",
}
SHORT, LONG = 2, 7
#: CPython 3.10 caches global and attribute lookups (its "opcache") only in code that
#: has run 1,024 times; 3.11+ specialises after a few runs. The warm-up round sends
#: enough messages for the measured calls to be the steady state a long-lived process
#: runs in, on every interpreter.
OPCACHE_RUNS = 1024


def default_warmup(conversations: int) -> int:
    """Messages per conversation in the warm-up round."""
    if sys.version_info >= (3, 11):
        return 1
    return -(-(OPCACHE_RUNS + 100) // conversations)


APIKEY = "bench-apikey"
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _text(n: int, t: int) -> str:
    return f"I would like to book a table, turn {t} of conversation {n}"


# --- the client process (runs under callgrind) -----------------------------------------


async def _aiohttp_client(
    service_url: str, iam_url: str, conversations: int, messages: int, warmup: int
) -> None:
    import aiohttp

    base = f"{service_url}/v2/assistants/{ASSISTANT_ID}/environments/{ENVIRONMENT_ID}"
    query = f"?version={VERSION}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        # The same IAM token the other peers send (a ~900-byte JWT): the header's size
        # shows in the cost of writing the request, so a short stand-in would flatter.
        grant = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": APIKEY}
        async with session.post(f"{iam_url}/identity/token", data=grant) as resp:
            resp.raise_for_status()
            token = (await resp.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def message(sid: str, n: int, t: int) -> None:
            async with session.post(
                f"{base}/sessions/{sid}/message{query}",
                json={"input": {"text": _text(n, t)}},
                headers=headers,
            ) as resp:
                resp.raise_for_status()
                await resp.json()

        async def conversation(n: int) -> str:
            async with session.post(f"{base}/sessions{query}", headers=headers) as resp:
                resp.raise_for_status()
                sid: str = (await resp.json())["session_id"]
            for t in range(warmup):
                await message(sid, n, t)
            return sid

        sids = await asyncio.gather(*(conversation(n) for n in range(conversations)))

        async def turns(n: int, sid: str) -> None:
            for t in range(warmup, warmup + messages):
                await message(sid, n, t)

        await asyncio.gather(*(turns(n, sid) for n, sid in enumerate(sids)))


async def _watson_async_client(
    service_url: str, iam_url: str, conversations: int, messages: int, warmup: int
) -> None:
    from watson_async import AssistantClient, IAMAuthenticator

    async with AssistantClient(
        VERSION, IAMAuthenticator(APIKEY, url=iam_url), service_url=service_url
    ) as client:

        async def conversation(n: int) -> str:
            sid = (await client.create_session(ASSISTANT_ID, ENVIRONMENT_ID)).session_id
            for t in range(warmup):
                await client.message(ASSISTANT_ID, ENVIRONMENT_ID, sid, input={"text": _text(n, t)})
            return sid

        sids = await asyncio.gather(*(conversation(n) for n in range(conversations)))

        async def turns(n: int, sid: str) -> None:
            for t in range(warmup, warmup + messages):
                await client.message(ASSISTANT_ID, ENVIRONMENT_ID, sid, input={"text": _text(n, t)})

        await asyncio.gather(*(turns(n, sid) for n, sid in enumerate(sids)))


def _sdk_client(
    service_url: str, iam_url: str, conversations: int, messages: int, warmup: int
) -> None:
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator as SdkIAM
    from ibm_watson import AssistantV2

    sdk = AssistantV2(VERSION, authenticator=SdkIAM(APIKEY, url=iam_url))
    sdk.set_service_url(service_url)
    sids = []
    for n in range(conversations):
        sid = sdk.create_session(ASSISTANT_ID, ENVIRONMENT_ID).get_result()["session_id"]
        for t in range(warmup):
            sdk.message(ASSISTANT_ID, ENVIRONMENT_ID, sid, input={"text": _text(n, t)}).get_result()
        sids.append(sid)
    for t in range(warmup, warmup + messages):
        for n, sid in enumerate(sids):
            sdk.message(ASSISTANT_ID, ENVIRONMENT_ID, sid, input={"text": _text(n, t)}).get_result()


def client_main(peer: str, root: str, conversations: int, messages: int, warmup: int) -> None:
    service_url = f"{root}/instances/lean"
    if peer == "aiohttp":
        asyncio.run(_aiohttp_client(service_url, root, conversations, messages, warmup))
    elif peer == "watson_async":
        asyncio.run(_watson_async_client(service_url, root, conversations, messages, warmup))
    else:
        _sdk_client(service_url, root, conversations, messages, warmup)


# --- the parent -------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    # The worktree's package, as the other benchmarks import it from the script's parent.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _callgrind(args: list[str], out: Path) -> int:
    """Instructions a Python child with ``args`` executes (callgrind's total)."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        *args,
    ]
    done = subprocess.run(cmd, env=_child_env(), capture_output=True, text=True, timeout=900)
    match = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(match.group(1))


def measure_calls(
    root: str, conversations: int, warmup: int, peers: tuple[str, ...], keep: Path
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    script = str(Path(__file__).resolve())
    for peer in peers:
        totals = {}
        for messages in (SHORT, LONG):
            args = [script, "--client", peer, "--root", root]
            args += ["--conversations", str(conversations), "--messages", str(messages)]
            args += ["--warmup", str(warmup)]
            totals[messages] = _callgrind(args, keep / f"{peer}.{messages}.out")
        calls = conversations * (LONG - SHORT)
        results[peer] = {
            "instructions": {str(m): n for m, n in totals.items()},
            "extra_calls": calls,
            "per_call": (totals[LONG] - totals[SHORT]) / calls,
        }
        print(f"  {peer}: {fmt(results[peer]['per_call'], 0)} instructions per call", flush=True)
    return results


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=_child_env(), capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def measure_imports(repeats: int, keep: Path) -> dict[str, dict[str, Any]]:
    times: dict[str, list[float]] = {label: [] for label in IMPORTS}
    for _ in range(repeats):
        for label, statement in IMPORTS.items():  # interleaved: a slow moment hits all
            times[label].append(_import_seconds(statement))
    empty = _callgrind(["-c", "pass"], keep / "import.empty.out")
    results = {}
    for label, statement in IMPORTS.items():
        out = keep / f"import.{label.replace(' ', '_')}.out"
        results[label] = {
            "statement": statement,
            "seconds": times[label],
            "best_ms": min(times[label]) * 1000,
            "instructions": _callgrind(["-c", statement], out) - empty,
        }
    return results


def _print(calls: dict[str, dict[str, Any]], imports: dict[str, dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if calls:
        floor = calls["aiohttp"]["per_call"] if "aiohttp" in calls else None
        table = Table(title="Instructions per stateful message() call (callgrind)")
        for col in ("peer", "instructions/call", "x raw aiohttp"):
            table.add_column(col, justify="right" if col != "peer" else "left")
        for peer, row in calls.items():
            ratio = "-" if floor is None else f"{row['per_call'] / floor:.3f}"
            table.add_row(peer, fmt(row["per_call"], 0), ratio)
        console.print(table)
    if not imports:
        return
    table = Table(title="Import (fresh interpreter, best of runs; instructions beyond `pass`)")
    for col in ("import", "best ms", "x aiohttp", "instructions", "x aiohttp "):
        table.add_column(col, justify="right" if col != "import" else "left")
    base = imports["aiohttp"]
    for module, row in imports.items():
        table.add_row(
            module,
            fmt(row["best_ms"], 1),
            f"{row['best_ms'] / base['best_ms']:.2f}",
            fmt(row["instructions"], 0),
            f"{row['instructions'] / base['instructions']:.2f}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--import-repeats", type=int, default=7)
    parser.add_argument(
        "--peers", default=",".join(PEERS), help="comma-separated subset ('': imports only)"
    )
    parser.add_argument("--no-imports", action="store_true", help="skip the import figures")
    parser.add_argument("--keep", type=Path, default=None, help="keep callgrind files here")
    parser.add_argument("--quick", action="store_true", help="10 conversations, 3 imports")
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="messages per conversation before the measured ones (default: 1 on CPython "
        "3.11+, past the opcache threshold on 3.10)",
    )
    # the client process
    parser.add_argument("--client", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=SHORT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.root, args.conversations, args.messages, args.warmup or 1)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not on PATH (apt-get install valgrind)")
    if args.quick:
        args.conversations, args.import_repeats = 10, 3
    if args.warmup is None:
        args.warmup = default_warmup(args.conversations)
    if args.warmup < 1:
        sys.exit("--warmup must be >= 1")
    peers = tuple(p for p in args.peers.split(",") if p)
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        sys.exit(f"unknown peer(s) {unknown}; choose from {list(PEERS)}")
    info = machine()
    print(machine_line(info), flush=True)
    print(f"  warm-up: {args.warmup} message(s) per conversation", flush=True)
    keep = args.keep or Path(tempfile.mkdtemp(prefix="callgrind-"))
    keep.mkdir(parents=True, exist_ok=True)
    pair = cpu_pair()
    started = time.perf_counter()
    try:
        calls: dict[str, dict[str, Any]] = {}
        if peers:
            with LeanServer(cpu=None if pair is None else pair[1]) as server:
                calls = measure_calls(server.url, args.conversations, args.warmup, peers, keep)
        imports = {} if args.no_imports else measure_imports(args.import_repeats, keep)
    finally:
        if args.keep is None:
            shutil.rmtree(keep, ignore_errors=True)
    _print(calls, imports)
    path = write_results(
        "instructions",
        {
            "benchmark": "instructions",
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": info,
            "params": {
                "conversations": args.conversations,
                "messages": [SHORT, LONG],
                "warmup": args.warmup,
                "import_repeats": args.import_repeats,
                "pythonhashseed": 0,
            },
            "seconds": round(time.perf_counter() - started, 1),
            "calls": calls,
            "imports": imports,
        },
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
