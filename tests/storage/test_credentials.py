"""Job-scoped credentials: the STS answer, routing per prefix, renewal, secrets kept out."""

from __future__ import annotations

import datetime
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_job import PlatformError, PlatformUnavailable, StoragePermissionError
from brevetti_job._storage import (
    CredentialRoutes,
    Credentials,
    PlatformCredentials,
    StaticCredentials,
    Storage,
    parse_sts_answer,
)
from brevetti_job.devserver._objectstore import folder_grants

ANSWER = """
<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE123</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG+bPxRfiCY</SecretAccessKey>
      <SessionToken>FwoGZXIvYXdzEBYaD-token</SessionToken>
      <Expiration>2026-12-04T21:30:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>
"""


def test_the_sts_answer_is_parsed_as_the_platform_gives_it():
    credentials = parse_sts_answer(ANSWER)
    assert credentials.access_key == "ASIAEXAMPLE123"
    assert credentials.secret_key == "wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
    assert credentials.session_token == "FwoGZXIvYXdzEBYaD-token"
    assert credentials.expiration == datetime.datetime(2026, 12, 4, 21, 30, tzinfo=datetime.UTC)
    shown = repr(credentials)
    assert "ASIAEXAMPLE123" not in shown and "wJalr" not in shown and "FwoG" not in shown


@pytest.mark.parametrize("token", ["<SessionToken></SessionToken>", "<SessionToken/>"])
def test_an_empty_session_token_means_none(token):
    body = ANSWER.replace("<SessionToken>FwoGZXIvYXdzEBYaD-token</SessionToken>", token)
    assert parse_sts_answer(body).session_token is None


def test_no_expiration_means_no_timer():
    body = ANSWER.replace("<Expiration>2026-12-04T21:30:00Z</Expiration>", "")
    credentials = parse_sts_answer(body)
    assert credentials.expiration is None and not credentials.due()


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("<SecretAccessKey>wJalrXUtnFEMI/K7MDENG+bPxRfiCY</SecretAccessKey>", "SecretAccessKey"),
        ("<SessionToken>FwoGZXIvYXdzEBYaD-token</SessionToken>", "SessionToken"),
        ("<AccessKeyId>ASIAEXAMPLE123</AccessKeyId>", "AccessKeyId"),
    ],
)
def test_a_missing_element_is_a_clear_error_without_the_other_values(remove, message):
    with pytest.raises(PlatformError, match=message) as caught:
        parse_sts_answer(ANSWER.replace(remove, ""))
    assert "wJalr" not in str(caught.value) and "ASIAEXAMPLE" not in str(caught.value)


def test_an_unreadable_expiration_is_a_clear_error():
    with pytest.raises(PlatformError, match="Expiration"):
        parse_sts_answer(ANSWER.replace("2026-12-04T21:30:00Z", "tomorrow"))


@given(st.integers(min_value=-3600, max_value=3600))
def test_credentials_are_due_five_minutes_before_they_expire(seconds_left):
    issued = datetime.datetime(2026, 12, 4, 19, 0, tzinfo=datetime.UTC)  # an hour's life
    now = issued + datetime.timedelta(hours=1)
    expiration = now + datetime.timedelta(seconds=seconds_left)
    credentials = Credentials(
        "a", "b", None, expiration, issued=issued - datetime.timedelta(hours=1)
    )
    assert credentials.due(now) == (seconds_left <= 300)


@given(st.integers(min_value=1, max_value=300), st.data())
def test_short_lived_credentials_are_due_at_half_their_life(half, data):
    lifetime = 2 * half  # seconds; half of it is at most the five-minute margin
    elapsed = data.draw(st.integers(min_value=0, max_value=lifetime + 5))
    issued = datetime.datetime(2026, 12, 4, 20, 0, tzinfo=datetime.UTC)
    expiration = issued + datetime.timedelta(seconds=lifetime)
    now = issued + datetime.timedelta(seconds=elapsed)
    credentials = Credentials("a", "b", None, expiration, issued=issued)
    assert credentials.due(now) == (elapsed >= half)


def test_the_platform_call_masks_the_key_and_reports_an_unreachable_platform():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    provider = PlatformCredentials(
        f"http://127.0.0.1:{port}", "job-1", "the-api-key-123", dataset_id="ds-9", attempts=2
    )
    assert provider.url == (
        f"http://127.0.0.1:{port}/api/models/job-1/securitycredentials?key=***&datasetId=ds-9"
    )
    with pytest.raises(PlatformUnavailable) as caught:
        provider.credentials()
    assert "the-api-key-123" not in f"{caught.value} {caught.value.request} {caught.value!r}"
    assert "the-api-key-123" not in repr(provider)
    with pytest.raises(ValueError, match="exactly one"):
        PlatformCredentials("http://h", "j", "k")


class Rotating:
    """A provider that hands out the next keys whenever it is asked to refresh."""

    def __init__(self, *keys):
        self.keys = [Credentials(k.access_key, k.secret_key) for k in keys]
        self.index = 0
        self.refreshes = 0

    def credentials(self, *, refresh=False):
        if refresh:
            self.refreshes += 1
            self.index = min(self.index + 1, len(self.keys) - 1)
        return self.keys[self.index]

    @property
    def secrets(self):
        return tuple(s for k in self.keys for s in k.secrets)


def test_each_prefix_uses_its_own_credentials(object_store):
    bucket = object_store.bucket("data")
    object_store.client().put_object(Bucket=bucket, Key="ds1/a.png", Body=b"png")
    object_store.client().put_object(Bucket=bucket, Key="ds2/a.png", Body=b"png")
    job = object_store.identity(*folder_grants(bucket, "job1", write=True))
    dataset = object_store.identity(*folder_grants(bucket, "ds1", write=False))
    routes = CredentialRoutes(
        {
            f"s3://{bucket}/job1": StaticCredentials.from_keys(job.access_key, job.secret_key),
            f"s3://{bucket}/ds1": StaticCredentials.from_keys(
                dataset.access_key, dataset.secret_key
            ),
        }
    )
    storage = Storage(f"s3://{bucket}/job1", credentials=routes, endpoint_url=object_store.endpoint)
    storage.write_bytes("artifacts/x", b"x")
    assert storage.read_bytes(f"s3://{bucket}/ds1/a.png") == b"png"
    assert [o.relative for o in storage.list(f"s3://{bucket}/ds1")] == ["a.png"]
    storage.copy(f"s3://{bucket}/ds1/a.png", "artifacts/a.png")  # across credentials
    assert storage.read_bytes("artifacts/a.png") == b"png"

    with pytest.raises(StoragePermissionError, match="outside the job's resources") as caught:
        storage.read_bytes(f"s3://{bucket}/ds2/a.png")
    assert f"s3://{bucket}/job1" in str(caught.value)
    with pytest.raises(StoragePermissionError, match="outside the job's resources"):
        storage.read_bytes(f"s3://{bucket}/ds10/a.png")  # a prefix of a name is no match
    with pytest.raises(StoragePermissionError, match="refused by the store"):
        storage.write_bytes(f"s3://{bucket}/ds1/new.png", b"x")  # the dataset is read-only
    for secret in (job.secret_key, dataset.secret_key, job.access_key):
        assert secret not in repr(storage) and secret not in repr(routes)


def test_expired_keys_are_renewed_without_the_user_noticing(object_store):
    bucket = object_store.bucket("data")
    grants = folder_grants(bucket, "job1", write=True)
    first, second = object_store.identity(*grants), object_store.identity(*grants)
    provider = Rotating(first, second)
    storage = Storage(
        f"s3://{bucket}/job1", credentials=provider, endpoint_url=object_store.endpoint
    )
    storage.write_bytes("a.txt", b"one")
    object_store.seaweed.remove_identity(first.name, first.access_key)  # the platform revokes
    assert storage.read_bytes("a.txt") == b"one"  # InvalidAccessKeyId -> renewed -> read
    assert provider.refreshes == 1
    storage.write_bytes("b.txt", b"two")
    assert [o.relative for o in storage.list(storage.url(""))] == ["a.txt", "b.txt"]
    assert provider.refreshes == 1


def test_keys_that_stay_refused_after_renewal_are_a_permission_error(object_store):
    bucket = object_store.bucket("data")
    gone = object_store.identity(*folder_grants(bucket, "job1", write=True))
    object_store.seaweed.remove_identity(gone.name, gone.access_key)
    provider = Rotating(gone)
    storage = Storage(
        f"s3://{bucket}/job1", credentials=provider, endpoint_url=object_store.endpoint
    )
    with pytest.raises(StoragePermissionError, match="InvalidAccessKeyId") as caught:
        storage.read_bytes("a.txt")
    assert provider.refreshes == 1
    assert gone.access_key not in f"{caught.value} {caught.value.__cause__}"
