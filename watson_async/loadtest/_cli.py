"""``watson-async loadtest``: the argument parser and the command.

Imports nothing beyond the standard library and the core package until the command
runs, so ``watson-async --help`` works without the ``loadtest`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watson_async.cli.argtypes import (
    fraction,
    non_negative_int,
    positive_int,
    positive_seconds,
    seconds,
    version_date,
)

from .._version import DEFAULT_API_VERSION
from ._config import DEFAULT_SCRIPT, LoadTestConfig, read_script

if TYPE_CHECKING:
    from ._fleet_runner import FleetRunner
    from ._runner import LoadTestRunner

__all__ = ["INSTALL_HINT", "add_loadtest_parser", "loadtest_main", "require_extras"]

INSTALL_HINT = 'pip install "watson-async[loadtest]"'

_EPILOG = """\
models:
  closed  --users N virtual users run conversations back to back (create a session,
          the script's turns, delete it). Offered load follows the service's speed.
  open    conversations arrive at --rate per second whatever the service does; latency
          counts from each one's scheduled start, so queueing for one of the
          --max-in-flight slots shows up (no coordinated omission).

fleet: --processes N spawns N worker processes that all send to one embedded fake (or
the real target); --users, --conversations, --rate, --max-in-flight and --max-backlog
are the fleet's totals, split between them. --redis URL makes them share the IAM token
and the rate budget through Redis. One merged report, a row per process.

bounds: no conversation starts after --duration seconds or once --conversations have
started (default: 10 s); those in flight finish; --time-limit cancels the rest.

exit status:
  0    every call succeeded (or the error rate is within --max-error-rate)
  1    error rate or open-model drop rate above --max-error-rate, no call completed,
       the hard --time-limit reached, an unexpected exception, or a process of
       the fleet that sent no report (or did not start)
  2    bad arguments, or the loadtest extra (or matplotlib for --png) not installed
  130  interrupted (Ctrl-C once: finish conversations in flight; twice: stop now)
"""


def add_loadtest_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``loadtest`` command to ``subparsers`` (from ``add_subparsers()``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "loadtest",
        help="load-test an assistant (or the embedded fake): latency, errors, 429s, retries",
        description=(
            "Drive conversations through the real client and report per-attempt and "
            "end-to-end latency, errors by class (429, 5xx, timeout, other), retries and "
            "rate-limit waits, per route. Needs the loadtest extra: " + INSTALL_HINT
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load = parser.add_argument_group("workload")
    load.add_argument(
        "--model",
        choices=("closed", "open"),
        default="closed",
        help="closed: N virtual users (default); open: a fixed arrival rate",
    )
    load.add_argument(
        "-u",
        "--users",
        type=positive_int,
        default=None,
        help="closed model: virtual users (default 10)",
    )
    load.add_argument(
        "--rate",
        type=positive_seconds,
        default=None,
        help="open model: new conversations per second (required there)",
    )
    load.add_argument(
        "--max-in-flight",
        type=positive_int,
        default=None,
        help="open model: conversations running at once (default 100)",
    )
    load.add_argument(
        "--max-backlog",
        type=non_negative_int,
        default=None,
        help="open model: arrivals that may wait for a slot before new ones are dropped "
        "(default: --max-in-flight)",
    )
    load.add_argument(
        "-n",
        "--conversations",
        type=positive_int,
        default=None,
        help="start at most this many conversations",
    )
    load.add_argument(
        "-d",
        "--duration",
        type=positive_seconds,
        default=None,
        help="seconds during which conversations start (default 10 when neither this "
        "nor --conversations is given)",
    )
    load.add_argument(
        "--time-limit",
        type=positive_seconds,
        default=None,
        help="hard cap in seconds: cancel whatever still runs (default: duration + 30, "
        "or 600 with --conversations alone)",
    )
    load.add_argument(
        "--script",
        metavar="FILE",
        default=None,
        help="turn script: one user utterance per line, blank lines and # comments "
        f"skipped (default: {' / '.join(DEFAULT_SCRIPT)})",
    )
    load.add_argument(
        "--turns",
        type=non_negative_int,
        default=None,
        help="turns per conversation (default: the script's length; the script repeats)",
    )
    load.add_argument(
        "--think-time",
        type=seconds,
        default=0.0,
        help="seconds a user pauses before each turn (default 0)",
    )

    client = parser.add_argument_group("target and client")
    client.add_argument(
        "--target",
        choices=("fake", "real"),
        default="fake",
        help="fake: the embedded fake service on 127.0.0.1 (default); real: the instance "
        "configured the way IBM's SDKs read it (ASSISTANT_URL, ASSISTANT_APIKEY, "
        "credentials file, ...)",
    )
    client.add_argument("--assistant-id", default=None, help="real target (default: $ASSISTANT_ID)")
    client.add_argument(
        "--environment-id",
        default=None,
        help="real target (default: $ASSISTANT_ENVIRONMENT_ID; none: classic un-scoped paths)",
    )
    client.add_argument(
        "--no-retry",
        action="store_true",
        help="send every request once, rate-limit gate off: see the service's real 429s",
    )
    client.add_argument(
        "--max-connections", type=positive_int, default=None, help="client pool size"
    )
    client.add_argument(
        "--timeout", type=positive_seconds, default=None, help="seconds per attempt"
    )
    client.add_argument(
        "--version-date", type=version_date, default=DEFAULT_API_VERSION, help="API version date"
    )

    fake = parser.add_argument_group("embedded fake (--target fake)")
    fake.add_argument(
        "--fake-rate-limit",
        type=positive_int,
        default=None,
        metavar="N",
        help="N requests per endpoint per --fake-rate-window (60 s: per minute, as the "
        "service counts) before 429s (default: unlimited)",
    )
    fake.add_argument(
        "--fake-rate-window",
        type=positive_seconds,
        default=None,
        metavar="SECONDS",
        help="the rate-limit window in seconds (default 60, as fake-server's --rate-window; "
        "1 counts per second)",
    )
    fake.add_argument(
        "--fake-no-rate-headers",
        action="store_true",
        help="send no X-RateLimit-* headers: the client can't pace itself, so the limit "
        "shows as 429s (and retries)",
    )
    fake.add_argument(
        "--fake-latency",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="added to every response (default 0)",
    )
    fake.add_argument(
        "--fake-error-rate",
        type=fraction,
        default=0.0,
        metavar="P",
        help="fraction of calls whose request gets a 500 (default 0)",
    )
    fake.add_argument(
        "--fake-token-lifetime",
        type=positive_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="IAM token lifetime: short ones show token refreshes (default 3600)",
    )
    fake.add_argument("--seed", type=int, default=None, help="seed of --fake-error-rate's choices")

    fleet = parser.add_argument_group("fleet")
    fleet.add_argument(
        "--processes",
        type=positive_int,
        default=1,
        metavar="N",
        help="worker processes sharing the totals (default 1: this process alone)",
    )
    fleet.add_argument(
        "--redis",
        metavar="URL",
        default=None,
        help="the processes share what they can through this Redis: the IAM token and "
        "the rate-limit gate (redis://host:port/db; needs watson-async[redis])",
    )

    out = parser.add_argument_group("report")
    out.add_argument(
        "--max-error-rate",
        type=fraction,
        default=0.0,
        metavar="P",
        help="fail (exit 1) when failed calls / calls exceeds this (default 0: any error)",
    )
    out.add_argument("--json", metavar="PATH", default=None, help="write the report as JSON")
    out.add_argument("--csv", metavar="PATH", default=None, help="write per-route rows as CSV")
    out.add_argument(
        "--png",
        metavar="PATH",
        default=None,
        help="plot latency over time and its distribution (needs watson-async[plot])",
    )
    out.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no live progress display (it is also off when stdout is not a terminal)",
    )
    return parser


def require_extras() -> None:
    """Raise ``ImportError`` naming the extra when rich or hdrhistogram is missing."""
    missing = []
    for module, package in (("rich", "rich"), ("hdrh", "hdrhistogram")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise ImportError(
            f"watson-async loadtest needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: {INSTALL_HINT}"
        )


def config_from_args(
    args: argparse.Namespace, environ: dict[str, str] | None = None
) -> LoadTestConfig:
    """The :class:`LoadTestConfig` of parsed arguments (``ValueError`` when invalid)."""
    env = os.environ if environ is None else environ
    options: dict[str, Any] = {
        "model": args.model,
        "rate": args.rate,
        "conversations": args.conversations,
        "duration": args.duration,
        "time_limit": args.time_limit,
        "turns": args.turns,
        "think_time": args.think_time,
        "retry": not args.no_retry,
        "target": args.target,
        "version": args.version_date,
        "max_connections": args.max_connections,
        "timeout": args.timeout,
        "fake_rate_limit": args.fake_rate_limit,
        "fake_rate_window": args.fake_rate_window,
        "fake_rate_headers": not args.fake_no_rate_headers,
        "fake_latency": args.fake_latency,
        "fake_error_rate": args.fake_error_rate,
        "fake_token_lifetime": args.fake_token_lifetime,
        "max_error_rate": args.max_error_rate,
        "seed": args.seed,
    }
    if args.model == "closed":
        for flag, value in (
            ("--max-in-flight", args.max_in_flight),
            ("--max-backlog", args.max_backlog),
        ):
            if value is not None:
                raise ValueError(f"{flag} applies to --model open only")
        if args.users is not None:
            options["users"] = args.users
    else:
        if args.users is not None:
            raise ValueError("--users applies to --model closed only; use --rate")
        if args.rate is None:
            raise ValueError("--model open needs --rate (new conversations per second)")
        if args.max_in_flight is not None:
            options["max_in_flight"] = args.max_in_flight
        options["max_backlog"] = args.max_backlog
    if args.model == "closed" and args.rate is not None:
        raise ValueError("--rate applies to --model open only")
    if args.script is not None:
        options["script"] = read_script(args.script)
    if args.target == "real":
        options["assistant_id"] = args.assistant_id or env.get("ASSISTANT_ID")
        options["environment_id"] = args.environment_id or env.get("ASSISTANT_ENVIRONMENT_ID")
    elif args.assistant_id or args.environment_id:
        raise ValueError("--assistant-id and --environment-id apply to --target real only")
    return LoadTestConfig(**options)


def _check_output(flag: str, path: str | None) -> None:
    if path is None:
        return
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise ValueError(f"{flag} {path}: the directory {str(parent)!r} does not exist")


async def _run(runner: LoadTestRunner | FleetRunner) -> Any:
    loop = asyncio.get_running_loop()
    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows, threads
        loop.add_signal_handler(signal.SIGINT, runner.stop)
        handled = True
    try:
        return await runner.run()
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)


def _check_fleet(config: LoadTestConfig, processes: int, redis: str | None) -> None:
    from ._fleet import check_redis_url, split

    split(config, processes)
    if redis is not None:
        check_redis_url(redis)


def _warn(message: str) -> None:
    print(f"watson-async loadtest: warning: {message}", file=sys.stderr)


def _error(message: str) -> int:
    print(f"watson-async loadtest: error: {message}", file=sys.stderr)
    return 2


def loadtest_main(args: argparse.Namespace) -> int:
    """Run ``watson-async loadtest`` with parsed arguments; return the exit status."""
    try:
        require_extras()
    except ImportError as exc:
        return _error(str(exc))
    fleet = args.processes > 1 or args.redis is not None
    try:
        config = config_from_args(args)
        _check_output("--json", args.json)
        _check_output("--csv", args.csv)
        _check_output("--png", args.png)
        if fleet:
            _check_fleet(config, args.processes, args.redis)
    except (ValueError, ImportError) as exc:
        return _error(str(exc))
    if args.png is not None:
        from ._plot import require_matplotlib

        try:
            require_matplotlib()
        except ImportError as exc:
            return _error(str(exc))

    from rich.console import Console

    from ._fleet_runner import FleetRunner
    from ._progress import LiveProgress
    from ._runner import LoadTestRunner

    console = Console() if sys.stdout.isatty() else Console(width=140)
    live = not args.quiet and sys.stdout.isatty()
    progress = LiveProgress(config, console) if live else None
    runner: LoadTestRunner | FleetRunner = (
        FleetRunner(
            config,
            processes=args.processes,
            redis_url=args.redis,
            progress=progress,
            warn=lambda message: print(
                f"watson-async loadtest: warning: {message}", file=sys.stderr
            ),
        )
        if fleet
        else LoadTestRunner(config, progress=progress)
    )
    try:
        report = asyncio.run(_run(runner))
    except ValueError as exc:  # e.g. from_env: a missing or contradictory setting
        return _error(str(exc))
    except RuntimeError as exc:  # a fleet whose processes did not start
        print(f"watson-async loadtest: {exc}", file=sys.stderr)
        return 1
    report.print(console)
    for flag, path, write in (
        ("--json", args.json, report.write_json),
        ("--csv", args.csv, report.write_csv),
        ("--png", args.png, report.write_png),
    ):
        if path is not None:
            try:
                write(path)
            except OSError as exc:
                print(f"watson-async loadtest: cannot write {flag} {path}: {exc}", file=sys.stderr)
                return 2
    code: int = report.exit_code
    return code
