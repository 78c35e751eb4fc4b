"""``text``: one line of text, or a text area (multiline, rows), with lengths and pattern."""

from __future__ import annotations

import pathlib
from typing import Any

from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Issue, KindSpec, RecordReading, UIPart


def check(field: Field, value: Any) -> list[Issue]:
    """Text within its lengths, matching its pattern."""
    if not isinstance(value, str):
        return [("not_text", s.got("text", value), ())]
    return s.check_lengths(field, value)


def ui_part(field: Field) -> UIPart:
    if field.multiline:
        head = s.text_area_head(field)
        carried = s.LENGTHS | {"multiline", "rows"}
    else:
        head = {"type": "input", "inputType": "text"}
        carried = s.LENGTHS
    s.put_lengths(head, field)
    head["isJson"] = False
    return UIPart(head, carried, s.text_validators(field))


def ui_read(read: RecordReading) -> dict[str, Any]:
    spec = s.read_lengths(read)
    if read.record.get("type") == "textArea":
        spec.update(multiline=True, rows=read.count("rows"))
    return spec


def structure(value: Any, _: Any) -> str:
    """The settings classes' hook: a decoded value as the type it is held as."""
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


SPEC = KindSpec(
    kind=Kind.TEXT,
    options=s.LENGTHS | {"multiline", "rows"},
    check=check,
    decode=s.decode_text,
    encode=s.encode_plain,
    json_schema=s.json_text,
    ui_part=ui_part,
    ui_read=ui_read,
    ui_records=s.text_records(fits=lambda r, e: not s.is_json_record(r)),
    python_type=lambda f: str,
    type_name="str",
    misfit=s.misfit_unless((str, pathlib.PurePath), "str"),
    fast_test=s.fast_text,
    convert=s.same_value,
    help="A line of text, or a text area with multiline or rows.",
    decodes=lambda f: False,  # the transported string is the value
    annotation=str,
    structure=structure,
)
