"""Project discovery: one project per directory with a manifest or lockfile, workspaces as one,
.gitignore and excludes respected, incidental (tests/examples/docs) projects kept apart."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from depsentry.errors import InputError
from depsentry.inputs.project import ProjectInputs, discover
from depsentry.inputs.projects import configured_excludes, find_projects, read_projects
from tests.paths import DATA

MONOREPO = DATA / "monorepo"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def split(root: Path, *exclude: str) -> dict[str, tuple[list[str], list[str], bool]]:
    """{project dir relative to root: (its files relative to it, members, incidental)}."""
    return {
        p.path.relative_to(root).as_posix(): (
            [Path(os.path.relpath(f, p.path)).as_posix() for f in p.files],
            list(p.members),
            p.incidental,
        )
        for p in find_projects(root, exclude)
    }


def test_the_monorepo_fixture_splits_as_osv_scanner_would() -> None:
    assert split(MONOREPO) == {
        # The root lock covers the manifests beside it and the uv workspace member;
        # requirements/dev.txt belongs to the project beside the requirements/ folder.
        ".": (
            ["pyproject.toml", "requirements/dev.txt", "uv.lock", "packages/lib/pyproject.toml"],
            ["packages/lib"],
            False,
        ),
        "docs": (["requirements.txt"], [], True),
        "examples/demo": (["pyproject.toml"], [], True),
        "tests/fixtures/x": (["poetry.lock", "pyproject.toml"], [], True),
        # build/ is gitignored: not a project.
    }


def test_the_monorepo_fixture_reads_each_project_on_its_own() -> None:
    read = {p.path.relative_to(MONOREPO).as_posix(): i for p, i in read_projects(MONOREPO)}
    assert all(isinstance(i, ProjectInputs) for i in read.values())
    pins = {
        where: sorted((d.name, d.version, str(d.source)) for d in i.dependencies)
        for where, i in read.items()
        if isinstance(i, ProjectInputs)
    }
    assert pins == {
        ".": [
            ("idna", "2.7", "uv.lock:9"),  # the member's dependency, pinned by the root lock
            ("pytest", "7.4.0", "requirements/dev.txt:1"),
            ("requests", "2.19.0", "uv.lock:31"),
        ],
        "docs": [("sphinx", "7.2.6", "requirements.txt:1")],
        "examples/demo": [
            ("flask", "2.2.5", "pyproject.toml:4"),
            ("jinja2", "3.1.2", "pyproject.toml:4"),
        ],
        "tests/fixtures/x": [("django", "3.2", "poetry.lock:4")],
    }


def test_excludes_leave_out_folders() -> None:
    assert list(split(MONOREPO, "tests/", "examples/")) == [".", "docs"]
    assert list(split(MONOREPO, "**/fixtures/")) == [".", "docs", "examples/demo"]


def test_a_requirements_folder_scanned_itself_is_the_project(tmp_path: Path) -> None:
    write(tmp_path, "requirements/base.txt", "a==1\n")
    assert split(tmp_path / "requirements") == {".": (["base.txt"], [], False)}


def test_gitignore_applies_below_its_folder_only(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "a==1\n")
    write(tmp_path, "app/.gitignore", "vendored/\n*.generated.txt\n")
    write(tmp_path, "app/requirements.txt", "b==1\n")
    write(tmp_path, "app/requirements.generated.txt", "c==1\n")
    write(tmp_path, "app/vendored/requirements.txt", "d==1\n")
    write(tmp_path, "vendored/requirements.txt", "e==1\n")  # not under app/: kept
    assert split(tmp_path) == {
        ".": (["requirements.txt"], [], False),
        "app": (["requirements.txt"], [], False),
        "vendored": (["requirements.txt"], [], False),
    }
    # Without gitignore (one-project discovery, as before) everything is found.
    assert len(discover(tmp_path)) == 5


def test_an_unreadable_gitignore_ignores_nothing(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "a==1\n")
    (tmp_path / ".gitignore").mkdir()  # a directory where the file should be: cannot be read
    assert list(split(tmp_path)) == ["."]


def test_a_uv_lock_makes_its_path_packages_members_without_a_workspace_table(
    tmp_path: Path,
) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n')
    write(
        tmp_path,
        "uv.lock",
        'version = 1\n\n[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\n\n'
        '[[package]]\nname = "tool"\nversion = "1"\nsource = { virtual = "tools/tool" }\n\n'
        '[[package]]\nname = "gone"\nversion = "1"\nsource = { directory = "nowhere" }\n',
    )
    write(tmp_path, "tools/tool/pyproject.toml", '[project]\nname = "tool"\nversion = "1"\n')
    assert split(tmp_path)["."][1] == ["tools/tool"]
    assert list(split(tmp_path)) == ["."]


def test_poetry_and_pdm_path_dependencies_join_their_lock(tmp_path: Path) -> None:
    write(tmp_path, "app/pyproject.toml", '[tool.poetry]\nname = "app"\n')
    write(
        tmp_path,
        "app/poetry.lock",
        '[[package]]\nname = "lib"\nversion = "1"\nfiles = []\n\n[package.source]\n'
        'type = "directory"\nurl = "../lib"\n\n[[package]]\nname = "web"\nversion = "1"\n'
        'files = []\n\n[package.source]\ntype = "url"\nurl = "https://example.org/web.zip"\n',
    )
    write(tmp_path, "lib/pyproject.toml", '[tool.poetry]\nname = "lib"\n')
    write(tmp_path, "svc/pyproject.toml", '[project]\nname = "svc"\nversion = "1"\n')
    write(
        tmp_path,
        "svc/pdm.lock",
        '[metadata]\nlock_version = "4.4"\n\n[[package]]\nname = "common"\nversion = "1"\n'
        'path = "./common"\n',
    )
    write(tmp_path, "svc/common/requirements.txt", "six==1.16.0\n")
    assert split(tmp_path) == {
        "app": (["poetry.lock", "pyproject.toml", "../lib/pyproject.toml"], ["../lib"], False),
        "svc": (["pdm.lock", "pyproject.toml", "common/requirements.txt"], ["common"], False),
    }


def test_a_member_with_its_own_lock_stays_a_project(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "root"\nversion = "1"\n[tool.uv.workspace]\nmembers = ["pkgs/*"]\n'
        'exclude = ["pkgs/skip"]\n',
    )
    write(tmp_path, "uv.lock", "version = 1\n")
    write(tmp_path, "pkgs/a/pyproject.toml", '[project]\nname = "a"\nversion = "1"\n')
    write(tmp_path, "pkgs/b/pyproject.toml", '[project]\nname = "b"\nversion = "1"\n')
    write(tmp_path, "pkgs/b/uv.lock", "version = 1\n")
    write(tmp_path, "pkgs/skip/pyproject.toml", '[project]\nname = "s"\nversion = "1"\n')
    write(tmp_path, "pkgs/readme.txt", "not a folder\n")
    found = split(tmp_path)
    assert found["."][1] == ["pkgs/a"]
    assert list(found) == [".", "pkgs/b", "pkgs/skip"]


def test_two_locks_naming_each_other_do_not_loop(tmp_path: Path) -> None:
    for here, there in (("a", "../b"), ("b", "../a")):
        write(tmp_path, f"{here}/pyproject.toml", f'[project]\nname = "{here}"\nversion = "1"\n')
        write(
            tmp_path,
            f"{here}/pdm.lock",
            f'[[package]]\nname = "x"\nversion = "1"\npath = "{there}"\n',
        )
    # Each has its own lock, so neither becomes the other's member.
    assert list(split(tmp_path)) == ["a", "b"]


def test_broken_manifests_and_locks_do_not_stop_discovery(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[project\n")
    write(tmp_path, "uv.lock", "not toml [\n")
    write(tmp_path, "sub/requirements.txt", "a==1\n")
    assert list(split(tmp_path)) == [".", "sub"]
    # Valid TOML of the wrong shapes says nothing about members either.
    write(tmp_path, "pyproject.toml", "[tool.uv]\nworkspace = 1\n")
    write(tmp_path, "uv.lock", "package = [1, 2]  # editable = \n")
    write(tmp_path, "sub/pdm.lock", "package = 3\n")
    assert list(split(tmp_path)) == [".", "sub"]


def test_a_huge_lock_is_not_parsed_for_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n')
    write(tmp_path, "pdm.lock", '[[package]]\nname = "lib"\nversion = "1"\npath = "lib"\n')
    write(tmp_path, "lib/pyproject.toml", '[project]\nname = "lib"\nversion = "1"\n')
    assert list(split(tmp_path)) == ["."]
    monkeypatch.setattr("depsentry.inputs.projects._MAX_LOCK_BYTES", 10)
    assert list(split(tmp_path)) == [".", "lib"]


def test_a_tree_whose_only_inputs_are_gitignored(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "vendor/\n")
    write(tmp_path, "vendor/requirements.txt", "a==1\n")
    with pytest.raises(InputError, match="gitignored"):
        read_projects(tmp_path)


def test_a_directory_included_by_another_projects_requirements_is_not_a_project(
    tmp_path: Path,
) -> None:
    write(tmp_path, "requirements.txt", "-r docs/requirements.txt\na==1\n")
    write(tmp_path, "docs/requirements.txt", "b==1\n")
    write(tmp_path, "tools/requirements.txt", "c==1\n")
    read = [p.path.relative_to(tmp_path).as_posix() for p, _ in read_projects(tmp_path)]
    assert read == [".", "tools"]


def test_an_unreadable_project_keeps_its_error_and_the_others_are_read(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "a==1\n")
    write(tmp_path, "broken/uv.lock", "version = 99\n")
    read = {p.path.relative_to(tmp_path).as_posix(): i for p, i in read_projects(tmp_path)}
    assert isinstance(read["."], ProjectInputs)
    assert isinstance(read["broken"], InputError) and "uv.lock" in str(read["broken"])


def test_the_environment_belongs_to_the_root_project(tmp_path: Path) -> None:
    site = tmp_path / "env"
    write(site, "six-1.16.0.dist-info/METADATA", "Name: six\nVersion: 1.16.0\n")
    write(tmp_path, "sub/requirements.txt", "a==1\n")
    read = [(p.path, i) for p, i in read_projects(tmp_path, environment=site)]
    assert [path for path, _ in read] == [tmp_path, tmp_path / "sub"]
    root = read[0][1]
    assert isinstance(root, ProjectInputs)
    assert [d.name for d in root.dependencies] == ["six"]


def test_no_project_at_all_is_the_usual_error(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "nothing here\n")
    with pytest.raises(InputError, match="no dependency files found"):
        read_projects(tmp_path)


def test_tool_depsentry_exclude(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "app"\nversion = "1"\n[tool.depsentry]\nexclude = ["tests/"]\n',
    )
    write(tmp_path, "tests/fixtures/x/requirements.txt", "a==1\n")
    write(tmp_path, "examples/requirements.txt", "a==1\n")
    assert configured_excludes(tmp_path) == ("tests/",)
    read = [p.path.relative_to(tmp_path).as_posix() for p, _ in read_projects(tmp_path)]
    assert read == [".", "examples"]


@pytest.mark.parametrize("setting", ['exclude = "tests/"', "exclude = [1]", 'exclude = [""]'])
def test_a_bad_exclude_setting_is_one_line_naming_the_file(tmp_path: Path, setting: str) -> None:
    write(tmp_path, "pyproject.toml", f"[tool.depsentry]\n{setting}\n")
    with pytest.raises(InputError, match=r"pyproject\.toml.*\[tool\.depsentry\] exclude"):
        read_projects(tmp_path)


def test_no_exclude_setting(tmp_path: Path) -> None:
    assert configured_excludes(tmp_path) == ()
    write(tmp_path, "pyproject.toml", "[tool.depsentry]\npolicy = 'strict'\n")
    assert configured_excludes(tmp_path) == ()


POETRY_STYLE = {
    # The layout of python-poetry/poetry: the real project at the root, dozens of fixture
    # projects under tests/ (some with locks, some deliberately broken, some path-dependent).
    "pyproject.toml": '[tool.poetry]\nname = "poetry"\n[tool.poetry.dependencies]\n'
    'python = "^3.9"\nrequests = "^2.26"\n',
    "poetry.lock": '[[package]]\nname = "requests"\nversion = "2.32.3"\nfiles = []\n\n'
    '[metadata]\nlock-version = "2.0"\n',
    "tests/fixtures/old_lock/pyproject.toml": '[tool.poetry]\nname = "old"\n',
    "tests/fixtures/old_lock/poetry.lock": '[[package]]\nname = "requests"\nversion = "2.19.0"\n'
    'files = []\n\n[metadata]\nlock-version = "1.1"\n',
    "tests/fixtures/invalid_lock/pyproject.toml": '[tool.poetry]\nname = "invalid"\n',
    "tests/fixtures/invalid_lock/poetry.lock": "<<<<<<< HEAD\n",
    "tests/fixtures/with_path_dependency/pyproject.toml": '[tool.poetry]\nname = "wpd"\n'
    '[tool.poetry.dependencies]\nbar = { path = "../project_with_extras" }\n',
    "tests/fixtures/project_with_extras/pyproject.toml": '[tool.poetry]\nname = "extras"\n'
    '[tool.poetry.dependencies]\npendulum = "1.4.4"\n',
    "tests/repositories/fixtures/pypi.org/dists/requirements.txt": "attrs==17.4.0\n",
    "docs/requirements.txt": "mkdocs==1.0\n",
}


def test_a_poetry_style_layout_yields_its_fixtures_as_separate_projects(tmp_path: Path) -> None:
    for name, text in POETRY_STYLE.items():
        write(tmp_path, name, text)
    read = {p.path.relative_to(tmp_path).as_posix(): (p, i) for p, i in read_projects(tmp_path)}
    assert list(read) == [
        ".",
        "docs",
        "tests/fixtures/invalid_lock",
        "tests/fixtures/old_lock",
        "tests/fixtures/project_with_extras",
        "tests/fixtures/with_path_dependency",
        "tests/repositories/fixtures/pypi.org/dists",
    ]
    found, root = read["."]
    assert not found.incidental and isinstance(root, ProjectInputs)
    # The real project is clean: the fixture's requests 2.19.0 is not in it.
    assert [(d.name, d.version) for d in root.dependencies] == [("requests", "2.32.3")]
    assert all(p.incidental for where, (p, _) in read.items() if where != ".")
    old = read["tests/fixtures/old_lock"][1]
    assert isinstance(old, ProjectInputs)
    assert [(d.name, d.version) for d in old.dependencies] == [("requests", "2.19.0")]
    # A broken fixture lock beside a good manifest is a skipped input, not a failed scan.
    broken = read["tests/fixtures/invalid_lock"][1]
    assert isinstance(broken, ProjectInputs)
    assert [s.kind.value for s in broken.skipped] == ["unreadable"]


def _walk_with_a_closed(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.walk as an unprivileged user sees it: `folder` cannot be listed (root lists anything)."""
    import depsentry.inputs.project as project

    real_walk = os.walk

    def walk(
        top: str, onerror: object = None, **kwargs: Any
    ) -> Iterator[tuple[str, list[str], list[str]]]:
        assert callable(onerror)
        for base, dirs, files in real_walk(top, **kwargs):
            if folder in dirs:
                dirs.remove(folder)
                onerror(PermissionError(13, "Permission denied", os.path.join(base, folder)))
            yield base, dirs, files

    monkeypatch.setattr(project.os, "walk", walk)  # type: ignore[attr-defined]


def test_a_directory_that_cannot_be_listed_is_reported_by_the_project_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "requirements.txt", "calm==1.0\n")
    write(tmp_path, "api/requirements.txt", "demo==1.0\n")
    write(tmp_path, "api/closed/requirements.txt", "hidden==1.0\n")
    _walk_with_a_closed("closed", monkeypatch)
    results = {found.path: inputs for found, inputs in read_projects(tmp_path)}
    assert set(results) == {tmp_path, tmp_path / "api"}
    api = results[tmp_path / "api"]
    assert isinstance(api, ProjectInputs)
    [entry] = [s for s in api.skipped if "cannot list" in s.reason]
    assert entry.requirement == "closed"
    root = results[tmp_path]
    assert isinstance(root, ProjectInputs)
    assert not [s for s in root.skipped if "cannot list" in s.reason]


def test_a_tree_that_cannot_be_listed_at_all_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "closed/requirements.txt", "hidden==1.0\n")
    _walk_with_a_closed("closed", monkeypatch)
    with pytest.raises(InputError, match="cannot list this directory"):
        read_projects(tmp_path)
