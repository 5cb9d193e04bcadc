"""Secrets that stay themselves on the wire and redacted everywhere else.

A header value or body that carries a credential (API key, token, password, client
secret) is wrapped in :class:`SecretStr` or :class:`SecretBytes` before it enters the
request path. They are ``str`` and ``bytes`` to every HTTP library, so nothing has to
unwrap them, but their ``repr`` is ``'<redacted>'``. That is what error reporters and
traceback renderers (the standard library's ``capture_locals``, rich, Sentry) print for
frame locals, containers holding them and attrs fields; a slice, which rich takes of a
long string before printing it, is redacted too.
"""

from __future__ import annotations

from typing import Any, SupportsIndex, overload

__all__ = ["REDACTED", "SecretBytes", "SecretStr", "secret_header"]

REDACTED = "<redacted>"


class SecretStr(str):
    """A ``str`` whose ``repr`` (and every slice's) hides the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(REDACTED)

    @overload
    def __getitem__(self, key: SupportsIndex) -> str: ...
    @overload
    def __getitem__(self, key: slice) -> str: ...
    def __getitem__(self, key: Any) -> str:
        return SecretStr(str.__getitem__(self, key))

    def __reduce__(self) -> Any:
        raise TypeError("a secret is not pickled")


class SecretBytes(bytes):
    """A ``bytes`` whose ``repr`` (and every slice's) hides the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"b{REDACTED!r}"

    @overload
    def __getitem__(self, key: SupportsIndex) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...
    def __getitem__(self, key: Any) -> Any:
        part = bytes.__getitem__(self, key)
        return SecretBytes(part) if isinstance(part, bytes) else part

    def __reduce__(self) -> Any:
        raise TypeError("a secret is not pickled")


def secret_header(value: str | None) -> str | None:
    """``value`` as a :class:`SecretStr` (``None`` stays ``None``)."""
    if value is None or type(value) is SecretStr:
        return value
    return SecretStr(value)
