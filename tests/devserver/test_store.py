"""The store's own rules: artifact names, keys, faults, and lean imports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_job.devserver import FaultInjector, Store, openapi_document
from brevetti_job.devserver._auth import (
    bearer_token,
    key_hash,
    key_matches,
    load_admin_token,
    new_key,
)
from brevetti_job.devserver._faults import FaultConfig, parse_fault_config
from brevetti_job.devserver._store import StoreError, check_artifact_name

from ..conftest import REPO

NAME_PATTERN = re.compile(
    openapi_document()["components"]["parameters"]["ArtifactName"]["schema"]["pattern"]
)

names = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(["a", "b.txt", ".", "..", "", ".x", "..y", "/", "\\", "\x00"])).map(
        "/".join
    ),
)


def _accepted(name: str) -> bool:
    try:
        check_artifact_name(name)
    except StoreError as exc:
        assert exc.status == 400
        return False
    return True


@given(names)
def test_an_accepted_name_stays_inside_the_artifacts_folder(name):
    if not _accepted(name):
        return
    base = Path("/store/artifacts")
    target = base / check_artifact_name(name)
    assert base in target.parents
    assert check_artifact_name(name) == name  # nothing is silently rewritten
    assert ".." not in name.split("/")


@given(names)
def test_the_document_pattern_and_the_server_agree_on_names(name):
    if any(len(part.encode()) > 255 for part in name.split("/")):
        return  # the per-segment byte limit is the one rule the pattern cannot say
    assert _accepted(name) == bool(NAME_PATTERN.fullmatch(name))


@pytest.mark.parametrize(
    "name", ["a", "a/b.c", ".hidden", "..dots", "dir/..x/y", "ü/名前.txt", "a b/c"]
)
def test_ordinary_names_are_accepted(name):
    assert check_artifact_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "/a", "a/", "a//b", ".", "..", "a/../b", "./a", "a\\b", "a\x00", "a\nb", "x" * 2000],
)
def test_unsafe_names_are_refused(name):
    assert not _accepted(name)


def test_keys_are_random_and_stored_as_hashes(tmp_path):
    store = Store(tmp_path)
    one, two = store.create_job(), store.create_job()
    assert one.api_key != two.api_key and len(one.api_key) >= 43
    assert store.job_of_key(one.api_key) == one.id
    assert store.job_of_key(new_key()) is None
    meta = store.meta(one.id)
    assert meta is not None and meta["key_sha256"] == key_hash(one.api_key)
    assert key_matches(one.api_key, meta["key_sha256"])
    assert not key_matches(two.api_key, meta["key_sha256"])
    assert one.api_key not in repr(one)
    text = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert one.api_key not in text and two.api_key not in text


def test_unknown_or_odd_job_ids_are_no_job(tmp_path):
    store = Store(tmp_path)
    assert store.meta("../keys") is None
    assert store.meta("nope") is None
    assert store.meta("") is None


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer a b", None),
        ("abc", None),
        (None, None),
    ],
)
def test_bearer_tokens_are_read_strictly(header, token):
    assert bearer_token(header) == token


def test_fault_configuration_parsing():
    config = parse_fault_config({"rate": 0.3, "modes": "503, slow", "delay": 2, "seed": None})
    assert config == FaultConfig(0.3, ("503", "slow"), 2.0, None)
    bad: Any
    for bad in ({"rate": -0.1}, {"rate": True}, {"modes": []}, {"delay": 61}, {"seed": 1.5}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            parse_fault_config(bad)


def test_the_fault_injector_is_off_at_rate_zero_and_always_on_at_one():
    injector = FaultInjector()
    assert {injector.draw() for _ in range(100)} == {None}
    injector.configure(FaultConfig(1.0, ("slow",), 0.1, 3))
    assert {injector.draw() for _ in range(20)} == {"slow"}
    assert injector.to_json()["injected"]["slow"] == 20


def test_building_the_cli_does_not_load_werkzeug():
    probe = (
        "from brevetti_job._cli import _parser\n_parser()\n"
        "import brevetti_job.devserver, sys, json\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'werkzeug')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert json.loads(out.splitlines()[-1]) == []


def test_no_key_begins_with_a_dash_so_a_command_line_takes_it_as_a_value(tmp_path):
    """``--api-key -abc`` would be read as a missing value and another option."""
    keys = [new_key() for _ in range(2_000)]  # about 31 would begin with '-' by chance
    assert not [k for k in keys if k.startswith("-")]
    assert len(set(keys)) == len(keys) and {len(k) for k in keys} == {43}
    token, generated = load_admin_token(tmp_path)
    assert generated and not token.startswith("-")
