"""The renderer of ``watson-async chat``: pure functions from ``output.generic[]`` items
to text lines plus the choices the user can pick by number (``option`` and
``suggestion`` items), and the pause to honour (``pause`` items). The interactive
session and the command are in :mod:`._chat`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from watson_async.errors import ApiError, ResponseParseError
from watson_async.models._base import Model
from watson_async.models._choice import Pickable
from watson_async.models.generic import (
    GenericAudio,
    GenericButton,
    GenericCard,
    GenericCarousel,
    GenericChannelTransfer,
    GenericConnectToAgent,
    GenericConversationalSearch,
    GenericDate,
    GenericDtmf,
    GenericEndSession,
    GenericGrid,
    GenericIframe,
    GenericImage,
    GenericOption,
    GenericPause,
    GenericSearch,
    GenericSpeechToText,
    GenericStartActivities,
    GenericStopActivities,
    GenericSuggestion,
    GenericTable,
    GenericText,
    GenericTextToSpeech,
    GenericUserDefined,
    GenericVideo,
    RuntimeResponseGeneric,
    SearchResult,
)
from watson_async.models.message import MessageOutput
from watson_async.protocol import codec as _json

__all__ = [
    "MAX_PAUSE",
    "Choice",
    "Rendered",
    "describe_error",
    "render_debug",
    "render_generic",
    "render_item",
]

#: Longest pause honoured, in seconds, whatever a ``pause`` item asks for.
MAX_PAUSE = 10.0
#: What a ``pause`` item with ``typing: true`` shows while it lasts.
TYPING = "…"
#: Longest excerpt of a search result body, in characters.
EXCERPT = 160


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
    title: str | None, description: str | None, entries: Iterable[Pickable], first: int
) -> Rendered:
    lines = _text_lines(title) + _text_lines(description)
    choices: list[Choice] = []
    for entry in entries:
        sent = entry.picked_input()
        if not sent:
            continue
        shown = entry.label or compact_json(sent)
        number = first + len(choices)
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


def _command(kind: str, command: str | None, parameters: dict[str, Any] | None) -> list[str]:
    params = f" {compact_json(parameters)}" if parameters else ""
    return [f"[{kind} {command or 'command'}]{params}"]


def _indented(part: Rendered, prefix: str = "  ") -> Rendered:
    return Rendered(tuple(prefix + line for line in part.lines), part.choices)


def _join(parts: Iterable[Rendered]) -> Rendered:
    """Lines and choices of ``parts`` in order (nested items: their pauses are ignored)."""
    lines: list[str] = []
    choices: list[Choice] = []
    for part in parts:
        lines.extend(part.lines)
        choices.extend(part.choices)
    return Rendered(tuple(lines), tuple(choices))


def _nested(
    head: list[str], items: Iterable[RuntimeResponseGeneric], first: int, max_pause: float
) -> Rendered:
    """``head`` then ``items`` rendered below it, indented, choices numbered from ``first``."""
    inner = render_generic(items, first_choice=first, max_pause=max_pause)
    return _join([Rendered(tuple(head)), _indented(inner)])


def _button(item: GenericButton, first: int, max_pause: float) -> Rendered:
    kind = item.button_type
    if kind == "post_back":
        return _choices(None, None, [item], first)
    if kind == "url":
        return Rendered(
            (f"[link] {item.label}: {item.url}" if item.url else f"[link] {item.label}",)
        )
    if kind == "custom_event":
        data = f" {compact_json(item.user_defined)}" if item.user_defined else ""
        return Rendered((f"[button] {item.label} (event {item.custom_event_name}){data}",))
    if kind == "show_panel" and item.panel is not None:
        panel = item.panel
        head = [f"[button] {item.label} (opens a panel)"]
        head += (f"  {line}" for line in _text_lines(panel.title))
        return _nested(head, [*panel.body, *(panel.footer or ())], first, max_pause)
    return Rendered((f"[button] {item.label}",))


def _grid(item: GenericGrid, first: int, max_pause: float) -> Rendered:
    lines = ["[grid]"]
    choices: list[Choice] = []
    for row in item.rows:
        cells = []
        for cell in row.cells:
            part = render_generic(
                cell.items, first_choice=first + len(choices), max_pause=max_pause
            )
            cells.append(" / ".join(line.strip() for line in part.lines))
            choices.extend(part.choices)
        lines.append("  " + " | ".join(cells))
    return Rendered(tuple(lines), tuple(choices))


def _table(item: GenericTable) -> list[str]:
    lines = [f"[table] {item.title}" if item.title else "[table]"]
    lines.extend(f"  {line}" for line in _text_lines(item.description))
    for cells in [item.headers, *(row.cells for row in item.rows)]:
        lines.append("  " + " | ".join(" ".join(str(cell).split()) for cell in cells))
    return lines


def _container(item: RuntimeResponseGeneric, first: int, max_pause: float) -> Rendered | None:
    """A button, card, carousel or grid (they hold other items or choices), else None."""
    if isinstance(item, GenericButton):
        return _button(item, first, max_pause)
    if isinstance(item, GenericCard):
        return _nested(["[card]"], [*item.body, *(item.footer or ())], first, max_pause)
    if isinstance(item, GenericCarousel):
        head = [f"[carousel] {len(item.items)} card{'s' if len(item.items) != 1 else ''}"]
        return _nested(head, item.items, first, max_pause)
    if isinstance(item, GenericGrid):
        return _grid(item, first, max_pause)
    return None


def _pause_seconds(item: GenericPause, max_pause: float) -> float:
    milliseconds = item.time if isinstance(item.time, (int, float)) else 0
    return max(0.0, min(milliseconds / 1000, max_pause))


def render_item(
    item: RuntimeResponseGeneric, *, first_choice: int = 1, max_pause: float = MAX_PAUSE
) -> Rendered:
    """One ``output.generic[]`` item as text lines.

    Choices (``option``, ``suggestion``) are numbered from ``first_choice``; a
    ``pause`` gives ``pause`` seconds (at most ``max_pause``) and, with ``typing``, a
    :data:`TYPING` line. A ``post_back`` button is a choice too; the items inside a
    card, carousel, grid or button panel are shown indented below it, a table as one
    line per row. Response types this version does not model are shown as one line of
    JSON.
    """
    if isinstance(item, GenericText):
        return Rendered(tuple(_text_lines(item.text)))
    if isinstance(item, GenericOption):
        return _choices(item.title, item.description, item.options or (), first_choice)
    if isinstance(item, GenericSuggestion):
        return _choices(item.title or "Did you mean:", None, item.suggestions or (), first_choice)
    if isinstance(item, GenericPause):
        return Rendered((TYPING,) if item.typing else (), (), _pause_seconds(item, max_pause))
    container = _container(item, first_choice, max_pause)
    if container is not None:
        return container
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
        dtmf = item.command_info
        lines = _command("dtmf", dtmf.type if dtmf else None, dtmf.parameters if dtmf else None)
    elif isinstance(item, (GenericSpeechToText, GenericTextToSpeech)):
        command = item.command_info
        lines = _command(item.response_type, command.type, command.parameters)
    elif isinstance(item, (GenericStartActivities, GenericStopActivities)):
        activities = ", ".join(a.type for a in item.activities) or "(none)"
        lines = [f"[{item.response_type}] {activities}"]
    elif isinstance(item, GenericTable):
        lines = _table(item)
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
