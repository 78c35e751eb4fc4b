"""brevettiai compatibility: ``vue_schema_utils``' factories, builder and helpers.

Code written against ``brevettiai.interfaces.vue_schema_utils`` runs unchanged after
changing the import to ``brevetti_schema.compat`` and emits the same platform UI JSON,
byte for byte, and jobs get the same settings. Every rule is one of
``reference/brevettiai-builder-behaviour.md`` (tests name them): brevettiai's behaviour
where it is right, and its defects corrected:

* keywords given to `field_classes` / `field_class_mapping` land on the record (no stray
  ``"kwargs"`` key; a loaded record's ``kwargs`` is folded in and dropped);
* a preset value that is JSON text already is stored as it is, not encoded twice;
* a builder's namespace sits inside each preset (``{"fast": {"ns": {...}}}``);
* an appended builder's presets are kept;
* `SchemaBuilder.from_schema` does not change the caller's document;
* `apply_schema_to_model`: ``"false"``, ``"0"``, ``"no"`` and ``""`` are unchecked
  checkboxes; a text input's ``None`` stays ``None`` and a non-text value is an error;
  a field without a default is left unset; a model given twice is a `SchemaError`;
  missing required settings raise `MissingSettingsError`, both a `SettingsError` and an
  ``AssertionError`` (``python -O`` cannot remove the check).

The only keys added to brevettiai's records are ones vue-form-generator needs:
``listBox`` on checklists (it reads that spelling, not ``listbox``); so a pydantic
``gt``/``lt`` becomes an inclusive ``min``/``max`` (`from_pydantic_model`). Enum classes and
members are accepted wherever values are (their ``.value`` is used). Pydantic is never
imported here: `from_pydantic_model` only calls the class it is given.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import enum
import inspect
import json
import logging
import math
import os
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

# the package's public API only, so the internals can move without touching compat
from brevetti_schema import MASK, SchemaError, SettingsError, SettingsProblem

if TYPE_CHECKING:
    from brevetti_schema import Schema

__all__ = [
    "MissingSettingsError",
    "PresetError",
    "SchemaBuilder",
    "SchemaBuilderFunc",
    "SchemaConfig",
    "VueSettingsModule",
    "apply_schema_to_model",
    "build_from_pydantic_schema",
    "checkbox",
    "checklist",
    "field_class_mapping",
    "field_classes",
    "from_pydantic_model",
    "generate_application_schema",
    "label",
    "number_input",
    "parse_settings_args",
    "select",
    "str2bool",
    "text_area",
    "text_input",
    "to_schema",
    "update_schema",
]

logger = logging.getLogger("brevetti_schema.compat")

Record = dict[str, Any]
"""One field record of a platform UI JSON document, as the factories return it."""


class PresetError(SchemaError, ValueError):
    """A preset names no field (or a field without a model); a `ValueError` as brevettiai's."""


class PresetConflictError(SchemaError, TypeError):
    """One preset sets a value and a value inside it (``a`` and ``a.b``)."""


class MissingSettingsError(SettingsError, AssertionError):
    """Required settings are absent; reads as brevettiai's ``AssertionError`` did."""

    def __init__(self, problems: Iterable[SettingsProblem], models: Sequence[str]) -> None:
        super().__init__(problems)
        self.models = list(models)
        self.args = (str(self),)

    def __str__(self) -> str:
        return f"Missing settings: \n {self.models!r}"


# -- values ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """`value` as plain data: enum members become their values, tuples lists."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _is_json_text(value: Any) -> bool:
    """Whether `value` is text that parses as JSON (a preset given already encoded)."""
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except json.JSONDecodeError:
        return False
    return True


def _as_text(value: Any, *, indent: int | None = None) -> str:
    """A default as the factories store it: text as it is, anything else as sorted JSON."""
    value = _plain(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, indent=indent)


# -- field factories -----------------------------------------------------------------------


def _record(
    specific: Mapping[str, Any],
    label: str,
    model: str,
    default: Any,
    required: bool,
    extra: Mapping[str, Any],
    tail: Mapping[str, Any] | None = None,
) -> Record:
    """A record in brevettiai's key order: type keys, label..required, passed keywords."""
    record: Record = dict(specific)
    record.update(label=label, model=model, default=default, required=required)
    clash = sorted(set(extra) & (set(record) | set(tail or ())))
    if clash:
        raise TypeError(f"field {model!r} got more than one value for {', '.join(clash)}")
    record.update({key: _plain(value) for key, value in extra.items()})
    record.update(tail or {})
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
    **kwargs: Any,
) -> Record:
    """A number input; the default is never checked against `min`/`max` (as brevettiai)."""
    specific = {"type": "input", "inputType": "number", "min": min, "max": max, "step": step}
    return _record(specific, label, model, _plain(default), required, kwargs)


def text_input(
    label: str, model: str, default: Any = "", required: bool = False, json: bool = False,
    **kwargs: Any,
) -> Record:  # fmt: skip
    """A one-line text input; a non-text default is stored as compact sorted JSON text
    whatever `json` says (``5`` -> ``"5"``, ``None`` -> ``"null"``)."""
    specific = {"type": "input", "inputType": "text", "isJson": json}
    return _record(specific, label, model, _as_text(default), required, kwargs)


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
    """A text area; a non-text default is stored as JSON text indented by 2, keys sorted."""
    specific = {"type": "textArea", "hint": hint, "placeholder": placeholder, "rows": rows,
                "max": max, "isJson": json}  # fmt: skip
    return _record(specific, label, model, _as_text(default, indent=2), required, kwargs)


def checkbox(
    label: str, model: str, default: Any = False, required: bool = False, **kwargs: Any
) -> Record:
    """A checkbox (a default that is not a boolean is kept, as brevettiai)."""
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
    """Any subset of `values`, stored raw (no JSON, no ``isJson``); ``dropdown=False``
    lists them (``listbox``, and ``listBox``, the key vue-form-generator reads)."""
    specific = {"type": "checklist", "listbox": not dropdown, "listBox": not dropdown,
                "values": [_plain(v) for v in values]}  # fmt: skip
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
    """One of `values`: each non-text value (and default) stored as JSON text indented by
    2; ``isJson`` only with ``json=True``, so a select over numbers sends the job text."""
    encoded = [_as_text(v, indent=2) for v in values]
    specific = {"type": "select", "values": encoded, "isJson": json}
    return _record(specific, label, model, _as_text(default, indent=2), required, kwargs)


def field_classes(
    label: str = "Classes as json list",
    model: str = "classes",
    default: Any = "",
    required: bool = False,
    **kwargs: Any,
) -> Record:
    """The job's class names: a JSON text input marked ``criterionType: classes``."""
    specific = {"type": "input", "inputType": "text", "isJson": True}
    tail = {"criterionType": "classes"}
    return _record(specific, label, model, _as_text(default), required, kwargs, tail)


def field_class_mapping(
    label: str = "Class mapping",
    model: str = "class_mapping",
    default: Any = "",
    required: bool = False,
    hint: str = "Json mapping from folder name to class",
    **kwargs: Any,
) -> Record:
    """Folder name -> class: a JSON text area marked ``criterionType: class_mapping``."""
    specific = {"type": "textArea", "hint": hint, "placeholder": "", "rows": 4, "max": 5000,
                "isJson": True}  # fmt: skip
    for key in ("placeholder", "rows", "max"):  # text_area's own keywords keep their place
        if key in kwargs:
            specific[key] = kwargs.pop(key)
    tail = {"criterionType": "class_mapping"}
    return _record(specific, label, model, _as_text(default, indent=2), required, kwargs, tail)


def _folded(field: Mapping[str, Any]) -> Record:
    """A copy of a record with a stray ``kwargs`` (brevettiai's defect) folded in: the
    keywords it holds were meant for the record, so they go on it (as the UI loader)."""
    record = copy.deepcopy(dict(field))
    stray = record.pop("kwargs", None)
    if isinstance(stray, Mapping):
        record.update(copy.deepcopy(dict(stray)))
    return record


# -- the builder ---------------------------------------------------------------------------


class SchemaBuilder:
    """Collects field records and presets into a platform UI JSON document (`.schema`).

    `add_field` (and appending a list) gives a record without ``visible`` the key
    ``"visible": not advanced``: an ``advanced`` builder (the default) hides them.
    Records given to the constructor or appended from another builder are kept as they
    are. A `namespace` prefixes every ``model`` (a label's ``tag``) and goes inside each
    preset. `modules` maps a namespace to a module object (`load_modules` uses them); an
    iterable of modules (or documents, builders) is appended in order.
    """

    def __init__(
        self,
        fields: Iterable[Mapping[str, Any]] | None = None,
        presets: Mapping[str, Mapping[str, Any]] | None = None,
        modules: Mapping[str, Any] | Iterable[Any] | None = None,
        advanced: bool = True,
        namespace: str | None = None,
    ) -> None:
        self.fields: list[Record] = [_folded(f) for f in fields or ()]
        self.presets: dict[str, dict[str, Any]] = {
            name: copy.deepcopy(dict(tree)) for name, tree in (presets or {}).items()
        }
        self.advanced = advanced
        self.namespace = namespace
        self.modules: dict[str, Any] = {}
        if isinstance(modules, Mapping):
            self.modules.update(modules)
        else:
            for module in modules or ():
                self.append(module)

    @staticmethod
    def from_schema(schema: Mapping[str, Any]) -> SchemaBuilder:
        """A builder holding a loaded document's fields and presets (copies of them)."""
        if not isinstance(schema, Mapping) or not isinstance(schema.get("fields", []), list):
            raise TypeError("from_schema expects a document like {'fields': [...], 'presets': {}}")
        return SchemaBuilder(fields=schema.get("fields", []), presets=schema.get("presets", {}))

    def add_field(self, field: Mapping[str, Any], **presets: Any) -> Self:
        """Add a copy of a record; each ``name=value`` sets that preset's value for it."""
        if not isinstance(field, Mapping) or "type" not in field:
            raise TypeError(f"add_field expects a field record with a 'type', got {field!r}")
        record = _folded(field)
        if presets and not isinstance(record.get("model"), str):
            raise PresetError.single(
                "", f"presets {sorted(presets)} for {record.get('label')!r}, which has no model"
            )
        record.setdefault("visible", not self.advanced)
        self.fields.append(record)
        for name, value in presets.items():
            self.add_preset(name, record, value)
        return self

    def add_preset(self, preset: str, field: Mapping[str, Any] | str, value: Any) -> Self:
        """Set `preset`'s value for a field (its record, or its model without namespace).

        A JSON field's value is stored as compact JSON text in its own key order (text
        that is JSON text already is kept as it is; other text is encoded, as brevettiai
        did); others raw. ``None`` writes nothing but makes the preset.
        """
        record = self._field_named(field, preset) if isinstance(field, str) else field
        model = record.get("model")
        if not isinstance(model, str) or not model:
            raise PresetError.single(
                "", f"preset {preset!r}: the field {record.get('label')!r} has no model"
            )
        tree = self.presets.setdefault(preset, {})
        value = _plain(value)
        if value is None:
            return self
        if record.get("isJson") and not _is_json_text(value):
            value = json.dumps(value)
        _set_preset(tree, model, value, preset)
        return self

    def append(self, item: Any, *args: Any, **kwargs: Any) -> Self:
        """Append a list of records (through `add_field`), or a builder, a
        `SchemaBuilderFunc` (its ``builder(*args, **kwargs)``), a document or a module:
        their records as they are, their presets merged into this builder's."""
        if isinstance(item, list | tuple):
            for field in item:
                self.add_field(field)
            return self
        if isinstance(item, SchemaBuilderFunc):
            item = item.builder(*args, **kwargs)
            args, kwargs = (), {}
        document = _document_of(item, *args, **kwargs)
        self.fields.extend(_folded(f) for f in document.get("fields", ()))
        for name, tree in (document.get("presets") or {}).items():
            for path, value in _leaves(_plain(tree)):
                _set_preset(self.presets.setdefault(name, {}), path, value, name)
            self.presets.setdefault(name, {})
        if isinstance(item, SchemaBuilder):
            self.modules.update(item.modules)
        return self

    def __add__(self, other: Any) -> Self:
        """``a + b`` is ``a.append(b)`` (it changes `a` and returns it), for a builder or a
        list of records."""
        if not isinstance(other, SchemaBuilder | list):
            return NotImplemented
        return self.append(other)

    def filter_fields(
        self,
        incl_fields: Sequence[Any] | None = None,
        excl_fields: Sequence[str] | None = None,
        make_visible: Sequence[str] | None = None,
    ) -> Self:
        """Keep some fields (grouped by model, else tag, else position).

        `incl_fields`: these groups in this order (a record in the list is kept as it
        is); else every group but those whose key contains one of `excl_fields`.
        `make_visible`: every kept field is visible exactly when its key is listed.
        """
        groups: dict[Any, list[Record]] = {}
        for index, record in enumerate(self.fields):
            groups.setdefault(_field_key(record, index), []).append(record)
        if incl_fields:
            chosen = [[f] if isinstance(f, Mapping) else groups.get(f, []) for f in incl_fields]
        else:
            excluded = list(excl_fields or ())
            chosen = [
                group
                for key, group in groups.items()
                if not (isinstance(key, str) and any(part in key for part in excluded))
            ]
        kept = [dict(record) for group in chosen for record in group]
        if make_visible:
            for index, record in enumerate(kept):
                record["visible"] = _field_key(record, index) in set(make_visible)
        self.fields = kept
        return self

    def load_modules(self, settings: Any) -> Any:
        """Replace the settings under each module's namespace by ``module.from_config``."""
        for namespace, module in self.modules.items():
            *parents, last = namespace.split(".")
            holder = settings
            for part in parents:
                holder = _child(holder, part)
            current = _child(holder, last)
            config = vars(current) if hasattr(current, "__dict__") else current
            _set_child(holder, last, module.from_config(config))
        return settings

    def copy(self) -> SchemaBuilder:
        """An independent builder with the same fields, presets and settings."""
        twin = SchemaBuilder(self.fields, self.presets, None, self.advanced, self.namespace)
        twin.modules = dict(self.modules)
        return twin

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

    def _field_named(self, model: str, preset: str) -> Record:
        for record in self.fields:
            if record.get("model") == model:
                return record
        known = ", ".join(str(f["model"]) for f in self.fields if "model" in f) or "none"
        raise PresetError.single(
            model, f"Could not find field for preset '{model}' ({preset!r}; known: {known})"
        )

    def _namespaced(self, field: Mapping[str, Any]) -> Record:
        record = copy.deepcopy(dict(field))
        if self.namespace:
            key = "model" if "model" in record else "tag" if "tag" in record else None
            if key is None:
                raise SchemaError.single(
                    self.namespace,
                    f"the record {record.get('label')!r} has neither a model nor a tag to "
                    f"place under the namespace {self.namespace!r}",
                )
            record[key] = f"{self.namespace}.{record[key]}"
        return record


def _field_key(record: Mapping[str, Any], index: int) -> Any:
    return record.get("model", record.get("tag", index))


def _child(holder: Any, key: str) -> Any:
    return holder[key] if isinstance(holder, Mapping) else getattr(holder, key)


def _set_child(holder: Any, key: str, value: Any) -> None:
    if isinstance(holder, dict):
        holder[key] = value
    else:
        setattr(holder, key, value)


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _set_preset(tree: dict[str, Any], path: str, value: Any, preset: str) -> None:
    """Set a dotted path in a preset tree; a value and a value inside it conflict."""
    *parents, last = path.split(".")
    node = tree
    for depth, part in enumerate(parents):
        inner = node.setdefault(part, {})
        if not isinstance(inner, dict):
            taken = ".".join(parents[: depth + 1])
            raise PresetConflictError.single(
                path, f"preset {preset!r} sets both {taken!r} and {path!r}, inside it"
            )
        node = inner
    if isinstance(node.get(last), dict) and node[last] and not isinstance(value, dict):
        inner_path = next(p for p, _ in _leaves(node[last], f"{path}."))
        raise PresetConflictError.single(
            path, f"preset {preset!r} sets both {inner_path!r} and {path!r}, around it"
        )
    node[last] = copy.deepcopy(value)


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


class SchemaBuilderFunc:
    """A reusable section: subclasses override ``schema(builder, ns)`` to add fields whose
    models start with `ns` (``"<ns>."``, or ``""`` without a namespace)."""

    ns: str | None = None
    label: str | None = None
    advanced: bool = False
    module: Any = None

    _UNSET: typing.ClassVar[Any] = object()

    def __init__(self, label: Any = _UNSET, ns: Any = _UNSET, advanced: Any = _UNSET) -> None:
        if label is not self._UNSET:
            self.label = label
        if ns is not self._UNSET:
            self.ns = ns
        if advanced is not self._UNSET:
            self.advanced = advanced

    def schema(self, builder: SchemaBuilder, ns: str, *args: Any, **kwargs: Any) -> Any:
        """Add this section's fields to `builder`, their models prefixed with `ns`."""
        return builder

    def builder(self, *args: Any, **kwargs: Any) -> SchemaBuilder:
        """A builder with the section's label (if any) and fields."""
        built = SchemaBuilder(advanced=self.advanced)
        if self.label is not None:
            built.add_field(label(self.label))
        self.schema(built, f"{self.ns.rstrip('.')}." if self.ns else "", *args, **kwargs)
        if self.module is not None and self.ns:
            built.modules = {self.ns: self.module}
        return built


def generate_application_schema(
    schema: Any, path: str | os.PathLike[str] = "model/settings-schema.json",
    manifest_path: str | os.PathLike[str] | None = None,
) -> None:  # fmt: skip
    """Write a builder's (or document's) platform UI JSON to `path` (sorted, indented by
    2); with `manifest_path` (``"MANIFEST.in"``), make sure it includes that file."""
    document = schema.schema if isinstance(schema, SchemaBuilder) else schema
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
    if manifest_path is None:
        return
    line = f"include {os.path.relpath(target).replace(os.sep, '/')}"
    manifest = Path(manifest_path)
    existing = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    if line not in (entry.strip() for entry in existing.splitlines()):
        with manifest.open("a", encoding="utf-8") as out:
            out.write("\n" + line)


# -- settings ------------------------------------------------------------------------------


def _parse_number(value: Any) -> Any:
    """int when it parses as one, else float; numbers, ``True`` and ``None`` as they are."""
    if value is None or isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"expected a number, got {value!r}") from None


def _json_parser(field: Mapping[str, Any]) -> Callable[[Any], Any]:
    secret = field.get("inputType") == "password"

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            shown = MASK if secret else value
            logger.error("Failed parsing JSON string: %s", shown)
            raise ValueError(f"invalid JSON text ({exc.msg} at position {exc.pos})") from None

    return parse


_UNCHECKED = frozenset({"false", "0", "no", ""})


def _checkbox(value: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in _UNCHECKED:
        return False
    return bool(value)


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {value!r}")


def _unchanged(value: Any) -> Any:
    return value


def _converter(field: Mapping[str, Any]) -> Callable[[Any], Any]:
    """How a field's value is converted: numbers, JSON text, checkboxes, text."""
    kind = field.get("type")
    if kind == "input" and field.get("inputType") == "number":
        return _parse_number
    if kind == "checkbox":  # a checkbox is a boolean, whatever ``isJson`` says
        return _checkbox
    if field.get("isJson"):
        return _json_parser(field)
    if kind == "input":
        return _text
    return _unchanged


def _problem(field: Mapping[str, Any], path: str, message: str, value: Any) -> SettingsProblem:
    shown = MASK if field.get("inputType") == "password" else value
    label = str(field.get("label") or "")
    return SettingsProblem(tuple(path.split(".")), "invalid_value", label, message, shown)


def _setting_fields(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The records that hold a setting (not labels), a model given twice refused."""
    fields = [
        f
        for f in document.get("fields", ())
        if isinstance(f.get("model"), str) and f.get("type", "label") != "label"
    ]
    seen: set[str] = set()
    for field in fields:
        if field["model"] in seen:
            raise SchemaError.single(field["model"], "more than one field has this model")
        seen.add(field["model"])
    return fields


def apply_schema_to_model(
    schema: Any, model: dict[str, Any] | None = None, check_required_fields: bool = True
) -> dict[str, Any]:
    """Fill `model` with defaults and convert its values by field type; returns it.

    ``model or {}``: a non-empty model is filled in place. A missing value gets the
    field's default (then converted like a given one; a field without one is left
    unset). Numbers: int, else float (``" 7 "``, ``"1_000"``, ``"1e-3"``); ``isJson``
    fields: JSON text decoded, ``""`` -> None; checkboxes: ``"false"``, ``"0"``,
    ``"no"``, ``""`` unchecked; text inputs keep text and None. Raises `SettingsError`
    for every value that cannot be converted, then `MissingSettingsError` for required
    settings that were absent (``""``, None and False count as given).
    """
    document = _document_of(schema)
    fields = _setting_fields(document)
    result: dict[str, Any] = model or {}
    problems: list[SettingsProblem] = []
    missing: list[str] = []
    for field in fields:
        path = field["model"]
        *parents, key = path.split(".")
        holder: Any = result
        for depth, part in enumerate(parents):
            holder = holder.setdefault(part, {}) if isinstance(holder, dict) else None
            if not isinstance(holder, dict):
                where = ".".join(parents[: depth + 1])
                problems.append(_problem(field, path, f"{where!r} is not a mapping", None))
                break
        else:
            if key not in holder:
                if check_required_fields and field.get("required", False):
                    missing.append(path)
                if "default" not in field:
                    continue
                holder[key] = copy.deepcopy(field["default"])
            try:
                holder[key] = _converter(field)(holder[key])
            except ValueError as exc:
                problems.append(_problem(field, path, str(exc), holder[key]))
    if problems:
        raise SettingsError(problems)
    if missing:
        by_model = {f["model"]: f for f in fields}
        raise MissingSettingsError(
            [_problem(by_model[m], m, "a value is required", None) for m in missing], missing
        )
    return result


def str2bool(value: Any) -> bool:
    """A command-line boolean: yes/true/t/y/1 or no/false/f/n/0 (any case)."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("yes", "true", "t", "y", "1"):
        return True
    if text in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError("Boolean value expected.")


def parse_settings_args(schema: Any, args: Sequence[str] | None = None) -> dict[str, Any]:
    """Settings from ``--<model> VALUE`` arguments (unknown arguments ignored).

    Each field's value is converted as `apply_schema_to_model` would (checkboxes by
    `str2bool`); a model given twice is logged and its second field skipped.
    """
    document = _document_of(schema)
    parser = argparse.ArgumentParser(add_help=False)
    for field in document.get("fields", ()):
        if "model" not in field:
            continue
        kind = field.get("type")
        convert = str2bool if kind == "checkbox" else _converter(field)
        if kind == "input" and not field.get("isJson") and field.get("inputType") != "number":
            convert = str
        try:
            parser.add_argument(f"--{field['model']}", help=field.get("label", ""), type=convert)
        except argparse.ArgumentError:
            logger.info("attempted to add '--%s' to argparser twice", field["model"])
    settings: dict[str, Any] = {}
    for path, value in vars(parser.parse_known_args(args)[0]).items():
        if value is None:
            continue
        *parents, last = path.split(".")
        node = settings
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return settings


def _settings_leaves(settings: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    items = settings.items() if isinstance(settings, Mapping) else vars(settings).items()
    for key, value in items:
        nested = isinstance(value, Mapping) or type(value).__name__ == "SimpleNamespace"
        if nested:
            yield from _settings_leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def update_schema(
    schema: Any,
    settings: Any,
    ignore: Iterable[str] | None = None,
    field_values: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write current settings back into a document as required defaults (in place).

    Each setting (a nested mapping or namespace) whose field has a default and is not
    in `ignore` becomes that field's default (JSON text where ``isJson`` is ``True``)
    and makes it required; `field_values` maps a model prefix to keys set on every
    field under it; a label followed only by hidden fields up to the next label is
    hidden. Returns the document (a builder's: a new one).
    """
    document: dict[str, Any] = schema.schema if isinstance(schema, SchemaBuilder) else schema
    skip = set(ignore or ())
    fields = document["fields"]
    available = {
        f["model"]: f for f in fields if "default" in f and "model" in f and f["model"] not in skip
    }
    for path, value in _settings_leaves(settings):
        field = available.get(path)
        if field is not None:
            field["required"] = True
            field["default"] = json.dumps(value) if field.get("isJson") is True else value
    for prefix, values in (field_values or {}).items():
        for field in fields:
            if str(field.get("model", "")).startswith(prefix):
                field.update(values)
    for index, field in enumerate(fields):
        if field.get("type") != "label":
            continue
        following = next((f for f in fields[index + 1 :] if f.get("visible") is not False), None)
        if following is None or following.get("type") == "label":
            field["visible"] = False
    return document


# -- settings classes ----------------------------------------------------------------------


@dataclasses.dataclass
class SchemaConfig:
    """Per-field options of the form built from a settings class: ``exclude`` leaves the
    field out (pydantic: ``Field(json_schema_extra={"vue": SchemaConfig(exclude=True)})``)."""

    exclude: bool = False


def _parameters(cls: type) -> list[tuple[str, type, Any]]:
    """(name, type, default) of each parameter of ``cls.__init__`` after ``self``."""
    init: Any = vars(cls).get("__init__") or next(
        vars(base)["__init__"] for base in cls.__mro__ if "__init__" in vars(base)
    )
    try:
        hints = typing.get_type_hints(init)
    except (NameError, TypeError):
        hints = {}
    result = []
    for name, parameter in list(inspect.signature(init).parameters.items())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = parameter.default
        ptype = hints.get(name)
        if not isinstance(ptype, type) and ptype is not None:
            members = [a for a in typing.get_args(ptype) if a is not type(None)]
            origin = typing.get_origin(ptype)
            if isinstance(origin, type) and origin is not types.UnionType:
                ptype = origin
            elif members:  # X | None: X (its own origin for list[int] | None)
                first = members[0]
                ptype = first if isinstance(first, type) else typing.get_origin(first)
            if not isinstance(ptype, type):
                ptype = None
        if ptype is None:
            ptype = type(default) if default not in (None, inspect.Parameter.empty) else str
        result.append((name, ptype, default))
    return result


class VueSettingsModule:
    """A settings class whose ``__init__`` parameters are its settings, as brevettiai's.

    `get_schema` builds a compat builder from the parameters (numbers, checkboxes, text,
    JSON text areas for dict/list/tuple/set, nested modules as namespaced sections);
    `to_settings` turns a config into what the form edits (dict, list and tuple values as
    JSON text indented by 2, keys sorted); `from_settings` goes back.
    """

    @classmethod
    def get_schema(cls, namespace: str | None = None) -> SchemaBuilder:
        """The compat builder of this class's settings."""
        builder = SchemaBuilder(namespace=namespace)
        for name, ptype, default in _parameters(cls):
            cls.to_schema(builder=builder, name=name, ptype=ptype, default=default)
        return builder

    @classmethod
    def to_schema(
        cls, builder: SchemaBuilder, name: str, ptype: type, default: Any, **kwargs: Any
    ) -> None:
        """Add one parameter's field to `builder` (override for custom fields)."""
        payload: dict[str, Any] = {"label": name.replace("_", " ").title()}
        if issubclass(ptype, VueSettingsModule):
            builder.add_field(label(**payload, tag=name))
            builder.append(ptype.get_schema(namespace=name))
            return
        empty = default is None or default is inspect.Parameter.empty
        payload.update(model=name, default=ptype() if empty else default, **kwargs)
        if ptype in (int, float):
            builder.add_field(number_input(**payload))
        elif ptype is bool:
            builder.add_field(checkbox(**payload))
        elif ptype in (dict, tuple, list, set, frozenset):
            if ptype in (set, frozenset):
                payload["default"] = sorted(payload["default"])
            builder.add_field(text_area(**payload, json=True))
        elif ptype is str:
            builder.add_field(text_input(**payload))
        else:
            logger.warning("%s: a parameter of type %s has no form field", name, ptype)

    def get_config(self) -> dict[str, Any]:
        """The parameters' current values (nested modules as their configs)."""
        config = {}
        for name, _, _ in _parameters(type(self)):
            value = getattr(self, name)
            config[name] = value.get_config() if isinstance(value, VueSettingsModule) else value
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Self:
        """An instance from a config (nested modules from their configs)."""
        values = dict(config or {})
        for name, ptype, _ in _parameters(cls):
            if issubclass(ptype, VueSettingsModule) and isinstance(values.get(name), Mapping):
                values[name] = ptype.from_config(values[name])
        return cls(**values)

    def get_settings(self) -> dict[str, Any] | None:
        """This instance as the form's settings."""
        return self.to_settings(self.get_config())

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Self:
        """An instance from the form's settings (defaults filled, values converted)."""
        applied = apply_schema_to_model(cls.get_schema(), settings)
        return cls.from_config(cls.to_config(applied))

    @classmethod
    def to_config(cls, settings: dict[str, Any] | None) -> dict[str, Any] | None:
        """The form's settings as a config (override with `to_settings`)."""
        if settings is None:
            return None
        for name, ptype, _ in _parameters(cls):
            if name in settings and issubclass(ptype, VueSettingsModule):
                settings[name] = ptype.to_config(settings[name])
        return settings

    @classmethod
    def to_settings(cls, config: dict[str, Any] | None) -> dict[str, Any] | None:
        """A config as the form's settings: scalars of their type, dict/list/tuple values
        as JSON text (indented by 2, keys sorted), parameters of other types left out."""
        if config is None:
            return None
        for name, ptype, _ in _parameters(cls):
            if name not in config:
                continue
            value = config[name]
            if issubclass(ptype, VueSettingsModule):
                config[name] = ptype.to_settings(value)
            elif ptype in (int, float, bool, str):
                config[name] = ptype(value) if value is not None else None
            elif ptype in (dict, tuple, list):
                value = value.tolist() if hasattr(value, "tolist") else value
                if not isinstance(value, str):
                    value = json.dumps(_plain(value), indent=2, sort_keys=True)
                config[name] = value
            else:
                del config[name]
        return config


_PYDANTIC_DEFAULTS: dict[str, Callable[[], Any]] = {
    "string": str, "object": dict, "array": list, "integer": int, "number": float,
    "boolean": bool, "enum": str,
}  # fmt: skip


def from_pydantic_model(model: Any) -> SchemaBuilder:
    """A compat builder from a pydantic model class (v2 ``model_json_schema``, or v1)."""
    schema = model.model_json_schema() if hasattr(model, "model_json_schema") else model.schema()
    definitions = schema.get("$defs", schema.get("definitions", {}))
    return build_from_pydantic_schema(schema, definitions)


def _definition(reference: str, definitions: Mapping[str, Any]) -> dict[str, Any]:
    return dict(definitions[reference.rsplit("/", 1)[-1]])


def _bound(value: Any) -> float | None:
    """A JSON Schema bound that is a number (not a bool, not draft 4's flag)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _inclusive_bounds(value: Mapping[str, Any], *, integer: bool) -> tuple[Any, Any]:
    """The form's ``min``/``max`` for a number property: the record has no exclusive key
    (the reference allows no keys beyond brevettiai's), so ``gt``/``lt`` become inclusive
    bounds, the tighter one kept where ``ge``/``le`` are given too. For an integer that is
    exact (``gt=n`` is ``min=n+1``); for a float the form says ``min=n`` while a job whose
    settings are the pydantic class still refuses ``n`` itself (the class validates)."""
    low: Any = value.get("minimum")
    high: Any = value.get("maximum")
    above, below = _bound(value.get("exclusiveMinimum")), _bound(value.get("exclusiveMaximum"))
    if above is not None:
        first: float = math.floor(above) + 1 if integer else above
        low = first if _bound(low) is None else max(low, first)
    if below is not None:
        last: float = math.ceil(below) - 1 if integer else below
        high = last if _bound(high) is None else min(high, last)
    return low, high


def build_from_pydantic_schema(
    schema: Mapping[str, Any], definitions: Mapping[str, Any], namespace: str | None = None
) -> SchemaBuilder:
    """Fields from a pydantic JSON Schema: ``visible = not advanced``, numbers with step
    0.1 (integers 1), ``min``/``max`` None when unset (``gt``/``lt`` folded into them,
    see `_inclusive_bounds`), the first member of ``anyOf`` used, enums as selects (a
    list of enum members as a checklist), nested models as namespaced sections;
    ``SchemaConfig(exclude=True)`` (as ``vue``) leaves a field out."""
    builder = SchemaBuilder(namespace=namespace)
    for name, given in schema.get("properties", {}).items():
        value = dict(given)
        vue = value.get("vue")
        if (isinstance(vue, SchemaConfig) and vue.exclude) or (
            isinstance(vue, Mapping) and vue.get("exclude")
        ):
            continue
        payload: dict[str, Any] = {
            "label": name.replace("_", " ").title(),
            "visible": not value.get("advanced", True),
        }
        if "description" in value:
            payload["help"] = value["description"]
        for combined in ("anyOf", "allOf"):
            if combined in value:
                first = value.pop(combined)[0]
                value = {**value, **first}
        if "$ref" in value:
            target = _definition(value.pop("$ref"), definitions)
            if "enum" not in target:  # a nested model: a section
                builder.add_field(label(**payload, tag=name))
                builder.append(build_from_pydantic_schema(target, definitions, namespace=name))
                continue
            value = {**target, **value}
        kind = value.get("type", "enum" if "enum" in value else "string")
        default = value.get("default", _PYDANTIC_DEFAULTS.get(kind, str)())
        payload.update(label=given.get("title", payload["label"]), model=name, default=default)
        if "enum" in value:
            builder.add_field(select(**payload, values=value["enum"]))
        elif kind == "string":
            builder.add_field(text_input(**payload))
        elif kind == "array":
            items = dict(value.get("items", {}))
            if "$ref" in items:
                items = _definition(items["$ref"], definitions)
            if "enum" in items:
                builder.add_field(checklist(**payload, values=items["enum"]))
            else:
                builder.add_field(text_area(**payload, json=True))
        elif kind in ("integer", "number"):
            low, high = _inclusive_bounds(value, integer=kind == "integer")
            step = 0.1 if kind == "number" else 1
            builder.add_field(number_input(**payload, step=step, min=low, max=high))
        elif kind == "object":
            builder.add_field(text_area(**payload, json=True))
        elif kind == "boolean":
            builder.add_field(checkbox(**payload))
        else:
            logger.warning("%s: a property of type %r has no form field", name, kind)
    return builder


def to_schema(builder_or_document: Any) -> Schema:
    """Our `Schema` model of a compat builder, document or module.

    Values brevettiai accepted but our checks would refuse (a default outside
    ``min``/``max``, say) are kept and listed in `Schema.warnings`.
    """
    from brevetti_schema import load_platform_ui  # noqa: PLC0415 - only when converting

    return load_platform_ui(_document_of(builder_or_document))
