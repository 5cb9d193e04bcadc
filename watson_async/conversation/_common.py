"""What both kinds of conversation share: the event hook, :class:`Turn`,
:class:`Renewal`, the base class, and the request-body helpers."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from watson_async.protocol import codec as _json
from watson_async.protocol.validation import MAX_STATELESS_CONTEXT_BYTES

from ..models._base import Model
from ..models.message import MessageInput, StatefulMessageResponse
from ..models.session import RequestAnalytics, SessionResponse

if TYPE_CHECKING:
    from ._assistant import Assistant
    from ._stateful import Conversation


class EventHook(Protocol):
    """Receives a :class:`Conversation`'s events (the analytics extension implements it).

    Each method is awaited after the call it reports succeeded; an exception it raises
    is logged (logger ``watson_async.conversation``) and does not affect the turn.
    """

    async def session_started(
        self, conversation: Conversation, session_response: SessionResponse
    ) -> None:
        """A session was created: on entering the conversation and on each renewal."""

    async def message_handled(
        self,
        conversation: Conversation,
        request_input: MessageInput,
        reply: StatefulMessageResponse,
    ) -> None:
        """A turn got its reply; ``request_input`` is the input as sent (analytics and
        options included)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One completed turn of a :class:`Conversation` (see ``history`` and ``last_turn``)."""

    #: The input as sent, with the analytics and options the conversation added.
    input: MessageInput
    reply: StatefulMessageResponse
    #: The session the reply came from.
    session_id: str
    #: The session had expired and this turn was resent on a new one.
    renewed: bool


@dataclass(frozen=True, slots=True)
class Renewal:
    """What ``on_renewal`` is told when an expired session was replaced."""

    expired_session_id: str
    session_id: str
    #: Renewals so far in this conversation, this one included.
    renewals: int
    #: The saved dialog state goes with the resent turn (``restore=True`` and some
    #: state had been exported).
    restored: bool


class _ConversationBase:
    """What both kinds of conversation share."""

    _assistant: Assistant
    _user_id: str | None
    _analytics: RequestAnalytics | None

    @property
    def assistant(self) -> Assistant:
        """The assistant (and environment) this conversation talks to."""
        return self._assistant

    @property
    def user_id(self) -> str | None:
        """Sent as ``user_id`` with every turn."""
        return self._user_id

    @property
    def analytics(self) -> RequestAnalytics | None:
        """Sent as ``input.analytics`` with every turn (and on session creation)."""
        return self._analytics


def _object_json(name: str, value: Model | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A model or mapping as a fresh JSON object (the caller's value is never changed)."""
    if value is None:
        return None
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, Mapping):
        return copy.deepcopy(dict(value))
    raise ValueError(f"{name} must be a model or a dict, got {type(value).__name__}")


def _analytics(value: RequestAnalytics | Mapping[str, Any] | None) -> RequestAnalytics | None:
    if value is None or isinstance(value, RequestAnalytics):
        return value
    if isinstance(value, Mapping):
        try:
            return RequestAnalytics.from_dict(value)
        except Exception as exc:
            raise ValueError(f"analytics is not a valid RequestAnalytics: {exc}") from None
    raise ValueError(f"analytics must be a RequestAnalytics or a dict, got {type(value).__name__}")


def _input_json(
    input: str | Model | Mapping[str, Any] | None,
    options: Model | Mapping[str, Any] | None,
    analytics: RequestAnalytics | None,
    *,
    export: bool,
) -> dict[str, Any]:
    """The ``input`` object of a turn: text or input, plus options and analytics."""
    body: dict[str, Any] = (
        {"text": input} if isinstance(input, str) else _object_json("input", input) or {}
    )
    given = body.get("options")
    if given is not None and not isinstance(given, dict):
        raise ValueError("input.options must be an object")
    merged: dict[str, Any] = dict(given or {})
    merged.update(_object_json("options", options) or {})
    if export:
        merged["export"] = True
    if merged:
        body["options"] = merged
    if analytics is not None and "analytics" not in body:
        body["analytics"] = analytics.to_dict()
    return body


def _as_message_input(body: dict[str, Any]) -> MessageInput:
    try:
        return MessageInput.from_dict(body)
    except Exception:  # the service took it; keep it as sent
        return MessageInput(extra=body)


def _with_states(context: dict[str, Any] | None, states: Mapping[str, str]) -> dict[str, Any]:
    """``context`` with ``skills[name].system.state`` set from ``states`` where unset."""
    merged = copy.deepcopy(context) if context else {}
    skills = merged.setdefault("skills", {})
    if not isinstance(skills, dict):
        return merged
    for name, state in states.items():
        skill = skills.setdefault(name, {})
        if isinstance(skill, dict):
            system = skill.setdefault("system", {})
            if isinstance(system, dict):
                system.setdefault("state", state)
    return merged


def _check_context_size(context: dict[str, Any] | None, what: str) -> None:
    if context is None:
        return
    try:
        size = len(_json.dumps(context))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON-serializable: {exc}") from None
    if size > MAX_STATELESS_CONTEXT_BYTES:
        raise ValueError(
            f"{what} is {size} bytes serialized; message_stateless accepts at most "
            f"{MAX_STATELESS_CONTEXT_BYTES} bytes (250 KB). Keep large data out of context "
            "variables (store it yourself and put a reference in the context)."
        )
