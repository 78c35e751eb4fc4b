"""Refusing regular expressions that backtrack catastrophically, before any text meets them.

Python's `re` backtracks: ``'^(a+)+$'`` against ``'aaaa...ab'`` takes time exponential in
the length of the text, so one `pattern` in a schema could hang `check`, `build` and every
job that validates its settings. A pattern is refused when a repeat (``+``, ``*``,
``{n,m}`` with m > 1) holds something that can match the same text in more than one way
from one iteration to the next: another repeat, or alternatives that can begin with the
same character, unless a character that none of them can match separates the
iterations (``(\\d+\\.)+`` is fine: each iteration ends at a dot). The analysis reads the
pattern's parse tree; it is conservative (it may refuse a harmless pattern, never hangs).
"""

from __future__ import annotations

import re
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, Final

__all__ = ["pattern_problem"]

_REPEATS: Final = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_ATOMS: Final = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY, sre.CATEGORY)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be used as a text field's pattern, or None when it can."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        return f"pattern {pattern!r} is not a valid regular expression: {exc}"
    except RecursionError:
        return f"pattern {pattern!r} nests too deeply"
    if _risky(list(parsed), parsed.state):
        return (
            f"pattern {pattern!r} repeats a part that can match the same text in several "
            "ways (such as '(a+)+'), which can take exponential time on a long text: "
            "write it without the nested repeat (e.g. 'a+')"
        )
    return None


def _risky(items: list[tuple[Any, Any]], state: Any) -> bool:
    """Whether a repeat inside `items` can backtrack exponentially."""
    for op, av in items:
        if op in _REPEATS:
            _, high, body = av
            if high > 1 and _ambiguous(list(body), state):
                return True
            if _risky(list(body), state):
                return True
        elif op is sre.SUBPATTERN or op is sre.ATOMIC_GROUP:
            if _risky(list(av[-1] if op is sre.SUBPATTERN else av), state):
                return True
        elif op is sre.BRANCH:
            if any(_risky(list(alt), state) for alt in av[1]):
                return True
        elif (op is sre.ASSERT or op is sre.ASSERT_NOT) and _risky(list(av[1]), state):
            return True
    return False


def _ambiguous(body: list[tuple[Any, Any]], state: Any) -> bool:
    """Whether one iteration of a repeated `body` can split the same text differently."""
    variable: list[tuple[Any, Any]] = []  # atoms of inner repeats and alternatives
    fixed: list[int] = []  # characters every iteration must match exactly once
    ambiguous_branch = False
    for op, av in _flatten(body):
        if op in _REPEATS:
            inner = list(_flatten(list(av[2])))
            if av[1] > 1 or any(o in _REPEATS for o, _ in inner):
                variable += [(o, a) for o, a in inner if o in _ATOMS]
                variable += [(o, a) for o, a in inner if o is sre.BRANCH]
            else:  # an optional part (x?): a split point without repetition of its own
                variable += [(o, a) for o, a in inner if o in _ATOMS]
        elif op is sre.BRANCH:
            firsts = [_first(list(alt)) for alt in av[1]]
            if _overlap(firsts, state):
                ambiguous_branch = True
            variable += [atom for atom in firsts if atom is not None]
        elif op is sre.LITERAL:
            fixed.append(av)
    inner_repeat = any(op in _REPEATS for op, _ in _flatten(body))
    if not inner_repeat and not ambiguous_branch:
        return False
    return not any(not any(_matches(atom, ch, state) for atom in variable) for ch in fixed)


def _flatten(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The items of a sequence with plain groups opened (capturing or not)."""
    out: list[tuple[Any, Any]] = []
    for op, av in items:
        if op is sre.SUBPATTERN:
            out += _flatten(list(av[-1]))
        else:
            out.append((op, av))
    return out


def _first(alternative: list[tuple[Any, Any]]) -> tuple[Any, Any] | None:
    """The atom an alternative begins with (None: empty, or too complex to say)."""
    flat = _flatten(alternative)
    if not flat:
        return None
    op, av = flat[0]
    return (op, av) if op in _ATOMS else (sre.ANY, None)


def _overlap(firsts: list[tuple[Any, Any] | None], state: Any) -> bool:
    """Whether two alternatives can begin with the same character (or one is empty)."""
    if any(atom is None for atom in firsts):
        return True
    atoms = [a for a in firsts if a is not None]
    for i, a in enumerate(atoms):
        for b in atoms[i + 1 :]:
            if a[0] is sre.LITERAL and b[0] is sre.LITERAL:
                if a[1] == b[1]:
                    return True
            elif a[0] is sre.LITERAL:
                if _matches(b, a[1], state):
                    return True
            elif b[0] is sre.LITERAL:
                if _matches(a, b[1], state):
                    return True
            else:  # two character classes: assume they can share a character
                return True
    return False


def _matches(atom: tuple[Any, Any], char: int, state: Any) -> bool:
    """Whether one-character `atom` matches the character with code `char`."""
    if atom[0] is sre.LITERAL:
        return bool(atom[1] == char)
    if atom[0] is sre.ANY:
        return True
    one = sre_parse.SubPattern(state, [atom])
    return sre_compile.compile(one, state.flags).fullmatch(chr(char)) is not None
