"""Secrets come from the environment, a file or a systemd credential, and never show up in errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depsentry.daemon.credentials import read_secret
from depsentry.errors import ConfigError


def test_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", " s3cret\n")
    assert read_secret(what="t", env="MY_TOKEN") == "s3cret"
    file = tmp_path / "token"
    file.write_text("\ufefffrom-file\n", encoding="utf-8")
    assert read_secret(what="t", file=file) == "from-file"
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "git").write_text("from-systemd", encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "creds"))
    assert read_secret(what="t", credential="git") == "from-systemd"
    assert read_secret(what="t") is None


def test_problems_name_the_place_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(ConfigError, match="environment variable NOPE is not set"):
        read_secret(what="git token", env="NOPE")
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        read_secret(what="t", file=empty)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_secret(what="t", file=tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):  # never blocks on a FIFO
        read_secret(what="t", file=fifo)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match=r"needs \$CREDENTIALS_DIRECTORY"):
        read_secret(what="t", credential="x")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    with pytest.raises(ConfigError, match="bad credential name"):
        read_secret(what="t", credential="../etc/passwd")
    big = tmp_path / "big"
    big.write_text("x" * 100_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="larger than") as caught:
        read_secret(what="t", file=big)
    assert "xxxx" not in str(caught.value)
