"""The one retry policy both platform clients use (brevetti_job._retry)."""

from __future__ import annotations

import logging
import random

import pytest
import requests

from brevetti_job import PlatformUnavailable
from brevetti_job._api._session import WebSession
from brevetti_job._client import PlatformClient
from brevetti_job._retry import Attempts, RetryPolicy, transient_failure


def test_both_clients_run_their_requests_through_the_one_policy_module() -> None:
    import brevetti_job._api._session as session
    import brevetti_job._client as client

    for module in (session, client):
        assert module.Attempts is Attempts
        assert module.RetryPolicy is RetryPolicy
    assert PlatformClient("http://127.0.0.1:9", "k" * 20).retry == WebSession("http://x").retry


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (requests.ConnectionError("refused"), True),
        (requests.ConnectTimeout("slow"), True),
        (requests.ReadTimeout("slow"), True),
        (requests.exceptions.ChunkedEncodingError("cut"), True),
        (requests.exceptions.InvalidURL("bad"), False),
        (requests.exceptions.MissingSchema("bad"), False),
        (ValueError("not a transport failure"), False),
    ],
)
def test_transient_failures_are_the_transport_failures_a_retry_may_cure(
    exc: BaseException, retryable: bool
) -> None:
    assert (transient_failure(exc) is not None) is retryable


def test_attempts_wait_then_give_up_naming_the_request_with_secrets_masked() -> None:
    waits: list[float] = []
    attempts = Attempts(
        RetryPolicy(attempts=3, budget=60.0, base=0.5, cap=0.5), "GET /api/x",
        rng=random.Random(1), sleep=waits.append, logger=logging.getLogger("test"),
        scrub=lambda text: text.replace("s3cret", "****"),
    )  # fmt: skip
    for _ in range(2):
        attempts.next()
        attempts.retry("503 busy s3cret", wait=None if not waits else 0.25)
    attempts.next()
    with pytest.raises(PlatformUnavailable) as caught:
        attempts.retry("503 busy s3cret")
    assert len(waits) == 2 and 0 <= waits[0] <= 0.5 and waits[1] == 0.25
    message = str(caught.value)
    assert "GET /api/x" in message and "3 attempts" in message
    assert "s3cret" not in message and "****" in message
