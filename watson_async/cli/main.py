"""The ``watson-async`` command: ``demo``, ``chat`` (an interactive chat, see
``watson_async.cli.chat``), ``test`` (scripted dialogues, see
``watson_async.cli.dialogue_run``), ``fake-server`` and ``loadtest``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import statistics
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from watson_async._version import DEFAULT_API_VERSION, __version__
from watson_async.auth import IAMAuthenticator
from watson_async.cli.argtypes import bounded_seconds, fraction, positive_int, positive_seconds
from watson_async.cli.chat import add_chat_parser, chat_main
from watson_async.cli.dialogue_run import add_test_parser, dialogue_test_main
from watson_async.cli.render import render_generic
from watson_async.client import AssistantClient
from watson_async.errors import WatsonError
from watson_async.loadtest._cli import add_loadtest_parser, loadtest_main
from watson_async.models.message import StatefulMessageResponse

__all__ = ["main"]

#: The longest ``fake-server --latency`` (a longer one only makes clients time out).
MAX_FAKE_LATENCY = 60.0

DEMO_SCRIPT = ("hello", "menu", "book a trip", "Paris", "thanks, that is all")


def render_reply(reply: StatefulMessageResponse) -> list[str]:
    """The reply's generic items as plain text lines (as ``watson-async chat`` shows them)."""
    return list(render_generic(reply.output.generic or ()).lines)


@attrs.define
class _Stats:
    latencies: list[float] = attrs.Factory(list)
    errors: list[str] = attrs.Factory(list)


async def _timed(stats: _Stats, coro: Any) -> Any:
    started = time.perf_counter()
    try:
        return await coro
    finally:
        stats.latencies.append(time.perf_counter() - started)


async def _conversation(
    client: AssistantClient, aid: str, eid: str, stats: _Stats, transcript: list[str] | None
) -> None:
    session = await _timed(stats, client.create_session(aid, eid))
    try:
        for text in DEMO_SCRIPT:
            reply = await _timed(
                stats, client.message(aid, eid, session.session_id, input={"text": text})
            )
            if transcript is not None:
                transcript.append(f"  you> {text}")
                transcript.extend(f"  bot> {line}" for line in render_reply(reply))
    finally:
        await _timed(stats, client.delete_session(aid, eid, session.session_id))


def _percentile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run_demo(conversations: int, concurrency: int, time_limit: float) -> int:
    """Drive ``conversations`` conversations through the real client against the fake."""
    from watson_async.testing import FakeAssistant

    stats = _Stats()
    transcript: list[str] = []
    async with (
        FakeAssistant() as fake,
        AssistantClient(
            DEFAULT_API_VERSION,
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
            proxy_from_env=False,  # the fake is in this process, on loopback
        ) as client,
    ):
        print(f"watson-async {__version__}: fake Watson Assistant at {fake.service_url}")
        print(
            f"{conversations} conversations x {len(DEMO_SCRIPT)} turns, "
            f"{concurrency} at a time, IAM auth\n"
        )
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            async with gate:
                try:
                    await _conversation(
                        client,
                        fake.assistant_id,
                        fake.environment_id,
                        stats,
                        transcript if index == 0 else None,
                    )
                except WatsonError as exc:
                    stats.errors.append(f"conversation {index}: {exc!r}")

        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(one(i) for i in range(conversations))), time_limit
            )
        except asyncio.TimeoutError:
            stats.errors.append(f"time limit of {time_limit:g} s reached")
        elapsed = time.perf_counter() - started

    print("Conversation 1:")
    print("\n".join(transcript))
    calls = len(stats.latencies)
    print("\nSummary")
    print(f"  calls      {calls}")
    print(f"  errors     {len(stats.errors)}")
    print(f"  elapsed    {elapsed:.2f} s")
    print(f"  calls/s    {calls / elapsed:.0f}" if elapsed > 0 else "  calls/s    -")
    if stats.latencies:
        p50 = _percentile(stats.latencies, 50) * 1000
        p99 = _percentile(stats.latencies, 99) * 1000
        print(f"  latency    p50 {p50:.1f} ms   p99 {p99:.1f} ms")
    for error in stats.errors[:10]:
        print(f"  error: {error}", file=sys.stderr)
    return 1 if stats.errors else 0


async def run_fake_server(options: Mapping[str, Any]) -> int:
    """Run the fake service (``options``: ``FakeAssistant``'s arguments) until interrupted."""
    from watson_async.testing import FakeAssistant

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        fake = FakeAssistant(**options)
        try:
            await stack.enter_async_context(fake)
        except OSError as exc:  # the port is taken, or the host isn't ours
            print(
                f"watson-async fake-server: can't listen on {fake.host}:{fake.port}: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
            return 1
        print("Fake Watson Assistant v2 running. Ctrl-C to stop.")
        print(f"  service_url     {fake.service_url}")
        print(f"  iam_url         {fake.iam_url}")
        print(f"  apikey          {fake.apikey}")
        print(f"  assistant_id    {fake.assistant_id}")
        print(f"  environment_id  {fake.environment_id}")
        if fake.rate_limit is not None:
            print(
                f"  rate limit      {fake.rate_limit} requests per "
                f"{fake.rate_limit_window:g} s per endpoint"
            )
        if fake.latency:
            print(f"  latency         {fake.latency:g} s per request")
        if fake.error_rate:
            print(f"  error rate      {fake.error_rate:g} of API requests get {fake.error_fault}")
        print("\nAs environment variables for IBM's SDKs and watson_async (eval this block):")
        for key, value in fake.environ().items():
            print(f"export {key}={shlex.quote(value)}")
        sys.stdout.flush()
        await stop.wait()
    return 0


class _FaultNames:
    """``--fault``'s choices, the fake's :data:`ERROR_FAULTS` names, loaded when argparse
    first looks at them: importing the fake would slow every command's start."""

    def _names(self) -> tuple[str, ...]:
        from watson_async.testing.fake._faults import ERROR_FAULTS

        return tuple(ERROR_FAULTS)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, value: object) -> bool:
        return value in self._names()


def _add_fake_server_parser(sub: Any) -> None:
    fake = sub.add_parser("fake-server", help="run the fake Watson Assistant service")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=0, help="0 picks a free port")
    fake.add_argument("--token-lifetime", type=positive_seconds, default=3600.0, metavar="SECONDS")
    fake.add_argument("--session-timeout", type=positive_seconds, default=300.0, metavar="SECONDS")
    fake.add_argument(
        "--rate-limit",
        type=positive_int,
        default=None,
        metavar="N",
        help="N requests per endpoint per --rate-window (60 s: per minute, as the service "
        "counts) before 429s (default: unlimited)",
    )
    fake.add_argument(
        "--rate-window",
        type=positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="the rate-limit window in seconds (default 60, as FakeAssistant's rate_limit_window)",
    )
    fake.add_argument(
        "--latency",
        type=bounded_seconds(MAX_FAKE_LATENCY),
        default=0.0,
        metavar="SECONDS",
        help=f"added before every response, 0 to {MAX_FAKE_LATENCY:g} (default 0)",
    )
    fake.add_argument(
        "--error-rate",
        type=fraction,
        default=0.0,
        metavar="P",
        help="fraction (0 to 1) of API requests (not token requests) answered with "
        "--fault instead (default 0)",
    )
    fake.add_argument(
        "--fault",
        choices=_FaultNames(),
        default=None,
        metavar="FAULT",  # argparse would list the choices (load the fake) when adding it
        help="what --error-rate's requests get: a 500, a 503, a 429, a gateway's 502 HTML "
        "page, a 200 that isn't JSON, or the connection closed: one of %(choices)s "
        "(default server-error)",
    )
    fake.add_argument("--seed", type=int, default=None, help="seed of --error-rate's choices")


def _fake_server_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "host": args.host,
        "port": args.port,
        "token_lifetime": args.token_lifetime,
        "session_timeout": args.session_timeout,
        "rate_limit": args.rate_limit,
        "rate_limit_window": args.rate_window,
        "latency": args.latency,
        "error_rate": args.error_rate,
        "error_fault": args.fault or "server-error",
        "seed": args.seed,
    }


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="watson-async",
        description="asyncio client for IBM watsonx Assistant v2: demo and tools",
    )
    parser.add_argument("--version", action="version", version=f"watson-async {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run concurrent conversations against the embedded fake")
    demo.add_argument("-n", "--conversations", type=positive_int, default=50)
    demo.add_argument("-c", "--concurrency", type=positive_int, default=50)
    demo.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")

    add_chat_parser(sub)
    add_test_parser(sub)
    _add_fake_server_parser(sub)
    add_loadtest_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``watson-async`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "fake-server" and args.fault is not None and not args.error_rate:
        parser.error("fake-server --fault needs --error-rate P (the fraction of requests)")
    with warnings.catch_warnings():
        if not sys.warnoptions:  # show our DeprecationWarnings, unless told otherwise
            warnings.simplefilter("default", DeprecationWarning)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "demo":
            return asyncio.run(run_demo(args.conversations, args.concurrency, args.time_limit))
        if args.command == "chat":
            return chat_main(args)
        if args.command == "loadtest":
            return loadtest_main(args)
        if args.command == "test":
            return dialogue_test_main(args)
        return asyncio.run(run_fake_server(_fake_server_options(args)))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`watson-async demo | head`): stop quietly, as Unix tools do.
        # Python would complain again when it flushes stdout at exit, so point it elsewhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
