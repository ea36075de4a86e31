"""The OSV-compatible API answers as api.osv.dev does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from osvdata import memory_source, record
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from depsentry.advisories.matcher import Hit
from depsentry.advisories.osv_api import ApiLimits, build_osv_app, osv_routes
from depsentry.advisories.osv_db import OsvDbSource
from tests.servers.asgi import running

RECORDS = [
    record("PYSEC-1", "foo-bar", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["CVE-1"]),
    record("GHSA-1", "foo-bar", events=[{"introduced": "1.0"}], modified="2024-05-05T00:00:00Z"),
    record("PYSEC-2", "other", events=[{"introduced": "0"}], aliases=["CVE-1", "GHSA-2"]),
    *[record(f"PYSEC-9-{i}", "many", events=[{"introduced": "0"}]) for i in range(5)],
]


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    source = memory_source(*RECORDS)
    with (
        running(build_osv_app(source, ApiLimits(page_size=2))) as served,
        httpx.Client(base_url=served.url, timeout=10) as client,
    ):
        yield client
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


def test_get_vuln_by_alias_names_the_records_as_osv_dev_does(api: httpx.Client) -> None:
    # api.osv.dev: 404 "Bug not found, but the following aliases were: ..." (its test suite,
    # test_get_vuln_by_alias_not_in_db); clients follow the named ids.
    resp = api.get("/v1/vulns/CVE-1")
    assert resp.status_code == 404
    assert resp.json() == {
        "code": 5,
        "message": "Bug not found, but the following aliases were: PYSEC-1 PYSEC-2",
    }
    assert api.get("/v1/vulns/GHSA-2").json()["message"].endswith("were: PYSEC-2")
    assert api.get("/v1/vulns/CVE").json()["message"] == "Bug not found."  # no prefix matches


def test_get_vuln_id_too_long_is_400(api: httpx.Client) -> None:
    resp = api.get("/v1/vulns/" + "X" * 101)
    assert resp.status_code == 400 and resp.json() == {"code": 3, "message": "ID too long"}


def test_next_page_token_pages_through_a_long_answer(api: httpx.Client) -> None:
    query: dict[str, object] = {"package": {"name": "many", "ecosystem": "PyPI"}, "version": "1"}
    seen: list[str] = []
    for _ in range(5):
        page = api.post("/v1/query", json=query).json()
        seen += [v["id"] for v in page["vulns"]]
        if "next_page_token" not in page:
            break
        query = {**query, "page_token": page["next_page_token"]}
    assert seen == sorted(f"PYSEC-9-{i}" for i in range(5))
    batch = api.post("/v1/querybatch", json={"queries": [query, {**query, "page_token": ""}]})
    first, again = batch.json()["results"]
    assert [v["id"] for v in first["vulns"]] == ["PYSEC-9-4"] and "next_page_token" not in first
    assert len(again["vulns"]) == 2 and again["next_page_token"]


@pytest.mark.parametrize("token", ["nope!", "eDE", 5, "x" * 100])
def test_bad_page_token_is_400(api: httpx.Client, token: object) -> None:
    query = {"package": {"name": "many", "ecosystem": "PyPI"}, "version": "1", "page_token": token}
    resp = api.post("/v1/query", json=query)
    assert resp.status_code == 400 and resp.json()["message"] == "Invalid page token."
    resp = api.post("/v1/querybatch", json={"queries": [{}, query][1:]})
    assert resp.json()["message"] == "Invalid page token at index: 0."


NAME = b'{"name": "foo-bar", "ecosystem": "PyPI"}'
MALFORMED = [
    b"{not json",
    b"\xff\xfe{}",  # not UTF-8
    b"[" * 100_000,  # nested 100k deep, under the body limit
    b"[1, 2]",
    b"1" * 3000,  # valid JSON, but not an object
    b'{"version": ' + b"9" * 4400 + b"}",  # past Python's 4,300-digit int conversion limit
    b'{"package": 3, "version": "1"}',
    b'{"package": {"ecosystem": "PyPI"}}',
    b'{"package": {"purl": "pkg:npm/x@1"}}',
    b'{"package": {"purl": 5}}',
    b'{"package": {"name": ["x"], "ecosystem": "PyPI"}}',
    b'{"package": {"name": "x", "ecosystem": {}}}',
    b'{"package": ' + NAME + b', "version": 1.5}',
    b'{"package": ' + NAME + b', "version": "' + b"1" * 5000 + b'"}',
    b'{"package": ' + NAME + b', "version": "1.0\\u0000"}',
    b'{"package": {"name": "' + b"a" * 300 + b'", "ecosystem": "PyPI"}}',
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_requests_are_400_json(api: httpx.Client, body: bytes) -> None:
    resp = api.post("/v1/query", content=body, headers={"Content-Type": "application/json"})
    if body == b"1" * 3000:  # valid JSON, just not an object: still a 400
        assert resp.status_code == 400
        return
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == 3 and resp.json()["message"]
    batch = b'{"queries": [' + body + b"]}"
    resp = api.post("/v1/querybatch", content=batch)
    assert resp.status_code == 400 and resp.json()["code"] == 3


@pytest.mark.parametrize(
    "body",
    [b'{"queries": 5}', b'{"queries": [5]}', b'{"queries": {"a": 1}}', b"[]", b'"queries"'],
)
def test_malformed_batches_are_400_json(api: httpx.Client, body: bytes) -> None:
    resp = api.post("/v1/querybatch", content=body)
    assert resp.status_code == 400 and resp.json()["code"] == 3


def test_a_valid_but_non_pep440_version_is_answered(api: httpx.Client) -> None:
    resp = api.post("/v1/query", content=b'{"package": ' + NAME + b', "version": "1.0-custom+x"}')
    assert resp.status_code == 200 and resp.json() == {}


def test_body_over_the_limit_is_413_json(api: httpx.Client) -> None:
    resp = api.post("/v1/query", content=b" " * ((1 << 20) + 1))
    assert resp.status_code == 413 and resp.json()["code"] == 3
    assert resp.headers["connection"] == "close"

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        for _ in range(5):
            yield b" " * 300_000

    resp = api.post("/v1/querybatch", content=chunks())
    assert resp.status_code == 413 and "1048576 bytes" in resp.json()["message"]


def test_unknown_route_and_method_are_json(api: httpx.Client) -> None:
    assert api.post("/v1/nope", json={}).status_code == 404
    assert api.get("/").json() == {"code": 5, "message": "Not Found"}
    resp = api.get("/v1/query")
    assert resp.status_code == 405 and resp.json()["code"] == 12
    assert resp.headers["allow"] == "POST"


class _Gate:
    """Makes every look-up wait until released, or fail, to see the pool and the error path."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.fail = False

    def wrap(self, source: OsvDbSource) -> OsvDbSource:
        hits = source.hits

        def gated(name: str, version: str) -> tuple[Hit, ...]:
            if self.fail:
                raise RuntimeError("store went away")
            self.release.wait(10)
            return hits(name, version)

        source.hits = gated  # type: ignore[method-assign]
        return source


QUERY = {"package": {"name": "foo-bar", "ecosystem": "PyPI"}, "version": "1.5"}


def test_a_full_pool_and_queue_answer_503_and_recover() -> None:
    gate = _Gate()
    source = gate.wrap(memory_source(*RECORDS))
    app = build_osv_app(source, ApiLimits(workers=1, max_waiting=1))
    with running(app) as served, ThreadPoolExecutor(2) as pool:
        url = f"{served.url}/v1/query"
        held = [pool.submit(httpx.post, url, json=QUERY, timeout=20) for _ in range(2)]
        deadline = time.monotonic() + 10
        while len(served.server.server_state.tasks) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)  # one request holds the worker and one waits for it ...
        time.sleep(0.2)
        busy = httpx.post(url, json=QUERY, timeout=20)  # ... so the third is turned away
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.json() == {"code": 14, "message": "Server busy."}
        gate.release.set()
        assert [f.result().status_code for f in held] == [200, 200]
        assert httpx.post(url, json=QUERY, timeout=20).status_code == 200
    source.close()


def test_an_internal_error_is_a_500_json_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = _Gate()
    gate.fail = True
    source = gate.wrap(memory_source(*RECORDS))
    with running(build_osv_app(source)) as served:
        resp = httpx.post(f"{served.url}/v1/query", json=QUERY, timeout=20)
    assert resp.status_code == 500 and resp.json() == {"code": 13, "message": "Internal error."}
    (line,) = [r for r in caplog.records if r.name == "depsentry.advisories.osv_api"]
    assert "store went away" in line.getMessage() and not line.exc_info
    source.close()


def test_mountable_beside_other_routes_and_under_a_prefix() -> None:
    source = memory_source(*RECORDS)

    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    beside = Starlette(routes=[Route("/v1/status", status), *osv_routes(source)])
    under = Starlette(routes=[Mount("/osv", app=build_osv_app(source))])
    with running(beside) as one, running(under) as two:
        assert httpx.get(f"{one.url}/v1/status").json() == {"ok": True}
        got = httpx.post(f"{one.url}/v1/query", json=QUERY).json()
        assert [v["id"] for v in got["vulns"]] == ["GHSA-1", "PYSEC-1"]
        got = httpx.post(f"{two.url}/osv/v1/querybatch", json={"queries": [QUERY]}).json()
        assert [v["id"] for v in got["results"][0]["vulns"]] == ["GHSA-1", "PYSEC-1"]
        assert httpx.get(f"{two.url}/osv/v1/vulns/PYSEC-2").json()["id"] == "PYSEC-2"
    source.close()
