"""Index credentials stay with their index; several indexes answering for one name is a
dependency-confusion signal; a name no index knows is said to be registrable (issue 9)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.index import PackageIndex
from depsentry.index.client import NOT_ON_INDEX, credentialed_urls
from depsentry.index.origins import pin_indexes
from depsentry.models.releases import ProjectReleases
from tests.commands.scenario import osv_record, project, write_osv
from tests.servers.index_server import Fault, IndexFile, IndexServer

SECRET = "pr1vate-t0ken"
ENV = {"DEPSENTRY_INDEX_USERNAME": "ci", "DEPSENTRY_INDEX_PASSWORD": SECRET}


def wheel(name: str, version: str) -> IndexFile:
    return IndexFile(f"{name}-{version}-py3-none-any.whl")


def index(main_url: str, *extra: str, tmp_path: Path) -> PackageIndex:
    return PackageIndex(
        main_url, extra, use_cache=False, env=ENV, netrc_file=tmp_path / "none", timeout=5
    )


def test_environment_credentials_never_reach_an_extra_index(tmp_path: Path) -> None:
    private = IndexServer({"acme": [wheel("acme", "1.0")]}, credentials=("ci", SECRET))
    public = IndexServer({"acme": [wheel("acme", "1.0")], "six": [wheel("six", "1.0")]})
    with private, public, index(private.simple_url, public.simple_url, tmp_path=tmp_path) as client:
        answers = client.fetch_many(["acme", "six"])
    assert all(isinstance(a, ProjectReleases) for a in answers.values())
    assert all("authorization" in s.headers for s in private.seen)
    assert public.seen and not any("authorization" in s.headers for s in public.seen)


def test_a_redirect_to_another_host_drops_the_credentials(tmp_path: Path) -> None:
    elsewhere = IndexServer({"acme": [wheel("acme", "1.0")]})
    private = IndexServer({"acme": [wheel("acme", "1.0")]}, credentials=("ci", SECRET))
    with elsewhere, private:
        other = elsewhere.url.replace("127.0.0.1", "localhost")  # another origin, same machine
        private.add_fault("/simple/acme/", Fault(location=f"{other}/simple/acme/"))
        with index(private.simple_url, tmp_path=tmp_path) as client:
            assert isinstance(client.fetch("acme"), ProjectReleases)
    assert private.seen[0].headers.get("authorization")
    assert elsewhere.seen and "authorization" not in elsewhere.seen[0].headers


def test_credentials_for_uv_are_scoped_the_same_way() -> None:
    main_private, public = credentialed_urls(
        "https://private.example/simple/", ["https://pypi.org/simple/"], ENV
    )
    assert main_private == f"https://ci:{SECRET}@private.example/simple/"
    assert public == "https://pypi.org/simple/"
    assert credentialed_urls("https://pypi.org/simple/", ["https://x.example/simple/"], ENV) == [
        "https://pypi.org/simple/",
        "https://x.example/simple/",
    ]
    own = "https://me:mine@private.example/simple/"
    assert credentialed_urls(own, (), ENV) == [own]  # the URL's own userinfo wins


def test_a_name_on_two_indexes_with_a_newer_public_release_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private = IndexServer({"acme-lib": [wheel("acme_lib", "1.0"), wheel("acme_lib", "1.2")]})
    public = IndexServer({"acme-lib": [wheel("acme_lib", "99.0")]})
    with private, public, index(private.simple_url, public.simple_url, tmp_path=tmp_path) as client:
        answer = client.fetch("acme-lib")
    assert isinstance(answer, ProjectReleases)
    assert pin_indexes(answer, "1.0") == (private.simple_url,)
    assert pin_indexes(answer, "99.0") == (public.simple_url,)
    [warning] = [r.getMessage() for r in caplog.records if "dependency" in r.getMessage()]
    assert "acme-lib is on 2 indexes and its newest release 99.0 is only on" in warning
    assert "possible dependency confusion" in warning


def test_a_mirror_that_agrees_is_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = {"six": [wheel("six", "1.0"), wheel("six", "1.16.0")]}
    mirror, upstream = IndexServer(files), IndexServer(files)
    with mirror, upstream, index(mirror.simple_url, upstream.simple_url, tmp_path=tmp_path) as c:
        assert isinstance(c.fetch("six"), ProjectReleases)
    assert "confusion" not in caplog.text


def test_fix_latest_never_takes_a_release_from_another_index_silently(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    db = write_osv(tmp_path / "osv", [osv_record("PYSEC-2099-30", "other", "9.0")])
    app = project(tmp_path / "app", {"requirements.txt": "acme-lib==1.0\n"})
    private = IndexServer({"acme-lib": [wheel("acme_lib", "1.0"), wheel("acme_lib", "1.2")]})
    public = IndexServer({"acme-lib": [wheel("acme_lib", "99.0")]})
    with private, public:
        args = ["--osv-db", str(db), "--index-url", private.simple_url]
        code = main(["fix", str(app), *args, "--extra-index-url", public.simple_url, "--latest"])
    assert code == 0
    assert (app / "requirements.txt").read_text() == "acme-lib==1.2\n"  # not the squatted 99.0
    err = capsys.readouterr().err
    assert (
        f"requirements.txt:1: acme-lib 99.0 is only on {public.simple_url}, but 1.0 came from "
        f"{private.simple_url} (dependency confusion?); staying on it: 1.2"
    ) in err


def test_a_name_no_index_knows_is_said_to_be_registrable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    db = write_osv(tmp_path / "osv", [osv_record("PYSEC-2099-31", "other", "9.0")])
    app = project(tmp_path / "app", {"requirements.txt": "acme-internal==1.0\n"})
    with IndexServer({}) as empty:
        args = ["--osv-db", str(db), "--index-url", empty.simple_url, "--outdated", "-f", "json"]
        main(["scan", str(app), *args])
    report = json.loads(capsys.readouterr().out)
    [skipped] = report["projects"][0]["skipped"]
    assert skipped["reason"] == f"not on 127.0.0.1: {NOT_ON_INDEX}"
    assert "dependency confusion" in NOT_ON_INDEX and "register" in NOT_ON_INDEX


def test_no_secret_in_any_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with IndexServer({}, credentials=("ci", "wrong")) as locked:
        url = locked.simple_url.replace("http://", f"http://ci:{SECRET}@")
        with PackageIndex(url, use_cache=False, env={}, netrc_file=tmp_path / "x") as client:
            client.fetch("acme")
    assert SECRET not in caplog.text


def test_fix_latest_says_when_the_pin_comes_from_no_index_or_its_index_has_nothing_newer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    db = write_osv(tmp_path / "osv", [osv_record("PYSEC-2099-32", "other", "9.0")])
    app = project(tmp_path / "app", {"requirements.txt": "acme-lib==1.2\nacme-old==0.5\n"})
    private = IndexServer(
        {"acme-lib": [wheel("acme_lib", "1.2")], "acme-old": [wheel("acme_old", "1.0")]}
    )
    public = IndexServer(
        {"acme-lib": [wheel("acme_lib", "99.0")], "acme-old": [wheel("acme_old", "2.0")]}
    )
    with private, public:
        args = ["--osv-db", str(db), "--index-url", private.simple_url, "--dry-run", "--no-verify"]
        main(["fix", str(app), *args, "--extra-index-url", public.simple_url, "--latest"])
    captured = capsys.readouterr()
    assert " acme-lib==1.2\n" in captured.out  # the newest on its own index: unchanged context
    assert "+acme-lib" not in captured.out
    assert "staying on it: no newer release there" in captured.err
    assert (
        "requirements.txt:2: acme-old 0.5 is on none of the indexes; 2.0 comes from "
        f"{public.simple_url}: make sure it is the package you mean (dependency confusion)"
    ) in captured.err
