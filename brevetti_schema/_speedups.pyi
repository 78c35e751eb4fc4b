# Types of the optional C accelerator (_speedups.c); see brevetti_schema._fastpath.
from typing import Any

class Scanner:
    """Reads and checks one level of a settings tree (None: not sure)."""

    def __init__(self, sections: tuple[str, ...], fields: tuple[tuple[Any, ...], ...]) -> None: ...
    def __call__(self, data: object, /) -> tuple[Any, ...] | None: ...

class Filler:
    """Makes an instance of a slotted class and fills its slots."""

    def __init__(
        self, cls: type, descriptors: tuple[Any, ...], codes: bytes, defaults: tuple[Any, ...]
    ) -> None: ...
    def __call__(self, *values: Any) -> Any: ...
