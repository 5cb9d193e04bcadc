"""``async with`` for the package's resources: one ``__aenter__``/``__aexit__`` pair.

:class:`AsyncClosing` is for objects that are open once made and released by
``aclose()`` (the client, streamed responses); :class:`AsyncServing` for servers that
``start()`` on the way in and ``stop()`` on the way out (the fakes of ``testing``), and
that sync code can run on an event loop of their own in a thread (:meth:`in_thread`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TypeVar

__all__ = ["AsyncClosing", "AsyncExit", "AsyncServing"]

_C = TypeVar("_C", bound="AsyncClosing")
_S = TypeVar("_S", bound="AsyncServing")


class AsyncExit:
    """The one ``__aexit__``: it awaits ``self._exit(exc)`` (``exc`` is ``None`` when the
    block ended normally), so a subclass says what leaving means without restating it."""

    async def _exit(self, exc: BaseException | None) -> None:
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._exit(exc)


class AsyncClosing(AsyncExit):
    """``async with obj:`` gives ``obj`` and awaits ``obj.aclose()`` on the way out."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _C) -> _C:
        return self

    async def _exit(self, exc: BaseException | None) -> None:
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

    @contextlib.contextmanager
    def in_thread(self: _S, *, timeout: float = 30.0) -> Iterator[_S]:
        """``with server.in_thread() as server:`` serves on an event loop of its own in a
        daemon thread, for sync code: a sync test, FastAPI's ``TestClient`` (whose app
        runs on yet another loop), ``requests``/``urllib``.

        Gives the same object, started (its URLs and IDs are ready); on the way out it
        is stopped, the loop closed and the thread joined. Read what it recorded from
        the calling thread as usual; enqueue faults between requests. ``timeout``
        bounds the start and the stop (seconds); a failure to start (a port in use) is
        raised here.
        """
        started: concurrent.futures.Future[Callable[[], None]] = concurrent.futures.Future()
        thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve_until_told(started),),
            name=f"{type(self).__name__}.in_thread",
            daemon=True,
        )
        thread.start()
        try:
            stop = started.result(timeout)
        except BaseException:
            thread.join(timeout)
            raise
        try:
            yield self
        finally:
            stop()
            thread.join(timeout)

    async def _serve_until_told(
        self, started: concurrent.futures.Future[Callable[[], None]]
    ) -> None:
        """Start, hand ``started`` the (thread-safe) way to stop, and serve until then."""
        try:
            await self.start()
        except BaseException as exc:
            started.set_exception(exc)
            return
        try:
            told = asyncio.Event()
            loop = asyncio.get_running_loop()

            def tell() -> None:
                loop.call_soon_threadsafe(told.set)

            started.set_result(tell)
            await told.wait()
        finally:
            await self.stop()
