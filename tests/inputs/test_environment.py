"""An installed environment: a real venv (created by the test) with dist-info directories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.environment import EnvironmentReader, site_packages
from depsentry.models import Dependency, SkipKind, Skipped, Source


def install_fake(
    site: Path,
    name: str,
    version: str,
    *,
    requested: bool,
    direct_url: dict[str, object] | None = None,
) -> Path:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n\nlong description\n",
        encoding="utf-8",
    )
    if requested:
        (info / "REQUESTED").write_text("", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    return info


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    (site,) = root.glob("lib/python*/site-packages")
    install_fake(site, "Requests", "2.31.0", requested=True)
    install_fake(site, "urllib3", "2.0.7", requested=False)
    install_fake(
        site,
        "mine",
        "0.1",
        requested=True,
        direct_url={"url": "file:///src/mine", "dir_info": {"editable": True}},
    )
    install_fake(
        site,
        "fromgit",
        "1.0",
        requested=True,
        direct_url={
            "url": "https://github.com/x/fromgit",
            "vcs_info": {"vcs": "git", "commit_id": "abc"},
        },
    )
    return root


def test_reads_a_venv_root(venv: Path) -> None:
    (site,) = site_packages(venv)
    items = sorted(EnvironmentReader().read(venv), key=lambda item: item.name or "")

    def metadata(name: str, version: str) -> Source:
        return Source(str(site / f"{name}-{version}.dist-info" / "METADATA"), 3)

    assert items == [
        Skipped(
            "fromgit (https://github.com/x/fromgit)",
            "installed from a VCS or local directory, not from a package index",
            metadata("fromgit", "1.0"),
            SkipKind.URL,
            "fromgit",
        ),
        Skipped(
            "mine (editable file:///src/mine)",
            "editable install, not from a package index",
            metadata("mine", "0.1"),
            SkipKind.EDITABLE,
            "mine",
        ),
        Dependency(
            "requests", "2.31.0", True, metadata("Requests", "2.31.0"), specifier="==2.31.0"
        ),
        Dependency("urllib3", "2.0.7", False, metadata("urllib3", "2.0.7"), specifier="==2.0.7"),
    ]


def test_reads_a_site_packages_dir_directly(venv: Path) -> None:
    (site,) = site_packages(venv)
    names = {item.name for item in EnvironmentReader().read(site)}
    assert names == {"requests", "urllib3", "mine", "fromgit"}


def test_metadata_without_name_is_invalid(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    info = site / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nVersion: 1.0\n", encoding="utf-8")
    (item,) = EnvironmentReader().read(site)
    assert isinstance(item, Skipped)
    assert item.kind is SkipKind.INVALID


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such environment"),
        (lambda p: p / "file.txt", "an environment must be a directory"),
        (lambda p: p, "no site-packages found"),
    ],
)
def test_bad_environment_paths(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        list(EnvironmentReader().read(path))
    assert str(info.value).startswith(f"{path}: {message}")


def test_egg_info_is_read_from_pkg_info(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    info = site / "legacy-1.2.egg-info"
    info.mkdir(parents=True)
    (info / "PKG-INFO").write_text(
        "Metadata-Version: 1.0\nName: Legacy\nVersion: 1.2\n", encoding="utf-8"
    )
    assert list(EnvironmentReader().read(site)) == [
        Dependency("legacy", "1.2", False, Source(str(info / "PKG-INFO"), 3), specifier="==1.2")
    ]
