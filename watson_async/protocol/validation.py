"""Argument checks every builder shares: IDs that are safe as path segments, input text,
user IDs, names and descriptions, JSON bodies and the service's size limits. Each raises
``ValueError`` naming the argument before anything could be sent."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from watson_async.models._convert import converter
from watson_async.protocol import codec as _json

__all__ = [
    "MAX_ASSISTANT_DESCRIPTION",
    "MAX_ASSISTANT_NAME",
    "MAX_STATEFUL_CONTEXT_BYTES",
    "MAX_STATELESS_CONTEXT_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_USER_ID_LENGTH",
    "check_id",
    "check_text",
    "check_user_id",
]

MAX_TEXT_LENGTH = 2048
MAX_USER_ID_LENGTH = 256
MAX_ASSISTANT_NAME = 64
MAX_ASSISTANT_DESCRIPTION = 128
MAX_STATEFUL_CONTEXT_BYTES = 100 * 1024
MAX_STATELESS_CONTEXT_BYTES = 250 * 1024

_FORBIDDEN_CHARS = ("\r", "\n", "\t")


def check_id(name: str, value: object) -> str:
    r"""Return the percent-encoded path segment for an ID, or raise ``ValueError``.

    An ID must stay one path segment, naming the same resource, whatever a proxy or
    server on the way does to the URL. Refused (the error names ``name``):

    * empty or whitespace-only values;
    * values made only of dots (and whitespace): ``.``, ``..``, ``...``, ``' .. '``.
      RFC 3986 normalisers resolve ``.`` and ``..`` segments, so ``..`` would address
      the parent resource (another endpoint); Windows servers trim trailing dots and
      spaces, which turns the longer ones into ``..``. Percent-encoding the dots is no
      help: normalisers decode ``%2E`` first;
    * values containing ``/`` or ``\`` (some proxies decode ``%2F`` or read ``\`` as
      ``/``), ``%`` (a proxy that decodes twice would turn ``%2e%2e`` into ``..``),
      ``;`` (Tomcat strips ``;parameters``, so ``..;x`` is ``..``) or a control
      character (servers truncate at NUL or split at line breaks);
    * non-ASCII values that Unicode NFKC normalisation turns into any of the above
      (two fullwidth full stops, U+FF0E, become ``..``).

    Real IDs (UUIDs, release numbers, provider IDs) never look like this. Anything
    else is percent-encoded, so ``?``, ``#`` or a space can't end the path.
    """
    if type(value) is str and value in _SAFE_IDS:
        return value  # checked before: a client sends the same few IDs again and again
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if _URL_SAFE(value) and value.strip("."):
        if len(_SAFE_IDS) >= _SAFE_IDS_KEPT:
            _SAFE_IDS.clear()  # bounded; the IDs in use come back at once
        _SAFE_IDS[value] = None
        return value  # the usual case (UUIDs and the like): one safe segment as it is
    _check_segment(name, value, "")
    if not value.isascii():
        _check_segment(name, unicodedata.normalize("NFKC", value), " once Unicode-normalised")
    return quote(value, safe="")


_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+").fullmatch
#: IDs that passed as they are (a plain ``str``'s content is all that matters), at most
#: ``_SAFE_IDS_KEPT`` (a few hundred KB).
_SAFE_IDS: dict[str, None] = {}
_SAFE_IDS_KEPT = 4096
_UNSAFE_IN_ID = re.compile(r"[/\\%;\x00-\x1f\x7f]").search


def _check_segment(name: str, value: str, how: str) -> None:
    """Raise unless ``value`` stays one segment naming itself (see :func:`check_id`)."""
    if not value or value.isspace():
        raise ValueError(f"{name} must not be empty{how}")
    if not value.replace(".", "").strip():
        raise ValueError(
            f"{name} must not be only dots{how} (got {_shown(value)}): URL normalisers "
            "resolve '.' and '..' segments to another path"
        )
    unsafe = _UNSAFE_IN_ID(value)
    if unsafe is not None:
        raise ValueError(
            f"{name} must not contain {unsafe.group()!r}{how}: proxies may decode it into "
            "another path"
        )


def _shown(value: str) -> str:
    """``value`` for an error message, without echoing a huge one."""
    return repr(value) if len(value) <= 16 else f"{len(value)} characters"


def check_no_control(name: str, value: str) -> None:
    for ch in _FORBIDDEN_CHARS:
        if ch in value:
            raise ValueError(f"{name} must not contain {ch!r}")


def check_text(text: object) -> None:
    """Input text: 1..2048 characters, no carriage return, newline or tab."""
    if (
        type(text) is str
        and 0 < len(text) <= MAX_TEXT_LENGTH
        and "\r" not in text
        and "\n" not in text
        and "\t" not in text
    ):
        return  # every message's text: the checks below, without two calls
    checked_text("input text", text, MAX_TEXT_LENGTH, hint=" (omit it to send no text)")


def check_user_id(user_id: object) -> None:
    """``user_id``: 1..256 characters, no carriage return, newline or tab."""
    checked_text("user_id", user_id, MAX_USER_ID_LENGTH)


def checked_text(
    name: str,
    value: object,
    longest: int,
    *,
    hint: str = "",
    empty: bool = False,
    controls: bool = False,
) -> str:
    """``value``, a string of at most ``longest`` characters: not empty unless ``empty``,
    without a carriage return, newline or tab unless ``controls``. Else ``ValueError``
    naming ``name`` (``hint`` follows the complaint about an empty one)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value and not empty:
        raise ValueError(f"{name} must not be empty{hint}")
    if len(value) > longest:
        raise ValueError(
            f"{name} is {len(value)} characters; the service accepts at most {longest}"
        )
    if not controls:
        check_no_control(name, value)
    return value


def as_json(name: str, value: Any) -> Any:
    """A model or a plain mapping, as the JSON-ready value the API expects."""
    if value is None or isinstance(value, dict):
        return value
    if getattr(type(value), "__watson_model__", False):
        return converter.unstructure(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError(f"{name} must be a model or a dict, got {type(value).__name__}")


def encode_json(body: Mapping[str, Any]) -> bytes:
    try:
        return _json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"request body is not JSON-serializable: {exc}") from exc


def encode_message(input: Any, context: Any, user_id: str | None, *, stateless: bool) -> bytes:
    body: dict[str, Any] = {}
    # A dict or None is what as_json returns them as: no call for the usual arguments.
    input_json = input if input is None or type(input) is dict else as_json("input", input)
    if input_json is not None:
        text = input_json.get("text")
        if text is not None:
            check_text(text)
        body["input"] = input_json
    context_json = (
        context if context is None or type(context) is dict else as_json("context", context)
    )
    if context_json is not None:
        body["context"] = context_json
    if user_id is not None:
        check_user_id(user_id)
        body["user_id"] = user_id
    encoded = encode_json(body)
    if context_json is not None:
        limit = MAX_STATELESS_CONTEXT_BYTES if stateless else MAX_STATEFUL_CONTEXT_BYTES
        # The body bounds the context's size: serialize the context alone only when needed.
        if len(encoded) > limit:
            size = len(encode_json(context_json))
            if size > limit:
                kind = "stateless" if stateless else "stateful"
                raise ValueError(
                    f"context is {size} bytes serialized; a {kind} message accepts at most "
                    f"{limit} bytes"
                )
    return encoded


def required(name: str, value: Any) -> Any:
    result = as_json(name, value)
    if result is None:
        raise ValueError(f"{name} is required")
    return result


def json_list(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a list")
    return [required(f"{name}[{i}]", v) for i, v in enumerate(values)]
