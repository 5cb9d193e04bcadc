"""Connection settings a client shares with its token requests: TLS and proxies
(explicit, or from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``).
"""

from __future__ import annotations

import os
import ssl
import urllib.request

import attrs
from yarl import URL


def _hide_password(proxy: str | None) -> str:
    if proxy is None:
        return "None"
    try:
        url = URL(proxy)
    except ValueError:
        return "'<unparsable>'"
    return repr(str(url.with_password("***")) if url.password is not None else proxy)


@attrs.frozen(slots=True)
class ConnectionSettings:
    """How a transport reaches a server: TLS verification, CA bundle and proxy.

    The client builds its transport from these and hands them to a token
    authenticator, so token requests travel the same way as service calls.
    """

    verify_ssl: bool = True
    ca_bundle: str | ssl.SSLContext | None = None
    proxy: str | None = attrs.field(default=None, repr=_hide_password)
    """Every request goes through this proxy; the environment is not consulted."""
    proxy_from_env: bool = True
    """Without ``proxy``: use ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``."""

    def __attrs_post_init__(self) -> None:
        if not self.verify_ssl and self.ca_bundle is not None:
            raise ValueError("ca_bundle has no effect with TLS verification disabled")
        if isinstance(self.ca_bundle, str) and not os.path.isfile(self.ca_bundle):
            raise ValueError(f"ca_bundle {self.ca_bundle!r} is not a file")
        if self.proxy is not None and (
            not isinstance(self.proxy, str) or not self.proxy.startswith(("http://", "https://"))
        ):
            raise ValueError("proxy must be a URL starting with http:// or https://")


def env_proxy(url: URL) -> str | None:
    """The proxy the environment names for ``url``, or ``None``.

    The rules of Python's ``urllib`` (which requests and aiohttp follow too):
    ``https_proxy`` / ``HTTPS_PROXY`` for ``https://`` URLs, ``http_proxy`` /
    ``HTTP_PROXY`` for ``http://`` ones (the lower-case spelling first), none for a
    host that ``no_proxy`` / ``NO_PROXY`` names (a host, a domain suffix, ``host:port``
    or ``*``); on macOS and Windows the system proxy settings when no variable is set.
    ``ALL_PROXY`` is not read. A proxy given without a scheme is taken as ``http://``.
    """
    proxy = urllib.request.getproxies().get(url.scheme)
    if not proxy:
        return None
    host = url.host
    if host is not None:
        if url.explicit_port is not None:
            host = f"{host}:{url.explicit_port}"
        if urllib.request.proxy_bypass(host):
            return None
    return proxy if "://" in proxy else "http://" + proxy
