"""Undecodable file names (surrogateescape) become `\\xNN` text in every output."""

from __future__ import annotations

import json
import os

from depsentry.report.escaping import printable, printable_json


def test_escaped_bytes_become_backslash_x() -> None:
    assert printable(os.fsdecode(b"caf\xe9/\xff.txt")) == "caf\\xe9/\\xff.txt"


def test_other_lone_surrogates_become_backslash_u() -> None:
    assert printable("a\ud800b") == "a\\ud800b"


def test_plain_and_non_ascii_text_is_untouched() -> None:
    assert printable("requirements.txt") == "requirements.txt"
    assert printable("naïve ✓") == "naïve ✓"


def test_json_text_stays_valid_and_says_the_same() -> None:
    raw = json.dumps({"source": os.fsdecode(b"r\xff.txt"), "ok": "é"}, ensure_ascii=False)
    text = printable_json(raw)
    text.encode("utf-8")
    assert json.loads(text) == {"source": "r\\xff.txt", "ok": "é"}
    assert printable_json('{"a": 1}') == '{"a": 1}'
