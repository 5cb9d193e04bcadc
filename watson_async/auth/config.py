"""External configuration the IBM way: credentials file, environment, ``VCAP_SERVICES``.

IBM's SDKs read a service's settings from prefixed keys (``ASSISTANT_APIKEY``,
``ASSISTANT_URL``, ...). :func:`read_external_config` looks in these sources, in order,
and takes **all** values from the first one that has any key for the service (sources
are never merged):

1. a credentials file: ``$IBM_CREDENTIALS_FILE`` if set, else ``./ibm-credentials.env``,
   else ``~/ibm-credentials.env``;
2. environment variables;
3. ``VCAP_SERVICES`` (Cloud Foundry), matched by service ``name``, then by service key.

:func:`authenticator_from_config` turns the result into an
:class:`~watson_async.auth.Authenticator`. Secret values never appear in a ``repr`` or
an exception message.
"""

from __future__ import annotations

import json
import os
import re
import types
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from watson_async.auth import (
    Authenticator,
    BasicAuthenticator,
    BearerTokenAuthenticator,
    IAMAuthenticator,
    NoAuthAuthenticator,
)
from watson_async.auth._token import TokenCache

__all__ = [
    "ASSISTANT_ID_KEY",
    "AUTH_TYPES",
    "ENVIRONMENT_ID_KEY",
    "ServiceConfig",
    "authenticator_from_config",
    "key_prefix",
    "read_external_config",
]

CREDENTIALS_FILE_NAME = "ibm-credentials.env"

AUTH_TYPES = ("iam", "bearerToken", "basic", "cp4d", "noAuth")
"""Auth types watson_async builds, spelled as IBM spells them (matched case-insensitively)."""

_AUTH_TYPES_BY_LOWER = {name.lower(): name for name in AUTH_TYPES}
# Recognised by ibm-cloud-sdk-core but not implemented here.
_UNSUPPORTED_AUTH_TYPES = {
    name.lower(): name for name in ("container", "vpc", "mcsp", "mcspv2", "iamAssume")
}
_BOOLEAN_KEYS = ("DISABLE_SSL", "AUTH_DISABLE_SSL", "ENABLE_GZIP")
_SECRET_WORDS = ("APIKEY", "PASSWORD", "SECRET", "TOKEN")
_SHOWABLE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _is_secret_key(key: str) -> bool:
    upper = key.upper()
    return any(word in upper for word in _SECRET_WORDS)


def key_prefix(service_name: str) -> str:
    """The prefix of ``service_name``'s keys: ``"assistant"`` → ``ASSISTANT_``."""
    if not isinstance(service_name, str) or not service_name.strip():
        raise ValueError("service_name must be a non-empty string")
    return service_name.strip().upper().replace("-", "_").replace(" ", "_") + "_"


def _freeze(values: Mapping[str, str]) -> Mapping[str, str]:
    return types.MappingProxyType(dict(values))


def _values_repr(values: Mapping[str, str]) -> str:
    shown = ", ".join(
        f"{key!r}: {'<hidden>' if _is_secret_key(key) else repr(value)}"
        for key, value in values.items()
    )
    return "{" + shown + "}"


@attrs.frozen(repr=False)
class ServiceConfig:
    """The configuration found for one service, with the service prefix removed.

    ``values`` holds the raw strings keyed without the prefix (``"APIKEY"``, ``"URL"``,
    ``"AUTH_TYPE"``, ...). Booleans and the auth type are checked when the config is
    built, so the properties below do not raise.
    """

    source: str
    """Where the values came from: ``"credentials file <path>"``, ``"environment"`` or
    ``"VCAP_SERVICES"``."""
    values: Mapping[str, str] = attrs.field(converter=_freeze, hash=False)
    prefix: str = "ASSISTANT_"
    """The key prefix, used to name keys in error messages (``ASSISTANT_APIKEY``)."""

    def __attrs_post_init__(self) -> None:
        for key in _BOOLEAN_KEYS:
            self._bool(key)
        _ = self.auth_type

    def __repr__(self) -> str:
        return (
            f"ServiceConfig(source={self.source!r}, values={_values_repr(self.values)}, "
            f"prefix={self.prefix!r})"
        )

    def get(self, key: str) -> str | None:
        """The value of ``key`` (no prefix), or ``None`` if unset or blank."""
        value = self.values.get(key)
        if value is None or not value.strip():
            return None
        return value

    def key(self, key: str) -> str:
        """The full name of ``key``, as the user would set it (``ASSISTANT_APIKEY``)."""
        return self.prefix + key

    @property
    def url(self) -> str | None:
        """The service URL (``URL``), or ``None``."""
        value = self.get("URL")
        return value.strip() if value is not None else None

    @property
    def disable_ssl(self) -> bool:
        """``DISABLE_SSL``: skip TLS verification for calls to the service."""
        return self._bool("DISABLE_SSL")

    @property
    def enable_gzip(self) -> bool:
        """``ENABLE_GZIP``: gzip request bodies (the client's ``gzip_requests``)."""
        return self._bool("ENABLE_GZIP")

    @property
    def auth_disable_ssl(self) -> bool:
        """``AUTH_DISABLE_SSL``: skip TLS verification for token requests."""
        return self._bool("AUTH_DISABLE_SSL")

    @property
    def auth_type(self) -> str:
        """The auth type in IBM's spelling (``"iam"``, ``"bearerToken"``, ...).

        ``AUTH_TYPE`` (or the older ``AUTHTYPE``), matched case-insensitively; ``"iam"``
        when neither is set.
        """
        raw = self.get("AUTH_TYPE") or self.get("AUTHTYPE")
        if raw is None:
            return "iam"
        name = raw.strip()
        known = _AUTH_TYPES_BY_LOWER.get(name.lower())
        if known is not None:
            return known
        where = f"{self.key('AUTH_TYPE')} (from {self.source})"
        unsupported = _UNSUPPORTED_AUTH_TYPES.get(name.lower())
        if unsupported is not None:
            raise ValueError(
                f"{where}: auth type {unsupported!r} is not supported by watson_async; "
                f"use one of: {', '.join(AUTH_TYPES)}"
            )
        shown = repr(name) if _SHOWABLE.fullmatch(name) else "<value hidden>"
        raise ValueError(f"{where}: unknown auth type {shown}; valid: {', '.join(AUTH_TYPES)}")

    def _bool(self, key: str) -> bool:
        value = self.get(key)
        if value is None:
            return False
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise ValueError(f"{self.key(key)} (from {self.source}) must be 'true' or 'false'")


# --- reading -----------------------------------------------------------------------


ASSISTANT_ID_KEY = "ID"
"""The key (after the prefix: ``ASSISTANT_ID``) naming the assistant: read by the ``chat``
and ``loadtest`` commands, written by ``FakeAssistant.environ()``."""

ENVIRONMENT_ID_KEY = "ENVIRONMENT_ID"
"""The key (``ASSISTANT_ENVIRONMENT_ID``) naming the assistant's environment."""

#: Keys that name an assistant rather than configure the service: they never make a
#: source count as found.
_NOT_SETTINGS = frozenset({ASSISTANT_ID_KEY, ENVIRONMENT_ID_KEY})


def _with_prefix(items: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {
        key[len(prefix) :]: value
        for key, value in items.items()
        if key.startswith(prefix)
        and len(key) > len(prefix)
        and key[len(prefix) :] not in _NOT_SETTINGS
    }


def _credentials_file(environ: Mapping[str, str], cwd: Path, home: Path) -> Path | None:
    explicit = environ.get("IBM_CREDENTIALS_FILE")
    if explicit:
        path = Path(explicit)
        if not path.is_absolute():
            path = cwd / path
        if not path.is_file():
            raise ValueError(f"IBM_CREDENTIALS_FILE points to {path}, which is not a file")
        return path
    for directory in (cwd, home):
        path = directory / CREDENTIALS_FILE_NAME
        if path.is_file():
            return path
    return None


def _read_credentials_file(path: Path, prefix: str) -> dict[str, str]:
    """``KEY=VALUE`` lines; others (comments, blanks, no ``=``) are ignored, as IBM does."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"credentials file {path} is not valid UTF-8") from None
    except OSError as exc:
        raise ValueError(f"credentials file {path} cannot be read: {exc.strerror}") from None
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        key = key.strip()
        if (
            key.startswith(prefix)
            and len(key) > len(prefix)
            and key[len(prefix) :] not in _NOT_SETTINGS
        ):
            found[key[len(prefix) :]] = value.strip()
    return found


def _read_vcap(raw: str, service_name: str) -> dict[str, str]:
    try:
        services = json.loads(raw)
    except ValueError:
        raise ValueError("VCAP_SERVICES is not valid JSON") from None
    if not isinstance(services, dict):
        raise ValueError("VCAP_SERVICES must be a JSON object")
    credentials: object = None
    # 1. an entry whose "name" is the service name, in any service list
    for entries in services.values():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict) and entry.get("name") == service_name:
                credentials = entry.get("credentials")
                if isinstance(credentials, dict) and credentials:
                    break
        if isinstance(credentials, dict) and credentials:
            break
    # 2. the first entry of the list keyed by the service name
    if not isinstance(credentials, dict) or not credentials:
        entries = services.get(service_name)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            credentials = entries[0].get("credentials")
    if not isinstance(credentials, dict):
        return {}

    def text(name: str) -> str | None:
        value = credentials.get(name)
        return value if isinstance(value, str) and value else None

    found: dict[str, str] = {}
    username, password = text("username"), text("password")
    apikey = text("iam_apikey") or text("apikey")
    if username and password:
        found.update(AUTH_TYPE="basic", USERNAME=username, PASSWORD=password)
    elif apikey:
        found.update(AUTH_TYPE="iam", APIKEY=apikey)
    url = text("url")
    if url:
        found["URL"] = url
    return found


def read_external_config(
    service_name: str = "assistant",
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> ServiceConfig:
    """Find the configuration of ``service_name`` the way IBM's SDKs do.

    Keys are ``service_name`` upper-cased with ``-`` as ``_``, plus ``_``
    (``"assistant"`` → ``ASSISTANT_APIKEY``). The first source with any such key
    supplies every value; see the module docs for the order.

    ``environ``, ``cwd`` and ``home`` default to :data:`os.environ`, the working
    directory and the home directory.

    Raises :class:`ValueError` if ``$IBM_CREDENTIALS_FILE`` names a missing file,
    ``VCAP_SERVICES`` is malformed, a value is invalid, or nothing is configured.
    """
    prefix = key_prefix(service_name)
    env = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    home = Path.home() if home is None else home

    path = _credentials_file(env, cwd, home)
    if path is not None:
        values = _read_credentials_file(path, prefix)
        if values:
            return ServiceConfig(f"credentials file {path}", values, prefix)

    values = _with_prefix(env, prefix)
    if values:
        return ServiceConfig("environment", values, prefix)

    vcap = env.get("VCAP_SERVICES")
    if vcap and vcap.strip():
        values = _read_vcap(vcap, service_name)
        if values:
            return ServiceConfig("VCAP_SERVICES", values, prefix)

    looked = f"{path}, " if path is not None else ""
    raise ValueError(
        f"no configuration found for service {service_name!r}: looked in {looked}"
        f"environment variables {prefix}* and VCAP_SERVICES; set {prefix}APIKEY and "
        f"{prefix}URL, for example"
    )


# --- building the authenticator -------------------------------------------------------


def _require(config: ServiceConfig, key: str, auth_type: str) -> str:
    value = config.get(key)
    if value is None:
        hint = ""
        if (
            auth_type == "iam"
            and config.get("AUTH_TYPE") is None
            and config.get("AUTHTYPE") is None
        ):
            hint = f"; or set {config.key('AUTH_TYPE')} to one of: {', '.join(AUTH_TYPES)}"
        raise ValueError(
            f"{config.key(key)} is required for auth type {auth_type} (from {config.source})" + hint
        )
    return value


def authenticator_from_config(
    config: ServiceConfig, *, token_cache: TokenCache | None = None
) -> Authenticator:
    """Build the authenticator ``config`` describes (``AUTH_TYPE``, default ``iam``).

    ``token_cache`` (e.g. :class:`watson_async.redis.RedisTokenCache`) is given to the
    token authenticators (``iam``, ``cp4d``); with any other auth type it is a
    ``ValueError``, since nothing would use it. Raises :class:`ValueError` naming the
    full key (``ASSISTANT_APIKEY``) when a required value is missing or values contradict
    each other.
    """
    auth_type = config.auth_type
    if token_cache is not None and auth_type not in _TOKEN_TYPES:
        raise ValueError(
            f"token_cache works with auth types {' and '.join(_TOKEN_TYPES)}, not "
            f"{auth_type} (from {config.source})"
        )
    factory = _factory(config, auth_type, token_cache)
    try:
        return factory()
    except ValueError as exc:
        # The authenticators' own messages name the argument and never hold its value.
        raise ValueError(
            f"invalid {auth_type} configuration (from {config.source}): {exc}"
        ) from None


# The auth types whose authenticators fetch tokens, and so can share them.
_TOKEN_TYPES = ("iam", "cp4d")


def _factory(
    config: ServiceConfig, auth_type: str, token_cache: TokenCache | None
) -> Callable[[], Authenticator]:
    """Check the keys ``auth_type`` needs; return what builds the authenticator."""
    if auth_type == "noAuth":
        return NoAuthAuthenticator
    if auth_type == "bearerToken":
        token = _require(config, "BEARER_TOKEN", auth_type)
        return lambda: BearerTokenAuthenticator(token)
    if auth_type == "basic":
        username = _require(config, "USERNAME", auth_type)
        password = _require(config, "PASSWORD", auth_type)
        return lambda: BasicAuthenticator(username, password)
    disable_ssl = config.auth_disable_ssl
    if auth_type == "cp4d":
        auth_url = _require(config, "AUTH_URL", auth_type)
        username = _require(config, "USERNAME", auth_type)
        cp4d_password, cp4d_apikey = config.get("PASSWORD"), config.get("APIKEY")
        if (cp4d_password is None) == (cp4d_apikey is None):
            raise ValueError(
                f"exactly one of {config.key('PASSWORD')} or {config.key('APIKEY')} is "
                f"required for auth type cp4d (from {config.source})"
            )

        def cp4d() -> Authenticator:
            from watson_async.auth import CloudPakForDataAuthenticator

            return CloudPakForDataAuthenticator(
                auth_url,
                username,
                cp4d_password,
                apikey=cp4d_apikey,
                disable_ssl_verification=disable_ssl,
                token_cache=token_cache,
            )

        return cp4d
    # iam (auth_type is validated by ServiceConfig)
    apikey = _require(config, "APIKEY", auth_type)
    client_id, client_secret = config.get("CLIENT_ID"), config.get("CLIENT_SECRET")
    if (client_id is None) != (client_secret is None):
        raise ValueError(
            f"{config.key('CLIENT_ID')} and {config.key('CLIENT_SECRET')} must be set together "
            f"(from {config.source})"
        )
    auth_url_or_none, scope = config.get("AUTH_URL"), config.get("SCOPE")
    return lambda: IAMAuthenticator(
        apikey,
        url=auth_url_or_none,
        client_id=client_id,
        client_secret=client_secret,
        scope=scope,
        disable_ssl_verification=disable_ssl,
        token_cache=token_cache,
    )
