"""``watson-async test DIALOGUES...``: run scripted dialogues (see
:mod:`watson_async.cli.dialogues`) concurrently against a real instance, the embedded
fake (``--fake``) or cassettes (``--cassette DIR``, ``--record`` writes them), then
report each failing turn, a summary table, optionally JUnit XML; ``--repeat N`` runs
each dialogue N times and names the turns that passed only sometimes (flaky).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree

import attrs

from watson_async.cli.argtypes import positive_int
from watson_async.cli.chat import (
    ASSISTANT_ID_ENV,
    ENVIRONMENT_ID_ENV,
    _ids,
    add_target_arguments,
)
from watson_async.cli.dialogues import (
    Dialogue,
    DialogueError,
    Mismatch,
    Turn,
    check_turn,
    load_dialogues,
    reply_text,
)
from watson_async.client import AssistantClient
from watson_async.errors import WatsonError
from watson_async.testing.cassette import CassetteError

__all__ = ["add_test_parser", "dialogue_test_main", "run_dialogues", "run_test_command"]

#: Sent with every turn: the debug output names the actions visited (and fallbacks),
#: the context carries the variables a turn may expect.
TURN_OPTIONS = {"debug": True, "return_context": True}
#: The IDs a replay sends when none are given: cassettes match on route templates.
REPLAY_ID = "replay"
#: What ends a run early: the service's errors, or a cassette without the exchange.
_FAILURES = (WatsonError, CassetteError)


@attrs.frozen(slots=True)
class TurnOutcome:
    """One turn of one run."""

    turn: Turn
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None
    text: str = ""

    @property
    def passed(self) -> bool:
        """Met every expectation, without an error."""
        return self.error is None and not self.mismatches


@attrs.frozen(slots=True)
class RunOutcome:
    """One run of one dialogue (a turn after an error is not run)."""

    dialogue: Dialogue
    turns: tuple[TurnOutcome, ...]
    seconds: float


@attrs.frozen(slots=True)
class TurnSummary:
    """A turn over every run of its dialogue."""

    dialogue: Dialogue
    index: int
    outcomes: tuple[TurnOutcome, ...]
    """One per run that reached this turn."""
    runs: int

    @property
    def turn(self) -> Turn:
        """The turn."""
        return self.dialogue.turns[self.index]

    @property
    def failed_runs(self) -> list[TurnOutcome]:
        """The outcomes that failed."""
        return [o for o in self.outcomes if not o.passed]

    @property
    def status(self) -> str:
        """``passed``, ``failed`` (every run), ``flaky`` (some) or ``not run``."""
        if not self.outcomes:
            return "not run"
        failed = len(self.failed_runs) + self.runs - len(self.outcomes)
        if not failed:
            return "passed"
        return "failed" if failed == self.runs else "flaky"


# --- running --------------------------------------------------------------------------


async def run_dialogue(
    client: AssistantClient, assistant_id: str, environment_id: str, dialogue: Dialogue
) -> RunOutcome:
    """Send the dialogue's turns in one session and check each reply."""
    started = time.perf_counter()
    outcomes: list[TurnOutcome] = []
    turns = iter(dialogue.turns)
    try:
        session = await client.create_session(assistant_id, environment_id)
    except _FAILURES as exc:  # reported against the first turn
        outcomes.append(TurnOutcome(next(turns), error=_describe(exc)))
        return RunOutcome(dialogue, tuple(outcomes), time.perf_counter() - started)
    try:
        for turn in turns:
            try:
                reply = await client.message(
                    assistant_id,
                    environment_id,
                    session.session_id,
                    input={"text": turn.user, "options": TURN_OPTIONS},
                )
            except _FAILURES as exc:
                outcomes.append(TurnOutcome(turn, error=_describe(exc)))
                break
            data = reply.to_dict()
            outcomes.append(
                TurnOutcome(turn, tuple(check_turn(turn.expect, data)), text=reply_text(data))
            )
    finally:
        with contextlib.suppress(Exception):  # the outcome stands whatever cleanup does
            await client.delete_session(assistant_id, environment_id, session.session_id)
    return RunOutcome(dialogue, tuple(outcomes), time.perf_counter() - started)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


ClientFactory = Callable[[Dialogue], contextlib.AbstractAsyncContextManager[AssistantClient]]


async def run_dialogues(
    dialogues: Sequence[Dialogue],
    clients: ClientFactory,
    assistant_id: str,
    environment_id: str,
    *,
    repeat: int = 1,
    concurrency: int = 8,
) -> list[RunOutcome]:
    """Every dialogue ``repeat`` times, ``concurrency`` runs at a time, each with a
    client from ``clients`` (shared or its own)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(dialogue: Dialogue) -> RunOutcome:
        async with gate:
            try:
                async with clients(dialogue) as client:
                    return await run_dialogue(client, assistant_id, environment_id, dialogue)
            except (*_FAILURES, ValueError) as exc:  # no client: an unreadable cassette, a bad ID
                failed = TurnOutcome(dialogue.turns[0], error=_describe(exc))
                return RunOutcome(dialogue, (failed,), 0.0)

    runs = [dialogue for dialogue in dialogues for _ in range(repeat)]
    return list(await asyncio.gather(*(one(d) for d in runs)))


def summarize(
    dialogues: Sequence[Dialogue], outcomes: Sequence[RunOutcome], repeat: int
) -> list[TurnSummary]:
    """Each turn of each dialogue over its runs, in file order."""
    summaries = []
    for dialogue in dialogues:
        runs = [run for run in outcomes if run.dialogue is dialogue]
        for index in range(len(dialogue.turns)):
            reached = tuple(run.turns[index] for run in runs if index < len(run.turns))
            summaries.append(TurnSummary(dialogue, index, reached, repeat))
    return summaries


# --- reporting ------------------------------------------------------------------------


def _lines(value: Any) -> list[str]:
    return str(value).splitlines() or [""] if isinstance(value, str) else [repr(value)]


def describe_failure(summary: TurnSummary) -> list[str]:
    """A failing turn: where it is, what was sent, and expected (-) against got (+)."""
    turn = summary.turn
    where = f"{summary.dialogue.path}:{turn.line}"
    head = f"{summary.status.upper()} {summary.dialogue.name} turn {summary.index + 1} ({where})"
    if summary.runs > 1:
        failed = summary.runs - len(summary.outcomes) + len(summary.failed_runs)
        head += f", failed in {failed} of {summary.runs} runs"
    lines = [head, f"  you> {turn.user}"]
    seen: set[str] = set()
    for outcome in summary.failed_runs:
        block: list[str] = []
        if outcome.error is not None:
            block.append(f"  error: {outcome.error}")
        for mismatch in outcome.mismatches:
            block.append(f"  {mismatch.what}:")
            block.extend(
                f"    {line}"
                for line in difflib.ndiff(_lines(mismatch.expected), _lines(mismatch.actual))
                if not line.startswith("?")
            )
        text = "\n".join(block)
        if text not in seen:  # a flaky turn: each distinct way it failed, once
            seen.add(text)
            lines.extend(block)
    if len(summary.outcomes) < summary.runs:
        lines.append("  not reached in every run (an earlier turn failed with an error)")
    return lines


def summary_table(summaries: Sequence[TurnSummary], outcomes: Sequence[RunOutcome]) -> Any:
    """The rich table: per dialogue, its turns passed, failed, flaky and not run."""
    from rich.table import Table

    table = Table(title="watson-async test")
    for column in ("dialogue", "turns", "passed", "failed", "flaky", "not run", "seconds"):
        table.add_column(column, justify="left" if column == "dialogue" else "right")
    dialogues = list(dict.fromkeys(s.dialogue for s in summaries))
    for dialogue in dialogues:
        mine = [s for s in summaries if s.dialogue is dialogue]
        counts = {status: sum(s.status == status for s in mine) for status in _STATUSES}
        seconds = sum(run.seconds for run in outcomes if run.dialogue is dialogue)
        table.add_row(
            dialogue.name,
            str(len(mine)),
            *(str(counts[status]) for status in _STATUSES),
            f"{seconds:.2f}",
        )
    return table


_STATUSES = ("passed", "failed", "flaky", "not run")


def junit_xml(summaries: Sequence[TurnSummary], outcomes: Sequence[RunOutcome]) -> bytes:
    """JUnit XML: a test case per turn (class: the dialogue), failures with their diff."""
    suite = ElementTree.Element("testsuite", name="watson-async test")
    failures = errors = skipped = 0
    for summary in summaries:
        runs = [r for r in outcomes if r.dialogue is summary.dialogue]
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=summary.dialogue.name,
            name=f"turn {summary.index + 1}: {summary.turn.user}",
            file=str(summary.dialogue.path),
            line=str(summary.turn.line),
            time=f"{sum(r.seconds for r in runs) / max(len(summary.dialogue.turns), 1):.3f}",
        )
        status = summary.status
        if status == "passed":
            continue
        if status == "not run":
            skipped += 1
            ElementTree.SubElement(case, "skipped", message="an earlier turn failed")
            continue
        details = "\n".join(describe_failure(summary))
        if all(o.error is not None for o in summary.failed_runs) and status == "failed":
            errors += 1
            element = ElementTree.SubElement(case, "error", message=details.splitlines()[0])
        else:
            failures += 1
            element = ElementTree.SubElement(case, "failure", message=details.splitlines()[0])
        element.text = details
    suite.set("tests", str(len(summaries)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{sum(r.seconds for r in outcomes):.3f}")
    return bytes(ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True))


def report(summaries: Sequence[TurnSummary], outcomes: Sequence[RunOutcome], out: TextIO) -> bool:
    """Print every failing turn and the summary table; whether everything passed."""
    from rich.console import Console

    failing = [s for s in summaries if s.status != "passed"]
    for summary in failing:
        print("\n".join(describe_failure(summary)), file=out)
        print(file=out)
    Console(file=out, width=100).print(summary_table(summaries, outcomes))
    counts = {status: sum(s.status == status for s in summaries) for status in _STATUSES}
    print(
        f"{len(summaries)} turns: "
        + ", ".join(f"{counts[status]} {status}" for status in _STATUSES),
        file=out,
    )
    return not failing


# --- the command ----------------------------------------------------------------------


def add_test_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``test`` command to ``subparsers`` (from ``add_subparsers()``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test",
        help="run scripted YAML dialogues and check the assistant's replies",
        description=(
            "Run scripted dialogues (YAML files, or folders of them) concurrently and "
            "check each reply. Against a real instance the credentials come from the "
            "same settings as AssistantClient.from_env (ASSISTANT_APIKEY, ASSISTANT_URL, "
            "...); --fake runs them against the embedded fake; --cassette DIR replays "
            "recorded cassettes (no credentials needed) and with --record records them."
        ),
    )
    parser.add_argument("dialogues", nargs="+", type=Path, metavar="DIALOGUES")
    add_target_arguments(parser, fake_help="run against the embedded fake")
    parser.add_argument(
        "--cassette", type=Path, metavar="DIR", help="one cassette per dialogue in DIR"
    )
    parser.add_argument(
        "--record", action="store_true", help="with --cassette: record the cassettes again"
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=1, metavar="N", help="run each dialogue N times"
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=8, metavar="N", help="runs at a time"
    )
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="write JUnit XML here")
    return parser


def collect(paths: Sequence[Path]) -> tuple[list[Dialogue], list[str]]:
    """The dialogues of the files (and of the ``*.yaml``/``*.yml`` in folders), and every
    problem found, each naming its file and line."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")])
            files.extend(found)
            if not found:
                problems.append(f"{path}: no *.yaml or *.yml dialogue files in this folder")
        else:
            files.append(path)
    dialogues: list[Dialogue] = []
    for file in files:
        try:
            dialogues.extend(load_dialogues(file))
        except DialogueError as exc:
            problems.append(str(exc))
    first: dict[str, Dialogue] = {}
    for dialogue in dialogues:
        other = first.setdefault(dialogue.name, dialogue)
        if other is not dialogue:
            problems.append(
                f"{dialogue.path}:{dialogue.line}: the dialogue name {dialogue.name!r} is "
                f"taken by {other.path}:{other.line} (names must be unique: they name "
                "the cassettes and the report's rows)"
            )
    return dialogues, problems


async def run_test_command(
    args: argparse.Namespace, *, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> int:
    """What ``watson-async test`` does once its arguments are parsed."""

    def fail(message: str) -> int:
        print(f"watson-async test: error: {message}", file=err)
        return 2

    if args.record and args.cassette is None:
        return fail("--record needs --cassette DIR")
    if args.record and args.repeat > 1:
        return fail("--record records each dialogue once: leave out --repeat")
    try:
        import rich  # noqa: F401 - the report needs it; say so before running anything
        import yaml  # noqa: F401
    except ImportError as exc:
        return fail(f"{exc.name} is missing: pip install 'watson-async[testing]'")
    dialogues, problems = collect(args.dialogues)
    if args.cassette is not None and not args.record:
        problems.extend(
            f"{d.path}:{d.line}: no cassette {args.cassette / (d.name + '.yaml')} for "
            f"dialogue {d.name!r}; record it with --record"
            for d in dialogues
            if not (args.cassette / f"{d.name}.yaml").exists()
        )
    if problems:
        for problem in problems:
            print(problem, file=err)
        return fail(f"{len(problems)} problem(s) in the dialogue files; nothing was sent")
    async with contextlib.AsyncExitStack() as stack:
        try:
            setup = await _setup(args, environ, stack)
        except (ValueError, WatsonError) as exc:  # configuration; never holds a secret
            return fail(str(exc))
        clients, assistant_id, environment_id = setup
        outcomes = await run_dialogues(
            dialogues,
            clients,
            assistant_id,
            environment_id,
            repeat=args.repeat,
            concurrency=args.concurrency,
        )
    summaries = summarize(dialogues, outcomes, args.repeat)
    ok = report(summaries, outcomes, out)
    if args.junit_xml is not None:
        args.junit_xml.parent.mkdir(parents=True, exist_ok=True)
        args.junit_xml.write_bytes(junit_xml(summaries, outcomes))
    return 0 if ok else 1


async def _setup(
    args: argparse.Namespace, environ: Mapping[str, str], stack: contextlib.AsyncExitStack
) -> tuple[ClientFactory, str, str]:
    """The client factory and IDs for the chosen target."""
    from watson_async.auth import BearerTokenAuthenticator, IAMAuthenticator
    from watson_async.testing.cassette import Cassette

    version = args.version_date
    # ASSISTANT_ID and ASSISTANT_ENVIRONMENT_ID share the credentials' prefix (see chat).
    settings = {k: v for k, v in environ.items() if k not in (ASSISTANT_ID_ENV, ENVIRONMENT_ID_ENV)}
    if args.fake:
        from watson_async.testing import FakeAssistant

        fake = await stack.enter_async_context(FakeAssistant())
        ids: tuple[str, str] | str = fake.assistant_id, fake.environment_id
    else:
        ids = _ids(args, environ)
        if isinstance(ids, str) and args.cassette is not None and not args.record:
            ids = REPLAY_ID, REPLAY_ID
    if isinstance(ids, str):
        raise ValueError(ids)

    if args.cassette is not None:
        mode = "all" if args.record else "none"

        @contextlib.asynccontextmanager
        async def with_cassette(dialogue: Dialogue) -> AsyncIterator[AssistantClient]:
            path = args.cassette / f"{dialogue.name}.yaml"
            async with Cassette(path, mode) as cassette:
                if args.fake:
                    auth = BearerTokenAuthenticator(fake.issue_token())
                    client = cassette.client(
                        version, auth, service_url=fake.service_url, proxy_from_env=False
                    )
                elif args.record:
                    client = AssistantClient.from_env(
                        version, environ=settings, transport=cassette.transport()
                    )
                else:
                    client = cassette.client(version)
                async with client:
                    yield client

        return with_cassette, *ids

    if args.fake:
        shared = AssistantClient(
            version,
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
            proxy_from_env=False,  # the fake is in this process, on loopback
        )
    else:
        shared = AssistantClient.from_env(version, environ=settings)
    await stack.enter_async_context(shared)

    @contextlib.asynccontextmanager
    async def the_client(_dialogue: Dialogue) -> AsyncIterator[AssistantClient]:
        yield shared

    return the_client, *ids


def dialogue_test_main(args: argparse.Namespace) -> int:
    """Run ``watson-async test`` with parsed ``args``: 0 all passed, 1 a turn failed,
    2 bad setup or dialogue files."""
    return asyncio.run(run_test_command(args, environ=os.environ, out=sys.stdout, err=sys.stderr))
