"""Typed settings classes: a frozen, slotted attrs class per section of a schema.

Decisions, kept the same by the live classes here and by the generated source
(`_codegen`), which both follow one `ClassPlan`:

* Collections are tuples (multi-choice, lists, classes) and class mappings are
  read-only `Mapping`s (a `MappingProxyType` whose list values are tuples), so a
  settings object is immutable all the way down. JSON values stay plain `dict`/`list`
  (they are handed to other libraries as they are), typed ``dict[str, Any] | list[Any]``.
* Choices are ``Literal[...]`` when every option is text, an integer or a boolean
  (PEP 586 allows no floats); otherwise the union of the options' types, tried in the
  order bool, int, float, str, so that an integer option stays an integer.
* A field is ``X | None`` (default ``None``) when it is not required and has no default,
  when its default is ``None``, when ``None`` is one of its options, or when it has no
  default and it or a section above it has a `visible_when` condition (an inactive
  field is absent from the settings). An explicit ``None`` given for a field that has a
  non-``None`` default and a type without ``None`` means "not set": the default holds.
* A key that is not a safe Python name (not an identifier, a keyword, ``self``, a name
  the generated module uses, starting with ``__``) gets a safe attribute name; the key
  is kept in ``metadata["brevetti_schema"]["key"]`` and used in (un)structured data.
* Settings objects compare by value and pickle (by schema and values, so a worker
  process rebuilds the same class); one holding a JSON value or a class mapping is
  not hashable.
* Classes are cached per schema: by object identity (a weak reference) and, behind
  that, by a fingerprint of the model, so equal schemas share their classes.
"""

from __future__ import annotations

import copy
import functools
import keyword
import operator
import re
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType, NoneType, UnionType
from typing import Any, Final, Literal, TypeVar, Union, get_args, get_origin, overload

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override

from ._errors import SettingsError, SettingsProblem
from ._model import MISSING, Field, Kind, Node, Schema, Section
from ._secret import MASK, Secret
from ._transport import encode_value

__all__ = [
    "CLASS_MAPPING_TYPE",
    "JSON_TYPE",
    "METADATA_KEY",
    "SECTION_DEFAULT",
    "AttributePlan",
    "ClassPlan",
    "field_type",
    "plan_classes",
    "settings_class",
    "structure",
    "unstructure",
]

T = TypeVar("T")

METADATA_KEY: Final = "brevetti_schema"
"""The key of attrs field metadata that holds our per-attribute records."""

JSON_TYPE: Final[Any] = dict[str, Any] | list[Any]
"""The type of a JSON field's value."""

CLASS_MAPPING_TYPE: Final[Any] = Mapping[str, str | tuple[str, ...]]
"""The type of a class mapping's value: folder name to a class or classes."""

SECTION_DEFAULT: Final = object()
"""The default of a section attribute: the section's class made with its defaults."""

RESERVED_NAMES: Final = frozenset(
    {"self", "int", "float", "str", "bool", "tuple", "dict", "list", "attrs", "Any",
     "Literal", "Mapping", "MappingProxyType", "Secret", "None", "True", "False"}
)  # fmt: skip
"""Names an attribute or class may not take: `__init__` and the generated module use them."""

_SCALAR_TYPES: Final[dict[Kind, type]] = {
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.TEXT: str,
    Kind.BOOLEAN: bool,
}
_TYPE_ORDER: Final = (bool, int, float, str)


# -- types ------------------------------------------------------------------------------


def _union(types: list[Any]) -> Any:
    return functools.reduce(operator.or_, types)


def _choice_type(field: Field) -> Any:
    """The type of one option value (without ``None``, which the caller adds)."""
    values = [v for v in field.option_values() if v is not None]
    if not values:
        return NoneType
    if all(type(v) in (str, int, bool) for v in values):
        return Literal[tuple(values)]
    return _union(sorted({type(v) for v in values}, key=_TYPE_ORDER.index))


def _multi_choice_type(field: Field) -> Any:
    item = _choice_type(field)
    if None in field.option_values():
        item = item | None
    return tuple[item, ...]  # type: ignore[valid-type]


_BASE_TYPES: Final[dict[Kind, Callable[[Field], Any]]] = {
    Kind.INTEGER: lambda f: int,
    Kind.NUMBER: lambda f: float,
    Kind.TEXT: lambda f: str,
    Kind.BOOLEAN: lambda f: bool,
    Kind.CHOICE: _choice_type,
    Kind.MULTI_CHOICE: _multi_choice_type,
    Kind.LIST: lambda f: tuple[_SCALAR_TYPES[f.item_kind or Kind.TEXT], ...],  # type: ignore[misc]
    Kind.JSON: lambda f: JSON_TYPE,
    Kind.CLASSES: lambda f: tuple[str, ...],
    Kind.CLASS_MAPPING: lambda f: CLASS_MAPPING_TYPE,
    Kind.SECRET: lambda f: Secret,
}


def _is_optional(field: Field, conditional: bool) -> bool:
    if field.default is None:
        return True
    if field.kind is Kind.CHOICE and None in field.option_values():
        return True
    return not field.has_default and (not field.required or conditional)


def field_type(field: Field, *, conditional: bool = False) -> Any:
    """The attribute type of a field; `conditional` when it or a parent has a condition."""
    base = _BASE_TYPES[field.kind](field)
    if _is_optional(field, conditional or field.visible_when is not None):
        return base if base is NoneType else base | None
    return base


# -- names ------------------------------------------------------------------------------


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _plain_name(key: str, reserved: frozenset[str]) -> bool:
    return (
        key.isidentifier()
        and _nfkc(key) == key
        and not keyword.iskeyword(key)
        and not key.startswith("__")
        and key not in reserved
    )


def _safe_name(key: str, reserved: frozenset[str]) -> str:
    name = "".join(c if ("_" + c).isidentifier() else "_" for c in _nfkc(key))
    if not name.isidentifier():
        name = "f_" + name
    if name.startswith("__"):
        name = "f" + name
    if keyword.iskeyword(name) or name in reserved:
        name += "_"
    return name


def _attribute_names(keys: list[str], reserved: frozenset[str]) -> dict[str, str]:
    """A safe, unique attribute name per key; keys that are safe names keep them."""
    names = {key: key for key in keys if _plain_name(key, reserved)}
    taken = set(names.values())
    for key in keys:
        if key in names:
            continue
        base = name = _safe_name(key, reserved)
        count = 2
        while name in taken:
            name = _safe_name(f"{base}_{count}", reserved)
            count += 1
        names[key] = name
        taken.add(name)
    return names


def _camel(text: str) -> str:
    parts = re.split(r"[\W_]+", _nfkc(text))
    name = _nfkc("".join(p[:1].upper() + p[1:] for p in parts if p))
    name = "".join(c if ("_" + c).isidentifier() else "_" for c in name).lstrip("_")
    if name and not name.isidentifier():
        name = "Section" + name
    return name if name.isidentifier() and _nfkc(name) == name else ""


def _class_names(schema: Schema) -> dict[str, str]:
    """A unique CamelCase class name per section path (``""`` is the root)."""
    root = _camel(schema.title or "")
    names = {"": root if root and root not in RESERVED_NAMES else "Settings"}
    taken = set(RESERVED_NAMES) | {names[""]}
    for path, _section in schema.sections():
        parts = path.split(".")
        candidates = [
            _camel("_".join(parts[i:])) or "Section" for i in range(len(parts) - 1, -1, -1)
        ]
        name = next((c for c in candidates if c not in taken), None)
        count = 2
        while name is None or name in taken:
            name = f"{candidates[0]}{count}"
            count += 1
        names[path] = name
        taken.add(name)
    return names


# -- the plan both the live classes and the generated source follow --------------------


@attrs.frozen
class AttributePlan:
    """One attribute of a settings class: name, settings key, type, default, doc."""

    name: str
    key: str
    type: Any  # a type, or the `ClassPlan` of a section
    default: Any = MISSING  # attribute-form value, `SECTION_DEFAULT`, or MISSING: none
    doc: str | None = None

    @property
    def mutable_default(self) -> bool:
        """Whether the default must be made per instance (a JSON dict or list)."""
        return isinstance(self.default, dict | list)


@attrs.frozen
class ClassPlan:
    """One settings class: the section path it models, its name, doc and attributes."""

    path: str
    name: str
    doc: str | None
    attributes: tuple[AttributePlan, ...]

    @property
    def constructible(self) -> bool:
        """Whether the class can be made with no arguments (every attribute defaulted)."""
        return all(a.default is not MISSING for a in self.attributes)


def plan_classes(schema: Schema) -> list[ClassPlan]:
    """The classes of a schema, nested sections before the classes that hold them."""
    names = _class_names(schema)
    reserved = RESERVED_NAMES | frozenset(names.values())
    plans: list[ClassPlan] = []
    doc = schema.title
    _plan(schema.children, "", names[""], doc, False, names, reserved, plans)
    return plans


def _plan(
    nodes: tuple[Node, ...],
    path: str,
    name: str,
    doc: str | None,
    conditional: bool,
    names: Mapping[str, str],
    reserved: frozenset[str],
    plans: list[ClassPlan],
) -> ClassPlan:
    members = [n for n in nodes if isinstance(n, Field | Section)]
    attribute_names = _attribute_names([n.key for n in members], reserved)
    attributes = []
    for node in members:
        node_path = f"{path}.{node.key}" if path else node.key
        attribute_name = attribute_names[node.key]
        if isinstance(node, Section):
            inner = _plan(
                node.children,
                node_path,
                names[node_path],
                node.help or node.label,
                conditional or node.visible_when is not None,
                names,
                reserved,
                plans,
            )
            default = SECTION_DEFAULT if inner.constructible else MISSING
            attributes.append(AttributePlan(attribute_name, node.key, inner, default, node.help))
        else:
            tp = field_type(node, conditional=conditional)
            attributes.append(
                AttributePlan(attribute_name, node.key, tp, _default(node, tp), node.help)
            )
    plan = ClassPlan(path, name, doc, tuple(attributes))
    plans.append(plan)
    return plan


def _default(field: Field, tp: Any) -> Any:
    if field.has_default:
        return _STRUCTURER.structure(field.default, tp)
    return None if _admits_none(tp) else MISSING


# -- live classes ---------------------------------------------------------------------


_lock = threading.Lock()
_by_id: dict[int, tuple[weakref.ref[Schema], type]] = {}
_by_print: dict[str, type] = {}
_MAX_PRINTS: Final = 256


def settings_class(schema: Schema) -> type:
    """The frozen attrs class of a schema's settings, made once and cached."""
    entry = _by_id.get(id(schema))
    if entry is not None and entry[0]() is schema:
        return entry[1]
    with _lock:
        fingerprint = repr((schema.title, schema.children))
        cls = _by_print.get(fingerprint)
        if cls is None:
            cls = _by_print[fingerprint] = _build(schema)
            while len(_by_print) > _MAX_PRINTS:
                del _by_print[next(iter(_by_print))]
        key = id(schema)
        _by_id[key] = (weakref.ref(schema, lambda _ref: _by_id.pop(key, None)), cls)
    return cls


def _build(schema: Schema) -> type:
    built: dict[str, type] = {}
    for plan in plan_classes(schema):
        built[plan.path] = _make_class(plan, built)
    # the classes hold a copy without memoised artefacts, so that they pickle
    clean = attrs.evolve(schema)
    for path, cls in built.items():
        cls.__brevetti_schema__ = clean  # type: ignore[attr-defined]
        cls.__brevetti_path__ = path  # type: ignore[attr-defined]
    return built[""]


def _make_class(plan: ClassPlan, built: Mapping[str, type]) -> type:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "__doc__": plan.doc,
        "__module__": __name__,
        "__qualname__": plan.name,
        "__annotations__": annotations,
        "__reduce__": _reduce,
    }
    for attribute in plan.attributes:
        tp = built[attribute.type.path] if isinstance(attribute.type, ClassPlan) else attribute.type
        annotations[attribute.name] = tp
        options: dict[str, Any] = {}
        if attribute.default is SECTION_DEFAULT:
            options["factory"] = tp
        elif attribute.mutable_default:
            options["factory"] = functools.partial(copy.deepcopy, attribute.default)
        elif attribute.default is not MISSING:
            options["default"] = attribute.default
        if attribute.key != attribute.name:
            options["metadata"] = {METADATA_KEY: {"key": attribute.key}}
        if attribute.name.startswith("_"):
            options["alias"] = attribute.name
        namespace[attribute.name] = attrs.field(**options)
    cls = type(plan.name, (), namespace)
    return attrs.frozen(kw_only=True)(cls)


def _reduce(self: Any) -> tuple[Any, ...]:
    """Pickle a live settings object by its schema and its plain (revealed) values."""
    cls = type(self)
    return (
        _rebuild,
        (cls.__brevetti_schema__, cls.__brevetti_path__, _REVEALING.unstructure(self)),
    )


def _rebuild(schema: Schema, path: str, data: Mapping[str, Any]) -> Any:
    cls = settings_class(schema)
    for part in path.split(".") if path else ():
        (attribute,) = (a for a in attrs.fields(cls) if _key(a) == part)
        cls = attribute.type
    return _STRUCTURER.structure(data, cls)


# -- structuring ------------------------------------------------------------------------


def _key(attribute: attrs.Attribute[Any]) -> str:
    record = attribute.metadata.get(METADATA_KEY) or {}
    key = record.get("key") if isinstance(record, Mapping) else None
    return key if isinstance(key, str) else attribute.name


def _admits_none(tp: Any) -> bool:
    if tp is None or tp is NoneType or tp is Any:
        return True
    return _is_union(tp) and NoneType in get_args(tp)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) is Union or isinstance(tp, UnionType)


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def _same_value(a: Any, b: Any) -> bool:
    if type(a) is type(b):
        return bool(a == b)
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def _structure_int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _structure_float(value: Any, _: Any) -> float:
    if value.__class__ is float:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected true or false, got {type(value).__name__}")


def _structure_secret(value: Any, _: Any) -> Secret:
    if isinstance(value, str | Secret):
        return Secret(value)
    raise TypeError(f"expected text for a secret, got {type(value).__name__}")


def _structure_literal(value: Any, tp: Any) -> Any:
    for option in get_args(tp):
        if _same_value(value, option):
            return option
    raise ValueError(f"{value!r} is not one of {list(get_args(tp))!r}")


def _literal_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """`_structure_literal` with the exact matches looked up in a table."""
    table = {(option.__class__, option): option for option in get_args(tp)}

    def structure_literal(value: Any, _: Any) -> Any:
        try:
            return table[value.__class__, value]
        except (KeyError, TypeError):
            return _structure_literal(value, tp)

    return structure_literal


_SCALAR_HOOKS: Final[dict[Any, Callable[[Any, Any], Any]]] = {
    int: _structure_int,
    float: _structure_float,
    str: _structure_str,
    bool: _structure_bool,
}


def _shape_fits(value: Any, tp: Any) -> bool:
    """Whether `value` has the runtime shape of `tp` (which member of a union it is)."""
    if tp is NoneType:
        return value is None
    if tp is Any:
        return True
    if _is_literal(tp):
        return any(_same_value(value, option) for option in get_args(tp))
    scalar = _structure_secret if tp is Secret else _SCALAR_HOOKS.get(tp)
    if scalar is not None:
        try:
            scalar(value, tp)
        except TypeError:
            return False
        return True
    origin = get_origin(tp) or tp
    if origin in (list, tuple, Sequence):
        return isinstance(value, list | tuple)
    if origin in (dict, Mapping) or attrs.has(origin):
        return isinstance(value, Mapping)
    return isinstance(origin, type) and isinstance(value, origin)


def _union_hook(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Structure a union by the first member whose runtime shape the value has."""
    members = get_args(tp)

    def structure_union(value: Any, _: Any) -> Any:
        for member in members:
            if _shape_fits(value, member):
                return None if member is NoneType else converter.structure(value, member)
        raise TypeError(f"{type(value).__name__} value does not match {tp}")

    return structure_union


_JSON_MEMBERS: Final = frozenset(get_args(JSON_TYPE))


def _is_json_type(tp: Any) -> bool:
    members = set(get_args(tp)) - {NoneType} if _is_union(tp) else {tp}
    return bool(members) and members <= _JSON_MEMBERS


def _structure_json(value: Any, tp: Any) -> Any:
    """A deep copy, so that the settings object shares nothing with its input."""
    members = get_args(tp) if _is_union(tp) else (tp,)
    if value is None and NoneType in members:
        return None
    if any(_shape_fits(value, member) for member in members if member is not NoneType):
        return copy.deepcopy(value)
    raise TypeError(f"expected a JSON object or list, got {type(value).__name__}")


def _structure_class_mapping(value: Any, _: Any) -> Mapping[str, str | tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping of folder to class, got {type(value).__name__}")
    result: dict[str, str | tuple[str, ...]] = {}
    for folder, target in value.items():
        if isinstance(folder, str) and isinstance(target, str):
            result[folder] = target
        elif (
            isinstance(folder, str)
            and isinstance(target, list | tuple)
            and all(isinstance(t, str) for t in target)
        ):
            result[folder] = tuple(target)
        else:
            raise TypeError(f"{folder!r}: expected a class name or a list of class names")
    return MappingProxyType(result)


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], tuple[Any, ...]]:
    item_type = get_args(tp)[0]
    item_hook = converter.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        try:
            return tuple([item_hook(item, item_type) for item in value])
        except (TypeError, ValueError):
            pass
        problems = []
        for index, item in enumerate(value):
            try:
                item_hook(item, item_type)
            except (TypeError, ValueError) as exc:
                problems.append(f"item {index}: {exc}")
        raise ValueError("; ".join(problems))

    return structure_tuple


def _attrs_structure_hook(cls: type, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    renames: dict[str, Any] = {
        a.name: override(rename=_key(a)) for a in fields if _key(a) != a.name
    }
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
        cls, converter, _cattrs_forbid_extra_keys=True, **renames
    )
    unset_when_none = frozenset(
        _key(a) for a in fields if a.default is not attrs.NOTHING and not _admits_none(a.type)
    )
    if not unset_when_none:
        return inner

    def structure_settings(data: Any, tp: Any) -> Any:
        if isinstance(data, Mapping):
            for key in unset_when_none:
                if key in data and data[key] is None:
                    data = {
                        k: v for k, v in data.items() if v is not None or k not in unset_when_none
                    }
                    break
        return inner(data, tp)

    return structure_settings


def _make_structurer() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    for tp, hook in _SCALAR_HOOKS.items():
        converter.register_structure_hook(tp, hook)
    converter.register_structure_hook(Secret, _structure_secret)
    converter.register_structure_hook_factory(_is_literal, _literal_hook)
    converter.register_structure_hook_factory(_is_union, _union_hook)
    converter.register_structure_hook_func(_is_json_type, _structure_json)
    converter.register_structure_hook_func(
        lambda tp: tp == CLASS_MAPPING_TYPE, _structure_class_mapping
    )
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
    converter.register_structure_hook_factory(attrs.has, _attrs_structure_hook)
    return converter


# -- unstructuring ----------------------------------------------------------------------


def _make_unstructurer(reveal: bool) -> cattrs.Converter:
    converter = cattrs.Converter()
    plain = converter.unstructure

    def sequence(value: Any) -> list[Any]:
        return [plain(v) for v in value]

    def mapping(value: Mapping[Any, Any]) -> dict[Any, Any]:
        return {k: plain(v) for k, v in value.items()}

    def settings_hook(cls: type) -> Callable[[Any], dict[str, Any]]:
        names = [(a.name, _key(a)) for a in attrs.fields(cls)]

        def unstructure_settings(obj: Any) -> dict[str, Any]:
            return {key: plain(getattr(obj, name)) for name, key in names}

        return unstructure_settings

    converter.register_unstructure_hook(Secret, Secret.reveal if reveal else lambda _: MASK)
    for sequence_type in (tuple, list):
        converter.register_unstructure_hook(sequence_type, sequence)
    for mapping_type in (dict, MappingProxyType):
        converter.register_unstructure_hook(mapping_type, mapping)
    converter.register_unstructure_hook_factory(attrs.has, settings_hook)
    return converter


_STRUCTURER: Final = _make_structurer()
_MASKING: Final = _make_unstructurer(reveal=False)
_REVEALING: Final = _make_unstructurer(reveal=True)


@overload
def structure(target: type[T], data: Mapping[str, Any]) -> T: ...
@overload
def structure(target: Schema, data: Mapping[str, Any]) -> Any: ...
def structure(target: Schema | type[Any], data: Mapping[str, Any]) -> Any:
    """A settings object from a decoded settings tree.

    `target` is a schema (its live class is used) or an attrs settings class (a
    generated or class-first one). Data of the wrong shape raises `SettingsError`
    (every problem, by path, values never shown); the settings pipeline validates
    before structuring and explains problems in more detail.
    """
    cls = settings_class(target) if isinstance(target, Schema) else target
    schema = target if isinstance(target, Schema) else None
    if not isinstance(data, Mapping):
        raise _settings_error(schema, [((), f"expected settings, got {type(data).__name__}")])
    try:
        return _STRUCTURER.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise _settings_error(schema, list(_problems(exc, cls, ()))) from exc


def _problems(
    exc: BaseException, tp: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path, message) for each leaf of a cattrs error tree."""
    if isinstance(exc, ClassValidationError):
        keys = {a.name: _key(a) for a in attrs.fields(tp)} if attrs.has(tp) else {}
        noted, bare = exc.group_exceptions()
        for sub, note in noted:
            yield from _problems(sub, note.type, (*path, keys.get(note.name, note.name)))
        for sub in bare:
            yield from _problems(sub, tp, path)
    elif isinstance(exc, IterableValidationError):
        items, bare = exc.group_exceptions()
        for sub, item in items:
            yield from _problems(sub, item.type, (*path, str(item.index)))
        for sub in bare:
            yield from _problems(sub, tp, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (*path, key), "unknown setting"
    elif isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _problems(inner, tp, path)
    elif isinstance(exc, KeyError):
        yield path, "a value is required"
    else:
        yield path, str(exc)


def _settings_error(
    schema: Schema | None, problems: list[tuple[tuple[str, ...], str]]
) -> SettingsError:
    records = []
    for parts, message in problems:
        path = ".".join(parts)
        node = schema.find(path) if schema is not None and path else None
        pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)
        records.append(SettingsProblem(path, pointer, node.label if node else "", message))
    return SettingsError(records)


def unstructure(
    settings: Any,
    *,
    schema: Schema | None = None,
    transport: bool = False,
    reveal_secrets: bool = False,
) -> dict[str, Any]:
    """The plain settings tree of a settings object, keyed by settings keys.

    Secrets show as ``"********"`` unless `reveal_secrets`. With `transport` the tree
    is the platform's transport form (JSON text for `isJson` fields, ``""`` for empty
    text); that needs the schema, which live classes know and others take as `schema`.
    """
    if not attrs.has(type(settings)):
        raise TypeError(f"expected a settings object, got {type(settings).__name__}")
    tree: dict[str, Any] = (_REVEALING if reveal_secrets else _MASKING).unstructure(settings)
    if not transport:
        return tree
    path = getattr(type(settings), "__brevetti_path__", "")
    if schema is None:
        schema = getattr(type(settings), "__brevetti_schema__", None)
    if schema is None:
        raise TypeError("the transport form needs the schema: pass schema=")
    section = schema.find(path) if path else None
    nodes = section.children if isinstance(section, Section) else schema.children
    return dict(_encode(nodes, tree))


def _encode(nodes: tuple[Node, ...], tree: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    known = {n.key: n for n in nodes if isinstance(n, Field | Section)}
    for key, value in tree.items():
        node = known.get(key)
        if isinstance(node, Section) and isinstance(value, Mapping):
            yield key, dict(_encode(node.children, value))
        elif isinstance(node, Field):
            yield key, encode_value(node, value)
        else:
            yield key, value
