"""Declare a job's settings once; get the platform form, a JSON Schema and typed classes.

The public API of `brevetti_schema`; everything in a `_module` is private.
"""

from ._builder import SchemaBuilder, SectionBuilder
from ._conditions import all_of, any_of, equals, not_equals, one_of
from ._errors import BrevettiSchemaError, SchemaError, SchemaProblem
from ._model import MISSING, Condition, Field, Heading, Kind, Option, Schema, Section, derive_label

__version__ = "0.1.0"

__all__ = [
    "MISSING",
    "BrevettiSchemaError",
    "Condition",
    "Field",
    "Heading",
    "Kind",
    "Option",
    "Schema",
    "SchemaBuilder",
    "SchemaError",
    "SchemaProblem",
    "Section",
    "SectionBuilder",
    "__version__",
    "all_of",
    "any_of",
    "derive_label",
    "equals",
    "not_equals",
    "one_of",
]
