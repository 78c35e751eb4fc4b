"""Complete packages: the sdist rebuilds the wheel, the wheel carries the web assets and
every vendored library's licence, the build is quiet, and tools outside the checkout
(mypy) see an editable install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB_FOLDERS = ("brevetti_schema/_web", "brevetti_job/devserver/_web")
"""The folders whose ``vendor.json`` lists the browser libraries copied into ``vendor/``."""

BUILD = (
    "import sys\n"
    "from setuptools import build_meta\n"
    "print(getattr(build_meta, sys.argv[1])(sys.argv[2]))\n"
)


def _checkout_copy(target: Path) -> Path:
    """The files a fresh clone has (tracked, plus new files not yet ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def _build(what: str, source: Path, out: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-c", BUILD, what, str(out)],
        cwd=source, capture_output=True, text=True, env=env,
    )  # fmt: skip


def _quiet(result: subprocess.CompletedProcess[str]) -> None:
    """No setuptools warning of any kind (deprecations, data folders left out)."""
    output = result.stdout + result.stderr
    for marker in ("Warning", "would be ignored", "deprecated", "!!"):
        assert marker not in output, output


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sdist")
    source = _checkout_copy(work / "clone")
    result = _build("build_sdist", source, work / "dist")
    assert result.returncode == 0, result.stderr
    _quiet(result)
    return work / "dist" / result.stdout.split()[-1]


def _unpack(sdist: Path, where: Path) -> Path:
    with tarfile.open(sdist) as archive:
        archive.extractall(where, filter="data")
    return where / sdist.name.removesuffix(".tar.gz")


def test_sdist_carries_what_rebuilds_the_wheel_and_the_tests(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "package.json", "package-lock.json", "LICENSE", "setup.py", "pyproject.toml",
        "brevetti_schema/_web/vendor.json", "brevetti_job/devserver/_web/vendor.json", "vendor.mjs",
        "tests/conftest.py", "tests/test_packaging.py", "schema_examples/train_classifier.py",
        "schema_examples/image_classification.yaml", "docs/job.md",
    ):  # fmt: skip
        assert needed in names, needed
    assert not any(
        name.startswith(("brevetti_schema/_web/vendor/", "brevetti_job/devserver/_web/vendor/"))
        or name.startswith("node_modules")
        for name in names
    )
    assert not any("__pycache__" in name for name in names)


@pytest.mark.slow
def test_wheel_from_the_sdist_builds_the_web_assets(sdist: Path, tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        pytest.skip("needs npm (CI has it)")
    source = _unpack(sdist, tmp_path)
    result = _build("build_wheel", source, tmp_path / "wheels")
    assert result.returncode == 0, result.stderr
    _quiet(result)
    wheel = tmp_path / "wheels" / result.stdout.split()[-1]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("brevetti_toolkit-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    assert "brevetti_toolkit-0.1.0.dist-info/licenses/LICENSE" in names
    for web in WEB_FOLDERS:
        manifest = json.loads((ROOT / web / "vendor.json").read_text())
        for name in (*manifest, "versions.json"):
            assert f"{web}/vendor/{name}" in names, name
        assert f"{web}/vendor.json" in names
    for page_file in ("form.html", "form.js", "form.css"):
        assert f"brevetti_schema/_web/{page_file}" in names
    assert "brevetti_job/devserver/_web/pages.css" in names
    assert "vendor.mjs" not in names  # the copy step builds the wheel; it is not in it
    assert "brevetti_job/devserver/openapi.json" in names
    assert not any(name.endswith((".c", ".so", ".pyc")) for name in names)


@pytest.mark.parametrize("web", WEB_FOLDERS)
def test_every_vendored_library_ships_its_licence(web: str) -> None:
    """Each npm package whose code is copied (or bundled into a copied file) has its
    licence text copied beside it."""
    manifest = json.loads((ROOT / web / "vendor.json").read_text())
    licences = {name for name in manifest if name.startswith("licenses/")}
    shipped = {source.split("/")[0] for name, source in manifest.items() if name not in licences}
    # ajv-dist is ajv's browser build: it bundles ajv and these, and has no licence file
    if "ajv-dist" in shipped:
        shipped |= {"ajv", "fast-deep-equal", "fast-uri", "json-schema-traverse"}
        shipped.discard("ajv-dist")
    for package in shipped:
        assert f"licenses/{package}.txt" in licences, package
        assert manifest[f"licenses/{package}.txt"].startswith(f"{package}/")


def test_wheel_build_without_npm_fails_with_a_clear_message(tmp_path: Path) -> None:
    source = _checkout_copy(tmp_path / "clone")
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bare)}
    env.pop("BREVETTI_TOOLKIT_NO_WEB_ASSETS", None)
    result = _build("build_wheel", source, tmp_path / "wheels", env)
    assert result.returncode != 0
    assert "needs Node.js and npm" in result.stderr
    assert "BREVETTI_TOOLKIT_NO_WEB_ASSETS=1" in result.stderr
    assert not (tmp_path / "wheels").exists() or not list((tmp_path / "wheels").glob("*.whl"))


def test_editable_install_is_a_path_entry_tools_can_see(tmp_path: Path) -> None:
    source = _checkout_copy(tmp_path / "clone")
    result = _build("build_editable", source, tmp_path / "wheels")
    assert result.returncode == 0, result.stderr
    _quiet(result)
    with zipfile.ZipFile(tmp_path / "wheels" / result.stdout.split()[-1]) as archive:
        pth = [n for n in archive.namelist() if n.endswith(".pth")]
        assert len(pth) == 1, archive.namelist()
        assert archive.read(pth[0]).decode().strip() == str(source)
        assert not any("finder" in n for n in archive.namelist())


@pytest.mark.slow
def test_mypy_strict_on_generated_settings_outside_the_checkout(tmp_path: Path) -> None:
    """The docs promise `mypy --strict` on a user's generated module: it imports
    brevetti_schema (for `Secret`), which mypy must find from the installed package."""
    (tmp_path / "settings.yaml").write_text(
        "title: Settings\nfields:\n  token: {type: secret}\n  epochs: {type: integer, default: 3}\n"
    )
    cli = [sys.executable, "-m", "brevetti_schema._cli"]
    subprocess.run(
        [*cli, "codegen", "settings.yaml", "-o", "settings.py"], cwd=tmp_path, check=True
    )
    assert "from brevetti_schema import Secret" in (tmp_path / "settings.py").read_text()
    (tmp_path / "use.py").write_text(
        "from brevetti_schema import structure\n"
        "from settings import Settings\n\n"
        "settings: Settings = structure(Settings, {'epochs': 4})\n"
        "epochs: int = settings.epochs\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".cache"),
         "settings.py", "use.py"],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitignore_keeps_the_dev_platform_store_out() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "platform-data/store.sqlite"], cwd=ROOT, check=False
    )
    assert result.returncode == 0
