"""Shared helpers for the benchmarks: machine facts, realistic message bodies, results.

Not a benchmark itself. The scripts in this folder import it as ``_common`` (Python puts
the script's folder first on ``sys.path``).
"""

from __future__ import annotations

import copy
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CONFORMANCE = ROOT / "tests" / "conformance" / "responses"

VERSION = "2024-08-25"
ASSISTANT_ID = "8d1a5b0e-2c4f-4b9e-9d3a-6f2e0c7b1a44"
ENVIRONMENT_ID = "5f3b9c2d-7e1a-4c8b-a6d4-2b9e8f1c0d37"
USER_ID = "c2b7f4e1-9a3d-4e6b-8f1c-5d2a7b9e3f60"

_DISTRIBUTIONS = (
    "watson-async",
    "aiohttp",
    "attrs",
    "cattrs",
    "orjson",
    "uvloop",
    "ibm-watson",
    "ibm-cloud-sdk-core",
    "requests",
    "urllib3",
    "hdrhistogram",
)


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPUs, Python and library versions."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in _DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return {
        "commit": _commit(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity) or os.cpu_count(),
        "cpu_model": model or platform.processor() or "?",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "versions": versions,
    }


def _commit() -> str:
    """The checked-out commit, ``+dirty`` when ``watson_async/`` has uncommitted changes
    ("" outside git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "watson_async"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return ""
    return head + ("+dirty" if head and dirty else "")


def machine_line(info: dict[str, Any]) -> str:
    versions = info["versions"]
    libs = ", ".join(f"{k} {v}" for k, v in versions.items() if v != "-")
    return (
        f"{info['cpus_usable']} CPUs ({info['cpu_model']}), {info['python']} on "
        f"{info['platform']}; {libs}; commit {info['commit'] or '?'}"
    )


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads), not of its children.

    The same quantity as ``os.times()`` user + system, read with nanosecond resolution
    (``CLOCK_PROCESS_CPUTIME_ID``); ``os.times`` counts in 10 ms clock ticks.
    """
    return time.process_time()


def rss_mb() -> float:
    """Resident set size of this process in MiB (``/proc/self/status`` VmRSS)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def pin(cpu: int | None) -> bool:
    """Pin this process to one CPU, if that CPU exists; True if pinned."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return False
    return True


def cpu_pair() -> tuple[int, int] | None:
    """(client CPU, server CPU) when at least two are usable, else None."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return cpus[0], cpus[-1]


# --- realistic message bodies --------------------------------------------------------


def _state(n: int) -> str:
    """An opaque base64 dialog state like the service's (the size is typical)."""
    import base64

    raw = json.dumps(
        {
            "session_id": USER_ID,
            "skill_reference": "actions skill",
            "assistant_id": ASSISTANT_ID,
            "initialized": True,
            "dialog_stack": [{"action": "action_31425-2", "step": f"step_{n:03d}"}],
            "last_action": "action_31425-2",
        },
        separators=(",", ":"),
    ).encode()
    return base64.b64encode(raw).decode()


def realistic_message(target_bytes: int = 2300, *, stateless: bool = False) -> dict[str, Any]:
    """A stateful (or stateless) message response as an actions assistant returns it with
    ``return_context``: a text and an option item, intents, an entity with its
    interpretation, and the global and skill context with its opaque state. Larger
    targets add further realistic generic items (text, options, search results and
    suggestions from the docs samples) until the compact JSON reaches ``target_bytes``.
    """
    message: dict[str, Any] = {
        "output": {
            "generic": [
                {
                    "response_type": "text",
                    "text": "Sure. For which date would you like to book the table for four? "
                    "We are open from Tuesday to Sunday, 17:00 to 23:00, kitchen until 22:30.",
                },
                {
                    "response_type": "option",
                    "title": "Please pick a time:",
                    "description": "Tables are held for 15 minutes.",
                    "preference": "button",
                    "options": [
                        {"label": label, "value": {"input": {"text": label}}}
                        for label in ("18:00", "19:30", "21:00")
                    ],
                },
            ],
            "intents": [
                {"intent": "book_table", "confidence": 0.9712314605712891, "skill": "actions"},
                {"intent": "opening_hours", "confidence": 0.1188730239868164, "skill": "actions"},
            ],
            "entities": [
                {
                    "entity": "sys-date",
                    "location": [21, 29],
                    "value": "2026-11-27",
                    "confidence": 1,
                    "interpretation": {
                        "calendar_type": "GREGORIAN",
                        "datetime_link": "sys-date",
                        "granularity": "day",
                        "relative_weekend": 0,
                        "specific_day_of_week": "friday",
                    },
                    "skill": "actions",
                },
                {
                    "entity": "party_size",
                    "location": [35, 36],
                    "value": "4",
                    "confidence": 1,
                    "skill": "actions",
                },
            ],
        },
        "context": {
            "global": {
                "system": {
                    "timezone": "Europe/Berlin",
                    "user_id": USER_ID,
                    "turn_count": 3,
                    "locale": "en-us",
                    "reference_time": "2026-11-22T09:41:07.120Z",
                    "session_start_time": "2026-11-22T09:40:31.884Z",
                    "state": _state(3),
                    "skip_user_input": False,
                },
                "session_id": "d8c5a1f7-3b2e-4f9a-8c6d-1e4b7a2f9c05",
            },
            "skills": {
                "actions skill": {
                    "user_defined": {"channel": "web", "returning_customer": True},
                    "system": {"state": _state(4)},
                    "action_variables": {"party_size": 4, "date": "2026-11-27"},
                    "skill_variables": {"restaurant": "Mitte", "loyalty_tier": "gold"},
                }
            },
        },
        "user_id": USER_ID,
    }
    if stateless:
        skill = message["context"]["skills"]["actions skill"]
        skill["private_action_variables"] = {"payment_token": "tok_" + "x" * 24}
    extras = _extra_items()
    i = 0
    while len(_compact(message)) < target_bytes - 250:
        message["output"]["generic"].append(copy.deepcopy(extras[i % len(extras)]))
        i += 1
    return message


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _extra_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {
            "response_type": "text",
            "text": "Our kitchen closes at 22:30. Vegetarian and vegan dishes are marked "
            "on the menu; ask us about allergens.",
        }
    ]
    items.append(
        {
            "response_type": "search",
            "header": "I found this information that might be helpful:",
            "primary_results": [
                {
                    "id": f"a3f1c9e2d7b84e5f9c0d{n:012d}",
                    "result_metadata": {"confidence": conf, "score": score},
                    "title": title,
                    "body": body,
                    "url": f"https://example.com/help/{n}",
                    "highlight": {"body": [body[:40]]},
                }
                for n, (title, body, conf, score) in enumerate(
                    (
                        (
                            "Cancelling a reservation",
                            "You can cancel free of charge up to two hours before your booking.",
                            0.62,
                            13.8,
                        ),
                        (
                            "Groups and private dining",
                            "For parties of more than eight guests please call the restaurant.",
                            0.41,
                            9.2,
                        ),
                    )
                )
            ],
            "additional_results": [],
        }
    )
    # the docs' suggestion example (a disambiguation item), accepted by both parsers
    path = CONFORMANCE / "message_docs_suggestion.json"
    if path.exists():
        items.extend(json.loads(path.read_text())["output"]["generic"])
    items.append(
        {
            "response_type": "option",
            "title": "Anything else?",
            "options": [
                {"label": label, "value": {"input": {"text": label}}}
                for label in ("Change the booking", "Opening hours", "Talk to an agent")
            ],
        }
    )
    return items


def message_bytes(target_bytes: int = 2300, *, stateless: bool = False) -> bytes:
    """:func:`realistic_message` encoded as compact UTF-8 JSON, as the service sends it."""
    return _compact(realistic_message(target_bytes, stateless=stateless))


def conformance_messages() -> list[tuple[str, bytes, bool]]:
    """(name, compact body, stateless?) for every ``message_*.json`` conformance sample."""
    out = []
    for path in sorted(CONFORMANCE.glob("message_*.json")):
        out.append((path.stem, _compact(json.loads(path.read_text())), "stateless" in path.stem))
    return out


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


if __name__ == "__main__":  # pragma: no cover - a quick look at the bodies
    for size in (2300, 5000, 10000, 20000):
        print(size, len(message_bytes(size)))
    print(machine_line(machine()), file=sys.stderr)
