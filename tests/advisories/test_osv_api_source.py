"""OsvApiSource against a loopback OSV API stand-in (tests/servers/osv_api_server.py)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from depsentry.advisories.osv_api_source import OsvApiSource
from depsentry.errors import AdvisoryDbError
from depsentry.models import Dependency, Severity, Source
from tests.servers.osv_api_server import Fault, OsvApiStandIn, record

# CVSS:3.1 vector with base score 9.8 (critical).
CRITICAL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def dep(name: str, version: str, line: int = 1) -> Dependency:
    return Dependency(name, version, direct=True, source=Source("requirements.txt", line))


JINJA_RECORDS = [
    record(
        "PYSEC-2024-1",
        "jinja2",
        fixed="3.1.3",
        aliases=["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"],
        summary="",
        details="XSS via the xmlattr filter.",
    ),
    record(
        "GHSA-h5c8-rqwp-cp95",
        "Jinja2",
        fixed="3.1.3",
        aliases=["CVE-2024-22195"],
        summary="Jinja vulnerable to HTML attribute injection",
        severity=[("CVSS_V3", CRITICAL_VECTOR)],
    ),
    record("PYSEC-2020-9", "requests", fixed="2.20.0", aliases=["CVE-2018-18074"]),
]


def test_aliased_records_become_one_vulnerability_per_dependency() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        source = OsvApiSource(api.url)
        vulns = source.match([dep("jinja2", "3.1.2", 4), dep("requests", "2.31.0", 5)])
    assert len(vulns) == 1
    vuln = vulns[0]
    assert (vuln.package, vuln.version, vuln.id) == ("jinja2", "3.1.2", "PYSEC-2024-1")
    assert set(vuln.aliases) == {"CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"}
    assert vuln.severity is Severity.CRITICAL
    assert vuln.cvss == 9.8
    assert vuln.fixed_in == ("3.1.3",)
    assert vuln.source == Source("requirements.txt", 4)
    assert vuln.reported_by == ("osv-api",)
    info = source.info()
    assert info.records == 2
    assert info.updated is not None


def test_no_dependencies_sends_no_request() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        assert OsvApiSource(api.url).match([]) == []
        assert api.served == []


def test_batches_of_at_most_1000_and_each_record_fetched_once() -> None:
    records = [
        record("PYSEC-2099-1", "shared", fixed="2.0"),
        record("PYSEC-2099-2", "pkg-2400", fixed="1.1"),
    ]
    deps = [dep(f"pkg-{i}", "1.0", i) for i in range(2497)]
    deps += [dep("shared", v) for v in ("1.0", "1.1", "1.2")]
    with OsvApiStandIn(records) as api:
        vulns = OsvApiSource(api.url, concurrency=4).match(deps)
        served = api.served
    batches = [s for s in served if s.path == "/v1/querybatch"]
    assert sorted(s.queries for s in batches) == [500, 1000, 1000]
    assert all(s.status == 200 for s in served)
    fetches = sorted(s.path for s in served if s.method == "GET")
    assert fetches == ["/v1/vulns/PYSEC-2099-1", "/v1/vulns/PYSEC-2099-2"]
    assert sorted((v.package, v.version) for v in vulns) == [
        ("pkg-2400", "1.0"),
        ("shared", "1.0"),
        ("shared", "1.1"),
        ("shared", "1.2"),
    ]


def test_same_pin_in_two_files_is_queried_once_and_reported_for_both() -> None:
    a = Dependency("requests", "2.0.0", True, Source("a/requirements.txt", 1))
    b = Dependency("requests", "2.0.0", True, Source("b/requirements.txt", 7))
    with OsvApiStandIn(JINJA_RECORDS) as api:
        vulns = OsvApiSource(api.url).match([a, b])
        (batch,) = [s for s in api.served if s.path == "/v1/querybatch"]
    assert batch.queries == 1
    assert [v.source for v in vulns] == [a.source, b.source]


def test_next_page_token_is_followed_until_exhausted() -> None:
    records = [record(f"PYSEC-2099-{i}", "flask", fixed=f"2.{i}") for i in range(1, 6)]
    with OsvApiStandIn(records, page_size=2) as api:
        vulns = OsvApiSource(api.url).match([dep("flask", "1.0"), dep("click", "8.0")])
        batches = [s for s in api.served if s.path == "/v1/querybatch"]
    assert sorted(v.id for v in vulns) == [f"PYSEC-2099-{i}" for i in range(1, 6)]
    # First page for both queries, then only flask's follow-up pages carry a token.
    assert [(s.queries, s.page_tokens) for s in batches] == [(2, 0), (1, 1), (1, 1)]


def test_fix_versions_are_the_first_fix_above_the_pin() -> None:
    two_ranges = record("PYSEC-2099-7", "django", fixed="3.2.20")
    two_ranges["affected"][0]["ranges"].append(
        {"type": "ECOSYSTEM", "events": [{"introduced": "4.0"}, {"fixed": "4.1.10"}]}
    )
    with OsvApiStandIn([two_ranges]) as api:
        (old,) = OsvApiSource(api.url).match([dep("django", "3.2.1")])
        (new,) = OsvApiSource(api.url).match([dep("django", "4.1.0")])
    assert old.fixed_in == ("3.2.20",)
    assert new.fixed_in == ("4.1.10",)


def test_429_with_retry_after_is_waited_out_then_succeeds() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(429, "/v1/querybatch", retry_after="1"))
        started = time.monotonic()
        vulns = OsvApiSource(api.url, backoff=0.01).match([dep("requests", "2.0.0")])
        elapsed = time.monotonic() - started
        statuses = [(s.path, s.status) for s in api.served]
    assert [v.id for v in vulns] == ["PYSEC-2020-9"]
    assert elapsed >= 1.0
    assert statuses[:2] == [("/v1/querybatch", 429), ("/v1/querybatch", 200)]


def test_retry_after_as_an_http_date_in_the_past_retries_at_once() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(429, "/v1/querybatch", retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
        started = time.monotonic()
        vulns = OsvApiSource(api.url, backoff=5.0).match([dep("requests", "2.0.0")])
    assert [v.id for v in vulns] == ["PYSEC-2020-9"]
    assert time.monotonic() - started < 4.0  # not the 5 s backoff: the date said "now"


def test_non_json_answer_is_one_clear_error() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(200, "/v1/querybatch", body=b"<html>proxy login</html>"))
        with pytest.raises(AdvisoryDbError, match="POST /v1/querybatch answered non-JSON$"):
            OsvApiSource(api.url).match([dep("requests", "2.0.0")])


def test_api_match_outside_the_record_ranges_is_still_reported() -> None:
    """osv.dev fuzzy-matches versions and expands GIT ranges; its word stands."""
    tool = record("OSV-2099-1", "tool", introduced="3.0", fixed="3.2")
    tool["affected"][0]["ranges"].append(
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5"}]}
    )
    with OsvApiStandIn([tool], also_match={("tool", "1.0-custom+build.x"): ["OSV-2099-1"]}) as api:
        (vuln,) = OsvApiSource(api.url).match([dep("tool", "1.0-custom+build.x")])
    assert (vuln.id, vuln.fixed_in) == ("OSV-2099-1", ("1.5", "3.2"))


def test_5xx_on_record_fetch_is_retried() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(503, "/v1/vulns/", times=2))
        vulns = OsvApiSource(api.url, backoff=0.01).match([dep("requests", "2.0.0")])
    assert [v.id for v in vulns] == ["PYSEC-2020-9"]


def test_persistent_5xx_gives_up_with_one_clear_error() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(502, "/v1/querybatch", times=10))
        source = OsvApiSource(api.url, retries=2, backoff=0.01)
        with pytest.raises(AdvisoryDbError) as caught:
            source.match([dep("requests", "2.0.0")])
        tries = [s for s in api.served if s.path == "/v1/querybatch"]
    host = api.url.removeprefix("http://")
    assert str(caught.value) == (
        f"OSV API {host} answered HTTP 502 to POST /v1/querybatch after 3 tries"
    )
    assert len(tries) == 3


def test_other_4xx_fails_fast_with_the_api_message() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(403, "/v1/querybatch"))
        with pytest.raises(AdvisoryDbError, match="rejected POST /v1/querybatch: HTTP 403"):
            OsvApiSource(api.url).match([dep("requests", "2.0.0")])
        assert len(api.served) == 1


def test_record_missing_on_fetch_is_a_warning_not_a_failure() -> None:
    with OsvApiStandIn(JINJA_RECORDS) as api:
        api.fail(Fault(404, "/v1/vulns/PYSEC-2020-9"))
        source = OsvApiSource(api.url)
        assert source.match([dep("requests", "2.0.0")]) == []
    assert source.info().warnings == ("PYSEC-2020-9: listed by querybatch but not found",)


def test_withdrawn_record_is_not_reported() -> None:
    withdrawn = record("PYSEC-2099-8", "requests", withdrawn="2024-02-01T00:00:00Z")
    with OsvApiStandIn([withdrawn]) as api:
        assert OsvApiSource(api.url).match([dep("requests", "2.0.0")]) == []


def test_unreachable_api_is_one_error_naming_the_host() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = OsvApiSource(f"http://user:secret@127.0.0.1:{port}", retries=1, backoff=0.01)
    with pytest.raises(
        AdvisoryDbError, match=rf"^OSV API 127\.0\.0\.1:{port} unreachable"
    ) as caught:
        source.match([dep("requests", "2.0.0")])
    assert "secret" not in str(caught.value)
    assert source.info().source == f"osv-api http://127.0.0.1:{port}"


def test_offline_forbids_the_source() -> None:
    with pytest.raises(AdvisoryDbError, match=r"^--offline forbids the osv-api source$"):
        OsvApiSource("https://api.osv.dev", offline=True)


def test_stand_in_rejects_more_than_1000_queries_like_osv_dev() -> None:
    queries = [
        {"package": {"name": f"p{i}", "ecosystem": "PyPI"}, "version": "1"} for i in range(1001)
    ]
    with OsvApiStandIn([]) as api:
        response = httpx.post(f"{api.url}/v1/querybatch", json={"queries": queries})
    assert response.status_code == 400
    assert response.json()["message"] == "Too many queries."
