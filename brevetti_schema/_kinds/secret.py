"""``secret``: a password-like text, masked wherever it could leak."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from .._model.nodes import Field, Kind
from .._model.secret import MASK, Secret
from . import _shared as s
from ._spec import Consts, Fragment, Issue, KindSpec, UIPart, UIRecord


def check(field: Field, value: Any) -> list[Issue]:
    """Text within its lengths; messages never show the value."""
    if not isinstance(value, str):
        return [("not_text", "expected text", ())]
    return s.check_lengths(field, value, shown_as="the value")


def json_schema(field: Field, path: str) -> Fragment:
    return s.json_text(field, path)


def ui_part(field: Field) -> UIPart:
    head: dict[str, Any] = {"type": "input", "inputType": "password"}
    s.put_lengths(head, field)
    head["isJson"] = False
    return UIPart(head, s.LENGTHS, s.text_validators(field))


def misfit(field: Field, choices: Sequence[Any]) -> str | None:
    """Our `Secret` holds a secret, and so does pydantic's `SecretStr` when pydantic is in use."""
    pydantic = sys.modules.get("pydantic")
    secret_str = getattr(pydantic, "SecretStr", None)
    holders = (Secret, secret_str) if isinstance(secret_str, type) else (Secret,)
    return s.misfit_unless(holders, "Secret")(field, choices)


def convert(c: Consts, f: Field, g: str) -> str:
    return f"{c.const(Secret)}({g})"


def structure(value: Any, _: Any) -> Secret:
    """The settings classes' hook: a decoded value as the type it is held as."""
    if isinstance(value, str | Secret):
        return Secret(value)
    raise TypeError(f"expected text for a secret, got {type(value).__name__}")


def unstructure(reveal: bool) -> Callable[[Secret], str]:
    """The settings classes' unstructuring hook: the secret revealed, or its mask."""
    return Secret.reveal if reveal else lambda _: MASK


SPEC = KindSpec(
    kind=Kind.SECRET,
    options=s.LENGTHS,
    check=check,
    decode=s.decode_text,
    encode=s.encode_plain,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_lengths,
    ui_records=(UIRecord("input", frozenset({"password"})),),
    python_type=lambda f: Secret,
    type_name="Secret",
    misfit=misfit,
    fast_test=s.fast_text,
    convert=convert,
    help="A password-like text, masked wherever it could leak.",
    decodes=lambda f: False,  # the transported string is the value
    annotation=Secret,
    structure=structure,
    unstructure=unstructure,
)
