"""The docs are executed: every Python snippet and shell session in README.md and docs/*.md.

Each document runs in a scratch folder of its own (with the checkout's
``schema_examples/`` linked in), top to bottom, sharing state the way a reader's session
does, with Sybil (https://sybil.readthedocs.io) parsing the Markdown:

* ```` ```python ```` blocks run in one namespace per document; ``>>>`` lines are doctests.
* ```` ```console ```` blocks are shell sessions: each ``$ command`` runs in one bash per
  document (so ``cd``, ``export``, ``eval`` and ``&`` carry on to later blocks), stdout
  and stderr together, and what follows it up to the next ``$`` is compared with what
  it printed. ```` ```sh ```` blocks are commands without shown output: each must exit 0.
* ``<!-- file: NAME -->`` before a block writes the block to NAME in the scratch folder
  instead of running it (the reader saves it there).
* ``<!-- serves -->`` before a console block of one command (a server): it runs in the
  background until the page ends, and its shown lines are what it printed when ready.
* ``<!-- uses: PAGE NAME -->`` writes the file that PAGE's ``file:`` block NAME holds.
* ``<!-- skip: next "why" -->`` exempts the next block, with its reason (an excerpt, a
  command that cannot run here); nothing else is exempt. Other blocks (yaml, json, text)
  are shown data, not run.

Shown output may hold these placeholders (see docs/README.md):

=========  ===========================================================================
``<ID>``   an id: a generated job id, a key, a hash (letters, digits, ``-_.:``)
``<N>``    a number (sizes, rates, scores that vary)
``<TIME>`` a time, a date or a duration (digits with ``:.-TZ+``)
``<PATH>`` a path or URL without spaces (temporary folders, ports)
``<ANY>``  any text within a line
``...``    a line of its own: any number of lines, none included
=========  ===========================================================================

``UPDATE_DOCS=1`` writes what was printed into the page where it differs (then
review the diff and put placeholders back). Lines are compared without trailing spaces, two or more spaces (table columns) match any
run of spaces, and blank lines at the end are ignored.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time
import unittest
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]
COMMAND_TIMEOUT = 120.0

PLACEHOLDERS = {
    "<ID>": r"[\w.:-]+",
    "<N>": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "<TIME>": r"[\d:.TZ+-]+",
    "<PATH>": r"\S+",
    "<ANY>": r".*",
}
_TOKEN = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


def _literal(text: str) -> str:
    """`text` as a pattern; a run of two or more spaces (table columns) is any run."""
    return " +".join(re.escape(piece) for piece in re.split(r" {2,}", text))


def _line_pattern(line: str) -> str:
    parts = _TOKEN.split(line)
    tokens = _TOKEN.findall(line)
    pattern = _literal(parts[0])
    for token, part in zip(tokens, parts[1:], strict=True):
        pattern += PLACEHOLDERS[token] + _literal(part)
    return pattern


def _clean(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(shown: str, printed: str) -> bool:
    """Whether `printed` is what `shown` shows, placeholders and ``...`` lines allowed."""
    pieces = []
    for line in _clean(shown):
        pieces.append(r"(?:[^\n]*\n)*?" if line.strip() == "..." else _line_pattern(line) + r"\n")
    text = "\n".join(_clean(printed))
    return re.fullmatch("".join(pieces), text + "\n" if text else "") is not None


# -- shell sessions ---------------------------------------------------------------------


class Shell:
    """One bash per document: commands in, their merged output (and status) out."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.mark = f"__docs_{uuid.uuid4().hex}__"
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=cwd, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def run(self, command: str) -> tuple[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        # the status is printed with the mark and then restored, for a later `echo $?`
        script = f"{command}\n__st=$?; printf '%s %s\\n' {self.mark} $__st; (exit $__st)\n"
        self.process.stdin.write(script.encode())
        self.process.stdin.flush()
        out = b""
        deadline = time.monotonic() + COMMAND_TIMEOUT
        fd = self.process.stdout.fileno()
        while (found := re.search(rb"(?:^|\n)?" + self.mark.encode() + rb" (\d+)\n", out)) is None:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no end of {command!r} in {COMMAND_TIMEOUT:.0f} s: {out!r}")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"the shell ended during {command!r}: {out!r}")
            out += chunk
        text = out[: found.start()].decode("utf-8", "replace")
        if found.group(0).startswith(b"\n"):
            text += "\n"
        return text, int(found.group(1))

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # bash and what it left running
        self.process.wait(timeout=30)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


def _commands(source: str) -> Iterator[tuple[str, str]]:
    """The ``$ command`` / shown output pairs of a console block."""
    command: list[str] | None = None
    shown: list[str] = []
    for line in source.splitlines():
        if command is not None and not shown and not _complete("\n".join(command)):
            command.append(line)  # a command that goes on (a quote, a backslash)
        elif line.startswith("$ ") or line == "$":
            if command is not None:
                yield "\n".join(command), "\n".join(shown)
            command, shown = [line[2:]], []
        elif command is None:
            raise AssertionError(f"console block without a leading '$ ' command: {line!r}")
        else:
            shown.append(line)
    if command is not None:
        yield "\n".join(command), "\n".join(shown)


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # no closing quotation
        return False
    return True


def _shell(example: Example) -> Shell:
    shell = example.namespace.get("__shell__")
    if shell is None:
        shell = example.namespace["__shell__"] = Shell(Path.cwd(), _session_env())
    return shell


def _session_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as on a terminal
    env["PYTHONPATH"] = str(ROOT)
    env.pop("COLUMNS", None)
    return env


def _rewrite(example: Example, command: str, shown: str, printed: str) -> bool:
    """``UPDATE_DOCS=1``: put what was printed in the page (review the diff:
    ids, times and paths then need their placeholders back)."""
    if os.environ.get("UPDATE_DOCS") != "1":
        return False
    path = Path(example.path)
    text = path.read_text(encoding="utf-8")
    old = f"$ {command}\n{shown}\n" if shown else f"$ {command}\n"
    new = f"$ {command}\n" + "\n".join(_clean(printed)) + ("\n" if _clean(printed) else "")
    for prefix in ("", "  ", "    "):  # blocks indented in a list item

        def indent(block: str, prefix: str = prefix) -> str:
            return "".join(
                prefix + line if line.strip() else line for line in block.splitlines(True)
            )

        if text.count(indent(old)) == 1:
            path.write_text(text.replace(indent(old), indent(new)), encoding="utf-8")
            return True
    return False


def evaluate_console(example: Example) -> None:
    shell = _shell(example)
    for command, shown in _commands(str(example.parsed)):
        printed, _ = shell.run(command)
        if not matches(shown, printed) and not _rewrite(example, command, shown, printed):
            raise AssertionError(
                f"{example.path}:{example.line}: $ {command}\n"
                f"--- shown ---\n{shown}\n--- printed ---\n{printed}"
            )


def evaluate_sh(example: Example) -> None:
    shell = _shell(example)
    for command, _ in _commands(
        "\n".join(f"$ {line}" for line in str(example.parsed).splitlines() if line.strip())
    ):
        printed, status = shell.run(command)
        if status != 0:
            raise AssertionError(
                f"{example.path}:{example.line}: $ {command} exited {status}:\n{printed}"
            )


def shown_data(example: Example) -> None:
    """Blocks that show data (YAML, JSON, listings) are read, not run."""


# -- writing a block to a file ----------------------------------------------------------------


class FileWriter:
    """``<!-- file: NAME -->``: the next block is saved as NAME instead of being run."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer(directive="file", arguments=r"\S+")

    def __call__(self, document: Document) -> Iterator[Region]:
        for lexed in self.lexer(document):
            yield Region(lexed.start, lexed.end, lexed.lexemes["arguments"], self.install)

    def install(self, example: Example) -> None:
        name = str(example.parsed)
        document = example.document

        def write(next_example: Example) -> None:
            document.pop_evaluator(write)
            path = Path.cwd() / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(next_example.parsed), encoding="utf-8")

        document.push_evaluator(write)


class Serves:
    """``<!-- serves -->``: the next console block's one command is a server, run in the
    background until the page ends; its shown lines are what it printed once ready."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer(directive="serves")

    def __call__(self, document: Document) -> Iterator[Region]:
        for lexed in self.lexer(document):
            yield Region(lexed.start, lexed.end, None, self.install)

    def install(self, example: Example) -> None:
        document = example.document

        def serve(block: Example) -> None:
            document.pop_evaluator(serve)
            ((command, shown),) = list(_commands(str(block.parsed)))
            log = Path.cwd() / f".server-{block.line}.log"
            _shell(block).run(f"{command} > {shlex.quote(str(log))} 2>&1 &")
            wanted = len(_clean(shown))
            deadline = time.monotonic() + COMMAND_TIMEOUT
            printed = ""
            while time.monotonic() < deadline:
                printed = log.read_text(encoding="utf-8") if log.exists() else ""
                if len(_clean(printed)) >= wanted and printed.endswith("\n"):
                    break
                time.sleep(0.05)  # polls for the server's own ready lines, with a deadline
            if not matches(shown, printed):
                raise AssertionError(
                    f"{block.path}:{block.line}: $ {command} (in the background)\n"
                    f"--- shown ---\n{shown}\n--- printed ---\n{printed}"
                )

        document.push_evaluator(serve)


class FileFromDocument:
    """``<!-- uses: settings.md settings.yaml -->``: a file another page writes, written here."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer(directive="uses", arguments=r"\S+ \S+")

    def __call__(self, document: Document) -> Iterator[Region]:
        for lexed in self.lexer(document):
            page, name = lexed.lexemes["arguments"].split()
            yield Region(lexed.start, lexed.end, (page, name), self.write)

    @staticmethod
    def write(example: Example) -> None:
        page, name = example.parsed
        source = Path(example.path).parent / page
        text = source.read_text(encoding="utf-8")
        block = re.search(
            rf"<!--\s*file:\s*{re.escape(name)}\s*-->\s*\n(`{{3,}})[^\n]*\n(.*?)\n\1", text, re.S
        )
        assert block is not None, f"{example.path}:{example.line}: {page} writes no {name}"
        (Path.cwd() / name).write_text(block.group(2) + "\n", encoding="utf-8")


SYBIL = Sybil(
    parsers=[
        SkipParser(),
        FileWriter(),
        FileFromDocument(),
        Serves(),
        PythonCodeBlockParser(),
        CodeBlockParser("console", evaluate_console),
        CodeBlockParser("sh", evaluate_sh),
        *(CodeBlockParser(language, shown_data) for language in ("yaml", "json", "text", "toml")),
    ],
    path="..",
)


@pytest.mark.parametrize("name", DOCS)
def test_the_document_runs_as_shown(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = SYBIL.parse(ROOT / name)
    (tmp_path / "schema_examples").symlink_to(ROOT / "schema_examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "snippet.py")])  # a reader's script
    for variable in [v for v in os.environ if v.startswith(("BREVETTI", "AWS_"))]:
        monkeypatch.delenv(variable)
    skipped: list[str] = []
    try:
        for example in document.examples():
            try:
                example.evaluate()
            except unittest.SkipTest as skip:
                skipped.append(f"line {example.line}: {skip}")
    finally:
        shell: Any = document.namespace.get("__shell__")
        if shell is not None:
            shell.close()
    for module in [
        m
        for m, mod in sys.modules.items()
        if str(tmp_path) in str(getattr(mod, "__file__", "") or "")
    ]:
        del sys.modules[module]  # modules the document wrote (codegen output) go with it


def test_every_exemption_says_why() -> None:
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        for marker in re.findall(r"<!--\s*skip:[^>]*-->", text):
            assert re.fullmatch(
                r"<!--\s*skip: (next|start) \"[^\"]{8,}\"\s*-->", marker
            ) or re.fullmatch(r"<!--\s*skip: end\s*-->", marker), (
                f"{name}: {marker} (an exemption names its reason)"
            )


@pytest.mark.parametrize(
    ("shown", "printed", "ok"),
    [
        ("job <ID> started\n", "job local-20261204-1 started\n", True),
        ("took <TIME>, <N> epochs/s\n", "took 0:00:01, 12.5 epochs/s\n", True),
        ("a\n...\nz\n", "a\nb\nc\nz\n", True),
        ("a\n...\nz\n", "a\nz\n", True),
        ("a\nz\n", "a\nb\nz\n", False),
        ("size <N> B\n", "size many B\n", False),
        ("exact (text)\n", "exact text\n", False),
        ("trailing   \n\n", "trailing\n", True),
        ("a  <N> B\n", "a      460 B\n", True),
        ("a b\n", "a  b\n", False),
    ],
)
def test_the_placeholders(shown: str, printed: str, ok: bool) -> None:
    assert matches(shown, printed) is ok
