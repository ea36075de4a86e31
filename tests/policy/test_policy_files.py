"""The ready-made policy files: they load, `extends` resolves, the package ships the same files."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest

from depsentry.errors import PolicyError
from depsentry.policy import (
    Policy,
    bundled_policies,
    load_policy,
    policy_to_toml,
)
from depsentry.policy.load import PRESETS_DIR
from tests.paths import REPO

REPO_POLICIES = REPO / "policies"
FILES = sorted(REPO_POLICIES.glob("*.toml"))


def _rules(policy: Policy) -> dict[str, object]:
    """The parts of a policy that decide outcomes (not where it came from or what it is called)."""
    skip = {"name", "description", "sources"}
    return {f.name: getattr(policy, f.name) for f in fields(policy) if f.name not in skip}


def test_the_three_policies_exist():
    assert {"monthly", "strict", "relaxed"} <= {p.stem for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_policy_file_loads_and_its_extends_chain_resolves(path: Path):
    policy = load_policy(path)
    assert policy.name == path.stem
    assert policy.sources[0] == str(path)
    assert all(Path(s).is_file() for s in policy.sources)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_packaged_copy_is_identical(path: Path):
    """The installed package reads presets/; it must ship exactly the files in policies/."""
    copy = PRESETS_DIR / path.name
    assert copy.is_file(), f"missing {copy}: cp {path} {copy}"
    assert copy.read_bytes() == path.read_bytes(), f"out of date: cp {path} {copy}"


def test_packaged_presets_have_no_extra_files():
    assert sorted(bundled_policies()) == sorted(p.stem for p in FILES)


def test_default_is_monthly_and_matches_the_code_defaults():
    policy = load_policy()
    assert policy.name == "monthly"
    assert _rules(policy) == _rules(Policy())


def test_bare_name_resolves_to_bundled_policy():
    assert load_policy("strict").review.every == "week"
    assert load_policy("relaxed").review.every == "quarter"


def test_unknown_bare_name_lists_the_bundled_ones():
    with pytest.raises(PolicyError) as err:
        load_policy("strictest")
    assert (
        str(err.value)
        == "no policy named 'strictest' (bundled: monthly, relaxed, strict); give a path to a .toml file"
    )


@pytest.mark.parametrize("name", ["monthly", "strict", "relaxed"])
def test_show_output_loads_back_to_the_same_policy(name: str, tmp_path: Path):
    policy = load_policy(name)
    text = policy_to_toml(policy)
    assert text.startswith(f"# effective policy '{name}'")
    out = tmp_path / "shown.toml"
    out.write_text(text, encoding="utf-8")
    again = load_policy(out)
    assert _rules(again) == _rules(policy)
    assert (again.name, again.description) == (policy.name, policy.description)


def test_show_renders_exceptions_and_assessments(tmp_path: Path):
    src = tmp_path / "p.toml"
    src.write_text(
        'extends = "monthly"\n'
        '[[exceptions]]\nid = "CVE-2024-1"\nreason = "not reachable"\nexpires = 2027-01-31\n'
        '[[exceptions]]\npackage = "Django"\nversions = "<5"\nrules = ["outdated"]\nreason = "LTS"\nexpires = "2027-06-30"\n'
        '[[exceptions]]\nid = "GHSA-x"\nreason = "no fix"\nuntil_fixed = true\n'
        '[[assessments]]\npackage = "django"\nmajor = 5\ndecision = "Q2"\n',
        encoding="utf-8",
    )
    policy = load_policy(src)
    text = policy_to_toml(policy)
    assert f"# from {src}" in text
    out = tmp_path / "shown.toml"
    out.write_text(text, encoding="utf-8")
    again = load_policy(out)
    strip = lambda items: [replace(i, source="") for i in items]  # noqa: E731
    assert strip(again.waivers) == strip(policy.waivers)
    assert strip(again.assessments) == strip(policy.assessments)
    assert policy.waivers[1].package == "django"
