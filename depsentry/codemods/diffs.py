"""Unified diffs of long files, exactly as difflib prints them, without its whole-file search.

difflib's SequenceMatcher finds the longest run of equal lines (its "popular" lines, over 1% of
a long file, left out) by a dictionary walk over every line and every place that line occurs,
then recurses on either side; on a 50,000-line module with one changed call that is seconds.
Here every run of at least _MIN_CORE equal lines is found once, through windows of that many
lines (which are mostly unique even where single lines repeat), and the recursion is replayed
over them: the same longest run, the same tie-break, the same extension. A range where no such
run is left goes to a SequenceMatcher of its own with the whole file's popular lines removed,
which searches it as the whole-file matcher would. Short files go to difflib directly.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterator, Sequence

__all__ = ["unified_diff"]

SMALL = 4000  # lines of both sides: below this, difflib itself (and ranges: their own matcher)
_MIN_CORE = 8  # runs shorter than this are left to a range's own matcher

Block = tuple[int, int, int]  # (i, j, size): a[i:i+size] == b[j:j+size]


def unified_diff(a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str) -> str:
    """`"".join(difflib.unified_diff(a, b, fromfile, tofile))`, computed piecewise when long."""
    if len(a) + len(b) < SMALL:
        return "".join(difflib.unified_diff(a, b, fromfile=fromfile, tofile=tofile))
    blocks = _matching_blocks(a, b)
    matcher = _Matcher(None, (), ())
    matcher.matching_blocks = blocks  # get_opcodes and the grouping read these, not a and b
    matcher.opcodes = None
    return "".join(_format(matcher, a, b, fromfile, tofile))


class _Matcher(difflib.SequenceMatcher[str]):
    """The attributes difflib's matcher keeps its work in (typeshed leaves them out)."""

    b2j: dict[str, list[int]]
    matching_blocks: list[Block] | None
    opcodes: list[tuple[str, int, int, int, int]] | None


def _format(
    matcher: _Matcher,
    a: Sequence[str],
    b: Sequence[str],
    fromfile: str,
    tofile: str,
) -> Iterator[str]:
    # difflib.unified_diff's own loop (n=3, no dates), which builds its matcher itself.
    started = False
    for group in matcher.get_grouped_opcodes(3):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in {"replace", "delete"}:
                yield from ("-" + line for line in a[i1:i2])
            if tag in {"replace", "insert"}:
                yield from ("+" + line for line in b[j1:j2])


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if not length else start + 1},{length}"


def _matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[Block]:
    """SequenceMatcher(None, a, b).get_matching_blocks(), found piecewise."""
    popular: set[str] = set()
    if len(b) >= 200:  # difflib's autojunk rule, over the whole of b
        limit = len(b) // 100 + 1
        popular = {line for line, count in Counter(b).items() if count > limit}
    indexed = set(b) - popular  # the lines difflib's b2j holds
    runs = _runs(a, b, indexed)
    found: list[Block] = []
    queue = [(0, len(a), 0, len(b))]
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        small = (ahi - alo) + (bhi - blo) < SMALL
        best = None if small else _longest(runs, alo, ahi, blo, bhi)
        if best is None:
            found.extend(_small(a, b, alo, ahi, blo, bhi, popular))
            continue
        i, j, k = best
        while i > alo and j > blo and a[i - 1] == b[j - 1]:
            i, j, k = i - 1, j - 1, k + 1
        while i + k < ahi and j + k < bhi and a[i + k] == b[j + k]:
            k += 1
        found.append((i, j, k))
        if alo < i and blo < j:
            queue.append((alo, i, blo, j))
        if i + k < ahi and j + k < bhi:
            queue.append((i + k, ahi, j + k, bhi))
    found.sort()
    # Adjacent blocks joined, and the sentinel, as get_matching_blocks leaves them.
    blocks: list[Block] = []
    i1 = j1 = k1 = 0
    for i2, j2, k2 in found:
        if i1 + k1 == i2 and j1 + k1 == j2:
            k1 += k2
        else:
            if k1:
                blocks.append((i1, j1, k1))
            i1, j1, k1 = i2, j2, k2
    if k1:
        blocks.append((i1, j1, k1))
    blocks.append((len(a), len(b), 0))
    return blocks


def _runs(a: Sequence[str], b: Sequence[str], indexed: set[str]) -> list[Block]:
    """Every maximal run of at least _MIN_CORE equal indexed lines, on any diagonal: found
    through the _MIN_CORE-line windows of b, which are mostly unique where lines are not."""
    width = _MIN_CORE
    windows: dict[tuple[str, ...], list[int]] = {}
    for j in range(len(b) - width + 1):
        window = tuple(b[j : j + width])
        if indexed.issuperset(window):
            windows.setdefault(window, []).append(j)
    runs: list[Block] = []
    reached: dict[int, int] = {}  # diagonal (j - i) -> where its last run found ends in a
    for i in range(len(a) - width + 1):
        for j in windows.get(tuple(a[i : i + width]), ()):
            shift = j - i
            if reached.get(shift, -1) > i:
                continue  # inside a run already found
            start = i
            while start > 0 and start + shift > 0 and a[start - 1] in indexed:
                if a[start - 1] != b[start - 1 + shift]:
                    break
                start -= 1
            stop = i + width
            while stop < len(a) and stop + shift < len(b) and a[stop] in indexed:
                if a[stop] != b[stop + shift]:
                    break
                stop += 1
            reached[shift] = stop
            runs.append((start, start + shift, stop - start))
    return runs


def _longest(runs: list[Block], alo: int, ahi: int, blo: int, bhi: int) -> Block | None:
    """find_longest_match's best block in a range before its extension: the longest run of
    indexed equal lines, the first to reach that length (by its last line in a, then in b);
    None when no run of _MIN_CORE lines lies in the range (a shorter one could then win)."""
    best: Block | None = None
    best_key = (0, 0, 0)
    for i, j, size in runs:
        shift = j - i
        start = max(i, alo, blo - shift)
        stop = min(i + size, ahi, bhi - shift)
        length = stop - start
        if length < _MIN_CORE:
            continue
        key = (-length, stop - 1, stop - 1 + shift)
        if best is None or key < best_key:
            best, best_key = (start, start + shift, length), key
    return best


def _small(
    a: Sequence[str],
    b: Sequence[str],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    popular: set[str],
) -> list[Block]:
    # A matcher of the range alone, indexing what the whole-file one would index: the same search.
    matcher = _Matcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
    for line in popular:
        matcher.b2j.pop(line, None)
    return [(alo + i, blo + j, k) for i, j, k in matcher.get_matching_blocks() if k]
