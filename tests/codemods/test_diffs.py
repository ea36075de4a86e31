"""Long-file diffs are difflib's, line for line, however they are cut into pieces."""

from __future__ import annotations

import difflib
import random

import pytest

from depsentry.codemods.diffs import SMALL, unified_diff

BLOCK = """
def load_{n}(path):
    rows = []
    with open(path) as handle:
        for line in handle:
            if not line.strip():
                continue
            rows.append(line)
    return rows


class Item{n}:
    value = {n}

"""


def _long_file(lines: int) -> list[str]:
    text, n = [], 0
    while len(text) < lines:
        text.extend(BLOCK.format(n=n % 97 if n % 5 else n).splitlines(keepends=True))
        n += 1
    return text


def _edit(lines: list[str], rng: random.Random) -> list[str]:
    new = list(lines)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(1, len(new))
        roll = rng.random()
        if roll < 0.3:
            new.insert(at, rng.choice(["\n", "    return rows\n", "import openai\n", new[at - 1]]))
        elif roll < 0.55:
            del new[at : at + rng.randint(1, 5)]
        elif roll < 0.8:
            new[at] = "    client = _get_client()\n"
        else:
            new[at:at] = new[max(0, at - 40) : at - 20]
    return new


@pytest.mark.parametrize("seed", range(12))
def test_long_file_diff_is_difflibs(seed: int) -> None:
    rng = random.Random(seed)
    before = _long_file(SMALL + rng.randint(0, 3000))
    after = _edit(before, rng)
    expected = "".join(difflib.unified_diff(before, after, fromfile="m.py", tofile="m.py"))
    assert unified_diff(before, after, "m.py", "m.py") == expected


@pytest.mark.parametrize(
    "after",
    [
        [],
        ["only\n"],
        "same",
        "append",
        "truncate",
    ],
)
def test_edge_cases_are_difflibs(after: object) -> None:
    before = _long_file(SMALL)
    if after == "same":
        new = list(before)
    elif after == "append":
        new = [*before, "tail\n", "\\ No newline at end of file\n"]
    elif after == "truncate":
        new = before[: len(before) // 3]
    else:
        assert isinstance(after, list)
        new = after
    expected = "".join(difflib.unified_diff(before, new, fromfile="a", tofile="b"))
    assert unified_diff(before, new, "a", "b") == expected


def test_a_file_of_repeated_lines_is_difflibs() -> None:
    """Every line is popular: no run to cut at, so the whole range goes to one matcher."""
    before = [f"line {n % 10}\n" for n in range(SMALL)]
    after = [*before[:100], "new\n", *before[103:]]
    expected = "".join(difflib.unified_diff(before, after, fromfile="a", tofile="a"))
    assert unified_diff(before, after, "a", "a") == expected
