"""Issue 13: downloading a model's 200 artifacts, PlatformAPI against a threaded boto3 loop.

A dev server runs as a subprocess on a fresh store, with a user and a model type; a job
made through the web API uploads 200 artifacts (128 KiB each, ``--quick``: 20) and
completes. The same files are put into a SeaweedFS S3 gateway (a child process too).
Two contenders download all of them into a fresh folder, alternating, over 5 rounds:

* ``boto3, 16 threads``: list the prefix with the paginator, then ``get_object`` and
  write each file from a pool of 16 threads (the reference);
* ``PlatformAPI.download_artifacts``: list the model's artifacts (recursively, through
  the dev server's web API), then fetch every link (presigned, from the object store)
  from 16 threads, each file's sha256 checked, written whole or not.

Time is the wall time of the whole download (median of the rounds); the ratio is the
reference's time over ours (>= 0.8 is the goal: at least 80 % of its throughput).

    python -m benchmarks.artifact_download [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._common import EXAMPLES, ROOT, Table, median, spread

KIB = 1 << 10
FILES, QUICK_FILES = 200, 20
SIZE = 128 * KIB
ROUNDS, QUICK_ROUNDS = 5, 2
WORKERS = 16
TOKEN = "benchmark-admin-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the dev server exited:\n{log.read_text()}")
        try:
            if requests.get(url + "/openapi.json", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.05)  # not up yet
    raise SystemExit(f"the dev server did not start:\n{log.read_text()}")


def _files(count: int) -> dict[str, bytes]:
    """Artifact names and contents: nested folders, distinct bytes."""
    return {
        f"part{i // 50}/artifact-{i:03d}.bin": hashlib.sha256(str(i).encode()).digest()
        * (SIZE // 32)
        for i in range(count)
    }


def _prepare_model(url: str, root: Path, work: Path, files: dict[str, bytes]) -> tuple[Any, str]:
    """A user, a model type and a completed model holding `files`; returns (api, model id)."""
    from brevetti_job import PlatformAPI
    from brevetti_job.devserver._users import add_user
    from brevetti_job.devserver._webapi import add_type
    from brevetti_job.devserver._webapi_store import WebApiStore
    from brevetti_schema import emit_platform_ui, load_schema_file

    records = WebApiStore(root)
    add_user(records, "bench@example.com", "benchmark-password")
    schema = load_schema_file(EXAMPLES / "image_classification.yaml")
    type_id = add_type(records, "bench", emit_platform_ui(schema))["id"]
    records.close()
    api = PlatformAPI(
        "bench@example.com", "benchmark-password", host=url, token_dir=work / "tokens", env={}
    )
    kind = api.get_model_type(type_id)
    model = api.create_model("bench model", kind, {})
    job = api.initialize_training(model, schema=kind.schema, job_dir=work / "job", console=False)
    for name, data in files.items():
        job.upload_artifact(name, data)
    job.complete_job()
    return api, model.id


def _boto3_round(client: Any, bucket: str, dest: Path) -> float:
    started = time.perf_counter()
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="m/")
        for item in page.get("Contents", [])
    ]

    def fetch(key: str) -> None:
        target = dest / key
        target.parent.mkdir(parents=True, exist_ok=True)
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        with target.open("wb") as out:
            shutil.copyfileobj(body, out, 1 << 20)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(fetch, keys))
    return time.perf_counter() - started


def _ours_round(api: Any, model_id: str, dest: Path) -> float:
    started = time.perf_counter()
    api.download_artifacts(model_id, dest, workers=WORKERS)
    return time.perf_counter() - started


def run(quick: bool) -> list[Table]:
    """Both contenders, alternating; one table."""
    from botocore.config import Config

    from brevetti_job.devserver._objectstore import SeaweedStore

    count = QUICK_FILES if quick else FILES
    rounds = QUICK_ROUNDS if quick else ROUNDS
    files = _files(count)
    work = Path(tempfile.mkdtemp(prefix="bench-download-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "brevetti_job", "serve", "--root", str(work / "store"),
             "--port", str(port)],
            stdout=out, stderr=out, cwd=ROOT, env={**os.environ, "BREVETTI_ADMIN_TOKEN": TOKEN},
        )  # fmt: skip
    seaweed = SeaweedStore(work / "seaweed")
    times: dict[str, list[float]] = {"boto3": [], "ours": []}
    try:
        _wait(url, server, log)
        seaweed.start()
        api, model_id = _prepare_model(url, work / "store", work, files)
        store = seaweed.store
        store.create_bucket("bench")
        import boto3

        client = boto3.client(
            "s3", endpoint_url=seaweed.endpoint, region_name="us-east-1",
            aws_access_key_id=store.access_key, aws_secret_access_key=store.secret_key,
            config=Config(max_pool_connections=WORKERS * 2, s3={"addressing_style": "path"}),
        )  # fmt: skip
        for name, data in files.items():
            client.put_object(Bucket="bench", Key=f"m/{name}", Body=data)
        for index in range(rounds + 1):  # the first round of each warms up and is dropped
            order = ("boto3", "ours") if index % 2 == 0 else ("ours", "boto3")
            for who in order:
                dest = work / f"dest-{who}-{index}"
                if who == "boto3":
                    seconds = _boto3_round(client, "bench", dest)
                else:
                    seconds = _ours_round(api, model_id, dest)
                got = sum(1 for p in dest.rglob("*") if p.is_file())
                if got < count:
                    raise SystemExit(f"{who}: {got} of {count} files downloaded")
                shutil.rmtree(dest)
                if index:
                    times[who].append(seconds)
    finally:
        server.terminate()
        server.wait(30)
        seaweed.stop()
        shutil.rmtree(work, ignore_errors=True)
    mib = count * SIZE / (1 << 20)
    table = Table(
        f"Downloading a model's {count} artifacts ({SIZE // KIB} KiB each)",
        ["contender", "median time", "spread", "throughput", "vs boto3"],
    )
    reference = median(times["boto3"])
    for who, label in (("boto3", "boto3, 16 threads (reference)"),
                       ("ours", "PlatformAPI.download_artifacts")):  # fmt: skip
        seconds = median(times[who])
        table.add(
            label, f"{seconds * 1000:.0f} ms", spread(times[who]), f"{mib / seconds:.0f} MiB/s",
            f"{reference / seconds:.2f}x",
        )  # fmt: skip
    table.notes.append(
        f"{rounds} alternating rounds after a warm-up round; wall time of list + download "
        f"of every file; ours from the dev server (werkzeug, a subprocess) with every "
        f"sha256 checked, boto3 from a SeaweedFS S3 gateway (a subprocess) on the same host"
    )
    table.notes.append("goal: ours >= 0.8x the reference's throughput")
    return [table]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="smoke mode: 20 files, 2 rounds")
    args = options.parse_args()
    for table in run(args.quick):
        print(table.markdown())


if __name__ == "__main__":
    main()
