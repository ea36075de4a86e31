"""The OSV-compatible API answers as api.osv.dev does."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from osvdata import memory_source, record

from depsentry.advisories.osv_api import make_server

RECORDS = [
    record("PYSEC-1", "foo-bar", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["CVE-1"]),
    record("GHSA-1", "foo-bar", events=[{"introduced": "1.0"}], modified="2024-05-05T00:00:00Z"),
    record("PYSEC-2", "other", events=[{"introduced": "0"}]),
]


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    source = memory_source(*RECORDS)
    server = make_server(source, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with httpx.Client(
        base_url=f"http://127.0.0.1:{server.server_address[1]}", timeout=10
    ) as client:
        yield client
    server.shutdown()
    server.server_close()
    thread.join()
    source.close()


def test_query_by_name_returns_full_records(api: httpx.Client) -> None:
    resp = api.post(
        "/v1/query", json={"package": {"name": "Foo_Bar", "ecosystem": "PyPI"}, "version": "1.5"}
    )
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    vulns = resp.json()["vulns"]
    assert [v["id"] for v in vulns] == ["GHSA-1", "PYSEC-1"]
    assert vulns[1] == RECORDS[0]  # the original record, unchanged


def test_query_by_purl_and_no_match_is_empty_object(api: httpx.Client) -> None:
    resp = api.post("/v1/query", json={"package": {"purl": "pkg:pypi/foo-bar@0.5"}})
    assert [v["id"] for v in resp.json()["vulns"]] == ["PYSEC-1"]
    assert api.post(
        "/v1/query", json={"package": {"name": "foo-bar", "ecosystem": "PyPI"}, "version": "2.0"}
    ).json() == {"vulns": [RECORDS[1]]}
    assert (
        api.post(
            "/v1/query", json={"package": {"name": "nothing", "ecosystem": "PyPI"}, "version": "1"}
        ).json()
        == {}
    )
    assert (
        api.post(
            "/v1/query", json={"package": {"name": "foo-bar", "ecosystem": "npm"}, "version": "1"}
        ).json()
        == {}
    )


def test_query_without_version_lists_all_records_of_the_package(api: httpx.Client) -> None:
    resp = api.post("/v1/query", json={"package": {"name": "foo-bar", "ecosystem": "PyPI"}})
    assert [v["id"] for v in resp.json()["vulns"]] == ["GHSA-1", "PYSEC-1"]


def test_querybatch_ids_and_modified_only(api: httpx.Client) -> None:
    body = {
        "queries": [
            {"package": {"name": "foo-bar", "ecosystem": "PyPI"}, "version": "1.0"},
            {"package": {"name": "foo-bar", "ecosystem": "PyPI"}, "version": "0.1"},
            {"package": {"name": "clean", "ecosystem": "PyPI"}, "version": "1.0"},
        ]
    }
    assert api.post("/v1/querybatch", json=body).json() == {
        "results": [
            {
                "vulns": [
                    {"id": "GHSA-1", "modified": "2024-05-05T00:00:00Z"},
                    {"id": "PYSEC-1", "modified": "2024-01-01T00:00:00Z"},
                ]
            },
            {"vulns": [{"id": "PYSEC-1", "modified": "2024-01-01T00:00:00Z"}]},
            {},
        ]
    }


def test_querybatch_over_1000_is_400(api: httpx.Client) -> None:
    query = {"package": {"name": "foo-bar", "ecosystem": "PyPI"}, "version": "1.0"}
    assert api.post("/v1/querybatch", json={"queries": [query] * 1000}).status_code == 200
    resp = api.post("/v1/querybatch", json={"queries": [query] * 1001})
    assert resp.status_code == 400 and resp.json() == {"code": 3, "message": "Too many queries."}


def test_get_vuln_by_id_and_404(api: httpx.Client) -> None:
    assert api.get("/v1/vulns/PYSEC-2").json() == RECORDS[2]
    resp = api.get("/v1/vulns/PYSEC-404")
    assert resp.status_code == 404 and resp.json() == {"code": 5, "message": "Bug not found."}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"package": 3, "version": "1"}',
        b'{"package": {"ecosystem": "PyPI"}}',
        b'{"package": {"purl": "pkg:npm/x@1"}}',
    ],
)
def test_bad_requests_are_400_json(api: httpx.Client, body: bytes) -> None:
    resp = api.post("/v1/query", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["code"] == 3 and resp.json()["message"]


def test_unknown_route_is_404_json(api: httpx.Client) -> None:
    assert api.post("/v1/nope", json={}).status_code == 404
    assert api.get("/").json()["code"] == 5
