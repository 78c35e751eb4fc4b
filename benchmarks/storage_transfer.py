"""Issue 10: `Storage` against plain boto3, on a real SeaweedFS gateway over loopback.

One weed process (our `SeaweedStore`) on a fresh root serves every case; contenders run
in alternation over several rounds and the median wall time counts:

* listing a 10,000-object dataset: `Storage.list` vs a plain boto3 paginator;
* downloading 2,000 objects of 64 KiB: `Storage.download_many` with an empty cache
  (cold) vs 16 boto3 threads doing get_object into files; then the same call again in
  the same run (warm: the cache answers, each ETag was checked this run already) and
  in a new run on the same cache (its ETags checked by one listing per folder);
* uploading a 1 GiB file: `Storage.upload` vs boto3 ``upload_file`` with its default
  settings, each in a fresh process whose peak memory (VmHWM) is reported.

    python -m benchmarks.storage_transfer [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._common import ROOT, Table, median, spread

MIB = 1 << 20
FULL = {"list": 10_000, "files": 2_000, "file_size": 64 << 10, "upload": 1024 * MIB, "rounds": 5}
QUICK = {"list": 300, "files": 60, "file_size": 64 << 10, "upload": 24 * MIB, "rounds": 2}


def _time(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _alternate(contenders: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Wall seconds of each contender, one sample of each per round, order alternating."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            samples[name].append(_time(contenders[name]))
    return samples


def _fill(client: Any, bucket: str, keys: list[str], size: int) -> None:
    body = random.Random(7).randbytes(size)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=body), keys))


def bench_list(store: Any, bucket: str, count: int, rounds: int) -> Table:
    from brevetti_job._storage import StaticCredentials, Storage

    admin = store.client()
    _fill(admin, bucket, [f"listing/cls{i % 10}/{i:06d}.png" for i in range(count)], 64)
    storage = Storage(
        None,
        credentials=StaticCredentials.from_keys(store.access_key, store.secret_key),
        endpoint_url=store.endpoint,
    )

    def ours() -> None:
        assert sum(1 for _ in storage.list(f"s3://{bucket}/listing")) == count

    def plain() -> None:
        paginator = admin.get_paginator("list_objects_v2")
        seen = 0
        for page in paginator.paginate(Bucket=bucket, Prefix="listing/"):
            seen += len(page.get("Contents", []))
        assert seen == count

    ours()
    plain()  # warm both connection pools
    samples = _alternate({"ours": ours, "plain": plain}, rounds)
    table = Table(
        f"Storage: listing {count:,} objects",
        ["contender", "median s", "spread", "objects/s", "time vs boto3"],
    )
    base = median(samples["plain"])
    for name, label in (("plain", "boto3 paginator (reference)"), ("ours", "Storage.list")):
        mid = median(samples[name])
        table.add(label, f"{mid:.3f}", spread(samples[name]), f"{count / mid:,.0f}",
                  f"{mid / base:.2f}x")  # fmt: skip
    table.notes.append("target: Storage.list at most 1.2x the paginator's time")
    return table


def bench_download(store: Any, bucket: str, count: int, size: int, rounds: int,
                   work: Path) -> Table:  # fmt: skip
    from brevetti_job._storage import Cache, StaticCredentials, Storage

    admin = store.client()
    keys = [f"download/cls{i % 10}/{i:05d}.png" for i in range(count)]
    _fill(admin, bucket, keys, size)
    urls = [f"s3://{bucket}/{key}" for key in keys]
    credentials = StaticCredentials.from_keys(store.access_key, store.secret_key)
    cold: list[float] = []
    plain: list[float] = []
    warm: list[float] = []
    warm_new_run: list[float] = []
    for round_ in range(rounds):
        folder = work / f"dl-{round_}"
        cache_root = folder / "cache"

        def ours_cold(folder: Path = folder, cache_root: Path = cache_root) -> Storage:
            storage = Storage(None, credentials=credentials, endpoint_url=store.endpoint,
                              cache=Cache(cache_root), progress=False)  # fmt: skip
            started = time.perf_counter()
            storage.download_many(urls, folder / "ours")
            cold.append(time.perf_counter() - started)
            return storage

        def boto(folder: Path = folder) -> None:
            target = folder / "plain"
            started = time.perf_counter()

            def one(key: str) -> None:
                path = target / key
                path.parent.mkdir(parents=True, exist_ok=True)
                body = admin.get_object(Bucket=bucket, Key=key)["Body"]
                with path.open("wb") as out:
                    out.write(body.read())

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(one, keys))
            plain.append(time.perf_counter() - started)

        if round_ % 2:
            boto()
            storage = ours_cold()
        else:
            storage = ours_cold()
            boto()
        warm.append(_time(lambda s=storage, f=folder: s.download_many(urls, f / "warm")))
        later = Storage(None, credentials=credentials, endpoint_url=store.endpoint,
                        cache=Cache(cache_root), progress=False)  # fmt: skip
        warm_new_run.append(_time(lambda s=later, f=folder: s.download_many(urls, f / "warm2")))
        shutil.rmtree(folder, ignore_errors=True)
    mib = count * size / MIB
    table = Table(
        f"Storage: downloading {count:,} objects of {size >> 10} KiB",
        ["contender", "median s", "spread", "MiB/s", "vs boto3 threads"],
    )
    base = median(plain)
    rows = (
        ("16 boto3 threads, get_object (reference)", plain),
        ("Storage.download_many, empty cache (cold)", cold),
        ("the same again in the same run (warm)", warm),
        ("a new run on the same cache (checked by listing)", warm_new_run),
    )
    for label, samples in rows:
        mid = median(samples)
        table.add(label, f"{mid:.3f}", spread(samples), f"{mib / mid:,.1f}", f"{base / mid:.2f}x")
    table.notes.append(
        f"warm (same run) is {median(cold) / median(warm):.1f}x faster than cold; targets: "
        "cold at least 0.8x the threads' throughput, warm at least 10x faster than cold"
    )
    return table


def _child(args: argparse.Namespace) -> None:
    """Upload once in this fresh process; print the wall time and peak RSS."""
    import boto3
    from botocore.config import Config

    if args.child == "ours":
        from brevetti_job._storage import StaticCredentials, Storage

        storage = Storage(
            None,
            credentials=StaticCredentials.from_keys(args.key, args.secret),
            endpoint_url=args.endpoint,
            progress=False,
        )
        started = time.perf_counter()
        storage.upload(args.file, f"s3://{args.bucket}/upload/ours.bin")
    else:
        client = boto3.client(
            "s3",
            endpoint_url=args.endpoint,
            aws_access_key_id=args.key,
            aws_secret_access_key=args.secret,
            region_name="eu-west-1",
            config=Config(s3={"addressing_style": "path"}),
        )
        started = time.perf_counter()
        client.upload_file(args.file, args.bucket, "upload/plain.bin")
    seconds = time.perf_counter() - started
    peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    print(json.dumps({"seconds": seconds, "peak_rss": peak}))


def bench_upload(store: Any, bucket: str, size: int, rounds: int, work: Path) -> Table:
    source = work / "upload.bin"
    base = random.Random(size).randbytes(MIB)
    with source.open("wb") as handle:
        for n in range(size // MIB):
            shift = (n * 7919) % MIB
            handle.write(base[shift:] + base[:shift])
    results: dict[str, list[dict[str, float]]] = {"plain": [], "ours": []}
    for round_ in range(rounds):
        for name in ("plain", "ours") if round_ % 2 == 0 else ("ours", "plain"):
            command = [
                sys.executable, "-m", "benchmarks.storage_transfer", "--child", name,
                "--endpoint", store.endpoint, "--key", store.access_key,
                "--secret", store.secret_key, "--bucket", bucket, "--file", str(source),
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
            if done.returncode != 0:
                raise RuntimeError(f"upload child {name} failed:\n{done.stderr[-2000:]}")
            results[name].append(json.loads(done.stdout.splitlines()[-1]))
            store.client().delete_object(Bucket=bucket, Key=f"upload/{name}.bin")
    source.unlink()
    table = Table(
        f"Storage: uploading {size // MIB:,} MiB",
        ["contender", "median s", "spread", "MiB/s", "vs upload_file", "client peak RSS MiB"],
    )
    plain_mid = median([r["seconds"] for r in results["plain"]])
    for name, label in (("plain", "boto3 upload_file (reference)"), ("ours", "Storage.upload")):
        seconds = [r["seconds"] for r in results[name]]
        mid = median(seconds)
        peak = max(r["peak_rss"] for r in results[name]) / MIB
        table.add(label, f"{mid:.2f}", spread(seconds), f"{size / MIB / mid:,.0f}",
                  f"{plain_mid / mid:.2f}x", f"{peak:.0f}")  # fmt: skip
    table.notes.append(
        "each upload in a fresh process; peak RSS is that process's VmHWM (Python, boto3 "
        "and the transfer buffers); targets: at least 0.8x upload_file, under 100 MiB"
    )
    return table


def run(quick: bool) -> list[Table]:
    """All storage benchmarks on one fresh SeaweedFS gateway."""
    from brevetti_job.devserver._objectstore import SeaweedStore

    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        work = Path(folder)
        with SeaweedStore(work / "store") as seaweed:
            store = seaweed.store
            store.create_bucket("bench")
            tables = [
                bench_list(store, "bench", sizes["list"], 3 * sizes["rounds"]),
                bench_download(
                    store, "bench", sizes["files"], sizes["file_size"], sizes["rounds"], work
                ),
                bench_upload(store, "bench", sizes["upload"], max(2, sizes["rounds"] - 2), work),
            ]
    for table in tables:
        if quick:
            table.notes.append("quick smoke mode: small sizes, not the real figures")
    return tables


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    cli.add_argument("--child", choices=("ours", "plain"), help=argparse.SUPPRESS)
    for name in ("endpoint", "key", "secret", "bucket", "file"):
        cli.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.child:
        _child(args)
        return
    for table in run(args.quick):
        print(table.markdown(), flush=True)


if __name__ == "__main__":
    main()
