"""Parts of a reply typed on their first read.

Typing a 2.3 KB message reply is most of what the client costs over raw aiohttp, and
much of it goes to parts most callers never read: a stateful reply's ``context`` and
each recognised entity. A model that declares ``__watson_deferred__ = True`` is
therefore typed on first read when :func:`deferring` is on (``protocol.service.parse``
turns it on for the reply it parses): its structure hook keeps the JSON object and
returns an instance of a private subclass (same name, ``isinstance`` of the model) with
only that object stored (in its ``extra`` slot, with the origin). The first read of a
field makes it a plain instance of the model (``__class__`` is assigned: the subclass
adds no slots, so the layouts are the same) and types the object into it with the
model's own generated function (``into``). From then on it is the model's instance in
every way, at full attribute speed. A model worth deferring costs much more to type
than a stand-in (about 200 ns): not a small one such as ``RuntimeIntent``.

A part that doesn't fit its model raises on that first read what ``origin`` gives (the
parser's :class:`~watson_async.ResponseParseError`, with the status, headers and
transaction ID of the response and the part's JSON as its body: a stand-in keeps no
reference to the whole body), and stays unread, so every later read raises the same.
Equality, ``repr``, ``to_dict()``, ``attrs.evolve``, ``copy`` and ``pickle`` all read the
fields first, so they see the typed values.

Outside :func:`deferring` (``Model.from_dict``, the fake, webhooks) every hook types at
once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import attrs

__all__ = ["Origin", "deferral", "deferred_hook", "deferring", "is_deferred"]

_Hook = Callable[[Any, Any], Any]
#: What a deferred part that fails to type raises: ``origin(model, error, json)``.
Origin = Callable[[type, Exception, Any], Exception]


class _State(threading.local):
    origin: Origin | None = None


#: This thread's setting: ``deferral.origin`` is what :func:`deferring` sets (the parser
#: sets and restores it in place, two calls less per reply).
deferral = _State()


def deferring(origin: Origin | None) -> Origin | None:
    """From now on in this thread, models that allow it are typed on first read (and
    fail with ``origin(model, error, json)``); ``None`` types everything at once. Returns
    the previous setting, to restore."""
    previous = deferral.origin
    deferral.origin = origin
    return previous


def is_deferred(obj: Any) -> bool:
    """Whether ``obj`` is a model instance not typed yet (for tests and ``repr``-free
    inspection: reading any field types it)."""
    return getattr(type(obj), "__watson_deferred_model__", None) is not None


def deferred_hook(cls: type, structure: _Hook, into: Callable[[Any, Any, Any], Any]) -> _Hook:
    """The structure hook of ``cls`` that defers to its first read what ``structure``
    (the model's own hook) does, while :func:`deferring` is on; ``into(instance, o, _)``
    is the same function filling an instance of ``cls`` it is given."""
    # The slots themselves (what ``self.name`` would go through the stand-in's hooks for).
    # ``extra`` holds the pending JSON and its origin until the first read.
    pending_slot: Any = getattr(cls, "extra")  # noqa: B009 - the slot descriptor
    get_pending, set_pending = pending_slot.__get__, pending_slot.__set__
    slots = tuple(getattr(cls, a.name) for a in attrs.fields(cls))
    field_names = frozenset(a.name for a in attrs.fields(cls))
    setattr_, getattribute = object.__setattr__, object.__getattribute__

    def materialise(self: Any) -> None:
        try:
            pending = get_pending(self, cls)
        except AttributeError:  # made by a constructor (attrs.evolve): nothing pending
            pending = None
        setattr_(self, "__class__", cls)  # first, so that ``into`` sets plain slots
        if type(pending) is tuple:
            try:
                into(self, pending[0], cls)
            except Exception as exc:
                failed(self, pending, exc)

    def failed(self: Any, pending: tuple[Any, Origin], exc: Exception) -> NoReturn:
        for slot in slots:  # unread again: every later read raises the same
            with contextlib.suppress(AttributeError):
                slot.__delete__(self)
        set_pending(self, pending)
        setattr_(self, "__class__", deferred_cls)
        raise pending[1](cls, exc, pending[0]) from exc

    def __getattribute__(self: Any, name: str) -> Any:
        if name in field_names:  # the first read of a field: materialise(self), inline
            pending = get_pending(self, cls)
            setattr_(self, "__class__", cls)
            if type(pending) is tuple:
                try:
                    into(self, pending[0], cls)
                except Exception as exc:
                    failed(self, pending, exc)
        return getattribute(self, name)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        materialise(self)
        setattr_(self, name, value)

    def __delattr__(self: Any, name: str) -> None:
        materialise(self)
        object.__delattr__(self, name)

    def __eq__(self: Any, other: object) -> bool:
        materialise(self)
        return bool(self == other)

    def __reduce_ex__(self: Any, protocol: Any) -> Any:
        materialise(self)
        return self.__reduce_ex__(protocol)

    namespace = {
        "__slots__": (),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "__watson_deferred_model__": cls,
        "__getattribute__": __getattribute__,
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
        "__eq__": __eq__,
        "__hash__": None,
        "__reduce_ex__": __reduce_ex__,
    }
    deferred_cls = type(cls.__name__, (cls,), namespace)
    new = object.__new__
    state = deferral

    def structure_deferred(o: Any, _: Any) -> Any:
        origin = state.origin
        if origin is None or type(o) is not dict:
            return structure(o, _)
        self: Any = new(deferred_cls)
        set_pending(self, (o, origin))
        return self

    structure_deferred.__wrapped__ = structure  # type: ignore[attr-defined]
    return structure_deferred
