"""httpkit: one redaction and one retry timing for every HTTP client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from depsentry.httpkit import redact, retry_after_seconds, retry_delay


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@host/simple/", "https://host/simple/"),
        ("https://token@host:8080/x", "https://host:8080/x"),
        ("https://host/simple/", "https://host/simple/"),
        ("https://host/all.zip?X-Goog-Signature=secret", "https://host/all.zip"),
        ("http://[::1]:8080/v1", "http://[::1]:8080/v1"),
    ],
)
def test_redact_removes_credentials_and_query(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds("Tue, 01 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None


def test_retry_delay_honours_retry_after_within_the_cap() -> None:
    assert retry_delay(1, "3", backoff=0.5, cap=60) == 3.0
    assert retry_delay(1, "3600", backoff=0.5, cap=60) == 60.0
    assert retry_delay(1, "-5", backoff=0.5, cap=60) == 0.0


def test_retry_delay_backs_off_exponentially_with_jitter() -> None:
    assert retry_delay(3, None, backoff=0.5, cap=60, jitter=False) == 2.0
    waits = {retry_delay(1, None, backoff=0.5, cap=60) for _ in range(20)}
    assert all(0.5 <= w <= 1.0 for w in waits) and len(waits) > 1
