"""A fleet of load-test processes (``loadtest --processes N``): how the run's totals are
split between them, and what they share through Redis (``--redis URL``).

Imports redis only when sharing is asked for (the ``redis`` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import attrs

from ._config import LoadTestConfig

if TYPE_CHECKING:
    from ..redis import RedisRateLimitGate, RedisTokenCache

__all__ = ["check_redis_url", "redis_problem", "sharing", "split"]

REDIS_HINT = 'pip install "watson-async[redis]"'


def split(config: LoadTestConfig, processes: int) -> tuple[LoadTestConfig, ...]:
    """One config per process: ``users``, ``conversations``, ``rate``, ``max_in_flight``
    and ``max_backlog`` are the fleet's totals, split as evenly as whole numbers allow
    (the first processes get one more); everything else (duration, time limit, turns,
    think time, connections and timeout per client) applies to each process as it is.
    ``ValueError`` when a total is smaller than the number of processes."""
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"processes must be a positive integer, got {processes!r}")
    if processes == 1:
        return (config,)
    if config.target == "fake" and config.fake_error_rate > 0:
        raise ValueError(
            "fake_error_rate (--fake-error-rate) injects errors next to the fake, in one "
            "process: it can't be combined with more than one process"
        )
    totals = {"conversations": config.conversations}
    if config.model == "closed":
        totals["users"] = config.users
    else:
        totals["max_in_flight"] = config.max_in_flight
        totals["max_backlog"] = config.max_backlog
    for name, total in totals.items():
        if total is not None and total < processes and name != "max_backlog":
            raise ValueError(
                f"{name} ({total}) is the fleet's total, split between the processes: "
                f"it must be at least the number of processes ({processes})"
            )
    configs = []
    for index in range(processes):
        changes: dict[str, Any] = {
            name: total // processes + (index < total % processes)
            for name, total in totals.items()
            if total is not None
        }
        if config.rate is not None:
            changes["rate"] = config.rate / processes
        configs.append(attrs.evolve(config, **changes))
    return tuple(configs)


def check_redis_url(url: str) -> None:
    """``ValueError`` for a URL redis-py can't use (before any process starts);
    ``ImportError`` naming the extra when redis-py is not installed."""
    try:
        from redis.asyncio.connection import parse_url
    except ImportError:
        raise ImportError(f"--redis needs redis-py, which is not installed: {REDIS_HINT}") from None
    try:
        parse_url(url)
    except (ValueError, TypeError) as exc:
        # Not echoed: a Redis URL may carry a password.
        raise ValueError(f"--redis is not a usable Redis URL: {exc}") from None


async def redis_problem(url: str, timeout: float = 2.0) -> str | None:
    """Why Redis at ``url`` can't be used now (``None``: it answers ``PING``)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        await asyncio.wait_for(client.ping(), timeout)
    except Exception as exc:  # any failure means: run unshared
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()
    return None


def sharing(url: str, namespace: str) -> tuple[RedisTokenCache, RedisRateLimitGate]:
    """What one process of the fleet shares through Redis at ``url``: the token cache
    and the rate-limit gate. Both are closed with ``aclose()`` by the process."""
    from ..redis import RedisRateLimitGate, RedisTokenCache

    token_cache = RedisTokenCache.from_url(url, namespace=namespace)
    gate = RedisRateLimitGate.from_url(url, namespace=namespace)
    return token_cache, gate
