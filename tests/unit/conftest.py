"""Unit tests run without a network: no test here may bind or connect a socket.

Anything that needs a server (FakeAssistant, the fault server, a proxy, a subprocess
talking over loopback) belongs in ``tests/integration/``. The event loop's own
``socketpair`` is neither a bind nor a connect, so it is unaffected.
"""

from __future__ import annotations

import socket
from typing import Any, NoReturn

import pytest


def _refuse(what: str) -> Any:
    def refuse(self: socket.socket, *args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(
            f"a unit test tried to {what} a socket {args!r}; tests that talk to a server "
            "belong in tests/integration/"
        )

    return refuse


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("bind", "connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, _refuse(name))
