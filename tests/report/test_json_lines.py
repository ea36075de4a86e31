"""The JSON report's entry lines, built from cached pieces, are exactly what encoding each
entry as a whole gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from depsentry.models import Severity, Source, Vulnerability
from depsentry.report.json import _FindingText, _SharedLines, _vulnerability, _vulnerability_key

texts = st.text(max_size=12)
maybe_float = st.none() | st.floats(min_value=0, max_value=10, allow_nan=False)
maybe_date = st.none() | st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
findings = st.builds(
    Vulnerability,
    package=st.sampled_from(["django", "Ünïcode", 'qu"ote']),
    version=st.sampled_from(["1.0", "2.0rc1", "not a version"]),
    id=st.sampled_from(["PYSEC-1", "GHSA-x", "CVE-2"]),
    aliases=st.lists(texts, max_size=3).map(tuple),
    severity=st.sampled_from(Severity),
    cvss=maybe_float,
    fixed_in=st.lists(st.sampled_from(["1.1", "1.10", "2.0", "x"]), max_size=3).map(tuple),
    summary=texts | st.sampled_from(["  spaced   out  ", "PYSEC-1"]),
    source=st.builds(
        Source, st.sampled_from(["requirements.txt", "a/ü.txt"]), st.none() | st.integers(0, 99)
    ),
    reported_by=st.sampled_from([("osv",), ("osv", "pip-audit")]),
    published=maybe_date,
    modified=maybe_date,
    malicious=st.booleans(),
    severity_source=st.none() | texts,
    epss=maybe_float,
    epss_percentile=maybe_float,
    kev=st.booleans(),
    codemods=st.sampled_from([(), ("openai-v1",), ("a", "b")]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(findings, min_size=1, max_size=6), st.sampled_from(["/p", "/q r"]))
def test_a_finding_line_is_the_finding_encoded(vulns: list[Vulnerability], project: str) -> None:
    lines = _SharedLines(_vulnerability_key, _FindingText())  # one cache across the findings
    for v in vulns:
        line = lines.rows([v], project)
        assert line == json.dumps(_vulnerability(v, project), ensure_ascii=False)


def test_a_pins_copy_of_a_finding_shares_its_line_but_not_its_source() -> None:
    finding = Vulnerability(
        "django", "1.0", "PYSEC-1", ("CVE-1",), Severity.HIGH, 7.5, ("1.1",), "s",
        Source("requirements.txt", 1),
    )  # fmt: skip
    copy = finding.at(Source("other.txt", 2))
    assert copy.template is finding and copy == finding.__class__(**{
        **{f: getattr(finding, f) for f in finding.__dataclass_fields__ if f != "origin"},
        "source": Source("other.txt", 2),
    })  # fmt: skip
    lines = _SharedLines(_vulnerability_key, _FindingText())
    assert json.loads(lines.rows([finding], "/p"))["source"] == "requirements.txt:1"
    assert json.loads(lines.rows([copy], "/p"))["source"] == "other.txt:2"


def test_a_pickled_copy_is_a_finding_of_its_own() -> None:
    # A daemon worker's answer crosses a pipe: its findings must not drag their templates along.
    import pickle

    finding = Vulnerability(
        "django", "1.0", "PYSEC-1", (), Severity.LOW, None, (), "s", Source("a.txt", 1)
    )
    copy = pickle.loads(pickle.dumps(finding.at(Source("b.txt", 2))))
    assert copy.origin is None and copy.template is copy
    assert copy == finding.at(Source("b.txt", 2))
