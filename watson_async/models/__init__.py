"""Typed models of the Watson Assistant v2 API (attrs classes, one cattrs converter).

Every model has ``Model.from_dict(data)`` and ``model.to_dict()``; see
``docs/architecture.md`` for the conventions. Class names follow ibm-watson 11.x.

The modules are loaded on first use of one of their names (PEP 562): a program that only
sends messages never builds the authoring models. Type checkers read the imports below.
"""

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import *
    from .assistants import *
    from .bulk_classify import *
    from .common import *
    from .context import *
    from .environments import *
    from .generic import *
    from .log_messages import *
    from .logs import *
    from .message import *
    from .providers import *
    from .releases import *
    from .session import *
    from .skills import *
    from .stream import *
    from .turn_events import *

#: The modules whose ``__all__`` this package re-exports, in order.
_MODULES = (
    "_base",
    "assistants",
    "bulk_classify",
    "common",
    "context",
    "environments",
    "generic",
    "log_messages",
    "logs",
    "message",
    "providers",
    "releases",
    "session",
    "skills",
    "stream",
    "turn_events",
)


def __getattr__(name: str) -> Any:
    """Load the module that exports ``name`` (``__all__``: every module) on first use."""
    if name == "__all__":
        exported = [n for m in _MODULES for n in _module(m).__all__]
        globals()["__all__"] = exported
        return exported
    if name.startswith("_"):  # a probe (``__wrapped__``, ``__path__``...): no model
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for module in sorted(_MODULES, key=lambda m: f"{__name__}.{m}" not in sys.modules):
        loaded = _module(module)
        if name in loaded.__all__:
            value = getattr(loaded, name)
            globals()[name] = value  # later lookups don't come here
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})


def _module(name: str) -> Any:
    return importlib.import_module(f"{__name__}.{name}")
