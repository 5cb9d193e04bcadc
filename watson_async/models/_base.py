"""The base class every model derives from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import attrs

from watson_async.models._convert import JSON_NAME, converter

__all__ = ["Model", "json_field"]

_M = TypeVar("_M", bound="Model")


def json_field(name: str, *, default: Any = None, repr: bool = True) -> Any:
    """An optional attrs field stored under JSON key ``name`` (``global``, ``main skill``)."""
    return attrs.field(default=default, metadata={JSON_NAME: name}, repr=repr)


@attrs.define(kw_only=True)
class Model:
    """Base of all request and response models.

    ``extra`` holds the JSON keys this version of the model does not know, so nothing
    the service sends is lost and ``to_dict()`` gives it back.
    """

    __watson_model__: ClassVar[bool] = True

    extra: dict[str, Any] | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build the model from its JSON shape (a ``dict`` as ``json.loads`` returns it)."""
        return converter.structure(data, cls)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the model, unknown keys included, ``None`` optionals left out."""
        result: dict[str, Any] = converter.unstructure(self)
        return result
