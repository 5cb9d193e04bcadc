"""A :class:`ConversationPool`: one stateful :class:`Conversation` per user of a web
backend, opened on the user's first request and ended when idle, evicted or closed."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from watson_async._lifecycle import AsyncClosing
from watson_async.protocol.validation import check_user_id

from ..errors import ClientClosedError, PoolFullError
from ..models.context import MessageContext
from ..models.message import MessageInput, MessageInputOptions, StatefulMessageResponse
from ..models.session import RequestAnalytics
from ._common import EventHook, Renewal
from ._stateful import DEFAULT_DELETE_TIMEOUT, Conversation

if TYPE_CHECKING:
    from ._assistant import Assistant

_log = logging.getLogger("watson_async.conversation")
_CLOSED = "the conversation pool is closed; create a new one"

_Kind = Literal["opened", "evicted", "closed"]
_Reason = Literal["idle", "capacity"]

#: Seconds a user may stay idle before the pool ends their conversation: a little under
#: five minutes (``FakeAssistant``'s session inactivity timeout), so that the pool
#: deletes a session before the service drops it.
DEFAULT_IDLE_TIMEOUT = 270.0
#: How many users' conversations a pool holds at most by default.
DEFAULT_MAX_USERS = 10_000


@dataclass(frozen=True, slots=True)
class PoolEvent:
    """Something a :class:`ConversationPool` did with one user's conversation.

    Told to the pool's ``on_event`` and logged on ``watson_async.conversation`` (without
    the user ID: log lines never carry IDs).
    """

    #: ``opened`` (a session was created for the user's first request), ``evicted``
    #: (the session was deleted: see :attr:`reason`) or ``closed`` (the pool closed and
    #: deleted the session).
    kind: Literal["opened", "evicted", "closed"]
    #: The user whose conversation it is.
    user_id: str
    #: For ``evicted``: ``idle`` (no request for ``idle_timeout`` seconds) or
    #: ``capacity`` (the least recently used idle user, to make room for a new one);
    #: ``None`` otherwise.
    reason: Literal["idle", "capacity"] | None
    #: Users the pool holds after the event.
    users: int


class _Entry:
    """One user's place in the pool."""

    __slots__ = ("conversation", "holders", "idle_since", "lock", "opening")

    def __init__(self, now: float) -> None:
        self.conversation: Conversation | None = None
        self.opening: asyncio.Task[Conversation] | None = None
        self.holders = 0  # leases held or waited for: never evicted while > 0
        self.idle_since = now
        self.lock = asyncio.Lock()  # one lease (so one turn) at a time


class ConversationPool(AsyncClosing):
    """One stateful :class:`Conversation` per user ID, for web backends.

    ``async with pool.lease(user_id) as conv:`` gives the user's conversation, opened
    (its session created) on the user's first request; any :class:`Conversation`
    method works inside, and leases of one user run one at a time, so two concurrent
    first requests create one session. ``await pool.send(user_id, text)`` is one turn
    under a lease. ``user_id`` is also sent as the conversation's ``user_id``.

    * **Idle users.** A user without a lease for ``idle_timeout`` seconds is evicted:
      the pool deletes their session in the background. One background task sleeps
      until the next user is due (``clock`` and ``sleep`` are injectable for tests).
    * **Capacity.** The pool holds at most ``max_users`` users. A new user evicts the
      least recently used idle one; when every user holds or waits for a lease,
      :class:`PoolFullError` is raised at once (answer 503 and let the client retry).
    * **Closing.** ``aclose()`` (or leaving ``async with pool``) ends every conversation
      concurrently and returns once each session is deleted and no task of the pool
      runs. A turn in flight then is cancelled and its ``send`` raises
      :class:`ClientClosedError`, as leaving a :class:`Conversation` does; so do
      leases and sends after close. Close the pool before its client.
    * **Events.** ``on_event`` is called with a :class:`PoolEvent` when a user's
      conversation is opened, evicted or closed (an exception in it is logged).

    Args:
        assistant: The :class:`Assistant` the conversations talk to.
        max_users: Users held at most (>= 1).
        idle_timeout: Seconds without a lease before a user is evicted (> 0); keep it
            under the environment's session inactivity timeout.
        on_event: Called with each :class:`PoolEvent`.
        clock: The monotonic clock idle time is measured with.
        sleep: What the eviction task waits with.
        analytics: Passed to each :class:`Conversation` (as are the next five).
        restore: See :class:`Conversation`.
        on_renewal: See :class:`Conversation`.
        history_limit: See :class:`Conversation`.
        events: See :class:`Conversation`.
        delete_timeout: See :class:`Conversation`: the bound on each session's deletion
            at eviction and at close, sent once, without retries.
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        max_users: int = DEFAULT_MAX_USERS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        on_event: Callable[[PoolEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        analytics: RequestAnalytics | Mapping[str, Any] | None = None,
        restore: bool = False,
        on_renewal: Callable[[Renewal], Awaitable[None] | None] | None = None,
        history_limit: int = 0,
        events: EventHook | None = None,
        delete_timeout: float = DEFAULT_DELETE_TIMEOUT,
    ) -> None:
        if isinstance(max_users, bool) or not isinstance(max_users, int) or max_users < 1:
            raise ValueError(f"max_users must be a positive integer, got {max_users!r}")
        if (
            isinstance(idle_timeout, bool)
            or not isinstance(idle_timeout, (int, float))
            or not math.isfinite(idle_timeout)
            or idle_timeout <= 0
        ):
            raise ValueError(f"idle_timeout must be a positive number, got {idle_timeout!r}")
        self._options: dict[str, Any] = {
            "analytics": analytics,
            "restore": restore,
            "on_renewal": on_renewal,
            "history_limit": history_limit,
            "events": events,
            "delete_timeout": delete_timeout,
        }
        Conversation(assistant, **self._options)  # bad options fail here, not per user
        self._assistant = assistant
        self._max_users = max_users
        self._idle_timeout = float(idle_timeout)
        self._on_event = on_event
        self._clock = clock
        self._sleep = sleep
        # Idle users in the order they became idle (least recent first); users holding
        # a lease are skipped by eviction and moved to the end when they let go.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()  # openings and closings
        self._sweeper: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()  # a user became idle: the sweeper has a deadline
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"ConversationPool(users={len(self._entries)}, max_users={self._max_users}, "
            f"idle_timeout={self._idle_timeout}, closed={self._closed})"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._entries

    @property
    def assistant(self) -> Assistant:
        """The assistant the conversations talk to."""
        return self._assistant

    @property
    def max_users(self) -> int:
        """Users held at most."""
        return self._max_users

    @property
    def idle_timeout(self) -> float:
        """Seconds without a lease before a user is evicted."""
        return self._idle_timeout

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has been called."""
        return self._closed

    # --- leases ----------------------------------------------------------------

    @asynccontextmanager
    async def lease(self, user_id: str) -> AsyncIterator[Conversation]:
        """``async with pool.lease(user_id) as conv``: the user's conversation, theirs
        alone until the block ends (opened on first use).

        ``ValueError`` for a ``user_id`` the service would refuse, before anything is
        sent; :class:`ClientClosedError` once the pool is closed; :class:`PoolFullError`
        when a new user finds every place taken by a user holding a lease.
        """
        check_user_id(user_id)
        self._check_open()
        entry = self._entries.get(user_id)
        if entry is None:
            self._make_room()
            entry = self._entries[user_id] = _Entry(self._clock())
            self._start_sweeper()
        entry.holders += 1
        try:
            async with entry.lock:
                self._check_open()
                conversation = entry.conversation
                if conversation is None:
                    if entry.opening is None:
                        entry.opening = self._spawn(self._open(user_id, entry))
                    # Shielded: a caller cancelled meanwhile leaves the session to the
                    # pool, which keeps it for the next request (or deletes it).
                    conversation = await asyncio.shield(entry.opening)
                yield conversation
        finally:
            entry.holders -= 1
            if entry.holders == 0:
                self._let_go(user_id, entry)

    async def send(
        self,
        user_id: str,
        input: str | MessageInput | Mapping[str, Any] | None = None,
        *,
        context: MessageContext | Mapping[str, Any] | None = None,
        options: MessageInputOptions | Mapping[str, Any] | None = None,
    ) -> StatefulMessageResponse:
        """One turn of ``user_id``'s conversation under a lease (see :meth:`lease`
        and :meth:`Conversation.send`)."""
        async with self.lease(user_id) as conversation:
            return await conversation.send(input, context=context, options=options)

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(_CLOSED)

    def _make_room(self) -> None:
        if len(self._entries) < self._max_users:
            return
        for user_id, entry in self._entries.items():
            if entry.holders == 0 and entry.conversation is not None:
                self._retire(user_id, "evicted", "capacity")
                return
        raise PoolFullError(
            f"the conversation pool holds max_users={self._max_users} users and every one "
            "has a request in progress; retry shortly"
        )

    def _let_go(self, user_id: str, entry: _Entry) -> None:
        """The last lease of ``entry`` ended: it becomes idle (or goes, if it has no
        conversation and none is being opened)."""
        if self._entries.get(user_id) is not entry:
            return  # evicted or closed meanwhile
        if entry.conversation is None:
            if entry.opening is None:
                del self._entries[user_id]
            return  # the opening task decides
        entry.idle_since = self._clock()
        self._entries.move_to_end(user_id)
        self._idle.set()

    # --- opening and closing -----------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # a caller who was cancelled no longer awaits it

    async def _open(self, user_id: str, entry: _Entry) -> Conversation:
        try:
            conversation = Conversation(self._assistant, user_id=user_id, **self._options)
            await conversation.__aenter__()
            if self._closed or self._entries.get(user_id) is not entry:
                await self._end(conversation)
                raise ClientClosedError(_CLOSED)
            entry.conversation = conversation
        finally:
            entry.opening = None
            if entry.holders == 0:
                self._let_go(user_id, entry)
        self._emit("opened", user_id, None)
        return conversation

    def _retire(self, user_id: str, kind: _Kind, reason: _Reason | None) -> None:
        """Take ``user_id`` out of the pool and delete its session in the background."""
        entry = self._entries.pop(user_id)
        if entry.conversation is not None:
            self._spawn(self._close(entry.conversation, user_id, kind, reason))

    async def _close(
        self,
        conversation: Conversation,
        user_id: str,
        kind: _Kind,
        reason: _Reason | None,
    ) -> None:
        await self._end(conversation)
        self._emit(kind, user_id, reason)

    @staticmethod
    async def _end(conversation: Conversation) -> None:
        try:
            await conversation.__aexit__(None, None, None)
        except Exception as failure:  # the type only: the message may carry IDs
            _log.warning("pool: could not delete a session (%s)", type(failure).__name__)

    def _emit(self, kind: _Kind, user_id: str, reason: _Reason | None) -> None:
        users = len(self._entries)
        if kind == "evicted":
            _log.info("pool: conversation evicted (%s); %d users", reason, users)
        else:
            _log.debug("pool: conversation %s; %d users", kind, users)
        if self._on_event is not None:
            try:
                self._on_event(PoolEvent(kind, user_id, reason, users))
            except Exception:
                _log.exception("on_event failed on a PoolEvent")

    # --- idle eviction -----------------------------------------------------------

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = self._spawn(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            delay = self._sweep()
            if delay is None:  # nobody idle: wait until someone is
                self._idle.clear()
                await self._idle.wait()
            else:
                await self._sleep(delay)

    def _sweep(self) -> float | None:
        """Evict the users idle for ``idle_timeout``; the seconds until the next one
        is due (``None``: nobody is idle)."""
        now = self._clock()
        for user_id, entry in list(self._entries.items()):
            if entry.holders or entry.conversation is None:
                continue
            due = entry.idle_since + self._idle_timeout
            if due > now:
                return due - now  # the users after it became idle later
            self._retire(user_id, "evicted", "idle")
        return None

    # --- lifecycle -------------------------------------------------------------

    async def aclose(self) -> None:
        """End every conversation (concurrently) and stop the pool's tasks; returns once
        every session is deleted. Safe to call twice."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        for user_id in list(self._entries):
            self._retire(user_id, "closed", None)
        while self._tasks:  # closings, and openings under way (they end what they open)
            await asyncio.wait(set(self._tasks))
