"""Finding a secret anywhere an error reporter could look.

:func:`leaks` walks what a traceback renderer with locals (the standard library's
``capture_locals``, rich, Sentry) would print for an exception: its message, ``repr``,
``args`` and attributes, ``__cause__``, ``__context__`` and notes, recursively, and the
local variables of every frame in every traceback on the way, looking into containers
and attrs instances as rich does and taking ``repr()`` of everything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from watson_async.protocol.secret import SecretBytes, SecretStr

_TESTS = os.path.dirname(os.path.abspath(__file__))


def _texts(root: BaseException) -> Iterator[tuple[str, str]]:
    seen: set[int] = set()
    stack: list[tuple[Any, str, int]] = [(root, "error", 0)]
    while stack:
        obj, path, depth = stack.pop()
        if id(obj) in seen or depth > 12:
            continue
        seen.add(id(obj))
        if isinstance(obj, (SecretStr, SecretBytes)):
            yield path, repr(obj)
        elif isinstance(obj, str):
            yield path, obj
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            yield path, bytes(obj).decode("latin-1")
        elif isinstance(obj, BaseException):
            yield f"{path} str", str(obj)
            yield f"{path} repr", repr(obj)
            children: list[tuple[Any, str]] = [(a, f"{path}.args") for a in obj.args]
            children += [(v, f"{path}.{k}") for k, v in vars(obj).items()]
            children += [(n, f"{path} note") for n in getattr(obj, "__notes__", ())]
            children += [(obj.__cause__, f"{path}.__cause__")]
            children += [(obj.__context__, f"{path}.__context__")]
            tb = obj.__traceback__
            while tb is not None:
                frame = tb.tb_frame
                if not frame.f_code.co_filename.startswith(_TESTS):
                    where = f"{path} frame {frame.f_code.co_name}"
                    children += [(v, f"{where}.{k}") for k, v in frame.f_locals.items()]
                tb = tb.tb_next
            stack += [(c, p, depth + 1) for c, p in children if c is not None]
        elif isinstance(obj, Mapping):
            yield f"{path} repr", repr(obj)
            for key, value in list(obj.items()):
                stack.append((key, f"{path} key", depth + 1))
                stack.append((value, f"{path}[{key!r}]", depth + 1))
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack += [(item, f"{path}[]", depth + 1) for item in obj]
        elif attrs.has(type(obj)):
            for field in attrs.fields(type(obj)):
                stack.append((getattr(obj, field.name, None), f"{path}.{field.name}", depth + 1))
        else:
            yield f"{path} repr", repr(obj)


def leaks(error: BaseException, secrets: Iterable[str]) -> list[str]:
    """Where any of ``secrets`` can be read from ``error`` (empty: nowhere)."""
    wanted = [s for s in secrets if s]
    return [
        f"{path}: {secret!r}" for path, text in _texts(error) for secret in wanted if secret in text
    ]
