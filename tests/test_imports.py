"""Lean imports: importing the packages pulls in no heavy or optional modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEAVY = (
    "jsonschema", "requests", "cattrs", "yaml", "werkzeug", "referencing", "pydantic", "boto3",
    "botocore", "tqdm",
)  # fmt: skip


def _imported_after(code: str, cwd: Path) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout
    return {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}


def test_import_brevetti_schema_is_lean(tmp_path: Path) -> None:
    loaded = _imported_after("import brevetti_schema", tmp_path)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_import_brevetti_job_is_lean(tmp_path: Path) -> None:
    loaded = _imported_after("import brevetti_job", tmp_path)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_local_job_with_valid_settings_needs_no_jsonschema_or_requests(tmp_path: Path) -> None:
    code = (
        "from brevetti_job import Job\n"
        "from brevetti_schema import SchemaBuilder\n"
        "b = SchemaBuilder()\n"
        "b.integer('epochs', default=3, min=1).list('sizes', of='integer', default=[1, 2])\n"
        "b.choice('loss', options=['a', 'b'], default='a').secret('token')\n"
        f"Job.init(schema=b, argv=['--job_dir', {str(tmp_path / 'j')!r}, '--epochs', '4'], env={{}})"
    )
    loaded = _imported_after(code, tmp_path)
    assert "jsonschema" not in loaded and "requests" not in loaded
    assert not loaded & {"boto3", "botocore", "tqdm"}, "local mode needs no S3 client"


def test_the_web_api_client_loads_requests_only_when_used(tmp_path: Path) -> None:
    loaded = _imported_after("import brevetti_job\nbrevetti_job.ModelPackage", tmp_path)
    assert "requests" not in loaded
    full = _imported_after("import sys, brevetti_job\nbrevetti_job.PlatformAPI", tmp_path)
    assert "requests" in full  # the client itself is loaded on first use


def _modules_after(code: str, cwd: Path) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_the_job_console_loads_only_when_shown(tmp_path: Path) -> None:
    """`import brevetti_job` and a job with ``console=False`` load no console; a job
    whose stderr is not a terminal loads the console but not tqdm (plain lines)."""
    assert "brevetti_job._console" not in _modules_after("import brevetti_job", tmp_path)
    job = (
        "from brevetti_job import Job\n"
        f"Job.init(argv=['--job_dir', {str(tmp_path / 'j')!r}], env={{}}, console=CONSOLE)\n"
    )
    quiet = _modules_after(job.replace("CONSOLE", "False"), tmp_path)
    assert "brevetti_job._console" not in quiet and "tqdm" not in quiet
    shown = _modules_after(job.replace("CONSOLE", "True"), tmp_path)  # stderr is a pipe here
    assert "brevetti_job._console" in shown and "tqdm" not in shown


# -- the allow-list: a new third-party import anywhere on these paths fails -----------------

ALLOWED_THIRD_PARTY = {
    "import brevetti_schema": {"attr", "attrs", "brevetti_schema"},
    "import brevetti_job": {"attr", "attrs", "brevetti_schema", "brevetti_job"},
    "local Job.init": {"attr", "attrs", "brevetti_schema", "brevetti_job"},
    "local Job.init, YAML schema": {
        "attr", "attrs", "brevetti_schema", "brevetti_job",
        "yaml", "cython_runtime",  # PyYAML, and the runtime of its libyaml binding
    },
}  # fmt: skip
"""Beyond the standard library and what a bare interpreter loads, the only top-level
modules each path may import (click's ``ALLOWED_IMPORTS``): anything else is a new import
that someone must add here on purpose."""

_LOCAL_JOB = (
    "from brevetti_job import Job\n"
    "from brevetti_schema import SchemaBuilder\n"
    "b = SchemaBuilder()\n"
    "b.integer('epochs', default=3, min=1).list('sizes', of='integer', default=[1, 2])\n"
    "b.choice('loss', options=['a', 'b'], default='a').secret('token')\n"
    "Job.init(schema=b, argv=['--job_dir', JOB_DIR, '--epochs', '4'], env={}, console=False)"
)


_YAML_JOB = (
    "from brevetti_job import Job\n"
    "Job.init(schema={schema!r}, argv=['--job_dir', {job_dir!r}], env={{}}, console=False)"
)
"""The settings objects are made without cattrs (it loads when structuring or unstructuring
is asked for); a YAML schema loads PyYAML unless the compile cache holds its model."""


def _third_party_after(code: str, cwd: Path) -> set[str]:
    baseline = _imported_after("pass", cwd)
    loaded = _imported_after(code, cwd) - baseline - set(sys.stdlib_module_names)
    # a Cython-built extension's shared module is named for the Cython version: one name
    return {"cython_runtime" if m.startswith("_cython_") else m for m in loaded}


def test_imports_are_an_allow_list(tmp_path: Path) -> None:
    paths = {
        "import brevetti_schema": "import brevetti_schema",
        "import brevetti_job": "import brevetti_job",
        "local Job.init": _LOCAL_JOB.replace("JOB_DIR", repr(str(tmp_path / "j"))),
        "local Job.init, YAML schema": _YAML_JOB.format(
            schema=str(ROOT / "schema_examples" / "image_classification.yaml"),
            job_dir=str(tmp_path / "y"),
        ),
    }
    for path, code in paths.items():
        unexpected = _third_party_after(code, tmp_path) - ALLOWED_THIRD_PARTY[path]
        assert not unexpected, f"{path} imports {sorted(unexpected)}: not in the allow-list"


# -- the allow-list of our own modules: `import brevetti_schema` loads no back end --------

ALLOWED_OWN = {
    "import brevetti_schema": {
        "_errors", "_model", "_kinds", "_authoring.sources", "_settings.pipeline",
        "_settings.validator",
    },
    "import brevetti_job": {
        "_errors", "_model", "_kinds", "_authoring.sources", "_settings.pipeline",
        "_settings.validator",
    },
}  # fmt: skip
"""The modules of `brevetti_schema` (besides the package folders themselves) that each
path may load: the model, the kinds and the pipeline. The builder (with the declaration
checks and the condition helpers), the `into=` class check, back ends (JSON Schema,
platform UI, YAML, code generation), the YAML front end and the preview load on first
use; a new module on these paths must be added here on purpose."""

ABSENT_OWN = {"_kinds.checks", "_model.conditions"}
"""Modules inside allowed packages that these paths do not load either: a schema read
from the compile cache or made by the pipeline needs no declaration checks."""


def _own_loaded(names: set[str]) -> set[str]:
    prefix = "brevetti_schema."
    packages = {"_model", "_kinds", "_authoring", "_emit", "_emit.classes", "_settings"}
    return {
        n[len(prefix) :] for n in names if n.startswith(prefix) and n[len(prefix) :] not in packages
    }


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def test_own_modules_are_an_allow_list(tmp_path: Path) -> None:
    for path, allowed in ALLOWED_OWN.items():
        loaded = _own_loaded(_modules_after(path, tmp_path))
        unexpected = {n for n in loaded if not _allowed(n, allowed)}
        assert not unexpected, f"{path} loads {sorted(unexpected)}: not in the allow-list"
        assert not loaded & ABSENT_OWN, f"{path} loads {sorted(loaded & ABSENT_OWN)}"
        assert "_model.nodes" in loaded and "_kinds.integer" in loaded  # the probe sees ours


# -- the allow-list of brevetti_job's own modules: a local job loads no storage, datasets,
# packages or platform client -------------------------------------------------------------

_JOB_CORE = {
    "_backend", "_declared", "_description", "_errors", "_files", "_identity", "_job",
    "_metrics", "_raw_settings", "_secrets", "_setup", "_status",
}  # fmt: skip

ALLOWED_JOB_OWN = {
    "import brevetti_job": _JOB_CORE,
    "local Job.init": _JOB_CORE | {"_environment"},
}
"""The modules of `brevetti_job` each path may load: the job, its set-up and the files
it writes. Storage, datasets, model packages, the platform client, the console (shown
here: no) and the command-line entry load on first use; a new module on these paths must
be added here on purpose."""

_LATER = {"csv", "difflib", "gzip", "hashlib", "random", "shutil", "tarfile", "tempfile"}

ABSENT_STDLIB = {
    "import brevetti_job": _LATER | {"signal", "subprocess"},
    "local Job.init": _LATER | {"subprocess"},
}
"""Standard-library modules only later steps of a job use (sample tables, model packages,
hints for unknown names, file copies and its scratch folder, SIGTERM handling in a
``with`` block, the git state and the OS name of the full run record, found by a
program): these paths do not load them."""


def test_job_modules_are_an_allow_list(tmp_path: Path) -> None:
    paths = {
        "import brevetti_job": "import brevetti_job",
        "local Job.init": _LOCAL_JOB.replace("JOB_DIR", repr(str(tmp_path / "j"))),
    }
    for path, code in paths.items():
        loaded = _modules_after(code, tmp_path)
        own = {n[len("brevetti_job.") :] for n in loaded if n.startswith("brevetti_job.")}
        unexpected = own - ALLOWED_JOB_OWN[path]
        assert not unexpected, f"{path} loads {sorted(unexpected)}: not in the allow-list"
        assert "_job" in own  # the probe sees ours
        assert not loaded & ABSENT_STDLIB[path], f"{path} loads {loaded & ABSENT_STDLIB[path]}"


def test_names_loaded_on_first_use_are_listed_before_they_load(tmp_path: Path) -> None:
    probe = (
        "import brevetti_job\n"
        "names = dir(brevetti_job)\n"
        "assert set(brevetti_job.__all__) <= set(names), set(brevetti_job.__all__) - set(names)"
    )
    loaded = _modules_after(probe, tmp_path)
    assert "brevetti_job._datasets" not in loaded and "brevetti_job._api" not in loaded


def test_public_names_loaded_on_first_use_report_the_package(tmp_path: Path) -> None:
    """A public class whose module loads on first use is ``brevetti_job.X`` also when the
    job loads that module itself (`job.storage`, `job.datasets`), not through the name."""
    import brevetti_job

    modules = sorted(set(brevetti_job._LAZY.values()))
    probe = "import importlib, brevetti_job\n" + "".join(
        f"assert importlib.import_module('brevetti_job.{module}').{name}.__module__ == "
        f"'brevetti_job', {name!r}\n"
        for name, module in brevetti_job._LAZY.items()
    )
    loaded = _modules_after(probe, tmp_path)
    assert {f"brevetti_job.{m}" for m in modules} <= loaded


def test_the_preview_and_the_back_ends_load_on_first_use(tmp_path: Path) -> None:
    loaded = _modules_after("import brevetti_schema", tmp_path)
    assert "brevetti_schema.preview" not in loaded and "brevetti_schema._emit" not in loaded
    used = _modules_after("import brevetti_schema.preview", tmp_path)
    assert {"brevetti_schema.preview", "brevetti_schema._emit.platform_ui", "werkzeug"} <= used
