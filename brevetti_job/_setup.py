"""Setting a job up: identity, folder, description, backend and validated settings.

Everything `Job.init` does before the job object exists. An invalid-settings job is
recorded as failed here (status, problems.json, the platform), and keeps an info.json
so that it can be inspected; a job of a throw-away folder (a generated id in the
default ``jobs/`` folder, or `brevetti-job new`) leaves nothing behind instead.
A settings file that does not parse stops the job before anything is written or sent.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from brevetti_schema import (
    Schema,
    SettingsError,
    SettingsProblem,
    encode_settings,
    load_schema,
    resolve_settings,
)

from ._backend import Backend, LocalBackend
from ._description import JobDescription, new_job_id
from ._errors import JobArgumentTypeError, JobConfigError
from ._files import atomic_write_json, check_name, finite_json, non_finite_paths
from ._identity import Identity, resolve_identity
from ._raw_settings import freeze, gather_raw_settings, read_local_settings, set_setting
from ._secrets import secret_paths, without_paths
from ._status import write_failure_file, write_status

__all__ = ["Setup", "set_up", "write_description"]

logger = logging.getLogger("brevetti_job")

SettingsSource = Mapping[str, Any] | str | os.PathLike[str] | None


class Setup(NamedTuple):
    """What a job starts from; `created` when its description was made here.

    A named tuple, not an attrs class: it is made once per job and its class is built
    at import, where an attrs class costs a job's start half a millisecond more.
    """

    description: JobDescription
    identity: Identity
    job_dir: Path
    settings: Any
    schema: Schema | None
    tree: Mapping[str, Any]
    warnings: tuple[SettingsProblem, ...]
    env: Mapping[str, str]
    backend: Backend
    created: bool


def set_up(
    job_id: str | None,
    api_key: str | None,
    schema: Any,
    *,
    into: type | None = None,
    settings: SettingsSource,
    info_file: str | os.PathLike[str] | None,
    job_dir: str | os.PathLike[str] | None,
    host: str | None,
    preset: str | None,
    argv: Sequence[str] | None,
    env: Mapping[str, str] | None,
    strict: bool,
    kind: str | None,
    record_failure: bool = True,
    description: JobDescription | None = None,
    unknown_hyperparameters: dict[str, str] | None = None,
) -> Setup:
    """Resolve identity, the folder, the description and the settings (see `Job.init`).

    `into` is the class the settings are made into (checked against the schema first);
    a class-first `schema` is its own. Without `record_failure` invalid settings leave
    nothing behind (`brevetti-job new`). A `description` given as data (compat's
    ``job_config``) is the job's description in both modes: in platform mode the job
    still connects (and its key is checked) but the platform's description is not used.
    """
    if kind not in (None, "model", "report"):
        raise JobConfigError(f"kind must be 'model' or 'report', got {kind!r}")
    _check_types(job_id, api_key, settings, info_file, job_dir, host, preset, argv, env)
    env = dict(os.environ if env is None else env)
    argv = list(sys.argv[1:] if argv is None else argv)
    model = load_schema(schema) if schema is not None else None
    target = None
    if isinstance(schema, type):  # a settings class: it is the target, or names one
        from brevetti_schema import settings_target  # noqa: PLC0415 - only for a class

        target = settings_target(schema)
    if into is not None and into is not target:
        if model is None:
            raise JobConfigError(
                f"into={getattr(into, '__qualname__', into)!r} needs a schema: pass schema="
            )
        from brevetti_schema import check_settings_class  # noqa: PLC0415 - only for into=

        try:
            check_settings_class(model, into)
        except TypeError as exc:  # no settings class at all: a wrong argument
            raise JobArgumentTypeError(str(exc)) from None
        target = into
    paths = [path for path, _ in model.fields()] if model is not None else None
    explicit = {
        "job_id": job_id,
        "api_key": api_key,
        "host": host,
        "preset": preset,
        "info_file": None if info_file is None else os.fspath(info_file),
        "job_dir": None if job_dir is None else os.fspath(job_dir),
        "kind": kind,
    }
    identity = resolve_identity(explicit, argv, env, paths, unknown_hyperparameters)
    if identity.job_id is not None:
        check_job_id(identity.job_id)
    local_settings = read_local_settings(identity.settings_file, settings)
    resolved_id = identity.job_id or new_job_id()
    local_dir = identity.job_dir if identity.job_dir and "://" not in identity.job_dir else None
    # a storage URL as --job_dir only says where info.json is (platform mode, `connect`)
    folder = Path(local_dir) if local_dir else Path.cwd() / "jobs" / resolved_id
    # a job of its own new folder under jobs/ is kept only once its settings are valid
    keep = record_failure and not (local_dir is None and identity.job_id is None)
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission: the job cannot start
        raise JobConfigError(f"{exc.strerror or exc}: {folder}") from None
    backend: Backend = LocalBackend()
    if identity.host:
        from ._platform import connect  # noqa: PLC0415 - requests only in platform mode

        if description is not None and identity.job_id:
            _given(description, identity.job_id, identity, None)  # another job's: no connect
        backend, fetched = connect(identity, folder, env)
        if description is None:
            description = fetched
        else:
            description = _given(description, fetched.id, identity, backend)
        _cache_description(description, folder, identity, model)
        created = False
    elif description is not None:
        description = _given(description, identity.job_id or description.id, identity, None)
        created = True  # written as info.json, as a job made here (without its key)
    else:
        description, created = _load_description(identity, folder, resolved_id)
    try:
        check_job_id(description.id)
    except JobConfigError:
        backend.close()
        raise
    if model is None and identity.preset is not None:
        backend.close()
        raise JobConfigError(f"preset {identity.preset!r} needs a schema to come from")
    failed = _Failure(folder, description, env, identity, backend, keep)
    warnings: tuple[SettingsProblem, ...] = ()
    try:
        raw = gather_raw_settings(description.settings, local_settings)
        if model is None:
            tree = dict(raw)
            for path, value in identity.overrides:
                set_setting(tree, path, value)
            bad = _non_finite_problems(tree)
            if bad is not None:
                failed.record(bad)
                raise bad
            typed = freeze(tree)
        else:
            try:
                result = resolve_settings(
                    model, raw, overrides=dict(identity.overrides), preset=identity.preset,
                    strict=strict, into=target,
                )  # fmt: skip
            except SettingsError as exc:
                failed.record(exc)
                raise
            typed, tree, warnings = result.settings, result.tree, result.warnings
    except SettingsError:
        if not keep:
            for made_dir in made:  # only the folders made here, and only while empty
                if not _remove_empty(made_dir):
                    break
        elif created:  # keep the job inspectable: brevetti-job status shows why it failed
            data = description.to_json(mask=False)
            data.pop("api_key", None)
            _try(f"job {description.id}: could not write info.json", atomic_write_json,
                 folder / "info.json", finite_json(data))  # fmt: skip
        raise
    except BaseException:
        backend.close()
        raise
    setup = Setup(
        description, identity, folder, typed, model, tree, warnings, env, backend, created
    )
    if created:
        write_description(setup)
    return setup


def check_job_id(job_id: str) -> str:
    """`job_id` if it can name the job's folder and URLs; else `JobConfigError`.

    An id names ``jobs/<id>``, the temporary folder and the platform's URLs, so it may
    not hold a path separator, be ``.`` or ``..``, or hold control characters.
    """
    check_name(job_id, "job id", JobConfigError)
    if (
        not job_id
        or job_id in (".", "..")
        or any(c in job_id for c in "/\\")
        or any(ord(c) < 32 or ord(c) == 127 for c in job_id)
    ):
        raise JobConfigError(
            f"job id {job_id!r} cannot name a job: give one without '/', '\\' or control "
            "characters, other than '.' and '..' (a platform id is a GUID)"
        )
    return job_id


def _check_types(
    job_id: object,
    api_key: object,
    settings: object,
    info_file: object,
    job_dir: object,
    host: object,
    preset: object,
    argv: object,
    env: object,
) -> None:
    """`Job.init`'s arguments of the wrong type: `JobArgumentTypeError` naming each."""
    path = (str, os.PathLike)
    checks = (
        ("job_id", job_id, str, "text"), ("api_key", api_key, str, "text"),
        ("host", host, str, "text"), ("preset", preset, str, "text"),
        ("settings", settings, (Mapping, *path), "a mapping or a file path"),
        ("info_file", info_file, path, "a file path"), ("job_dir", job_dir, path, "a path"),
        ("env", env, Mapping, "a mapping"),
    )  # fmt: skip
    for name, value, types, expected in checks:
        if value is not None and not isinstance(value, types):
            raise JobArgumentTypeError(f"{name} must be {expected}, got {type(value).__name__}")
    if argv is not None and (
        isinstance(argv, str | bytes)
        or not isinstance(argv, Sequence)
        or not all(isinstance(a, str) for a in argv)
    ):
        raise JobArgumentTypeError(
            f"argv must be a list of str (such as sys.argv[1:]), got {type(argv).__name__}"
            + (f" {argv!r}" if isinstance(argv, str) else "")
        )


def write_description(setup: Setup) -> None:
    """``info.json`` of a job made here: settings in transport form, no key, no secrets."""
    tree = setup.tree
    settings = (
        encode_settings(setup.schema, tree, secrets="omit")
        if setup.schema is not None
        else dict(tree)
    )
    data = setup.description.to_json(mask=False, settings=settings)
    data.pop("api_key", None)
    atomic_write_json(setup.job_dir / "info.json", data)


def _cache_description(
    description: JobDescription, folder: Path, identity: Identity, schema: Schema | None
) -> None:
    """Platform mode: the description as ``info.json`` in the working copy, for `status`
    and `sync`; without the key (also in URLs) and without any secret setting."""
    info = folder / "info.json"
    if identity.info_file and Path(identity.info_file).resolve() == info.resolve():
        return  # the platform's own file: not ours to rewrite
    settings = without_paths(description.settings, secret_paths(schema))
    data = description.to_json(mask=True, settings=settings)
    data.pop("api_key", None)
    atomic_write_json(info, data)


def _given(
    description: JobDescription, job_id: str, identity: Identity, backend: Backend | None
) -> JobDescription:
    """A description given as data, for the job `job_id`, with the job's API key."""
    if description.id != job_id:
        if backend is not None:
            backend.close()
        raise JobConfigError(
            f"the job description given is of job {description.id}, not of job {job_id}"
        )
    return attrs.evolve(description, api_key=identity.api_key or description.api_key)


def _remove_empty(path: Path) -> bool:
    try:
        path.rmdir()
    except OSError:
        return False
    return True


def _load_description(identity: Identity, folder: Path, job_id: str) -> tuple[JobDescription, bool]:
    if identity.info_file:
        return JobDescription.from_file(Path(identity.info_file)), False
    info = folder / "info.json"
    if info.is_file():
        return JobDescription.from_file(info), False
    return JobDescription(id=job_id, name=job_id, api_key=identity.api_key), True


class _Failure(NamedTuple):
    """Where an invalid-settings failure is recorded, so the platform shows why."""

    folder: Path
    description: JobDescription
    env: Mapping[str, str]
    identity: Identity
    backend: Backend
    keep: bool

    def record(self, error: SettingsError) -> None:
        """Record the failure everywhere that still takes it; never raises over `error`."""
        reason = error.table()
        where = f"job {self.description.id}: could not record the invalid settings in"
        count = len(error.problems)
        summary = f"{count} problem{'' if count == 1 else 's'}"
        if self.keep:  # a throw-away folder (see `set_up`) gets no files
            report = self.folder / "problems.json"
            problems = finite_json(error.to_json())  # NaN and infinity given are named
            _try(f"{where} problems.json", atomic_write_json, report, problems)
            _try(
                f"{where} status.json", write_status, self.folder, "failed", reason=reason,
                kind=self.identity.kind,
            )  # fmt: skip
            logger.error(
                "job %s: invalid settings (%s, see %s)", self.description.id, summary, report
            )
        else:
            logger.error("job %s: invalid settings (%s)", self.description.id, summary)
        _try(f"{where} the failure file", write_failure_file, self.env, self.identity, reason)
        try:
            _try(f"{where} the platform", self.backend.fail, reason)
        finally:
            _try(f"job {self.description.id}: could not close the platform", self.backend.close)


def _try(what: str, step: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Run one step of recording a failure; log (never raise) what goes wrong."""
    try:
        step(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a failure is recorded wherever still possible
        logger.error("%s: %s: %s", what, type(exc).__name__, exc)


def _non_finite_problems(tree: Mapping[str, Any]) -> SettingsError | None:
    """Settings without a schema: NaN and infinity are settings problems (JSON has neither)."""
    found = non_finite_paths(tree)
    if not found:
        return None
    problems = []
    for at, value in found:
        message = f"{value!r} is not a number JSON can hold: give a finite number"
        problems.append(SettingsProblem(at, "not_a_number", "", message, value))
    return SettingsError(problems)
