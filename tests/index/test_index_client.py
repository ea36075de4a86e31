"""PackageIndex against a real loopback index: formats, retries, faults, credentials."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from depsentry.index import IndexFailure, PackageIndex
from depsentry.index.client import NOT_ON_INDEX
from depsentry.models.releases import ProjectReleases, Release
from tests.index.helpers import when
from tests.servers.index_server import Fault, IndexFile, IndexServer, serve_directory

MakeIndex = Callable[..., PackageIndex]


def releases_of(result: ProjectReleases | IndexFailure) -> dict[str, Release]:
    assert isinstance(result, ProjectReleases), result
    return {r.version: r for r in result.releases}


def test_simple_json_page_gives_yanked_requires_python_and_upload_times(
    server: IndexServer, make_index: MakeIndex
) -> None:
    result = make_index(server.simple_url).fetch("demo")
    releases = releases_of(result)
    assert sorted(releases) == ["1.0", "1.1", "2.0", "2.1b1"]
    one, one_one, two = releases["1.0"], releases["1.1"], releases["2.0"]
    assert one.upload_time == when(2022, 1, 1)  # earliest of its two files
    assert len(one.files) == 2
    assert one_one.requires_python == ">=3.8"
    assert two.yanked and not one.yanked
    assert server.seen[0].headers["accept"].startswith("application/vnd.pypi.simple.v1+json")


def test_simple_html_page_gives_yanked_and_requires_python(make_index: MakeIndex) -> None:
    from tests.index.helpers import demo_files

    with IndexServer({"demo": demo_files()}, json_pages=False) as html_only:
        index = make_index(html_only.simple_url)
        releases = releases_of(index.fetch("demo"))
        index.close()
    assert releases["1.1"].requires_python == ">=3.8"
    assert releases["2.0"].yanked
    assert releases["1.0"].upload_time is None  # HTML pages carry no upload times


def test_pypi_json_api_is_used_when_asked(server: IndexServer, make_index: MakeIndex) -> None:
    releases = releases_of(make_index(server.simple_url, json_api=True).fetch("demo"))
    assert [s.path for s in server.seen] == ["/pypi/demo/json"]
    assert releases["2.0"].yanked
    assert releases["1.1"].requires_python == ">=3.8"
    assert releases["2.1b1"].upload_time == when(2023, 3, 1)


def test_pypi_org_defaults_to_the_json_api() -> None:
    index = PackageIndex(use_cache=False, env={})
    assert index._indexes[0].json_api == "https://pypi.org"
    assert index.index_urls == ["https://pypi.org/simple/"]


def test_plain_directory_over_http(tmp_path: Path, make_index: MakeIndex) -> None:
    project = tmp_path / "www" / "demo"
    project.mkdir(parents=True)
    for name in ("demo-1.0.tar.gz", "demo-1.2-py3-none-any.whl", "README.txt", "demo-0.1.exe"):
        (project / name).write_bytes(b"")
    with serve_directory(tmp_path / "www") as url:
        index = make_index(url)
        releases = releases_of(index.fetch("demo"))
        missing = index.fetch("absent")
        index.close()
    assert sorted(releases) == ["1.0", "1.2"]
    assert isinstance(missing, IndexFailure) and missing.kind == "not-found"


def test_429_with_retry_after_seconds_then_success(
    server: IndexServer, make_index: MakeIndex
) -> None:
    server.add_fault("/simple/demo/", Fault(status=429, retry_after="1"))
    started = time.monotonic()
    result = make_index(server.simple_url).fetch("demo")
    assert isinstance(result, ProjectReleases)
    assert time.monotonic() - started >= 0.9
    assert server.count("/simple/demo/") == 2


def test_429_with_retry_after_http_date(server: IndexServer, make_index: MakeIndex) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    server.add_fault("/simple/demo/", Fault(status=429, retry_after=later))
    started = time.monotonic()
    assert isinstance(make_index(server.simple_url).fetch("demo"), ProjectReleases)
    assert time.monotonic() - started >= 0.5  # HTTP dates have whole seconds
    assert server.count("/simple/demo/") == 2


def test_5xx_then_success(server: IndexServer, make_index: MakeIndex) -> None:
    server.add_fault("/simple/demo/", Fault(status=500), Fault(status=503))
    assert isinstance(make_index(server.simple_url).fetch("demo"), ProjectReleases)
    assert server.count("/simple/demo/") == 3


def test_timeout_then_success(server: IndexServer, make_index: MakeIndex) -> None:
    server.add_fault("/simple/demo/", Fault(delay=1.0))
    result = make_index(server.simple_url, timeout=0.3).fetch("demo")
    assert isinstance(result, ProjectReleases)
    assert server.count("/simple/demo/") == 2


def test_gives_up_after_three_retries(server: IndexServer, make_index: MakeIndex) -> None:
    server.add_fault("/simple/demo/", *[Fault(status=502)] * 5)
    result = make_index(server.simple_url).fetch("demo")
    assert isinstance(result, IndexFailure) and result.kind == "unavailable"
    assert "HTTP 502" in result.reason and "4 attempts" in result.reason
    assert server.count("/simple/demo/") == 4


def test_404_is_not_found_naming_the_host(server: IndexServer, make_index: MakeIndex) -> None:
    result = make_index(server.simple_url).fetch("nope")
    assert result == IndexFailure("nope", f"not on 127.0.0.1: {NOT_ON_INDEX}", "not-found")
    assert server.count("/simple/nope/") == 1  # no retries for a 404


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b'{"files": [', "application/vnd.pypi.simple.v1+json", "invalid JSON"),
        (b'{"meta": {}}', "application/vnd.pypi.simple.v1+json", 'no "files" list'),
        (
            b'{"files": [{"url": "x"}]}',
            "application/vnd.pypi.simple.v1+json",
            'files[0] has no "filename"',
        ),
        (b"\xff\xfe<a>", "text/html", "not UTF-8"),
        (b"just text, no markup", "text/html", "not an HTML page"),
    ],
)
def test_malformed_page_names_url_and_problem(
    server: IndexServer, make_index: MakeIndex, body: bytes, content_type: str, problem: str
) -> None:
    server.add_fault("/simple/demo/", Fault(body=body, content_type=content_type))
    result = make_index(server.simple_url).fetch("demo")
    assert isinstance(result, IndexFailure) and result.kind == "unavailable"
    assert result.reason.startswith(f"{server.simple_url}demo/: malformed page: ")
    assert problem in result.reason


def test_malformed_pypi_json(server: IndexServer, make_index: MakeIndex) -> None:
    server.add_fault(
        "/pypi/demo/json", Fault(body=b'{"info": {}}', content_type="application/json")
    )
    result = make_index(server.simple_url, json_api=True).fetch("demo")
    assert isinstance(result, IndexFailure)
    assert 'no "releases" object' in result.reason and "/pypi/demo/json" in result.reason


def test_each_name_fetched_once_and_progress_reported(
    server: IndexServer, make_index: MakeIndex
) -> None:
    index = make_index(server.simple_url, use_cache=False, cache=None)
    calls: list[tuple[int, int]] = []
    first = index.fetch_many(
        ["demo", "Demo", "other_pkg", "nope"], progress=lambda *a: calls.append(a)
    )
    again = index.fetch_many(["DEMO", "other-pkg"])
    assert set(first) == {"demo", "other-pkg", "nope"}
    assert again["demo"] is first["demo"]
    assert server.count() == 3
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


def test_down_index_makes_lookups_unavailable_quickly(make_index: MakeIndex) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    index = make_index(f"http://127.0.0.1:{port}/simple/")
    started = time.monotonic()
    results = index.fetch_many([f"pkg{i}" for i in range(40)])
    assert time.monotonic() - started < 5
    assert all(isinstance(r, IndexFailure) and r.kind == "unavailable" for r in results.values())
    assert "cannot connect" in results["pkg0"].reason  # type: ignore[union-attr]


def test_extra_index_files_are_merged(server: IndexServer, make_index: MakeIndex) -> None:
    extra_files = {
        "demo": [IndexFile("demo-3.0.tar.gz", upload_time=when(2024))],
        "private-pkg": [IndexFile("private_pkg-1.0.tar.gz")],
    }
    with IndexServer(extra_files) as extra:
        index = make_index(server.simple_url, extra_index_urls=[extra.simple_url])
        results = index.fetch_many(["demo", "private-pkg", "nowhere"])
        index.close()
    assert "3.0" in releases_of(results["demo"]) and "1.0" in releases_of(results["demo"])
    assert list(releases_of(results["private-pkg"])) == ["1.0"]
    assert results["nowhere"] == IndexFailure(
        "nowhere", f"not on 127.0.0.1: {NOT_ON_INDEX}", "not-found"
    )


SECRET = "s3cr3t-pa55"


def secured_server() -> IndexServer:
    from tests.index.helpers import demo_files

    return IndexServer({"demo": demo_files()}, credentials=("alice", SECRET))


def test_credentials_from_url_reach_server_but_no_message(
    make_index: MakeIndex, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with secured_server() as srv:
        url = srv.simple_url.replace("http://", f"http://alice:{SECRET}@")
        index = make_index(url)
        ok = index.fetch("demo")
        missing = index.fetch("nope")
        srv.add_fault("/simple/broken/", *[Fault(status=500)] * 4)
        broken = index.fetch("broken")
        index.close()
        wrong = make_index(url.replace(SECRET, "wrong"), cache=None, use_cache=False)
        denied = wrong.fetch("demo")
        wrong.close()
    assert isinstance(ok, ProjectReleases)
    assert srv.seen[0].headers["authorization"].startswith("Basic ")
    assert isinstance(denied, IndexFailure) and "HTTP 401" in denied.reason
    assert "check the index credentials" in denied.reason
    texts = [str(missing), str(broken), str(denied), caplog.text, *index.index_urls]
    assert all(SECRET not in t and "alice" not in t for t in texts)


def test_credentials_from_netrc(tmp_path: Path, make_index: MakeIndex) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login alice password {SECRET}\n")
    with secured_server() as srv:
        index = make_index(srv.simple_url, netrc_file=netrc)
        assert isinstance(index.fetch("demo"), ProjectReleases)
        index.close()
        without = make_index(srv.simple_url, cache=None, use_cache=False)
        assert isinstance(without.fetch("demo"), IndexFailure)
        without.close()


def test_credentials_from_environment(make_index: MakeIndex) -> None:
    env = {"DEPSENTRY_INDEX_USERNAME": "alice", "DEPSENTRY_INDEX_PASSWORD": SECRET}
    with secured_server() as srv:
        index = make_index(srv.simple_url, env=env)
        assert isinstance(index.fetch("demo"), ProjectReleases)
        index.close()


def test_environment_credentials_go_to_the_main_index_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {"DEPSENTRY_INDEX_USERNAME": "alice", "DEPSENTRY_INDEX_PASSWORD": SECRET}
    index = PackageIndex(
        extra_index_urls=["https://mirror.example/simple"], use_cache=False, env=env
    )
    pypi, mirror = index._indexes
    assert pypi.auth is None and mirror.auth is None  # PyPI never, an extra index neither
    assert "main index is pypi.org, which never gets it" in caplog.text
    assert SECRET not in caplog.text
    private = PackageIndex(
        "https://private.example/simple",
        ["https://pypi.org/simple", "https://other.example/simple"],
        use_cache=False,
        env=env,
    )
    main, public, other = private._indexes
    assert main.auth is not None and public.auth is None and other.auth is None


def test_bad_index_url_is_a_clear_error_without_secrets() -> None:
    from depsentry.errors import PackageIndexError

    with pytest.raises(PackageIndexError) as caught:
        PackageIndex(f"ftp://alice:{SECRET}@mirror.example/simple/", use_cache=False, env={})
    assert "must be http(s)" in str(caught.value) and SECRET not in str(caught.value)


def test_malformed_netrc_is_ignored_with_its_path_and_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine h login alice password {SECRET}\nbogus token\n")
    index = PackageIndex(
        "https://mirror.example/simple/", use_cache=False, env={}, netrc_file=netrc
    )
    assert index._indexes[0].auth is None
    assert f"{netrc}:2" in caplog.text and SECRET not in caplog.text


def test_failing_extra_index_leaves_a_partial_answer(
    server: IndexServer, make_index: MakeIndex, caplog: pytest.LogCaptureFixture
) -> None:
    with IndexServer({"demo": []}) as extra:
        extra.add_fault("/simple/demo/", *[Fault(status=500)] * 4)
        index = make_index(server.simple_url, extra_index_urls=[extra.simple_url])
        result = index.fetch("demo")
        index.close()
    assert sorted(releases_of(result)) == ["1.0", "1.1", "2.0", "2.1b1"]
    assert "partial answer" in caplog.text and "HTTP 500" in caplog.text
