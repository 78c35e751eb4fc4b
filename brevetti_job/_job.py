"""`Job`: a job's execution context, from `Job.init()` to completion or failure."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType, MappingProxyType, TracebackType
from typing import Any, Final, Self

from brevetti_schema import Schema, SettingsError, encode_settings, load_schema, resolve_settings

from ._backend import Backend, LocalBackend
from ._description import Dataset, JobDescription, _mask_keys, new_job_id
from ._errors import JobConfigError, JobStateError, MetricError
from ._files import atomic_write_bytes, atomic_write_json, safe_child
from ._identity import Identity, resolve_identity
from ._metrics import checked_metric
from ._raw_settings import freeze, gather_raw_settings, set_dotted
from ._status import write_failure_file, write_status

__all__ = ["Job"]

logger = logging.getLogger("brevetti_job")

MAX_REASON: Final = 4096
"""Longest failure reason recorded; longer ones are cut with a marker."""

PROGRESS_INTERVAL: Final = 1.0
"""Shortest time in seconds between two progress records sent to the platform."""


class Job:
    """A job's execution context: typed settings and the platform tooling.

    Make one with `Job.init()`. Use it in a ``with`` block (or subclass it, implement
    `run()` and call `start()`) so that it completes on success and fails on an
    exception or SIGTERM.
    """

    def __init__(
        self,
        *,
        description: JobDescription,
        identity: Identity,
        job_dir: Path,
        settings: Any,
        schema: Schema | None,
        tree: Mapping[str, Any],
        env: Mapping[str, str],
        backend: Backend,
    ) -> None:
        self._description = description
        self._identity = identity
        self._job_dir = job_dir
        self._settings = settings
        self._schema = schema
        self._tree = tree
        self._env = env
        self._backend = backend
        self._metrics: dict[str, Any] = {}
        self._ended: str | None = None
        self._temp_dir: Path | None = None
        self._lock = threading.RLock()
        self._last_progress_sent = 0.0
        self._pending_progress: dict[str, Any] | None = None
        self._previous_sigterm: Any = None
        self._settings_warnings: tuple[Any, ...] = ()

    # -- construction -------------------------------------------------------------

    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        schema: Any = None,
        *,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
    ) -> Self:
        """Find the job, load its description, validate its settings; see the README.

        Identity comes from the arguments, then `argv` (default ``sys.argv[1:]``), then
        `env` (default ``os.environ``), then the hosted container's hyperparameter file.
        Invalid settings raise `SettingsError` after recording the job as failed.
        """
        job = cls._prepare(
            job_id, api_key, schema, settings=settings, info_file=info_file, job_dir=job_dir,
            host=host, preset=preset, argv=argv, env=env, strict=strict, kind=kind,
        )  # fmt: skip
        job._start()
        return job

    @classmethod
    def _prepare(
        cls,
        job_id: str | None,
        api_key: str | None,
        schema: Any,
        *,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None,
        info_file: str | os.PathLike[str] | None,
        job_dir: str | os.PathLike[str] | None,
        host: str | None,
        preset: str | None,
        argv: Sequence[str] | None,
        env: Mapping[str, str] | None,
        strict: bool,
        kind: str | None = None,
    ) -> Self:
        """Everything `init` does before the job starts: identity, description, settings."""
        if kind not in (None, "model", "report"):
            raise JobConfigError(f"kind must be 'model' or 'report', got {kind!r}")
        env = dict(os.environ if env is None else env)
        argv = list(sys.argv[1:] if argv is None else argv)
        model = load_schema(schema) if schema is not None else None
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
        identity = resolve_identity(explicit, argv, env, paths)
        resolved_id = identity.job_id or new_job_id()
        folder = Path(identity.job_dir) if identity.job_dir else Path.cwd() / "jobs" / resolved_id
        folder.mkdir(parents=True, exist_ok=True)
        backend: Backend = LocalBackend()
        if identity.host:
            from ._platform import connect  # noqa: PLC0415 - requests only in platform mode

            backend, description = connect(identity, folder, env)
            created = False
        else:
            description, created = cls._load_description(identity, folder, resolved_id)
        if model is None and identity.preset is not None:
            backend.close()
            raise JobConfigError(f"preset {identity.preset!r} needs a schema to come from")
        into = schema if isinstance(schema, type) and hasattr(schema, "__attrs_attrs__") else None
        try:
            try:
                raw = gather_raw_settings(description.settings, identity.settings_file, settings)
            except SettingsError as exc:  # a settings file that does not parse
                cls._record_invalid(folder, description, exc, env, identity, backend)
                raise
            job = cls._make(description, identity, folder, model, raw, env, strict, backend, into)
        except SettingsError:
            if created:  # keep the job inspectable: brevetti-job status shows why it failed
                data = description.to_json(mask=False)
                data.pop("api_key", None)
                atomic_write_json(folder / "info.json", data)
            raise  # recorded as failed (and sent) by _record_invalid
        except BaseException:
            backend.close()
            raise
        if created:
            job._write_description()
        return job

    @staticmethod
    def _load_description(
        identity: Identity, folder: Path, job_id: str
    ) -> tuple[JobDescription, bool]:
        if identity.info_file:
            return JobDescription.from_file(Path(identity.info_file)), False
        info = folder / "info.json"
        if info.is_file():
            return JobDescription.from_file(info), False
        return JobDescription(id=job_id, name=job_id, api_key=identity.api_key), True

    @classmethod
    def _make(
        cls,
        description: JobDescription,
        identity: Identity,
        folder: Path,
        model: Schema | None,
        raw: dict[str, Any],
        env: Mapping[str, str],
        strict: bool,
        backend: Backend,
        into: type | None = None,
    ) -> Self:
        if model is None:
            tree = dict(raw)
            for path, value in identity.overrides:
                set_dotted(tree, path, value)
            return cls(
                description=description,
                identity=identity,
                job_dir=folder,
                settings=freeze(tree),
                schema=None,
                tree=tree,
                env=env,
                backend=backend,
            )
        try:
            result = resolve_settings(
                model,
                raw,
                overrides=dict(identity.overrides),
                preset=identity.preset,
                strict=strict,
                into=into,
            )
        except SettingsError as exc:
            cls._record_invalid(folder, description, exc, env, identity, backend)
            raise
        job = cls(
            description=description,
            identity=identity,
            job_dir=folder,
            settings=result.settings,
            schema=model,
            tree=result.tree,
            env=env,
            backend=backend,
        )
        job._settings_warnings = result.warnings
        return job

    @staticmethod
    def _record_invalid(
        folder: Path,
        description: JobDescription,
        error: SettingsError,
        env: Mapping[str, str],
        identity: Identity,
        backend: Backend,
    ) -> None:
        """An invalid-settings job is failed with the report, so the platform shows why."""
        atomic_write_json(folder / "problems.json", error.to_json())
        reason = error.table()
        write_status(folder, "failed", reason=reason, kind=identity.kind)
        write_failure_file(env, identity, reason)
        count = len(error.problems)
        logger.error(
            "job %s: invalid settings (%d problem%s, see problems.json)",
            description.id,
            count,
            "" if count == 1 else "s",
        )
        try:
            backend.fail(reason)
        finally:
            backend.close()

    def _write_description(self) -> None:
        settings = (
            encode_settings(self._schema, self._tree, secrets="omit")
            if self._schema is not None
            else dict(self._tree)
        )
        data = self._description.to_json(mask=False, settings=settings)
        data.pop("api_key", None)
        atomic_write_json(self._job_dir / "info.json", data)

    def _start(self) -> None:
        write_status(self._job_dir, "running", kind=self._identity.kind)
        self.upload_job_output(check_dirty=False)
        logger.info("job %s started in %s (%s mode)", self.id, self._job_dir, self.mode)

    # -- what the job is ------------------------------------------------------------

    @property
    def id(self) -> str:
        """The job's id (a model or test report GUID on the platform)."""
        return self._description.id

    @property
    def name(self) -> str:
        """The job's name."""
        return self._description.name

    @property
    def run_id(self) -> str | None:
        """The platform's run id, if any."""
        return self._description.run_id

    @property
    def settings(self) -> Any:
        """The typed, frozen settings (a read-only mapping when no schema was given)."""
        return self._settings

    @property
    def settings_warnings(self) -> tuple[Any, ...]:
        """What the settings were accepted with: unknown keys, values of inactive fields."""
        return self._settings_warnings

    @property
    def datasets(self) -> tuple[Dataset, ...]:
        """The datasets the job was given."""
        return self._description.datasets

    @property
    def tags(self) -> tuple[Any, ...]:
        """The job's tags."""
        return self._description.tags

    @property
    def host_name(self) -> str | None:
        """The platform's address (argument, argv, environment or description), if any."""
        return self._identity.host or self._description.host_name

    @property
    def mode(self) -> str:
        """``"local"`` or ``"platform"``."""
        return self._backend.mode

    @property
    def kind(self) -> str:
        """``"model"`` (a training) or ``"report"`` (a test report)."""
        return self._identity.kind

    @property
    def description(self) -> JobDescription:
        """The job description (its repr never shows the API key)."""
        return self._description

    @property
    def job_dir(self) -> Path:
        """The job's folder: info.json, artifacts/, status and logs."""
        return self._job_dir

    @property
    def artifacts_dir(self) -> Path:
        """The persistent output folder shown on the model page."""
        path = self._job_dir / "artifacts"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def temp_dir(self) -> Path:
        """A scratch folder, made on first use and removed when the job ends."""
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix=f"brevetti-{self.id}-"))
        return self._temp_dir

    @property
    def ended(self) -> str | None:
        """``"completed"`` or ``"failed"`` once the job has ended, else ``None``."""
        return self._ended

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"<{name} id={self.id!r} mode={self.mode!r} dir={str(self._job_dir)!r}>"

    # -- artifacts ------------------------------------------------------------------

    def artifact_path(self, *parts: str) -> Path:
        """A path under the artifacts folder with its parents made; escapes raise."""
        path = safe_child(self.artifacts_dir, *parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _check_open(self, what: str) -> None:
        if self._ended is not None:
            raise JobStateError(f"job {self.id} has {self._ended}: cannot {what} any more")

    def upload_artifact(self, name: str, data: bytes | str | os.PathLike[str]) -> Path:
        """Store bytes, text (a `str`) or a file (a path object) as an artifact, atomically."""
        self._check_open("upload an artifact")
        target = self.artifact_path(name)
        if isinstance(data, bytes):
            atomic_write_bytes(target, data)
        elif isinstance(data, str):
            atomic_write_bytes(target, data.encode("utf-8"))
        else:
            source = Path(data)
            if not source.is_file():
                raise JobStateError(f"cannot upload {source}: not a file")
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            shutil.copyfile(source, temp)
            temp.replace(target)
        self._backend.put_artifact(target.relative_to(self.artifacts_dir).as_posix(), target)
        return target

    # -- metrics, output, charts, progress ---------------------------------------------

    def add_output_metric(self, name: str, value: Any) -> None:
        """Record a metric for output.json; a bad value raises `MetricError` right here."""
        checked = checked_metric(name, value)
        self._check_open("add metrics")
        with self._lock:
            self._metrics[name] = checked

    def add_output_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Record several metrics at once; nothing is recorded if any is bad."""
        if not isinstance(metrics, Mapping):
            raise MetricError(f"expected a mapping of metrics, got {type(metrics).__name__}")
        checked = {name: checked_metric(name, value) for name, value in metrics.items()}
        self._check_open("add metrics")
        with self._lock:
            self._metrics.update(checked)

    @property
    def metrics(self) -> Mapping[str, Any]:
        """The metrics recorded so far (read-only)."""
        return MappingProxyType(dict(self._metrics))

    def output_document(self, *, check_dirty: bool = False) -> dict[str, Any]:
        """The output.json content: metrics, run environment and the masked description."""
        from . import __version__  # noqa: PLC0415
        from ._environment import environment  # noqa: PLC0415

        if self._schema is not None:
            settings = encode_settings(self._schema, self._tree, secrets="mask")
        else:
            settings = dict(self._tree)
        document = {
            "output": dict(self._metrics),
            "environment": environment(self._env, __version__, check_dirty=check_dirty),
            "config": self._description.to_json(mask=True, settings=settings),
        }
        masked: dict[str, Any] = self._masked(document)
        return masked

    def _masked(self, data: Any) -> Any:
        """`data` with the API key masked wherever it appears (user values included)."""
        masked: Any = _mask_keys(data, self._description.api_key)
        return masked

    def upload_job_output(self, *, check_dirty: bool = True) -> Path:
        """Write artifacts/output.json atomically and send it to the platform."""
        self._check_open("upload the output")
        return self._write_output(check_dirty=check_dirty)

    def _write_output(self, *, check_dirty: bool) -> Path:
        with self._lock:
            document = self.output_document(check_dirty=check_dirty)
            path = self.artifacts_dir / "output.json"
            atomic_write_json(path, document)
        self._backend.put_output(document)
        return path

    def upload_chart(self, name: str, spec: Mapping[str, Any]) -> Path:
        """Store a Vega-Lite chart (a JSON mapping) under charts/ and send it on."""
        self._check_open("upload a chart")
        if not isinstance(spec, Mapping):
            raise JobStateError(f"chart {name!r}: a Vega-Lite spec must be a mapping")
        try:
            json.dumps(spec, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise JobStateError(f"chart {name!r}: the spec is not JSON data: {exc}") from None
        path = safe_child(self._job_dir / "charts", f"{name}.json")
        spec = self._masked(dict(spec))
        atomic_write_json(path, spec)
        self._backend.post_chart(name, spec)
        return path

    def report_progress(self, epoch: int, **metrics: Any) -> None:
        """Log one epoch's metrics locally; forward to the platform at most once a second."""
        record = {"epoch": epoch, **{k: checked_metric(k, v) for k, v in metrics.items()}}
        self._check_open("report progress")
        record["time"] = round(time.time(), 3)
        record = self._masked(record)
        line = json.dumps(record, allow_nan=False) + "\n"
        with self._lock, (self._job_dir / "progress.jsonl").open("a", encoding="utf-8") as log:
            log.write(line)
        now = time.monotonic()
        if now - self._last_progress_sent >= PROGRESS_INTERVAL:
            self._last_progress_sent = now
            self._pending_progress = None
            self._backend.post_progress(record)
        else:
            self._pending_progress = record

    def _flush_progress(self) -> None:
        if self._pending_progress is not None:
            record, self._pending_progress = self._pending_progress, None
            self._backend.post_progress(record)

    # -- the end --------------------------------------------------------------------

    def complete_job(self, model_archive: str | os.PathLike[str] | None = None) -> str | None:
        """Complete the job once; returns the archive path relative to the job folder.

        An archive outside the job folder is first copied into artifacts/.
        """
        with self._lock:
            if self._ended is not None:
                logger.info("job %s already %s; complete_job does nothing", self.id, self._ended)
                return None
            model_path = "" if model_archive is None else self._place_archive(Path(model_archive))
            self._flush_progress()
            self._write_output(check_dirty=True)
            write_status(self._job_dir, "completed", model_path=model_path, kind=self.kind)
            self._ended = "completed"
            self._backend.complete(model_path)
            self._cleanup()
        logger.info("job %s completed (model: %s)", self.id, model_path or "none")
        return model_path

    def _place_archive(self, archive: Path) -> str:
        if not archive.is_file():
            raise JobStateError(f"model archive {archive} does not exist")
        root = self._job_dir.resolve()
        resolved = archive.resolve()
        if root not in resolved.parents:
            target = self.artifact_path(archive.name)
            temp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(resolved, temp)
            temp.replace(target)
            resolved = target.resolve()
        relative = resolved.relative_to(root).as_posix()
        if relative.startswith("artifacts/"):
            self._backend.put_artifact(relative[len("artifacts/") :], resolved)
        return relative

    def fail(self, reason: str) -> None:
        """Record the job as failed with `reason` (bounded); once, like completion."""
        reason = str(reason) or "failed"
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 20] + " ... (cut)"
        key = self._description.api_key
        if key:
            reason = reason.replace(key, "********")
        with self._lock:
            if self._ended is not None:
                logger.info("job %s already %s; fail does nothing", self.id, self._ended)
                return
            self._ended = "failed"
            self._flush_progress()
            try:
                self._write_output(check_dirty=True)
            finally:
                write_status(self._job_dir, "failed", reason=reason, kind=self.kind)
                write_failure_file(self._env, self._identity, reason)
                self._backend.fail(reason)
                self._cleanup()
        logger.error("job %s failed: %s", self.id, reason)

    def _cleanup(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
        self._backend.close()

    # -- running it ----------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._install_sigterm()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None or _clean_exit(exc):
                if self._ended is None:
                    self.complete_job()
            elif self._ended is None:
                self.fail(_describe_exception(exc))
        finally:
            self._restore_sigterm()

    def _install_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def terminated(signum: int, frame: FrameType | None) -> None:
            self.fail("terminated (SIGTERM)")
            raise SystemExit(128 + signal.SIGTERM)

        self._previous_sigterm = signal.signal(signal.SIGTERM, terminated)

    def _restore_sigterm(self) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def run(self) -> str | os.PathLike[str] | None:
        """Override in a subclass: do the work, return the model archive path (or None)."""
        raise NotImplementedError(f"{type(self).__name__} must implement run()")

    def start(self) -> str | None:
        """Run `run()` inside the job's lifecycle; completes with its archive or fails."""
        with self:
            archive = self.run()
            return self.complete_job(archive)

    @classmethod
    def create_local(
        cls,
        schema: Any,
        *,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        preset: str | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        job_id: str | None = None,
        overrides: Sequence[str] = (),
    ) -> Path:
        """Write a local job description (info.json) with validated settings; its folder."""
        job = cls._prepare(
            job_id, None, schema, settings=settings, info_file=None, job_dir=job_dir,
            host=None, preset=preset, argv=[f"--{o}" for o in overrides], env={}, strict=False,
        )  # fmt: skip
        if not (job.job_dir / "info.json").is_file() or settings or preset or overrides:
            job._write_description()
        return job.job_dir

    @classmethod
    def main(cls, schema: Any = None, argv: Sequence[str] | None = None, **kwargs: Any) -> int:
        """A command-line entry: init from argv, `start()`, and an exit status.

        Invalid settings or arguments print a readable report and give 1; an exception
        in `run()` fails the job and gives 1 with the traceback on stderr.
        """
        from brevetti_schema import BrevettiSchemaError  # noqa: PLC0415

        from ._errors import BrevettiJobError  # noqa: PLC0415
        from ._help import help_text  # noqa: PLC0415

        args = list(sys.argv[1:] if argv is None else argv)
        if _asks_for_help(args):
            print(help_text(cls, schema))
            return 0
        try:
            job = cls.init(schema=schema, argv=args, **kwargs)
        except SettingsError as exc:
            print(exc.table(), file=sys.stderr)
            return 1
        except (BrevettiJobError, BrevettiSchemaError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for warning in job.settings_warnings:
            print(f"warning: {warning}", file=sys.stderr)
        try:
            job.start()
        except Exception:  # noqa: BLE001 - report any failure of user code, already recorded
            traceback.print_exc()
            return 1
        return 0


def _asks_for_help(args: Sequence[str]) -> bool:
    """``-h``/``--help`` in a flag position (not as the value of another flag)."""
    expecting_value = False
    for token in args:
        if expecting_value:
            expecting_value = False
        elif token in ("-h", "--help"):
            return True
        elif token.startswith("--") and "=" not in token:
            expecting_value = True
    return False


def _clean_exit(exc: BaseException) -> bool:
    """``sys.exit()`` or ``sys.exit(0)`` inside the job: a normal end, not a failure."""
    return isinstance(exc, SystemExit) and exc.code in (None, 0)


def _describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
