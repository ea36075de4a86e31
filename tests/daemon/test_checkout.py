"""Git checkouts: partial clone, sparse checkout of dependency files, credentials kept out of
the URL, the command line and the errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from depsentry.daemon.checkout import (
    CheckoutError,
    Interrupted,
    checkout,
    redact_url,
    sparse_patterns,
)
from depsentry.daemon.settings import GitSource
from tests.daemon.gitrepo import Repo, git, http_git


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "origin")
    r.commit({
        "requirements.txt": "jinja2==2.11.3\n",
        "services/api/pyproject.toml": "[project]\nname='api'\ndependencies=['flask==1.0']\n",
        "docs/big.md": "x" * 100_000,
        "src/app.py": "print('hi')\n",
    })  # fmt: skip
    (r.work / "constraints.txt").symlink_to("/etc/passwd")
    r.commit({}, "a symlink pointing out of the tree")
    return r


def files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }


def test_clone_holds_only_the_files_the_scanner_reads(repo: Repo, tmp_path: Path) -> None:
    root = checkout(
        GitSource(url=repo.url, branch="main"), tmp_path / "clone", cancel=threading.Event()
    )
    assert files(root) == {"requirements.txt", "services/api/pyproject.toml", "constraints.txt"}
    # The symlink is a plain file holding its target's name: nothing outside is read.
    assert (root / "constraints.txt").read_text() == "/etc/passwd"
    assert not (root / "constraints.txt").is_symlink()
    assert git("config", "remote.origin.promisor", cwd=root).strip() == "true"  # a partial clone


def test_update_follows_the_branch(repo: Repo, tmp_path: Path) -> None:
    source = GitSource(url=repo.url, branch="main")
    root = checkout(source, tmp_path / "clone", cancel=threading.Event())
    repo.commit({"requirements.txt": "jinja2==3.1.4\n"})
    (repo.work / "requirements.txt").unlink()
    repo.commit({"requirements-prod.txt": "flask==3.0\n"})
    again = checkout(source, tmp_path / "clone", cancel=threading.Event())
    assert again == root
    assert "requirements.txt" not in files(root)
    assert (root / "requirements-prod.txt").read_text() == "flask==3.0\n"


def test_a_damaged_clone_is_made_again(repo: Repo, tmp_path: Path) -> None:
    source = GitSource(url=repo.url)
    root = checkout(source, tmp_path / "clone", cancel=threading.Event())
    (root / ".git" / "HEAD").write_text("garbage")
    assert (
        checkout(source, tmp_path / "clone", cancel=threading.Event()) / "requirements.txt"
    ).is_file()


def test_subdir_must_stay_inside(repo: Repo, tmp_path: Path) -> None:
    root = checkout(
        GitSource(url=repo.url, subdir="services/api"), tmp_path / "c", cancel=threading.Event()
    )
    assert root.name == "api"
    with pytest.raises(CheckoutError, match="no such directory"):
        checkout(GitSource(url=repo.url, subdir="nope"), tmp_path / "c2", cancel=threading.Event())


def test_errors_are_one_line_with_gits_reason(tmp_path: Path) -> None:
    with pytest.raises(CheckoutError) as caught:
        checkout(
            GitSource(url=(tmp_path / "missing.git").as_uri()),
            tmp_path / "c",
            cancel=threading.Event(),
        )
    message = str(caught.value)
    assert (
        message.startswith("git clone file://")
        and "does not appear to be a git repository" in message
    )
    assert "\n" not in message


def test_cancel_stops_git(repo: Repo, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Interrupted):
        checkout(GitSource(url=repo.url), tmp_path / "c", cancel=stop)


def test_token_reaches_git_through_the_helper_only(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPO_TOKEN", "tok-123")
    with http_git(repo.bare, "x-access-token", "tok-123") as (url, seen):
        source = GitSource(url=url, branch="main", token_env="REPO_TOKEN")
        root = checkout(source, tmp_path / "c", cancel=threading.Event())
        assert (root / "requirements.txt").is_file()
        assert any(h.startswith("Basic ") for h in seen)
        assert git("config", "remote.origin.url", cwd=root).strip() == url  # no token in the URL
        assert "tok-123" not in (root / ".git" / "config").read_text()
        monkeypatch.setenv("REPO_TOKEN", "wrong")
        with pytest.raises(CheckoutError) as caught:
            checkout(source, tmp_path / "c2", cancel=threading.Event())
        assert "wrong" not in str(caught.value) and "tok-123" not in str(caught.value)


def test_urls_are_shown_without_credentials() -> None:
    assert (
        redact_url("https://me:secret@git.example.com/a.git?x=1") == "https://git.example.com/a.git"
    )
    assert redact_url("git@github.com:me/a.git") == "git@github.com:me/a.git"
    assert "requirements*.txt" in sparse_patterns() and "**/requirements/*.txt" in sparse_patterns()
