"""One token for a fleet: :class:`RedisTokenCache`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as _aioredis

from watson_async.auth._token import SharedToken, TokenReply
from watson_async.protocol.secret import SecretStr
from watson_async.resilience.gates import FleetEvent

from ._base import RedisUser, check_namespace
from ._health import RedisHealth, Unavailable

__all__ = ["RedisTokenCache"]

# KEYS[1] = lease, ARGV[1] = owner: delete the lease only if we still hold it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS[1] = token, ARGV[1] = the rejected token: delete only if Redis still holds it.
_INVALIDATE = """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local ok, entry = pcall(cjson.decode, stored)
if ok and type(entry) == 'table' and entry['t'] == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTokenCache(RedisUser):
    """Shares one token between every process (and authenticator) using the same Redis.

    Give it to :class:`~watson_async.IAMAuthenticator` or
    :class:`~watson_async.CloudPakForDataAuthenticator` as ``token_cache=``. It is a
    second level behind the authenticator's own token, asked only when that one has to be
    fetched or refreshed:

    * A usable token in Redis (not the one being replaced) is taken as it is.
    * Otherwise one process of the fleet takes a lease (``SET NX PX``, released by
      compare-and-delete) and asks the token service; the others poll for its result
      every ``poll_interval`` seconds, for at most ``lease_wait`` seconds, then fetch
      themselves.
    * The token is stored with its absolute expiry, so all processes compute the same
      refresh point (each less a little jitter of its own).
    * After a 401, the shared token is removed only if Redis still holds the rejected one.
    * Keys are ``{namespace}:token:{sha256}`` and ``{namespace}:lease:{sha256}``, the
      hash over the token URL and the API key (IAM, with client id and scope) or user
      name (Cloud Pak for Data): no secret in a key.
    * When Redis is down, slow (each operation is bounded by ``op_timeout`` seconds),
      restarted or refuses a command, the authenticator fetches its own token, as
      without a cache. Redis is then left alone for ``backoff`` seconds (doubling per
      failed try, at most ``max_backoff``), so fetches don't each wait ``op_timeout``;
      the first operation after that tries again and, if it succeeds, the token is
      shared again. Leaving and rejoining are each reported once: a
      :class:`~watson_async.FleetEvent` to ``on_event`` and a ``WARNING`` / ``INFO``
      line on the ``watson_async.redis`` logger. No Redis exception reaches the caller.

    Anyone who can read the Redis keys gets a bearer token valid until it expires (at
    most the token's lifetime, an hour for IAM): protect Redis like the API key.

    The cache does not own ``redis`` (close it yourself), except when made by
    :meth:`from_url`; :meth:`aclose` closes only what it owns.
    """

    def __init__(
        self,
        redis: _aioredis.Redis,
        *,
        namespace: str = "watson_async",
        op_timeout: float = 0.5,
        lease_ttl: float = 30.0,
        lease_wait: float = 30.0,
        poll_interval: float = 0.05,
        min_remaining: float = 30.0,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        on_event: Callable[[FleetEvent], None] | None = None,
    ) -> None:
        check_namespace(namespace)
        for name, value in (
            ("lease_ttl", lease_ttl),
            ("poll_interval", poll_interval),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        if lease_wait < 0 or min_remaining < 0:
            raise ValueError("lease_wait and min_remaining must not be negative")
        health = RedisHealth(
            "token_cache",
            op_timeout=op_timeout,
            backoff=backoff,
            max_backoff=max_backoff,
            clock=clock,
            on_event=on_event,
        )
        self._use(redis, namespace, health)
        self._lease_ttl_ms = max(1, int(lease_ttl * 1000))
        self._lease_wait = lease_wait
        self._poll_interval = poll_interval
        self._min_remaining = min_remaining
        self._wall_clock = wall_clock
        self._clock = clock
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the Redis client if this cache made it (:meth:`from_url`)."""
        await self._close_owned()

    # --- the TokenCache protocol ------------------------------------------------------

    async def get_token(
        self,
        identity: tuple[str, ...],
        fetch: Callable[[], Awaitable[TokenReply]],
        *,
        stale: str | None,
    ) -> SharedToken:
        """The shared token if usable and not ``stale``, else one fetch for the fleet."""
        keys = self._keys(identity)
        try:
            return await self._shared(keys, fetch, stale)
        except Unavailable:
            return self._entry(await fetch())

    async def invalidate(self, identity: tuple[str, ...], rejected: str) -> None:
        """Remove the shared token if Redis still holds ``rejected`` (compare-and-delete)."""
        token_key, _ = self._keys(identity)
        with contextlib.suppress(Unavailable):
            await self._health.run(
                lambda: self._redis.eval(_INVALIDATE, 1, token_key, str(rejected))
            )

    # --- machinery ------------------------------------------------------------------

    def _keys(self, identity: tuple[str, ...]) -> tuple[str, str]:
        digest = hashlib.sha256("\0".join(str(p) for p in identity).encode()).hexdigest()
        return f"{self._namespace}:token:{digest}", f"{self._namespace}:lease:{digest}"

    async def _shared(
        self,
        keys: tuple[str, str],
        fetch: Callable[[], Awaitable[TokenReply]],
        stale: str | None,
    ) -> SharedToken:
        token_key, lease_key = keys
        owner = secrets.token_hex(16)
        deadline = self._clock() + self._lease_wait
        while True:
            found = self._usable(await self._health.run(lambda: self._redis.get(token_key)), stale)
            if found is not None:
                return found
            leased = await self._health.run(
                lambda: self._redis.set(lease_key, owner, nx=True, px=self._lease_ttl_ms)
            )
            if leased:
                return await self._fetch_leased(keys, owner, fetch, stale)
            if self._clock() >= deadline:
                # The holder is slow or gone: fetch, and share what we got.
                return await self._store(token_key, self._entry(await fetch()))
            await self._sleep(self._poll_interval)

    async def _fetch_leased(
        self,
        keys: tuple[str, str],
        owner: str,
        fetch: Callable[[], Awaitable[TokenReply]],
        stale: str | None,
    ) -> SharedToken:
        token_key, lease_key = keys
        try:
            # Someone may have stored a token between our read and our lease.
            found = self._usable(await self._health.run(lambda: self._redis.get(token_key)), stale)
            if found is not None:
                return found
            return await self._store(token_key, self._entry(await fetch()))
        finally:
            with contextlib.suppress(Unavailable):  # else the lease runs out by itself
                await self._health.run(lambda: self._redis.eval(_RELEASE, 1, lease_key, owner))

    async def _store(self, token_key: str, entry: SharedToken) -> SharedToken:
        ttl_ms = int(entry.remaining * 1000)
        if ttl_ms > 0:
            value = json.dumps(
                {"t": str(entry.access_token), "e": entry.expiration, "l": entry.lifetime}
            )
            # On failure the token is still good; the next fetch tries to share again.
            with contextlib.suppress(Unavailable):
                await self._health.run(lambda: self._redis.set(token_key, value, px=ttl_ms))
        return entry

    def _entry(self, reply: TokenReply) -> SharedToken:
        """A fresh reply with its absolute expiry."""
        access_token, lifetime, expiration = reply
        now = self._wall_clock()
        if expiration is None:
            expiration = now + lifetime
        return SharedToken(
            access_token=access_token,
            expiration=expiration,
            lifetime=lifetime,
            remaining=expiration - now,
        )

    def _usable(self, raw: Any, stale: str | None) -> SharedToken | None:
        """The stored token, if it is one, not ``stale`` and not about to expire."""
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            token = SecretStr(entry.pop("t"))
            expiration, lifetime = float(entry["e"]), float(entry["l"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # not ours: overwritten by the next fetch
        remaining = expiration - self._wall_clock()
        if not token or token == stale or lifetime <= 0:
            return None
        if remaining <= min(self._min_remaining, lifetime / 2):
            return None
        return SharedToken(
            access_token=token, expiration=expiration, lifetime=lifetime, remaining=remaining
        )
