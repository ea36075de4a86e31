"""Loading policy files: `extends` and inheritance, and one clear line for each bad file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_builders import write

from depsentry.errors import PolicyError
from depsentry.policy import load_policy


def test_child_overrides_one_key_and_inherits_the_rest(tmp_path: Path):
    base = load_policy("monthly")
    path = write(
        tmp_path / "team.toml",
        'extends = "monthly"\n[vulnerabilities.deadline_days]\nhigh = 3\n[review]\ntimezone = "Europe/Berlin"\n',
    )
    policy = load_policy(path)
    assert policy.name == "team"  # never inherited
    assert policy.vulnerabilities.high_days == 3
    assert policy.vulnerabilities.critical_days == base.vulnerabilities.critical_days
    assert policy.review.timezone == "Europe/Berlin"
    assert policy.review.day == base.review.day
    assert policy.updates == base.updates


def test_three_level_chain_and_exceptions_add_up(tmp_path: Path):
    write(
        tmp_path / "org.toml",
        'extends = "strict"\n[updates]\npatch_days = 2\n'
        '[[exceptions]]\nid = "CVE-1"\nreason = "org-wide"\nexpires = 2027-01-01\n',
    )
    path = write(
        tmp_path / "svc" / "svc.toml",
        'extends = "../org.toml"\n[updates]\nminor_days = 5\n'
        '[[exceptions]]\nid = "CVE-2"\nreason = "this service"\nexpires = 2027-02-01\n',
    )
    policy = load_policy(path)
    assert (policy.updates.patch_days, policy.updates.minor_days) == (2, 5)
    assert policy.review.every == "week"  # from strict
    assert [e.id for e in policy.waivers] == ["CVE-1", "CVE-2"]
    assert policy.waivers[0].source == str(tmp_path / "svc" / "../org.toml")
    assert len(policy.sources) == 4


def test_waivers_is_the_new_name_and_both_names_are_read(tmp_path: Path):
    """`[[exceptions]]` (the name users wrote first) and `[[waivers]]` add up, in that order."""
    path = write(
        tmp_path / "p.toml",
        '[[waivers]]\nid = "CVE-2"\nreason = "new name"\nexpires = 2027-01-01\n'
        '[[exceptions]]\nid = "CVE-1"\nreason = "old name"\nexpires = 2027-01-01\n',
    )
    assert [w.id for w in load_policy(path).waivers] == ["CVE-1", "CVE-2"]
    bad = write(tmp_path / "bad.toml", '[[waivers]]\nid = "CVE-1"\nexpires = 2027-01-01\n')
    with pytest.raises(PolicyError, match=r"waivers\[0\]\.reason: missing"):
        load_policy(bad)


def test_bare_extends_prefers_a_sibling_file_over_the_bundled_one(tmp_path: Path):
    write(tmp_path / "monthly.toml", "[updates]\npatch_days = 1\n")
    policy = load_policy(write(tmp_path / "p.toml", 'extends = "monthly"\n'))
    assert policy.updates.patch_days == 1


def test_time_and_date_accept_toml_and_string_forms(tmp_path: Path):
    policy = load_policy(
        write(
            tmp_path / "p.toml",
            "[review]\ntime = 07:30:00\n"
            '[[exceptions]]\npackage = "x"\nreason = "r"\nexpires = "2027-01-31"\n',
        )
    )
    assert policy.review.time.hour == 7 and policy.review.time.minute == 30
    assert policy.waivers[0].expires == date(2027, 1, 31)


BAD = {
    "unknown_top_key": ('[reviw]\nday = "first monday"\n', "reviw: unknown key"),
    "unknown_nested_key": (
        "[vulnerabilities.deadline_days]\ncritcal = 1\n",
        "vulnerabilities.deadline_days.critcal: unknown key",
    ),
    "wrong_type_days": (
        '[updates]\npatch_days = "soon"\n',
        "updates.patch_days: expected a whole number of days, got 'soon'",
    ),
    "bool_is_not_days": (
        "[updates]\npatch_days = true\n",
        "updates.patch_days: expected a whole number of days, got True",
    ),
    "negative_days": ("[pinning]\ndays = -1\n", "pinning.days: must not be negative, got -1"),
    "negative_libyears": (
        "[libyears]\nmax_per_project = -2.5\n",
        "libyears.max_per_project: must not be negative, got -2.5",
    ),
    "libyears_not_a_number": (
        '[libyears]\nmax_per_project = "lots"\n',
        "libyears.max_per_project: expected a number, got 'lots'",
    ),
    "exception_rules_not_a_list": (
        '[[exceptions]]\npackage = "x"\nrules = "outdated"\nreason = "r"\nexpires = 2027-01-01\n',
        "exceptions[0].rules: expected a list of finding kinds, got 'outdated'",
    ),
    "exception_versions_without_package": (
        '[[exceptions]]\nid = "CVE-1"\nversions = "<2"\nreason = "r"\nexpires = 2027-01-01\n',
        "exceptions[0].versions: needs a 'package'",
    ),
    "wrong_type_bool": (
        '[pinning]\nhashes = "yes"\n',
        "pinning.hashes: expected true or false, got 'yes'",
    ),
    "section_not_table": ("review = 3\n", "review: expected a table, got 3"),
    "bad_date": (
        '[[exceptions]]\nid = "CVE-1"\nreason = "r"\nexpires = "2027-02-30"\n',
        "exceptions[0].expires: bad date '2027-02-30', expected YYYY-MM-DD",
    ),
    "datetime_is_not_a_date": (
        '[[exceptions]]\nid = "CVE-1"\nreason = "r"\nexpires = 2027-02-01T10:00:00\n',
        "exceptions[0].expires: bad date datetime.datetime(2027, 2, 1, 10, 0), expected YYYY-MM-DD",
    ),
    "bad_time_zone": (
        '[review]\ntimezone = "Europe/Berlinn"\n',
        "review.timezone: unknown time zone 'Europe/Berlinn' (use an IANA name like 'Europe/Berlin')",
    ),
    "bad_time": (
        '[review]\ntime = "9 o\'clock"\n',
        'review.time: bad time "9 o\'clock", expected HH:MM',
    ),
    "bad_day": (
        '[review]\nday = "first mondey"\n',
        "review.day: bad day 'first mondey', expected e.g. 'first monday', 'last friday', 'monday' or a day 1-28",
    ),
    "day_31": (
        "[review]\nday = 31\n",
        "review.day: day of the month must be 1-28 (every month has it), got 31",
    ),
    "day_does_not_fit_every": (
        '[review]\nevery = "week"\n',
        "review.day: 'first monday' does not fit every = 'week' (a weekday like 'monday')",
    ),
    "bad_every": (
        '[review]\nevery = "fortnight"\n',
        "review.every: expected 'month', 'quarter' or 'week', got 'fortnight'",
    ),
    "bad_python": (
        '[readiness]\npython = "3"\n',
        "readiness.python: expected a Python version like '3.14' (or '' for off), got '3'",
    ),
    "exception_without_reason": (
        '[[exceptions]]\nid = "CVE-1"\nexpires = 2027-01-01\n',
        "exceptions[0].reason: missing: say why this waiver is acceptable",
    ),
    "exception_without_expiry": (
        '[[exceptions]]\nid = "CVE-1"\nreason = "r"\n',
        "exceptions[0].expires: missing: give an expiry date, or until_fixed = true",
    ),
    "exception_without_target": (
        '[[exceptions]]\nreason = "r"\nexpires = 2027-01-01\n',
        "exceptions[0]: needs an advisory 'id' or a 'package'",
    ),
    "exception_bad_range": (
        '[[exceptions]]\npackage = "x"\nversions = "=>1"\nreason = "r"\nexpires = 2027-01-01\n',
        "exceptions[0].versions: bad version range '=>1', expected e.g. '>=4.2,<5'",
    ),
    "exception_unknown_rule": (
        '[[exceptions]]\npackage = "x"\nrules = ["outdatd"]\nreason = "r"\nexpires = 2027-01-01\n',
        "exceptions[0].rules: unknown finding kind 'outdatd' (one of: vulnerability, outdated, assessment, libyears, pinning, hashes, readiness)",
    ),
    "exception_unknown_key": (
        '[[exceptions]]\nid = "CVE-1"\nreason = "r"\nexpire = 2027-01-01\n',
        "exceptions[0].expire: unknown key",
    ),
    "until_fixed_needs_id": (
        '[[exceptions]]\npackage = "x"\nreason = "r"\nuntil_fixed = true\n',
        "exceptions[0].until_fixed: only applies to an advisory 'id'",
    ),
    "exceptions_not_array": (
        'exceptions = "none"\n',
        "exceptions: expected an array of tables ([[exceptions]]), got 'none'",
    ),
    "assessment_missing_decision": (
        '[[assessments]]\npackage = "django"\nmajor = 5\n',
        "assessments[0].decision: missing",
    ),
    "assessment_bad_major": (
        '[[assessments]]\npackage = "django"\nmajor = "5.x"\ndecision = "d"\n',
        "assessments[0].major: expected a major version number like 5, got '5.x'",
    ),
    "fail_on_unknown": (
        '[vulnerabilities]\nfail_on = "severe"\n',
        "vulnerabilities.fail_on: 'severe': unknown condition 'severe'; use critical, high, "
        "medium, low, any, none, kev, epss>=N or percentile>=N (N between 0 and 1), joined by "
        "'and' and ','",
    ),
    "fail_on_epss_range": (
        '[vulnerabilities]\nfail_on = ["high", "epss >= 5"]\n',
        "vulnerabilities.fail_on: 'epss >= 5': epss is a probability between 0 and 1, not 5",
    ),
    "fail_on_not_text": (
        "[vulnerabilities]\nfail_on = 7\n",
        'vulnerabilities.fail_on: expected a gate expression like "high, kev", got 7',
    ),
    "unrated_as_unknown": (
        '[vulnerabilities]\nunrated_as = "severe"\n',
        "vulnerabilities.unrated_as: expected one of critical, high, medium, low, ignore, got 'severe'",
    ),
    "invalid_toml": ("[review\n", "invalid TOML: Expected ']' at the end of a table declaration"),
    "extends_unknown_name": (
        'extends = "nope"\n',
        "extends: no policy named 'nope' (bundled: monthly, relaxed, strict); give a path to a .toml file",
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_policy_gives_one_line_naming_file_and_key(name: str, tmp_path: Path):
    text, expected = BAD[name]
    path = write(tmp_path / f"{name}.toml", text)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    message = str(err.value)
    assert "\n" not in message
    if name == "invalid_toml":
        assert message == f"{path}:1: {expected}"
    else:
        assert message == f"{path}: {expected}"


def test_bad_key_in_a_parent_names_the_parent(tmp_path: Path):
    parent = write(tmp_path / "parent.toml", "[updates]\npatch_dayz = 1\n")
    child = write(tmp_path / "child.toml", 'extends = "parent.toml"\n')
    with pytest.raises(PolicyError) as err:
        load_policy(child)
    assert str(err.value) == f"{parent}: updates.patch_dayz: unknown key"


def test_cyclic_extends(tmp_path: Path):
    a = write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    b = write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(PolicyError) as err:
        load_policy(a)
    ra, rb = a.resolve(), b.resolve()
    # Named on b.toml: its `extends` closes the loop.
    assert str(err.value) == f"{b}: extends: cyclic extends ({ra} -> {rb} -> {ra})"


def test_self_extends_is_a_cycle(tmp_path: Path):
    a = write(tmp_path / "a.toml", 'extends = "a"\n')
    with pytest.raises(PolicyError, match="cyclic extends"):
        load_policy(a)


def test_missing_extends_target(tmp_path: Path):
    a = write(tmp_path / "a.toml", 'extends = "gone.toml"\n')
    with pytest.raises(PolicyError) as err:
        load_policy(a)
    assert str(err.value) == f"{a}: extends: 'gone.toml': no such file ({tmp_path / 'gone.toml'})"


def test_missing_file(tmp_path: Path):
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "none.toml")
    assert str(err.value) == f"{tmp_path / 'none.toml'}: no such file"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet=st.sampled_from(list('[]=".\n abcdeftuvwxyz0123-_:{},#')), max_size=80)
)
def test_any_text_loads_or_gives_one_line_naming_the_file(text: str, tmp_path: Path):
    path = write(tmp_path / "fuzz.toml", text)
    try:
        load_policy(path)
    except PolicyError as exc:
        assert str(exc).startswith(f"{path}")
        assert "\n" not in str(exc)


_SECTIONS = ["review", "vulnerabilities", "updates", "libyears", "pinning", "readiness"]
_VALUES = st.one_of(
    st.integers(-3, 40),
    st.booleans(),
    st.text(max_size=8),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.lists(st.integers(), max_size=2),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    section=st.sampled_from(_SECTIONS),
    key=st.sampled_from(
        [
            "every",
            "day",
            "time",
            "timezone",
            "needs_fix",
            "patch_days",
            "min_release_age_days",
            "max_per_project",
            "direct",
            "hashes",
            "python",
            "days",
            "bogus",
        ]
    ),
    value=_VALUES,
)
def test_any_value_loads_or_names_the_key(section: str, key: str, value: object, tmp_path: Path):
    import tomlkit

    path = write(tmp_path / "fuzz.toml", tomlkit.dumps({section: {key: value}}))
    try:
        load_policy(path)
    except PolicyError as exc:
        assert str(exc).startswith(f"{path}: {section}.")
        assert "\n" not in str(exc)


def test_gate_keys_load_and_show(tmp_path: Path) -> None:
    from depsentry.policy import policy_to_toml

    path = write(
        tmp_path / "gate.toml",
        'extends = "monthly"\n[vulnerabilities]\nfail_on = "high, kev"\nunrated_as = "medium"\n',
    )
    policy = load_policy(path)
    assert (policy.vulnerabilities.fail_on, policy.vulnerabilities.unrated_as) == (
        ("high, kev",),
        "medium",
    )
    shown = policy_to_toml(policy)
    assert 'fail_on = "high, kev"' in shown and 'unrated_as = "medium"' in shown
    assert (
        load_policy(write(tmp_path / "again.toml", shown)).vulnerabilities == policy.vulnerabilities
    )
    assert load_policy("monthly").vulnerabilities.unrated_as == "critical"
