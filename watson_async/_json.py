"""JSON encoding: orjson when installed (the ``speedups`` extra), else the stdlib."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["HAVE_ORJSON", "dumps", "loads"]

dumps: Callable[[Any], bytes]
loads: Callable[[bytes | str], Any]

try:
    import orjson

    HAVE_ORJSON = True

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

    loads = orjson.loads

except ImportError:  # pragma: no cover - exercised only without the extra
    HAVE_ORJSON = False
    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def dumps(obj: Any) -> bytes:
        return _encoder.encode(obj).encode()

    loads = json.loads
