"""`Secret`: a text setting (an API key, a password) that does not leak when printed.

`Secret` is deliberately *not* a `str` subclass. A `str` subclass hands its raw
characters to everything that reads the string buffer directly (`json.dumps`, `+`,
`"".join`, slicing, `str.upper`, C extensions), so masking `__str__`/`__repr__` would
leave many quiet leaks. A small final class leaks nowhere: every conversion shows the
mask, `json.dumps` refuses it (a `TypeError`, not the secret), and `.reveal()` is the
only way to the real value. Pickling and copying keep it a `Secret`; note that a pickle
necessarily holds the real value.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn, final

__all__ = ["MASK", "Secret"]

MASK: Final = "********"
"""What every rendering of a secret shows instead of its value."""


@final
class Secret:
    """A secret text value: masked in `str`, `repr`, f-strings and logs; see `reveal`."""

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds text, got {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The real value; the only way to it, so that every use is deliberate."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Secret is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Secret is immutable")

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))
