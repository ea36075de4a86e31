"""EPSS and KEV: reading FIRST's and CISA's files (hostile ones too), importing them, joining them
through aliases at match time, the gate, and `--download` against a loopback server."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from osvdata import dep, record, write_records

from depsentry.advisories.epss import MAX_EPSS_BYTES, read_epss
from depsentry.advisories.kev import read_kev
from depsentry.advisories.priorities import Prioritiser, import_epss, import_kev, priorities_path
from depsentry.advisories.resolve import open_advisories
from depsentry.cli import main
from depsentry.errors import AdvisoryDbError
from tests.servers.file_server import FileServer

HEADER = "#model_version:v2025.03.14,score_date:2026-05-18T00:00:00Z\ncve,epss,percentile\n"


def epss_file(path: Path, rows: str, *, header: str = HEADER, gz: bool = True) -> Path:
    text = (header + rows).encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


def kev_doc(*cves: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.05.18",
        "dateReleased": "2026-05-18T14:00:00.000Z",
        "count": len(cves),
        "vulnerabilities": [
            {"cveID": c, "vendorProject": "v", "product": "p", "vulnerabilityName": "n",
             "dateAdded": "2026-05-01", "shortDescription": "s", "requiredAction": "a",
             "dueDate": "2026-05-22", "knownRansomwareCampaignUse": "Known", "notes": ""}
            for c in cves
        ],
        **extra,
    }  # fmt: skip


# --- reading -----------------------------------------------------------------------------------


def test_epss_file_with_its_own_date_and_model(tmp_path: Path) -> None:
    path = epss_file(tmp_path / "epss_scores-2026-05-18.csv.gz", "CVE-2024-1001,0.5,0.9\n")
    data = read_epss(path)
    assert (data.model, data.score_date and data.score_date.isoformat()) == (
        "v2025.03.14",
        "2026-05-18T00:00:00+00:00",
    )
    assert data.rows == [("CVE-2024-1001", 0.5, 0.9)]


def test_plain_csv_without_the_comment_takes_the_date_from_the_file_name(tmp_path: Path) -> None:
    path = epss_file(
        tmp_path / "epss_scores-2025-01-02.csv", "CVE-2024-1001,0.1,0.2\n",
        header="cve,epss,percentile\n", gz=False,
    )  # fmt: skip
    data = read_epss(path)
    assert data.model is None and data.score_date is not None
    assert data.score_date.date().isoformat() == "2025-01-02"


@pytest.mark.parametrize(
    ("rows", "message", "line"),
    [
        ("CVE-2024-1001,abc,0.9\n", "epss 'abc' is not a number", 3),
        ("CVE-2024-1001,1.5,0.9\n", "not between 0 and 1", 3),
        ("CVE-2024-1001,nan,0.9\n", "not between 0 and 1", 3),
        ("CVE-2024-1001,0.1,0.9\nnot-a-cve,0.1,0.2\n", "'not-a-cve' is not a CVE id", 4),
        ("CVE-2024-1001,0.1\n", "expected 3 columns, got 2", 3),
        ("CVE-2024-1001," + "9" * 5000 + ",0.9\n", "line longer than", 3),
        (b"CVE-2024-1001,0.1,\xff\n".decode("latin-1"), "percentile '\xff' is not a number", 3),
    ],
)
def test_bad_rows_are_one_line_errors_with_file_and_line(
    tmp_path: Path, rows: str, message: str, line: int
) -> None:
    path = epss_file(tmp_path / "e.csv.gz", rows)
    with pytest.raises(AdvisoryDbError) as err:
        read_epss(path)
    assert message in str(err.value) and err.value.line == line and err.value.path == str(path)
    assert "\n" not in str(err.value)


def test_not_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(HEADER.encode() + b"CVE-2024-1001,0.1,0.2\xff\n")
    with pytest.raises(AdvisoryDbError, match="not UTF-8") as err:
        read_epss(path)
    assert err.value.line == 3


def test_gzip_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    # ~260 MB of harmless comment lines, compressed to about 1 MB.
    path = tmp_path / "bomb.csv.gz"
    line = b"#" + b"x" * 400 + b"\n"
    chunk = line * ((1 << 20) // len(line))
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(HEADER.encode())
        for _ in range((MAX_EPSS_BYTES >> 20) + 4):
            out.write(chunk)
    assert path.stat().st_size < 2 << 20
    with pytest.raises(AdvisoryDbError, match="decompresses to more than 256 MiB"):
        read_epss(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b\x08\x00garbage", "not a readable gzip file"),
        (gzip.compress(HEADER.encode() + b"CVE-2024-1001,0.1,0.2\n")[:-12], "not a readable gzip"),
        (b"hello,world\n", "expected the header cve,epss,percentile"),
        (b"", "no header line"),
    ],
    ids=["garbage", "truncated", "not-epss", "empty"],
)
def test_files_that_are_not_epss(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.csv.gz"
    path.write_bytes(content)
    with pytest.raises(AdvisoryDbError, match=message):
        read_epss(path)


def test_fifo_and_directory_are_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(AdvisoryDbError, match="not a regular file"):
        read_epss(fifo)
    with pytest.raises(AdvisoryDbError, match="is a directory"):
        read_kev(tmp_path)


def test_kev_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "known_exploited_vulnerabilities.json"
    path.write_text(json.dumps(kev_doc("CVE-2023-27524", "CVE-2025-3248")))
    data = read_kev(path)
    assert data.version == "2026.05.18" and data.released is not None
    assert [e[0] for e in data.entries] == ["CVE-2023-27524", "CVE-2025-3248"]
    assert data.entries[0][1:] == ("2026-05-01", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100000, "nested too deeply"),
        ('{"vulnerabilities": [}', "invalid JSON"),
        ('{"catalogVersion": "1"}', "no `vulnerabilities` list"),
        (
            '{"vulnerabilities": [{"cveID": "CVE-1"}]}',
            "vulnerabilities[0].cveID: 'CVE-1' is not a CVE id",
        ),
        (
            '{"vulnerabilities": [{"cveID": "CVE-2024-1001", "dateAdded": "soon"}]}',
            "is not YYYY-MM-DD",
        ),
    ],
)
def test_bad_kev_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kev.json"
    path.write_text(text)
    with pytest.raises(AdvisoryDbError) as err:
        read_kev(path)
    assert message in str(err.value) and "\n" not in str(err.value)


# --- joining through aliases -----------------------------------------------------------------


def test_a_ghsa_and_a_pysec_inherit_their_cves_scores_and_the_highest_wins(tmp_path: Path) -> None:
    src = tmp_path / "osv"
    write_records(
        src,
        record("PYSEC-2024-1", "pkg", events=[{"introduced": "0"}, {"fixed": "2.0"}],
               aliases=["CVE-2024-1001", "CVE-2024-1002"]),
        record("GHSA-aaaa-bbbb-cccc", "other", events=[{"introduced": "0"}],
               aliases=["CVE-2024-1003"]),
        record("PYSEC-2024-9", "calm", events=[{"introduced": "0"}]),
    )  # fmt: skip
    home = tmp_path / "home"
    rows = "CVE-2024-1001,0.02,0.50\nCVE-2024-1002,0.40,0.97\nCVE-2024-1003,0.001,0.1\n"
    import_epss(read_epss(epss_file(tmp_path / "e.csv.gz", rows)), "test", home)
    (tmp_path / "kev.json").write_text(json.dumps(kev_doc("CVE-2024-1003")))
    import_kev(read_kev(tmp_path / "kev.json"), "test", home)
    source = open_advisories(osv_db=src, offline=True, home=home)
    try:
        found = {
            v.id: v
            for v in source.match([dep("pkg", "1.0"), dep("other", "1.0"), dep("calm", "1")])
        }
        info = source.info()
    finally:
        source.close()
    assert (found["PYSEC-2024-1"].epss, found["PYSEC-2024-1"].epss_percentile) == (0.40, 0.97)
    assert not found["PYSEC-2024-1"].kev
    assert found["GHSA-aaaa-bbbb-cccc"].kev and found["GHSA-aaaa-bbbb-cccc"].epss == 0.001
    assert (found["PYSEC-2024-9"].epss, found["PYSEC-2024-9"].kev) == (None, False)  # no CVE
    assert info.epss is not None and info.epss.version == "v2025.03.14"
    assert info.kev is not None and info.kev.version == "2026.05.18" and info.kev.entries == 1


def test_a_sibling_records_cve_joins_too(tmp_path: Path) -> None:
    # The PYSEC names only the GHSA; the GHSA (another record of the group) names the CVE.
    src = tmp_path / "osv"
    write_records(
        src,
        record("PYSEC-2024-2", "pkg", events=[{"introduced": "0"}], aliases=["GHSA-x"]),
        record("GHSA-x", "pkg", events=[{"introduced": "5.0"}], aliases=["CVE-2024-1007"]),
    )
    home = tmp_path / "home"
    import_epss(read_epss(epss_file(tmp_path / "e.csv.gz", "CVE-2024-1007,0.3,0.9\n")), "t", home)
    source = open_advisories(osv_db=src, offline=True, home=home)
    try:
        (vuln,) = source.match([dep("pkg", "1.0")])
    finally:
        source.close()
    assert vuln.id == "PYSEC-2024-2" and "CVE-2024-1007" in vuln.aliases and vuln.epss == 0.3


def test_reimport_keeps_the_other_data_set_and_replaces_its_own(tmp_path: Path) -> None:
    home = tmp_path / "home"
    import_epss(read_epss(epss_file(tmp_path / "a.csv.gz", "CVE-2024-1001,0.1,0.2\n")), "a", home)
    (tmp_path / "kev.json").write_text(json.dumps(kev_doc("CVE-2024-1001")))
    import_kev(read_kev(tmp_path / "kev.json"), "k", home)
    import_epss(read_epss(epss_file(tmp_path / "b.csv.gz", "CVE-2024-1002,0.3,0.4\n")), "b", home)
    p = Prioritiser(priorities_path(home))
    try:
        assert p(["CVE-2024-1001"]) == (None, None, True)
        assert p(["CVE-2024-1002"]) == (0.3, 0.4, False)
    finally:
        p.close()


def test_a_corrupted_priorities_file_is_one_line_and_a_reimport_rebuilds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("DEPSENTRY_HOME", str(home))
    home.mkdir()
    priorities_path(home).write_bytes(b"\0" * 8192)
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("pkg==1.0\n")
    src = tmp_path / "osv"
    write_records(src, record("PYSEC-1", "pkg", events=[{"introduced": "0"}]))
    assert main(["scan", str(app), "--osv-db", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "EPSS/KEV database is unreadable" in err
    epss = epss_file(tmp_path / "e.csv.gz", "CVE-2024-1001,0.1,0.2\n")
    assert main(["db", "import-epss", str(epss)]) == 0
    assert main(["scan", str(app), "--osv-db", str(src)]) == 1


# --- the CLI: import, gate, download ----------------------------------------------------------


@pytest.fixture
def scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(project, --osv-db) with one unrated record aliasing CVE-2024-1001; DEPSENTRY_HOME in tmp."""
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    src = tmp_path / "osv"
    write_records(
        src,
        record("PYSEC-2024-1", "pkg", events=[{"introduced": "0"}], aliases=["CVE-2024-1001"]),
    )
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("pkg==1.0\n")
    return app, src


def test_gate_on_epss_and_kev_end_to_end(
    tmp_path: Path, scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    app, src = scanned
    args = ["scan", str(app), "--osv-db", str(src), "--unrated-as", "ignore"]
    assert main([*args, "--fail-on", "epss>=0.1"]) == 2  # nothing imported: cannot look
    assert "no EPSS data is imported" in capsys.readouterr().err
    epss = epss_file(tmp_path / "epss_scores-2026-05-18.csv.gz", "CVE-2024-1001,0.25,0.96\n")
    assert main(["db", "import-epss", str(epss)]) == 0
    assert "Imported EPSS scores of 1 CVEs (model v2025.03.14, scores of 2026-05-18)" in (
        capsys.readouterr().err
    )
    assert main([*args, "--fail-on", "epss>=0.1"]) == 1
    assert main([*args, "--fail-on", "epss>=0.3"]) == 0
    capsys.readouterr()
    assert main([*args, "--fail-on", "percentile>=0.95", "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    (vuln,) = doc["projects"][0]["vulnerabilities"]
    assert (vuln["epss"], vuln["epss_percentile"], vuln["kev"]) == (0.25, 0.96, False)
    assert doc["advisory_db"]["epss"] == {
        "date": "2026-05-18T00:00:00Z", "version": "v2025.03.14", "entries": 1,
    }  # fmt: skip
    assert doc["advisory_db"]["kev"] is None
    (tmp_path / "kev.json").write_text(json.dumps(kev_doc("CVE-2024-1001")))
    assert main([*args, "--fail-on", "kev"]) == 2
    assert main(["db", "import-kev", str(tmp_path / "kev.json")]) == 0
    assert main([*args, "--fail-on", "kev"]) == 1
    assert main([*args, "--fail-on", "critical"]) == 0
    capsys.readouterr()
    assert main([*args, "--fail-on", "none"]) == 0
    table = capsys.readouterr().out
    assert "KEV, EPSS 25% (p96)" in table and "unrated" in table
    assert "EPSS scores of 2026-05-18; KEV catalogue 2026.05.18" in table


def test_bad_gate_is_a_usage_error(
    scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    app, src = scanned
    assert main(["scan", str(app), "--osv-db", str(src), "--fail-on", "epss>>1"]) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--fail-on': 'epss>>1': '>1' is not a number" in err
    assert "Traceback" not in err


def test_import_needs_file_or_download(
    scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "import-epss"]) == 2
    assert "give either FILE or --download" in capsys.readouterr().err


def test_a_bad_file_changes_nothing(
    tmp_path: Path, scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = epss_file(tmp_path / "good.csv.gz", "CVE-2024-1001,0.25,0.96\n")
    bad = epss_file(tmp_path / "bad.csv.gz", "CVE-2024-1001,0.25,0.96\nCVE-2024-1002,x,0.1\n")
    assert main(["db", "import-epss", str(good)]) == 0
    capsys.readouterr()
    assert main(["db", "import-epss", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"depsentry: error: {bad}:4: epss 'x' is not a number\n"
    assert main(["db", "status", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["epss"]["entries"] == 1


def test_download_with_etag_and_304(
    tmp_path: Path, scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    body = gzip.compress((HEADER + "CVE-2024-1001,0.5,0.99\n").encode())
    kev = json.dumps(kev_doc("CVE-2024-1001")).encode()
    with FileServer({"/epss_scores-current.csv.gz": body, "/kev.json": kev}) as server:
        epss_url = server.url("/epss_scores-current.csv.gz")
        assert main(["db", "import-epss", "--download", "--url", epss_url]) == 0
        assert "Imported EPSS scores of 1 CVEs" in capsys.readouterr().err
        assert main(["db", "import-epss", "--download", "--url", epss_url]) == 0
        assert "not modified since the last import" in capsys.readouterr().err
        assert main(["db", "import-kev", "--download", "--url", server.url("/kev.json")]) == 0
        assert main(["db", "import-epss", "--download", "--url", server.url("/missing")]) == 2
        assert "HTTP 404" in capsys.readouterr().err
        assert [etag is not None for _, etag in server.seen[:2]] == [False, True]
    assert not [p for p in (tmp_path / "home").iterdir() if "download" in p.name]
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "epss: date 2026-05-18" in out and "kev: date 2026-05-18" in out


def test_download_of_an_endless_body_stops_at_the_cap(
    scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from depsentry.commands import db

    monkeypatch.setattr(db, "MAX_KEV_BYTES", 1 << 20)
    with FileServer({}, endless=("/kev.json",)) as server:
        assert main(["db", "import-kev", "--download", "--url", server.url("/kev.json")]) == 2
    assert "larger than 1 MiB" in capsys.readouterr().err


def test_download_secrets_never_shown(
    scanned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url = "http://user:s3cret@127.0.0.1:9/epss.csv.gz?token=s3cret"
    assert main(["db", "import-epss", "--download", "--url", url]) == 2
    assert "s3cret" not in capsys.readouterr().err
