"""The settings class a `Job` subclass declares: ``class Train(Job[Settings])`` or a
``settings: Settings`` annotation (in the main API and in compat)."""

from __future__ import annotations

import sys
import typing
from typing import Any

from ._errors import JobConfigError

__all__ = ["declared_settings"]


def declared_settings(cls: type) -> type | None:
    """The attrs or pydantic class that the nearest class in `cls`'s bases declares as
    its settings type (a ``Job[Settings]`` base or a ``settings:`` annotation), or
    ``None`` when none declares such a class. One class declaring two is an error."""
    for klass in cls.__mro__:
        if _is_runtime(klass):
            return None  # the runtime's own classes declare nothing
        annotated = _annotated(klass)
        generic = _generic_argument(klass)
        if annotated is not None and generic is not None and annotated is not generic:
            raise JobConfigError(
                f"{klass.__name__} declares two settings types: {_name(generic)} (its "
                f"Job[...] base) and {_name(annotated)} (its 'settings:' annotation); keep one"
            )
        found = annotated if annotated is not None else generic
        if found is not None:
            from brevetti_schema import settings_target  # noqa: PLC0415 - only when declared

            target: type | None = settings_target(found)
            return target
    return None


def _annotated(klass: type) -> Any:
    """What ``settings:`` in `klass`'s own body names, or ``None``."""
    annotation = vars(klass).get("__annotations__", {}).get("settings")
    if isinstance(annotation, str):
        annotation = _resolve(klass, annotation)
    return annotation


RUNTIME_MARK = "_brevetti_runtime_job"
"""Set to True in the body of the runtime's own job classes (`brevetti_job.Job`,
`brevetti_job.compat.Job`): they declare no settings type, their subclasses may."""


def _is_runtime(klass: type) -> bool:
    """Whether `klass` is one of the runtime's own job classes (not a subclass)."""
    return bool(vars(klass).get(RUNTIME_MARK, False))


def _is_job_class(klass: type) -> bool:
    """Whether `klass` is a runtime job class or derives from one."""
    return any(_is_runtime(base) for base in klass.__mro__)


def _generic_argument(klass: type) -> Any:
    """The settings type of a ``Job[Settings]`` among `klass`'s own bases, or ``None``
    (also for a type variable: ``class Base(Job[S])`` leaves it to its subclasses)."""
    for base in vars(klass).get("__orig_bases__", ()):
        origin = typing.get_origin(base)
        if not (isinstance(origin, type) and _is_job_class(origin)):
            continue
        args = typing.get_args(base)
        if not args or isinstance(args[0], typing.TypeVar) or args[0] is Any:
            return None
        argument = args[0]
        if isinstance(argument, typing.ForwardRef | str):
            argument = _resolve_forward(klass, argument)
        return argument
    return None


def _resolve(klass: type, annotation: str) -> Any:
    """A string annotation (``from __future__ import annotations``) evaluated where the
    class was defined."""
    try:
        return typing.get_type_hints(klass)["settings"]
    except Exception as exc:  # noqa: BLE001 - any failure to resolve is the author's
        raise JobConfigError(
            f"cannot resolve the annotation 'settings: {annotation}' of {klass.__name__}: "
            f"{exc}; define the settings class at module level or pass schema= to Job.init"
        ) from None


def _resolve_forward(klass: type, argument: typing.ForwardRef | str) -> Any:
    """``Job["Settings"]``: the name looked up in the module that defined `klass`."""
    text = argument.__forward_arg__ if isinstance(argument, typing.ForwardRef) else argument
    namespace = vars(sys.modules[klass.__module__]) if klass.__module__ in sys.modules else {}
    try:
        return eval(text, dict(namespace))  # noqa: S307 - the author's own annotation text
    except Exception as exc:  # noqa: BLE001 - any failure to resolve is the author's
        raise JobConfigError(
            f"cannot resolve the settings type {klass.__name__}(Job[{text!r}]): {exc}; "
            "define the settings class at module level or pass schema= to Job.init"
        ) from None


def _name(value: Any) -> str:
    return getattr(value, "__qualname__", None) or repr(value)
