"""A request that cannot even be made (a malformed host) is a `PlatformUnavailable` of
ours, raised at once, not a requests or urllib3 exception: the outbox keeps the write
(a refusal would move it to rejected/), and the key is in no part of the error."""

from __future__ import annotations

import pytest

from brevetti_job import PlatformUnavailable
from brevetti_job._client import PlatformClient, RetryPolicy


@pytest.mark.parametrize("host", ["http://:80", "http://a..b", "http://host:99999"])
def test_a_malformed_host_is_unavailable_not_a_crash(host: str) -> None:
    client = PlatformClient(host, "the-key-0123456789", retry=RetryPolicy(attempts=2))
    for in_query in (False, True):
        with pytest.raises(PlatformUnavailable) as caught:
            client.request("GET", "/api/models/x", key_in_query=in_query)
        error = caught.value
        shown = f"{error} {error.request} {error!r} {error.__cause__!r} {error.__context__!r}"
        assert "cannot be made" in str(error)
        assert "the-key-0123456789" not in shown


@pytest.mark.parametrize("host", ["http://:80", "http://a..b", "http://host:99999"])
def test_the_web_api_session_translates_a_malformed_host_too(host: str) -> None:
    from brevetti_job._api._session import WebSession

    session = WebSession(host, retry=RetryPolicy(attempts=2))
    with pytest.raises(PlatformUnavailable, match="cannot be made"):
        session.request("GET", "/api/models", bearer=False)
