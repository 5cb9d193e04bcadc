"""Parse: response bytes -> typed message response, per parser, in microseconds.

For every ``message_*.json`` conformance sample and for realistic 2.3/5/10/20 KB message
responses (compact JSON, as the service sends it):

* ``json``: ``json.loads`` alone; ``orjson``: ``orjson.loads`` alone (the floors);
* ``watson_async``: what the client does with a reply's bytes
  (``protocol.service.parse``: ``_json.loads``, orjson when installed, then the
  converter, a stateful reply's context and the entities typed on first read);
* ``wa from_dict``: ``_json.loads`` then ``converter.structure`` as ``from_dict`` does it,
  every part typed at once (what a caller who reads the whole reply ends up paying, less
  the stand-ins');
* ``wa (json)``: the same with ``json.loads``: the path without the speedups extra;
* ``ibm-watson``: ``json.loads`` then the official SDK's
  ``StatefulMessageResponse.from_dict`` (``StatelessMessageResponse`` for stateless
  samples); "error" where the SDK rejects a sample.

Each figure is the best of ``--repeats`` timeit loops of about ``--loop-time`` seconds,
with the garbage collector enabled (as the client pays it).

    python benchmarks/parse.py [--quick] [--repeats 5] [--loop-time 0.02]
"""

from __future__ import annotations

import argparse
import gc
import json
import timeit
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson
from _common import conformance_messages, machine, machine_line, message_bytes, write_results
from ibm_watson import assistant_v2 as sdk_models
from multidict import CIMultiDict, CIMultiDictProxy
from rich.console import Console
from rich.table import Table

from watson_async.models import StatefulMessageResponse, StatelessMessageResponse
from watson_async.models._convert import converter
from watson_async.protocol import codec as _json
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol import service as _protocol
from watson_async.transport import HttpResponse

PARSERS = ("json", "orjson", "watson_async", "wa from_dict", "wa (json)", "ibm-watson")
REQUEST = _endpoints.message("a", "e", "s", {"text": "hi"}, None, None)
HEADERS = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))


def parsers(stateless: bool) -> dict[str, Callable[[bytes], Any]]:
    model = StatelessMessageResponse if stateless else StatefulMessageResponse
    sdk_model = (
        sdk_models.StatelessMessageResponse if stateless else sdk_models.StatefulMessageResponse
    )
    structure = converter.structure
    loads = _json.loads
    parse = _protocol.parse
    json_loads = json.loads
    # The transport builds the response; the parse column times what the client does
    # with it (one per body, made before the clock starts).
    responses: dict[bytes, HttpResponse] = {}

    def response(b: bytes) -> HttpResponse:
        made = responses.get(b)
        if made is None:
            made = responses[b] = HttpResponse(200, "OK", HEADERS, b)
        return made

    return {
        "json": json_loads,
        "orjson": orjson.loads,
        "watson_async": lambda b: parse(REQUEST, response(b), model),
        "wa from_dict": lambda b: structure(loads(b), model),
        "wa (json)": lambda b: structure(json_loads(b), model),
        "ibm-watson": lambda b: sdk_model.from_dict(json_loads(b)),
    }


def time_us(fn: Callable[[bytes], Any], body: bytes, repeats: int, loop_time: float) -> float:
    """Best of ``repeats`` loops, in microseconds per call."""
    timer = timeit.Timer(lambda: fn(body), setup=gc.enable)
    number = 1
    while True:  # calibrate: about loop_time seconds per loop
        elapsed = timer.timeit(number)
        if elapsed >= loop_time / 4 or number >= 1_000_000:
            break
        number *= 4
    number = max(1, int(number * loop_time / max(elapsed, 1e-9)))
    return min(timer.repeat(repeats, number)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop-time", type=float, default=0.02, help="seconds per loop")
    parser.add_argument("--quick", action="store_true", help="3 repeats of 0.01 s")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.loop_time = 3, 0.01

    info = machine()
    console = Console(width=160)
    console.print(f"[bold]Machine:[/] {machine_line(info)}")
    console.print(f"watson_async JSON backend: {'orjson' if _json.HAVE_ORJSON else 'json'}")

    samples: list[tuple[str, bytes, bool]] = [
        (f"realistic {size / 1000:.1f} KB", message_bytes(size), False)
        for size in (2300, 5000, 10000, 20000)
    ]
    samples.append(("realistic 2.3 KB stateless", message_bytes(2300, stateless=True), True))
    samples += [(n.removeprefix("message_"), b, st) for n, b, st in conformance_messages()]

    rows: list[dict[str, Any]] = []
    for name, body, stateless in samples:
        row: dict[str, Any] = {"sample": name, "bytes": len(body), "stateless": stateless}
        for pname, fn in parsers(stateless).items():
            try:
                fn(body)
            except Exception as exc:
                row[pname] = None
                row[f"{pname}_error"] = f"{type(exc).__name__}: {exc}"[:200]
                continue
            row[pname] = time_us(fn, body, args.repeats, args.loop_time)
        rows.append(row)

    table = Table(title="Parse: bytes -> message response, us per parse (best of loops)")
    for column in (
        "sample",
        "bytes",
        *PARSERS,
        "wa / orjson",
        "ibm-watson / wa",
        "ibm-watson / wa (json)",
    ):
        table.add_column(column, justify="left" if column == "sample" else "right")

    def cell(value: float | None) -> str:
        return "error" if value is None else f"{value:,.1f}"

    def quotient(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None else f"{a / b:.2f}"

    for row in rows:
        table.add_row(
            row["sample"],
            f"{row['bytes']:,}",
            *(cell(row[p]) for p in PARSERS),
            quotient(row["watson_async"], row["orjson"]),
            quotient(row["ibm-watson"], row["watson_async"]),
            quotient(row["ibm-watson"], row["wa (json)"]),
        )
    console.print(table)
    headline = rows[0]
    ok = headline["watson_async"] is not None and headline["watson_async"] <= 35.0
    console.print(
        f"target: parse of the {headline['bytes']:,}-byte message <= 35 us with orjson: "
        f"{headline['watson_async']:.1f} us, {'[green]met[/]' if ok else '[red]not met[/]'}"
    )
    path = write_results(
        "parse",
        {
            "benchmark": "parse",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": info,
            "params": {"repeats": args.repeats, "loop_time_s": args.loop_time},
            "json_backend": "orjson" if _json.HAVE_ORJSON else "json",
            "rows": rows,
            "targets": {"parse_2_3kb_le_35us": ok},
        },
    )
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
