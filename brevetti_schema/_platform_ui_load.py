"""Loading an existing platform UI JSON document (brevettiai-made or hand-written).

Two passes. The first reads the records in order into a tree of groups: a label with a
``tag`` opens the group at that dotted path, a field lands in the group its dotted
``model`` names (groups no label opened are implicit, ``Section.header`` false), and a
label without a tag is a heading placed between its neighbours. The second turns the
tree into the model. Each node is then emitted alone and compared with its record:
keys the record has that differ go in ``ui_extra``, keys it lacks in ``ui_omit``, so
emitting the loaded model reproduces the document (key order aside) by construction.

Legacy oddities (a default outside ``min``/``max``, a text default in a checkbox, a
``kwargs`` object, a value of the wrong type) load with warnings in `Schema.warnings`.
An unknown ``type``, ``inputType`` or key is an error naming the record.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from ._checks import check_schema, raise_for_problems
from ._conditions import condition_from_data
from ._errors import SchemaError, SchemaProblem
from ._model import Field, Heading, Kind, Node, Option, Schema, Section, derive_label
from ._platform_ui import (
    CLASS_MAPPING_HINT,
    EXTENSION_ATTRIBUTES,
    EXTENSION_KEY,
    field_record,
    heading_record,
    plain,
    section_record,
    trailing_headings,
)

__all__ = ["load_platform_ui"]

_DOCUMENT_KEYS: Final = frozenset({"fields", "presets", "title"})

_STANDARD_KEYS: Final = frozenset(
    {"type", "inputType", "label", "model", "default", "required", "visible", "help", "hint",
     "placeholder", "readonly", "min", "max", "step", "rows", "pattern", "values", "isJson",
     "listbox", "listBox", "validator", "criterionType", "visibleWhen", "tag", EXTENSION_KEY,
     "exclusiveMinimum", "exclusiveMaximum"}
)  # fmt: skip
"""Keys the loader reads (``exclusive*`` as our compat layer writes gt/lt bounds)."""

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

_TEXT_INPUTS: Final = frozenset({"text", "email", "url", "tel", "search"})
_NUMBER_INPUTS: Final = frozenset({"number", "range"})
_CRITERIA: Final = {"classes": Kind.CLASSES, "class_mapping": Kind.CLASS_MAPPING}


class _RecordError(Exception):
    """A record the loader cannot read; turned into a `SchemaProblem` naming it."""


def load_platform_ui(
    document: Mapping[str, Any] | str | os.PathLike[str], *, source: str | None = None
) -> Schema:
    """The model of a platform UI JSON document: a mapping, JSON text or a file path.

    Raises `SchemaError` listing every record it cannot read; legacy oddities load,
    listed in the result's `warnings`.
    """
    data, source = _read(document, source)
    return _Loader(source).load(data)


def _read(document: Any, source: str | None) -> tuple[Any, str | None]:
    if isinstance(document, Mapping):
        try:
            return json.loads(json.dumps(plain(document))), source
        except (TypeError, ValueError) as exc:
            raise SchemaError.single("", f"the document is not JSON data: {exc}") from None
    if isinstance(document, str) and document.lstrip().startswith(("{", "[")):
        return _parse(document, source), source
    if isinstance(document, str | os.PathLike):
        path = Path(document)
        source = source if source is not None else str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SchemaError([SchemaProblem("", f"cannot read the file: {exc}", source)]) from None
        return _parse(text, source), source
    raise SchemaError.single("", f"expected a document, JSON text or a path, got {document!r}")


def _parse(text: str, source: str | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = SchemaProblem("", f"not valid JSON: {exc.msg}", source, exc.lineno, exc.colno)
        raise SchemaError([problem]) from None


# -- pass 1: records into a tree of groups ----------------------------------------------------


@attrs.define
class _Record:
    """A field or heading record with its position in the document."""

    index: int
    record: dict[str, Any]
    kind: Kind | None = None  # None for a heading


@attrs.define
class _Group:
    """A section being read: opened by a tagged label (`record`) or implied by models."""

    path: str
    index: int | None = None
    record: dict[str, Any] | None = None
    items: list[_Record | _Group] = attrs.field(factory=list)


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _within(outer: str, path: str) -> bool:
    """Whether `path` is `outer` or lies inside it ("" is the root)."""
    return outer == "" or path == outer or path.startswith(outer + ".")


def _common(a: str, b: str) -> str:
    parts = []
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        parts.append(x)
    return ".".join(parts)


def _where(index: int, record: Mapping[str, Any]) -> str:
    model = record.get("model", record.get("tag"))
    return f"fields[{index}] (model {model!r}, type {record.get('type')!r})"


def _same(a: Any, b: Any) -> bool:
    """JSON equality: key order aside, but 1, 1.0 and true are all different."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Loader:
    """Reads one document; collects errors and warnings as it goes."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.errors: list[SchemaProblem] = []
        self.warnings: list[SchemaProblem] = []
        self.root = _Group("")
        self.groups: dict[str, _Group] = {"": self.root}
        self.fields: dict[str, _Record] = {}
        self.current = ""
        self.pending: list[tuple[_Record, str | None]] = []

    # -- problems ---------------------------------------------------------------------------

    def error(self, path: str, message: str) -> None:
        self.errors.append(SchemaProblem(path, message, self.source))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(SchemaProblem(path, message, self.source, severity="warning"))

    # -- the document -----------------------------------------------------------------------

    def load(self, data: Any) -> Schema:
        if not isinstance(data, Mapping) or not isinstance(data.get("fields"), list):
            raise SchemaError(
                [SchemaProblem("", 'expected {"fields": [...], "presets": {...}}', self.source)]
            )
        for key in sorted(set(data) - _DOCUMENT_KEYS):
            self.error("", f"unknown document key {key!r} (known: fields, presets, title)")
        title = data.get("title")
        if title is not None and not isinstance(title, str):
            self.error("", f"title must be text, got {title!r}")
        for index, record in enumerate(data["fields"]):
            try:
                self.read(index, record)
            except _RecordError as exc:
                path = record.get("model") if isinstance(record, Mapping) else None
                self.error(path if isinstance(path, str) else "", str(exc))
        self.place_pending(None)
        children = self.build(self.root, False)
        presets = self.presets(data.get("presets", {}))
        if self.errors:
            raise SchemaError(self.errors)
        schema = Schema(children=children, presets=presets, title=title)
        problems = [p.located(self.source, None, None) for p in check_schema(schema, lenient=True)]
        warnings = self.warnings + raise_for_problems(problems)
        return attrs.evolve(schema, warnings=tuple(warnings))

    def read(self, index: int, raw: Any) -> None:
        if not isinstance(raw, Mapping):
            raise _RecordError(f"fields[{index}] is not an object: {raw!r}")
        record = self.fold_kwargs(index, dict(raw))
        type_name = record.get("type")
        kind_of = _TYPES.get(type_name) if isinstance(type_name, str) else None
        if kind_of is None:
            known = ", ".join(sorted(_TYPES))
            raise _RecordError(f"{_where(index, record)}: unknown type (known: {known})")
        unknown = sorted(set(record) - _STANDARD_KEYS - PRESENTATION_KEYS)
        if unknown:
            raise _RecordError(f"{_where(index, record)}: unknown key(s) {', '.join(unknown)}")
        kind = kind_of(record, index)
        self.check_extension(index, record, kind)
        if kind is None:
            self.read_label(index, record)
        else:
            self.read_field(index, record, kind)

    def fold_kwargs(self, index: int, record: dict[str, Any]) -> dict[str, Any]:
        """brevettiai put keywords of its classes factories in a stray ``kwargs`` object."""
        if "kwargs" not in record:
            return record
        extra = record.pop("kwargs")
        if not isinstance(extra, Mapping):
            raise _RecordError(f"{_where(index, record)}: 'kwargs' must be an object")
        for key, value in extra.items():
            if key in record and not _same(record[key], value):
                self.warn(
                    str(record.get("model", "")),
                    f"fields[{index}]: 'kwargs' sets {key!r} to {value!r} over {record[key]!r}",
                )
            record[key] = value
        return record

    def check_extension(self, index: int, record: Mapping[str, Any], kind: Kind | None) -> None:
        extension = record.get(EXTENSION_KEY)
        if extension is None:
            return
        if not isinstance(extension, Mapping):
            raise _RecordError(f"{_where(index, record)}: {EXTENSION_KEY!r} must be an object")
        allowed = _LABEL_EXTENSION if kind is None else _FIELD_EXTENSION
        unknown = sorted(set(extension) - allowed)
        if unknown:
            raise _RecordError(
                f"{_where(index, record)}: unknown {EXTENSION_KEY!r} key(s) {', '.join(unknown)}"
            )

    def read_label(self, index: int, record: dict[str, Any]) -> None:
        if not isinstance(record.get("label"), str):
            raise _RecordError(f"{_where(index, record)}: a label record needs a text 'label'")
        tag = record.get("tag")
        if tag is None:
            marker = (record.get(EXTENSION_KEY) or {}).get("section")
            marker = marker if isinstance(marker, str) else None
            self.pending.append((_Record(index, record), marker))
            return
        if not isinstance(tag, str) or not tag or "" in tag.split("."):
            raise _RecordError(f"{_where(index, record)}: 'tag' must be a dotted path")
        if tag in self.groups or tag in self.fields:
            self.warn(tag, f"fields[{index}]: a second label tagged {tag!r} is kept as a heading")
            self.pending.append((_Record(index, record), None))
            return
        self.place_pending(_parent(tag))
        group = _Group(tag, index, record)
        self.group(_parent(tag), index, record).items.append(group)
        self.groups[tag] = group
        self.current = tag

    def read_field(self, index: int, record: dict[str, Any], kind: Kind) -> None:
        model = record.get("model")
        if not isinstance(model, str) or "" in model.split("."):
            raise _RecordError(f"{_where(index, record)}: a field needs a dotted path 'model'")
        if model in self.groups:
            raise _RecordError(f"{_where(index, record)}: {model!r} is also a group")
        parent = _parent(model)
        self.place_pending(parent)
        item = _Record(index, record, kind)
        self.group(parent, index, record).items.append(item)
        if model not in self.fields:  # a duplicate is reported by the checks
            self.fields[model] = item
        self.current = parent

    def group(self, path: str, index: int, record: Mapping[str, Any]) -> _Group:
        """The group at `path`, created (implicit) with its parents when missing."""
        existing = path
        while existing not in self.groups:
            existing = _parent(existing)
        if not _within(existing, self.current):
            self.warn(
                path,
                f"fields[{index}]: the records of {existing!r} are not together; "
                "they are emitted together",
            )
        return self._group(path, index, record)

    def _group(self, path: str, index: int, record: Mapping[str, Any]) -> _Group:
        if path in self.groups:
            return self.groups[path]
        if path in self.fields:
            raise _RecordError(f"{_where(index, record)}: {path!r} is a field, not a group")
        parent = self._group(_parent(path), index, record)
        group = _Group(path)
        parent.items.append(group)
        self.groups[path] = group
        return group

    def place_pending(self, next_group: str | None) -> None:
        """Put waiting headings in the deepest group shared by their two neighbours."""
        target = _common(self.current, next_group) if next_group is not None else ""
        for item, marker in self.pending:
            where = marker if marker is not None else target
            try:
                self._group(where, item.index, item.record).items.append(item)
            except _RecordError as exc:
                self.error(where, str(exc))
        self.pending = []

    # -- pass 2: the tree into the model ----------------------------------------------------

    def build(self, group: _Group, hidden: bool) -> tuple[Node, ...]:
        nodes: list[Node] = []
        trailing = trailing_headings(
            [isinstance(i, _Record) and i.kind is None for i in group.items]
        )
        for position, item in enumerate(group.items):
            if isinstance(item, _Group):
                nodes.append(self.section(item, hidden))
            elif item.kind is None:  # a heading
                marker = group.path if group.path and trailing[position] else None
                nodes.append(self.heading(item, hidden, marker))
            else:
                try:
                    nodes.append(self.field(item, item.kind, hidden))
                except _RecordError as exc:
                    self.error(item.record["model"], str(exc))
        return tuple(nodes)

    def section(self, group: _Group, hidden: bool) -> Section:
        key = group.path.rpartition(".")[2]
        if group.record is None:
            children = self.build(group, hidden)
            return Section(key, derive_label(key), children, header=False)
        record, index = group.record, group.index or 0
        advanced = record.get("visible") is False and _all_hidden(group)
        if hidden:
            advanced = (record.get(EXTENSION_KEY) or {}).get("advanced") is True
        children = self.build(group, hidden or advanced)
        section = Section(
            key,
            record["label"],
            children,
            help=self.text(index, record, "help"),
            advanced=advanced,
            visible_when=self.condition(index, record),
        )
        emitted = section_record(section, group.path, hidden=hidden)
        return attrs.evolve(section, ui_extra=self.label_extra(index, record, emitted))

    def heading(self, item: _Record, hidden: bool, marker: str | None) -> Heading:
        record = item.record
        heading = Heading(record["label"], self.text(item.index, record, "help"))
        emitted = heading_record(heading, hidden=hidden, section=marker)
        return attrs.evolve(heading, ui_extra=self.label_extra(item.index, record, emitted))

    def field(self, item: _Record, kind: Kind, hidden: bool) -> Field:
        record, index = item.record, item.index
        model: str = record["model"]
        read = _Reader(self, index, record)
        spec = _KIND_READERS[kind](read)
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
        field = Field(
            kind=kind,
            key=key,
            label=label if label is not None else derive_label(key),
            help=read.text("help"),
            hint=hint,
            placeholder=read.text("placeholder"),
            required=read.flag("required"),
            readonly=read.flag("readonly"),
            advanced=advanced,
            visible_when=self.condition(index, record),
            **spec,
        )
        extra, omit = self.difference(index, record, field_record(field, model, hidden=hidden))
        replayed = attrs.evolve(field, ui_extra=extra, ui_omit=omit)
        # A replayed key can change how another is written (a JSON default in an input
        # rather than a text area): pin what still differs.
        more, fewer = self.difference(index, record, field_record(replayed, model, hidden=hidden))
        if more or fewer:
            replayed = attrs.evolve(field, ui_extra={**extra, **more}, ui_omit=omit + fewer)
        return replayed

    def difference(
        self, index: int, record: Mapping[str, Any], emitted: Mapping[str, Any]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """What to add to (and drop from) the emitted record to give back `record`."""
        extra = {k: v for k, v in record.items() if k not in emitted or not _same(v, emitted[k])}
        omit = tuple(k for k in emitted if k not in record)
        return extra, omit

    def label_extra(
        self, index: int, record: Mapping[str, Any], emitted: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A label's ``ui_extra``; a label has no ``ui_omit``, so a key it lacks is reported."""
        extra, omit = self.difference(index, record, emitted)
        if omit:
            self.warn(
                str(record.get("tag", "")),
                f"fields[{index}]: this label is emitted with {', '.join(omit)} added",
            )
        return extra

    def text(self, index: int, record: Mapping[str, Any], key: str) -> str | None:
        value = record.get(key)
        if value is None or isinstance(value, str):
            return value
        self.warn(str(record.get("model", "")), f"fields[{index}]: {key} {value!r} is not text")
        return None

    def condition(self, index: int, record: Mapping[str, Any]) -> Any:
        if "visibleWhen" not in record:
            return None
        path = str(record.get("model", record.get("tag", "")))
        try:
            return condition_from_data(record["visibleWhen"], path)
        except SchemaError as exc:
            for problem in exc.problems:
                self.error(problem.path, f"fields[{index}]: {problem.message}")
            return None

    # -- presets ----------------------------------------------------------------------------

    def presets(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            self.error("", f"presets must be an object of preset name -> settings, got {raw!r}")
            return {}
        presets: dict[str, Any] = {}
        for name, tree in self.unnest(raw).items():
            if not isinstance(tree, Mapping):
                self.error("", f"preset {name!r} must be an object, got {tree!r}")
                continue
            presets[name] = self.preset_tree(name, tree, "")
        return presets

    def unnest(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Repair brevettiai's namespace above the preset names: ``{ns: {preset: {...}}}``."""
        top = {path for path in [*self.groups, *self.fields] if path and "." not in path}
        result: dict[str, Any] = {}
        for name, tree in raw.items():
            misplaced = (
                name in self.groups
                and "." not in name
                and isinstance(tree, Mapping)
                and bool(tree)
                and all(k not in top and isinstance(v, Mapping) for k, v in tree.items())
            )
            if not misplaced:
                if isinstance(result.get(name), dict) and isinstance(tree, Mapping):
                    result[name].update(tree)
                else:
                    result[name] = dict(tree) if isinstance(tree, Mapping) else tree
                continue
            self.warn(name, f"presets hold group {name!r} above the preset names; moved inside")
            for inner, values in tree.items():
                target = result.setdefault(inner, {})
                if isinstance(target, dict):
                    target[name] = values
        return result

    def preset_tree(self, name: str, tree: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in tree.items():
            path = prefix + key
            item = self.fields.get(path)
            if item is not None and item.record.get("isJson") is True:
                result[key] = _Reader(self, item.index, item.record).transported(
                    value, f"preset {name!r}"
                )
            elif path in self.groups and isinstance(value, Mapping):
                result[key] = self.preset_tree(name, value, path + ".")
            else:
                result[key] = value
        return result


def _all_hidden(group: _Group) -> bool:
    """Whether every record inside a group is ``visible: false`` (it is then advanced)."""
    for item in group.items:
        record = item.record
        if record is not None and record.get("visible") is not False:
            return False
        if isinstance(item, _Group) and not _all_hidden(item):
            return False
    return True


# -- record types -> kinds ----------------------------------------------------------------------


def _criterion(record: Mapping[str, Any], index: int) -> Kind | None:
    criterion = record.get("criterionType")
    if criterion is None:
        return None
    if criterion not in _CRITERIA:
        raise _RecordError(
            f"{_where(index, record)}: unknown criterionType {criterion!r} "
            "(known: classes, class_mapping)"
        )
    return _CRITERIA[criterion]


def _json_kind(record: Mapping[str, Any]) -> Kind:
    extension = record.get(EXTENSION_KEY)
    has_items = isinstance(extension, Mapping) and "item_kind" in extension
    return Kind.LIST if has_items else Kind.JSON


def _text_kind(record: Mapping[str, Any], index: int) -> Kind:
    criterion = _criterion(record, index)
    if criterion is not None:
        return criterion
    return _json_kind(record) if record.get("isJson") is True else Kind.TEXT


def _input(record: Mapping[str, Any], index: int) -> Kind | None:
    input_type = record.get("inputType", "text")
    if input_type in _NUMBER_INPUTS:
        return _number_kind(record)
    if input_type == "password":
        return Kind.SECRET
    if input_type in _TEXT_INPUTS:
        return _text_kind(record, index)
    known = ", ".join(sorted(_NUMBER_INPUTS | _TEXT_INPUTS | {"password"}))
    raise _RecordError(
        f"{_where(index, record)}: unknown inputType {input_type!r} (known: {known})"
    )


def _number_kind(record: Mapping[str, Any]) -> Kind:
    """``integer``/``number`` validators decide; else integral bounds, step and default."""
    validator = record.get("validator")
    names = validator if isinstance(validator, list) else [validator]
    if "integer" in names:
        return Kind.INTEGER
    if "number" in names or "double" in names:
        return Kind.NUMBER
    values = [record.get(k) for k in ("min", "max", "step", "default")]
    integral = all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)
    return Kind.INTEGER if integral and record.get("step") != "any" else Kind.NUMBER


_TYPES: dict[str, Callable[[Mapping[str, Any], int], Kind | None]] = {
    "label": lambda record, index: None,
    "input": _input,
    "textArea": _text_kind,
    "checkbox": lambda record, index: Kind.BOOLEAN,
    "switch": lambda record, index: Kind.BOOLEAN,
    "select": lambda record, index: Kind.CHOICE,
    "radios": lambda record, index: Kind.CHOICE,
    "checklist": lambda record, index: Kind.MULTI_CHOICE,
}
"""vue-form-generator field types the loader reads, and the kind each gives."""


# -- reading one field record ---------------------------------------------------------------


class _Reader:
    """Typed access to one field record's keys; a key of the wrong type is left unread."""

    def __init__(self, loader: _Loader, index: int, record: Mapping[str, Any]) -> None:
        self.loader = loader
        self.index = index
        self.record = record
        self.model = str(record.get("model", ""))

    def wrong(self, key: str, expected: str) -> None:
        value = self.record.get(key)
        self.loader.warn(
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
                self.loader.warn(
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
            self.loader.warn(
                self.model,
                f"fields[{self.index}]: {what} {value!r} is not JSON text; kept as text",
            )
            return value

    def options(self, id_key: str) -> tuple[Option, ...]:
        values = self.record.get("values")
        if not isinstance(values, list):
            raise _RecordError(f"{_where(self.index, self.record)}: 'values' must be a list")
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
                raise _RecordError(
                    f"{_where(self.index, self.record)}: option {position} is not a single value"
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


def _numeric(read: _Reader) -> dict[str, Any]:
    step = read.record.get("step")
    return {
        "minimum": read.number("min"),
        "maximum": read.number("max"),
        "step": None if step == "any" else read.number("step"),
        "exclusive_minimum": read.number("exclusiveMinimum"),
        "exclusive_maximum": read.number("exclusiveMaximum"),
    }


def _lengths(read: _Reader) -> dict[str, Any]:
    return {
        "min_length": read.count("min"),
        "max_length": read.count("max"),
        "pattern": read.pattern(),
    }


def _text(read: _Reader) -> dict[str, Any]:
    spec = _lengths(read)
    if read.record.get("type") == "textArea":
        spec.update(multiline=True, rows=read.count("rows"))
    return spec


def _area_rows(read: _Reader) -> dict[str, Any]:
    if read.record.get("type") != "textArea":
        return {}
    return {"rows": read.count("rows")}


def _choice(read: _Reader) -> dict[str, Any]:
    return {"options": read.options("id")}


def _multi_choice(read: _Reader) -> dict[str, Any]:
    return {"options": read.options("value")}


def _class_mapping(read: _Reader) -> dict[str, Any]:
    spec = _area_rows(read)
    hint = read.text("hint")
    spec["hint"] = None if hint == CLASS_MAPPING_HINT else hint
    return spec


_KIND_READERS: dict[Kind, Callable[[_Reader], dict[str, Any]]] = {
    Kind.INTEGER: _numeric,
    Kind.NUMBER: _numeric,
    Kind.TEXT: _text,
    Kind.SECRET: _lengths,
    Kind.BOOLEAN: lambda read: {},
    Kind.CHOICE: _choice,
    Kind.MULTI_CHOICE: _multi_choice,
    Kind.LIST: lambda read: {},
    Kind.JSON: _area_rows,
    Kind.CLASSES: lambda read: {},
    Kind.CLASS_MAPPING: _class_mapping,
}
"""What each kind reads from the standard keys of its record."""
