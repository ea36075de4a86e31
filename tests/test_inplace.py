"""inplace.py: snapshots and safe replacement of one file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inplace import preflight, read_snapshot, replace


def test_replace_keeps_bom_and_refuses_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfa==1\r\n")
    snapshot = read_snapshot(path, tmp_path)
    assert snapshot.text == "a==1\r\n"
    replace(snapshot, snapshot.encode("a==2\r\n"))
    assert path.read_bytes() == b"\xef\xbb\xbfa==2\r\n"
    with pytest.raises(InputError, match="changed since it was read"):
        replace(snapshot, b"a==3\n")  # the file now differs from the snapshot
    assert path.read_bytes() == b"\xef\xbb\xbfa==2\r\n"


def test_same_size_same_mtime_edit_is_still_found(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("a==1\n")
    snapshot = read_snapshot(path, tmp_path)
    path.write_text("b==1\n")
    os.utime(path, ns=(snapshot.mtime_ns, snapshot.mtime_ns))  # same size, same mtime
    with pytest.raises(InputError, match="changed since it was read"):
        preflight(snapshot)


def test_in_place_write_checks_the_content_too(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("a==1\n")
    os.link(path, tmp_path / "twin")  # two links: written in place
    snapshot = read_snapshot(path, tmp_path)
    replace(snapshot, b"a==2\n")
    assert (tmp_path / "twin").read_text() == "a==2\n"


def test_symlink_out_of_the_root_is_refused_at_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("a==1\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "r.txt").symlink_to(outside)
    with pytest.raises(InputError, match="is a symlink to .*outside the project; not edited"):
        read_snapshot(root / "r.txt", root)


def test_a_link_retargeted_after_the_read_does_not_redirect_the_write(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    inside = root / "base.txt"
    inside.write_text("a==1\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("a==1\n")
    link = root / "r.txt"
    link.symlink_to(inside)
    snapshot = read_snapshot(link, root)
    link.unlink()
    link.symlink_to(outside)  # swapped between the read and the write
    replace(snapshot, b"a==2\n")
    assert outside.read_text() == "a==1\n" and inside.read_text() == "a==2\n"


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_snapshot(fifo, tmp_path)  # and it does not hang


def test_read_only(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("a==1\n")
    path.chmod(0o444)
    snapshot = read_snapshot(path, tmp_path)
    with pytest.raises(InputError, match="read-only"):
        replace(snapshot, b"a==2\n")
    assert path.read_text() == "a==1\n"


def test_an_unwritable_directory_falls_back_to_an_in_place_write(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into any directory")
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "r.txt"
    path.write_text("a==1\n")
    folder.chmod(0o555)
    try:
        replace(read_snapshot(path, tmp_path), b"a==2\n")
    finally:
        folder.chmod(0o755)
    assert path.read_text() == "a==2\n"
