"""Pydantic-first declarations: pydantic v2 `BaseModel` settings classes, read into the model.

::

    class Training(BaseModel):
        \"\"\"How the model is trained.\"\"\"
        epochs: int = Field(10, ge=1, description="Passes over the data")
        loss: Literal["bce", "mse"] = "bce"
        seed: int | None = None

    class Settings(BaseModel):
        training: Training = Training()
        token: SecretStr | None = None

    schema = schema_from_pydantic(Settings)

The counterpart of the attrs class-first front end for the modern form of brevettiai's
`JobSettings`. Kinds come from the annotations pydantic resolved, constraints from
``Field(ge=, le=, gt=, lt=, multiple_of=, min_length=, max_length=, pattern=)``, labels
from ``title`` and help from ``description``; ``json_schema_extra`` may add the form's
own details (``advanced``, ``hint``, ``unit``, ``step``, ``kind``, ``visible_when``,
``presets``, ``exclude`` ...). `Literal` and `Enum` annotations are choices, nested
models are sections; a field without a default is required unless its type admits
``None`` (``X | None``: then it is ``None`` when not given, never 0).

Typed settings are made by the class itself (`structure_pydantic`), after the settings
pipeline has checked them, so validators of the class run too and what they refuse
comes back as a `SettingsError`. Pydantic is imported only when such a class is given.
"""

from __future__ import annotations

import enum
import inspect
import pathlib
import sys
import weakref
from collections.abc import Mapping, Sequence
from types import NoneType
from typing import TYPE_CHECKING, Annotated, Any, Final, Union, get_args, get_origin

from .._emit.classes.settings_types import is_literal, is_union
from .._errors import SchemaError, SchemaProblem, SettingsError, SettingsProblem
from .._kinds import ANNOTATION_KINDS, LIST_ITEM_KINDS
from .._kinds.checks import check_schema, raise_for_problems
from .._model.conditions import condition_from_data
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
from .._model.secret import MASK
from .builder import presets_tree
from .class_first import settle_kind

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

__all__ = ["is_pydantic_model", "schema_from_pydantic", "settings_target", "structure_pydantic"]

_EXTRA_FIELD_KEYS: Final = frozenset(
    {
        "label", "hint", "placeholder", "advanced", "readonly", "unit", "step", "multiline",
        "rows", "options", "json_schema", "kind", "of", "secret", "required", "visible_when",
        "presets", "exclude",
    }
)  # fmt: skip
"""What ``json_schema_extra`` may say about a field (anything else there is for pydantic)."""

_EXTRA_SECTION_KEYS: Final = frozenset({"label", "advanced", "visible_when", "exclude"})

_CONSTRAINTS: Final = (
    ("ge", "minimum"),
    ("le", "maximum"),
    ("gt", "exclusive_minimum"),
    ("lt", "exclusive_maximum"),
    ("multiple_of", "multiple_of"),
    ("min_length", "min_length"),
    ("max_length", "max_length"),
    ("pattern", "pattern"),
)
"""Constraint attributes of pydantic / annotated-types metadata -> `Field` attributes."""

_COLLECTIONS: Final = (list, tuple, set, frozenset, Sequence)


def is_pydantic_model(source: Any) -> bool:
    """Whether `source` is a pydantic `BaseModel` subclass (never imports pydantic)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(source, type):
        return False
    base = getattr(pydantic, "BaseModel", None)
    return isinstance(base, type) and issubclass(source, base) and source is not base


def settings_target(source: Any) -> type | None:
    """The class typed settings of `source` are made into: the class itself for an attrs
    class-first class or a pydantic model class, ``None`` for any other schema source."""
    if isinstance(source, type) and (
        hasattr(source, "__attrs_attrs__") or is_pydantic_model(source)
    ):
        return source
    return None


# -- reading classes ----------------------------------------------------------------------


class _Reader:
    """Reads one model class tree, collecting every problem and the per-field presets."""

    def __init__(self) -> None:
        from pydantic import BaseModel, SecretStr  # noqa: PLC0415 - only for such classes
        from pydantic_core import PydanticUndefined  # noqa: PLC0415

        self.base_model = BaseModel
        self.secret_types: tuple[type, ...] = (SecretStr,)
        self.undefined = PydanticUndefined
        self.problems: list[SchemaProblem] = []
        self.preset_values: list[tuple[str, str, Any]] = []

    def is_model(self, tp: Any) -> bool:
        return isinstance(tp, type) and issubclass(tp, self.base_model)

    def nodes(
        self,
        cls: type[BaseModel],
        prefix: str,
        stack: tuple[type, ...],
        overrides: Mapping[str, Any],
    ) -> tuple[Node, ...]:
        if cls in stack:
            self.problems.append(SchemaProblem(prefix.rstrip("."), "models nest in a cycle"))
            return ()
        result: list[Node] = []
        for name, info in cls.model_fields.items():
            key = info.alias or name
            path = prefix + key
            extra = _extra(info)
            if extra.get("exclude"):
                if info.is_required():
                    self.problems.append(
                        SchemaProblem(path, "a field left out of the schema needs a default")
                    )
                continue
            try:
                default = self.default(info, path, overrides.get(key, MISSING))
                tp, _ = _strip_annotated(info.annotation)
                if self.is_model(tp):
                    node: Node = self.section(tp, key, path, extra, default, (*stack, cls))
                else:
                    node = self.field(info, key, path, extra, default)
                result.append(node)
            except SchemaError as exc:
                where = f"{cls.__name__}.{name}"
                self.problems += [
                    SchemaProblem(p.path, f"{p.message} (field {where})") for p in exc.problems
                ]
        return tuple(result)

    def default(self, info: FieldInfo, path: str, override: Any) -> Any:
        """The field's default in the model's decoded form (`MISSING` when it has none)."""
        if override is not MISSING:
            return override
        if info.default_factory is not None:
            try:
                value = info.default_factory()  # type: ignore[call-arg]
            except TypeError:
                raise SchemaError.single(
                    path, "a default factory that takes the validated data is not supported"
                ) from None
        elif info.default is self.undefined:
            return MISSING
        else:
            value = info.default
        return self.model_value(value)

    def model_value(self, value: Any) -> Any:
        """A value in the model's decoded form: plain lists, dicts and scalars."""
        if isinstance(value, self.base_model):
            fields = type(value).model_fields
            return {
                (info.alias or name): self.model_value(getattr(value, name))
                for name, info in fields.items()
            }
        if isinstance(value, self.secret_types):
            return value.get_secret_value()  # type: ignore[attr-defined]
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, pathlib.PurePath):
            return str(value)
        if isinstance(value, Mapping):
            return {k: self.model_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(value) if isinstance(value, set | frozenset) else value
            return [self.model_value(v) for v in items]
        return value

    def section(
        self,
        cls: type[BaseModel],
        key: str,
        path: str,
        extra: dict[str, Any],
        default: Any,
        stack: tuple[type, ...],
    ) -> Section:
        unknown = set(extra) - _EXTRA_SECTION_KEYS
        if unknown:
            raise SchemaError.single(path, f"a section takes no {sorted(unknown)}")
        doc = inspect.cleandoc(cls.__doc__) if cls.__doc__ else None
        condition = extra.get("visible_when")
        overrides = default if isinstance(default, Mapping) else {}
        return Section(
            key=key,
            label=extra.get("label") or derive_label(key),
            children=self.nodes(cls, path + ".", stack, overrides),
            help=doc,
            advanced=bool(extra.get("advanced", False)),
            visible_when=None if condition is None else condition_from_data(condition, path),
        )

    def field(
        self, info: FieldInfo, key: str, path: str, extra: dict[str, Any], default: Any
    ) -> Field:
        unknown = set(extra) - _EXTRA_FIELD_KEYS
        if unknown:
            raise SchemaError.single(path, f"json_schema_extra has unknown keys {sorted(unknown)}")
        tp, metadata = _strip_annotated(info.annotation)
        optional = False
        if is_union(tp) and NoneType in get_args(tp):
            optional = True
            rest = [a for a in get_args(tp) if a is not NoneType]
            tp = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007
            tp, inner = _strip_annotated(tp)
            metadata = [*metadata, *inner]
        kind, spec = self.kind_of(tp, extra, path)
        constraints = _constraints([*info.metadata, *metadata], kind)
        if "options" in extra:
            spec["options"] = options_from(extra["options"], path)
        for name, value in (extra.get("presets") or {}).items():
            self.preset_values.append((name, path, self.model_value(value)))
        record: dict[str, Any] = {k: extra[k] for k in _PRESENTATION if k in extra}
        if record.get("rows") is not None:
            record["multiline"] = True
        condition = extra.get("visible_when")
        required = extra.get("required")
        if required is None:
            required = not optional and default is MISSING
        attributes: dict[str, Any] = {**spec, **constraints, **record}
        return Field(
            kind=kind,
            key=key,
            label=extra.get("label") or info.title or derive_label(key),
            help=info.description,
            default=default,
            required=bool(required),
            visible_when=None if condition is None else condition_from_data(condition, path),
            **attributes,
        )

    def kind_of(self, tp: Any, extra: dict[str, Any], path: str) -> tuple[Kind, dict[str, Any]]:
        """The field kind an annotation implies (or `extra` names) and what it implies."""
        inferred = self.from_type(tp, "options" in extra)
        if extra.get("secret"):
            return Kind.SECRET, {}
        return settle_kind(tp, inferred, extra.get("kind"), extra.get("of"), path)

    def from_type(self, tp: Any, has_options: bool) -> tuple[Kind, dict[str, Any]] | None:
        """The kind a (non-optional) annotation implies, or ``None`` for none we support."""
        scalar = self.scalar_kind(tp)
        if scalar is not None:
            if has_options and scalar is not Kind.SECRET:
                return Kind.CHOICE, {}
            return scalar, {}
        choices = _choices(tp)
        if choices is not None:
            return Kind.CHOICE, {"options": choices}
        if tp is Any or tp in (dict, list, Mapping) or self.is_model(tp):
            return Kind.JSON, {}
        origin, args = get_origin(tp), get_args(tp)
        if origin in _COLLECTIONS:
            if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
                return None
            item, _ = _strip_annotated(args[0] if args else Any)
            item_choices = _choices(item)
            if item_choices is not None:
                return Kind.MULTI_CHOICE, {"options": item_choices}
            item_kind = self.scalar_kind(item)
            if item_kind in LIST_ITEM_KINDS:
                if has_options:
                    return Kind.MULTI_CHOICE, {}
                return Kind.LIST, {"item_kind": item_kind}
            if item is Any or get_origin(item) in (dict, Mapping) or item is dict:
                return Kind.JSON, {}
            if self.is_model(item):
                return Kind.JSON, {}
            return None
        if origin in (dict, Mapping) and len(args) == 2 and args[0] is str:
            return Kind.JSON, {}
        return None

    def scalar_kind(self, tp: Any) -> Kind | None:
        """The kind a plain annotation declares (the kinds say which), a pydantic path
        type declaring a text and `SecretStr` a secret (our `Secret` is no pydantic type)."""
        if isinstance(tp, type) and issubclass(tp, pathlib.PurePath):
            return Kind.TEXT
        if isinstance(tp, type) and issubclass(tp, self.secret_types):
            return Kind.SECRET
        kind = ANNOTATION_KINDS.get(tp)
        return None if kind is Kind.SECRET else kind


_PRESENTATION: Final = (
    "hint", "placeholder", "advanced", "readonly", "unit", "step", "multiline", "rows",
    "json_schema",
)  # fmt: skip


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return dict(extra) if isinstance(extra, Mapping) else {}


def _strip_annotated(tp: Any) -> tuple[Any, list[Any]]:
    """The type inside ``Annotated[...]`` and the metadata it carried (flattened)."""
    metadata: list[Any] = []
    while get_origin(tp) is Annotated:
        tp, *more = get_args(tp)
        for item in more:
            metadata += list(getattr(item, "metadata", None) or [item])
    return tp, metadata


def _choices(tp: Any) -> tuple[Option, ...] | None:
    if is_literal(tp):
        return tuple(Option(v) for v in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tuple(Option(member.value) for member in tp)
    return None


def _constraints(metadata: list[Any], kind: Kind) -> dict[str, Any]:
    """Field attributes from constraint metadata; lengths of lists count their items."""
    found: dict[str, Any] = {}
    for item in metadata:
        for attribute, target in _CONSTRAINTS:
            value = getattr(item, attribute, None)
            if value is None:
                continue
            if attribute == "pattern":
                value = getattr(value, "pattern", value)
            if kind in (Kind.LIST, Kind.MULTI_CHOICE, Kind.JSON) and target in (
                "min_length",
                "max_length",
            ):
                if kind is Kind.JSON:
                    continue
                target = target.replace("length", "items")
            found[target] = value
    return found


def schema_from_pydantic(
    cls: type,
    *,
    title: str | None = None,
    presets: Mapping[str, Mapping[str, Any]] | None = None,
) -> Schema:
    """The schema model a pydantic settings class declares; `SchemaError` lists problems.

    Read once per class (without `title` or `presets`): the model is immutable, and the
    validators compiled for it are then made once too.
    """
    if not is_pydantic_model(cls):
        raise SchemaError.single("", f"{cls!r} is not a pydantic BaseModel subclass")
    if title is None and presets is None:
        known = _READ.get(cls)
        if known is None:
            known = _READ[cls] = _read(cls, None, None)
        return known
    return _read(cls, title, presets)


_READ: weakref.WeakKeyDictionary[type, Schema] = weakref.WeakKeyDictionary()
"""Schemas already read, by class (a class that goes away takes its entry with it)."""


def _read(
    cls: type,
    title: str | None,
    presets: Mapping[str, Mapping[str, Any]] | None,
) -> Schema:
    reader = _Reader()
    children = reader.nodes(cls, "", (), {})
    if reader.problems:
        raise SchemaError(reader.problems)
    tree = presets_tree(reader.preset_values, presets, reader.model_value)
    schema = Schema(children=children, presets=tree, title=title)
    warnings = raise_for_problems(check_schema(schema))
    declared = Schema(children=children, presets=tree, title=title, warnings=tuple(warnings))
    return declared.declared(cls)


# -- typed settings -------------------------------------------------------------------------


def structure_pydantic(cls: type, tree: Mapping[str, Any], schema: Schema | None = None) -> Any:
    """An instance of the pydantic class from a checked settings tree.

    What the class's own validators refuse becomes a `SettingsError` located by path;
    a secret setting's value is never shown.
    """
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        return cls.model_validate(dict(tree))  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise _settings_error(exc, schema) from None


def _settings_error(exc: Any, schema: Schema | None) -> SettingsError:
    """The class's refusals as problems: located by the error's `loc`, code
    ``invalid_value`` (as `structure` reports data that does not fit), pydantic's words."""
    records = []
    for error in exc.errors(include_url=False):
        loc = tuple(p if isinstance(p, int) else str(p) for p in error.get("loc", ()))
        path = ".".join(p for p in loc if isinstance(p, str))
        node = schema.find(path) if schema is not None and path else None
        secret = isinstance(node, Field) and node.kind is Kind.SECRET
        records.append(
            SettingsProblem(
                loc=loc,
                code="invalid_value",
                label=node.label if node is not None else "",
                message=str(error.get("msg", "invalid")),
                value=MASK if secret else _plain(error.get("input")),
            )
        )
    return SettingsError(records)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return repr(value)
