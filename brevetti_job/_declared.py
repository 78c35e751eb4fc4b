"""The settings class a `Job` subclass declares with a ``settings: Settings`` annotation."""

from __future__ import annotations

import typing
from typing import Any

from ._errors import JobConfigError

__all__ = ["declared_settings"]


def declared_settings(cls: type) -> type | None:
    """The attrs class-first or pydantic class named by the nearest ``settings:``
    annotation in `cls`'s bases, or ``None`` when none names such a class."""
    for klass in cls.__mro__:
        if klass.__module__ == "brevetti_job._job":
            return None
        annotation = vars(klass).get("__annotations__", {}).get("settings")
        if annotation is None:
            continue
        if isinstance(annotation, str):
            annotation = _resolve(klass, annotation)
        from brevetti_schema import settings_target  # noqa: PLC0415 - only when annotated

        target: type | None = settings_target(annotation)
        return target
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
