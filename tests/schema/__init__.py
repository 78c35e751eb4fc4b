"""Tests of brevetti_schema, and what several of them share."""

from __future__ import annotations

from typing import Any


class Boom(Exception):
    """Raised by `raised_in_check`, to follow a traceback through generated code."""


def raised_in_check(engine: Any, data: Any) -> Boom:
    """The `Boom` raised when `engine` validates `data` with a run whose check raises."""

    def explode(*args: Any) -> None:
        raise Boom

    run: Any = type("R", (), {"check": explode, "problems": []})()
    try:
        engine.validate(data, run)
    except Boom as exc:
        return exc
    raise AssertionError("the run's check was never called")
