"""The job's key, which the securitycredentials URL carries in its query, stays out of
the HTTP libraries' log lines even when no job client was made in the process."""

from __future__ import annotations

import logging

import pytest

from brevetti_job import StorageError
from brevetti_job._storage import Credentials, StaticCredentials, Storage


def test_the_credentials_call_logs_no_key(devserver, caplog):
    job = devserver.create_job()
    storage = Storage.for_platform(
        host=job.base_url,
        job_id=job.id,
        api_key=job.api_key,
        data_bucket=job.data_bucket,
        endpoint_url=job.s3_endpoint,
        progress=False,
    )
    with caplog.at_level(logging.DEBUG):
        assert storage.read_json("info.json")["id"] == job.id
    lines = "\n".join(record.getMessage() for record in caplog.records)
    assert "securitycredentials" in lines  # urllib3 logged the request line
    assert job.api_key not in lines


def test_botocore_logs_no_session_token_or_secret(object_store, caplog):
    keys = Credentials("AKIDLOGTEST0001", "secret-key-of-the-log-test", "session-token-log-test")
    storage = Storage(None, credentials=StaticCredentials(keys), endpoint_url=object_store.endpoint)
    with caplog.at_level(logging.DEBUG), pytest.raises(StorageError):
        storage.read_bytes("s3://no-such-bucket-for-logs/x")  # refused: a foreign token
    lines = "\n".join(record.getMessage() for record in caplog.records)
    assert "x-amz-security-token" in lines.lower()  # botocore logged the signed headers
    assert keys.session_token is not None and keys.session_token not in lines
    assert keys.secret_key not in lines
