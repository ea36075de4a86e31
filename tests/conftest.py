"""Checks every test run gets: each `depsentry.scan/1` report a test renders matches the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from depsentry.models import ScanResult
from depsentry.report.json import JsonRenderer
from tests.schema import validate_report


@pytest.fixture(autouse=True)
def _json_reports_match_the_schema(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    render = JsonRenderer.render

    def checked(self: JsonRenderer, result: ScanResult) -> str:
        text = render(self, result)
        validate_report(json.loads(text))
        return text

    monkeypatch.setattr(JsonRenderer, "render", checked)
    yield
