"""RedisTokenCache without a server: construction, secrets, degradation to the
authenticator's own fetch when Redis fails or hangs."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any

import pytest
import redis.exceptions

from watson_async.redis import RedisTokenCache


class BrokenRedis:
    """Every command fails (or hangs) like an unreachable Redis."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.calls = 0
        self.closed = False

    async def _fail(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.error is None:
            await asyncio.Event().wait()  # never answers
        raise self.error  # type: ignore[misc]

    get = set = eval = _fail

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.parametrize("namespace", ["", "   ", "a b", "a\nb", "tab\there", 3, None, b"ns"])
def test_a_bad_namespace_is_a_value_error(namespace: Any) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisTokenCache(BrokenRedis(), namespace=namespace)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="namespace"):
        RedisTokenCache.from_url("redis://127.0.0.1:6379/0", namespace=namespace)


@pytest.mark.parametrize("url", ["http://127.0.0.1", "redis://host:notaport", "nonsense"])
def test_a_malformed_url_is_a_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="Redis URL"):
        RedisTokenCache.from_url(url)


def test_repr_shows_the_namespace_only() -> None:
    cache = RedisTokenCache.from_url("redis://:hunter2@127.0.0.1:6379/0", namespace="fleet")
    assert repr(cache) == "RedisTokenCache(namespace='fleet')"


def test_keys_hold_a_hash_not_the_secret() -> None:
    cache = RedisTokenCache(BrokenRedis(), namespace="ns")
    token_key, lease_key = cache._keys(("https://iam", "my-api-key", "", ""))
    assert token_key.startswith("ns:token:")
    assert lease_key.startswith("ns:lease:")
    assert "my-api-key" not in token_key + lease_key
    assert cache._keys(("https://iam", "other-key", "", ""))[0] != token_key


async def _fetch() -> tuple[str, float, float | None]:
    return "the-token", 3600.0, None


@pytest.mark.parametrize(
    "error",
    [redis.exceptions.ConnectionError("down"), OSError("unreachable"), None],
    ids=["redis-error", "os-error", "hangs"],
)
async def test_a_failing_redis_falls_back_to_the_own_fetch(
    error: BaseException | None, caplog: pytest.LogCaptureFixture
) -> None:
    broken = BrokenRedis(error)
    cache = RedisTokenCache(broken, op_timeout=0.01)  # type: ignore[arg-type]
    for _ in range(3):
        await cache.invalidate(("u", "k"), "old")
        token = await cache.get_token(("u", "k"), _fetch, stale=None)
        assert token.access_token == "the-token"
        assert repr(token.access_token) == "'<redacted>'"
        assert token.lifetime == 3600.0
    assert not cache.available
    warnings = [r for r in caplog.records if r.name == "watson_async.redis"]
    assert [r.levelno for r in warnings] == [logging.WARNING]  # once per outage


async def test_a_fetch_error_is_the_callers_not_hidden() -> None:
    async def failing() -> tuple[str, float, float | None]:
        raise RuntimeError("token service down")

    cache = RedisTokenCache(BrokenRedis(redis.exceptions.ConnectionError("down")))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="token service down"):
        await cache.get_token(("u", "k"), failing, stale=None)


async def test_aclose_closes_only_what_it_owns() -> None:
    given = BrokenRedis()
    await RedisTokenCache(given).aclose()  # type: ignore[arg-type]
    assert not given.closed
    owned = RedisTokenCache.from_url("redis://127.0.0.1:6379/0")
    await owned.aclose()  # never connected: closing sends nothing
    await owned.aclose()


def test_import_watson_async_does_not_import_redis() -> None:
    code = "import sys, watson_async; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
