"""Class-first declarations: attrs classes written by an author, read into the model.

::

    @attrs.frozen
    class Training:
        epochs: int = setting(10, min=1, help="Passes over the data")
        loss: Literal["bce", "mse"] = "bce"

    @attrs.frozen
    class Settings:
        training: Training = setting(factory=Training, advanced=True)
        token: Secret | None = None

    schema = schema_from_class(Settings)

Kinds come from the annotations (resolved with `typing.get_type_hints`, so string
annotations work), and `setting(...)` metadata adds or overrides the rest. A field
without a default whose type does not admit ``None`` is required.
"""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from types import NoneType
from typing import Any, Final, get_args, get_origin

import attrs

from .._emit.classes.settings_types import METADATA_KEY, is_literal, is_union
from .._errors import SchemaError, SchemaProblem
from .._kinds import ANNOTATION_KINDS, LIST_ITEM_KINDS
from .._kinds.checks import check_schema, raise_for_problems
from .._model.conditions import condition_from_data
from .._model.frozen import FrozenDict, FrozenList
from .._model.nodes import (
    MISSING,
    Field,
    Kind,
    Node,
    Option,
    Schema,
    Section,
    derive_label,
    options_from,
)
from .._model.secret import Secret
from .builder import presets_tree

__all__ = ["schema_from_class", "setting"]

_SEQUENCES: Final = (tuple, list, Sequence, FrozenList)
_MAPPINGS: Final = (dict, Mapping, FrozenDict)
_SECTION_KEYS: Final = frozenset({"key", "label", "help", "advanced", "visible_when"})


def setting(
    default: Any = MISSING,
    *,
    factory: Callable[[], Any] | None = None,
    key: str | None = None,
    label: str | None = None,
    help: str | None = None,
    hint: str | None = None,
    placeholder: str | None = None,
    required: bool | None = None,
    advanced: bool | None = None,
    readonly: bool | None = None,
    unit: str | None = None,
    min: float | None = None,
    max: float | None = None,
    exclusive_min: float | None = None,
    exclusive_max: float | None = None,
    step: float | None = None,
    multiple_of: float | None = None,
    multiline: bool | None = None,
    rows: int | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    options: Any = None,
    min_items: int | None = None,
    max_items: int | None = None,
    json_schema: Mapping[str, Any] | None = None,
    kind: str | Kind | None = None,
    of: str | Kind | None = None,
    secret: bool = False,
    visible_when: Any = None,
    presets: Mapping[str, Any] | None = None,
) -> Any:
    """An attrs field carrying the schema details of one setting (or section).

    `key` is the settings key when it differs from the attribute name; `kind`
    overrides the kind inferred from the annotation (e.g. ``"classes"``); `of` is the
    item kind of a list; `options` gives choices their labels. A mutable default
    (list, dict) is copied per instance.
    """
    record = {
        "key": key,
        "label": label,
        "help": help,
        "hint": hint,
        "placeholder": placeholder,
        "required": required,
        "advanced": advanced,
        "readonly": readonly,
        "unit": unit,
        "minimum": min,
        "maximum": max,
        "exclusive_minimum": exclusive_min,
        "exclusive_maximum": exclusive_max,
        "step": step,
        "multiple_of": multiple_of,
        "multiline": multiline,
        "rows": rows,
        "min_length": min_length,
        "max_length": max_length,
        "pattern": pattern,
        "options": options,
        "min_items": min_items,
        "max_items": max_items,
        "json_schema": json_schema,
        "kind": Kind.SECRET if secret else kind,
        "item_kind": of,
        "visible_when": visible_when,
        "presets": presets,
    }
    metadata = {METADATA_KEY: {k: v for k, v in record.items() if v is not None}}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata)
    if isinstance(default, list | dict):
        return attrs.field(factory=_copier(default), metadata=metadata)
    if default is MISSING:
        return attrs.field(metadata=metadata)
    return attrs.field(default=default, metadata=metadata)


def _copier(value: Any) -> Callable[[], Any]:
    return lambda: copy.deepcopy(value)


# -- reading classes ----------------------------------------------------------------------


class _Reader:
    """Reads one class tree, collecting every problem and the per-field presets."""

    def __init__(self) -> None:
        self.problems: list[SchemaProblem] = []
        self.preset_values: list[tuple[str, str, Any]] = []

    def nodes(self, cls: type, prefix: str, stack: tuple[type, ...]) -> tuple[Node, ...]:
        if cls in stack:
            self.problems.append(SchemaProblem(prefix.rstrip("."), "classes nest in a cycle"))
            return ()
        try:
            hints = typing.get_type_hints(cls)
        except Exception as exc:  # noqa: BLE001 - any failure to resolve is the author's
            path = prefix.rstrip(".")
            self.problems.append(
                SchemaProblem(path, f"cannot resolve the annotations of {cls.__name__}: {exc}")
            )
            return ()
        result: list[Node] = []
        for attribute in attrs.fields(cls):
            if not attribute.init:
                continue
            record = dict(attribute.metadata.get(METADATA_KEY) or {})
            key = record.get("key", attribute.name)
            path = prefix + key
            tp = hints.get(attribute.name, attribute.type)
            try:
                if isinstance(tp, type) and attrs.has(tp):
                    result.append(self.section(tp, key, path, record, (*stack, cls)))
                else:
                    result.append(self.field(attribute, tp, key, path, record))
            except SchemaError as exc:
                where = f"{cls.__name__}.{attribute.name}"
                self.problems += [
                    attrs.evolve(p, message=f"{p.message} (attribute {where})")
                    for p in exc.problems
                ]
        return tuple(result)

    def section(
        self, cls: type, key: str, path: str, record: dict[str, Any], stack: tuple[type, ...]
    ) -> Section:
        unknown = set(record) - _SECTION_KEYS
        if unknown:
            raise SchemaError.single(path, f"a section takes no {sorted(unknown)}")
        doc = inspect.cleandoc(cls.__doc__) if cls.__doc__ else None
        condition = record.get("visible_when")
        return Section(
            key=key,
            label=record.get("label") or derive_label(key),
            children=self.nodes(cls, path + ".", stack),
            help=record.get("help", doc),
            advanced=bool(record.get("advanced", False)),
            visible_when=None if condition is None else condition_from_data(condition, path),
        )

    def field(
        self,
        attribute: attrs.Attribute[Any],
        tp: Any,
        key: str,
        path: str,
        record: dict[str, Any],
    ) -> Field:
        default = _default(attribute, path)
        optional, kind, inferred = _infer(tp, record, path)
        options = record.pop("options", None)
        if options is not None:
            inferred["options"] = options_from(options, path)
        condition = record.pop("visible_when", None)
        for name, value in (record.pop("presets", None) or {}).items():
            self.preset_values.append((name, path, _model_value(value)))
        record.pop("key", None)
        record.pop("kind", None)
        label = record.pop("label", None)
        required = record.pop("required", None)
        if record.get("rows") is not None:
            record["multiline"] = True
        return Field(
            kind=kind,
            key=key,
            label=label if label is not None else derive_label(key),
            default=default,
            required=required if required is not None else not optional and default is MISSING,
            visible_when=None if condition is None else condition_from_data(condition, path),
            **{**inferred, **record},
        )


def _default(attribute: attrs.Attribute[Any], path: str) -> Any:
    value: Any = attribute.default
    if value is attrs.NOTHING:
        return MISSING
    if isinstance(value, attrs.Factory):  # type: ignore[arg-type]
        if value.takes_self:
            raise SchemaError.single(path, "a default factory may not take self")
        value = value.factory()
    return _model_value(value)


def _model_value(value: Any) -> Any:
    """A value in the model's decoded form: lists and dicts, secrets revealed."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Mapping):
        return {k: _model_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_model_value(v) for v in value]
    return value


# -- kinds from annotations ---------------------------------------------------------------


def _infer(tp: Any, record: dict[str, Any], path: str) -> tuple[bool, Kind, dict[str, Any]]:
    """Whether the type admits ``None``, the field kind, and what the type implies."""
    optional = False
    if is_union(tp) and NoneType in get_args(tp):
        optional = True
        rest = [a for a in get_args(tp) if a is not NoneType]
        tp = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    override = record.get("kind")
    item = record.pop("item_kind", None)
    inferred = _from_type(tp, record.get("options") is not None)
    kind, spec = settle_kind(tp, inferred, override, item, path, hint="; use of=")
    return optional, kind, spec


def settle_kind(
    tp: Any,
    inferred: tuple[Kind, dict[str, Any]] | None,
    override: Any,
    item: Any,
    path: str,
    *,
    hint: str = "",
) -> tuple[Kind, dict[str, Any]]:
    """A class-first field's kind: the one its annotation implies (`inferred`) unless a
    declared kind overrides it, with the item kind a list needs; `SchemaError` if none."""
    if override is None:
        if inferred is None:
            raise SchemaError.single(path, f"unsupported annotation {shown_type(tp)}")
        kind, spec = inferred
    else:
        kind = kind_named(override, path)
        found, spec = inferred or (None, {})
        if found is not kind:
            spec = {k: v for k, v in spec.items() if k == "options"}
    if item is not None:
        spec["item_kind"] = kind_named(item, path)
    if kind is not Kind.LIST:
        spec.pop("item_kind", None)
    elif spec.get("item_kind") not in LIST_ITEM_KINDS:
        raise SchemaError.single(path, f"cannot tell the item kind of {shown_type(tp)}{hint}")
    return kind, spec


def kind_named(value: Any, path: str) -> Kind:
    """The `Kind` a declaration names (a `Kind` or its value); `SchemaError` if unknown."""
    try:
        return value if isinstance(value, Kind) else Kind(value)
    except ValueError:
        raise SchemaError.single(path, f"unknown kind {value!r}") from None


def shown_type(tp: Any) -> str:
    """An annotation as a message shows it."""
    return tp.__name__ if isinstance(tp, type) else repr(tp)


def _literal_options(tp: Any) -> tuple[Option, ...]:
    return tuple(Option(v) for v in get_args(tp))


def _from_type(tp: Any, has_options: bool) -> tuple[Kind, dict[str, Any]] | None:
    """The kind an annotation implies, or ``None`` when it implies none we support."""
    if tp in ANNOTATION_KINDS:
        if has_options and tp is not Secret:
            return Kind.CHOICE, {}
        return ANNOTATION_KINDS[tp], {}
    if is_literal(tp):
        return Kind.CHOICE, {"options": _literal_options(tp)}
    if tp is Any or tp in (dict, list, Mapping) or _is_json_union(tp):
        return Kind.JSON, {}
    origin, args = get_origin(tp), get_args(tp)
    if origin in _SEQUENCES:
        return _sequence(origin, args, has_options)
    if origin in _MAPPINGS and len(args) == 2 and args[0] is str:
        return (Kind.CLASS_MAPPING, {}) if _is_class_target(args[1]) else (Kind.JSON, {})
    return None


def _sequence(
    origin: Any, args: tuple[Any, ...], has_options: bool
) -> tuple[Kind, dict[str, Any]] | None:
    if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
        return None
    item = args[0] if args else Any
    if is_literal(item):
        return Kind.MULTI_CHOICE, {"options": _literal_options(item)}
    if ANNOTATION_KINDS.get(item) in LIST_ITEM_KINDS:
        if has_options:
            return Kind.MULTI_CHOICE, {}
        return Kind.LIST, {"item_kind": ANNOTATION_KINDS[item]}
    if item is Any and origin is list:
        return Kind.JSON, {}
    return None


def _is_json_union(tp: Any) -> bool:
    origins = {get_origin(a) or a for a in get_args(tp)} if is_union(tp) else set()
    return bool(origins) and origins <= {dict, list, Mapping} and len(origins) == 2


def _is_class_target(tp: Any) -> bool:
    """Whether a mapping's value type is a class name or a list of class names."""
    if tp is str:
        return True
    targets = set(get_args(tp)) if is_union(tp) else {tp}
    sequences = {t for t in targets if t is not str}
    return (
        str in targets
        and len(sequences) == 1
        and all(
            get_origin(t) in (list, tuple, FrozenList) and get_args(t)[:1] == (str,)
            for t in sequences
        )
    )


def schema_from_class(
    cls: type,
    *,
    title: str | None = None,
    presets: Mapping[str, Mapping[str, Any]] | None = None,
) -> Schema:
    """The schema model an attrs settings class declares; `SchemaError` lists problems."""
    if not (isinstance(cls, type) and attrs.has(cls)):
        raise SchemaError.single("", f"{cls!r} is not an attrs class")
    reader = _Reader()
    children = reader.nodes(cls, "", ())
    if reader.problems:
        raise SchemaError(reader.problems)
    tree = presets_tree(reader.preset_values, presets, _model_value)
    schema = Schema(children=children, presets=tree, title=title)
    warnings = raise_for_problems(check_schema(schema))
    return (attrs.evolve(schema, warnings=tuple(warnings)) if warnings else schema).declared(cls)
