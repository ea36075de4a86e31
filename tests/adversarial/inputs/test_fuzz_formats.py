"""A hypothesis fuzzer per input format (issue 9): hostile documents (paths that leave the project,
5,000-digit numbers, deep nesting, wrong types, control characters, byte-order marks) scanned by
the CLI in-process must exit 0, 1 or 2, print one line per problem and no traceback, and open
nothing outside the project; a few examples run as a real subprocess too."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.adversarial.inputs.helpers import CANARY, leaks, scan, watching_opens, write
from tests.commands.scenario import run_cli

HUGE = "9" * 5000
HOSTILE_STRINGS = [
    "demo==1.0",
    "calm",
    "demo>=1.0",
    f"demo=={HUGE}",
    f"demo; python_version > '{HUGE}'",
    "../outside/secret.txt",
    "/etc/passwd",
    "/proc/self/environ",
    "file:///etc/shadow",
    "demo @ file:///etc/passwd",
    "git+https://example.invalid/x.git",
    "\x1b[31mred\x00nul",
    "\ufeffdemo==1.0",
    "[" * 50,
    "1.0",
    "==1.0",
    "^1.2",
    "*",
    "",
    "x" * 3000,
]
KEYS = [
    "name", "version", "source", "path", "git", "url", "editable", "extras", "markers",
    "marker", "dependencies", "include-group", "hashes", "hash", "registry", "directory",
    "develop", "groups", "optional", "dynamic", "virtual", "sdist", "wheels", "files",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=10),
    st.integers(-(10**30), 10**30),
    st.booleans(),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
names = st.sampled_from(["demo", "calm", "python", "Demo_Pkg", "x" * 300, "../outside"])
packages = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.one_of(names, values),
            "version": st.one_of(st.sampled_from(HOSTILE_STRINGS), values),
        },
        optional={"source": values, "markers": values, "groups": values, "dependencies": values},
    ),
    max_size=4,
)
tables = st.dictionaries(names, values, max_size=4)


def toml(document: dict[str, Any]) -> str:
    return tomlkit.dumps(document)


FORMATS: dict[str, tuple[str, st.SearchStrategy[Any], Callable[[Any], str]]] = {
    "requirements": (
        "requirements.txt",
        st.lists(
            st.one_of(
                st.sampled_from(HOSTILE_STRINGS),
                st.sampled_from(
                    [
                        "-r ../outside/secret.txt",
                        "-r /proc/self/environ",
                        "-c /etc/passwd",
                        "-r sub/more.txt",
                        "-r requirements.txt",
                        "-e ../outside",
                        "demo==1.0 --hash=sha256:ab  # note \\",
                        "--hash=sha256:cd",
                        "-r",
                    ]
                ),
            ),
            max_size=10,
        ),
        "\n".join,
    ),
    "pyproject": (
        "pyproject.toml",
        st.fixed_dictionaries(
            {},
            optional={
                "project": st.fixed_dictionaries(
                    {},
                    optional={
                        "dependencies": st.one_of(st.lists(values, max_size=4), values),
                        "dynamic": values,
                        "optional-dependencies": st.one_of(tables, values),
                        "requires-python": values,
                    },
                ),
                "dependency-groups": st.one_of(tables, values),
                "tool": st.fixed_dictionaries(
                    {},
                    optional={
                        "poetry": st.fixed_dictionaries(
                            {},
                            optional={
                                "dependencies": st.one_of(tables, values),
                                "group": st.dictionaries(
                                    names, st.fixed_dictionaries({"dependencies": tables})
                                ),
                            },
                        ),
                        "depsentry": st.fixed_dictionaries({"policy": values}),
                    },
                ),
            },
        ),
        toml,
    ),
    "pipfile": (
        "Pipfile",
        st.fixed_dictionaries(
            {}, optional={"packages": tables, "dev-packages": st.one_of(tables, values)}
        ),
        toml,
    ),
    "poetry-lock": (
        "poetry.lock",
        st.fixed_dictionaries(
            {
                "metadata": st.fixed_dictionaries(
                    {"lock-version": st.sampled_from(["2.0", "1.1", "9", HUGE])}
                )
            },
            optional={"package": st.one_of(packages, values)},
        ),
        toml,
    ),
    "uv-lock": (
        "uv.lock",
        st.fixed_dictionaries(
            {"version": st.sampled_from([1, 2, 10**40])},
            optional={"package": st.one_of(packages, values)},
        ),
        toml,
    ),
    "pylock": (
        "pylock.toml",
        st.fixed_dictionaries(
            {"lock-version": st.sampled_from(["1.0", "2", HUGE]), "created-by": st.just("fuzz")},
            optional={"packages": st.one_of(packages, values)},
        ),
        toml,
    ),
    "pdm-lock": (
        "pdm.lock",
        st.fixed_dictionaries(
            {
                "metadata": st.fixed_dictionaries(
                    {"lock_version": st.sampled_from(["4.5.0", "3", HUGE])}
                )
            },
            optional={"package": st.one_of(packages, values)},
        ),
        toml,
    ),
    "pipfile-lock": (
        "Pipfile.lock",
        st.fixed_dictionaries(
            {"_meta": st.fixed_dictionaries({"pipfile-spec": st.sampled_from([6, 99, 10**40])})},
            optional={"default": tables, "develop": st.one_of(tables, values)},
        ),
        json.dumps,
    ),
}
_COUNTER = itertools.count()
SETTINGS = settings(
    # DEPSENTRY_FUZZ_EXAMPLES=2000 for a longer hunt; CI runs the default.
    max_examples=int(os.environ.get("DEPSENTRY_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Something to append: nothing, or text that breaks the parser in a hostile way.
TAILS = st.sampled_from(["", "\n" + "[" * 1000, f"\nhuge = {HUGE}\n", "\n\x00\xff"])


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(f"demo==1.0\nTOKEN={CANARY}\n")
    return secret.parent


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@SETTINGS
@given(data=st.data(), tail=TAILS, as_named=st.booleans())
def test_fuzzed_documents_scan_cleanly(
    fmt: str,
    data: st.DataObject,
    tail: str,
    as_named: bool,
    tmp_path: Path,
    outside: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file_name, strategy, render = FORMATS[fmt]
    document = data.draw(strategy)
    try:
        text = render(document) + tail
    except (TypeError, ValueError):
        return  # not representable in this format
    app = write(
        tmp_path / f"app{next(_COUNTER)}",
        {file_name: text, "sub/more.txt": "calm==1.0\n-r ../../outside/secret.txt\n"},
    )
    target = app / file_name if as_named else app
    with watching_opens() as opened:
        _, report, err = scan(target, osv, capsys)
    assert leaks(opened, outside) == []
    assert CANARY not in json.dumps(report) + err
    assert "\x1b" not in err and "\x00" not in err


SMOKE = {
    "requirements.txt": "demo==1.0\n-r /proc/self/environ\n-r ../outside/secret.txt\n" + "[" * 1000,
    "pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndynamic = 5\n'
    'dependencies = ["demo==1.0", 5]\n[dependency-groups]\ng = [{include-group = ["x"]}]\n',
    "Pipfile": '[packages]\ndemo = { version = "==1.0", extras = 5 }\n',
    "poetry.lock": f'[metadata]\nlock-version = "2.0"\n[[package]]\nname = "demo"\nversion = "{HUGE}"\n',
    "uv.lock": "a = " + "[" * 1000,
    "Pipfile.lock": "[" * 100000,
    "pylock.toml": '\ufefflock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "calm"\nversion = "1.0"\n',
    "pdm.lock": f"x = {HUGE}\n",
}


@pytest.mark.slow
def test_hostile_files_in_a_real_subprocess(
    tmp_path: Path, outside: Path, home: Path, osv: Path
) -> None:
    app = write(tmp_path / "app", dict(SMOKE))
    result = run_cli(
        "scan", str(app), "--osv-db", str(osv), "--offline", "--format", "json", home=home
    )
    assert result.returncode == 1, result.stderr  # demo 1.0 from requirements.txt and pyproject
    assert "Traceback" not in result.stderr and CANARY not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    reasons = {entry["source"].split(":")[0] for entry in report["projects"][0]["skipped"]}
    assert {"uv.lock", "Pipfile.lock", "poetry.lock", "pdm.lock"} <= reasons
    for name in SMOKE:
        alone = run_cli("scan", str(app / name), "--osv-db", str(osv), "--offline", home=home)
        assert alone.returncode in (0, 1, 2), alone.stderr
        assert "Traceback" not in alone.stderr
        assert all(
            line.startswith(("depsentry:", "Found ", "No known"))
            for line in alone.stderr.splitlines()
        )
