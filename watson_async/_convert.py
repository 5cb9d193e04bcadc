"""The one cattrs converter that turns JSON into models and back.

Conventions every model follows (see ``models/_base.py``):

* models are ``attrs`` classes deriving from :class:`~watson_async.models.Model`;
* a JSON key that is not a Python name is declared with ``json_field("main skill")``;
* optional fields default to ``None`` and are left out of ``to_dict()`` when ``None``;
* keys the model does not know are kept in ``model.extra`` and written back by
  ``to_dict()``, so ``to_dict(from_dict(x)) == x`` (minus explicit ``null`` optionals);
* discriminated unions (``output.generic[]``, turn events, ...) are registered with
  :func:`register_tagged_union` and fall back to a catch-all model for unknown tags.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, Union, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["JSON_NAME", "converter", "is_model", "register_keyed_union", "register_tagged_union"]

#: attrs field metadata key holding the JSON name when it differs from the field name.
JSON_NAME = "watson_async.json"

converter = Converter(detailed_validation=False)


def is_model(cls: Any) -> bool:
    """True for classes derived from ``watson_async.models.Model``."""
    return isinstance(cls, type) and getattr(cls, "__watson_model__", False) and attrs.has(cls)


def _renames(cls: type) -> dict[str, Any]:
    overrides: dict[str, Any] = {"extra": override(omit=True)}
    for a in attrs.fields(cls):
        name = a.metadata.get(JSON_NAME)
        if name is not None:
            overrides[a.name] = override(rename=name)
    return overrides


def _json_names(cls: type) -> frozenset[str]:
    return frozenset(
        a.metadata.get(JSON_NAME, a.name) for a in attrs.fields(cls) if a.name != "extra"
    )


def _structure_factory(cls: type) -> Callable[[Any, Any], Any]:
    base: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(
        cls, converter, _cattrs_forbid_extra_keys=False, **_renames(cls)
    )
    known = _json_names(cls)
    name = cls.__name__

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise TypeError(f"{name} expects a JSON object, got {type(value).__name__}")
        obj = base(value, cls)
        if not known.issuperset(value):
            obj.extra = {k: v for k, v in value.items() if k not in known}
        return obj

    return structure


def _unstructure_factory(cls: type) -> Callable[[Any], dict[str, Any]]:
    base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=True, **_renames(cls)
    )

    def unstructure(obj: Any) -> dict[str, Any]:
        actual = type(obj)
        if actual is not cls:
            # a subclass instance in a field declared as ``cls``: keep its own fields
            result: dict[str, Any] = converter.unstructure(obj, actual)
            return result
        data = base(obj)
        extra = obj.extra
        if extra:
            for key, value in extra.items():
                data.setdefault(key, value)
        return data

    return unstructure


def _structure_str(value: Any, _: Any) -> str:
    # cattrs' default is ``str(value)``: a JSON null would become "None", an object "{...}".
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a JSON string, got {type(value).__name__}")


def _structure_bool(value: Any, _: Any) -> bool:
    # cattrs' default is ``bool(value)``: the string "false" would become True.
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a JSON boolean, got {type(value).__name__}")


def _structure_int(value: Any, _: Any) -> int:
    # cattrs' default is ``int(value)``: 1.5 would silently become 1 and True become 1.
    # Numeric strings are still accepted (an old fixture sends turn_count as "10").
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value)
    raise TypeError(f"expected a JSON integer, got {value!r}")


def _structure_float(value: Any, _: Any) -> float:
    # An int stays an int, so 9 is written back as 9 (not 9.0).
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return float(value)
    raise TypeError(f"expected a JSON number, got {type(value).__name__}")


converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(bool, _structure_bool)


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) in (Union, types.UnionType) and len(args) == 2 and type(None) in args


def _optional_factory(t: Any) -> Callable[[Any, Any], Any]:
    # cattrs' generic Optional hook looks the inner type's hook up on every call; nearly
    # every model field is ``X | None``, so resolve it once per type instead.
    inner = next(a for a in get_args(t) if a is not type(None))
    hook = converter.get_structure_hook(inner)
    exact = _EXACT.get(inner)
    if exact is not None:
        # JSON strings, numbers and booleans are almost always already the right type.
        def structure_primitive(value: Any, _: Any) -> Any:
            if value is None or type(value) is exact:
                return value
            return hook(value, inner)

        return structure_primitive

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


_EXACT: dict[Any, type] = {str: str, int: int, float: float, bool: bool, dict[str, Any]: dict}


def _structure_free_form(value: Any, _: Any) -> dict[str, Any]:
    # Free-form objects (user_defined, skill variables...) are kept as parsed, not copied.
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a JSON object, got {type(value).__name__}")


converter.register_structure_hook_func(lambda t: t == dict[str, Any], _structure_free_form)


converter.register_structure_hook_factory(_is_optional, _optional_factory)
converter.register_structure_hook_factory(is_model, _structure_factory)
converter.register_unstructure_hook_factory(is_model, _unstructure_factory)


def register_tagged_union(
    union: Any, tag: str, classes: Mapping[str, type], fallback: type
) -> None:
    """Structure ``union`` by the value of key ``tag``; unknown tags become ``fallback``.

    Several tag values may map to one class (``conversational_search`` and
    ``conversation_search`` are both seen in the wild).
    """
    if get_origin(union) not in (Union, types.UnionType) or len(get_args(union)) < 2:
        # Union[X] is X itself: registering it would replace X's own hook (and recurse).
        raise TypeError(f"register_tagged_union needs a union of two or more classes: {union!r}")
    hooks: dict[Any, Callable[[Any, Any], Any]] = {}

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object with {tag!r}, got {type(value).__name__}")
        tag_value = value.get(tag)
        if not isinstance(tag_value, str):
            raise TypeError(f"expected a JSON object with a string {tag!r}, got {tag_value!r}")
        cls = classes.get(tag_value, fallback)
        hook = hooks.get(cls)
        if hook is None:
            hook = hooks[cls] = converter.get_structure_hook(cls)
        return hook(value, cls)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else structure(value, union)

    converter.register_structure_hook(union, structure)
    converter.register_structure_hook(union | None, structure_optional)


def register_keyed_union(union: Any, keys: Mapping[str, type], fallback: type) -> None:
    """Structure ``union`` by which key the object carries (a ``oneOf`` without a tag).

    ``keys`` maps a JSON key to the class to use when that key is present; the first
    match in ``keys`` order wins, and an object with none of them becomes ``fallback``.
    Stream frames (``partial_item`` / ``complete_item`` / ``final_response``) and
    provider authentication variants are shaped like this.
    """
    if get_origin(union) not in (Union, types.UnionType) or len(get_args(union)) < 2:
        raise TypeError(f"register_keyed_union needs a union of two or more classes: {union!r}")
    hooks: dict[Any, Callable[[Any, Any], Any]] = {}
    order = tuple(keys.items())

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {type(value).__name__}")
        cls = next((c for key, c in order if key in value), fallback)
        hook = hooks.get(cls)
        if hook is None:
            hook = hooks[cls] = converter.get_structure_hook(cls)
        return hook(value, cls)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else structure(value, union)

    converter.register_structure_hook(union, structure)
    converter.register_structure_hook(union | None, structure_optional)
