"""brevettiai compatibility: its field factories, `SchemaBuilder` and `apply_schema_to_model`.

Code written against brevettiai's ``vue_schema_utils`` runs unchanged after changing the
import to ``brevetti_schema.compat``, and builds the same platform UI JSON documents,
except for brevettiai's known defects, which are fixed here:

* keywords given to `field_classes` / `field_class_mapping` land on the field, not in a
  stray ``"kwargs"`` key;
* `SchemaBuilder.append` and ``+`` keep the appended builder's presets;
* a builder's namespace sits inside each preset (``{"quick": {"ns": {...}}}``), not above
  the preset names;
* `number_input` without a default gets ``None``, not ``0``;
* enum classes and members are accepted wherever values are (their ``.value`` is used);
* ``gt`` / ``lt`` bounds are kept, as ``exclusiveMinimum`` / ``exclusiveMaximum``;
* missing required settings raise `SettingsError` naming every path, not an ``assert``.

Like brevettiai, the factories accept what the platform accepted (a default outside
``min``/``max``, say); `to_schema` turns the result into our model, where such values
become warnings.
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from ._errors import SchemaError, SettingsError, SettingsProblem
from ._trees import deep_merge, set_path

if TYPE_CHECKING:
    from ._model import Schema

__all__ = [
    "SchemaBuilder",
    "apply_schema_to_model",
    "checkbox",
    "checklist",
    "field_class_mapping",
    "field_classes",
    "label",
    "number_input",
    "select",
    "text_area",
    "text_input",
    "to_schema",
]

Record = dict[str, Any]
"""One field record of a platform UI JSON document, as the factories return it."""

EXTENSION_KEY = "brevetti"
"""Our record key for what vue-form-generator keys cannot carry (see `_platform_ui`)."""

_JSON_INDENT = {"textArea": 2}
"""Indentation of JSON-encoded values per field type (text areas show several lines)."""


# -- values ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """`value` as plain JSON data: enum members become their values, tuples lists."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _plain_values(values: Iterable[Any] | type[enum.Enum]) -> list[Any]:
    """Option values from a list or an enum class, as plain data."""
    return [_plain(v) for v in values]


def _json_dumps(value: Any, indent: int | None = None) -> str:
    """JSON text with sorted keys, as brevettiai stores it (the factories' `json` shadows)."""
    return json.dumps(value, sort_keys=True, indent=indent)


def _json_text(value: Any, *, indent: int | None = None, choices: Sequence[Any] = ()) -> Any:
    """The JSON text an ``isJson`` field holds for `value`; text counts as JSON already.

    With `choices` (a select's encoded values), text that is not one of them is encoded.
    """
    value = _plain(value)
    if isinstance(value, str) and (not choices or value in choices):
        return value
    return _json_dumps(value, indent)


def _encode_for(record: Mapping[str, Any], value: Any) -> Any:
    """`value` as `record` stores it: JSON text for an ``isJson`` field, else plain data."""
    if not record.get("isJson"):
        return _plain(value)
    choices = record.get("values", ()) if record.get("type") == "select" else ()
    return _json_text(value, indent=_JSON_INDENT.get(record.get("type", "")), choices=choices)


# -- field factories -----------------------------------------------------------------------


def _record(
    specific: Mapping[str, Any],
    label: str,
    model: str,
    default: Any,
    required: bool,
    extra: Mapping[str, Any],
) -> Record:
    """A field record in brevettiai's key order: type keys, label..required, pass-through."""
    record: Record = dict(specific)
    record.update(label=label, model=model, default=default, required=required)
    clash = sorted(set(extra) & set(record))
    if clash:
        raise TypeError(f"field {model!r} got more than one value for {', '.join(clash)}")
    record.update({key: _plain(value) for key, value in extra.items()})
    return record


def label(label: str, **kwargs: Any) -> Record:
    """A header line; ``tag="<namespace>"`` makes it open a nested group."""
    return {"type": "label", "label": label, **{k: _plain(v) for k, v in kwargs.items()}}


def number_input(
    label: str,
    model: str,
    default: Any = None,
    required: bool = False,
    min: float | None = 0,
    max: float | None = 100,
    step: float | None = 1,
    *,
    gt: float | None = None,
    lt: float | None = None,
    **kwargs: Any,
) -> Record:
    """A number input; `gt`/`lt` are exclusive bounds kept beside `min`/`max`.

    vue-form-generator has no key for exclusive bounds, so they go in our extension key
    (``"brevetti": {"exclusive_minimum": ..}``), which the platform form ignores.
    """
    specific = {"type": "input", "inputType": "number", "min": min, "max": max, "step": step}
    record = _record(specific, label, model, _plain(default), required, kwargs)
    bounds = {"exclusive_minimum": gt, "exclusive_maximum": lt}
    extension = {k: v for k, v in bounds.items() if v is not None}
    if extension:
        record[EXTENSION_KEY] = {**record.get(EXTENSION_KEY, {}), **extension}
    return record


def text_input(
    label: str,
    model: str,
    default: Any = "",
    required: bool = False,
    json: bool = False,
    **kwargs: Any,
) -> Record:
    """A one-line text input; with ``json=True`` its value is JSON text."""
    specific = {"type": "input", "inputType": "text", "isJson": json}
    value = _json_text(default) if json else _plain(default)
    return _record(specific, label, model, value, required, kwargs)


def text_area(
    label: str,
    model: str,
    default: Any = "",
    required: bool = False,
    hint: str = "",
    max: int = 5000,
    placeholder: str = "",
    rows: int = 4,
    json: bool = False,
    **kwargs: Any,
) -> Record:
    """A multi-line text area; with ``json=True`` its value is JSON text (indented by 2)."""
    specific = {
        "type": "textArea",
        "hint": hint,
        "placeholder": placeholder,
        "rows": rows,
        "max": max,
        "isJson": json,
    }
    value = _json_text(default, indent=_JSON_INDENT["textArea"]) if json else _plain(default)
    return _record(specific, label, model, value, required, kwargs)


def checkbox(
    label: str, model: str, default: Any = False, required: bool = False, **kwargs: Any
) -> Record:
    """A checkbox."""
    return _record({"type": "checkbox"}, label, model, _plain(default), required, kwargs)


def checklist(
    label: str,
    model: str,
    default: Any,
    values: Iterable[Any] | type[enum.Enum],
    required: bool = False,
    dropdown: bool = True,
    **kwargs: Any,
) -> Record:
    """Any subset of `values` (a list or an enum class); ``dropdown=False`` lists them."""
    specific = {"type": "checklist", "listbox": not dropdown, "values": _plain_values(values)}
    return _record(specific, label, model, _plain(default), required, kwargs)


def select(
    label: str,
    model: str,
    default: Any,
    values: Iterable[Any] | type[enum.Enum],
    required: bool = False,
    json: bool = False,
    **kwargs: Any,
) -> Record:
    """One of `values` (a list or an enum class).

    Non-string values are sent as JSON text: every value and the default are
    JSON-encoded and ``isJson`` is set.
    """
    plain = _plain_values(values)
    if any(not isinstance(v, str) for v in plain):
        encoded = [_json_dumps(v) for v in plain]
        specific = {"type": "select", "values": encoded, "isJson": True}
        return _record(
            specific, label, model, _json_text(default, choices=encoded), required, kwargs
        )
    specific = {"type": "select", "values": plain, "isJson": json}
    value = _json_text(default, choices=plain) if json else _plain(default)
    return _record(specific, label, model, value, required, kwargs)


def field_classes(
    label: str = "Classes as json list",
    model: str = "classes",
    default: Any = "",
    required: bool = False,
    **kwargs: Any,
) -> Record:
    """The job's class names: a JSON text input marked ``criterionType: classes``."""
    kwargs = {"criterionType": "classes", **kwargs}
    return text_input(label, model, default, required, json=True, **kwargs)


def field_class_mapping(
    label: str = "Class mapping",
    model: str = "class_mapping",
    default: Any = "",
    required: bool = False,
    hint: str = "Json mapping from folder name to class",
    **kwargs: Any,
) -> Record:
    """Folder name -> class: a JSON text area marked ``criterionType: class_mapping``."""
    kwargs = {"criterionType": "class_mapping", **kwargs}
    return text_area(label, model, default, required, hint, json=True, **kwargs)


# -- the builder ---------------------------------------------------------------------------


class SchemaBuilder:
    """Collects field records and presets into a platform UI JSON document (`.schema`).

    `add_field` copies the record; an ``advanced`` builder hides every field it adds
    that does not set ``visible`` itself (``"visible": false``). Records given to the
    constructor or appended from another builder are kept as they are. A `namespace`
    prefixes every ``model`` (and a label's ``tag``) and nests each preset under it.

    `modules` are appended on construction, in order. Either an iterable of modules, or
    a mapping namespace -> module (the module is then nested under that namespace). A
    module is anything `append` accepts: a compat `SchemaBuilder`, a document mapping
    with ``"fields"``, or an object with a ``get_schema()`` or ``builder()`` method or a
    ``schema`` attribute giving one of those (as brevettiai's settings modules have).
    """

    def __init__(
        self,
        fields: Iterable[Mapping[str, Any]] | None = None,
        presets: Mapping[str, Mapping[str, Any]] | None = None,
        modules: Iterable[Any] | Mapping[str, Any] | None = None,
        advanced: bool = True,
        namespace: str | None = None,
    ) -> None:
        self.fields: list[Record] = [copy.deepcopy(dict(f)) for f in fields or ()]
        self.presets: dict[str, dict[str, Any]] = {
            name: copy.deepcopy(dict(tree)) for name, tree in (presets or {}).items()
        }
        self.advanced = advanced
        self.namespace = namespace
        self.modules: list[Any] = []
        if isinstance(modules, Mapping):
            for module_namespace, module in modules.items():
                nested = SchemaBuilder.from_schema(_document_of(module))
                nested.namespace = module_namespace
                self.append(nested)
                self.modules.append(module)
        else:
            for module in modules or ():
                self.append(module)
                self.modules.append(module)

    @staticmethod
    def from_schema(schema: Mapping[str, Any]) -> SchemaBuilder:
        """A builder holding a loaded document's fields and presets as they are."""
        if not isinstance(schema, Mapping) or not isinstance(schema.get("fields", []), list):
            raise TypeError("from_schema expects a document like {'fields': [...], 'presets': {}}")
        return SchemaBuilder(fields=schema.get("fields", []), presets=schema.get("presets", {}))

    def add_field(self, field: Mapping[str, Any], **presets: Any) -> Self:
        """Add a copy of a field record; each ``name=value`` sets that preset's value."""
        if not isinstance(field, Mapping) or "type" not in field:
            raise TypeError(f"add_field expects a field record with a 'type', got {field!r}")
        record = copy.deepcopy(dict(field))
        if self.advanced:
            record.setdefault("visible", False)
        self.fields.append(record)
        for name, value in presets.items():
            self.add_preset(name, record, value)
        return self

    def add_preset(self, preset: str, field: Mapping[str, Any] | str, value: Any) -> Self:
        """Set `preset`'s value for a field (a record or its model, without namespace)."""
        record = self._field_named(field) if isinstance(field, str) else field
        model = record.get("model")
        if not isinstance(model, str) or not model:
            raise SchemaError.single(
                "", f"preset {preset!r}: the field {record.get('label')!r} has no model"
            )
        set_path(self.presets.setdefault(preset, {}), model, _encode_for(record, value))
        return self

    def append(self, item: Any, *args: Any, **kwargs: Any) -> Self:
        """Append a list of field records, or another builder, document or module.

        A list goes through `add_field`; anything else adds its document's fields as
        they are and merges its presets. `args`/`kwargs` go to a module's
        ``get_schema()``/``builder()``.
        """
        if isinstance(item, list | tuple):
            for field in item:
                self.add_field(field)
            return self
        document = _document_of(item, *args, **kwargs)
        self.fields.extend(copy.deepcopy(dict(f)) for f in document.get("fields", ()))
        for name, tree in (document.get("presets") or {}).items():
            deep_merge(self.presets.setdefault(name, {}), _plain(tree))
        if isinstance(item, SchemaBuilder):
            self.modules.extend(item.modules)
        return self

    def copy(self) -> SchemaBuilder:
        """An independent builder with the same fields, presets and settings."""
        twin = SchemaBuilder(self.fields, self.presets, None, self.advanced, self.namespace)
        twin.modules = list(self.modules)
        return twin

    def __add__(self, other: Any) -> SchemaBuilder:
        """A new builder: this one with `other` appended (neither is changed)."""
        return self.copy().append(other)

    def __iadd__(self, other: Any) -> Self:
        """Append `other` to this builder in place."""
        return self.append(other)

    @property
    def schema(self) -> dict[str, Any]:
        """The platform UI JSON document: ``{"fields": [...], "presets": {...}}``."""
        fields = [self._namespaced(f) for f in self.fields]
        presets = {
            name: _nest(self.namespace, copy.deepcopy(tree)) for name, tree in self.presets.items()
        }
        return {"fields": fields, "presets": presets}

    def __str__(self) -> str:
        return json.dumps(self.schema, indent=2, sort_keys=True)

    def __repr__(self) -> str:
        ns = f", namespace={self.namespace!r}" if self.namespace else ""
        return f"SchemaBuilder({len(self.fields)} fields, presets={sorted(self.presets)}{ns})"

    def _field_named(self, model: str) -> Record:
        for record in self.fields:
            if record.get("model") == model:
                return record
        known = ", ".join(str(f["model"]) for f in self.fields if "model" in f) or "none"
        raise SchemaError.single(model, f"no field has the model {model!r} (known: {known})")

    def _namespaced(self, field: Mapping[str, Any]) -> Record:
        record = copy.deepcopy(dict(field))
        if self.namespace:
            key = "model" if "model" in record else "tag" if "tag" in record else None
            if key is not None:
                record[key] = f"{self.namespace}.{record[key]}"
        return record


def _nest(namespace: str | None, tree: dict[str, Any]) -> dict[str, Any]:
    """`tree` placed under a dotted namespace (unchanged without one)."""
    if not namespace:
        return tree
    for part in reversed(namespace.split(".")):
        tree = {part: tree}
    return tree


_MODULE_HOOKS = ("get_schema", "builder")
"""Methods a module object may have that give its builder or document."""


def _document_of(item: Any, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
    """The document of a builder, a document mapping, or a module (see `SchemaBuilder`)."""
    for _ in range(8):
        if isinstance(item, SchemaBuilder):
            return item.schema
        if isinstance(item, Mapping):
            if not isinstance(item.get("fields"), list):
                raise TypeError("a schema document needs a 'fields' list")
            return item
        hook = next(
            (getattr(item, n) for n in _MODULE_HOOKS if callable(getattr(item, n, None))), None
        )
        if hook is not None:
            item, args, kwargs = hook(*args, **kwargs), (), {}
        elif getattr(item, "schema", None) is not None:
            item = item.schema
        else:
            break
    raise TypeError(
        f"expected a compat SchemaBuilder, a document with 'fields', or a module with "
        f"get_schema(), builder() or .schema; got {item!r}"
    )


# -- settings ------------------------------------------------------------------------------


def _to_number(value: Any) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a number, got {value!r}")
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {value!r}") from None


_TRUE = frozenset({"true", "yes", "on", "1", "t", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "f", "n"})


def _to_bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _to_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _from_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON text ({exc.msg} at position {exc.pos})") from None


def _unchanged(value: Any) -> Any:
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "input:number": _to_number,
    "input:text": _to_text,
    "input:password": _to_text,
    "textArea": _to_text,
    "checkbox": _to_bool,
}
"""Value conversion per field type (``input:<inputType>`` for inputs); isJson wins."""


def _converter(field: Mapping[str, Any]) -> Callable[[Any], Any]:
    if field.get("isJson"):
        return _from_json
    kind = str(field.get("type"))
    if kind == "input":
        kind = f"input:{field.get('inputType', 'text')}"
    return _CONVERTERS.get(kind, _unchanged)


def _problem(field: Mapping[str, Any], path: str, message: str, value: Any) -> SettingsProblem:
    label = str(field.get("label") or "")
    return SettingsProblem(tuple(path.split(".")), "invalid_value", label, message, value)


def apply_schema_to_model(
    schema: Any, model: Mapping[str, Any] | None = None, check_required_fields: bool = True
) -> dict[str, Any]:
    """A copy of the settings `model` with defaults filled in and values converted.

    `schema` is a compat `SchemaBuilder`, a document or a module. Values are converted by
    field type: numbers from text (int when integral, else float), checkboxes from
    ``"true"``/``"false"``, JSON text of ``isJson`` fields decoded (``""`` -> None).
    Raises `SettingsError` naming every missing required setting (absent, None or
    ``""``) and every value that cannot be converted. The input is not changed.
    """
    document = _document_of(schema)
    result: dict[str, Any] = copy.deepcopy(_plain(dict(model or {})))
    problems: list[SettingsProblem] = []
    for field in document["fields"]:
        path = field.get("model")
        if not isinstance(path, str) or field.get("type", "label") == "label":
            continue
        problems += _apply_field(result, field, path, check_required_fields)
    if problems:
        raise SettingsError(problems)
    return result


def _apply_field(
    settings: dict[str, Any], field: Mapping[str, Any], path: str, check_required: bool
) -> list[SettingsProblem]:
    """Fill and convert one field's value in `settings`; the problems found."""
    *parents, key = path.split(".")
    parent = settings
    for part in parents:
        inner = parent.get(part)
        if inner is None:
            inner = parent[part] = {}
        if not isinstance(inner, dict):
            return [_problem(field, path, f"{part!r} must be an object", inner)]
        parent = inner
    required = check_required and bool(field.get("required"))
    if key not in parent:
        parent[key] = copy.deepcopy(field.get("default"))
        if required:
            return [_problem(field, path, "a value is required", None)]
    try:
        parent[key] = _converter(field)(parent[key])
    except ValueError as exc:
        return [_problem(field, path, str(exc), parent[key])]
    if required and (parent[key] is None or parent[key] == ""):
        return [_problem(field, path, "a value is required", parent[key])]
    return []


def to_schema(builder_or_document: Any) -> Schema:
    """Our `Schema` model of a compat builder, document or module.

    Values brevettiai accepted but our checks would refuse (a default outside
    ``min``/``max``, say) are kept and listed in `Schema.warnings`.
    """
    from ._platform_ui_load import load_platform_ui  # noqa: PLC0415 - only when converting

    return load_platform_ui(_document_of(builder_or_document))
