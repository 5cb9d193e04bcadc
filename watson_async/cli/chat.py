"""``watson-async chat``: an interactive terminal chat with an assistant.

Three parts, each usable on its own:

* the renderer (:func:`render_item`, :func:`render_generic`, :func:`render_debug`,
  in :mod:`._chat_render`): pure functions from ``output.generic[]`` items to text
  lines plus the choices the user can pick by number, and the pause to honour;
* the loop (:func:`run_chat`): one stateful session, turns read from any (async)
  iterable of lines, output through a ``write`` callable, pauses through an injectable
  ``sleep``, so it runs without a terminal;
* the command (:func:`add_chat_parser`, :func:`chat_main`): the ``chat`` subcommand,
  against a real instance (credentials as ``AssistantClient.from_env`` reads them) or
  the embedded fake (``--fake``), reading ``sys.stdin`` without blocking the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import sys
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TextIO

from watson_async._version import DEFAULT_API_VERSION
from watson_async.cli.argtypes import version_date
from watson_async.cli.render import MAX_PAUSE, Choice, describe_error, render_debug, render_item
from watson_async.client import AssistantClient
from watson_async.errors import SessionNotFoundError, WatsonError
from watson_async.models.message import StatefulMessageResponse

__all__ = [
    "add_chat_parser",
    "add_target_arguments",
    "chat_main",
    "run_chat",
]

#: Environment variables holding the IDs (kept out of the credentials lookup).
ASSISTANT_ID_ENV = "ASSISTANT_ID"
ENVIRONMENT_ID_ENV = "ASSISTANT_ENVIRONMENT_ID"

HELP_LINES = (
    "Type a message and press Enter. A number picks one of the numbered choices of",
    "the last reply (the choice's own input is sent, as IBM's web chat does).",
    "  /restart  delete this session and start a new one",
    "  /quit     end the chat (also /exit, Ctrl-D or the end of the input)",
    "  /help     this help",
)

Write = Callable[[str], None]
Sleep = Callable[[float], Awaitable[Any]]


# --------------------------------------------------------------------------- the loop


async def _as_async(lines: Iterable[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


class _Chat:
    """One chat: the session, the choices of the last reply, the output."""

    def __init__(
        self,
        client: AssistantClient,
        assistant_id: str,
        environment_id: str | None,
        *,
        write: Write,
        sleep: Sleep,
        debug: bool,
        max_pause: float,
    ) -> None:
        self.client = client
        self.assistant_id = assistant_id
        self.environment_id = environment_id
        self.write = write
        self.sleep = sleep
        self.debug = debug
        self.max_pause = max_pause
        self.session_id: str | None = None
        self.choices: dict[int, Choice] = {}

    def info(self, text: str) -> None:
        self.write(f"-- {text}")

    def error(self, exc: BaseException) -> None:
        self.write(f"!! {describe_error(exc)}")

    async def open_session(self) -> bool:
        try:
            session = await self.client.create_session(self.assistant_id, self.environment_id)
        except WatsonError as exc:
            self.error(exc)
            return False
        self.session_id = session.session_id
        return True

    async def close_session(self) -> None:
        session_id, self.session_id = self.session_id, None
        self.choices = {}
        if session_id is None:
            return
        try:
            await self.client.delete_session(self.assistant_id, self.environment_id, session_id)
        except SessionNotFoundError:
            pass  # expired already: nothing to free
        except WatsonError as exc:
            self.error(exc)

    async def send(self, message_input: Mapping[str, Any]) -> None:
        """Send one turn and show the reply; errors are shown, not raised."""
        body = dict(message_input)
        if self.debug:
            body["options"] = {**(body.get("options") or {}), "debug": True}
        for attempt in (1, 2):
            if self.session_id is None and not await self.open_session():
                return
            assert self.session_id is not None
            try:
                reply = await self.client.message(
                    self.assistant_id, self.environment_id, self.session_id, input=body
                )
            except SessionNotFoundError as exc:
                self.session_id = None
                if attempt == 2:
                    self.error(exc)
                    return
                # The turn never reached a dialog, so sending it again is safe.
                self.info("the session expired: starting a new one")
                continue
            except WatsonError as exc:
                self.error(exc)
                return
            except ValueError as exc:  # rejected before sending (too long, a tab, ...)
                self.write(f"!! not sent: {exc}")
                return
            await self.show(reply)
            return

    async def show(self, reply: StatefulMessageResponse) -> None:
        if self.debug:
            for line in render_debug(reply.output):
                self.write(f"debug> {line}")
        self.choices = {}
        items = reply.output.generic or ()
        if not items:
            self.info("(no response)")
        for item in items:
            part = render_item(item, first_choice=len(self.choices) + 1, max_pause=self.max_pause)
            for line in part.lines:
                self.write(f"bot> {line}")
            self.choices.update((choice.number, choice) for choice in part.choices)
            if part.pause > 0:
                await self.sleep(part.pause)

    async def restart(self) -> None:
        await self.close_session()
        if await self.open_session():
            self.info("new session started")
            await self.send({})

    async def handle(self, text: str) -> bool:
        """One input line; ``False`` when the chat should end."""
        if text.startswith("/"):
            command = text.lower()
            if command in ("/quit", "/exit"):
                return False
            if command == "/help":
                for line in HELP_LINES:
                    self.write(line)
            elif command == "/restart":
                await self.restart()
            else:
                self.info(f"unknown command {text}: /help lists the commands")
            return True
        if text.isdecimal() and int(text) in self.choices:
            choice = self.choices[int(text)]
            self.info(f"picked: {choice.label}")
            await self.send(choice.input)
            return True
        await self.send({"text": text})
        return True


async def run_chat(
    client: AssistantClient,
    assistant_id: str,
    environment_id: str | None,
    *,
    input_lines: AsyncIterable[str] | Iterable[str],
    write: Write,
    sleep: Sleep = asyncio.sleep,
    debug: bool = False,
    echo: bool = False,
    max_pause: float = MAX_PAUSE,
) -> int:
    """Chat with an assistant until ``/quit`` or the end of ``input_lines``.

    Creates a session and sends an empty first turn (the assistant's greeting), then
    one turn per non-blank line; the session is deleted at the end, also when the task
    is cancelled (Ctrl-C). ``write`` gets each output line without its newline:
    ``bot> `` for the assistant, ``-- `` for the chat's own notes, ``!! `` for errors
    (a failed turn is shown and the chat goes on), ``debug> `` for the intents,
    entities and turn events when ``debug`` is on (sent as ``input.options.debug``).
    Pauses are awaited through ``sleep`` (at most ``max_pause`` seconds each). With
    ``echo`` every input line is written back as ``you> ...`` (for input that is not
    typed at a terminal). Returns 0, or 1 if the first session cannot be created.
    """
    chat = _Chat(
        client,
        assistant_id,
        environment_id,
        write=write,
        sleep=sleep,
        debug=debug,
        max_pause=max_pause,
    )
    source = input_lines if isinstance(input_lines, AsyncIterable) else _as_async(input_lines)
    lines = aiter(source)
    try:
        if not await chat.open_session():
            return 1
        chat.info("connected; /help lists the commands")
        await chat.send({})
        async for raw in lines:
            text = raw.strip()
            if not text:
                continue
            if echo:
                write(f"you> {text}")
            if not await chat.handle(text):
                break
    finally:
        try:
            await chat.close_session()
        finally:
            aclose = getattr(lines, "aclose", None)
            if aclose is not None:
                await aclose()
    chat.info("bye")
    return 0


# --------------------------------------------------------------------------- the command


class _LineReader:
    """Reads lines from a blocking text stream in a daemon thread, one per request, so
    the event loop never blocks and an unfinished read never delays the exit."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._requests: queue.SimpleQueue[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[str]] | None
        ] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run, name="watson-async-chat-stdin", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while True:
            request = self._requests.get()
            if request is None:
                return
            loop, future = request
            try:
                line = self._stream.readline()
            except (OSError, ValueError):  # closed or unreadable: treat as the end
                line = ""
            try:
                loop.call_soon_threadsafe(_resolve, future, line)
            except RuntimeError:  # the loop is closed: nobody waits any more
                return

    async def readline(self) -> str:
        """The next line with its newline, ``""`` at the end of the input."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._requests.put((loop, future))
        return await future

    def close(self) -> None:
        self._requests.put(None)


def _resolve(future: asyncio.Future[str], line: str) -> None:
    if not future.done():
        future.set_result(line)


async def stream_lines(
    stream: TextIO, *, prompt: str = "", prompt_to: TextIO | None = None
) -> AsyncIterator[str]:
    """The lines of ``stream`` (without line endings) until its end, read without
    blocking the event loop; ``prompt`` is written to ``prompt_to`` before each read."""
    reader = _LineReader(stream)
    try:
        while True:
            if prompt and prompt_to is not None:
                prompt_to.write(prompt)
                prompt_to.flush()
            line = await reader.readline()
            if not line:
                return
            yield line.rstrip("\r\n")
    finally:
        reader.close()


def _print_line(line: str) -> None:
    stdout = sys.stdout
    try:
        print(line, file=stdout, flush=True)
    except UnicodeEncodeError:  # a terminal that cannot show "…" or the bot's text
        encoding = stdout.encoding or "ascii"
        print(line.encode(encoding, "replace").decode(encoding), file=stdout, flush=True)


def add_chat_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``chat`` command to ``subparsers`` (from ``add_subparsers()``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "chat",
        help="chat with an assistant in the terminal (or with the embedded fake)",
        description=(
            "An interactive chat in one stateful session. Credentials come from the "
            "same settings as AssistantClient.from_env (ASSISTANT_APIKEY, ASSISTANT_URL, "
            "... or ibm-credentials.env); --fake chats with the embedded fake service."
        ),
        epilog="Commands during the chat: /restart, /quit, /help. A number picks a choice.",
    )
    add_target_arguments(parser, fake_help="start the embedded fake service and chat with it")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="also show intents, entities and the actions and steps visited",
    )
    return parser


def add_target_arguments(parser: argparse.ArgumentParser, *, fake_help: str) -> None:
    """What to talk to: ``--assistant-id``, ``--environment-id``, ``--version-date`` and
    ``--fake`` (shared by ``chat`` and ``test``)."""
    parser.add_argument("--assistant-id", help=f"the assistant's ID (default: ${ASSISTANT_ID_ENV})")
    parser.add_argument(
        "--environment-id",
        help=f"the environment's ID (default: ${ENVIRONMENT_ID_ENV})",
    )
    parser.add_argument(
        "--version-date",
        type=version_date,
        default=DEFAULT_API_VERSION,
        help=f"API version date (default {DEFAULT_API_VERSION})",
    )
    parser.add_argument("--fake", action="store_true", help=fake_help)


def _ids(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[str, str] | str:
    """The assistant and environment IDs, or the error message naming what is missing."""
    assistant_id = args.assistant_id or environ.get(ASSISTANT_ID_ENV, "").strip()
    environment_id = args.environment_id or environ.get(ENVIRONMENT_ID_ENV, "").strip()
    missing = [
        f"{flag} or ${env}"
        for value, flag, env in (
            (assistant_id, "--assistant-id", ASSISTANT_ID_ENV),
            (environment_id, "--environment-id", ENVIRONMENT_ID_ENV),
        )
        if not value
    ]
    if missing:
        return "missing " + " and ".join(missing)
    return assistant_id, environment_id


async def run_chat_command(
    args: argparse.Namespace,
    *,
    stdin: TextIO,
    environ: Mapping[str, str],
    write: Write = _print_line,
    error: Write = lambda line: print(line, file=sys.stderr),
) -> int:
    """What ``watson-async chat`` does once its arguments are parsed."""
    interactive = stdin.isatty()
    lines = stream_lines(stdin, prompt="you> " if interactive else "", prompt_to=sys.stdout)
    options: dict[str, Any] = {
        "input_lines": lines,
        "write": write,
        "debug": args.debug,
        "echo": not interactive,
    }
    if args.fake:
        from watson_async.auth import IAMAuthenticator
        from watson_async.testing import FakeAssistant
        from watson_async.testing._script import SHOWCASE_KEYWORDS

        async with (
            FakeAssistant() as fake,
            AssistantClient(
                args.version_date,
                IAMAuthenticator(fake.apikey, url=fake.iam_url),
                service_url=fake.service_url,
                proxy_from_env=False,  # the fake is in this process, on loopback
            ) as client,
        ):
            keywords = ("menu", "book a trip", "pause", "agent", *SHOWCASE_KEYWORDS)
            write(f"-- fake Watson Assistant at {fake.service_url}")
            write(f"-- try: {', '.join(keywords)}")
            return await run_chat(client, fake.assistant_id, fake.environment_id, **options)

    ids = _ids(args, environ)
    if isinstance(ids, str):
        error(f"watson-async chat: error: {ids}")
        return 2
    # ASSISTANT_ID and ASSISTANT_ENVIRONMENT_ID share the credentials' prefix: left in,
    # they would make the environment look configured when the credentials are elsewhere.
    settings = {k: v for k, v in environ.items() if k not in (ASSISTANT_ID_ENV, ENVIRONMENT_ID_ENV)}
    try:
        client = AssistantClient.from_env(args.version_date, environ=settings)
    except ValueError as exc:  # no or bad configuration; messages never hold secrets
        error(f"watson-async chat: error: {exc}")
        return 2
    async with client:
        write(f"-- assistant {ids[0]}, environment {ids[1]} at {client.service_url}")
        return await run_chat(client, ids[0], ids[1], **options)


def chat_main(args: argparse.Namespace) -> int:
    """Run ``watson-async chat`` with parsed ``args``; the exit code (2: bad setup)."""
    return asyncio.run(run_chat_command(args, stdin=sys.stdin, environ=os.environ))
