"""The status page in a real headless Chromium, served by Starlette on uvicorn: what a person sees."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from depsentry.daemon.http.status_page import render_status
from tests.daemon.http.snapshots import HOSTILE_ERROR, HOSTILE_NAME, busy
from tests.servers.asgi import running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


class _Dom(HTMLParser):
    """The DOM Chromium dumped: visible text (no <style>) and every element's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._skip += tag in ("style", "title", "head")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title", "head")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def dump_dom(url: str, profile: Path) -> _Dom:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-proxy-server", f"--user-data-dir={profile}",
        "--virtual-time-budget=2000", "--dump-dom", url,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    dom = _Dom()
    dom.feed(proc.stdout)
    return dom


def test_a_person_sees_the_failure_the_counts_and_the_overdue_item(tmp_path: Path) -> None:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(render_status(busy()))

    with running(Starlette(routes=[Route("/", page)])) as served:
        dom = dump_dom(served.url + "/", tmp_path / "profile")
    text = dom.visible()
    # The hostile project name and error are shown as text, and none of their markup ran.
    assert HOSTILE_NAME in text and HOSTILE_ERROR in text
    tags = [tag for tag, _ in dom.elements]
    assert "script" not in tags and "img" not in tags
    assert all("data-pwned" not in attrs for _, attrs in dom.elements)
    # The failing project's error, in the attention list, with its state.
    assert f"failed {HOSTILE_NAME} at 2025-06-02 09:25:00 +00:00 : {HOSTILE_ERROR}" in text
    # Counts a person reads off the summary.
    assert "Open vulnerabilities 11 2 critical · 4 high · 1 medium · 0 low · 4 unrated" in text
    assert "Projects 3 1 failing" in text and "Scan queue 3 waiting · 1 running" in text
    # An overdue item, and the next runs.
    assert "payments jinja2 security-fix-deadline 2025-05-20 13" in text
    assert "2025-06-02 10:30:00 +00:00 in 1 h scan billing" in text


def test_the_check_would_catch_a_script_that_ran(tmp_path: Path) -> None:
    """Control: the same dump shows the mark when markup is not escaped (so the test above can fail)."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><html><body><p>{HOSTILE_NAME}</p></body></html>")

    with running(Starlette(routes=[Route("/", page)])) as served:
        dom = dump_dom(served.url + "/", tmp_path / "profile")
    assert any(attrs.get("data-pwned") == "1" for tag, attrs in dom.elements if tag == "body")
