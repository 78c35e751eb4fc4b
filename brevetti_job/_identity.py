"""Who the job is: identity and settings overrides from arguments, argv, env and files.

Precedence per item, highest first: explicit arguments to `Job.init`, argv, the
environment, the hosted container's hyperparameter file. Remaining ``--a.b VALUE``
arguments are settings overrides.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple

from ._errors import JobConfigError

__all__ = ["HYPERPARAMETERS_FILE", "LAUNCHER_FLAGS", "Identity", "parse_argv", "resolve_identity"]

logger = logging.getLogger("brevetti_job")

HYPERPARAMETERS_FILE: Final = "/opt/ml/input/config/hyperparameters.json"
"""Where the hosted container service puts the job's arguments (string values)."""

HOSTED_SERVICE_ENV: Final = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
"""Set by the hosted container service; tells that the job runs there."""

# flag name -> identity attribute; the platform passes --model_id or --test_id
_FLAGS: Final = {
    "job_id": "job_id",
    "model_id": "job_id",
    "test_id": "job_id",
    "api_key": "api_key",
    "job_dir": "job_dir",
    "info_file": "info_file",
    "host": "host",
    "preset": "preset",
    "settings": "settings_file",
    "cache_path": "cache_path",
    "dataset": "datasets",
}
_REPEATED: Final = frozenset({"datasets"})
"""Flags that may be given more than once (their values are kept, one per line)."""

LAUNCHER_FLAGS: Final = frozenset({"data_bucket", "raygun_api_key", "run_locally"})
"""Flags the platform's launcher (and brevettiai) pass that the runtime does not use:
accepted and ignored with a debug line (their values never logged)."""

_HOSTED_PREFIX: Final = "sagemaker_"
"""Keys the hosted container service adds to the hyperparameter file for itself."""

FLAG_HELP: Final = {
    "job_id": "the job's id (also --model_id for a training, --test_id for a test report)",
    "api_key": "the job's API key (sent only to the platform, never printed)",
    "host": "the platform's address; without one the job runs in local mode",
    "job_dir": "the job folder (default ./jobs/<job id>)",
    "info_file": "a job description to use instead of <job dir>/info.json",
    "settings": "a YAML/JSON settings file merged over the description's settings",
    "preset": "a named preset of the schema",
    "cache_path": "a cache folder for datasets",
    "dataset": "NAME=PATH: a local folder as the dataset NAME (again for more datasets)",
    "quiet": "show nothing while the job runs (no start, progress or end lines)",
}
"""What each known flag means, for ``--help``."""

SWITCHES: Final = frozenset({"quiet"})
"""Known flags that take no value."""

_ENV: Final = (
    ("BREVETTI_JOB_ID", "job_id"),
    ("BREVETTI_API_KEY", "api_key"),
    ("BREVETTI_HOST", "host"),
    ("BREVETTIAI_HOST_NAME", "host"),
    ("BREVETTI_JOB_DIR", "job_dir"),
    ("BREVETTI_AI_CACHE", "cache_path"),
)


class Identity(NamedTuple):
    """The resolved identity of a job and the settings overrides given with it.

    `api_key` is kept out of the repr so it never lands in a log by accident. A named
    tuple (built at import for a fraction of an attrs class's cost).
    """

    job_id: str | None = None
    api_key: str | None = None
    host: str | None = None
    job_dir: str | None = None
    info_file: str | None = None
    preset: str | None = None
    settings_file: str | None = None
    cache_path: str | None = None
    kind: str = "model"
    overrides: tuple[tuple[str, str], ...] = ()
    hosted: bool = False
    quiet: bool = False
    datasets: tuple[tuple[str, str], ...] = ()
    """``--dataset NAME=PATH``: local folders as datasets (local mode, or over the description)."""

    def __repr__(self) -> str:
        shown = (f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
        return f"Identity({', '.join(p for p in shown if not p.startswith('api_key='))})"


def _flag_name(token: str) -> str:
    return token[2:].replace("-", "_") if "." not in token else token[2:]


def parse_argv(
    argv: Sequence[str], setting_paths: Iterable[str] | None
) -> tuple[dict[str, str], list[tuple[str, str]], str | None]:
    """Known flags, settings overrides and the job kind from command-line arguments.

    `setting_paths` lists the schema's dotted paths (``None``: no schema, any
    ``--a.b`` is taken as a setting). The launcher's unused flags (`LAUNCHER_FLAGS`)
    are skipped with their value, if any. Anything else is a `JobConfigError` that
    lists the known flags and settings, with a "did you mean".
    """
    paths = set(setting_paths) if setting_paths is not None else None
    flags: dict[str, str] = {}
    overrides: list[tuple[str, str]] = []
    kind: str | None = None
    tokens = list(argv)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("--") or token == "--":  # noqa: S105 - not a password
            raise _unknown(token, paths)
        name, has_value, value = token.partition("=")
        name = _flag_name(name)
        if _is_launcher_flag(name, paths):
            if not has_value and index + 1 < len(tokens) and not _is_flag(tokens[index + 1]):
                index += 1  # its value, if it has one
            index += 1
            _ignored(f"--{name}", "argument")
            continue
        if name in SWITCHES and (paths is None or name not in paths):  # a flag, no value
            flags[name] = value if has_value else "true"
            index += 1
            continue
        if not has_value:
            if index + 1 >= len(tokens):
                raise JobConfigError(f"argument {token} needs a value")
            value = tokens[index + 1]
            index += 1
        index += 1
        if name in _FLAGS:
            _set_flag(flags, _FLAGS[name], value)
            if name == "test_id":
                kind = "report"
            elif name == "model_id":
                kind = "model"
        elif paths is None or name in paths:
            overrides.append((name, value))
        else:
            raise _unknown(token, paths)
    return flags, overrides, kind


def _is_flag(token: str) -> bool:
    return token.startswith("--")


def _is_launcher_flag(name: str, paths: set[str] | None) -> bool:
    """A flag of the launcher's that we ignore, unless the schema has a setting so named."""
    return name in LAUNCHER_FLAGS and (paths is None or name not in paths)


def _ignored(name: str, where: str) -> None:
    logger.debug("ignoring the launcher's %s %s: brevetti_job does not use it", where, name)


def _unknown(token: str, paths: set[str] | None) -> JobConfigError:
    name = _flag_name(token.partition("=")[0]) if token.startswith("--") else token
    candidates = sorted({*_FLAGS, *SWITCHES}) + sorted(paths or ())
    import difflib  # noqa: PLC0415 - only for a wrong argument

    close = difflib.get_close_matches(name, candidates, n=1)
    hint = f" Did you mean --{close[0]}?" if close else ""
    flags = ", ".join(f"--{f}" for f in sorted({*_FLAGS, *SWITCHES}))
    settings = ", ".join(f"--{p}" for p in sorted(paths or ())) or "(none)"
    return JobConfigError(
        f"unknown argument {token!r}: it is neither a known flag nor a setting.{hint}\n"
        f"  flags: {flags}\n  settings: {settings}"
    )


def _read_hyperparameters(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise JobConfigError(f"cannot read the hyperparameter file {path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise JobConfigError(f"the hyperparameter file {path} must hold a JSON object")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


def resolve_identity(
    explicit: Mapping[str, Any],
    argv: Sequence[str],
    env: Mapping[str, str],
    setting_paths: Iterable[str] | None,
    unknown_hyperparameters: dict[str, str] | None = None,
) -> Identity:
    """Merge the four sources of identity by precedence (see the module docstring).

    A hyperparameter that is neither a flag nor a setting is an error, or, given
    `unknown_hyperparameters`, put there (compat: brevettiai kept them as arguments).
    """
    paths = list(setting_paths) if setting_paths is not None else None
    hyper_path = Path(env.get("BREVETTI_HYPERPARAMETERS_FILE", HYPERPARAMETERS_FILE))
    hosted = HOSTED_SERVICE_ENV in env
    hyper_flags: dict[str, str] = {}
    hyper_overrides: list[tuple[str, str]] = []
    kind: str | None = None
    hyper = _read_hyperparameters(hyper_path)
    known = set(paths) if paths is not None else None
    for key, value in hyper.items():
        name = key[2:] if key.startswith("--") else key
        if name in _FLAGS:
            _set_flag(hyper_flags, _FLAGS[name], value)
            kind = "report" if name == "test_id" else "model" if name == "model_id" else kind
        elif _is_launcher_flag(name, known) or (
            name.startswith(_HOSTED_PREFIX) and (known is None or name not in known)
        ):
            _ignored(name, "hyperparameter")
        elif paths is None or name in paths:
            hyper_overrides.append((name, value))
        elif unknown_hyperparameters is not None:
            unknown_hyperparameters[name] = value
        else:
            raise _unknown(f"--{name}", set(paths))
    env_flags: dict[str, str] = {}
    for variable, attribute in _ENV:
        if env.get(variable) and attribute not in env_flags:
            env_flags[attribute] = env[variable]
    argv_flags, argv_overrides, argv_kind = parse_argv(argv, paths)
    merged: dict[str, Any] = {**hyper_flags, **env_flags, **argv_flags}
    merged.update({k: v for k, v in explicit.items() if v is not None})
    return Identity(
        job_id=merged.get("job_id"),
        api_key=merged.get("api_key"),
        host=merged.get("host"),
        job_dir=_text(merged.get("job_dir")),
        info_file=_text(merged.get("info_file")),
        preset=merged.get("preset"),
        settings_file=_text(merged.get("settings_file")),
        cache_path=merged.get("cache_path"),
        kind=explicit.get("kind") or argv_kind or kind or "model",
        overrides=tuple(hyper_overrides + argv_overrides),
        hosted=hosted,
        quiet=str(merged.get("quiet", "")).lower() in ("1", "true", "yes"),
        datasets=_datasets(merged.get("datasets")),
    )


def _set_flag(flags: dict[str, str], attribute: str, value: str) -> None:
    if attribute in _REPEATED and attribute in flags:
        flags[attribute] += "\n" + value
    else:
        flags[attribute] = value


def _datasets(given: str | None) -> tuple[tuple[str, str], ...]:
    """``--dataset NAME=PATH`` values as ``(name, path)`` pairs."""
    pairs = []
    for line in (given or "").split("\n"):
        if not line:
            continue
        name, equals, path = line.partition("=")
        if not equals or not name.strip() or not path.strip():
            raise JobConfigError(f"--dataset takes NAME=PATH (a local folder), got {line!r}")
        pairs.append((name.strip(), path.strip()))
    return tuple(pairs)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
