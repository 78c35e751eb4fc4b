"""brevettiai's job API on top of `brevetti_job`: existing job scripts run after changing

    from brevettiai.platform import Job      # or: from brevettiai import Job, JobSettings

to ``from brevetti_job.compat import Job`` (and ``JobSettings``). The names, argument
order and return values are brevettiai's; the behaviour underneath is the main API's
(typed settings, failures recorded, the outbox), so every method here is a thin adapter
over a `brevetti_job.Job`, which `job.main` gives you for what brevettiai did not have.
See docs/migration.md for what changes.
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Generic, Self, overload
from urllib.parse import parse_qsl

from brevetti_schema import (
    Field,
    Schema,
    Section,
    SettingsError,
    load_schema,
    resolve_settings,
    settings_target,
)

from ._declared import declared_settings
from ._description import JobDescription
from ._errors import JobArgumentError, JobConfigError, JobStateError
from ._files import safe_child
from ._identity import _FLAGS, LAUNCHER_FLAGS
from ._job import Job as MainJob
from ._raw_settings import set_setting
from ._storage import Storage

if TYPE_CHECKING:
    from pydantic import BaseModel
    from typing_extensions import TypeVar

    class JobSettings(BaseModel):
        """brevettiai's settings base class (a pydantic model with `extra`)."""

        extra: dict[str, Any]

    S = TypeVar("S", default=Any)
    """The settings type: ``class TrainJob(Job[Settings])`` or ``settings: Settings``."""
else:
    from typing import TypeVar

    S = TypeVar("S")
T = TypeVar("T")


__all__ = ["Job", "JobSettings"]

logger = logging.getLogger("brevetti_job.compat")

DEFAULT_PACKAGE: Final = "saved_model.tar.gz"
"""Where brevettiai put a model archive given as a temporary file."""

_IGNORED_KWARGS: Final = frozenset(
    {"io", "backend", "cache_remote_files", "init_raygun", "on_sagemaker", "data_bucket"}
)
"""brevettiai `Job.init` keywords for its own machinery; accepted and not needed here."""

_MAIN_KWARGS: Final = frozenset(
    {"schema", "into", "settings", "job_dir", "host", "preset", "argv", "env", "strict", "kind"}
    | {"console"}
)
_MAIN_DEFAULTS: Final[Mapping[str, Any]] = {
    "settings": None, "job_dir": None, "host": None, "preset": None, "argv": None,
    "env": None, "strict": False, "kind": None,
}  # fmt: skip
"""The main API's defaults of the keywords compat passes on (`MainJob.init`'s)."""

_SCHEMA_SUFFIXES: Final = (".json", ".yaml", ".yml")
"""Endings of a settings-schema file given where brevettiai 0.5 took `schema_path`."""


def __getattr__(name: str) -> Any:
    if name == "JobSettings":
        value = _job_settings_class()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _job_settings_class() -> type:
    """brevettiai's `JobSettings`, made on first use so that pydantic stays optional."""
    from pydantic import BaseModel  # noqa: PLC0415
    from pydantic import Field as PydanticField  # noqa: PLC0415

    class JobSettings(BaseModel):
        """Base class of a job's pydantic settings; `extra` holds unknown settings."""

        extra: dict[str, Any] = PydanticField(
            default_factory=dict, json_schema_extra={"exclude": True}
        )

    JobSettings.__module__ = __name__
    return JobSettings


# -- files --------------------------------------------------------------------------------


class _JobFiles:
    """The one seam between `job.io` and storage: bytes by path through a `Storage`.

    The job's own storage (``job.storage``) when the runtime gives it one, so that
    ``s3://`` URLs of the job's folder and datasets can be read; else a `Storage` of the
    local job folder. Relative paths are taken from the working folder, as brevettiai
    did. Writes stay inside the job folder and the job's temporary folder; anything in
    ``artifacts/`` goes through the job's artifact upload, so it reaches the platform.
    """

    def __init__(self, job: Job) -> None:
        self._job = job
        self._local = Storage(root=job.main.job_dir)

    def storage(self) -> Storage:
        """The storage in use: the job's own, or the local one."""
        own = getattr(self._job.main, "storage", None)
        return own if isinstance(own, Storage) else self._local

    def read(self, path: str) -> bytes:
        storage = self.storage()
        if "://" in path:
            if storage is self._local or self._job.main.mode != "platform":
                raise JobStateError(f"cannot read {path}: this job has no remote storage")
            return storage.read_bytes(path)
        return storage.read_bytes(Path(path).resolve())

    def write(self, path: str, data: bytes) -> None:
        if "://" in path:
            raise JobArgumentError(f"cannot write {path}: a job writes its files by path")
        target = Path(path).resolve()
        artifacts = self._job.main.artifacts_dir.resolve()
        if target == artifacts or artifacts in target.parents:
            self._job.main.upload_artifact(target.relative_to(artifacts).as_posix(), data)
            return
        for root in (self._job.main.job_dir.resolve(), self._job.temp_root.resolve()):
            if root in target.parents:
                safe_child(root, target.relative_to(root).as_posix())
                target.parent.mkdir(parents=True, exist_ok=True)
                self._local.write_bytes(target, data)
                return
        raise JobArgumentError(
            f"cannot write {path}: a job writes inside its folder or its temporary folder"
        )


class IoTools:
    """brevettiai's ``job.io``: read and write files by path, make folders, copy."""

    path = os.path
    """Path helpers (``io.path.join`` ...), as brevettiai's `io.path`."""

    def __init__(self, files: _JobFiles) -> None:
        self._files = files

    def read_file(self, path: str | os.PathLike[str]) -> bytes:
        """The content of a file."""
        return self._files.read(os.fspath(path))

    def write_file(self, path: str | os.PathLike[str], content: bytes | str) -> None:
        """Write a file (text as UTF-8), atomically; artifacts are also uploaded."""
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        self._files.write(os.fspath(path), data)

    def copy(self, src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        """Copy a file to another path (the same rules as `write_file`)."""
        self.write_file(dst, self.read_file(src))

    def make_dirs(self, path: str | os.PathLike[str]) -> None:
        """Make a folder and its parents."""
        Path(path).mkdir(parents=True, exist_ok=True)


# -- settings -----------------------------------------------------------------------------


class SettingsView:
    """brevettiai's settings object for settings that are not a pydantic `JobSettings`:
    the typed settings' attributes (keys of a mapping too), plus `extra`."""

    __slots__ = ("_settings", "extra")

    def __init__(self, settings: Any, extra: Mapping[str, Any]) -> None:
        self._settings = settings
        self.extra = dict(extra)

    def __getattr__(self, name: str) -> Any:
        settings = object.__getattribute__(self, "_settings")
        if isinstance(settings, Mapping):
            try:
                value = settings[name]
            except KeyError:
                raise AttributeError(name) from None
            return SettingsView(value, {}) if isinstance(value, Mapping) else value
        return getattr(settings, name)

    def __getitem__(self, key: str) -> Any:
        return self._settings[key]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SettingsView):
            return bool(self._settings == other._settings and self.extra == other.extra)
        return bool(self._settings == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self._settings!r} (extra={sorted(self.extra)})"


def _split_argv(argv: Sequence[str], paths: set[str] | None) -> tuple[list[str], dict[str, Any]]:
    """Arguments the main API knows, and the unknown ``--a.b VALUE`` ones as a tree
    (brevettiai kept those; they end up in ``settings.extra``)."""
    known = set(_FLAGS) | set(LAUNCHER_FLAGS)
    kept: list[str] = []
    extra: dict[str, Any] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        name, has_value, value = token[2:].partition("=")
        name = name.replace("-", "_") if "." not in name else name
        takes = not has_value and index + 1 < len(argv) and not argv[index + 1].startswith("--")
        step = 2 if takes else 1
        if not token.startswith("--") or name in known or paths is None or name in paths:
            kept += argv[index : index + step]
        elif has_value or takes:
            set_setting(extra, name, value if has_value else argv[index + 1])
        else:
            kept.append(token)  # a flag without a value: the main API says what is wrong
        index += step
    return kept, extra


def _unknown_settings(schema: Schema | None, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in `raw` that `schema` does not declare, as a tree."""
    if schema is None:
        return {}
    found: dict[str, Any] = {}

    def walk(level: Mapping[str, Any], prefix: str) -> None:
        for key, value in level.items():
            path = f"{prefix}{key}"
            node = schema.find(path)
            if isinstance(node, Section) and isinstance(value, Mapping):
                walk(value, path + ".")
            elif not isinstance(node, Field | Section):
                set_setting(found, path, value)

    walk(raw, "")
    return found


def _merged(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(a)
    for key, value in b.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


# -- the job ------------------------------------------------------------------------------


class Job(Generic[S]):
    """A job with brevettiai's API. Make one with `Job.init()`; subclass it with a
    ``settings: MySettings`` annotation (or as ``Job[MySettings]``) and a `run()` for
    `start()`, as in brevettiai 2.0."""

    _brevetti_runtime_job = True  # declares no settings type (see _declared.py)

    def __init__(
        self,
        main: MainJob,
        extra: Mapping[str, Any],
        cache_path: str | None,
        own_class: bool = False,
        legacy: type | None = None,
    ) -> None:
        self._main = main
        self._run_id = main.run_id or datetime.now().strftime("%Y-%m-%dT%H%M%S")
        self._cache_path = cache_path
        if legacy is not None:
            self._settings: S = _legacy_instance(legacy, main._tree, extra)
        else:
            self._settings = self._with_extra(main.settings, extra, own_class)
        self.io = IoTools(_JobFiles(self))

    @staticmethod
    def _with_extra(settings: Any, extra: Mapping[str, Any], own_class: bool) -> Any:
        """The settings with `extra`: set on a `JobSettings`, an instance of any other
        class of yours kept as it is, brevettiai's view around the rest."""
        fields = getattr(type(settings), "model_fields", None)
        if isinstance(fields, Mapping) and "extra" in fields:  # a pydantic JobSettings
            return settings.model_copy(update={"extra": dict(extra)})
        if own_class:
            if extra:
                logger.warning(
                    "settings.extra is not kept: %s has no 'extra' field", type(settings).__name__
                )
            return settings
        return SettingsView(settings, extra)

    # -- construction -------------------------------------------------------------

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        cache_path: str | None = None,
        info_file: str | os.PathLike[str] | None = None,
        type_selector: Iterable[type[Job]] | Callable[[dict[str, Any]], type[Job]] | None = None,
        job_config: Mapping[str, Any] | None = None,
        log_level: int | str = logging.INFO,
        *,
        schema: type[T],
        **kwargs: Any,
    ) -> Job[T]: ...

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        cache_path: str | None = None,
        info_file: str | os.PathLike[str] | None = None,
        type_selector: Iterable[type[Job]] | Callable[[dict[str, Any]], type[Job]] | None = None,
        job_config: Mapping[str, Any] | None = None,
        log_level: int | str = logging.INFO,
        *,
        into: type[T],
        **kwargs: Any,
    ) -> Job[T]: ...

    @overload
    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        cache_path: str | None = None,
        info_file: str | os.PathLike[str] | None = None,
        type_selector: Iterable[type[Job]] | Callable[[dict[str, Any]], type[Job]] | None = None,
        job_config: Mapping[str, Any] | None = None,
        log_level: int | str = logging.INFO,
        **kwargs: Any,
    ) -> Self: ...

    @classmethod
    def init(
        cls,
        job_id: str | None = None,
        api_key: str | None = None,
        cache_path: str | None = None,
        info_file: str | os.PathLike[str] | None = None,
        type_selector: Iterable[type[Job]] | Callable[[dict[str, Any]], type[Job]] | None = None,
        job_config: Mapping[str, Any] | None = None,
        log_level: int | str = logging.INFO,
        **kwargs: Any,
    ) -> Any:
        """Find the job and validate its settings, with brevettiai's arguments.

        Configures logging as brevettiai did (``logging.basicConfig()``, the root logger
        at `log_level`, urllib3 at WARNING). `job_config` is the job description given
        as data, in local and platform mode (there the job connects as usual, but the
        platform's description is not used); its ``id`` and ``api_key`` serve when no
        other is given. `type_selector` picks the job class from the description: a
        callable given it, or the first class whose settings accept its settings. Also
        takes the main API's keywords (``schema``, ``into``, ``job_dir``, ``host``,
        ``argv``, ``env`` ...) and, from brevettiai 0.5, ``schema_path``; an existing
        .json/.yaml/.yml file (or a compat `SchemaBuilder`) given first, where 0.5 took
        `schema_path`, is taken as it, with a `DeprecationWarning`. Without a schema
        or a declared settings type, a 0.5 job's nested ``Settings`` class (a
        `brevetti_schema.compat.VueSettingsModule`) is the schema, and `settings` an
        instance of it.
        """
        logging.basicConfig()
        logging.getLogger().setLevel(log_level)
        for chatty in ("urllib3", "charset_normalizer"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
        if _is_schema_path(job_id):  # brevettiai 0.5: ``Job.init(schema_path, ...)``
            if "schema_path" in kwargs or "schema" in kwargs:
                raise TypeError(
                    "Job.init() got a schema as its first argument (brevettiai 0.5's "
                    "schema_path) and a schema_path= or schema= keyword as well"
                )
            warnings.warn(
                "Job.init(): the first argument is job_id (brevettiai 2.0's order); a "
                "schema there is taken as brevettiai 0.5's schema_path, but pass it as "
                "schema_path= by keyword",
                DeprecationWarning,
                stacklevel=2,
            )
            kwargs["schema_path"], job_id = job_id, None
        elif isinstance(job_id, str) and job_id.lower().endswith(_SCHEMA_SUFFIXES):
            logger.warning("job id %r names no file: a schema path goes in schema_path=", job_id)
        if "schema_path" in kwargs:
            if "schema" in kwargs:
                raise TypeError("Job.init() got both schema_path= and schema=")
            kwargs["schema"] = kwargs.pop("schema_path")
        for name in sorted(set(kwargs) & _IGNORED_KWARGS):
            logger.debug("Job.init: %s= is not needed by brevetti_job and is ignored", name)
            kwargs.pop(name)
        unknown = set(kwargs) - _MAIN_KWARGS
        if unknown:
            raise TypeError(f"Job.init() got unexpected keyword arguments {sorted(unknown)}")
        argv = list(sys.argv[1:] if kwargs.get("argv") is None else kwargs["argv"])
        given: JobDescription | None = None
        if job_config is not None:
            if info_file is not None:
                raise JobConfigError("give job_config or info_file, not both")
            given = JobDescription.from_json(dict(job_config), source="job_config")
            job_id = job_id or given.id
            api_key = api_key or given.api_key
        job_class = cls._select(type_selector, given, info_file, kwargs.get("job_dir"))
        schema = kwargs.pop("schema", None)
        into = kwargs.pop("into", None)
        console = bool(kwargs.pop("console", True))
        declared = declared_settings(job_class)
        legacy = _legacy_settings(job_class) if schema is None and declared is None else None
        if legacy is not None:  # brevettiai 0.5: ``class Settings(VueSettingsModule)`` inside
            schema = legacy.get_schema()  # type: ignore[attr-defined]
        elif schema is None:
            schema = declared
        elif into is None and declared is not None and not isinstance(schema, type):
            into = declared  # a schema of its own (a file, a builder) made into `Job[S]`'s S
        model = load_schema(schema) if schema is not None else None
        paths = {path for path, _ in model.fields()} if model is not None else None
        kept, extra_args = _split_argv(argv, paths)
        for name in sorted(_leaves(extra_args)):
            close = difflib.get_close_matches(name, sorted(paths or ()), n=1)
            hint = f" (did you mean --{close[0]}?)" if close else ""
            logger.warning("argument --%s is no setting: kept in settings.extra%s", name, hint)
        kwargs["argv"] = kept
        arguments = dict(_MAIN_DEFAULTS, **kwargs)
        hyper: dict[str, str] = {}  # on the hosted service brevettiai read these as argv
        main = MainJob._open(
            schema, into, console, job_id=job_id, api_key=api_key, info_file=info_file,
            description=given, unknown_hyperparameters=hyper, **arguments,
        )  # fmt: skip
        hyper_extra: dict[str, Any] = {}
        for name in sorted(hyper):
            close = difflib.get_close_matches(name, sorted(paths or ()), n=1)
            hint = f" (did you mean --{close[0]}?)" if close else ""
            logger.warning("hyperparameter %s is no setting: kept in settings.extra%s", name, hint)
            set_setting(hyper_extra, name, hyper[name])
        arguments_extra = _merged(hyper_extra, extra_args)  # the command line wins
        extra = _merged(_unknown_settings(model, main.description.settings), arguments_extra)
        target = into if into is not None else settings_target(schema)
        own_class = isinstance(target, type) and settings_target(target) is not None
        job = job_class(main, extra, cache_path or main._identity.cache_path, own_class, legacy)
        logger.info("%s initialized", job_class.__name__)
        return job

    @classmethod
    def _select(
        cls,
        selector: Iterable[type[Job]] | Callable[[dict[str, Any]], type[Job]] | None,
        given: JobDescription | None,
        info_file: str | os.PathLike[str] | None,
        job_dir: Any,
    ) -> type[Self]:
        if selector is None:
            return cls
        if given is None:
            path = Path(info_file) if info_file is not None else None
            if path is None and job_dir is not None:
                path = Path(job_dir) / "info.json"
            if path is None or not path.is_file():
                raise JobConfigError(
                    "type_selector needs the job description: give info_file or job_config"
                )
            given = JobDescription.from_file(path)
        description = given.to_json(mask=True)
        if callable(selector) and not isinstance(selector, type):
            chosen: Any = selector(description)
            return chosen  # type: ignore[no-any-return]
        candidates: list[type[Job]] = list(selector)  # type: ignore[arg-type]
        for candidate in candidates:
            schema = declared_settings(candidate)
            try:
                if schema is not None:
                    resolve_settings(load_schema(schema), dict(description["settings"]))
            except SettingsError:
                continue
            return candidate  # type: ignore[return-value]
        names = ", ".join(c.__name__ for c in candidates)
        raise JobConfigError(f"no job type accepts the job's settings (tried {names})")

    # -- what the job is ------------------------------------------------------------

    @property
    def main(self) -> MainJob:
        """The `brevetti_job.Job` underneath: the rest of the main API."""
        return self._main

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._main, name)

    @property
    def id(self) -> str:
        """The job's id."""
        return self._main.id

    @property
    def name(self) -> str:
        """The job's name."""
        return self._main.name

    @property
    def run_id(self) -> str:
        """The platform's run id, else a timestamp taken at `init` (as brevettiai)."""
        return self._run_id

    @property
    def settings(self) -> S:
        """The typed settings; ``settings.extra`` holds settings the schema does not know."""
        return self._settings

    @property
    def api_key(self) -> str | None:
        """The job's API key (never in a repr, a log or a file the job writes)."""
        return self._main.description.api_key or self._main._identity.api_key

    @property
    def job_dir(self) -> str:
        """The job folder."""
        return str(self._main.job_dir)

    @property
    def artifacts_path(self) -> str:
        """The artifacts folder."""
        return str(self._main.artifacts_dir)

    @property
    def temp_root(self) -> Path:
        """The temporary folder: `cache_path` if given, else one removed at the end."""
        return Path(self._cache_path) if self._cache_path else self._main.temp_dir

    @property
    def job_output(self) -> dict[str, Any]:
        """What output.json holds now: metrics, environment and the masked description."""
        return self._main.output_document()

    def __repr__(self) -> str:
        return f"<compat {self._main!r}>"

    # -- paths ------------------------------------------------------------------------

    def artifact_path(self, *paths: str, dir: bool = False) -> str:
        """A path under artifacts/ with its folders made (all of it with ``dir=True``)."""
        path = self._main.artifact_path(*paths)
        if dir:
            path.mkdir(exist_ok=True)
        return str(path)

    def temp_path(self, *paths: str, dir: bool = False) -> str:
        """A path under the temporary folder with its folders made."""
        root = self.temp_root
        root.mkdir(parents=True, exist_ok=True)
        if not paths:
            return str(root)
        path = safe_child(root, *paths)
        (path if dir else path.parent).mkdir(parents=True, exist_ok=True)
        return str(path)

    # -- artifacts, metrics, charts -------------------------------------------------------

    def upload_artifact(
        self, artifact_name: str | Sequence[str], payload: Any, is_file: bool = False
    ) -> str:
        """Store an artifact (bytes, text, or with ``is_file`` a file's path); its path
        relative to the job folder. `artifact_name` may be a tuple of path parts."""
        parts = (artifact_name,) if isinstance(artifact_name, str) else tuple(artifact_name)
        name = "/".join(str(p) for p in parts)
        logger.info("Uploading %s", name)
        data = Path(payload) if is_file else payload
        path = self._main.upload_artifact(name, data)
        return path.relative_to(self._main.job_dir).as_posix()

    def upload_chart(self, name: str, vegalite_json: str | Mapping[str, Any]) -> Path:
        """Store and send a Vega-Lite chart given as JSON text (or a mapping)."""
        return self._main.upload_chart(name, vegalite_json)

    def add_output_metric(self, key: str, metric: Any) -> None:
        """Record a metric for output.json (checked now: JSON values, finite numbers)."""
        self._main.add_output_metric(key, metric)

    def add_output_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Record several metrics."""
        self._main.add_output_metrics(metrics)

    def upload_job_output(self, path: str = "output.json") -> str:
        """Write output.json (and send it); its path relative to the job folder."""
        if path == "output.json":
            written = self._main.upload_job_output()
        else:
            document = json.dumps(self._main.output_document(check_dirty=True), indent=2)
            written = self._main.upload_artifact(path, document)
        return written.relative_to(self._main.job_dir).as_posix()

    # -- the end ----------------------------------------------------------------------

    def complete(
        self,
        tmp_package_path: str | os.PathLike[str] | None = None,
        package_path: str | os.PathLike[str] | None = None,
        output_args: str | None = None,
    ) -> str | None:
        """Complete the job: with a model archive in the job folder (`package_path`), or
        one copied to artifacts/saved_model.tar.gz (`tmp_package_path`); the archive's
        path relative to the job folder. `output_args` (such as ``"&a=1"``) are added to
        the completion call's query, as brevettiai appended them to its URL."""
        params = parse_qsl(output_args.lstrip("?&"), keep_blank_values=True) if output_args else []
        archive: str | os.PathLike[str] | None = None
        if package_path is not None:
            archive = self._inside_job(package_path)
        elif tmp_package_path is not None:
            target = self._main.artifact_path(DEFAULT_PACKAGE)
            temp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(tmp_package_path, temp)
            temp.replace(target)
            archive = target
        return self._main._complete(archive, params)

    def complete_job(
        self,
        tmp_package_path: str | os.PathLike[str] | None = None,
        package_path: str | os.PathLike[str] | None = None,
        output_args: str | None = None,
    ) -> str | None:
        """`complete` under its brevettiai 0.5 name."""
        return self.complete(tmp_package_path, package_path, output_args)

    def _inside_job(self, package_path: str | os.PathLike[str]) -> Path:
        path = Path(package_path)
        if not path.is_absolute():
            path = self._main.job_dir / path
        root = self._main.job_dir.resolve()
        if root not in path.resolve().parents:
            raise JobArgumentError(
                f"package path {os.fspath(package_path)!r} must lie in the job folder"
            )
        return path

    def run(self) -> str | os.PathLike[str] | None:
        """Override: do the work; return the model archive's path (or None)."""
        return None

    def start(
        self,
        resolve_access_rights: bool = True,
        cache_remote_files: bool = True,
        set_credentials: bool = True,
        complete_job: bool = True,
    ) -> str | os.PathLike[str] | None:
        """Run `run()`; complete with its archive (unless ``complete_job=False``), or
        record the failure if it raises (also on SIGTERM). Access rights, credentials
        and caching are set up by `init` already; those flags change nothing."""
        main = self._main
        main.__enter__()
        try:
            path = self.run()
            if complete_job and main.ended is None:
                main.complete_job(path)  # an archive outside the job folder is copied in
        except BaseException as exc:
            main.__exit__(type(exc), exc, exc.__traceback__)
            raise
        main._restore_sigterm()
        return path

    def __enter__(self) -> Self:
        self._main.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._main.__exit__(*exc_info)


def _is_schema_path(value: object) -> bool:
    """Whether `value` names an existing settings-schema file (.json, .yaml, .yml) or is
    a compat `SchemaBuilder`: never a job id, so brevettiai 0.5's first argument."""
    compat = sys.modules.get("brevetti_schema.compat")
    if compat is not None and isinstance(value, compat.SchemaBuilder):
        return True
    if not isinstance(value, str | os.PathLike):
        return False
    text = os.fspath(value)
    if not isinstance(text, str) or not text.lower().endswith(_SCHEMA_SUFFIXES):
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name the system cannot look up is no file
        return False


def _legacy_settings(job_class: type) -> type | None:
    """The settings class a brevettiai 0.5 job declared as a nested ``Settings``
    (a `brevetti_schema.compat.VueSettingsModule`), or ``None``."""
    nested = getattr(job_class, "Settings", None)
    if not isinstance(nested, type):
        return None
    from brevetti_schema.compat import VueSettingsModule  # noqa: PLC0415 - 0.5 jobs only

    return nested if issubclass(nested, VueSettingsModule) else None


def _legacy_instance(legacy: type, tree: Mapping[str, Any], extra: Mapping[str, Any]) -> Any:
    """The validated settings as an instance of a 0.5 ``Settings`` class (its nested
    modules too), with `extra` unless the class has a setting of that name."""
    instance = legacy.from_config(copy.deepcopy(dict(tree)))  # type: ignore[attr-defined]
    if not hasattr(instance, "extra"):
        instance.extra = dict(extra)
    return instance


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out += _leaves(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}")
    return out
