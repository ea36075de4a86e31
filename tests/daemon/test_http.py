"""The HTTP app: health is open, everything else wants the bearer token; the JSON API reads
and triages the store; the embedded uvicorn leaves signal handlers alone."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.daemon.http.app import build_app
from depsentry.daemon.http.server import EmbeddedServer
from depsentry.daemon.metrics import Metrics
from depsentry.daemon.status import StatusSnapshot, build_snapshot
from depsentry.daemon.store import Store
from depsentry.errors import ConfigError
from depsentry.models import Dependency, ProjectReport, Severity, Source, Vulnerability
from tests.advisories.osvdata import memory_source, record

T0 = datetime(2026, 12, 1, tzinfo=UTC)


class Face:
    def __init__(self, store: Store):
        self._store = store
        self.metrics = Metrics(CollectorRegistry())
        self.scans: list[str] = []
        self.ready = True
        self.db: OsvDbSource | None = None

    def osv_database(self) -> OsvDbSource | None:
        return self.db

    @property
    def store(self) -> Store:
        return self._store

    @property
    def registry(self) -> CollectorRegistry:
        return self.metrics.registry

    @property
    def timezone(self) -> str:
        return "UTC"

    def token(self) -> str | None:
        return "t0k"

    def readiness(self) -> dict[str, bool]:
        return {"database": self.ready, "scheduler": True, "store": True, "running": True}

    def snapshot(self) -> StatusSnapshot:
        return build_snapshot(
            now=T0, ready=True, projects=[("billing", "/srv/billing")],
            states=self._store.project_states(), counts=self._store.counts(),
            violations=[], next_run={}, running=set(), queued=set(), advisory_records=1,
            advisory_updated=None, advisory_source="test", last_sync_at=None, next_runs=[],
            version="0",
        )  # fmt: skip

    def request_scan(self, name: str) -> str | None:
        if name != "billing":
            return None
        self.scans.append(name)
        return "queued"


@pytest.fixture
def face(tmp_path: Path) -> Face:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    run = store.start_run("billing", "/srv/billing", "schedule", T0)
    dep = Dependency("jinja2", "2.11.3", True, Source("requirements.txt", 1))
    v = Vulnerability(
        "jinja2", "2.11.3", "GHSA-J", ("CVE-J",), Severity.HIGH, 7.5, (), "xss", dep.source
    )
    store.record_scan("billing", run, ProjectReport(path="/srv/billing", dependencies=[dep], vulnerabilities=[v]),
                      now=T0, duration=0.2)  # fmt: skip
    return Face(store)


def client(face: Face, token: str | None = "t0k", **kwargs: object) -> TestClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(build_app(face, **kwargs), headers=headers)  # type: ignore[arg-type]


def test_health_is_open_the_rest_needs_the_token(face: Face) -> None:
    anonymous = client(face, token=None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").status_code == 200
    for path in ("/metrics", "/v1/status", "/v1/findings", "/v1/projects"):
        answer = anonymous.get(path)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert client(face, token="wrong").get("/v1/status").status_code == 401
    assert client(face).get("/v1/status").status_code == 200


def test_readyz_says_which_check_fails(face: Face) -> None:
    face.ready = False
    answer = client(face).get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"] is False


def test_metrics_come_from_the_services_registry(face: Face) -> None:
    face.metrics.scans.labels("ok").inc(3)
    text = client(face).get("/metrics").text
    assert 'depsentry_scans_total{result="ok"} 3.0' in text


def test_findings_list_show_and_triage_over_http(face: Face) -> None:
    c = client(face)
    (finding,) = c.get("/v1/findings", params={"project": "billing"}).json()["findings"]
    assert finding["advisory_id"] == "GHSA-J" and finding["severity"] == "high"
    fid = finding["id"]
    bad = c.post(f"/v1/findings/{fid}/dismiss", json={"reason": "because"})
    assert bad.status_code == 400 and "fix_started" in bad.json()["error"]
    done = c.post(
        f"/v1/findings/{fid}/dismiss",
        json={"reason": "not_used", "comment": "dead code", "by": "ana"},
    )
    assert done.status_code == 200 and done.json()["state"] == "dismissed"
    assert c.get("/v1/findings").json()["findings"] == []
    assert len(c.get("/v1/findings", params={"state": "dismissed"}).json()["findings"]) == 1
    again = c.post(f"/v1/findings/{fid}/dismiss", json={"reason": "not_used"})
    assert again.status_code == 200  # re-dismissing an open finding updates the reason
    assert c.post(f"/v1/findings/{fid}/reopen", json={"by": "bo"}).json()["state"] == "open"
    snoozed = c.post(f"/v1/findings/{fid}/snooze", json={"until": "30d", "by": "bo"})
    assert snoozed.json()["triage"]["snooze_until"] is not None
    detail = c.get(f"/v1/findings/{fid}").json()
    assert [a["action"] for a in detail["audit"]] == ["dismiss", "dismiss", "reopen", "snooze"]
    assert detail["audit"][0]["actor"] == "ana"
    assert c.post("/v1/findings/999/reopen", json={}).status_code == 404
    assert c.post(f"/v1/findings/{fid}/snooze", json={"until": "someday"}).status_code == 400
    assert c.post(f"/v1/findings/{fid}/snooze", content=b"[1,2]").status_code == 400
    assert c.post(f"/v1/findings/{fid}/snooze", content=b"x" * 70_000).status_code == 413
    assert c.get("/v1/findings", params={"state": "weird"}).status_code == 400


def test_projects_runs_and_on_demand_scan(face: Face) -> None:
    c = client(face)
    (project,) = c.get("/v1/projects").json()["projects"]
    assert project["name"] == "billing" and project["open_by_severity"]["high"] == 1
    assert c.get("/v1/projects/billing").json()["runs"][0]["result"] == "ok"
    assert c.get("/v1/projects/nope").status_code == 404
    answer = c.post("/v1/projects/billing/scan")
    assert answer.status_code == 202 and answer.json()["state"] == "queued"
    assert face.scans == ["billing"]
    assert c.post("/v1/projects/nope/scan").status_code == 404
    (run,) = c.get("/v1/runs", params={"project": "billing"}).json()["runs"]
    assert c.get(f"/v1/runs/{run['id']}").json()["stats"]["vulnerabilities"] == 1
    assert c.get("/v1/runs/abc").status_code == 404
    assert c.get("/v1/runs", params={"limit": "-1"}).status_code == 400


def test_extra_routes_and_mounts_do_not_shadow_the_api(face: Face) -> None:
    async def page(request: object) -> PlainTextResponse:
        return PlainTextResponse("status page")

    async def osv(request: object) -> PlainTextResponse:
        return PlainTextResponse("osv")

    from starlette.applications import Starlette

    osv_app = Starlette(routes=[Route("/query", osv, methods=["POST"])])
    c = client(face, routes=[Route("/page", page)], mounts=[Mount("/v1", osv_app)])
    assert c.get("/page").text == "status page"
    assert c.post("/v1/query").text == "osv"
    assert c.get("/v1/findings").status_code == 200
    assert client(face, token=None, routes=[Route("/page", page)]).get("/page").status_code == 401


def test_status_page_at_the_root_behind_the_token(face: Face) -> None:
    page = client(face).get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "billing" in page.text and "/srv/billing" in page.text
    assert client(face, token=None).get("/").status_code == 401


def test_the_osv_api_answers_on_the_daemon_port_without_a_token(face: Face) -> None:
    """pip-audit and uv cannot send a bearer token: the OSV API stays open, like api.osv.dev."""
    anonymous = client(face, token=None)
    waiting = anonymous.post(
        "/v1/query", json={"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.11.3"}
    )
    assert waiting.status_code == 503 and waiting.headers["retry-after"] == "30"
    face.db = memory_source(
        record(
            "GHSA-J", "jinja2", events=[{"introduced": "0"}, {"fixed": "3.1.3"}], aliases=["CVE-J"]
        )
    )
    query = {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.11.3"}
    assert [v["id"] for v in anonymous.post("/v1/query", json=query).json()["vulns"]] == ["GHSA-J"]
    batch = anonymous.post("/v1/querybatch", json={"queries": [query]}).json()
    assert batch["results"][0]["vulns"][0]["id"] == "GHSA-J"
    assert anonymous.get("/v1/vulns/GHSA-J").json()["id"] == "GHSA-J"
    assert anonymous.get("/v1/findings").status_code == 401  # the rest stays guarded


def test_embedded_server_serves_and_leaves_signals_alone(face: Face) -> None:
    async def main() -> None:
        before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        server = EmbeddedServer(build_app(face), "127.0.0.1", 0)  # type: ignore[arg-type]
        url = await server.start()
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{url}/healthz")).status_code == 200
        assert {s: signal.getsignal(s) for s in before} == before
        await server.stop()
        assert {s: signal.getsignal(s) for s in before} == before

    asyncio.run(main())


def test_a_busy_port_is_a_config_error(face: Face) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        async def main() -> None:
            with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
                await EmbeddedServer(build_app(face), "127.0.0.1", port).start()  # type: ignore[arg-type]

        asyncio.run(main())
