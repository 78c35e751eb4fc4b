"""The plan of a schema's settings classes: names, attributes, types and defaults.

The live classes (`_attrs_classes`) and the generated source (`_codegen`) both follow
one `ClassPlan` per section, so they structure and unstructure alike. A key that is not
a safe Python name (not an identifier, a keyword, ``self``, a name the generated module
uses, starting with ``__``) gets a safe attribute name; the key is kept in
``metadata["brevetti_schema"]["key"]`` and used in (un)structured data.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

import attrs

from ..._model.frozen import FrozenDict, FrozenList
from ..._model.nodes import MISSING, Field, Node, Schema, Section
from .settings_types import admits_none, field_type
from .values import held

__all__ = [
    "RESERVED_NAMES",
    "SECTION_DEFAULT",
    "AttributePlan",
    "ClassPlan",
    "plan_classes",
]

SECTION_DEFAULT: Final = object()
"""The default of a section attribute: the section's class made with its defaults."""

RESERVED_NAMES: Final = frozenset(
    {"self", "int", "float", "str", "bool", "tuple", "dict", "list", "attrs", "Any",
     "Literal", "Mapping", "MappingProxyType", "FrozenDict", "FrozenList", "Secret", "None",
     "True", "False", "SCHEMA"}
)  # fmt: skip
"""Names an attribute or class may not take: `__init__` and the generated module use them."""


# -- names -----------------------------------------------------------------------------


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


@attrs.frozen(eq=False)  # compared by identity: attrs writes no __eq__ at every start
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
        frozen = isinstance(self.default, FrozenDict | FrozenList)
        return isinstance(self.default, dict | list) and not frozen


@attrs.frozen(eq=False)
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
            # a field under a condition is None unless active (then the pipeline fills it)
            gated = conditional or node.visible_when is not None
            default = None if gated else _default(node, tp)
            attributes.append(AttributePlan(attribute_name, node.key, tp, default, node.help))
    plan = ClassPlan(path, name, doc, tuple(attributes))
    plans.append(plan)
    return plan


def _default(field: Field, tp: Any) -> Any:
    if field.has_default:
        return held(field.default, tp)
    return None if admits_none(tp) else MISSING
