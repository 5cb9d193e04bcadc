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

import builtins
import linecache
import threading
import types
import weakref
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any, Final, Generic, Union, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from watson_async.models._deferred import deferred_hook

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


# --- models: the structure hook ------------------------------------------------------
#
# Turning a reply into models is the biggest CPU cost the client adds over raw aiohttp,
# so each model gets a structure function generated for it here instead of cattrs'
# ``make_dict_structure_fn`` (the 2.3 KB reply of ``benchmarks/parse.py``, 21 models and
# 62 values, took 17 us that way and takes about 7.5 us this way). The generated code
# differs from cattrs' in four ways:
#
# * a value the field's hook would return unchanged is taken as it is, tested inline
#   (``None`` for an Optional, a ``str`` for ``str``, an ``int`` or ``float`` for
#   ``float``, a ``dict`` for a free-form object); any other value goes to the hook;
# * Optional and list hooks are looked through: ``None`` is tested inline, the inner
#   type's hook called directly and a list's comprehension run in place (one call per
#   value instead of two or three);
# * the instance is made with ``object.__new__`` and its slots set one by one, ``None``
#   for the fields the JSON leaves out, instead of ``cls(**kwargs)`` (attrs' keyword-only
#   ``__init__`` cost more than everything else put together). Only models whose
#   ``__init__`` does nothing more get this (see ``_is_plain``: every field defaults to
#   ``None`` or is required, no validators, converters, ``__attrs_post_init__``...);
#   others keep cattrs' generated hook (``_cattrs_structure_factory``);
# * a model with many optional fields (``SHAPES_FROM_FIELDS``) also gets a function per
#   key shape it meets, which unpacks ``o.values()`` instead of looking each key up
#   (see ``_shape_structure``; docs/performance.md has the counts).
#
# Everything else is as cattrs does it, down to the exception bad input raises: fields
# are structured in cattrs' order (those with a default in declaration order, then the
# required ones), a missing required field raises ``KeyError(json_key)``, non-dict
# mappings are accepted, and a model that contains itself (through its fields) binds
# that hook late. tests/unit/models/test_convert.py checks every model against cattrs' hook.

_Hook = Callable[[Any, Any], Any]

_NONE: frozenset[type] = frozenset({type(None)})
#: Hook -> the exact types of the values it returns unchanged (filled in below).
_AS_IS: dict[Any, frozenset[type]] = {}
#: Optional hook (``None`` or the inner type's hook) -> (inner hook, inner type).
_NULLABLE: weakref.WeakKeyDictionary[Any, tuple[_Hook, Any]] = weakref.WeakKeyDictionary()
#: List hook -> (item types taken as they are, hook for the other items, item type).
_LISTS: weakref.WeakKeyDictionary[Any, tuple[frozenset[type], _Hook, Any]] = (
    weakref.WeakKeyDictionary()
)
#: The models whose structure functions are being generated, per thread.
_generating = threading.local()


def _lookup(table: Mapping[Any, Any], hook: Any) -> Any:
    try:
        return table.get(hook)
    except TypeError:  # a callable that cannot be hashed or weakly referenced
        return None


def _field_hook(t: Any) -> tuple[frozenset[type], _Hook, Any]:
    """(types taken as they are, hook for the others, type to pass it) for type ``t``."""
    try:
        hook = converter.get_structure_hook(t)
    except RecursionError:
        return frozenset(), converter.structure, t  # a cycle: bind late, as cattrs does
    accept: frozenset[type] = frozenset()
    nullable = _lookup(_NULLABLE, hook)
    if nullable is not None:
        hook, t = nullable
        accept = _NONE
    return accept | (_lookup(_AS_IS, hook) or frozenset()), hook, t


def _fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    if any(isinstance(a.type, str) for a in attrs.fields(cls)):
        attrs.resolve_types(cls)  # ``from __future__ import annotations`` in its module
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
    return fields


def _is_plain(cls: type) -> bool:
    """Whether attrs' ``__init__`` of ``cls`` only sets each field's slot from an argument
    defaulting to ``None`` (or required), so a structure function may do the same."""
    if (
        issubclass(cls, Generic)
        or "__init__" not in cls.__dict__
        or "__attrs_init__" in cls.__dict__
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
        or cls.__new__ is not object.__new__
        or cls.__setattr__ is not object.__setattr__
    ):
        return False
    fields = _fields(cls)
    slots = {s for c in cls.__mro__ for s in getattr(c, "__slots__", ())} - {"__weakref__"}
    if slots != {a.name for a in fields}:
        return False
    for a in fields:
        t: Any = a.type
        if not a.init or a.converter is not None or a.validator is not None:
            return False
        if a.default is not None and a.default is not attrs.NOTHING:
            return False
        if t is None or t is Final or get_origin(t) in (Annotated, Final):
            return False
    keys = [a.metadata.get(JSON_NAME, a.name) for a in fields if a.name != "extra"]
    return len(set(keys)) == len(keys)


def _structure_factory(cls: type) -> _Hook:
    """The structure hook of model ``cls``: generated, or cattrs' for unusual models."""
    if not _is_plain(cls):
        return _cattrs_structure_factory(cls)
    generating: set[type] = _generating.__dict__.setdefault("models", set())
    if cls in generating:
        raise RecursionError(f"{cls.__name__} contains itself")  # caught in _field_hook
    generating.add(cls)
    try:
        return _generate_structure(cls)
    finally:
        generating.discard(cls)


def _generate_structure(cls: type) -> _Hook:
    fields = [a for a in _fields(cls) if a.name != "extra"]
    required = [a for a in fields if a.default is attrs.NOTHING]
    # cattrs' order: the fields with a default, then the required ones.
    ordered = [(a, a.metadata.get(JSON_NAME, a.name)) for a in fields if a not in required]
    ordered += [(a, a.metadata.get(JSON_NAME, a.name)) for a in required]
    known = frozenset(key for _, key in ordered)
    shapes: dict[tuple[Any, ...], _Hook] = {}
    namespace: dict[str, Any] = {
        "cls": cls,
        "name": cls.__name__,
        "new": object.__new__,
        "known": known,
        "Mapping": Mapping,
        "shapes_get": shapes.get,
    }
    wide = len(ordered) - len(required) >= SHAPES_FROM_FIELDS
    # Whether ``o`` has keys the model doesn't know: len(o) against the known keys it
    # has, counted in the branch fewer fields take (a reply holds more of a small
    # model's fields than it leaves out, and leaves out most of a wide one's).
    count_present, count_missing = ("        n += 1", "") if wide else ("", "        n += 1")
    lines = [
        "def generic(o, _):",
        "    if type(o) is not dict and not isinstance(o, Mapping):",
        '        raise TypeError(f"{name} expects a JSON object, got {type(o).__name__}")',
        "    self = new(cls)",
        "    n = 0",
    ]
    conversions = [_conversion(a.type, f"_{i}", namespace) for i, (a, _) in enumerate(ordered)]
    for (a, key), conversion in zip(ordered, conversions, strict=True):
        convert = [f"    {line}" for line in conversion("v")]
        if a in required:
            lines += [f"    v = o[{key!r}]", *convert, f"    self.{a.name} = v"]
        else:
            lines += [f"    if {key!r} in o:", f"        v = o[{key!r}]", count_present]
            lines += [f"    {line}" for line in convert]
            lines += [f"        self.{a.name} = v", "    else:", f"        self.{a.name} = None"]
            lines.append(count_missing)
    known_present = f"n + {len(required)}" if wide else f"{len(ordered)} - n"
    lines += [
        f"    if len(o) == {known_present}:",
        "        self.extra = None",
        "    else:",
        "        self.extra = {k: v for k, v in o.items() if k not in known}",
        "    return self",
        "",
    ]
    deferred = bool(cls.__dict__.get("__watson_deferred__"))
    if deferred:
        # The same function filling an instance it is given: a deferred part's first read
        # types it in place (models/_deferred.py).
        lines += ["def into(self, o, _):", *lines[1:3], *lines[4:]]
    if wide:
        lines += [
            "def structure(o, _):",
            "    if type(o) is dict:",
            "        shape = shapes_get(tuple(o))",
            "        if shape is not None:",
            "            return shape(o, _)",
            "        return learn(o)(o, _)",
            "    return generic(o, _)",
        ]
    else:
        lines.append("structure = generic")
    _compile(cls, "", lines, namespace)

    def learn(o: dict[Any, Any]) -> _Hook:
        """The structure function for objects with exactly the keys of ``o``, in order."""
        generic: _Hook = namespace["generic"]
        if len(shapes) >= SHAPES_PER_MODEL:
            # Too many shapes to be worth a function each: from now on the model's hook
            # runs the generic code directly (parents and cattrs hold the function).
            namespace["structure"].__code__ = generic.__code__
            return generic
        keys = tuple(o)
        what = f" shape {len(shapes) + 1}"
        shape = _shape_structure(cls, ordered, conversions, keys, namespace, what)
        shapes[keys] = shape
        return shape

    namespace["learn"] = learn
    structure: _Hook = namespace["structure"]
    if deferred:
        return deferred_hook(cls, structure, namespace["into"])
    return structure


#: Models with this many optional fields or more get a structure function per shape (a
#: shape is an object's keys in order): it looks no key up and sets the fields the
#: object leaves out to ``None`` without testing them. For smaller models, making the key
#: tuple and finding its function costs more than the lookups it saves.
SHAPES_FROM_FIELDS = 12
#: How many key sets (shapes) of one model get a structure function of their own: the
#: first object of a further shape turns the model's shape functions off (its objects
#: then take the generic function, with no shape lookup).
SHAPES_PER_MODEL = 16


def _shape_structure(
    cls: type,
    ordered: list[tuple[attrs.Attribute[Any], str]],
    conversions: list[Callable[[str], list[str]]],
    keys: tuple[Any, ...],
    namespace: dict[str, Any],
    what: str,
) -> _Hook:
    """The structure function of ``cls`` for objects whose keys are exactly ``keys`` in
    this order: no key is looked up, each value is unpacked from ``o.values()``."""
    position = {key: p for p, key in enumerate(keys)}
    if len(keys) > len(ordered) + 8 or any(
        a.default is attrs.NOTHING and key not in position for a, key in ordered
    ):
        # Many unknown keys would make a function as long as the object; a required
        # key missing raises the generic function's KeyError.
        generic: _Hook = namespace["generic"]
        return generic
    names = "".join(f"v{p}, " for p in range(len(keys)))
    lines = ["def shape(o, _):", f"    {names}= o.values()" if keys else "    pass"]
    lines.append("    self = new(cls)")
    for (a, key), conversion in zip(ordered, conversions, strict=True):
        p = position.get(key)
        if p is None:
            lines.append(f"    self.{a.name} = None")
        else:
            lines += [f"    {line}" for line in conversion(f"v{p}")] + [f"    self.{a.name} = v{p}"]
    if namespace["known"].issuperset(keys):
        lines.append("    self.extra = None")
    else:
        lines.append("    self.extra = {k: v for k, v in o.items() if k not in known}")
    lines.append("    return self")
    shape: _Hook = _compile(cls, what, lines, namespace)["shape"]
    return shape


def _compile(cls: type, what: str, lines: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """Run the generated ``lines`` in ``namespace`` (their source shows in tracebacks)."""
    source = "\n".join(line for line in lines if line) + "\n"
    filename = f"<watson_async structure {cls.__module__}.{cls.__qualname__}{what}>"
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace


def _conversion(t: Any, suffix: str, namespace: dict[str, Any]) -> Callable[[str], list[str]]:
    """A function giving the statements that turn JSON value ``var`` into a value of type
    ``t`` (the hooks they call are added to ``namespace`` now, ending in ``suffix``)."""
    accept, hook, t = _field_hook(t)
    items = _lookup(_LISTS, hook)
    item = f"h{suffix}(e, t{suffix})"
    if items is None:
        namespace[f"h{suffix}"], namespace[f"t{suffix}"] = hook, t
    else:  # the list hook's comprehension, one call less
        item_accept, namespace[f"h{suffix}"], namespace[f"t{suffix}"] = items
        if item_accept:
            item = f"e if {_type_test('e', item_accept, 'i' + suffix, namespace)} else {item}"
    test = _type_test("{var}", accept, "a" + suffix, namespace) if accept else ""

    def render(var: str) -> list[str]:
        if items is None:
            convert = f"{var} = h{suffix}({var}, t{suffix})"
        else:
            convert = f"{var} = [{item} for e in {var}]"
        if not accept:
            return [convert]
        return [f"if not ({test.replace('{var}', var)}):", f"    {convert}"]

    return render


def _type_test(var: str, accept: frozenset[type], prefix: str, namespace: dict[str, Any]) -> str:
    """``var`` is of one of the types ``accept`` (exactly): ``None`` tested last."""
    tests = []
    for j, t in enumerate(sorted(accept - _NONE, key=lambda t: t.__name__)):
        name = t.__name__
        if getattr(builtins, name, None) is not t:
            name = f"{prefix}_{j}"
            namespace[name] = t
        tests.append(f"type({var}) is {name}")
    if type(None) in accept:
        tests.append(f"{var} is None")
    return " or ".join(tests)


def _cattrs_structure_factory(cls: type) -> _Hook:
    """cattrs' generated hook plus ``extra``, for models :func:`_is_plain` turns down."""
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
        if actual is not cls and getattr(actual, "__watson_deferred_model__", None) is not cls:
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
_AS_IS.update(
    {
        _structure_str: frozenset({str}),
        _structure_int: frozenset({int}),
        _structure_float: frozenset({int, float}),
        _structure_bool: frozenset({bool}),
    }
)


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

        _NULLABLE[structure_primitive] = (hook, inner)
        return structure_primitive

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    _NULLABLE[structure_optional] = (hook, inner)
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
_AS_IS[_structure_free_form] = frozenset({dict})


def _is_list(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is list and len(args) == 1 and args[0] is not Any


def _list_factory(t: Any) -> _Hook:
    # cattrs' own list hook (any iterable, each element through the element type's
    # hook), except that elements the hook would return unchanged are taken as they are.
    accept, hook, elem = _field_hook(get_args(t)[0])
    if not accept:

        def structure_list(value: Any, _: Any) -> list[Any]:
            return [hook(e, elem) for e in value]

        _LISTS[structure_list] = (accept, hook, elem)
        return structure_list

    def structure_list_as_is(value: Any, _: Any) -> list[Any]:
        return [e if type(e) in accept else hook(e, elem) for e in value]

    _LISTS[structure_list_as_is] = (accept, hook, elem)
    return structure_list_as_is


converter.register_structure_hook_factory(_is_list, _list_factory)
converter.register_structure_hook_factory(_is_optional, _optional_factory)
converter.register_structure_hook_factory(is_model, _structure_factory)
converter.register_unstructure_hook_factory(is_model, _unstructure_factory)


def register_tagged_union(
    union: Any,
    tag: str,
    classes: Mapping[str, type],
    fallback: type,
    *,
    lenient: Collection[type] = (),
) -> None:
    """Structure ``union`` by the value of key ``tag``; unknown tags become ``fallback``.

    Several tag values may map to one class (``conversational_search`` and
    ``conversation_search`` are both seen in the wild). An object whose class is in
    ``lenient`` and that does not fit it (a required key missing, a value of the wrong
    shape: ``KeyError``, ``TypeError``, ``ValueError``) becomes ``fallback`` too, so one
    odd item never fails the document that holds it.
    """
    _check_union(union, "register_tagged_union")

    def pick(value: Any) -> type:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object with {tag!r}, got {type(value).__name__}")
        tag_value = value.get(tag)
        if not isinstance(tag_value, str):
            raise TypeError(f"expected a JSON object with a string {tag!r}, got {tag_value!r}")
        return classes.get(tag_value, fallback)

    _register_union(union, pick, frozenset(lenient), fallback, (tag, classes))


def register_keyed_union(union: Any, keys: Mapping[str, type], fallback: type) -> None:
    """Structure ``union`` by which key the object carries (a ``oneOf`` without a tag).

    ``keys`` maps a JSON key to the class to use when that key is present; the first
    match in ``keys`` order wins, and an object with none of them (or only ``null``
    under them) becomes ``fallback``, so the chosen class may require its key.
    Stream frames (``partial_item`` / ``complete_item`` / ``final_response``) and
    provider authentication variants are shaped like this.
    """
    _check_union(union, "register_keyed_union")
    order = tuple(keys.items())

    def pick(value: Any) -> type:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {type(value).__name__}")
        return next((c for key, c in order if value.get(key) is not None), fallback)

    _register_union(union, pick)


def _check_union(union: Any, caller: str) -> None:
    if get_origin(union) not in (Union, types.UnionType) or len(get_args(union)) < 2:
        # Union[X] is X itself: registering it would replace X's own hook (and recurse).
        raise TypeError(f"{caller} needs a union of two or more classes: {union!r}")


def _register_union(
    union: Any,
    pick: Callable[[Any], type],
    lenient: frozenset[type] = frozenset(),
    fallback: type | None = None,
    tagged: tuple[str, Mapping[str, type]] | None = None,
) -> None:
    """Structure ``union`` (and ``union | None``) as the class ``pick(value)`` names;
    a ``lenient`` class that fails on the value gives way to ``fallback``. For a union
    ``tagged`` by (key, classes), a dict whose tag names a class that is not lenient
    goes straight to that class's hook (``by_tag``, filled as the tags are met)."""
    hooks: dict[Any, _Hook] = {}

    def hook_of(cls: type) -> _Hook:
        hook = hooks.get(cls)
        if hook is None:
            hook = hooks[cls] = converter.get_structure_hook(cls)
        return hook

    def structure(value: Any, _: Any) -> Any:
        cls = pick(value)
        if cls in lenient and fallback is not None:
            try:
                return hook_of(cls)(value, cls)
            except (KeyError, TypeError, ValueError):
                return hook_of(fallback)(value, fallback)
        return hook_of(cls)(value, cls)

    if tagged is not None:
        tag, classes = tagged
        by_tag: dict[str, tuple[_Hook, type]] = {}
        by_tag_get = by_tag.get
        picked = structure

        def structure(value: Any, _: Any) -> Any:
            # A reply's items are nearly all of a few known types: one lookup, no call.
            if type(value) is dict:
                tag_value = value.get(tag)
                if type(tag_value) is str:
                    direct = by_tag_get(tag_value)
                    if direct is not None:
                        return direct[0](value, direct[1])
                    cls = classes.get(tag_value)
                    if cls is not None and cls not in lenient:
                        by_tag[tag_value] = (hook_of(cls), cls)
            return picked(value, _)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else structure(value, union)

    _NULLABLE[structure_optional] = (structure, union)
    converter.register_structure_hook(union, structure)
    converter.register_structure_hook(union | None, structure_optional)
