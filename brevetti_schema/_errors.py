"""The exception hierarchy of `brevetti_schema`, in one place.

::

    BrevettiSchemaError         base of every error this package raises on purpose
    ├── SchemaError             a schema declaration (DSL, file, legacy document) is wrong
    └── SettingsError           a settings document does not satisfy its schema

Each error carries structured problems (`.problems`) so code can act on them, and
renders as readable lines (`str()`) so people can.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = ["BrevettiSchemaError", "SchemaError", "SchemaProblem"]


class BrevettiSchemaError(Exception):
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
