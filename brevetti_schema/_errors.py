"""The exception hierarchy of `brevetti_schema`, in one place, and the toolkit's root.

::

    BrevettiError               root of every error brevetti-toolkit raises on purpose
    ├── BrevettiSchemaError     base of every error this package raises on purpose
    │   ├── SchemaError         a schema declaration (DSL, file, legacy document) is wrong
    │   └── SettingsError       a settings document does not satisfy its schema
    └── brevetti_job.BrevettiJobError   (the runtime's tree, in brevetti_job._errors)

Each error carries structured problems (`.problems`) so code can act on them, and
renders as readable lines (`str()`) so people can.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

__all__ = [
    "BrevettiError",
    "BrevettiSchemaError",
    "Loc",
    "Message",
    "SchemaError",
    "SchemaProblem",
    "SettingsError",
    "SettingsProblem",
    "message_text",
    "render_path",
    "render_pointer",
]


class BrevettiError(Exception):
    """Root of every error raised on purpose by brevetti-toolkit (both packages)."""


class BrevettiSchemaError(BrevettiError):
    """Base class of every error raised on purpose by `brevetti_schema`."""


@attrs.frozen
class SchemaProblem:
    """One problem with a schema declaration: where it is and what is wrong.

    `path` is the dotted field path (``""`` for the document itself); `source`, `line`
    and `column` (1-based) locate it in an authoring file when there is one.
    `severity` is ``"error"`` or ``"warning"`` (warnings are kept on legacy documents
    that load anyway).
    """

    path: str
    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None
    severity: str = "error"

    def located(self, source: str | None, line: int | None, column: int | None) -> SchemaProblem:
        """The same problem placed in a file, keeping a location it already has."""
        if self.line is not None:
            return self
        return attrs.evolve(self, source=source, line=line, column=column)

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.path}: " if self.path else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}{prefix}{field}{self.message}"


class SchemaError(BrevettiSchemaError):
    """Raised when a schema declaration is wrong; lists every problem found."""

    def __init__(self, problems: Iterable[SchemaProblem]) -> None:
        self.problems: tuple[SchemaProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls,
        path: str,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> SchemaError:
        """An error holding one problem."""
        return cls([SchemaProblem(path, message, source, line, column)])


Loc = tuple[str | int, ...]
"""Where a problem is: keys of sections and fields, indices of list items."""


def _as_loc(loc: Loc | str) -> Loc:
    """A location; a dotted path string is split at its dots (for callers that have one)."""
    if isinstance(loc, str):
        return tuple(loc.split(".")) if loc else ()
    return tuple(loc)


def render_path(loc: Loc) -> str:
    """The dotted path of a location, list indices in brackets: ``training.sizes[1]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def render_pointer(loc: Loc) -> str:
    """The JSON pointer (RFC 6901) of a location: ``/training/sizes/1``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


Message = str | tuple[Any, ...]
"""A problem's message: its text, or the makings of it, ``(write, *arguments)``, which
`message_text` writes as ``write(*arguments)`` when the message is first read. A report
of many problems then writes none of them until it is shown (most reports of a job's
settings are read as codes, or not at all). The arguments must not change afterwards
(numbers, texts, frozen fields), so the text is what it would have been when found."""


def message_text(message: Message) -> str:
    """The text of a message (`Message`), written now if it was left for later."""
    if isinstance(message, str):
        return message
    write: Callable[..., str] = message[0]
    return write(*message[1:])


@attrs.frozen
class SettingsProblem:
    """One problem with a settings document: where (`loc`), what (`code`, `message`).

    `loc` is a tuple of keys and list indices (``("training", "sizes", 1)``); `path` and
    `pointer` are derived from it. `code` is stable (``below_minimum``, ``unknown_key``,
    ``required``, ...; see docs/errors.md) so programs match codes, not wording. `value`
    is what was given, already masked when the field is a secret; `label` is the field's
    label in the form, so people recognise it. The validator may leave `message` to be
    written when it is first read (`Message`); it reads as text all the same.
    """

    loc: Loc = attrs.field(converter=_as_loc)
    code: str
    label: str
    message: str
    value: Any = None

    @property
    def path(self) -> str:
        """The dotted path of the location (``""`` for the document itself)."""
        return render_path(self.loc)

    @property
    def pointer(self) -> str:
        """The JSON pointer of the location."""
        return render_pointer(self.loc)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record, e.g. for the platform to highlight the field."""
        return {
            "path": self.path,
            "pointer": self.pointer,
            "loc": list(self.loc),
            "code": self.code,
            "label": self.label,
            "message": self.message,
            "value": _json_safe(self.value),
        }

    def __str__(self) -> str:
        where = self.path or "(settings)"
        label = f" ({self.label})" if self.label else ""
        return f"{where}{label}: {self.message}"


class _WrittenWhenRead:
    """`SettingsProblem.message`: its slot holds the text or the makings of it
    (`Message`); reading writes the text once and keeps it in the slot. Equality, hash,
    repr, pickling, copies and `attrs.evolve` all read the attribute, so each sees text."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, problem: Any, owner: type | None = None) -> Any:
        if problem is None:
            return self
        message = self.slot.__get__(problem, owner)
        if message.__class__ is not str:
            message = message_text(message)
            self.slot.__set__(problem, message)
        return message

    def __set__(self, problem: Any, message: Message) -> None:
        self.slot.__set__(problem, message)

    def __delete__(self, problem: Any) -> None:
        self.slot.__delete__(problem)


_MESSAGE_SLOT: Final = SettingsProblem.__dict__["message"]
type.__setattr__(SettingsProblem, "message", _WrittenWhenRead(_MESSAGE_SLOT))


class ProblemFilling(SettingsProblem):
    """`SettingsProblem` with the generic attribute store (no slot of its own): the
    validator makes a problem as one, stores its slots, then gives it its own class (one
    layout), which costs less than the frozen class's `__init__`. Its `message` is the
    bare slot, so a `Message` left for later is stored as it is."""

    __slots__ = ()
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__


type.__setattr__(ProblemFilling, "message", _MESSAGE_SLOT)


def _json_safe(value: Any) -> Any:
    """`value` as strict JSON data: NaN and infinities become ``"NaN"``, ``"Infinity"``
    and ``"-Infinity"``, integers too long to write out a note, so a report of bad
    settings is always valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):  # as JavaScript writes them
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max:
        return f"<an integer of {value.bit_length()} bits>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return repr(value)


class SettingsError(BrevettiSchemaError, ValueError):
    """Raised when settings do not satisfy their schema; lists every problem at once."""

    def __init__(self, problems: Iterable[SettingsProblem]) -> None:
        self.problems: tuple[SettingsProblem, ...] = tuple(problems)
        super().__init__(self.problems)  # the table is rendered when shown, not when raised

    def __str__(self) -> str:
        return self.table()

    def table(self) -> str:
        """The problems as a readable table: setting, label, value given, problem.

        Columns line up; nothing but a long given value is cut, so no message is lost.
        """
        header = ("setting", "label", "given", "problem")
        rows = [
            (p.path or "(settings)", p.label, _fit(_short(p.value), 30), p.message)
            for p in self.problems
        ]
        widths = [min(max(len(r[i]) for r in [header, *rows]), 40) for i in range(3)]
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} with the settings:"]
        for row in [header, *rows]:
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:3])]
            lines.append("  " + "  ".join([*cells, row[3]]).rstrip())
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The problems as JSON-ready records under ``"problems"``."""
        return {"problems": [p.to_json() for p in self.problems]}


def _short(value: Any) -> str:
    if value is None:
        return ""
    try:
        return repr(value)
    except (ValueError, RecursionError):  # an integer too long to write out, deep nesting
        return f"<a {type(value).__name__} too large to show>"


def _fit(text: str, width: int) -> str:
    return text[: width - 3] + "..." if len(text) > width else text
