"""The :class:`Assistant` handle and :class:`StatelessConversation`.

They share a module because each builds the other at run time (the handle's
``stateless_conversation()``, the conversation's ``loads()`` from a client): apart,
they would import each other."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from watson_async.client.streams import MessageStream
from watson_async.protocol import codec as _json
from watson_async.protocol.endpoints import stream_environment
from watson_async.protocol.validation import check_id, check_user_id

from ..models.context import MessageContext, StatelessMessageContext
from ..models.message import (
    MessageInput,
    StatefulMessageResponse,
    StatelessMessageInput,
    StatelessMessageInputOptions,
    StatelessMessageResponse,
)
from ..models.session import RequestAnalytics, SessionResponse
from ..models.stream import (
    MessageStreamResponse,
    StatelessMessageStreamFinalResponse,
    StatelessMessageStreamResponse,
)
from ._common import (
    EventHook,
    Renewal,
    _analytics,
    _check_context_size,
    _ConversationBase,
    _input_json,
    _object_json,
)
from ._pool import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_USERS, ConversationPool, PoolEvent
from ._stateful import DEFAULT_DELETE_TIMEOUT, Conversation
from ._stream import ConversationStream

if TYPE_CHECKING:
    from ..client import AssistantClient

#: ``dumps()`` format marker and version of :class:`StatelessConversation`.
_DUMP_KIND = "watson_async.StatelessConversation"
_DUMP_VERSION = 1


def _is_stateless_final(frame: StatelessMessageStreamResponse) -> bool:
    return isinstance(frame, StatelessMessageStreamFinalResponse)


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

    def with_options(self, **options: Any) -> Assistant:
        """This assistant through :meth:`AssistantClient.with_options(**options)
        <watson_async.AssistantClient.with_options>`: ``assistant.with_options(retry=None)``
        sends its calls once."""
        return Assistant(
            self._client.with_options(**options), self._assistant_id, self._environment_id
        )

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
        delete_timeout: float = DEFAULT_DELETE_TIMEOUT,
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
            delete_timeout=delete_timeout,
        )

    def conversation_pool(
        self,
        *,
        max_users: int = DEFAULT_MAX_USERS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        on_event: Callable[[PoolEvent], None] | None = None,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        restore: bool = False,
        on_renewal: Callable[[Renewal], Awaitable[None] | None] | None = None,
        history_limit: int = 0,
        events: EventHook | None = None,
        delete_timeout: float = DEFAULT_DELETE_TIMEOUT,
    ) -> ConversationPool:
        """A :class:`ConversationPool`: one :class:`Conversation` per user ID (the other
        arguments go to each conversation); use it as ``async with ... as pool``."""
        return ConversationPool(
            self,
            max_users=max_users,
            idle_timeout=idle_timeout,
            on_event=on_event,
            analytics=analytics,
            restore=restore,
            on_renewal=on_renewal,
            history_limit=history_limit,
            events=events,
            delete_timeout=delete_timeout,
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
            self._record(reply.context)
            return reply

    async def stream(
        self,
        input: str | StatelessMessageInput | MessageInput | Mapping[str, Any] | None = None,
        *,
        options: StatelessMessageInputOptions | Mapping[str, Any] | None = None,
    ) -> ConversationStream[StatelessMessageStreamResponse]:
        """:meth:`send`, streamed: ``async with await conv.stream("hi") as stream: async
        for frame in stream: ...`` (see :class:`ConversationStream`). The final frame's
        context becomes the next turn's; other turns wait until the stream is read,
        closed or dropped."""
        body = _input_json(input, options, self._analytics, export=False)
        await self._lock.acquire()
        try:
            context = self._context
            _check_context_size(context, "the conversation context")
            opened = await self._assistant.message_stream_stateless(
                input=body, context=context, user_id=self._user_id
            )
        except BaseException:
            self._lock.release()
            raise

        async def on_final(frame: StatelessMessageStreamResponse) -> None:
            assert isinstance(frame, StatelessMessageStreamFinalResponse)
            self._record(frame.final_response.context)

        return ConversationStream(opened, _is_stateless_final, on_final, self._lock.release)

    def _record(self, context: StatelessMessageContext | None) -> None:
        """A turn got its reply: its context is the next turn's."""
        if context is not None:
            self._context = context.to_dict()
        self._turns += 1

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
