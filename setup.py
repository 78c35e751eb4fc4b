"""The build hook: a wheel carries the browser libraries, built from package.json.

Everything else is configured in pyproject.toml. Building a wheel (``pip wheel .``,
``pip install git+...``, or from the sdist) runs ``npm ci`` per package-lock.json and
copies the libraries' dist files into each web folder's ``vendor/``: the form preview's
(Vue, vue-form-generator, ajv) into ``brevetti_schema/_web/vendor/``, the dev platform's
charts (Vega, Vega-Lite, vega-embed) into ``brevetti_job/devserver/_web/vendor/``, each
as its ``vendor.json`` lists (the copy step is ``vendor.mjs``, the same one ``make
assets`` runs). Without
Node.js and npm the build stops and says so; ``BREVETTI_TOOLKIT_NO_WEB_ASSETS=1``
builds a wheel without them on purpose (no form preview, no dev platform pages).
An editable install (``pip install -e .``) leaves the assets to ``make assets``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

ROOT = Path(__file__).resolve().parent
WEB_FOLDERS = (ROOT / "brevetti_schema" / "_web", ROOT / "brevetti_job" / "devserver" / "_web")
STAMPS = tuple(folder / "vendor" / ".built" for folder in WEB_FOLDERS)
COPY_STEP = ROOT / "vendor.mjs"
INPUTS = (
    ROOT / "package.json",
    ROOT / "package-lock.json",
    COPY_STEP,
    *(folder / "vendor.json" for folder in WEB_FOLDERS),
)
SKIP = "BREVETTI_TOOLKIT_NO_WEB_ASSETS"

NO_NPM = (
    "brevetti-toolkit: building a wheel builds the web assets of the settings-form preview "
    "and the dev platform's pages, and that needs Node.js and npm (Debian: apt-get install "
    "-y nodejs npm); it runs `npm ci` from the npm registry per package-lock.json. "
    f"To build a wheel without those pages on purpose, set {SKIP}=1."
)


def _up_to_date() -> bool:
    if not all(stamp.is_file() for stamp in STAMPS):
        return False
    built = min(stamp.stat().st_mtime for stamp in STAMPS)
    return all(path.stat().st_mtime <= built for path in INPUTS)


def build_web_assets() -> None:
    """``npm ci`` and the copy step, unless the assets are newer than their inputs."""
    if _up_to_date():
        return
    missing = [path.name for path in INPUTS if not path.is_file()]
    if missing:
        raise SetupError(f"brevetti-toolkit: cannot build the web assets: no {', '.join(missing)}")
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise SetupError(NO_NPM)
    npm_ci = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    copy = [node, str(COPY_STEP), *(str(folder.relative_to(ROOT)) for folder in WEB_FOLDERS)]
    for command in (npm_ci, copy):
        try:
            subprocess.run(command, cwd=ROOT, check=True)
        except subprocess.CalledProcessError as exc:
            raise SetupError(
                f"brevetti-toolkit: building the web assets failed: {' '.join(command)} "
                f"exited with {exc.returncode}"
            ) from None
    for stamp in STAMPS:
        stamp.touch()


class BuildPyWithWebAssets(build_py):
    """`build_py` that first builds the web assets (not for editable installs)."""

    def run(self) -> None:
        if not getattr(self, "editable_mode", False) and os.environ.get(SKIP) != "1":
            build_web_assets()
            # the folders made just now are data packages too, and the data file list is
            # computed lazily: drop what was computed before the assets existed
            webs = ["brevetti_schema._web.*", "brevetti_job.devserver._web.*"]
            found = find_namespace_packages(str(ROOT), include=webs)
            self.packages = sorted({*(self.packages or ()), *found})
            self.__dict__.pop("data_files", None)
        super().run()


setup(cmdclass={"build_py": BuildPyWithWebAssets})
