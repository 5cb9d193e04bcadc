"""Conversations: an assistant handle bound to its IDs, and turn-by-turn helpers on top.

``client.assistant(assistant_id, environment_id)`` gives an :class:`Assistant`, the
runtime methods without the repeated IDs. On top of it:

* :class:`Conversation` (``async with assistant.conversation() as conv``) owns one
  stateful session: created on enter, deleted on exit, renewed transparently when it
  expires (optionally carrying the dialog state over), with ``user_id`` and analytics
  sent on every turn;
* :class:`ConversationPool` (``assistant.conversation_pool()``) keeps one
  :class:`Conversation` per user ID for web backends: one turn at a time per user,
  idle users evicted, bounded size, every session deleted on close;
* :class:`StatelessConversation` threads the ``context`` of ``message_stateless`` from
  turn to turn and serializes to JSON between HTTP requests.

See ``docs/conversations.md`` and ``docs/backends.md``.
"""

from ..errors import PoolFullError
from ._assistant import Assistant, StatelessConversation
from ._common import EventHook, Renewal, Turn
from ._pool import ConversationPool, PoolEvent
from ._stateful import Conversation

__all__ = [
    "Assistant",
    "Conversation",
    "ConversationPool",
    "EventHook",
    "PoolEvent",
    "PoolFullError",
    "Renewal",
    "StatelessConversation",
    "Turn",
]
