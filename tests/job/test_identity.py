"""Identity precedence: arguments > argv > environment > hyperparameter file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brevetti_job import JobConfigError
from brevetti_job._identity import parse_argv, resolve_identity

PATHS = ["training.epochs", "training.lr", "name"]


def _no_file(tmp_path: Path) -> dict[str, str]:
    return {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "absent.json")}


def test_argv_flags_and_overrides() -> None:
    flags, overrides, kind = parse_argv(
        ["--model_id", "m1", "--api_key=k", "--training.epochs", "5", "--name=x"], PATHS
    )
    assert flags == {"job_id": "m1", "api_key": "k"}
    assert overrides == [("training.epochs", "5"), ("name", "x")]
    assert kind == "model"


def test_test_id_makes_a_report() -> None:
    _, _, kind = parse_argv(["--test_id", "t1"], PATHS)
    assert kind == "report"


def test_hyphenated_flags_are_accepted() -> None:
    flags, _, _ = parse_argv(["--job-dir", "d", "--info-file", "i.json"], PATHS)
    assert flags == {"job_dir": "d", "info_file": "i.json"}


def test_unknown_argument_lists_flags_and_settings() -> None:
    with pytest.raises(JobConfigError) as info:
        parse_argv(["--training.epoch", "3"], PATHS)
    text = str(info.value)
    assert "neither a known flag nor a setting" in text
    assert "Did you mean --training.epochs?" in text
    assert "--job_id" in text and "--training.lr" in text


def test_positional_and_missing_values_are_errors() -> None:
    with pytest.raises(JobConfigError, match="unknown argument 'oops'"):
        parse_argv(["oops"], PATHS)
    with pytest.raises(JobConfigError, match="needs a value"):
        parse_argv(["--job_id"], PATHS)


def test_without_schema_any_dotted_argument_is_a_setting() -> None:
    _, overrides, _ = parse_argv(["--a.b", "1"], None)
    assert overrides == [("a.b", "1")]


def test_precedence(tmp_path: Path) -> None:
    hyper = tmp_path / "hyperparameters.json"
    hyper.write_text(
        json.dumps(
            {
                "model_id": "from-file",
                "api_key": "file-key",
                "host": "h-file",
                "job_dir": "file-dir",
                "training.epochs": "7",
            }
        )
    )
    env = {
        "BREVETTI_HYPERPARAMETERS_FILE": str(hyper),
        "BREVETTI_API_KEY": "env-key",
        "BREVETTIAI_HOST_NAME": "h-legacy",
        "BREVETTI_JOB_DIR": "env-dir",
    }
    identity = resolve_identity(
        {"job_dir": "arg-dir"}, ["--host", "h-argv", "--training.epochs", "9"], env, PATHS
    )
    assert identity.job_id == "from-file"
    assert identity.api_key == "env-key"
    assert identity.host == "h-argv"
    assert identity.job_dir == "arg-dir"
    assert identity.overrides == (("training.epochs", "7"), ("training.epochs", "9"))
    assert "env-key" not in repr(identity)


def test_new_env_name_wins_over_legacy(tmp_path: Path) -> None:
    env = {**_no_file(tmp_path), "BREVETTI_HOST": "new", "BREVETTIAI_HOST_NAME": "old"}
    assert resolve_identity({}, [], env, PATHS).host == "new"


def test_hyperparameter_file_unknown_key_is_an_error(tmp_path: Path) -> None:
    hyper = tmp_path / "h.json"
    hyper.write_text(json.dumps({"trainin.epochs": "3"}))
    with pytest.raises(JobConfigError, match=r"trainin\.epochs"):
        resolve_identity({}, [], {"BREVETTI_HYPERPARAMETERS_FILE": str(hyper)}, PATHS)


def test_broken_hyperparameter_file_is_a_clear_error(tmp_path: Path) -> None:
    hyper = tmp_path / "h.json"
    hyper.write_text("{not json")
    with pytest.raises(JobConfigError, match="cannot read the hyperparameter file"):
        resolve_identity({}, [], {"BREVETTI_HYPERPARAMETERS_FILE": str(hyper)}, PATHS)


def test_hosted_service_is_recognised(tmp_path: Path) -> None:
    env = {**_no_file(tmp_path), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds"}
    assert resolve_identity({}, [], env, PATHS).hosted
    assert not resolve_identity({}, [], _no_file(tmp_path), PATHS).hosted
