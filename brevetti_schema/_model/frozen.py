"""Read-only containers that are still a `dict` and a `list`: settings values users hand on.

A class-mapping setting (and a job's settings without a schema) is read-only, yet it is
passed to libraries that expect a `dict` or a `list`, to `json.dumps` and to
`yaml.safe_dump`. `FrozenDict` and `FrozenList` are subclasses of `dict` and `list`
whose changing methods raise `TypeError`; they hash, pickle and copy as values.

PyYAML's safe dumper represents only the exact `dict` and `list` types, so these two are
registered with its dumpers: at once when PyYAML is loaded already, else right after it
is first imported (a finder that waits for ``yaml`` and then steps aside), so that
importing this module never loads PyYAML.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    import importlib.machinery

__all__ = ["FrozenDict", "FrozenList", "freeze"]

_K = TypeVar("_K")
_V = TypeVar("_V")
_T = TypeVar("_T")


def _read_only(self: object, *args: object, **kwargs: object) -> NoReturn:
    copy = "dict" if isinstance(self, dict) else "list"
    raise TypeError(f"a {type(self).__name__} is read-only ({copy}(value) is a copy to change)")


class FrozenDict(dict[_K, _V]):
    """A `dict` that cannot change: ``isinstance(x, dict)``, JSON and YAML take it."""

    __slots__ = ()

    __setitem__ = _read_only
    __delitem__ = _read_only
    __ior__ = _read_only
    clear = _read_only
    pop = _read_only
    popitem = _read_only
    setdefault = _read_only
    update = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[_K, _V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[_K, _V]:
        return self


class FrozenList(list[_T]):
    """A `list` that cannot change: ``isinstance(x, list)``, JSON and YAML take it."""

    __slots__ = ()

    __setitem__ = _read_only
    __delitem__ = _read_only
    __iadd__ = _read_only
    __imul__ = _read_only
    append = _read_only
    clear = _read_only
    extend = _read_only
    insert = _read_only
    pop = _read_only
    remove = _read_only
    reverse = _read_only
    sort = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))

    def __copy__(self) -> FrozenList[_T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenList[_T]:
        return self


FrozenDict.__module__ = FrozenList.__module__ = "brevetti_schema"  # their public home


def freeze(value: Any) -> Any:
    """A read-only copy all the way down: mappings as `FrozenDict`, lists and tuples as
    `FrozenList`; anything else as it is."""
    if isinstance(value, FrozenDict | FrozenList):
        return value
    if isinstance(value, Mapping):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return FrozenList(freeze(v) for v in value)
    return value


# -- PyYAML: represent them as the mapping and the sequence they are ------------------------

_DUMPERS = ("SafeDumper", "Dumper", "CSafeDumper", "CDumper")
_lock = threading.Lock()


def _teach(yaml: types.ModuleType) -> None:
    from yaml.representer import SafeRepresenter  # noqa: PLC0415 - PyYAML is loaded by now

    for name in _DUMPERS:
        dumper = getattr(yaml, name, None)
        if dumper is not None:
            dumper.add_representer(FrozenDict, SafeRepresenter.represent_dict)
            dumper.add_representer(FrozenList, SafeRepresenter.represent_list)


class _AfterYaml:
    """Finds nothing itself: when ``yaml`` is imported, lets the other finders find it and
    registers our types with its dumpers once the module has run.

    A meta path finder by protocol (`find_spec`); not derived from
    `importlib.abc.MetaPathFinder`, whose module loads `importlib.resources` and, through
    it, `tempfile`, `pathlib` and `shutil` (about 5 ms at every start).
    """

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "yaml":
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            run(module)
            _teach(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _watch_for_yaml() -> None:
    with _lock:
        if "yaml" in sys.modules:
            _teach(sys.modules["yaml"])
        elif not any(isinstance(f, _AfterYaml) for f in sys.meta_path):
            sys.meta_path.insert(0, _AfterYaml())


_watch_for_yaml()
