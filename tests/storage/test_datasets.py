"""Datasets and samples: the platform's folder-to-class rules, hidden files, the table."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_job import JobConfigError
from brevetti_job._datasets import (
    ROOT,
    Dataset,
    category_for,
    read_samples_csv,
    samples_csv,
    write_samples_csv,
)

# -- the class mapping, as properties ------------------------------------------------------

names = st.sampled_from(["A", "B", "C", "good", "bad", ROOT, "x y"])
folder_paths = st.lists(st.sampled_from(["A", "B", "C", "good", "bad", "x y"]), max_size=4)
values = st.one_of(names, st.lists(names, max_size=3))
mappings = st.dictionaries(st.sampled_from(["A", "B", "C", "good", ROOT]), values, max_size=4)


def oracle(folders, mapping, classes):
    """The rules written the other way round: root to leaf, the last match wins."""
    chain = [ROOT, *folders]  # __root__ is the weakest, so it comes first here
    found = None
    for name in chain:
        if name in mapping and name != ROOT:
            found = mapping[name]
    if found is None and ROOT in mapping:
        found = mapping[ROOT]
    if found is None:
        category = (folders[-1],) if folders else (ROOT,)
    else:
        category = (found,) if isinstance(found, str) else tuple(found)
    if classes is None:
        return category
    kept = tuple(c for c in category if c in classes)
    return None if category and not kept else kept


@given(folder_paths, mappings, st.one_of(st.none(), st.sets(names, max_size=3)))
def test_the_class_rules_agree_with_an_independent_statement(folders, mapping, classes):
    assert category_for(folders, mapping, classes) == oracle(folders, mapping, classes)


@given(folder_paths)
def test_without_a_mapping_the_class_is_the_leaf_folder(folders):
    assert category_for(folders) == ((folders[-1],) if folders else (ROOT,))


@given(folder_paths, mappings, st.sets(names, max_size=3))
def test_the_classes_filter_keeps_only_listed_classes(folders, mapping, classes):
    result = category_for(folders, mapping, classes)
    unfiltered = category_for(folders, mapping)
    if result is None:
        assert unfiltered and not set(unfiltered) & classes
    else:
        assert set(result) <= classes
        assert result == tuple(c for c in unfiltered if c in classes)


def test_the_verified_examples_of_the_reference():
    mapping = {"good": "ok", "A": ["x", "y"], "empty": [], ROOT: "other"}
    assert category_for(["A", "good"], mapping) == ("ok",)  # the deepest match wins
    assert category_for(["good", "A"], mapping) == ("x", "y")
    assert category_for(["A", "zzz"], mapping) == ("x", "y")  # unmatched leaf, matched parent
    assert category_for(["zzz"], mapping) == ("other",)  # __root__ is the fallback
    assert category_for([], mapping) == ("other",)
    assert category_for([], {}) == (ROOT,)
    assert category_for(["empty"], mapping) == ()
    assert category_for(["empty"], mapping, classes=["ok"]) == ()  # an empty class is kept
    assert category_for(["A"], mapping, classes=["y"]) == ("y",)
    assert category_for(["good"], mapping, classes=["y"]) is None  # skipped


# -- datasets over local folders and S3 ------------------------------------------------------

FILES = {
    "good/1.png": b"g1",
    "good/sub/2.JPG": b"g2",
    "bad/3.bmp": b"b3",
    "bad/notes.txt": b"not an image",
    "root.jpeg": b"r",
    "good/.hidden/4.png": b"deep dot folder",
    ".annotations/good/1.png/a.json": b"{}",
    "-minus/5.png": b"sorts before the dot",
    "x.tiff": b"not a platform image suffix",
}


def make_dataset(target):
    for name, data in FILES.items():
        target.put(f"{target.dataset}/{name}", data)
    record = {
        "id": "ds1",
        "name": "Bottles",
        "bucket": target.dataset,
        "reference": "",
        "tags": [{"id": "t1", "name": "Line 1"}],
        "locked": True,
        "color": "blue",
    }
    return Dataset.from_json(record).bind(target.storage, host="https://platform.example")


def test_the_record_keeps_every_key(tmp_path):
    record = {"id": "ds1", "name": "n", "created": "2026-01-01T00:00:00", "tagIds": [3], "x": 1}
    dataset = Dataset.from_json(record, data_bucket="s3://data.example")
    assert dataset.bucket == "s3://data.example/ds1"
    assert dataset.extra == {"tagIds": [3], "x": 1}
    again = Dataset.from_json(dataset.to_json())
    assert again == dataset
    with pytest.raises(JobConfigError, match="needs an 'id'"):
        Dataset.from_json({"name": "no id"})
    with pytest.raises(JobConfigError, match="no data bucket"):
        Dataset.from_json({"id": "ds2"}, data_bucket="")
    with pytest.raises(JobConfigError, match="not bound"):
        list(Dataset.from_json({"id": "ds3", "bucket": str(tmp_path)}).files())


def test_files_leave_out_the_hidden_ones_as_the_platform_does(target):
    dataset = make_dataset(target)
    listed = sorted(f.relative for f in dataset.files())
    if target.kind == "s3":
        # the listing starts after '.\uFFFD': top-level dot folders and names sorting
        # before '.' are skipped, deeper dot folders are not
        expected = {n for n in FILES if not n.startswith((".", "-"))}
    else:
        expected = {n for n in FILES if not any(p.startswith(".") for p in n.split("/"))}
    assert listed == sorted(expected)
    assert sorted(f.relative for f in dataset.files(r"\.txt$")) == ["bad/notes.txt"]


def test_samples_carry_the_platform_columns(target):
    dataset = make_dataset(target)
    samples = {s.path.rsplit(target.dataset + "/", 1)[1]: s for s in dataset.samples()}
    expected_names = {"good/1.png", "good/sub/2.JPG", "bad/3.bmp", "root.jpeg"}
    if target.kind == "s3":
        expected_names |= {"good/.hidden/4.png"}
    else:
        expected_names |= {"-minus/5.png"}
    assert set(samples) == expected_names
    one = samples["good/1.png"]
    assert one.path == f"{target.dataset}/good/1.png"
    assert one.category == ("good",) and one.folder == "good"
    assert one.etag == hashlib.md5(b"g1").hexdigest()
    assert one.dataset == "Bottles" and one.dataset_id == "ds1" and one.reference == "N/A"
    assert one.bucket == target.dataset and one.size == 2
    assert one.url == "https://platform.example/download?path=ds1%2Fgood%2F1.png"
    assert unquote(one.url.split("=", 1)[1]) == "ds1/good/1.png"
    assert samples["good/sub/2.JPG"].category == ("sub",)
    assert samples["root.jpeg"].category == (ROOT,) and samples["root.jpeg"].folder == ROOT


def test_samples_follow_the_mapping_and_the_classes_filter(target):
    dataset = make_dataset(target)
    mapped = dataset.samples(class_mapping={"good": "OK", "bad": "NG", ROOT: []})
    by_name = {s.path.rsplit("/", 1)[1]: s.category for s in mapped}
    assert by_name["1.png"] == ("OK",) and by_name["2.JPG"] == ("OK",)
    assert by_name["3.bmp"] == ("NG",) and by_name["root.jpeg"] == ()
    only_ok = dataset.samples(class_mapping={"good": "OK", "bad": "NG"}, classes=["OK"])
    assert {s.category for s in only_ok} == {("OK",)}
    assert {s.path.rsplit("/", 1)[1] for s in only_ok} >= {"1.png", "2.JPG"}


def test_the_sample_table_is_written_and_read_back(target, tmp_path):
    dataset = make_dataset(target)
    samples = dataset.samples(class_mapping={"good": ["OK", "shiny"]})
    url = write_samples_csv(samples, "artifacts/samples.csv", target.storage)
    text = target.storage.read_text(url)
    assert text.splitlines()[0] == (
        "path;category;folder;etag;bucket;dataset;dataset_id;reference;url;size"
    )
    rows = read_samples_csv(text)
    assert [r["path"] for r in rows] == [s.path for s in samples]
    assert [r["category"] for r in rows] == [s.category for s in samples]
    assert "('OK', 'shiny')" in text
    assert rows[0]["size"] == samples[0].size
    own = samples_csv(samples, for_dataset=target.dataset)
    header = own.splitlines()[0].split(";")
    assert header == ["path", "category", "etag", "reference", "size"]
    assert read_samples_csv(own)[0]["path"] == samples[0].path[len(target.dataset) + 1 :]


def test_a_comma_table_is_read_too():
    rows = read_samples_csv("path,category\na/1.png,\"('a',)\"\n")
    assert rows == [{"path": "a/1.png", "category": ("a",)}]
