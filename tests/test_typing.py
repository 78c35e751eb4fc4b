"""`Job[S]` and `Resolved[S]` give users their settings type: `mypy --strict` on a user
script reveals the types below, refuses wrong uses, and the script runs, with the same
classes at run time that mypy saw."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from brevetti_schema import generate_source, load_schema_text

SCHEMA_YAML = """\
title: Demo
fields:
  classes: {type: classes, default: [good, defect]}
  training:
    type: section
    fields:
      epochs: {type: integer, default: 30, min: 1}
      early_stopping: {type: boolean, default: true}
"""

# Each `# reveal: T` line is checked against mypy's "Revealed type is" for that line;
# each `# error: CODE` line must be an error of that code (and no other line may be).
SCRIPT = """\
from typing import Any, reveal_type

import attrs
from pydantic import BaseModel

from brevetti_job import Job
from brevetti_job import compat
from brevetti_schema import SettingsProblem, load_schema, resolve_settings, setting
from demo_settings import Demo


@attrs.frozen
class Settings:
    epochs: int = setting(3, min=1)


class PSettings(BaseModel):
    epochs: int = 3
    name: str = "x"


class Train(Job[Settings]):
    def run(self) -> None:
        reveal_type(self.settings)  # reveal: user.Settings
        self.add_output_metric("epochs", self.settings.epochs)


class PTrain(compat.Job[PSettings]):
    def run(self) -> None:
        reveal_type(self.settings)  # reveal: user.PSettings


def uses_a_plain_job(job: Job) -> int:  # a bare Job means Job[Any], no error
    reveal_type(job.settings)  # reveal: Any
    return 0


def argv(name: str) -> list[str]:
    return ["--job_dir", f"jobs/{name}"]


a = Job.init(schema=Settings, argv=argv("a"), env={}, console=False)
reveal_type(a)  # reveal: brevetti_job.Job[user.Settings]
reveal_type(a.settings)  # reveal: user.Settings
reveal_type(a.settings_warnings)  # reveal: tuple[brevetti_schema.SettingsProblem, ...]
p = Job.init(schema=PSettings, argv=argv("p"), env={}, console=False)
positional = Job.init(None, None, Settings, argv=argv("pos"), env={}, console=False)
reveal_type(positional.settings)  # reveal: user.Settings
reveal_type(p.settings)  # reveal: user.PSettings
g = Job.init(schema="settings.yaml", into=Demo, argv=argv("g"), env={}, console=False)
reveal_type(g.settings)  # reveal: demo_settings.Demo
reveal_type(g.settings.training.epochs)  # reveal: int
y = Job.init(schema="settings.yaml", argv=argv("y"), env={}, console=False)
reveal_type(y.settings)  # reveal: Any
t = Train.init(argv=argv("t"), env={}, console=False)
reveal_type(t)  # reveal: user.Train
reveal_type(t.settings)  # reveal: user.Settings
ct = PTrain.init(argv=argv("ct"), env={}, console=False)
reveal_type(ct.settings)  # reveal: user.PSettings
cg = compat.Job.init(schema="settings.yaml", into=Demo, argv=argv("cg"), env={})
reveal_type(cg.settings)  # reveal: demo_settings.Demo

schema = load_schema("settings.yaml")
r = resolve_settings(schema, {}, into=Demo)
reveal_type(r)  # reveal: brevetti_schema.Resolved[demo_settings.Demo]
reveal_type(r.settings)  # reveal: demo_settings.Demo
reveal_type(resolve_settings(schema, {}).settings)  # reveal: Any
warnings: tuple[SettingsProblem, ...] = r.warnings

a.settings.epoch  # error: attr-defined
name: int = p.settings.name  # error: assignment
g.settings.training.epochs = 3  # error: misc
Job.init(schema="settings.yaml", into=Demo).settings.model  # error: attr-defined

runtime = {
    "a": type(a.settings).__name__,
    "p": type(p.settings).__name__,
    "g": type(g.settings).__name__,
    "t": type(t.settings).__name__,
    "ct": type(ct.settings).__name__,
    "cg": type(cg.settings).__name__,
    "r": type(r.settings).__name__,
    "pos": type(positional.settings).__name__,
    "plain": uses_a_plain_job(y),
}
print(runtime)
"""


def _module_names(text: str) -> str:
    """Private module paths as the public package (``brevetti_schema._settings.pipeline.X``
    -> ``brevetti_schema.X``), so that moving a module inside a package changes nothing."""
    private = r"\b(brevetti_schema|brevetti_job)((?:\.[a-z]\w*)*)\._\w+(?:\.\w+)*?\.(?=[A-Z])"
    return re.sub(private, r"\1\2.", text)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typing")
    (folder / "settings.yaml").write_text(SCHEMA_YAML)
    (folder / "demo_settings.py").write_text(generate_source(load_schema_text(SCHEMA_YAML)))
    (folder / "user.py").write_text(SCRIPT)
    return folder


@pytest.fixture(scope="module")
def mypy_output(project: Path) -> str:
    env = {**os.environ, "MYPYPATH": str(project)}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
         "--cache-dir", str(project / ".mypy_cache"), "--hide-error-context", "user.py"],
        cwd=project, capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return _module_names(result.stdout)


def _expectations(marker: str) -> dict[int, str]:
    found = {}
    for number, line in enumerate(SCRIPT.splitlines(), start=1):
        comment = line.partition(f"# {marker}: ")[2]
        if comment:
            found[number] = comment.strip()
    return found


def test_mypy_reveals_the_settings_type(mypy_output: str) -> None:
    revealed = {
        int(m["line"]): m["type"]
        for m in re.finditer(r'^user\.py:(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$',
                             mypy_output, re.MULTILINE)
    }  # fmt: skip
    expected = _expectations("reveal")
    assert len(expected) >= 15
    assert revealed == expected, mypy_output


def test_mypy_refuses_wrong_uses_and_nothing_else(mypy_output: str) -> None:
    errors = {
        int(m["line"]): m["code"]
        for m in re.finditer(r"^user\.py:(?P<line>\d+): error: .*\[(?P<code>[\w-]+)\]$",
                             mypy_output, re.MULTILINE)
    }  # fmt: skip
    assert errors == _expectations("error"), mypy_output
    assert '"Settings" has no attribute "epoch"' in mypy_output


def test_the_script_runs_with_the_types_mypy_saw(project: Path) -> None:
    runnable = "\n".join(
        line for line in SCRIPT.splitlines() if "# error:" not in line
    )  # the lines mypy refuses would fail at run time too
    (project / "user_run.py").write_text(textwrap.dedent(runnable))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), *sys.path])}
    env = {k: v for k, v in env.items() if not k.startswith("BREVETTI")}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(project / "none.json")
    result = subprocess.run(
        [sys.executable, "user_run.py"], cwd=project, capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    runtime = eval(result.stdout.strip().splitlines()[-1])
    assert runtime == {
        "a": "Settings", "p": "PSettings", "g": "Demo", "t": "Settings", "ct": "PSettings",
        "cg": "Demo", "r": "Demo", "pos": "Settings", "plain": 0,
    }  # fmt: skip
