"""``--help`` for a job script: the flags it takes and the settings it can override."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ._identity import FLAG_HELP

__all__ = ["help_text"]


def help_text(job_class: type, schema: Any) -> str:
    """The usage of a job script whose entry is `Job.main`."""
    lines = [
        f"usage: {Path(sys.argv[0]).name or job_class.__name__} [FLAGS] [--SETTING VALUE ...]",
        "",
        "flags:",
    ]
    width = max(len(flag) for flag in FLAG_HELP) + 2
    lines += [f"  --{flag.ljust(width)}{text}" for flag, text in FLAG_HELP.items()]
    if schema is None:
        lines += ["", "settings: any --a.b VALUE (no schema declared)"]
        return "\n".join(lines)
    from brevetti_schema import load_schema  # noqa: PLC0415

    model = load_schema(schema)
    lines += ["", "settings (--PATH VALUE or --PATH=VALUE):"]
    fields = list(model.fields())
    width = max((len(path) for path, _ in fields), default=0) + 2
    for path, field in fields:
        default = f" (default {field.default!r})" if field.has_default else ""
        text = f"{field.label}: {field.kind.value}{default}"
        lines.append(f"  --{path.ljust(width)}{text}")
    if model.presets:
        lines += ["", "presets (--preset NAME): " + ", ".join(sorted(model.presets))]
    return "\n".join(lines)
