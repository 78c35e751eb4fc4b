"""The run record in output.json: Python, OS, toolkit version, build id, git state and the
installed packages."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["environment", "git_state", "installed_packages"]


def _git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = candidate.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                return (folder / text.partition(":")[2].strip()).resolve()
    return None


def _read_commit(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.partition(":")[2].strip()
    common = git_dir
    commondir = git_dir / "commondir"
    if commondir.is_file():
        common = (git_dir / commondir.read_text(encoding="utf-8").strip()).resolve()
    for base in (git_dir, common):
        ref_file = base / ref
        if ref_file.is_file():
            return ref_file.read_text(encoding="utf-8").strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return None


def git_state(code_dir: Path, *, check_dirty: bool) -> dict[str, Any] | None:
    """The commit (read from files, no subprocess) and, if asked, whether the tree is dirty."""
    git_dir = _git_dir(code_dir.resolve())
    if git_dir is None:
        return None
    state: dict[str, Any] = {"commit": _read_commit(git_dir)}
    if check_dirty:
        import shutil  # noqa: PLC0415 - the quick record at start runs no git
        import subprocess  # noqa: PLC0415

        git = shutil.which("git")
        if git is not None:
            try:
                out = subprocess.run(
                    [git, "status", "--porcelain", "--untracked-files=no"],
                    cwd=code_dir,
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=True,
                ).stdout
                state["dirty"] = bool(out.strip())
            except (OSError, subprocess.SubprocessError):
                state["dirty"] = None
    return state


def code_dir() -> Path:
    """Where the job's code lives: the main script's folder, else the working folder."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return Path(path).resolve().parent if path else Path.cwd()


@cache
def installed_packages() -> dict[str, str]:
    """Name -> version of every installed distribution, sorted by name.

    Where one name is installed twice, the one found first on ``sys.path`` (the one that
    imports) is kept. Read once per process: it costs tens of milliseconds.
    """
    from importlib import metadata  # noqa: PLC0415 - only for a full run record

    found: dict[str, tuple[str, str]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in found:
            found[name.lower()] = (name, dist.version)
    return dict(found[key] for key in sorted(found))


def environment(
    env: Mapping[str, str], toolkit_version: str, *, check_dirty: bool = False
) -> dict[str, Any]:
    """The ``environment`` record of output.json.

    The full record (`check_dirty`, written by `upload_job_output` and at the job's end)
    also names the OS (`platform.platform()`, which runs ``uname -p`` on Linux), says
    whether the git tree is dirty and lists the installed packages; the quick one written
    at start leaves these out so that `Job.init` stays cheap.
    """
    record: dict[str, Any] = {"python": sys.version}
    if check_dirty:
        import platform  # noqa: PLC0415 - it loads subprocess

        record["platform"] = platform.platform()
    record |= {
        "brevetti_toolkit": toolkit_version,
        "BUILD_ID": env.get("BUILD_ID"),
        "pid": os.getpid(),
    }
    git = git_state(code_dir(), check_dirty=check_dirty)
    if git is not None:
        record["git"] = git
    if check_dirty:
        record["packages"] = dict(installed_packages())
    return record
