"""Datasets and their image samples, following the platform's rules exactly.

A `Dataset` is the description's record (platform-storage.md section 6) bound to the
job's `Storage`: its files live under `bucket` (``s3://...`` or a local folder).
`Dataset.samples` gives one `Sample` per image with the columns of the platform's
sample tables (section 7); the folders of an image's path give its classes:

* the walk goes from the leaf folder to the root, ``__root__`` last; the deepest
  folder named in `class_mapping` gives the class (a string: one class, a list: several,
  ``[]``: no class); ``__root__`` in the mapping is the fallback for every unmatched
  folder and for files at the root; with no match at all the class is the leaf folder's
  name (``('__root__',)`` at the root);
* `classes` then keeps only the listed classes; a sample left with none is skipped (a
  sample whose class was already empty is kept).

Hidden files: in S3 the listing starts after ``<bucket>/.\\uFFFD`` as the platform's does,
which skips every top-level name sorting before that (dot folders such as
``.annotations``, and names starting with a character below ``.``: space, ``!``, ``#``,
``(``, ``+``, ``,``, ``-``); deeper dot folders are listed. In local folders every entry
starting with ``.`` is skipped, at any depth.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import attrs

from ._errors import JobConfigError, StorageError

if TYPE_CHECKING:
    from ._storage import Storage, StorageObject

__all__ = [
    "IMAGE_PATTERN",
    "ROOT",
    "UNKNOWN_TAG",
    "Dataset",
    "Sample",
    "category_for",
    "read_samples_csv",
    "samples_csv",
    "write_samples_csv",
]

ROOT: Final = "__root__"
IMAGE_PATTERN: Final = re.compile(r"(?:^|/)[^/]+\.(?:tif|bmp|jpeg|jpg|png)$", re.IGNORECASE)
"""Image files as the platform finds them: these suffixes, any case (no ``.tiff``)."""
S3_HIDDEN_BEFORE: Final = ".\ufffd"
DEFAULT_HOST: Final = "https://platform.brevetti.ai"
_KNOWN: Final = ("id", "name", "bucket", "created", "locked", "reference", "notes", "tags")

ClassMapping = Mapping[str, str | Sequence[str]]


def _as_classes(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def category_for(
    folders: Sequence[str],
    class_mapping: ClassMapping | None = None,
    classes: Iterable[str] | None = None,
) -> tuple[str, ...] | None:
    """The classes of a file in `folders` (root first); None when `classes` skips it."""
    mapping = class_mapping or {}
    category: tuple[str, ...] | None = None
    for folder in (*reversed(folders), ROOT):
        if folder in mapping:
            category = _as_classes(mapping[folder])
            break
    if category is None:
        category = (folders[-1],) if folders else (ROOT,)
    if classes is not None:
        wanted = set(classes)
        kept = tuple(c for c in category if c in wanted)
        if category and not kept:
            return None
        category = kept
    return category


UNKNOWN_TAG: Final = "<Unknown>"
"""The name a tag known only by its id (a legacy ``tagIds`` entry) gets, as the platform's
legacy dataset class names it."""


def _legacy_tags(dataset_id: str, ids: Any) -> tuple[dict[str, str], ...]:
    """Tags from a legacy record's ``tagIds`` (used when it has no ``tags``): each id a
    tag named `UNKNOWN_TAG` (platform-storage.md section 6)."""
    if not isinstance(ids, list | tuple) or not all(isinstance(t, str | int) for t in ids):
        raise JobConfigError(f"dataset {dataset_id}: 'tagIds' must be a list of ids, got {ids!r}")
    return tuple({"id": str(t), "name": UNKNOWN_TAG} for t in ids)


@attrs.frozen
class Sample:
    """One image of a dataset: the columns of the platform's sample tables, plus `size`."""

    path: str
    category: tuple[str, ...]
    folder: str
    etag: str
    bucket: str
    dataset: str
    dataset_id: str
    reference: str
    url: str
    size: int

    def row(self) -> dict[str, str]:
        """The sample as a table row (category as a Python tuple literal, as the platform)."""
        return {
            "path": self.path,
            "category": repr(self.category),
            "folder": self.folder,
            "etag": self.etag,
            "bucket": self.bucket,
            "dataset": self.dataset,
            "dataset_id": self.dataset_id,
            "reference": self.reference,
            "url": self.url,
            "size": str(self.size),
        }


@attrs.frozen
class Dataset:
    """A dataset the job was given, with every key of its record (unknown ones in `extra`).

    Bound to a `Storage` (`bind`) it lists its files and samples.
    """

    id: str
    name: str
    bucket: str
    reference: str = ""
    tags: tuple[Mapping[str, Any], ...] = ()
    locked: bool = False
    notes: str = ""
    created: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    storage: Storage | None = attrs.field(default=None, eq=False, repr=False)
    host: str = attrs.field(default=DEFAULT_HOST, eq=False, repr=False)

    @classmethod
    def from_json(
        cls,
        data: Any,
        *,
        data_bucket: str | None = None,
        storage: Storage | None = None,
        host: str | None = None,
    ) -> Dataset:
        """A dataset from its description record; no `bucket`: ``<data bucket>/<id>``."""
        if not isinstance(data, Mapping) or not data.get("id"):
            raise JobConfigError(f"a dataset needs an 'id', got {data!r}")
        dataset_id = str(data["id"])
        bucket = str(data.get("bucket") or "")
        if not bucket:
            base = data_bucket or os.environ.get("BREVETTIAI_DATA_BUCKET") or ""
            if not base:
                raise JobConfigError(
                    f"dataset {dataset_id} has no 'bucket' and no data bucket is known "
                    "(BREVETTIAI_DATA_BUCKET)"
                )
            bucket = f"{base.rstrip('/')}/{dataset_id}"
        tags = data.get("tags") or ()
        if not isinstance(tags, list | tuple):
            raise JobConfigError(f"dataset {dataset_id}: 'tags' must be a list, got {tags!r}")
        if "tags" not in data and data.get("tagIds") is not None:
            tags = _legacy_tags(dataset_id, data["tagIds"])
        return cls(
            id=dataset_id,
            name=str(data.get("name") or ""),
            bucket=bucket.rstrip("/"),
            reference=str(data.get("reference") or ""),
            tags=tuple(t if isinstance(t, Mapping) else {"name": str(t)} for t in tags),
            locked=bool(data.get("locked", False)),
            notes=str(data.get("notes") or ""),
            created=None if data.get("created") is None else str(data["created"]),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
            storage=storage,
            host=(host or DEFAULT_HOST).rstrip("/"),
        )

    def to_json(self) -> dict[str, Any]:
        """The record again, unknown keys included."""
        record: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "bucket": self.bucket,
            "reference": self.reference,
            "tags": [dict(t) for t in self.tags],
            "locked": self.locked,
            "notes": self.notes,
        }
        if self.created is not None:
            record["created"] = self.created
        return {**record, **self.extra}

    def bind(self, storage: Storage, host: str | None = None) -> Dataset:
        """This dataset reading through `storage` (download links on `host`)."""
        return attrs.evolve(self, storage=storage, host=(host or self.host).rstrip("/"))

    @property
    def is_s3(self) -> bool:
        return self.bucket.startswith("s3://")

    def _storage(self) -> Storage:
        if self.storage is None:
            raise JobConfigError(f"dataset {self.id} is not bound to a storage (Dataset.bind)")
        return self.storage

    def files(self, pattern: str | re.Pattern[str] | None = None) -> Iterator[StorageObject]:
        """The dataset's files (hidden ones left out, see the module notes), lazily;
        `pattern` (a regular expression) is searched in each path below the bucket."""
        storage = self._storage()
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        if self.is_s3:
            listing = storage.list(self.bucket, start_after=S3_HIDDEN_BEFORE)
        else:
            listing = (
                item
                for item in storage.list(self.bucket)
                if not any(part.startswith(".") for part in item.relative.split("/"))
            )
        for item in listing:
            if regex is None or regex.search(item.relative):
                yield item

    def samples(
        self,
        class_mapping: ClassMapping | None = None,
        classes: Iterable[str] | None = None,
        pattern: str | re.Pattern[str] | None = IMAGE_PATTERN,
    ) -> list[Sample]:
        """One `Sample` per matching file, classes by the folder rules (module notes)."""
        wanted = None if classes is None else tuple(classes)
        found: list[Sample] = []
        for item in self.files(pattern):
            folders = item.relative.split("/")[:-1]
            category = category_for(folders, class_mapping, wanted)
            if category is None:
                continue
            found.append(
                Sample(
                    path=item.url,
                    category=category,
                    folder=folders[-1] if folders else ROOT,
                    etag=self._etag(item),
                    bucket=self.bucket,
                    dataset=self.name,
                    dataset_id=self.id,
                    reference=self.reference or "N/A",
                    url=self.download_url(item.relative),
                    size=item.size,
                )
            )
        return found

    def download_url(self, relative: str) -> str:
        """The platform's download link of a file (dataset id first, ``/`` as ``%2F``)."""
        return f"{self.host}/download?path={quote(f'{self.id}/{relative}', safe='')}"

    def _etag(self, item: StorageObject) -> str:
        etag = item.etag
        if etag and len(etag) == 32 and "-" not in etag:
            return etag
        if not self.is_s3:
            stat = self._storage().stat(item.url)  # local: the MD5 of the file
            return stat.etag or ""
        return self._md5_metadata(item) or (etag or "")

    def _md5_metadata(self, item: StorageObject) -> str | None:
        """A multipart object's ``x-amz-meta-md5`` if it has one (not computed: the
        dataset is read-only, so nothing is written back as the reference does)."""
        storage = self._storage()
        location = storage.location(item.url)
        try:
            head = storage.client(location).head_object(Bucket=location.bucket, Key=location.key)
        except Exception:  # noqa: BLE001 - no metadata: the listed ETag stays
            return None
        value = head.get("Metadata", {}).get("md5")
        return str(value) if value else None


COLUMNS: Final = (
    "path", "category", "folder", "etag", "bucket", "dataset", "dataset_id", "reference", "url",
    "size",
)  # fmt: skip
DATASET_DROPPED: Final = ("folder", "bucket", "dataset", "dataset_id", "url")
"""Columns a table saved into the dataset's own ``.samples/`` leaves out (section 7)."""


def samples_csv(samples: Iterable[Sample], *, for_dataset: str | None = None) -> str:
    """The ``;``-separated sample table. With `for_dataset` (a dataset bucket) only that
    bucket's rows, paths relative to it and the per-dataset columns dropped, the form of
    ``<dataset>/.samples/<name>``."""
    columns = [c for c in COLUMNS if for_dataset is None or c not in DATASET_DROPPED]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, delimiter=";", lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for sample in samples:
        row = sample.row()
        if for_dataset is not None:
            prefix = for_dataset.rstrip("/") + "/"
            if not sample.path.startswith(prefix):
                continue
            row["path"] = sample.path[len(prefix) :]
        writer.writerow(row)
    return out.getvalue()


def write_samples_csv(
    samples: Iterable[Sample], target: str | os.PathLike[str], storage: Storage | None = None
) -> str:
    """Write the sample table to `target` (through `storage`, else a local file); the URL."""
    text = samples_csv(samples)
    if storage is not None:
        return storage.write_text(target, text)
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def read_samples_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a sample table (``;``, or ``,`` if that gives one column); ``category`` as a
    tuple, ``size`` as a number where it is one."""
    delimiter = ";"
    header = text.split("\n", 1)[0]
    if ";" not in header and "," in header:
        delimiter = ","
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(csv.DictReader(io.StringIO(text), delimiter=delimiter), 2):
        row: dict[str, Any] = dict(raw)
        if row.get("category"):
            try:
                value = ast.literal_eval(row["category"])
            except (ValueError, SyntaxError):
                raise StorageError(f"sample table line {number}: category is not a tuple") from None
            row["category"] = tuple(value) if isinstance(value, list | tuple) else (str(value),)
        if row.get("size", "").isdigit():
            row["size"] = int(row["size"])
        rows.append(row)
    return rows


for _public in (Dataset, Sample):  # brevetti_job.X in reprs however it was loaded (lazily)
    _public.__module__ = "brevetti_job"
del _public
