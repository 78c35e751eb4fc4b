"""Pieces several kinds share: number bounds, text lengths, item counts, JSON text.

Each piece serves every concern of a kind spec (check, JSON Schema, UI record, generated
test), so kinds with bounds or lengths say so in one line.
"""

from __future__ import annotations

import collections.abc
import functools
import json
import math
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .._errors import Message
from .._model.frozen import FrozenList
from .._model.nodes import Field, Kind
from .._model.patterns import pattern_problem
from .._model.rendering import LARGEST_NUMBER as LARGEST_NUMBER  # the kinds read it here
from .._model.rendering import describe as describe
from ._spec import Consts, DecodeError, Fragment, Issue, RecordReading, UIPart, UIRecord

BOUNDS: Final = frozenset(
    {"minimum", "maximum", "exclusive_minimum", "exclusive_maximum", "step", "multiple_of"}
)
LENGTHS: Final = frozenset({"min_length", "max_length", "pattern"})
ITEMS: Final = frozenset({"min_items", "max_items"})

CLASS_MAPPING_HINT: Final = "Json mapping from folder name to class"
"""The hint a class-mapping text area shows when the field declares none."""


def number_text(value: float) -> str:
    """A bound or step as written in messages (``:g``), safe for any integer."""
    text = _NUMBER_TEXTS.get(value)
    if text is None:
        if value.__class__ is float or -LARGEST_NUMBER <= value <= LARGEST_NUMBER:
            text = f"{value:g}"
        else:
            text = describe(value) if is_int(value) else f"{value:g}"
        if len(_NUMBER_TEXTS) >= 1024:
            _NUMBER_TEXTS.clear()
        _NUMBER_TEXTS[value] = text
    return text


_NUMBER_TEXTS: dict[float, str] = {}
"""Bounds and steps as written, by value (equal numbers, 1 and 1.0, write alike)."""


def shown(text: str) -> str:
    """A transported string, shortened for messages."""
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


@functools.lru_cache(maxsize=256)
def compiled_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """The compiled pattern, or ``None`` when absent, invalid or prone to catastrophic
    backtracking (all reported when the schema is checked: `pattern_problem`)."""
    if pattern is None or pattern_problem(pattern) is not None:
        return None
    return re.compile(pattern)


def is_int(value: Any) -> bool:
    """An integer that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite integer or float that is not a boolean, within the float range."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= LARGEST_NUMBER
    return isinstance(value, float) and math.isfinite(value)


def too_large(value: Any) -> list[Issue]:
    """An integer beyond the float range, for number and integer kinds."""
    return [("too_large", (_too_large, value), ())]


def got(expected: str, value: Any) -> Message:
    """``expected <expected>, got <value>``: written when read if the value cannot change
    (a scalar), else now (a list or mapping of the document might be changed later)."""
    if value.__class__ in SCALAR_CLASSES:
        return (_got, expected, value)
    return _got(expected, value)


# -- messages, written when read (`Message`); each argument a value that cannot change ----


def _got(expected: str, value: Any) -> str:
    return f"expected {expected}, got {describe(value)}"


def _too_large(value: int) -> str:
    return f"{describe(value)} is too large: numbers must lie within -1.8e308 to 1.8e308"


def _below(value: float, bound: float) -> str:
    return f"{describe(value)} is below the minimum {number_text(bound)}"


def _above(value: float, bound: float) -> str:
    return f"{describe(value)} is above the maximum {number_text(bound)}"


def _not_above(value: float, bound: float) -> str:
    return f"{describe(value)} must be greater than {number_text(bound)}"


def _not_below(value: float, bound: float) -> str:
    return f"{describe(value)} must be less than {number_text(bound)}"


def _not_a_multiple(value: float, step: float) -> str:
    return f"{describe(value)} is not a multiple of {number_text(step)}"


def _too_short(length: int) -> str:
    return f"text is shorter than {length} characters"


def _too_long(length: int) -> str:
    return f"text is longer than {length} characters"


def _no_match(value: str, pattern: str) -> str:
    return f"{describe(value)} does not match the pattern {pattern!r}"


def _too_few(least: int, count: int) -> str:
    return f"expected at least {least} items, got {count}"


def _too_many(most: int, count: int) -> str:
    return f"expected at most {most} items, got {count}"


def _not_an_option(value: Any, field: Field) -> str:
    return f"{describe(value)} is not one of the options ({_allowed_text(field)})"


def is_multiple(value: float, step: float) -> bool:
    """Whether `value` is a whole multiple of `step` (> 0): exact for integers, within
    1e-9 of a whole quotient for floats; exact (as fractions) where the quotient
    overflows a float (``1e10`` and ``multiple_of: 1e-300``)."""
    if isinstance(value, int) and isinstance(step, int):
        return value % step == 0
    quotient = value / step
    if math.isinf(quotient):
        from fractions import Fraction  # noqa: PLC0415 - rare, and fractions loads decimal

        return Fraction(value) % Fraction(step) == 0
    return math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9)


def _integral(field: Field) -> bool:
    return field.kind is Kind.INTEGER or (
        field.kind is Kind.LIST and field.item_kind is Kind.INTEGER
    )


def json_value_problem(value: Any, depth_limit: int = 500) -> str | None:
    """What makes `value` not plain JSON data (NaN, infinity, a number beyond the float
    range, an object JSON has no form for, nesting beyond `depth_limit`), or None."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        at = f" at {where[1:]}" if where else ""
        if isinstance(item, dict | list | tuple):
            if depth >= depth_limit:
                return f"the value nests deeper than {depth_limit} levels"
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(item, dict) and not (
                    key is None or isinstance(key, str | bool) or is_number(key)
                ):
                    return f"{describe(key)}{at} is not a JSON object key"
                stack.append((child, f"{where}/{key}", depth + 1))
        elif isinstance(item, float) and not math.isfinite(item):
            return f"{describe(item)}{at} is not a JSON number (NaN and infinities are not JSON)"
        elif is_int(item) and abs(item) > LARGEST_NUMBER:
            return f"{describe(item)}{at} is too large for JSON"
        elif not (item is None or isinstance(item, str | int | float)):
            return f"{describe(item)}{at} is not a JSON value"
    return None


def is_plain_json(value: Any) -> bool:
    """Whether `value` is plain JSON data (see `json_value_problem`)."""
    return json_value_problem(value) is None


# -- checks --------------------------------------------------------------------------------


def check_bounds(field: Field, value: float) -> list[Issue]:
    """Bounds and multiple of a number."""
    issues: list[Issue] = []
    # messages are written when read (most values checked are valid items)
    bound = field.minimum
    if bound is not None and value < bound:
        issues.append(("below_minimum", (_below, value, bound), ()))
    bound = field.maximum
    if bound is not None and value > bound:
        issues.append(("above_maximum", (_above, value, bound), ()))
    bound = field.exclusive_minimum
    if bound is not None and value <= bound:
        issues.append(("not_above_exclusive_minimum", (_not_above, value, bound), ()))
    bound = field.exclusive_maximum
    if bound is not None and value >= bound:
        issues.append(("not_below_exclusive_maximum", (_not_below, value, bound), ()))
    step = field.multiple_of
    if step is not None and step > 0:
        if _integral(field) and (isinstance(step, int) or step.is_integer()):
            step = int(step)  # an integer field's whole step: exact, as the fast path
        elif isinstance(step, int):
            step = float(step)  # a number field's: the float rule, as the fast path
        if not is_multiple(value, step):
            issues.append(("not_a_multiple", (_not_a_multiple, value, step), ()))
    return issues


def check_lengths(field: Field, value: str, shown_as: str | None = None) -> list[Issue]:
    """Lengths and pattern of a text; `shown_as` replaces the value in messages."""
    issues: list[Issue] = []
    if field.min_length is not None and len(value) < field.min_length:
        issues.append(("too_short", (_too_short, field.min_length), ()))
    if field.max_length is not None and len(value) > field.max_length:
        issues.append(("too_long", (_too_long, field.max_length), ()))
    pattern = compiled_pattern(field.pattern)
    if pattern is not None and pattern.search(value) is None:
        if shown_as is None:
            message: Message = (_no_match, value, field.pattern)
        else:  # written now: the makings of a message must not hold the value either
            message = f"{shown_as} does not match the pattern {field.pattern!r}"
        issues.append(("pattern_mismatch", message, ()))
    return issues


def check_items(field: Field, value: Any) -> list[Issue]:
    """Item counts of a collection."""
    issues: list[Issue] = []
    if field.min_items is not None and len(value) < field.min_items:
        issues.append(("too_few_items", (_too_few, field.min_items, len(value)), ()))
    if field.max_items is not None and len(value) > field.max_items:
        issues.append(("too_many_items", (_too_many, field.max_items, len(value)), ()))
    return issues


def in_options(field: Field, value: Any) -> bool:
    """Whether a value is one of the options (booleans apart from numbers)."""
    if value.__class__ is str:  # only a text option equals a text
        return value in _per_options(field, _TEXTS, _texts)
    return any(type(o.value) is type(value) and o.value == value for o in field.options) or (
        is_number(value) and any(is_number(o.value) and o.value == value for o in field.options)
    )


def check_option(field: Field, value: Any) -> list[Issue]:
    """A value that must be one of the options."""
    if in_options(field, value):
        return []
    if value.__class__ in SCALAR_CLASSES:
        return [("not_an_option", (_not_an_option, value, field), ())]
    return [("not_an_option", _not_an_option(value, field), ())]  # a list may change: now


_ALLOWED: dict[int, tuple[Any, Any]] = {}
_TEXTS: dict[int, tuple[Any, Any]] = {}


def _per_options(
    field: Field, memo: dict[int, tuple[Any, Any]], make: Callable[[Field], Any]
) -> Any:
    """`make(field)`, made once per field's options: `memo` keeps them by identity (and
    the options themselves, so that an identity stays theirs)."""
    entry = memo.get(id(field.options))
    if entry is not None and entry[0] is field.options:
        return entry[1]
    if len(memo) >= 1024:
        memo.clear()
    made = make(field)
    memo[id(field.options)] = (field.options, made)
    return made


def _allowed_text(field: Field) -> str:
    """The options as messages list them."""
    text: str = _per_options(
        field, _ALLOWED, lambda f: ", ".join(describe(v) for v in f.option_values())
    )
    return text


def _texts(field: Field) -> frozenset[str]:
    """The text options."""
    return frozenset(o.value for o in field.options if type(o.value) is str)


# -- transport -----------------------------------------------------------------------------


def decode_json(field: Field, text: str) -> Any:
    """JSON text as a value."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"expected JSON text, {exc.msg} at character {exc.pos}"
        raise DecodeError(message, "invalid_json") from None


def decode_text(field: Field, text: str) -> Any:
    """Text stays text."""
    return text


def encode_json(value: Any) -> str:
    """Deterministic JSON text of a value."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def encode_plain(field: Field, value: Any) -> Any:
    """A value as the platform form sends it without JSON text (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


def encode_json_text(field: Field, value: Any) -> Any:
    """A value as JSON text (the form edits it so)."""
    return encode_json(value)


# -- JSON Schema ---------------------------------------------------------------------------


def json_bounds(field: Field, fragment: Fragment) -> Fragment:
    """Number bounds as JSON Schema keywords."""
    for keyword, value in (
        ("minimum", field.minimum),
        ("maximum", field.maximum),
        ("exclusiveMinimum", field.exclusive_minimum),
        ("exclusiveMaximum", field.exclusive_maximum),
        ("multipleOf", field.multiple_of),
    ):
        if value is not None:
            fragment[keyword] = value
    return fragment


def json_text(field: Field, path: str) -> Fragment:
    """A string with lengths and pattern."""
    fragment: Fragment = {"type": "string"}
    for keyword, value in (
        ("minLength", field.min_length),
        ("maxLength", field.max_length),
        ("pattern", field.pattern),
    ):
        if value is not None:
            fragment[keyword] = value
    return fragment


def json_items(field: Field, fragment: Fragment) -> Fragment:
    """Item counts as JSON Schema keywords."""
    if field.min_items is not None:
        fragment["minItems"] = field.min_items
    if field.max_items is not None:
        fragment["maxItems"] = field.max_items
    return fragment


def _json_key(value: Any) -> tuple[str, Any]:
    """What JSON Schema equality compares: booleans apart from numbers, 1 equal to 1.0."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return (type(value).__name__, value)


def json_options(field: Field) -> Fragment:
    """The options as ``enum`` (or ``oneOf`` with titles when labelled)."""
    seen: set[tuple[str, Any]] = set()
    options = []
    for option in field.options:
        key = _json_key(option.value)
        if key not in seen:  # 1 and 1.0 are one JSON value; oneOf must not match twice
            seen.add(key)
            options.append(option)
    if field.labelled_options:
        return {"oneOf": [{"const": o.value, "title": o.shown} for o in options]}
    return {"enum": [o.value for o in options]}


# -- platform UI records -------------------------------------------------------------------


def put(record: dict[str, Any], key: str, value: Any) -> None:
    """Set a key unless the value is None."""
    if value is not None:
        record[key] = value


def required_validator(field: Field) -> tuple[str, ...]:
    """The ``required`` validator of a required field."""
    return ("required",) if field.required else ()


def text_validators(field: Field) -> tuple[str, ...]:
    """``string`` checks lengths, ``regexp`` the pattern; both also check ``required``."""
    names = []
    if field.min_length is not None or field.max_length is not None:
        names.append("string")
    if field.pattern is not None:
        names.append("regexp")
    return tuple(names) or required_validator(field)


def number_head(field: Field) -> dict[str, Any]:
    """A number input with its bounds."""
    head: dict[str, Any] = {"type": "input", "inputType": "number"}
    put(head, "min", field.minimum)
    put(head, "max", field.maximum)
    return head


def put_lengths(head: dict[str, Any], field: Field) -> None:
    """A text input's lengths and pattern."""
    put(head, "min", field.min_length)
    put(head, "max", field.max_length)
    put(head, "pattern", field.pattern)


def text_area_head(field: Field, *, hint: str | None = None) -> dict[str, Any]:
    """A text area with its hint, placeholder and rows."""
    head: dict[str, Any] = {"type": "textArea"}
    put(head, "hint", field.hint if field.hint is not None else hint)
    put(head, "placeholder", field.placeholder)
    put(head, "rows", field.rows)
    return head


def json_line(field: Field) -> UIPart:
    """A one-line input holding JSON text."""
    head = {"type": "input", "inputType": "text", "isJson": True}
    return UIPart(head, validators=required_validator(field))


def read_nothing(read: RecordReading) -> dict[str, Any]:
    """A record whose standard keys carry nothing of the kind's own."""
    return {}


def read_numeric(read: RecordReading) -> dict[str, Any]:
    """Bounds and step of a number input."""
    step = read.record.get("step")
    return {
        "minimum": read.number("min"),
        "maximum": read.number("max"),
        "step": None if step == "any" else read.number("step"),
        "exclusive_minimum": read.number("exclusiveMinimum"),
        "exclusive_maximum": read.number("exclusiveMaximum"),
    }


def read_lengths(read: RecordReading) -> dict[str, Any]:
    """Lengths and pattern of a text input."""
    return {
        "min_length": read.count("min"),
        "max_length": read.count("max"),
        "pattern": read.pattern(),
    }


def read_area_rows(read: RecordReading) -> dict[str, Any]:
    """The rows of a text area."""
    if read.record.get("type") != "textArea":
        return {}
    return {"rows": read.count("rows")}


# -- generated code ------------------------------------------------------------------------


def fast_number(f: Field, g: str, *, integer: bool) -> str:
    """Inline test of an integer or a number with its bounds (`is_number` and
    `check_bounds`' meaning).

    The float range is tested only where no bound already implies it (NaN fails every
    comparison, infinities the range), and a number's whole bounds are written as floats
    where that is exact, so a float value meets float constants (the cheap comparison).
    """
    if integer:
        tests = [f"{g}.__class__ is int"]
    else:
        tests = [f"({g}.__class__ is float or {g}.__class__ is int)"]

    def bound(value: float) -> str:
        if not integer and is_int(value) and float(value) == value:
            return repr(float(value))
        return repr(value)

    lows = [(">=", f.minimum), (">", f.exclusive_minimum)]
    highs = [("<=", f.maximum), ("<", f.exclusive_maximum)]
    largest = repr(int(LARGEST_NUMBER)) if integer else repr(LARGEST_NUMBER)
    if not any(b is not None and b >= -LARGEST_NUMBER for _, b in lows):
        tests.append(f"{g} >= -{largest}")
    tests += [f"{g} {op} {bound(b)}" for op, b in (*lows, *highs) if b is not None]
    if not any(b is not None and b <= LARGEST_NUMBER for _, b in highs):
        tests.append(f"{g} <= {largest}")
    step = f.multiple_of
    if step is not None and step > 0:
        if float(step).is_integer() and integer:
            tests.append(f"{g} % {int(step)} == 0")
        else:  # a finite quotient within 1e-9 of a whole number (else: `check_bounds`)
            q = f"{g} / {float(step)!r}"
            tests.append(f"{q} - {q} == 0.0 and abs({q} - round({q})) <= 1e-9")
    return " and ".join(tests)


def fast_text(c: Consts, f: Field, g: str) -> str:
    """Inline test of a text with lengths and pattern."""
    tests = [f"{g}.__class__ is str"]
    if f.min_length is not None:
        tests.append(f"len({g}) >= {f.min_length}")
    if f.max_length is not None:
        tests.append(f"len({g}) <= {f.max_length}")
    pattern = compiled_pattern(f.pattern)
    if pattern is not None:
        tests.append(f"{c.const(pattern.search)}({g}) is not None")
    return " and ".join(tests)


def fast_items(f: Field, g: str) -> list[str]:
    """Inline tests of item counts."""
    tests = []
    if f.min_items is not None:
        tests.append(f"len({g}) >= {f.min_items}")
    if f.max_items is not None:
        tests.append(f"len({g}) <= {f.max_items}")
    return tests


SCALAR_CLASSES: Final = frozenset({str, int, float, bool, type(None)})


def option_table(f: Field) -> dict[tuple[type, Any], Any]:
    """Each option by (class, value)."""
    return {(type(o.value), o.value): o.value for o in f.options}


def option_aliases(f: Field) -> dict[tuple[type, Any], Any]:
    """The values that are an option without being it exactly (``1.0`` for the option
    ``1``, ``2`` for ``2.0``: `in_options` takes them), each to its option."""
    exact = option_table(f)
    aliases: dict[tuple[type, Any], Any] = {}
    for option in f.options:
        value = option.value
        if not is_number(value) or not isinstance(value, int | float):
            continue
        other: type[int] | type[float] = float if isinstance(value, int) else int
        try:
            alias = other(value)
        except (OverflowError, ValueError):
            continue
        if alias == value and (other, alias) not in exact:
            aliases.setdefault((other, alias), value)
    return aliases


def as_option(c: Consts, f: Field, g: str) -> str:
    """The option a valid value is (`option_aliases`): a choice holds the option's value."""
    aliases = option_aliases(f)
    return f"{c.const(aliases)}.get(({g}.__class__, {g}), {g})" if aliases else g


def same_value(c: Consts, f: Field, g: str) -> str:
    """The value is held as it is."""
    return g


def to_frozen_list(c: Consts, f: Field, g: str) -> str:
    """A list held as a `FrozenList` (read-only, yet a `list` for JSON, YAML and libraries)."""
    return f"{c.const(FrozenList)}({g})"


# -- the allowed values in words (comments of the defaults YAML) ----------------------------


def allowed_range(field: Field, show: Callable[[Any], str]) -> str | None:
    """Bounds and a multiple in words: ``Allowed: >= 1, < 10, a multiple of 2``."""
    parts = []
    for prefix, value in (
        (">= ", field.minimum),
        ("> ", field.exclusive_minimum),
        ("<= ", field.maximum),
        ("< ", field.exclusive_maximum),
    ):
        if value is not None:
            parts.append(f"{prefix}{value:g}")
    if field.multiple_of is not None:
        parts.append(f"a multiple of {field.multiple_of:g}")
    if not parts:
        return None
    return "Allowed: " + ", ".join(parts) + ("" if field.kind is not Kind.LIST else " (each item)")


def allowed_options(field: Field, show: Callable[[Any], str]) -> str | None:
    """The options in words: ``One of: a, b (Bee)`` (``Any of:`` for a multi-choice)."""
    shown = [
        show(o.value) + (f" ({o.label})" if o.label not in (None, o.value) else "")
        for o in field.options
    ]
    return ("One of: " if field.kind is Kind.CHOICE else "Any of: ") + ", ".join(shown)


# -- which annotations of a user's settings class hold a kind's values -----------------------

SEQUENCE_HOLDERS: Final = (
    tuple, list, set, frozenset, collections.abc.Sequence, collections.abc.Set
)  # fmt: skip
"""Annotation origins that hold a list value."""

MAPPING_HOLDERS: Final = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
"""Annotation origins that hold a mapping value."""


def a_kind(kind: Kind) -> str:
    """The kind's name with its article, as messages say it (``an integer``)."""
    name = kind.value.replace("_", "-")
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def fits_anything(field: Field, choices: Sequence[Any]) -> str | None:
    """Any annotation may describe the value (a JSON value)."""
    return None


def misfit_unless(
    holders: tuple[type, ...], expected: str, *, refuse_bool: bool = False
) -> Callable[[Field, Sequence[Any]], str | None]:
    """A kind's `misfit`: an annotation fits when its origin is a subclass of one of
    `holders` (a `bool` refused when `refuse_bool`); else the message says `expected`."""

    def misfit(field: Field, choices: Sequence[Any]) -> str | None:
        for choice in choices:
            origin = typing.get_origin(choice) or choice
            if not isinstance(origin, type) or (refuse_bool and origin is bool):
                continue
            if issubclass(origin, holders):
                return None
        return f"this is {a_kind(field.kind)} setting: expected {expected}"

    return misfit


# -- which platform UI records read as a kind ----------------------------------------------

TEXT_INPUTS: Final = frozenset({"text", "email", "url", "tel", "search"})
NUMBER_INPUTS: Final = frozenset({"number", "range"})


def text_records(
    criterion: str | None = None,
    fits: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] = lambda r, e: True,
) -> tuple[UIRecord, ...]:
    """A text input or a text area (with that ``criterionType``, and fitting `fits`)."""
    return (
        UIRecord("input", TEXT_INPUTS, criterion, fits),
        UIRecord("textArea", frozenset(), criterion, fits),
    )


def is_json_record(record: Mapping[str, Any]) -> bool:
    """Whether a text record holds JSON (``isJson: true``)."""
    return record.get("isJson") is True


def integral_record(record: Mapping[str, Any], extension: Mapping[str, Any]) -> bool:
    """Whether a number input reads as an integer: its ``integer``/``number`` validator
    says; else integral bounds, step and default (and a step that is not ``any``)."""
    validator = record.get("validator")
    names = validator if isinstance(validator, list) else [validator]
    if "integer" in names:
        return True
    if "number" in names or "double" in names:
        return False
    values = [record.get(k) for k in ("min", "max", "step", "default")]
    integral = all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)
    return integral and record.get("step") != "any"
