"""`Job`: a job's execution context, from `Job.init()` to completion or failure."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType, MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, Self, overload

import attrs

from brevetti_schema import encode_settings

from ._declared import declared_settings
from ._description import JobDescription
from ._errors import (
    JobArgumentError,
    JobArgumentTypeError,
    JobConfigError,
    JobStateError,
    MetricError,
)
from ._files import atomic_write_bytes, atomic_write_json, check_name, safe_child
from ._metrics import checked_metric
from ._secrets import Scrubber
from ._setup import Setup, set_up, write_description
from ._status import write_failure_file, write_status

if TYPE_CHECKING:
    from typing_extensions import TypeIs, TypeVar

    from brevetti_schema import Schema, SchemaBuilder, SettingsProblem

    from ._console import Console
    from ._datasets import Dataset, Sample
    from ._models import ModelUnderTest
    from ._package import ModelPackage
    from ._storage import Storage

    S = TypeVar("S", default=Any)
    """The settings type of a job: `Job[TrainSettings]`; `Any` when not said."""

    SchemaSource = (
        Schema | SchemaBuilder | str | os.PathLike[str] | Mapping[str, Any] | type | object
    )
    """What `Job.init(schema=...)` takes: see `brevetti_schema.load_schema`."""
else:
    from typing import TypeVar

    S = TypeVar("S")

T = TypeVar("T")

__all__ = ["Job"]

logger = logging.getLogger("brevetti_job")

MAX_REASON: Final = 4096
"""Longest failure reason recorded; longer ones are cut with a marker."""


class Job(Generic[S]):
    """A job's execution context: typed settings and the platform tooling.

    Make one with `Job.init()`. Use it in a ``with`` block (or subclass it, implement
    `run()` and call `start()`) so that it completes on success and fails on an
    exception or SIGTERM. Generic in its settings type: ``class Train(Job[Settings])``
    (an attrs class-first, pydantic or generated class) makes `Settings` the schema, or
    the class the settings are made into when `init` is given a schema.
    """

    _brevetti_runtime_job = True  # declares no settings type (see _declared.py)

    def __init__(self, setup: Setup) -> None:
        self._description = setup.description
        self._identity = setup.identity
        self._job_dir = setup.job_dir
        self._settings: S = setup.settings
        self._settings_warnings: tuple[SettingsProblem, ...] = setup.warnings
        self._schema = setup.schema
        self._tree = setup.tree
        self._env = setup.env
        self._backend = setup.backend
        self._metrics: dict[str, Any] = {}
        self._ended: str | None = None
        self._temp_dir: Path | None = None
        self._lock = threading.RLock()
        self._previous_sigterm: Any = None
        self._storage: Storage | None = None
        self._datasets: tuple[Dataset, ...] | None = None
        self._scrub = Scrubber.for_settings(setup.description.api_key, setup.schema, setup.tree)
        self._console: Console | None = None

    # -- construction -------------------------------------------------------------

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        schema: None = None,
        *,
        into: None = None,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
        console: bool = True,
    ) -> Self: ...

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        *,
        schema: type[T],
        into: None = None,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
        console: bool = True,
    ) -> Job[T]: ...

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None,
        api_key: str | None,
        schema: type[T],
        *,
        into: None = None,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
        console: bool = True,
    ) -> Job[T]: ...

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        schema: SchemaSource = None,
        *,
        into: type[T],
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
        console: bool = True,
    ) -> Job[T]: ...

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        schema: SchemaSource = None,
        *,
        into: None = None,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
        console: bool = True,
    ) -> Job[Any]: ...

    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        schema: SchemaSource = None,
        *,
        into: type | None = None,
        settings: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        info_file: str | os.PathLike[str] | None = None,
        job_dir: str | os.PathLike[str] | None = None,
        host: str | None = None,
        preset: str | None = None,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        kind: str | None = None,
        console: bool = True,
    ) -> Any:
        """Find the job, load its description, validate its settings; see the README.

        Identity comes from the arguments, then `argv` (default ``sys.argv[1:]``), then
        `env` (default ``os.environ``), then the hosted container's hyperparameter file.
        Invalid settings raise `SettingsError` after recording the job as failed.
        `into` is the class the settings are made into (a class from ``brevetti-schema
        codegen``, an attrs or pydantic class matching the schema); a class-first
        `schema` is its own. Without `schema`, the settings type of a subclass (``class
        Train(Job[Settings])`` or a ``settings: Settings`` annotation) is the schema;
        with a schema that is no class (a file, a builder), that type is `into`. The job
        shows its start, progress and end on stderr unless `console` is false or argv has
        ``--quiet``.
        """
        return cls._open(
            schema, into, console, job_id=job_id, api_key=api_key, settings=settings,
            info_file=info_file, job_dir=job_dir, host=host, preset=preset, argv=argv, env=env,
            strict=strict, kind=kind,
        )  # fmt: skip

    @classmethod
    def _open(cls, schema: Any, into: type | None, console: bool, **arguments: Any) -> Any:
        """`init` with `set_up`'s arguments (compat also gives a `description`)."""
        declared = declared_settings(cls)
        if schema is None:
            schema = declared
        elif into is None and declared is not None and not isinstance(schema, type):
            into = declared  # a schema of its own (a file, a builder) made into `Job[S]`'s S
        job = cls(set_up(schema=schema, into=into, **arguments))
        if console and not job._identity.quiet:
            from ._console import Console  # noqa: PLC0415 - only when a console is shown

            job._console = Console(sys.stderr, job.id, live=sys.stderr.isatty())
        job._start()
        return job

    def _start(self) -> None:
        write_status(self._job_dir, "running", kind=self._identity.kind)
        self.upload_job_output(check_dirty=False)
        logger.info("job %s started in %s (%s mode)", self.id, self._job_dir, self.mode)
        if self._console is not None:
            self._console.started(self.mode, self._job_dir, self.host_name)

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
    def settings(self) -> S:
        """The typed, frozen settings: an instance of the settings class (`Job[S]`,
        ``into=``, a class-first schema), else of the schema's live class; a read-only
        mapping when no schema was given."""
        return self._settings

    @property
    def settings_warnings(self) -> tuple[SettingsProblem, ...]:
        """What the settings were accepted with: unknown keys, values of inactive fields."""
        return self._settings_warnings

    @property
    def datasets(self) -> tuple[Dataset, ...]:
        """The datasets the job was given, as full records that read through `storage`:
        ``files()``, ``samples(class_mapping, classes)``.

        The description's, with ``--dataset NAME=PATH`` folders over them (by name) or
        after them; one without a ``bucket`` lies in the data bucket (``<data
        bucket>/<id>``, ``BREVETTIAI_DATA_BUCKET``).
        """
        with self._lock:
            if self._datasets is None:
                self._datasets = self._bound_datasets()
            return self._datasets

    def _bound_datasets(self) -> tuple[Dataset, ...]:
        from ._datasets import DEFAULT_HOST, Dataset  # noqa: PLC0415 - loaded on first use

        local = dict(self._identity.datasets)
        found: list[Dataset] = []
        for dataset in self._description.datasets:
            if dataset.name in local:
                dataset = attrs.evolve(dataset, bucket=_folder(local.pop(dataset.name)))
            elif not dataset.bucket:
                bucket = self._env.get("BREVETTIAI_DATA_BUCKET")
                if not bucket and self.mode == "platform":  # the platform's data bucket
                    from ._job_storage import data_bucket  # noqa: PLC0415

                    bucket = data_bucket(self._env)
                if not bucket:
                    raise JobConfigError(
                        f"dataset {dataset.name or dataset.id} ({dataset.id}) has no bucket and "
                        "no data bucket is known: set BREVETTIAI_DATA_BUCKET, or give "
                        f"--dataset {dataset.name or dataset.id}=FOLDER"
                    )
                dataset = attrs.evolve(dataset, bucket=f"{bucket.rstrip('/')}/{dataset.id}")
            found.append(dataset)
        found += [Dataset(id=name, name=name, bucket=_folder(path)) for name, path in local.items()]
        host = self.host_name or DEFAULT_HOST
        return tuple(dataset.bind(self.storage, host) for dataset in found)

    def save_samples(self, samples: Iterable[Sample], name: str = "samples.csv") -> Path:
        """Write a sample table (``;``-separated, the platform's columns) as the artifact
        `name`, and send it on like any artifact; returns its path."""
        from ._datasets import samples_csv  # noqa: PLC0415

        return self.upload_artifact(name, samples_csv(samples))

    @property
    def models(self) -> tuple[ModelUnderTest, ...]:
        """The models a test report was given (id, name; ``download``/``open_package``)."""
        from ._models import models_of  # noqa: PLC0415 - loads the package reader

        return models_of(self._description.models, getattr(self, "storage", None))

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
    def storage(self) -> Storage:
        """The job's storage: in platform mode its storage folder (``<data bucket>/<job
        id>``) with its datasets, through job-scoped credentials; in local mode its folder.

        Relative paths name objects in the job's folder (``job.storage.read_json(
        "artifacts/output.json")``); write files for the platform under `artifacts_dir`.
        """
        with self._lock:
            if self._storage is None:
                platform = getattr(self._backend, "storage", None)
                if platform is not None:
                    self._storage = platform
                else:
                    from ._storage import Storage, cache_from_environment  # noqa: PLC0415

                    cache = cache_from_environment(self._identity.cache_path)
                    self._storage = Storage(self._job_dir, cache=cache)
            return self._storage

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
            import tempfile  # noqa: PLC0415 - only for a job that asks for one

            self._temp_dir = Path(tempfile.mkdtemp(prefix=f"brevetti-{self.id}-"))
        return self._temp_dir

    @property
    def ended(self) -> str | None:
        """``"completed"`` or ``"failed"`` once the job has ended, else ``None``."""
        return self._ended

    def scrub(self, text: str) -> str:
        """`text` with the API key and every secret setting's value masked."""
        return self._scrub(text)

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
                raise JobArgumentError(f"cannot upload {source}: not a file")
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            import shutil  # noqa: PLC0415 - only for a file to copy

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
            "job": self._description.to_json(mask=True, settings=settings),
        }
        masked: dict[str, Any] = self._masked(document)
        return masked

    def _masked(self, data: Any) -> Any:
        """`data` with the API key and secret values masked wherever they appear."""
        if isinstance(data, str):
            return self._scrub(data)
        if isinstance(data, Mapping):
            return {self._scrub(str(k)): self._masked(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self._masked(v) for v in data]
        return data

    def upload_job_output(self, *, check_dirty: bool = True) -> Path:
        """Write artifacts/output.json atomically and send it to the platform, after every
        artifact file that changed since it was last sent (see `sync_artifacts`)."""
        self._check_open("upload the output")
        return self._write_output(check_dirty=check_dirty)

    def sync_artifacts(self) -> int:
        """Send every file under artifacts/ that changed since it was last sent, however it
        was written (`artifact_path`, a plain write into `artifacts_dir`); returns how
        many. Unchanged files are skipped; local mode sends nothing (returns 0).
        """
        self._check_open("sync the artifacts")
        with self._lock:
            return self._backend.sync_artifacts()

    def _write_output(self, *, check_dirty: bool, sync: bool = True) -> Path:
        with self._lock:
            if sync:
                self._backend.sync_artifacts()
            document = self.output_document(check_dirty=check_dirty)
            path = self.artifacts_dir / "output.json"
            atomic_write_json(path, document)
        self._backend.put_output(document)
        return path

    def upload_chart(self, name: str, spec: Mapping[str, Any] | str) -> Path:
        """Store a Vega-Lite chart (a mapping, or its JSON text) under charts/ and send it on."""
        self._check_open("upload a chart")
        check_name(name, "chart name")
        data = _chart_from_text(name, spec) if isinstance(spec, str) else spec
        if not isinstance(data, Mapping):
            raise JobArgumentTypeError(f"chart {name!r}: a Vega-Lite spec must be a mapping")
        try:
            json.dumps(data, allow_nan=False, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise JobArgumentError(
                f"chart {name!r}: the spec holds text that is not valid (a lone surrogate, "
                "e.g. from os.fsdecode); pass text that is valid UTF-8"
            ) from None
        except (TypeError, ValueError) as exc:
            raise JobArgumentError(f"chart {name!r}: the spec is not JSON data: {exc}") from None
        path = safe_child(self._job_dir / "charts", f"{name}.json")
        data = self._masked(dict(data))
        atomic_write_json(path, data)
        self._backend.post_chart(name, data)
        return path

    def report_progress(self, epoch: int, total: int | None = None, **metrics: Any) -> None:
        """Log one epoch's metrics locally and send them on (each record, in order).

        `total` (the number of epochs planned, if known) lets the console show an ETA.
        """
        record = {"epoch": epoch, **{k: checked_metric(k, v) for k, v in metrics.items()}}
        self._check_open("report progress")
        record["time"] = round(time.time(), 3)
        record = self._masked(record)
        line = json.dumps(record, allow_nan=False) + "\n"
        with self._lock:
            with (self._job_dir / "progress.jsonl").open("a", encoding="utf-8") as log:
                log.write(line)
            self._backend.post_progress(record)
            if self._console is not None:
                shown = {k: v for k, v in record.items() if k not in ("epoch", "time")}
                self._console.progress(epoch, shown, total)

    # -- the end --------------------------------------------------------------------

    def complete_job(
        self, model_archive: str | os.PathLike[str] | ModelPackage | None = None
    ) -> str | None:
        """Complete the job once; returns the archive path relative to the job folder.

        An archive outside the job folder is first copied into artifacts/; a
        `ModelPackage` is written there (named after the job unless it has a name).
        """
        return self._complete(model_archive)

    def _complete(
        self,
        model_archive: str | os.PathLike[str] | ModelPackage | None,
        params: Sequence[tuple[str, str]] = (),
    ) -> str | None:
        """`complete_job`, with extra query parameters for the completion call (compat)."""
        with self._lock:
            if self._ended is not None:
                logger.info("job %s already %s; complete_job does nothing", self.id, self._ended)
                return None
            if _is_package(model_archive):
                model_archive = self._write_package(model_archive)
            model_path = "" if model_archive is None else self._place_archive(Path(model_archive))
            self._write_output(check_dirty=True)
            self._backend.complete(model_path, params)
            # the platform has (or will get, from the outbox) the completion: it stands
            self._ended = "completed"
            try:
                write_status(self._job_dir, "completed", model_path=model_path, kind=self.kind)
            finally:
                self._cleanup()
        logger.info("job %s completed (model: %s)", self.id, model_path or "none")
        if self._console is not None:
            self._console.completed(model_path)
        return model_path

    def _write_package(self, package: ModelPackage) -> Path:
        if package.settings is None:
            if self._schema is not None:
                tree = encode_settings(self._schema, self._tree, secrets="mask")
            else:
                tree = dict(self._tree)
            package.settings = self._masked(tree)
        return package.write(
            self.artifacts_dir, id=self.id, name=self.name, producer=type(self).__name__
        )

    def _place_archive(self, archive: Path) -> str:
        if not archive.is_file():
            raise JobArgumentError(f"model archive {archive} does not exist")
        root = self._job_dir.resolve()
        resolved = archive.resolve()
        if root not in resolved.parents:
            target = self.artifact_path(archive.name)
            temp = target.with_name(f".{target.name}.tmp")
            import shutil  # noqa: PLC0415 - only for an archive to copy in

            shutil.copyfile(resolved, temp)
            temp.replace(target)
            resolved = target.resolve()
        relative = resolved.relative_to(root).as_posix()
        if relative.startswith("artifacts/"):
            self._backend.put_artifact(relative[len("artifacts/") :], resolved)
        return relative

    def fail(self, reason: str) -> None:
        """Record the job as failed with `reason` (bounded); once, like completion."""
        reason = self.scrub(str(reason)) or "failed"
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 20] + " ... (cut)"
        with self._lock:
            if self._ended is not None:
                logger.info("job %s already %s; fail does nothing", self.id, self._ended)
                return
            self._ended = "failed"
            steps: tuple[tuple[str, Callable[[], object]], ...] = (
                ("the artifacts", self._backend.sync_artifacts),
                ("output.json", lambda: self._write_output(check_dirty=True, sync=False)),
                ("status.json", lambda: self._write_failed_status(reason)),
                ("the failure file", lambda: write_failure_file(self._env, self._identity, reason)),
                ("the platform", lambda: self._backend.fail(reason)),
                ("the clean-up", self._cleanup),
            )
            for where, step in steps:  # each one that can be done is done (a full disk...)
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 - recorded wherever still possible
                    logger.error(
                        "job %s: could not record the failure in %s: %s",
                        self.id, where, self._masked(_describe_exception(exc)),
                    )  # fmt: skip
        logger.error("job %s failed: %s", self.id, reason)
        if self._console is not None:
            self._console.failed(reason, self._job_dir / "status.json")

    def _write_failed_status(self, reason: str) -> None:
        write_status(self._job_dir, "failed", reason=reason, kind=self.kind)

    def _cleanup(self) -> None:
        if self._temp_dir is not None:
            import shutil  # noqa: PLC0415 - loaded by now (tempfile uses it)

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
                    self._complete_or_fail()
            elif self._ended is None:
                self.fail(_describe_exception(exc))
        finally:
            self._restore_sigterm()

    def _complete_or_fail(self) -> None:
        """Complete at the end of a block; if that raises, fail and raise on (exit != 0)."""
        try:
            self.complete_job()
        except BaseException as exc:
            if self._ended is None:
                self.fail(f"could not complete: {_describe_exception(exc)}")
            raise

    def _install_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        import signal  # noqa: PLC0415 - only for a job run in a with block

        def terminated(signum: int, frame: FrameType | None) -> None:
            self.fail("terminated (SIGTERM)")
            raise SystemExit(128 + signal.SIGTERM)

        self._previous_sigterm = signal.signal(signal.SIGTERM, terminated)

    def _restore_sigterm(self) -> None:
        if self._previous_sigterm is not None:
            import signal  # noqa: PLC0415 - loaded by _install_sigterm

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
        """Write a local job description (info.json) with validated settings; its folder.

        Invalid settings raise `SettingsError` and leave nothing behind.
        """
        setup = set_up(
            job_id, None, schema, settings=settings, info_file=None, job_dir=job_dir,
            host=None, preset=preset, argv=[f"--{o}" for o in overrides], env={}, strict=False,
            kind=None, record_failure=False,
        )  # fmt: skip
        if not setup.created and (settings or preset or overrides):
            write_description(setup)
        return setup.job_dir

    @classmethod
    def main(cls, schema: Any = None, argv: Sequence[str] | None = None, **kwargs: Any) -> int:
        """A command-line entry: init from argv, `start()`, and an exit status.

        Invalid settings or arguments print a readable report and give 1; an exception
        in `run()` fails the job and gives 1 with the traceback on stderr.
        """
        from ._entry import run_main  # noqa: PLC0415 - only for a command-line entry

        return run_main(cls, cls.init, schema, argv, kwargs)


def _is_package(value: object) -> TypeIs[ModelPackage]:
    """Whether `value` is a `ModelPackage`; a path or None loads no package code."""
    if value is None or isinstance(value, str | os.PathLike):
        return False
    from ._package import ModelPackage  # noqa: PLC0415 - only for a package to write

    return isinstance(value, ModelPackage)


def _chart_from_text(name: str, text: str) -> Any:
    """A chart spec given as JSON text (brevettiai's chart helpers return text)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobArgumentError(f"chart {name!r}: the spec is not valid JSON text: {exc}") from None


def _folder(path: str) -> str:
    """A ``--dataset`` folder as an absolute path (a URL stays as it is)."""
    return path if "://" in path else str(Path(path).expanduser().resolve())


def _clean_exit(exc: BaseException) -> bool:
    """``sys.exit()`` or ``sys.exit(0)`` inside the job: a normal end, not a failure."""
    return isinstance(exc, SystemExit) and exc.code in (None, 0)


def _describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
