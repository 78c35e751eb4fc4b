"""Reading one platform UI record: its kind, and the `Field` a field record gives.

A record's ``type`` (and ``inputType``, ``criterionType``, ``isJson``, validators)
decide its kind: the kinds say which forms of record are theirs (`KindSpec.ui_records`);
each kind then reads its standard keys (`KindSpec.ui_read`), and the ``brevetti``
extension key adds the attributes the form has no key for. A key of the wrong type is
left unread with a warning (the loader's diff keeps it in ``ui_extra``); a record the
loader cannot read at all raises `RecordError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from .._emit.platform_ui import EXTENSION_ATTRIBUTES, EXTENSION_KEY
from .._errors import SchemaError
from .._kinds import REGISTRY
from .._kinds import spec as kind_spec
from .._model.conditions import condition_from_data
from .._model.equality import same_json
from .._model.nodes import Condition, Field, Kind, Option, derive_label

__all__ = [
    "PRESENTATION_KEYS",
    "ProblemSink",
    "RecordError",
    "RecordReader",
    "field_from_record",
    "fold_kwargs",
    "read_condition",
    "record_kind",
    "where",
]

_STANDARD_KEYS: Final = frozenset(
    {"type", "inputType", "label", "model", "default", "required", "visible", "help", "hint",
     "placeholder", "readonly", "min", "max", "step", "rows", "pattern", "values", "isJson",
     "listbox", "listBox", "validator", "criterionType", "visibleWhen", "tag", EXTENSION_KEY,
     "exclusiveMinimum", "exclusiveMaximum"}
)  # fmt: skip
"""Keys the loader reads (``exclusive*`` as files our compat layer once wrote hold)."""

PRESENTATION_KEYS: Final = frozenset(
    {"id", "inputName", "featured", "disabled", "styleClasses", "fieldClasses", "labelClasses",
     "attributes", "autocomplete", "buttons", "selectOptions", "checklistOptions",
     "radiosOptions", "textOn", "textOff", "valueOn", "valueOff", "maxlength", "minlength",
     "size", "accept", "alt", "dirname", "list", "multiple", "width", "height", "src",
     "noValidate", "validateDebounceTime", "hideNoneSelectedText", "noneSelectedText",
     "helpAsHtml", "multi"}
)  # fmt: skip
"""Presentation-only vue-form-generator keys: kept as they are in ``ui_extra``."""

_LABEL_EXTENSION: Final = frozenset({"advanced", "section"})
_FIELD_EXTENSION: Final = frozenset(EXTENSION_ATTRIBUTES) | {"advanced"}

_FORMS: Final = tuple((s.kind, form) for s in REGISTRY.values() for form in s.ui_records)
"""Each kind's forms of record (`KindSpec.ui_records`), in the order of the registry."""

_TYPES: Final = frozenset({"label"} | {form.type for _, form in _FORMS})
"""vue-form-generator field types the loader reads (a ``label`` is a section's)."""

_INPUT_TYPES: Final = frozenset(
    t for _, form in _FORMS if form.type == "input" for t in form.input_types
)
_CRITERIA: Final = tuple(dict.fromkeys(f.criterion for _, f in _FORMS if f.criterion is not None))


class RecordError(Exception):
    """A record the loader cannot read; turned into a `SchemaProblem` naming it."""


class ProblemSink(Protocol):
    """Where reading a record reports what it finds: the loader."""

    def error(self, path: str, message: str) -> None:
        """Report an error at a dotted settings path."""

    def warn(self, path: str, message: str) -> None:
        """Report a warning at a dotted settings path."""


def where(index: int, record: Mapping[str, Any]) -> str:
    """How an error names a record: its position, model (or tag) and type."""
    model = record.get("model", record.get("tag"))
    return f"fields[{index}] (model {model!r}, type {record.get('type')!r})"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# -- checking a record, and its kind ---------------------------------------------------


def fold_kwargs(problems: ProblemSink, index: int, record: dict[str, Any]) -> dict[str, Any]:
    """brevettiai put keywords of its classes factories in a stray ``kwargs`` object."""
    if "kwargs" not in record:
        return record
    extra = record.pop("kwargs")
    if not isinstance(extra, Mapping):
        raise RecordError(f"{where(index, record)}: 'kwargs' must be an object")
    for key, value in extra.items():
        if key in record and not same_json(record[key], value):
            problems.warn(
                str(record.get("model", "")),
                f"fields[{index}]: 'kwargs' sets {key!r} to {value!r} over {record[key]!r}",
            )
        record[key] = value
    return record


def record_kind(index: int, record: Mapping[str, Any]) -> Kind | None:
    """The kind of a record (``None`` for a label); an unknown type, key or extension raises."""
    type_name = record.get("type")
    if not isinstance(type_name, str) or type_name not in _TYPES:
        known = ", ".join(sorted(_TYPES))
        raise RecordError(f"{where(index, record)}: unknown type (known: {known})")
    unknown = sorted(set(record) - _STANDARD_KEYS - PRESENTATION_KEYS)
    if unknown:
        raise RecordError(f"{where(index, record)}: unknown key(s) {', '.join(unknown)}")
    kind = None if type_name == "label" else _form_kind(index, record, type_name)
    _check_extension(index, record, kind)
    return kind


def _check_extension(index: int, record: Mapping[str, Any], kind: Kind | None) -> None:
    extension = record.get(EXTENSION_KEY)
    if extension is None:
        return
    if not isinstance(extension, Mapping):
        raise RecordError(f"{where(index, record)}: {EXTENSION_KEY!r} must be an object")
    allowed = _LABEL_EXTENSION if kind is None else _FIELD_EXTENSION
    unknown = sorted(set(extension) - allowed)
    if unknown:
        raise RecordError(
            f"{where(index, record)}: unknown {EXTENSION_KEY!r} key(s) {', '.join(unknown)}"
        )


# -- record types -> kinds -------------------------------------------------------------


def _form_kind(index: int, record: Mapping[str, Any], type_name: str) -> Kind:
    """The kind whose form the record has: a ``criterionType`` decides where some form of
    its type has one; otherwise the first form that fits."""
    input_type = record.get("inputType", "text") if type_name == "input" else None
    if input_type is not None and input_type not in _INPUT_TYPES:
        known = ", ".join(sorted(_INPUT_TYPES))
        raise RecordError(
            f"{where(index, record)}: unknown inputType {input_type!r} (known: {known})"
        )
    forms = [
        (kind, form)
        for kind, form in _FORMS
        if form.type == type_name and (input_type is None or input_type in form.input_types)
    ]
    criterion = record.get("criterionType")
    if criterion is not None and any(form.criterion is not None for _, form in forms):
        for kind, form in forms:
            if form.criterion == criterion:
                return kind
        raise RecordError(
            f"{where(index, record)}: unknown criterionType {criterion!r} "
            f"(known: {', '.join(_CRITERIA)})"
        )
    extension = record.get(EXTENSION_KEY)
    given = extension if isinstance(extension, Mapping) else {}
    for kind, form in forms:
        if form.criterion is None and form.fits(record, given):
            return kind
    raise RecordError(f"{where(index, record)}: no field kind reads this record")


# -- reading one field record ----------------------------------------------------------


class RecordReader:
    """Typed access to one field record's keys; a key of the wrong type is left unread."""

    def __init__(self, problems: ProblemSink, index: int, record: Mapping[str, Any]) -> None:
        self.problems = problems
        self.index = index
        self.record = record
        self.model = str(record.get("model", ""))

    def wrong(self, key: str, expected: str) -> None:
        value = self.record.get(key)
        self.problems.warn(
            self.model,
            f"fields[{self.index}]: {key} {value!r} is not {expected}; kept as it is in the form",
        )

    def get(self, key: str, valid: Callable[[Any], bool], expected: str) -> Any:
        value = self.record.get(key)
        if value is None:
            return None
        if valid(value):
            return value
        self.wrong(key, expected)
        return None

    def number(self, key: str) -> Any:
        return self.get(key, _is_number, "a number")

    def count(self, key: str) -> Any:
        return self.get(key, _is_count, "a whole number >= 0")

    def text(self, key: str) -> str | None:
        return self.get(key, lambda v: isinstance(v, str), "text")  # type: ignore[no-any-return]

    def flag(self, key: str) -> bool:
        return bool(self.get(key, lambda v: isinstance(v, bool), "true or false"))

    def pattern(self, key: str = "pattern") -> str | None:
        return self.get(key, _compiles, "a regular expression Python can use")  # type: ignore[no-any-return]

    def extension(self) -> dict[str, Any]:
        """Field attributes from the ``brevetti`` extension key."""
        extension = self.record.get(EXTENSION_KEY) or {}
        spec: dict[str, Any] = {}
        for name, value in extension.items():
            if name == "advanced":
                continue
            check, expected = _EXTENSION_TYPES[name]
            if not check(value):
                self.problems.warn(
                    self.model,
                    f"fields[{self.index}]: {EXTENSION_KEY}.{name} {value!r} is not {expected}",
                )
                continue
            spec[name] = Kind(value) if name == "item_kind" else value
        return spec

    def transported(self, value: Any, what: str) -> Any:
        """A value as the record holds it, decoded when it is JSON text (``isJson``)."""
        if self.record.get("isJson") is not True or not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            if value in _raw_options(self.record):
                return value
            self.problems.warn(
                self.model,
                f"fields[{self.index}]: {what} {value!r} is not JSON text; kept as text",
            )
            return value

    def options(self, id_key: str) -> tuple[Option, ...]:
        values = self.record.get("values")
        if not isinstance(values, list):
            raise RecordError(f"{where(self.index, self.record)}: 'values' must be a list")
        encoded = self.record.get("isJson") is True
        options = []
        for position, item in enumerate(values):
            name = None
            if isinstance(item, Mapping):
                value = item.get(id_key, item.get("value", item.get("id")))
                name = item.get("name")
            else:
                value = item
            if encoded and isinstance(value, str):
                value = _decoded_option(value)
            if isinstance(value, dict | list):
                raise RecordError(
                    f"{where(self.index, self.record)}: option {position} is not a single value"
                )
            shown = name if isinstance(name, str) and name != str(value) else None
            options.append(Option(value, shown))
        return tuple(options)


def _compiles(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _decoded_option(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value  # brevettiai leaves text options of a JSON select unencoded


def _raw_options(record: Mapping[str, Any]) -> list[Any]:
    values = record.get("values") if record.get("type") in ("select", "radios") else None
    return values if isinstance(values, list) else []


_EXTENSION_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "unit": (lambda v: isinstance(v, str), "text"),
    "minimum": (_is_number, "a number"),
    "maximum": (_is_number, "a number"),
    "exclusive_minimum": (_is_number, "a number"),
    "exclusive_maximum": (_is_number, "a number"),
    "step": (_is_number, "a number"),
    "multiple_of": (_is_number, "a number"),
    "multiline": (lambda v: isinstance(v, bool), "true or false"),
    "rows": (_is_count, "a whole number >= 0"),
    "min_length": (_is_count, "a whole number >= 0"),
    "max_length": (_is_count, "a whole number >= 0"),
    "pattern": (_compiles, "a regular expression"),
    "item_kind": (lambda v: v in ("integer", "number", "text", "boolean"), "a scalar kind"),
    "min_items": (_is_count, "a whole number >= 0"),
    "max_items": (_is_count, "a whole number >= 0"),
    "json_schema": (lambda v: isinstance(v, dict), "an object"),
}


def read_condition(
    problems: ProblemSink, index: int, record: Mapping[str, Any]
) -> Condition | None:
    """The record's ``visibleWhen`` condition; errors in it are reported, giving ``None``."""
    if "visibleWhen" not in record:
        return None
    path = str(record.get("model", record.get("tag", "")))
    try:
        return condition_from_data(record["visibleWhen"], path)
    except SchemaError as exc:
        for problem in exc.problems:
            problems.error(problem.path, f"fields[{index}]: {problem.message}")
        return None


def field_from_record(
    problems: ProblemSink, index: int, record: Mapping[str, Any], kind: Kind, *, hidden: bool
) -> Field:
    """The field a record of `kind` gives; `hidden` when it lies in an advanced section."""
    model: str = record["model"]
    read = RecordReader(problems, index, record)
    spec = kind_spec(kind).ui_read(read)
    spec.update(read.extension())
    if "default" in record:
        spec["default"] = read.transported(record["default"], "default")
    visible = record.get("visible")
    advanced = visible is False
    if hidden:
        advanced = (record.get(EXTENSION_KEY) or {}).get("advanced") is True
    key = model.rpartition(".")[2]
    label = read.text("label")
    hint = spec.pop("hint") if "hint" in spec else read.text("hint")
    return Field(
        kind=kind,
        key=key,
        label=label if label is not None else derive_label(key),
        help=read.text("help"),
        hint=hint,
        placeholder=read.text("placeholder"),
        required=read.flag("required"),
        readonly=read.flag("readonly"),
        advanced=advanced,
        visible_when=read_condition(problems, index, record),
        **spec,
    )
