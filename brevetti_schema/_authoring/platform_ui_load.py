"""Loading an existing platform UI JSON document (brevettiai-made or hand-written).

Two passes. The first reads the records in order into a tree of groups: a label with a
``tag`` opens the group at that dotted path, a field lands in the group its dotted
``model`` names (groups no label opened are implicit, ``Section.header`` false), and a
label without a tag is a heading placed between its neighbours. The second turns the
tree into the model. Each node is then emitted alone and compared with its record:
keys the record has that differ go in ``ui_extra``, keys it lacks in ``ui_omit``, so
emitting the loaded model reproduces the document (key order aside) by construction.
Reading one record (its kind, and the field it gives) is `_platform_ui_records`.

Legacy oddities (a default outside ``min``/``max``, a text default in a checkbox, a
``kwargs`` object, a value of the wrong type) load with warnings in `Schema.warnings`.
An unknown ``type``, ``inputType`` or key is an error naming the record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from .._emit.platform_ui import (
    EXTENSION_KEY,
    field_record,
    heading_record,
    section_record,
    trailing_headings,
)
from .._errors import SchemaError, SchemaProblem
from .._kinds.checks import check_schema, raise_for_problems
from .._model.equality import same_json
from .._model.nodes import Field, Heading, Kind, Node, Schema, Section, derive_label
from .._model.trees import plain_copy
from .platform_ui_records import (
    RecordError,
    RecordReader,
    field_from_record,
    fold_kwargs,
    read_condition,
    record_kind,
    where,
)

__all__ = ["load_platform_ui"]

_DOCUMENT_KEYS: Final = frozenset({"fields", "presets", "title"})


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
            return json.loads(json.dumps(plain_copy(document))), source
        except (TypeError, ValueError) as exc:
            raise SchemaError.single("", f"the document is not JSON data: {exc}") from None
    if isinstance(document, str) and document.lstrip().startswith(("{", "[")):
        return _parse(document, source), source
    if isinstance(document, str | os.PathLike):
        path = Path(document)
        source = source if source is not None else str(path)
        from .yaml_format import read_document  # noqa: PLC0415 - size-checked reading

        try:
            text = read_document(path)
        except SchemaError as exc:
            raise SchemaError([attrs.evolve(p, source=source) for p in exc.problems]) from None
        return _parse(text, source), source
    raise SchemaError.single("", f"expected a document, JSON text or a path, got {document!r}")


def _parse(text: str, source: str | None) -> Any:
    from .yaml_format import MAX_DOCUMENT_BYTES  # noqa: PLC0415

    if len(text) > MAX_DOCUMENT_BYTES:
        message = f"the document is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB; it is not read"
        raise SchemaError([SchemaProblem("", message, source)])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = SchemaProblem("", f"not valid JSON: {exc.msg}", source, exc.lineno, exc.colno)
        raise SchemaError([problem]) from None
    except RecursionError:
        raise SchemaError(
            [SchemaProblem("", "not valid JSON: it nests too deeply", source)]
        ) from None
    except ValueError as exc:  # an integer too long to read
        raise SchemaError([SchemaProblem("", f"not valid JSON: {exc}", source)]) from None


# -- pass 1: records into a tree of groups ---------------------------------------------


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

    # -- problems ----------------------------------------------------------------------

    def error(self, path: str, message: str) -> None:
        self.errors.append(SchemaProblem(path, message, self.source))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(SchemaProblem(path, message, self.source, severity="warning"))

    # -- the document ------------------------------------------------------------------

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
            except RecordError as exc:
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
            raise RecordError(f"fields[{index}] is not an object: {raw!r}")
        record = fold_kwargs(self, index, dict(raw))
        kind = record_kind(index, record)
        if kind is None:
            self.read_label(index, record)
        else:
            self.read_field(index, record, kind)

    def read_label(self, index: int, record: dict[str, Any]) -> None:
        if not isinstance(record.get("label"), str):
            raise RecordError(f"{where(index, record)}: a label record needs a text 'label'")
        tag = record.get("tag")
        if tag is None:
            marker = (record.get(EXTENSION_KEY) or {}).get("section")
            marker = marker if isinstance(marker, str) else None
            self.pending.append((_Record(index, record), marker))
            return
        if not isinstance(tag, str) or not tag or "" in tag.split("."):
            raise RecordError(f"{where(index, record)}: 'tag' must be a dotted path")
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
            raise RecordError(f"{where(index, record)}: a field needs a dotted path 'model'")
        if model in self.groups:
            raise RecordError(f"{where(index, record)}: {model!r} is also a group")
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
            raise RecordError(f"{where(index, record)}: {path!r} is a field, not a group")
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
            except RecordError as exc:
                self.error(where, str(exc))
        self.pending = []

    # -- pass 2: the tree into the model -----------------------------------------------

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
                except RecordError as exc:
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
            visible_when=read_condition(self, index, record),
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
        field = field_from_record(self, index, record, kind, hidden=hidden)
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
        extra = {
            k: v for k, v in record.items() if k not in emitted or not same_json(v, emitted[k])
        }
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

    # -- presets -----------------------------------------------------------------------

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
                result[key] = RecordReader(self, item.index, item.record).transported(
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
