"""Conversations: an assistant handle bound to its IDs, and turn-by-turn helpers on top.

``client.assistant(assistant_id, environment_id)`` gives an :class:`Assistant`, the
runtime methods without the repeated IDs. On top of it:

* :class:`Conversation` (``async with assistant.conversation() as conv``) owns one
  stateful session: created on enter, deleted on exit, renewed transparently when it
  expires (optionally carrying the dialog state over), with ``user_id`` and analytics
  sent on every turn;
* :class:`StatelessConversation` threads the ``context`` of ``message_stateless`` from
  turn to turn and serializes to JSON between HTTP requests.

See ``docs/conversations.md``.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from watson_async.protocol import codec as _json
from watson_async.protocol.endpoints import (
    MAX_STATELESS_CONTEXT_BYTES,
    check_id,
    check_user_id,
    stream_environment,
)

from .errors import SessionNotFoundError
from .models._base import Model
from .models.context import MessageContext, StatelessMessageContext
from .models.message import (
    MessageInput,
    MessageInputOptions,
    StatefulMessageResponse,
    StatelessMessageInput,
    StatelessMessageInputOptions,
    StatelessMessageResponse,
)
from .models.session import RequestAnalytics, SessionResponse
from .models.stream import MessageStreamResponse, StatelessMessageStreamResponse
from .streams import MessageStream

if TYPE_CHECKING:
    from .client import AssistantClient

__all__ = [
    "Assistant",
    "Conversation",
    "EventHook",
    "Renewal",
    "StatelessConversation",
    "Turn",
]

_log = logging.getLogger("watson_async.conversation")

#: ``dumps()`` format marker and version of :class:`StatelessConversation`.
_DUMP_KIND = "watson_async.StatelessConversation"
_DUMP_VERSION = 1


# --------------------------------------------------------------------------- the handle


class Assistant:
    """One assistant (and environment) of a client: the runtime methods without the IDs.

    Get it from :meth:`AssistantClient.assistant`; it holds no connection of its own and
    costs nothing to create. ``environment_id=None`` selects the classic, un-scoped paths
    (which have no streams: the ``message_stream*`` methods then raise ``ValueError``).
    """

    __slots__ = ("_assistant_id", "_client", "_environment_id")

    def __init__(
        self, client: AssistantClient, assistant_id: str, environment_id: str | None
    ) -> None:
        check_id("assistant_id", assistant_id)
        if environment_id is not None:
            check_id("environment_id", environment_id)
        self._client = client
        self._assistant_id = assistant_id
        self._environment_id = environment_id

    def __repr__(self) -> str:
        return (
            f"Assistant(assistant_id={self._assistant_id!r}, "
            f"environment_id={self._environment_id!r})"
        )

    @property
    def client(self) -> AssistantClient:
        """The client calls go through."""
        return self._client

    @property
    def assistant_id(self) -> str:
        return self._assistant_id

    @property
    def environment_id(self) -> str | None:
        return self._environment_id

    async def create_session(
        self,
        *,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> SessionResponse:
        """:meth:`AssistantClient.create_session` for this assistant."""
        return await self._client.create_session(
            self._assistant_id,
            self._environment_id,
            analytics=analytics,
            headers=headers,
            timeout=timeout,
        )

    async def delete_session(
        self,
        session_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        """:meth:`AssistantClient.delete_session` for this assistant."""
        await self._client.delete_session(
            self._assistant_id, self._environment_id, session_id, headers=headers, timeout=timeout
        )

    async def message(
        self,
        session_id: str,
        *,
        input: MessageInput | Mapping[str, Any] | None = None,
        context: MessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> StatefulMessageResponse:
        """:meth:`AssistantClient.message` for this assistant."""
        return await self._client.message(
            self._assistant_id,
            self._environment_id,
            session_id,
            input=input,
            context=context,
            user_id=user_id,
            headers=headers,
            timeout=timeout,
        )

    async def message_stateless(
        self,
        *,
        input: StatelessMessageInput | Mapping[str, Any] | None = None,
        context: StatelessMessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> StatelessMessageResponse:
        """:meth:`AssistantClient.message_stateless` for this assistant."""
        return await self._client.message_stateless(
            self._assistant_id,
            self._environment_id,
            input=input,
            context=context,
            user_id=user_id,
            headers=headers,
            timeout=timeout,
        )

    async def message_stream(
        self,
        session_id: str,
        *,
        input: MessageInput | Mapping[str, Any] | None = None,
        context: MessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> MessageStream[MessageStreamResponse]:
        """:meth:`AssistantClient.message_stream` for this assistant (which needs an
        environment: ``ValueError`` on the classic paths)."""
        return await self._client.message_stream(
            self._assistant_id,
            stream_environment(self._environment_id, "message_stream"),
            session_id,
            input=input,
            context=context,
            user_id=user_id,
            headers=headers,
            timeout=timeout,
        )

    async def message_stream_stateless(
        self,
        *,
        input: StatelessMessageInput | MessageInput | Mapping[str, Any] | None = None,
        context: StatelessMessageContext | Mapping[str, Any] | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> MessageStream[StatelessMessageStreamResponse]:
        """:meth:`AssistantClient.message_stream_stateless` for this assistant (which
        needs an environment: ``ValueError`` on the classic paths)."""
        return await self._client.message_stream_stateless(
            self._assistant_id,
            stream_environment(self._environment_id, "message_stream_stateless"),
            input=input,
            context=context,
            user_id=user_id,
            headers=headers,
            timeout=timeout,
        )

    def conversation(
        self,
        *,
        user_id: str | None = None,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        restore: bool = False,
        on_renewal: Callable[[Renewal], Awaitable[None] | None] | None = None,
        history_limit: int = 0,
        events: EventHook | None = None,
    ) -> Conversation:
        """A stateful :class:`Conversation`; use it as ``async with ... as conv``."""
        return Conversation(
            self,
            user_id=user_id,
            analytics=analytics,
            restore=restore,
            on_renewal=on_renewal,
            history_limit=history_limit,
            events=events,
        )

    def stateless_conversation(
        self,
        *,
        user_id: str | None = None,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        context: StatelessMessageContext | Mapping[str, Any] | None = None,
    ) -> StatelessConversation:
        """A :class:`StatelessConversation` (no session; the context travels each turn)."""
        return StatelessConversation(self, user_id=user_id, analytics=analytics, context=context)


# --------------------------------------------------------------------------- stateful


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


class Conversation(_ConversationBase):
    """One stateful conversation: a session, its turns, and its renewal when it expires.

    ``async with assistant.conversation(...) as conv:`` creates the session on enter
    (sending ``analytics``) and deletes it on exit, whether the block ends normally,
    with an error or by cancellation. A failure to delete never hides the block's own
    exception (it is logged); on a clean exit a session that had already expired is
    fine, other failures to delete are raised.

    ``await conv.send(...)`` sends one turn with ``user_id`` and ``input.analytics``.
    When the service answers 404 "Invalid Session" (the session expired), a new session
    is created and the turn is sent once more on it; ``renewals`` counts this,
    ``last_turn.renewed`` marks the turn and ``on_renewal`` (sync or async) is called
    with a :class:`Renewal` before the resend.

    With ``restore=True`` every turn asks for ``input.options.export`` and the latest
    ``context.skills[*].system.state`` is kept; the first turn on a renewed session
    sends it back in ``context`` so the dialog continues where it was. Without it the
    dialog starts over on the new session.

    Turns of one conversation run one at a time (concurrent ``send`` calls queue).

    Args:
        assistant: The :class:`Assistant` to talk to.
        user_id: Sent as ``user_id`` with every turn.
        analytics: Sent to ``create_session`` and as ``input.analytics`` of every turn
            (unless the input has its own).
        restore: Carry the dialog state over to a renewed session (see above).
        on_renewal: Called with a :class:`Renewal` when an expired session is replaced.
        history_limit: Keep the last ``history_limit`` turns in :attr:`history`
            (0: none; :attr:`last_turn` is always kept).
        events: An :class:`EventHook` told of sessions started and turns handled.
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        user_id: str | None = None,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        restore: bool = False,
        on_renewal: Callable[[Renewal], Awaitable[None] | None] | None = None,
        history_limit: int = 0,
        events: EventHook | None = None,
    ) -> None:
        if user_id is not None:
            check_user_id(user_id)
        if isinstance(history_limit, bool) or not isinstance(history_limit, int):
            raise ValueError("history_limit must be an integer")
        if history_limit < 0:
            raise ValueError("history_limit must not be negative")
        self._assistant = assistant
        self._user_id = user_id
        self._analytics = _analytics(analytics)
        self._restore = bool(restore)
        self._on_renewal = on_renewal
        self._events = events
        self._history: deque[Turn] = deque(maxlen=history_limit)
        self._last_turn: Turn | None = None
        self._session_id: str | None = None
        self._entered = False
        self._closed = False
        self._turns = 0
        self._renewals = 0
        self._states: dict[str, str] = {}  # skill name -> latest exported system.state
        self._state_pending = False  # send the states with the next turn
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"Conversation(session_id={self._session_id!r}, turns={self._turns}, "
            f"renewals={self._renewals}, restore={self._restore})"
        )

    # --- state -----------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        """The current session (``None`` before entering; a new one after a renewal)."""
        return self._session_id

    @property
    def turns(self) -> int:
        """Turns that got a reply."""
        return self._turns

    @property
    def renewals(self) -> int:
        """How many times an expired session was replaced by a new one."""
        return self._renewals

    @property
    def history(self) -> tuple[Turn, ...]:
        """The last ``history_limit`` turns, oldest first."""
        return tuple(self._history)

    @property
    def last_turn(self) -> Turn | None:
        """The latest completed turn."""
        return self._last_turn

    @property
    def saved_state(self) -> dict[str, str]:
        """With ``restore=True``: the latest ``system.state`` per skill name."""
        return dict(self._states)

    # --- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> Conversation:
        if self._entered:
            raise RuntimeError("a Conversation can be entered only once; create a new one")
        self._entered = True
        session = await self._start_session()
        if self._events is not None:
            await self._report(self._events.session_started, self, session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        session_id, self._session_id = self._session_id, None
        if session_id is None:
            return
        try:
            await self._assistant.delete_session(session_id)
        except SessionNotFoundError:
            _log.debug("session %s had already ended", session_id)
        except Exception as failure:
            if exc is None:
                raise
            _log.warning(
                "could not delete session %s while leaving on %s: %r",
                session_id,
                type(exc).__name__,
                failure,
            )
            add_note = getattr(exc, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(f"watson_async: deleting session {session_id} also failed: {failure!r}")

    # --- turns -----------------------------------------------------------------

    async def send(
        self,
        input: str | MessageInput | Mapping[str, Any] | None = None,
        *,
        context: MessageContext | Mapping[str, Any] | None = None,
        options: MessageInputOptions | Mapping[str, Any] | None = None,
    ) -> StatefulMessageResponse:
        """Send one turn and return the reply.

        ``input`` is the user's text, a :class:`MessageInput` or its dict; ``options``
        are merged over ``input.options``. Invalid arguments raise ``ValueError`` before
        anything is sent. An expired session is renewed and the turn sent once more.
        """
        body = _input_json(input, options, self._analytics, export=self._restore)
        context_json = _object_json("context", context)
        async with self._lock:
            session_id = self._session_id
            if session_id is None:
                raise RuntimeError(
                    "the conversation is closed"
                    if self._closed
                    else "enter the conversation first: async with assistant.conversation() as c"
                )
            reply: StatefulMessageResponse | None
            try:
                reply = await self._message(session_id, body, context_json)
            except SessionNotFoundError:
                reply = None
            renewed = reply is None
            if reply is None:  # outside the except block: a new failure is not "during" the 404
                session_id = await self._renew(session_id)
                reply = await self._message(session_id, body, context_json)
            self._state_pending = False
            if self._restore:
                self._keep_state(reply)
            turn = Turn(
                input=_as_message_input(body), reply=reply, session_id=session_id, renewed=renewed
            )
            self._turns += 1
            self._last_turn = turn
            self._history.append(turn)
            if self._events is not None:
                await self._report(self._events.message_handled, self, turn.input, reply)
            return reply

    async def _message(
        self, session_id: str, body: dict[str, Any], context: dict[str, Any] | None
    ) -> StatefulMessageResponse:
        if self._state_pending and self._states:
            context = _with_states(context, self._states)
        return await self._assistant.message(
            session_id, input=body, context=context, user_id=self._user_id
        )

    async def _start_session(self) -> SessionResponse:
        analytics = self._analytics.to_dict() if self._analytics is not None else None
        session = await self._assistant.create_session(analytics=analytics)
        self._session_id = session.session_id
        return session

    async def _renew(self, expired: str) -> str:
        # Until a new session exists the expired one stays current: a failure here is
        # raised, and the next turn tries the renewal again.
        _log.info("session %s expired; starting a new one", expired)
        session = await self._start_session()
        self._renewals += 1
        self._state_pending = self._restore and bool(self._states)
        if self._events is not None:
            await self._report(self._events.session_started, self, session)
        if self._on_renewal is not None:
            renewal = Renewal(
                expired_session_id=expired,
                session_id=session.session_id,
                renewals=self._renewals,
                restored=self._state_pending,
            )
            try:
                result = self._on_renewal(renewal)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                _log.exception("on_renewal callback failed")
        return session.session_id

    def _keep_state(self, reply: StatefulMessageResponse) -> None:
        skills = reply.context.skills if reply.context is not None else None
        if skills is None:
            return
        for name, skill in skills.to_dict().items():
            system = skill.get("system") if isinstance(skill, dict) else None
            state = system.get("state") if isinstance(system, dict) else None
            if isinstance(state, str) and state:
                self._states[name] = state

    @staticmethod
    async def _report(hook: Callable[..., Awaitable[None]], *args: Any) -> None:
        try:
            await hook(*args)
        except Exception:
            _log.exception("conversation event hook failed")


# --------------------------------------------------------------------------- stateless


class StatelessConversation(_ConversationBase):
    """A conversation over ``message_stateless``: the context travels with each turn.

    Each reply's ``context`` (session start time, encoded state, private variables) is
    sent back unchanged with the next turn. :attr:`context` is the object the next turn
    sends; set or edit it to change variables. :meth:`dumps` / :meth:`loads` keep the
    conversation between HTTP requests of a web backend.

    A context larger than 250 KB serialized (the service's limit) is refused with a
    ``ValueError`` before sending and when loading.
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        user_id: str | None = None,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        context: StatelessMessageContext | Mapping[str, Any] | None = None,
    ) -> None:
        if user_id is not None:
            check_user_id(user_id)
        self._assistant = assistant
        self._user_id = user_id
        self._analytics = _analytics(analytics)
        self._context: dict[str, Any] | None = None
        self._turns = 0
        self._lock = asyncio.Lock()
        self.context = _object_json("context", context)

    def __repr__(self) -> str:
        return f"StatelessConversation(session_id={self.session_id!r}, turns={self._turns})"

    @property
    def turns(self) -> int:
        """Turns that got a reply (including those before a :meth:`dumps`)."""
        return self._turns

    @property
    def context(self) -> dict[str, Any] | None:
        """The context the next turn sends (JSON shape): the last reply's, unchanged."""
        return self._context

    @context.setter
    def context(self, value: StatelessMessageContext | Mapping[str, Any] | None) -> None:
        context = _object_json("context", value)
        _check_context_size(context, "the context")
        self._context = context

    @property
    def session_id(self) -> str | None:
        """``context.global.session_id``: the service's ID for this conversation."""
        glob = (self._context or {}).get("global")
        session_id = glob.get("session_id") if isinstance(glob, dict) else None
        return session_id if isinstance(session_id, str) else None

    async def send(
        self,
        input: str | StatelessMessageInput | MessageInput | Mapping[str, Any] | None = None,
        *,
        options: StatelessMessageInputOptions | Mapping[str, Any] | None = None,
    ) -> StatelessMessageResponse:
        """Send one turn with the current context; the reply's context becomes the next."""
        body = _input_json(input, options, self._analytics, export=False)
        async with self._lock:
            context = self._context
            _check_context_size(context, "the conversation context")
            reply = await self._assistant.message_stateless(
                input=body, context=context, user_id=self._user_id
            )
            if reply.context is not None:
                self._context = reply.context.to_dict()
            self._turns += 1
            return reply

    def dumps(self) -> str:
        """The conversation as JSON (IDs, ``user_id``, analytics, turns and context)."""
        return _json.dumps(
            {
                "kind": _DUMP_KIND,
                "v": _DUMP_VERSION,
                "assistant_id": self._assistant.assistant_id,
                "environment_id": self._assistant.environment_id,
                "user_id": self._user_id,
                "analytics": self._analytics.to_dict() if self._analytics is not None else None,
                "turns": self._turns,
                "context": self._context,
            }
        ).decode("utf-8")

    @classmethod
    def loads(
        cls, client_or_assistant: AssistantClient | Assistant, data: str | bytes
    ) -> StatelessConversation:
        """The conversation :meth:`dumps` wrote, talking through ``client_or_assistant``.

        With a client, the assistant and environment IDs come from ``data``; an
        :class:`Assistant` must have the same IDs. Raises ``ValueError`` when ``data``
        is not such a dump or its context is over 250 KB.
        """
        try:
            obj = _json.loads(data)
        except ValueError as exc:
            raise ValueError(f"not a StatelessConversation dump: {exc}") from None
        if not isinstance(obj, dict) or obj.get("kind") != _DUMP_KIND:
            raise ValueError("not a StatelessConversation dump")
        if obj.get("v") != _DUMP_VERSION:
            raise ValueError(f"unsupported StatelessConversation dump version {obj.get('v')!r}")
        assistant_id = obj.get("assistant_id")
        environment_id = obj.get("environment_id")
        turns = obj.get("turns")
        context = obj.get("context")
        if (
            not isinstance(assistant_id, str)
            or not (environment_id is None or isinstance(environment_id, str))
            or isinstance(turns, bool)
            or not isinstance(turns, int)
            or not (context is None or isinstance(context, dict))
        ):
            raise ValueError("malformed StatelessConversation dump")
        _check_context_size(context, "the stored context")
        if isinstance(client_or_assistant, Assistant):
            assistant = client_or_assistant
            if (assistant.assistant_id, assistant.environment_id) != (
                assistant_id,
                environment_id,
            ):
                raise ValueError(
                    f"the dump belongs to assistant {assistant_id!r} (environment "
                    f"{environment_id!r}), not to {assistant!r}"
                )
        else:
            assistant = Assistant(client_or_assistant, assistant_id, environment_id)
        conversation = cls(
            assistant,
            user_id=obj.get("user_id"),
            analytics=obj.get("analytics"),
            context=context,
        )
        conversation._turns = turns
        return conversation


# --------------------------------------------------------------------------- helpers


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
