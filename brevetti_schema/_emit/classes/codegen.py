"""Python source of the settings classes, for authors' completion and type checks.

The source follows the same `ClassPlan` as the live classes (`_attrs_classes`): the same
names, types, defaults and key metadata, so both structure and unstructure alike. Like
the live classes it carries its schema: ``SCHEMA``, the authoring-format document as
JSON text, which the root class names as ``__brevetti_schema__``, so `load_schema(Root)` and
``class Train(Job[Root])`` get the whole schema back (bounds, conditions, the defaults of
conditional fields, presets), which the annotations alone cannot say. It passes
``mypy --strict`` and ruff, and the same schema always gives the same text.
Lines are kept within 88 columns by splitting brackets the way black and ruff do for
simple expressions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType, NoneType
from typing import Any, Final, get_args, get_origin

import attrs

from ..._kinds import REGISTRY
from ..._model.frozen import FrozenDict, FrozenList
from ..._model.nodes import MISSING, Schema
from ..._model.secret import Secret
from ..yaml_dump import schema_document
from .plan import SECTION_DEFAULT, AttributePlan, ClassPlan, plan_classes
from .settings_types import METADATA_KEY, is_literal, is_union

__all__ = ["generate_source"]

_WIDTH: Final = 88
_INDENT: Final = "    "


# -- expressions as small layout trees ------------------------------------------------


@attrs.frozen
class _Group:
    """A bracketed expression whose items may be split one per line."""

    opener: str
    items: tuple[tuple[str, Doc], ...]  # (text before the item, the item)
    closer: str
    single_comma: bool = False  # a one-element tuple keeps its comma on one line
    display: bool = False  # a list, tuple or dict display: never hugged when split


@attrs.frozen
class _Cat:
    """Expressions in a row; a split happens at the last bracketed one (as black does)."""

    parts: tuple[Doc, ...]


Doc = str | _Group | _Cat


def _flat(doc: Doc) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, _Cat):
        return "".join(_flat(part) for part in doc.parts)
    inner = ", ".join(prefix + _flat(item) for prefix, item in doc.items)
    if doc.single_comma and len(doc.items) == 1:
        inner += ","
    return doc.opener + inner + doc.closer


def _lines(indent: str, prefix: str, doc: Doc, suffix: str) -> list[str]:
    """The lines of ``prefix + doc + suffix``, splitting the last brackets if too long."""
    flat = indent + prefix + _flat(doc) + suffix
    if len(flat) <= _WIDTH or isinstance(doc, str):
        return [flat]
    if isinstance(doc, _Cat):
        groups = [i for i, part in enumerate(doc.parts) if _splittable(part)]
        if not groups:
            return [flat]
        last = groups[-1]
        before = "".join(_flat(p) for p in doc.parts[:last])
        after = "".join(_flat(p) for p in doc.parts[last + 1 :])
        return _lines(indent, prefix + before, doc.parts[last], after + suffix)
    if not doc.items:
        return [flat]
    inner = indent + _INDENT
    if not doc.display or (len(doc.items) == 1 and not doc.single_comma):
        body = inner + ", ".join(p + _flat(item) for p, item in doc.items)
        if len(body) <= _WIDTH:
            return [indent + prefix + doc.opener, body, indent + doc.closer + suffix]
    # one item per line with a trailing comma; a lone item gets none (black's rule)
    comma = "," if len(doc.items) > 1 or doc.single_comma else ""
    lines = [indent + prefix + doc.opener]
    for item_prefix, item in doc.items:
        lines += _lines(inner, item_prefix, item, comma)
    lines.append(indent + doc.closer + suffix)
    return lines


def _splittable(doc: Doc) -> bool:
    if isinstance(doc, _Cat):
        return any(_splittable(p) for p in doc.parts)
    return isinstance(doc, _Group) and bool(doc.items)


def _text(value: str) -> str:
    """A string literal, double-quoted unless that needs more escapes."""
    quote = "'" if '"' in value and "'" not in value else '"'
    body = []
    for char in value:
        if char == "\\":
            body.append("\\\\")
        elif char == quote:
            body.append("\\" + char)
        elif char == "\n":
            body.append("\\n")
        elif not char.isprintable():
            body.append(repr(char)[1:-1])
        else:
            body.append(char)
    return quote + "".join(body) + quote


def _value(value: Any) -> Doc:
    """Source of a default value: scalars, tuples, lists, dicts, mappings, secrets."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Secret):
        return _Group("Secret(", (("", _text(value.reveal())),), ")")
    if isinstance(value, FrozenList):
        return _Group("FrozenList(", (("", _value(list(value))),), ")")
    if isinstance(value, FrozenDict):
        return _Group("FrozenDict(", (("", _value(dict(value))),), ")")
    if isinstance(value, tuple):
        items = tuple(("", _value(v)) for v in value)
        return _Group("(", items, ")", single_comma=True, display=True)
    if isinstance(value, list):
        return _Group("[", tuple(("", _value(v)) for v in value), "]", display=True)
    if isinstance(value, MappingProxyType):
        return _Group("MappingProxyType(", (("", _value(dict(value))),), ")")
    if isinstance(value, Mapping):
        items = tuple((f"{_text(k)}: ", _value(v)) for k, v in value.items())
        return _Group("{", items, "}", display=True)
    raise TypeError(f"cannot write a default of type {type(value).__name__}")


# -- types --------------------------------------------------------------------------------

_NAMED: Final[dict[Any, str]] = {
    NoneType: "None",
    Any: "Any",
    Ellipsis: "...",
    **{s.annotation: s.type_name for s in REGISTRY.values() if s.annotation is not None},
}
"""How the source names a plain type: the kinds' own (`KindSpec.type_name`) and a few more."""

_OURS: Final = frozenset(
    {"FrozenDict", "FrozenList"}
    | {
        s.type_name
        for s in REGISTRY.values()
        if s.annotation is not None and s.annotation.__module__ == "brevetti_schema"
    }
)
"""The names the source imports from `brevetti_schema` (a kind's type of ours, such as `Secret`)."""
_GENERICS: Final[dict[Any, str]] = {
    tuple: "tuple",
    dict: "dict",
    list: "list",
    Mapping: "Mapping",
    FrozenDict: "FrozenDict",
    FrozenList: "FrozenList",
}


def _type(tp: Any) -> Doc:
    """Source of an annotation; a section's type is its class name."""
    if isinstance(tp, ClassPlan):
        return tp.name
    if tp in _NAMED:
        return _NAMED[tp]
    if is_literal(tp):
        return _Group("Literal[", tuple(("", _value(v)) for v in get_args(tp)), "]")
    if is_union(tp):
        parts: list[Doc] = []
        for arg in get_args(tp):
            parts += [" | ", _type(arg)] if parts else [_type(arg)]
        return _Cat(tuple(parts))
    origin = get_origin(tp)
    if origin in _GENERICS:
        return _Group(_GENERICS[origin] + "[", tuple(("", _type(a)) for a in get_args(tp)), "]")
    raise TypeError(f"cannot write the type {tp!r}")


# -- the module ---------------------------------------------------------------------------


def _docstring(indent: str, text: str) -> list[str]:
    """A docstring in the layout ruff's formatter keeps."""
    lines = [line.rstrip() for line in text.strip().splitlines()] or [""]
    escaped = []
    for line in lines:
        chars = ["\\\\" if c == "\\" else c if c.isprintable() else repr(c)[1:-1] for c in line]
        escaped.append("".join(chars).replace('"""', '\\"\\"\\"'))
    if escaped[-1].endswith('"'):
        escaped[-1] += " "
    if len(escaped) == 1:
        return [f'{indent}"""{escaped[0]}"""']
    body = [indent + line if line else "" for line in escaped[1:]]
    return [f'{indent}"""{escaped[0]}', *body, f'{indent}"""']


def _field_call(attribute: AttributePlan) -> Doc | None:
    """The ``attrs.field(...)`` an attribute needs, or ``None`` for a plain default."""
    options: list[tuple[str, Doc]] = []
    default = attribute.default
    if default is SECTION_DEFAULT:
        options.append(("factory=", attribute.type.name))
    elif attribute.mutable_default and not default:
        options.append(("factory=", type(default).__name__))
    elif attribute.mutable_default:
        options.append(("factory=lambda: ", _value(default)))
    elif default is not MISSING and (
        attribute.key != attribute.name
        or attribute.name.startswith("_")
        or isinstance(default, Secret | FrozenDict | FrozenList)  # a bare call: ruff's RUF009
    ):
        options.append(("default=", _value(default)))
    if attribute.name.startswith("_"):
        options.append(("alias=", _text(attribute.name)))
    if attribute.key != attribute.name:
        record = _Group("{", (('"key": ', _text(attribute.key)),), "}", display=True)
        metadata = _Group("{", ((f"{_text(METADATA_KEY)}: ", record),), "}", display=True)
        options.append(("metadata=", metadata))
    return _Group("attrs.field(", tuple(options), ")") if options else None


def _attribute(attribute: AttributePlan) -> list[str]:
    parts: list[Doc] = [f"{attribute.name}: ", _type(attribute.type)]
    call = _field_call(attribute)
    if call is not None:
        parts += [" = ", call]
    elif attribute.default is not MISSING:
        parts += [" = ", _value(attribute.default)]
    lines = _lines(_INDENT, "", _Cat(tuple(parts)), "")
    if attribute.doc:
        lines += _docstring(_INDENT, attribute.doc)
    return lines


def _class(plan: ClassPlan, *, root: bool = False) -> list[str]:
    lines = ["@attrs.frozen(kw_only=True)", f"class {plan.name}:"]
    lines += _docstring(_INDENT, plan.doc or "The job's settings.")
    if root:
        lines += ["", f"{_INDENT}__brevetti_schema__ = SCHEMA"]
    documented = True
    for attribute in plan.attributes:
        if documented:
            lines.append("")
        lines += _attribute(attribute)
        documented = bool(attribute.doc)
    return lines


def _type_names(tp: Any) -> Iterator[str]:
    if isinstance(tp, ClassPlan):
        return
    if tp in _NAMED:
        yield _NAMED[tp]
    elif is_literal(tp):
        yield "Literal"
    elif get_origin(tp) is Mapping:
        yield "Mapping"
    elif get_origin(tp) in (FrozenDict, FrozenList):
        yield get_origin(tp).__name__
    for arg in () if is_literal(tp) else get_args(tp):
        yield from _type_names(arg)


def _value_names(value: Any) -> Iterator[str]:
    if isinstance(value, Secret):
        yield "Secret"
    elif isinstance(value, FrozenDict | FrozenList):
        yield type(value).__name__
    elif isinstance(value, MappingProxyType):
        yield "MappingProxyType"
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _value_names(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _value_names(item)


def _imports(plans: list[ClassPlan]) -> list[str]:
    """The import lines the generated classes need, grouped and sorted as isort does."""
    names: set[str] = set()
    for plan in plans:
        for attribute in plan.attributes:
            names.update(_type_names(attribute.type), _value_names(attribute.default))
    lines = []
    if "Mapping" in names:
        lines.append("from collections.abc import Mapping")
    if "MappingProxyType" in names:
        lines.append("from types import MappingProxyType")
    typing_names = [name for name in ("Any", "Literal") if name in names]
    if typing_names:
        lines.append(f"from typing import {', '.join(typing_names)}")
    if lines:
        lines.append("")
    lines.append("import attrs")
    ours = sorted(names & _OURS)
    if ours:
        lines.append(f"from brevetti_schema import {', '.join(ours)}")
    return lines


def _schema_text(schema: Schema) -> list[str]:
    """``SCHEMA = '...'``: the authoring-format document as JSON text, in pieces that keep
    every line within the width (``'`` written as ``\\u0027``, so that each piece is quoted
    alike and ruff's formatter leaves it as it is)."""
    text = json.dumps(schema_document(schema), ensure_ascii=True).replace("'", "\\u0027")
    head = "SCHEMA: str = "
    if len(head + _text(text)) <= _WIDTH:
        return [head + _text(text)]
    return [head + "(", *(_INDENT + _text(p) for p in _pieces(text)), ")"]


def _pieces(text: str) -> list[str]:
    """`text` cut into pieces whose literals fit on an indented line, after ``", "`` where
    possible (a word longer than a line is cut where it must)."""

    def fits(piece: str) -> bool:
        return len(_INDENT + _text(piece)) <= _WIDTH

    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<=, )", text):
        if fits(current + word):
            current += word
            continue
        if current:
            pieces.append(current)
        while not fits(word):
            cut = max(n for n in range(1, len(word)) if fits(word[:n]))
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    return [*pieces, current] if current else pieces


def generate_source(schema: Schema, *, module_doc: str | None = None) -> str:
    """The source of a module of attrs classes for `schema`'s settings."""
    plans = plan_classes(schema)
    doc = module_doc or (
        f"Typed settings of {schema.title or 'the job'}; generated by brevetti-schema, do not edit."
    )
    lines = [*_docstring("", doc), "", *_imports(plans), "", *_schema_text(schema)]
    lines += _docstring("", "The schema these classes were generated from (authoring format).")
    for plan in plans:
        lines += ["", "", *_class(plan, root=plan is plans[-1])]
    return "\n".join(lines) + "\n"
