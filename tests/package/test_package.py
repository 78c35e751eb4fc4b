"""Model packages: building, versioned names, reading back with every hash checked."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_job import Job, ModelPackage, PackageError
from brevetti_schema import SchemaBuilder

DATA = Path(__file__).parent / "data"
BREVETTIAI_ARCHIVE = DATA / "brevettiai_2.0.0_model_archive.tar.gz"
"""Written by brevettiai 2.0.0's ModelArchive: assets model.onnx (onnx), sub/labels.txt."""

CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _package(**kw: Any) -> ModelPackage:
    kw.setdefault("created", CREATED)
    kw.setdefault("environment", {"python": "3"})
    return ModelPackage("My Model.v1", **kw)


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def _rewrite(path: Path, out: Path, change: Any) -> Path:
    """Copy a package, letting `change(name, data)` return new bytes (or None to drop)."""
    members = _members(path)
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            new = change(name, data)
            if new is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(new)
            tar.addfile(info, io.BytesIO(new))
    return out


def test_build_write_and_open(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x00onnx" * 1000)
    package = _package(
        settings={"epochs": 3}, classes=["ok", "defect"], input_shape=[64, 64, 3],
        metadata={"note": "first"},
    )  # fmt: skip
    package.add_file(model, name="onnx").add_bytes("labels/classes.txt", b"ok\ndefect\n")
    path = package.write(tmp_path / "out", id="job-1")
    assert path.name.startswith("my_model.v1.") and path.name.endswith(".tar.gz")
    version = int(path.name.split(".")[-3])
    assert version == int.from_bytes(hashlib.md5(path.read_bytes()).digest()[:4], "little")
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary left

    opened = ModelPackage.open(path, tmp_path / "x")
    assert opened.name == "My Model.v1" and opened.id == "job-1"
    assert opened.classes == ["ok", "defect"] and opened.input_shape == [64, 64, 3]
    assert opened.settings == {"epochs": 3} and opened.metadata["note"] == "first"
    assert opened.read_bytes("onnx") == model.read_bytes()
    assert opened.path("labels/classes.txt").read_text() == "ok\ndefect\n"
    assert opened.metadata["created"] == "2026-01-02T030405"
    assets = opened.metadata["assets"]
    assert assets["onnx"] == {
        "file": "model.onnx",
        "hash": "sha256:" + hashlib.sha256(model.read_bytes()).hexdigest(),
    }
    assert opened.metadata["type"] == "ModelArchiveMetadata" and opened.metadata["version"] == "2.0"
    with pytest.raises(PackageError, match="no asset 'nope'"):
        opened.path("nope")
    assert ModelPackage.verify(path)["name"] == "My Model.v1"


def test_the_archive_is_deterministic_and_its_name_follows_its_content(tmp_path: Path) -> None:
    def build(data: bytes, folder: str) -> Path:
        return _package().add_bytes("w.bin", data).write(tmp_path / folder)

    first, again, other = build(b"a", "1"), build(b"a", "2"), build(b"b", "3")
    assert first.read_bytes() == again.read_bytes() and first.name == again.name
    assert other.name != first.name


def test_builder_refuses_bad_input(tmp_path: Path) -> None:
    package = _package().add_bytes("a.txt", b"1")
    with pytest.raises(PackageError, match="already has an asset"):
        package.add_bytes("a.txt", b"2")
    with pytest.raises(PackageError, match="already has a file"):
        package.add_bytes("a.txt", b"2", name="other")
    for bad in ("/etc/passwd", "../up.txt", "a/../../b", "", "a\\b", "C:/x"):
        with pytest.raises(PackageError):
            package.add_bytes(bad, b"x")
    with pytest.raises(PackageError, match=r"metadata\.json"):
        package.add_bytes("metadata.json", b"{}")
    with pytest.raises(PackageError, match="not a file"):
        package.add_file(tmp_path / "missing")
    with pytest.raises(PackageError, match="set by the package"):
        ModelPackage("x", metadata={"assets": {}})
    with pytest.raises(PackageError, match="needs a name"):
        ModelPackage().write(tmp_path)


def test_a_brevettiai_archive_opens_with_its_hashes_checked(tmp_path: Path) -> None:
    opened = ModelPackage.open(BREVETTIAI_ARCHIVE, tmp_path / "b")
    assert opened.name == "My Job.v1" and opened.id == "job-123"
    assert opened.metadata["environment"]["brevettiai"] == "2.0.0"
    assert opened.read_bytes("onnx") == b"onnx-bytes"
    assert opened.path("labels").read_text() == "labels\n"
    tampered = _rewrite(
        BREVETTIAI_ARCHIVE, tmp_path / "t.tar.gz",
        lambda n, d: b"onnx-bytez" if n == "model.onnx" else d,
    )  # fmt: skip
    with pytest.raises(PackageError, match=r"'onnx'.*does not match its sha256"):
        ModelPackage.open(tampered, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def _built(tmp_path: Path) -> Path:
    return _package().add_bytes("m.bin", b"m" * 5000).add_bytes("d/n.txt", b"n").write(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda n, d: d + b"!" if n == "m.bin" else d, "does not match its sha256"),
        (lambda n, d: None if n == "d/n.txt" else d, "missing from the archive"),
        (lambda n, d: None if n == "metadata.json" else d, "has no metadata.json"),
        (lambda n, d: b"{not json" if n == "metadata.json" else d, "not valid JSON"),
        (
            lambda n, d: (
                json.dumps(
                    {**json.loads(d), "assets": {"m": {"file": "m.bin", "hash": "md5:1"}}}
                ).encode()
                if n == "metadata.json"
                else d
            ),
            "no 'sha256:<hex>' hash",
        ),
    ],
)
def test_a_tampered_package_is_refused_and_nothing_is_left(
    tmp_path: Path, change: Any, message: str
) -> None:
    bad = _rewrite(_built(tmp_path / "src"), tmp_path / "bad.tar.gz", change)
    with pytest.raises(PackageError, match=message):
        ModelPackage.open(bad, tmp_path / "dest")
    with pytest.raises(PackageError, match=message):
        ModelPackage.verify(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tar.gz", "src"]


def test_an_added_member_is_refused(tmp_path: Path) -> None:
    good = _built(tmp_path / "src")
    extra = tmp_path / "extra.tar.gz"
    with tarfile.open(extra, "w:gz") as tar:
        for name, data in {**_members(good), "evil.sh": b"rm -rf"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(PackageError, match=r"not in the manifest: \['evil.sh'\]"):
        ModelPackage.open(extra, tmp_path / "dest")


def test_corrupt_and_truncated_archives_are_clear_errors(tmp_path: Path) -> None:
    good = _built(tmp_path / "src").read_bytes()
    for label, data in (
        ("truncated", good[: len(good) // 2]),
        ("flipped", good[:40] + bytes([good[40] ^ 0xFF]) + good[41:]),
        ("not gzip", b"hello, not an archive"),
        ("empty", b""),
    ):
        path = tmp_path / f"{label}.tar.gz"
        path.write_bytes(data)
        with pytest.raises(PackageError) as caught:
            ModelPackage.open(path, tmp_path / f"{label}-dest")
        assert path.name in str(caught.value)
        assert not (tmp_path / f"{label}-dest").exists()
    with pytest.raises(PackageError, match="does not exist"):
        ModelPackage.open(tmp_path / "nothing.tar.gz")


def _raw_tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            body = data.get(info.name)
            if body is not None:
                info.size = len(body)
            tar.addfile(info, io.BytesIO(body) if body is not None else None)
    return path


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("../escape.txt", tarfile.REGTYPE, "leads out"),
        ("/abs.txt", tarfile.REGTYPE, "absolute"),
        ("link", tarfile.SYMTYPE, "is a link"),
        ("hard", tarfile.LNKTYPE, "is a link"),
        ("fifo", tarfile.FIFOTYPE, "not a regular file"),
        ("dev", tarfile.CHRTYPE, "not a regular file"),
    ],
)
def test_unsafe_members_are_refused(tmp_path: Path, name: str, kind: bytes, message: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
    manifest = tarfile.TarInfo("metadata.json")
    path = _raw_tar(
        tmp_path / "evil.tar.gz", [info, manifest],
        {name: b"x", "metadata.json": b'{"assets": {}}'} if kind == tarfile.REGTYPE
        else {"metadata.json": b'{"assets": {}}'},
    )  # fmt: skip
    with pytest.raises(PackageError, match=message):
        ModelPackage.open(path, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() and not (tmp_path / "escape.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tar.gz"]


def test_a_duplicate_member_is_refused(tmp_path: Path) -> None:
    infos = [tarfile.TarInfo("a.txt"), tarfile.TarInfo("a.txt"), tarfile.TarInfo("metadata.json")]
    path = _raw_tar(tmp_path / "dup.tar.gz", infos, {"a.txt": b"x", "metadata.json": b"{}"})
    with pytest.raises(PackageError, match="appears twice"):
        ModelPackage.open(path, tmp_path / "dest")


def test_open_refuses_an_existing_destination(tmp_path: Path) -> None:
    (tmp_path / "dest").mkdir()
    with pytest.raises(PackageError, match="already exists"):
        ModelPackage.open(_built(tmp_path / "src"), tmp_path / "dest")


def test_default_destination_is_a_fresh_folder(tmp_path: Path) -> None:
    opened = ModelPackage.open(_built(tmp_path))
    assert opened.read_bytes("m.bin") == b"m" * 5000


# -- a property: any file tree round-trips -------------------------------------------

_PART = st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..") and s.strip(" ") == s
)
_TREES = st.dictionaries(
    st.lists(_PART, min_size=1, max_size=3).map("/".join),
    st.binary(max_size=2048),
    max_size=12,
)


def _plausible(tree: dict[str, bytes]) -> dict[str, bytes]:
    """Drop paths that are a prefix folder of another path (a file cannot be a folder)."""
    names = sorted(tree)
    return {
        n: tree[n]
        for n in names
        if n != "metadata.json" and not any(o.startswith(n + "/") for o in names)
    }


@given(_TREES)
def test_any_file_tree_round_trips(tmp_path_factory: pytest.TempPathFactory, tree: Any) -> None:
    tree = _plausible(tree)
    base = tmp_path_factory.mktemp("tree")
    source = base / "src"
    for name, data in tree.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    source.mkdir(exist_ok=True)
    path = _package().add_folder(source, prefix="model").write(base / "out")
    opened = ModelPackage.open(path, base / "opened")
    assert set(opened.assets) == {f"model/{n}" for n in tree}
    for name, data in tree.items():
        assert opened.read_bytes(f"model/{name}") == data


# -- the job completes with a package --------------------------------------------------


def test_complete_job_with_a_package_writes_it_under_artifacts(tmp_path: Path) -> None:
    b = SchemaBuilder()
    b.integer("epochs", default=3)
    b.secret("token")
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")}
    job = Job.init(schema=b, argv=["--token", "tok_SECRET_123"], env=env, job_dir=tmp_path / "job")
    package = ModelPackage(classes=["a"]).add_bytes("w.bin", b"weights")
    model_path = job.complete_job(package)
    assert model_path is not None and model_path.startswith("artifacts/")
    archive = job.job_dir / model_path
    opened = ModelPackage.open(archive, tmp_path / "o")
    assert opened.id == job.id and opened.name == job.name and opened.classes == ["a"]
    assert opened.settings is not None and opened.settings["epochs"] == 3
    assert "tok_SECRET_123" not in gzip.decompress(archive.read_bytes()).decode("latin-1")
    status = json.loads((job.job_dir / "status.json").read_text())
    assert status["model_path"] == model_path


def test_a_versioned_file_must_match_its_version(tmp_path: Path) -> None:
    path = _built(tmp_path / "src")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # inside the gzip trailer: tar may still read, the md5 cannot match
    bad = tmp_path / path.name
    bad.write_bytes(bytes(data))
    with pytest.raises(PackageError, match="does not match the version in its name"):
        ModelPackage.open(bad, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_save_writes_an_exact_path(tmp_path: Path) -> None:
    path = _package().add_bytes("model.json", b"{}").save(tmp_path / "classifier.tar.gz")
    assert path == tmp_path / "classifier.tar.gz"
    assert ModelPackage.open(path, tmp_path / "o").read_bytes("model.json") == b"{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classifier.tar.gz", "o"]


def test_a_member_whose_body_cannot_be_read_is_refused_with_a_package_error() -> None:
    """The reader's guard is a real error, not an assert that ``python -O`` drops."""
    from brevetti_job._package import _take

    class NoBody(tarfile.TarFile):
        def extractfile(self, member: Any) -> None:  # type: ignore[override]
            return None

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("model.onnx")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    buffer.seek(0)
    with NoBody(fileobj=buffer) as tar:
        member = tar.getmember("model.onnx")
        with pytest.raises(PackageError, match="no readable content"):
            _take(tar, member, {}, None, None)
