"""Test-only shim: aioresponses 0.7.9 predates aiohttp 3.14's ``stream_writer`` argument.

``ClientResponse.__init__`` gained a required ``stream_writer`` keyword in aiohttp 3.14;
aioresponses builds responses without it. Patch in a subclass that supplies a dummy one
(the mocked response never writes). Nothing here ships in the package.
"""

from __future__ import annotations

import inspect
from typing import Any
from unittest import mock

import aiohttp
import aioresponses.core as _core


def _needs_shim() -> bool:
    params = inspect.signature(aiohttp.ClientResponse.__init__).parameters
    return "stream_writer" in params and params["stream_writer"].default is inspect.Parameter.empty


class _ShimResponse(aiohttp.ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", mock.Mock())
        super().__init__(*args, **kwargs)


if _needs_shim():
    _original_build = _core.RequestMatch._build_response

    def _build_response(self: Any, *args: Any, **kwargs: Any) -> Any:
        # aioresponses passes the session's response class (plain ClientResponse).
        if kwargs.get("response_class") in (None, aiohttp.ClientResponse):
            kwargs["response_class"] = _ShimResponse
        return _original_build(self, *args, **kwargs)

    _core.RequestMatch._build_response = _build_response  # type: ignore[method-assign]
