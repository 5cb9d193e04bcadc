"""A stateful :class:`Conversation`: one session, its turns, and its renewal."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from watson_async._lifecycle import AsyncExit
from watson_async.protocol.validation import check_user_id

from ..errors import ClientClosedError, SessionNotFoundError
from ..models.context import MessageContext
from ..models.message import MessageInput, MessageInputOptions, StatefulMessageResponse
from ..models.session import RequestAnalytics, SessionResponse
from ..models.stream import MessageStreamResponse, StatefulMessageStreamFinalResponse
from ._common import (
    EventHook,
    Renewal,
    Turn,
    _analytics,
    _as_message_input,
    _ConversationBase,
    _input_json,
    _object_json,
    _with_states,
)
from ._stream import CLOSED as _CLOSED
from ._stream import ConversationStream

if TYPE_CHECKING:
    from ._assistant import Assistant

_log = logging.getLogger("watson_async.conversation")
R = TypeVar("R")


def _is_final(frame: MessageStreamResponse) -> bool:
    return isinstance(frame, StatefulMessageStreamFinalResponse)


#: Seconds a :class:`Conversation`'s exit may spend deleting its session (one attempt).
DEFAULT_DELETE_TIMEOUT = 5.0


class Conversation(_ConversationBase, AsyncExit):
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
    :meth:`stream` sends a turn whose reply is streamed, with the same guarantees; its
    stream holds the turn until it is read, closed or dropped.

    Leaving the block closes the conversation for good. A turn still in flight (sent
    from another task) is cancelled, as :meth:`AssistantClient.aclose` cancels calls
    in flight, and its ``send`` raises :class:`ClientClosedError`, as do turns queued
    behind it and every later ``send``; then the session is deleted. A closed
    conversation never renews its session. A session whose creation was under way when
    the caller was cancelled (entering, or renewing) is still awaited and deleted
    before the ``CancelledError`` goes on, so no path leaves a session on the service.

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
        delete_timeout: Seconds the session's deletion may take when the conversation
            ends (:data:`DEFAULT_DELETE_TIMEOUT`). That request is sent once, without
            the client's retries, so shutting down with the service down or slow takes
            at most this long per conversation; a session not deleted expires on the
            service after its inactivity timeout.
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
        delete_timeout: float = DEFAULT_DELETE_TIMEOUT,
    ) -> None:
        if user_id is not None:
            check_user_id(user_id)
        if not 0 < delete_timeout < math.inf:
            raise ValueError(f"delete_timeout must be a positive number, got {delete_timeout!r}")
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
        self._delete_timeout = delete_timeout
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
        self._in_flight: asyncio.Future[Any] | None = None  # the request of the current turn
        # The open stream holding the turn; weak, so that dropping it gives the turn back.
        self._stream: weakref.ref[ConversationStream[MessageStreamResponse]] | None = None
        self._cancelled_by_exit = False

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
            try:
                await self._report(self._events.session_started, self, session)
            except BaseException as exc:  # cancelled in the hook: __aexit__ will not run
                await self._exit(exc)
                raise
        return self

    async def _exit(self, exc: BaseException | None) -> None:
        self._closed = True
        if self._in_flight is not None:
            # Waiting for the turn could take the client's whole timeout and retry
            # budget; like aclose(), closing ends the calls in flight instead.
            self._cancelled_by_exit = True
            self._in_flight.cancel()
        stream = self._stream() if self._stream is not None else None
        if stream is not None:  # a streamed turn being read: end it too
            await stream._end()
        try:
            await self._lock.acquire()  # the turn unwinds; turns queued behind it see closed
        except asyncio.CancelledError as cancelled:
            await self._delete_session(exc or cancelled)  # the turn is cancelled already
            raise
        try:
            await self._delete_session(exc)
        finally:
            self._lock.release()

    async def _delete_session(self, exc: BaseException | None) -> None:
        session_id, self._session_id = self._session_id, None
        if session_id is None:
            return
        try:
            await self._delete_once(session_id)
        except SessionNotFoundError:
            _log.debug("the session had already ended")
        except Exception as failure:
            if exc is None:
                raise
            # str(), not repr(): an error's message holds no IDs (observability.md)
            _log.warning(
                "could not delete the session while leaving on %s: %s",
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
            reply, session_id, renewed = await self._exchange(
                self._assistant.message, body, context_json
            )
            await self._record(body, reply, session_id, renewed)
            return reply

    async def stream(
        self,
        input: str | MessageInput | Mapping[str, Any] | None = None,
        *,
        context: MessageContext | Mapping[str, Any] | None = None,
        options: MessageInputOptions | Mapping[str, Any] | None = None,
    ) -> ConversationStream[MessageStreamResponse]:
        """Send one turn and stream its reply: ``async with await conv.stream("hi") as
        stream: async for frame in stream: ...`` (see :class:`ConversationStream`).

        The arguments and guarantees are :meth:`send`'s: ``ValueError`` before sending;
        an expired session (404 before any frame) is renewed, with the saved state when
        ``restore=True``, and the turn sent once more; the final response is recorded
        as a turn (history, ``last_turn``, saved state, ``message_handled``). The turn
        holds the conversation until the stream is read, closed or dropped.
        """
        body = _input_json(input, options, self._analytics, export=self._restore)
        context_json = _object_json("context", context)
        await self._lock.acquire()
        try:
            opened, session_id, renewed = await self._exchange(
                self._assistant.message_stream, body, context_json
            )
        except BaseException:
            self._lock.release()
            raise

        async def on_final(frame: MessageStreamResponse) -> None:
            assert isinstance(frame, StatefulMessageStreamFinalResponse)
            reply = StatefulMessageResponse.from_dict(
                {"output": {}, **frame.final_response.to_dict()}
            )
            await self._record(body, reply, session_id, renewed)

        stream = ConversationStream(opened, _is_final, on_final, self._stream_closed)
        self._stream = weakref.ref(stream)
        return stream

    def _stream_closed(self) -> None:
        self._stream = None
        self._lock.release()

    async def _exchange(
        self,
        call: Callable[..., Awaitable[R]],
        body: dict[str, Any],
        context: dict[str, Any] | None,
    ) -> tuple[R, str, bool]:
        """With the turn lock held: ``call`` (``message`` or ``message_stream``) on the
        session, renewed once if it expired; the result, its session, and whether the
        session was renewed."""
        self._check_open()
        session_id = self._session_id
        if session_id is None:
            raise RuntimeError(
                "enter the conversation first: async with assistant.conversation() as c"
            )
        try:
            return await self._request(call, session_id, body, context), session_id, False
        except SessionNotFoundError:
            self._check_open()  # the 404 may be our own exit's delete: never renew
        # Outside the except block: a new failure is not "during" the 404.
        session_id = await self._renew(session_id)
        return await self._request(call, session_id, body, context), session_id, True

    async def _record(
        self,
        body: dict[str, Any],
        reply: StatefulMessageResponse,
        session_id: str,
        renewed: bool,
    ) -> None:
        """Keep a turn that got its reply: saved state, history, the event."""
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

    async def _request(
        self,
        call: Callable[..., Awaitable[R]],
        session_id: str,
        body: dict[str, Any],
        context: dict[str, Any] | None,
    ) -> R:
        if self._state_pending and self._states:
            context = _with_states(context, self._states)
        request = asyncio.ensure_future(
            call(session_id, input=body, context=context, user_id=self._user_id)
        )
        self._in_flight = request
        try:
            result = await request
        except asyncio.CancelledError:
            task = asyncio.current_task()
            cancelling = getattr(task, "cancelling", None)  # Python 3.11+
            if (
                self._cancelled_by_exit
                and request.cancelled()
                and (cancelling is None or not cancelling())
            ):
                # Our exit cancelled the request, not the caller's task being cancelled.
                raise ClientClosedError(_CLOSED) from None
            raise
        finally:
            self._in_flight = None
        self._state_pending = False  # the service has the turn (and the state it carried)
        return result

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(_CLOSED)

    async def _start_session(self) -> SessionResponse:
        analytics = self._analytics.to_dict() if self._analytics is not None else None
        # Shielded: a caller cancelled while the service creates the session still
        # learns its id, to delete it; the wait is bounded by the client's timeout.
        creating = asyncio.ensure_future(self._assistant.create_session(analytics=analytics))
        try:
            session = await asyncio.shield(creating)
        except asyncio.CancelledError:
            await self._discard(creating)
            raise
        if self._closed:  # exit ran while a renewal created this one
            await self._discard(creating)
            raise ClientClosedError(_CLOSED)
        self._session_id = session.session_id
        return session

    def _delete_once(self, session_id: str) -> Awaitable[None]:
        """Delete a session on the way out: one attempt, at most ``delete_timeout``."""
        once = self._assistant.with_options(retry=None)
        return once.delete_session(session_id, timeout=self._delete_timeout)

    async def _discard(self, creating: asyncio.Future[SessionResponse]) -> None:
        """Delete the session ``creating`` creates, once it is known (failures logged)."""
        try:
            session_id = (await creating).session_id
            await self._delete_once(session_id)
        except asyncio.CancelledError:
            creating.cancel()
            raise
        except Exception as failure:
            _log.warning("could not delete a session created for a closed call: %s", failure)

    async def _renew(self, expired: str) -> str:
        # Until a new session exists the expired one stays current: a failure here is
        # raised, and the next turn tries the renewal again.
        _log.info("the session expired; starting a new one")
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
