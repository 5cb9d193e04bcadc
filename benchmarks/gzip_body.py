"""gzip request bodies: what ``gzip_requests=True`` saves on the wire and costs in CPU.

1. Compression: realistic JSON bodies (a ``bulk_classify`` input of utterances and an
   ``import_skills`` actions workspace, 1 MB and 10 MB; small message bodies from 256 B
   to 4 KB for the threshold) gzipped at levels 1, 6 and 9: the compressed size and the
   CPU time to compress (client) and to decompress (service), best of ``--repeats``
   (``time.process_time``).
2. Round trip on loopback: ``import_skills`` and ``bulk_classify`` with each large body,
   gzip off and on, against ``watson-async fake-server`` in its own process: bytes on
   the wire (the client's ``AttemptEvent.request_bytes``), wall time per call (median
   of ``--calls``) and the client's CPU time per call.
3. The break-even link speed: gzip pays off in time when the transfer time saved,
   ``(raw - compressed) * 8 / bandwidth``, exceeds the CPU time added (compress +
   decompress); the table gives the time saved per call at 10, 100 and 1000 Mbit/s.

    python benchmarks/gzip_body.py [--quick] [--repeats 5] [--calls 7]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import re
import statistics
import subprocess
import sys
import time
import zlib
from datetime import datetime, timezone
from functools import partial
from typing import Any

from _common import ROOT, cpu_seconds, machine, machine_line, write_results
from rich.console import Console
from rich.table import Table

from watson_async import AssistantClient, AttemptEvent, BasicAuthenticator
from watson_async.protocol import codec as _json
from watson_async.protocol.compression import GZIP_LEVEL

MB = 1_000_000
LEVELS = (1, 6, 9)
LINKS_MBIT = (10, 100, 1000)

# A small vocabulary drawn with Zipf-like weights: text compresses like English, not
# like random letters (which would flatter nothing) nor like one repeated word.
_VOCABULARY = (
    "the to and a i you my is for in of it on can have what how do with be not this me "
    "account order card pay bill refund cancel change book table flight hotel password "
    "reset login help agent please thanks need want check status balance transfer money "
    "delivery address phone email open close today tomorrow week month time date plan "
    "upgrade downgrade price cost fee charge late lost stolen block unlock pin limit "
    "branch hours near where when why which store online app error problem issue broken "
    "update new old contract renew insurance claim policy coverage doctor appointment"
)
_WORDS = _VOCABULARY.split()
_WEIGHTS = [1 / (rank + 1) for rank in range(len(_WORDS))]


def _utterance(rng: random.Random) -> str:
    words = rng.choices(_WORDS, _WEIGHTS, k=rng.randint(4, 16))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice((".", "?", "!", ""))


def classify_body(target: int, seed: int = 1) -> dict[str, Any]:
    """A ``bulk_classify`` body of about ``target`` bytes: ``{"input": [{"text"}...]}``."""
    rng = random.Random(seed)
    items: list[dict[str, str]] = []
    size = 12
    while size < target:
        text = _utterance(rng)
        items.append({"text": text})
        size += len(text) + 12
    return {"input": items}


def import_body(target: int, seed: int = 2) -> dict[str, Any]:
    """An ``import_skills`` body of about ``target`` bytes: an actions skill whose
    workspace has intents with examples and actions with text steps, as exports do."""
    rng = random.Random(seed)
    intents: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    size = 400
    n = 0
    while size < target:
        examples = [{"text": _utterance(rng)} for _ in range(rng.randint(5, 20))]
        intent = f"action_{n}_intent_{rng.randrange(10**5)}"
        intents.append({"intent": intent, "examples": examples})
        steps = []
        for s in range(rng.randint(1, 4)):
            steps.append(
                {
                    "step": f"step_{rng.randrange(10**3):03d}",
                    "output": {
                        "generic": [
                            {
                                "response_type": "text",
                                "values": [{"text": _utterance(rng)}],
                                "selection_policy": "sequential",
                            }
                        ]
                    },
                    "handlers": [],
                    "resolver": {"type": "continue"},
                    "variable": f"step_{s}",
                }
            )
        action = {
            "action": f"action_{n}",
            "title": _utterance(rng),
            "steps": steps,
            "condition": {"intent": intents[-1]["intent"]},
        }
        actions.append(action)
        size += len(_json.dumps(intents[-1])) + len(_json.dumps(action))
        n += 1
    workspace = {"language": "en", "intents": intents, "actions": actions, "entities": []}
    return {
        "assistant_skills": [{"type": "action", "name": "Bench", "workspace": workspace}],
        "assistant_state": {"action_disabled": False, "dialog_disabled": False},
    }


def message_body(target: int, seed: int = 3) -> dict[str, Any]:
    """A ``message`` body of about ``target`` bytes (text and context variables)."""
    rng = random.Random(seed)
    variables: dict[str, str] = {}
    body: dict[str, Any] = {
        "input": {"message_type": "text", "text": _utterance(rng)},
        "context": {"skills": {"actions skill": {"skill_variables": variables}}},
    }
    while len(_json.dumps(body)) < target:
        variables[f"var_{len(variables)}"] = _utterance(rng)
    return body


def _best_cpu(fn: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = cpu_seconds()
        fn()
        best = min(best, cpu_seconds() - start)
    return best


def compression_rows(bodies: dict[str, bytes], repeats: int) -> list[dict[str, Any]]:
    rows = []
    for name, raw in bodies.items():
        for level in LEVELS:
            packed = gzip.compress(raw, compresslevel=level, mtime=0)
            compress_s = _best_cpu(partial(gzip.compress, raw, level, mtime=0), repeats)
            inflate_s = _best_cpu(partial(zlib.decompress, packed, 31), repeats)
            saved = len(raw) - len(packed)
            added = compress_s + inflate_s
            rows.append(
                {
                    "body": name,
                    "level": level,
                    "raw_bytes": len(raw),
                    "gzip_bytes": len(packed),
                    "ratio": len(raw) / len(packed),
                    "compress_ms": compress_s * 1e3,
                    "decompress_ms": inflate_s * 1e3,
                    # Link speed above which the CPU costs more than the transfer saves.
                    "break_even_mbit": saved * 8 / added / 1e6 if added > 0 else None,
                    "saved_ms": {
                        str(mbit): (saved * 8 / (mbit * 1e6) - added) * 1e3 for mbit in LINKS_MBIT
                    },
                }
            )
    return rows


def _start_server() -> tuple[subprocess.Popen[str], str, str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "watson_async.cli", "fake-server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    found: dict[str, str] = {}
    for line in process.stdout:
        match = re.match(r"\s+(service_url|apikey|assistant_id)\s+(\S+)", line)
        if match:
            found[match[1]] = match[2]
        if len(found) == 3:
            break
    return process, found["service_url"], found["apikey"], found["assistant_id"]


async def round_trips(
    bodies: dict[str, dict[str, Any]], calls: int, server: tuple[str, str, str]
) -> list[dict[str, Any]]:
    service_url, apikey, assistant_id = server
    sent: list[int] = []

    def on_event(event: object) -> None:
        if isinstance(event, AttemptEvent) and event.request_bytes:
            sent.append(event.request_bytes)

    rows = []
    auth = BasicAuthenticator("apikey", apikey)
    async with AssistantClient(
        "2024-08-25", auth, service_url=service_url, on_event=on_event, retry=None
    ) as client:
        skills = await client.export_skills(assistant_id)
        skill_id = next(s.skill_id for s in skills.assistant_skills if s.type == "action")
        for name, body in bodies.items():
            for gzip_on in (False, True):
                view = client.with_options(gzip_requests=gzip_on)

                async def call(
                    body: dict[str, Any] = body,
                    view: AssistantClient = view,
                    classify: bool = name.startswith("bulk_classify"),
                ) -> None:
                    if classify:
                        await view.bulk_classify(skill_id, body["input"])
                    else:
                        await view.import_skills(
                            assistant_id, body["assistant_skills"], body["assistant_state"]
                        )

                await call()  # warm-up: connection, first-call imports
                walls, cpus = [], []
                sent.clear()
                for _ in range(calls):
                    cpu, wall = cpu_seconds(), time.perf_counter()
                    await call()
                    walls.append(time.perf_counter() - wall)
                    cpus.append(cpu_seconds() - cpu)
                rows.append(
                    {
                        "body": name,
                        "gzip": gzip_on,
                        "wire_bytes": sent[-1],
                        "wall_ms_median": statistics.median(walls) * 1e3,
                        "client_cpu_ms_median": statistics.median(cpus) * 1e3,
                    }
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="1 MB bodies only, 3 repeats")
    args = parser.parse_args()
    sizes = (MB,) if args.quick else (MB, 10 * MB)
    if args.quick:
        args.repeats, args.calls = 3, 3
    info = machine()
    console = Console(width=150)
    console.print(f"[bold]Machine:[/] {machine_line(info)}")

    large: dict[str, dict[str, Any]] = {}
    for size in sizes:
        label = f"{size // MB} MB"
        large[f"bulk_classify {label}"] = classify_body(size)
        large[f"import_skills {label}"] = import_body(size)
    small = {f"message {n} B": message_body(n) for n in (256, 1024, 4096)}
    encoded = {name: _json.dumps(body) for name, body in {**small, **large}.items()}
    compression = compression_rows(encoded, args.repeats)

    table = Table(title=f"gzip of JSON bodies (CPU: best of {args.repeats})")
    for column in ("body", "level", "raw B", "gzip B", "ratio", "compress ms", "inflate ms"):
        table.add_column(column, justify="left" if column == "body" else "right")
    table.add_column("break-even Mbit/s", justify="right")
    for mbit in LINKS_MBIT:
        table.add_column(f"saved ms @{mbit}", justify="right")
    for row in compression:
        table.add_row(
            row["body"],
            str(row["level"]),
            f"{row['raw_bytes']:,}",
            f"{row['gzip_bytes']:,}",
            f"{row['ratio']:.2f}",
            f"{row['compress_ms']:.3f}",
            f"{row['decompress_ms']:.3f}",
            f"{row['break_even_mbit']:,.0f}" if row["break_even_mbit"] else "-",
            *(f"{row['saved_ms'][str(m)]:.2f}" for m in LINKS_MBIT),
        )
    console.print(table)

    process, *server = _start_server()
    try:
        loopback = asyncio.run(round_trips(large, args.calls, (server[0], server[1], server[2])))
    finally:
        process.terminate()
        process.wait()
    table = Table(
        title=f"Loopback round trip against fake-server (gzip level {GZIP_LEVEL}; "
        f"median of {args.calls})"
    )
    for column in ("body", "gzip", "wire bytes", "wall ms", "client CPU ms"):
        table.add_column(column, justify="left" if column == "body" else "right")
    for row in loopback:
        table.add_row(
            row["body"],
            "on" if row["gzip"] else "off",
            f"{row['wire_bytes']:,}",
            f"{row['wall_ms_median']:.1f}",
            f"{row['client_cpu_ms_median']:.1f}",
        )
    console.print(table)
    path = write_results(
        "gzip",
        {
            "benchmark": "gzip",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": info,
            "params": {"repeats": args.repeats, "calls": args.calls, "level": GZIP_LEVEL},
            "compression": compression,
            "loopback": loopback,
        },
    )
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
