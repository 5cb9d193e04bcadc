"""``async with`` for the package's resources: one ``__aenter__``/``__aexit__`` pair.

:class:`AsyncClosing` is for objects that are open once made and released by
``aclose()`` (the client, streamed responses); :class:`AsyncServing` for servers that
``start()`` on the way in and ``stop()`` on the way out (the fakes of ``testing``).
"""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

__all__ = ["AsyncClosing", "AsyncServing"]

_C = TypeVar("_C", bound="AsyncClosing")
_S = TypeVar("_S", bound="AsyncServing")


class AsyncClosing:
    """``async with obj:`` gives ``obj`` and awaits ``obj.aclose()`` on the way out."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncServing(AsyncClosing):
    """``async with obj:`` awaits ``obj.start()``, gives ``obj``, then awaits ``obj.stop()``."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        """The same as :meth:`stop`."""
        await self.stop()

    async def __aenter__(self: _S) -> _S:
        await self.start()
        return self
