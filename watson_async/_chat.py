"""``watson-async chat``: an interactive terminal chat with an assistant.

Three parts, each usable on its own:

* the renderer (:func:`render_item`, :func:`render_generic`, :func:`render_debug`):
  pure functions from ``output.generic[]`` items to text lines plus the choices the
  user can pick by number (``option`` and ``suggestion`` items), and the pause to
  honour (``pause`` items);
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

import attrs

from watson_async.cli.argtypes import version_date
from watson_async.protocol import codec as _json

from ._version import DEFAULT_API_VERSION
from .client import AssistantClient
from .errors import ApiError, ResponseParseError, SessionNotFoundError, WatsonError
from .models._base import Model
from .models.generic import (
    GenericAudio,
    GenericChannelTransfer,
    GenericConnectToAgent,
    GenericConversationalSearch,
    GenericDate,
    GenericDtmf,
    GenericEndSession,
    GenericIframe,
    GenericImage,
    GenericOption,
    GenericPause,
    GenericSearch,
    GenericSuggestion,
    GenericText,
    GenericUserDefined,
    GenericVideo,
    RuntimeResponseGeneric,
    SearchResult,
)
from .models.message import MessageOutput, StatefulMessageResponse

__all__ = [
    "MAX_PAUSE",
    "Choice",
    "Rendered",
    "add_chat_parser",
    "chat_main",
    "describe_error",
    "render_debug",
    "render_generic",
    "render_item",
    "run_chat",
]

#: Longest pause honoured, in seconds, whatever a ``pause`` item asks for.
MAX_PAUSE = 10.0
#: What a ``pause`` item with ``typing: true`` shows while it lasts.
TYPING = "…"
#: Longest excerpt of a search result body, in characters.
EXCERPT = 160

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


# --------------------------------------------------------------------------- rendering


@attrs.frozen
class Choice:
    """A numbered choice the user can pick: ``input`` is the ``MessageInput`` to send."""

    number: int
    label: str
    input: dict[str, Any]


@attrs.frozen
class Rendered:
    """What to show for some generic items: ``lines`` (without a trailing newline),
    the ``choices`` they offer and the ``pause`` (seconds, capped) to wait after them."""

    lines: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    pause: float = 0.0


def compact_json(value: Any) -> str:
    """``value`` as one line of JSON (unicode kept, keys in their order)."""
    return _json.dumps(value).decode("utf-8")


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def _text_lines(text: str | None) -> list[str]:
    return text.splitlines() if text else []


def _media(
    kind: str, title: str | None, source: str | None, description: str | None, alt: str | None
) -> list[str]:
    name = title or alt
    if source and name:
        head = f"[{kind}] {name}: {source}"
    elif source:
        head = f"[{kind}] {source}"
    else:
        head = f"[{kind}] {name or 'untitled'} (no link)"
    lines = [head]
    if description:
        lines.extend(f"  {line}" for line in description.splitlines())
    return lines


def _choices(
    title: str | None,
    description: str | None,
    entries: Iterable[tuple[str | None, dict[str, Any] | None]],
    first: int,
) -> Rendered:
    lines = _text_lines(title) + _text_lines(description)
    choices: list[Choice] = []
    for label, value_input in entries:
        if not label and not value_input:
            continue
        shown = label or compact_json(value_input)
        number = first + len(choices)
        # Without an input to send, picking the choice sends its label, as web chat does.
        sent = dict(value_input) if value_input else {"text": shown}
        choices.append(Choice(number, shown, sent))
        lines.append(f"  {number}) {shown}")
    return Rendered(tuple(lines), tuple(choices))


def _search_result(result: SearchResult) -> list[str]:
    title = result.title or result.id or "result"
    lines = [f"  - {title}: {result.url}" if result.url else f"  - {title}"]
    for answer in result.answers or ():
        if answer.text:
            lines.append(f"    answer: {_excerpt(answer.text)}")
    if result.body:
        lines.append(f"    {_excerpt(result.body)}")
    return lines


def _search(item: GenericSearch) -> list[str]:
    lines = _text_lines(item.header)
    primary = list(item.primary_results or ())
    # Older service versions (and IBM's docs) call the primary results "results".
    legacy = (item.extra or {}).get("results")
    if not primary and isinstance(legacy, list):
        primary = [SearchResult.from_dict(r) for r in legacy if isinstance(r, dict)]
    for result in primary:
        lines.extend(_search_result(result))
    if item.additional_results:
        lines.append("  more results:")
        for result in item.additional_results:
            lines.extend(_search_result(result))
    if len(lines) == len(_text_lines(item.header)):
        lines.append("[search] no results")
    return lines


def _conversational_search(item: GenericConversationalSearch) -> list[str]:
    lines = _text_lines(item.text)
    sources = [
        citation.title or _excerpt(citation.text or citation.body or "", 80)
        for citation in item.citations or ()
    ]
    if not sources:
        sources = [result.title or result.id or "" for result in item.search_results or ()]
    sources = [s for s in sources if s]
    if sources:
        lines.append(f"  {item.citations_title or 'Sources'}:")
        lines.extend(f"    [{i}] {source}" for i, source in enumerate(sources, 1))
    if item.disclaimer:
        lines.append(f"  ({item.disclaimer})")
    return lines


def _connect_to_agent(item: GenericConnectToAgent) -> list[str]:
    lines = ["[transfer to a human agent]"]
    if item.agent_available and item.agent_available.message:
        lines.append(f"  if an agent is available: {item.agent_available.message}")
    if item.agent_unavailable and item.agent_unavailable.message:
        lines.append(f"  if no agent is available: {item.agent_unavailable.message}")
    if item.message_to_human_agent:
        lines.append(f"  note for the agent: {item.message_to_human_agent}")
    if item.topic:
        lines.append(f"  topic: {item.topic}")
    if item.transfer_info and item.transfer_info.target:
        lines.append(f"  transfer info: {compact_json(item.transfer_info.target)}")
    return lines


def _channel_transfer(item: GenericChannelTransfer) -> list[str]:
    lines = _text_lines(item.message_to_user)
    info = item.transfer_info
    url = info.target.chat.url if info and info.target and info.target.chat else None
    if url:
        lines.append(f"[continue in another channel] {url}")
    elif info is not None:
        lines.append(f"[continue in another channel] {compact_json(info.to_dict())}")
    else:
        lines.append("[continue in another channel]")
    return lines


def _pause_seconds(item: GenericPause, max_pause: float) -> float:
    milliseconds = item.time if isinstance(item.time, (int, float)) else 0
    return max(0.0, min(milliseconds / 1000, max_pause))


def render_item(
    item: RuntimeResponseGeneric, *, first_choice: int = 1, max_pause: float = MAX_PAUSE
) -> Rendered:
    """One ``output.generic[]`` item as text lines.

    Choices (``option``, ``suggestion``) are numbered from ``first_choice``; a
    ``pause`` gives ``pause`` seconds (at most ``max_pause``) and, with ``typing``, a
    :data:`TYPING` line. Response types this version does not model are shown as one
    line of JSON.
    """
    if isinstance(item, GenericText):
        return Rendered(tuple(_text_lines(item.text)))
    if isinstance(item, GenericOption):
        options = [(o.label, o.value.input if o.value else None) for o in item.options or ()]
        return _choices(item.title, item.description, options, first_choice)
    if isinstance(item, GenericSuggestion):
        suggestions = [
            (s.label, s.value.input if s.value else None) for s in item.suggestions or ()
        ]
        return _choices(item.title or "Did you mean:", None, suggestions, first_choice)
    if isinstance(item, GenericPause):
        return Rendered((TYPING,) if item.typing else (), (), _pause_seconds(item, max_pause))
    lines: list[str]
    if isinstance(item, (GenericImage, GenericVideo, GenericAudio)):
        kind = item.response_type
        lines = _media(kind, item.title, item.source, item.description, item.alt_text)
    elif isinstance(item, GenericIframe):
        lines = _media("iframe", item.title, item.source, item.description, None)
    elif isinstance(item, GenericConnectToAgent):
        lines = _connect_to_agent(item)
    elif isinstance(item, GenericChannelTransfer):
        lines = _channel_transfer(item)
    elif isinstance(item, GenericSearch):
        lines = _search(item)
    elif isinstance(item, GenericConversationalSearch):
        lines = _conversational_search(item)
    elif isinstance(item, GenericUserDefined):
        lines = [f"[user_defined] {compact_json(item.user_defined or {})}"]
    elif isinstance(item, GenericDate):
        lines = ["[date] answer with a date, for example 2025-12-31"]
    elif isinstance(item, GenericDtmf):
        info = item.command_info
        kind = info.type if info and info.type else "command"
        params = f" {compact_json(info.parameters)}" if info and info.parameters else ""
        lines = [f"[dtmf {kind}]{params}"]
    elif isinstance(item, GenericEndSession):
        lines = ["[end of session] the assistant ended the conversation"]
    else:  # GenericUnknown, and anything a future version adds before this renderer
        lines = [compact_json(item.to_dict())]
    return Rendered(tuple(lines))


def render_generic(
    items: Iterable[RuntimeResponseGeneric], *, first_choice: int = 1, max_pause: float = MAX_PAUSE
) -> Rendered:
    """All ``items`` as one :class:`Rendered`: their lines in order, their choices
    numbered across items from ``first_choice``, the sum of their pauses."""
    lines: list[str] = []
    choices: list[Choice] = []
    pause = 0.0
    for item in items:
        part = render_item(item, first_choice=first_choice + len(choices), max_pause=max_pause)
        lines.extend(part.lines)
        choices.extend(part.choices)
        pause += part.pause
    return Rendered(tuple(lines), tuple(choices), pause)


def _confidence(value: float | None) -> str:
    return "" if value is None else f" ({value:.2f})"


def _event_line(event: Model) -> str:
    data = event.to_dict()
    name = str(data.get("event", "event"))
    source = data.get("source")
    where: list[str] = []
    if isinstance(source, dict):
        action = source.get("action_title") or source.get("action")
        if action:
            where.append(f"action {action!s}")
        if source.get("step"):
            where.append(f"step {source['step']!s}")
        node = source.get("title") or source.get("dialog_node")
        if node:
            where.append(f"node {node!s}")
    if data.get("reason"):
        where.append(f"reason {data['reason']!s}")
    return f"{name}: {', '.join(where)}" if where else name


def render_debug(output: MessageOutput) -> list[str]:
    """The intents (with confidence), entities and debug information of a reply
    (``output.debug``: turn events, else the dialog nodes visited)."""
    intents = ", ".join(
        f"{i.intent}{_confidence(i.confidence)}" for i in output.intents or () if i.intent
    )
    lines = [f"intents: {intents or '(none)'}"]
    entities = ", ".join(
        f"@{e.entity}:{e.value}{_confidence(e.confidence)}"
        for e in output.entities or ()
        if e.entity
    )
    if entities:
        lines.append(f"entities: {entities}")
    debug = output.debug
    if debug is not None:
        if debug.turn_events:
            lines.extend(_event_line(event) for event in debug.turn_events)
        else:
            for node in debug.nodes_visited or ():
                name = node.title or node.dialog_node or "?"
                lines.append(f"node visited: {name} {node.conditions or ''}".rstrip())
        if debug.branch_exited_reason:
            lines.append(f"branch exited: {debug.branch_exited_reason}")
    for action in output.actions or ():
        lines.append(f"client action: {action.name} ({action.type})")
    return lines


def describe_error(exc: BaseException) -> str:
    """One line about a failed call: class, status, message, transaction id (never a
    request header, so never a credential)."""
    name = type(exc).__name__
    if isinstance(exc, (ApiError, ResponseParseError)):
        text = f"{name} {exc.status_code}: {exc.message}"
        if exc.global_transaction_id:
            text += f" (transaction id {exc.global_transaction_id})"
        return text
    message = getattr(exc, "message", None)
    return f"{name}: {message if isinstance(message, str) else exc}"


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
    parser.add_argument(
        "--fake", action="store_true", help="start the embedded fake service and chat with it"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="also show intents, entities and the actions and steps visited",
    )
    return parser


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
        from .auth import IAMAuthenticator
        from .testing import FakeAssistant
        from .testing._script import SHOWCASE_KEYWORDS

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
