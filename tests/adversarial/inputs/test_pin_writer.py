"""The pin writer and the reader agree on what a requirements file says (issue 9): one tokenizer
(a comment ending in a backslash continues nothing), new hashes go before an inline comment,
bumps survive each other's line shifts, and a property: bump, read back, the new version with its
hashes on the same logical line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depsentry.inputs.pin_writer import bump_requirements
from depsentry.inputs.requirements import _logical_lines, logical_spans, read_tree
from depsentry.models import Dependency


def read_back(tmp_path: Path, text: str) -> list[Dependency]:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    return [item for item in read_tree(path).items if isinstance(item, Dependency)]


def test_a_comment_ending_in_a_backslash_is_not_a_continuation(tmp_path: Path) -> None:
    text = "# see \\\nrequests==2.0.0\n"
    assert [(d.name, d.version, d.source.line) for d in read_back(tmp_path, text)] == [
        ("requests", "2.0.0", 2)
    ]
    path = tmp_path / "requirements.txt"
    result = bump_requirements(path, "requests", "2.0.0", "2.32.0", line=2, text=text)
    assert result.text == "# see \\\nrequests==2.32.0\n"
    assert list(logical_spans(text.splitlines())) == [(0, 0), (1, 1)]


def test_an_inline_comment_ending_in_a_backslash_continues_as_pip_reads_it(tmp_path: Path) -> None:
    text = "idna==3.4 # see \\\nrequests==2.0.0\nsix==1.0\n"
    # pip joins the next line into the comment: requests is not installed from this file.
    assert [d.name for d in read_back(tmp_path, text)] == ["idna", "six"]
    assert list(logical_spans(text.splitlines())) == [(0, 1), (2, 2)]


def test_new_hashes_go_before_an_inline_comment(tmp_path: Path) -> None:
    text = "jinja2==2.10 --hash=sha256:aaa  # web templates\nsix==1.0\n"
    path = tmp_path / "requirements.txt"
    result = bump_requirements(path, "jinja2", "2.10", "3.1.4", hashes=["n1", "n2"], text=text)
    assert result.text == (
        "jinja2==3.1.4 \\\n    --hash=sha256:n1 \\\n    --hash=sha256:n2  # web templates\nsix==1.0\n"
    )
    [jinja, _] = read_back(tmp_path, result.text)
    assert jinja.hashes == ("sha256:n1", "sha256:n2")


def test_a_comment_line_closing_a_hash_list_stays_a_comment(tmp_path: Path) -> None:
    text = "jinja2==2.10 \\\n    --hash=sha256:aaa \\\n# pinned for CVE-x\nsix==1.0\n"
    path = tmp_path / "requirements.txt"
    result = bump_requirements(path, "jinja2", "2.10", "3.1.4", hashes=["n1"], text=text)
    assert result.text == "jinja2==3.1.4 \\\n    --hash=sha256:n1  # pinned for CVE-x\nsix==1.0\n"
    assert [(d.name, d.hashes) for d in read_back(tmp_path, result.text)] == [
        ("jinja2", ("sha256:n1",)),
        ("six", ()),
    ]


GENERATED = """\
aaa==1.0 \\
    --hash=sha256:a1
bbb==1.0 \\
    --hash=sha256:b1
ccc==1.0 \\
    --hash=sha256:c1
"""


def test_bumps_with_line_numbers_from_the_scan_survive_earlier_bumps(tmp_path: Path) -> None:
    """pip-compile --generate-hashes: the first bump grows its hash list, moving every line after
    it; the next bump still finds its pin (the one logical line pinning it)."""
    path = tmp_path / "requirements.txt"
    lines = {d.name: d.source.line for d in read_back(tmp_path, GENERATED)}
    text = GENERATED
    for name in ("aaa", "bbb", "ccc"):  # top-down, the worst order
        text = bump_requirements(
            path, name, "1.0", "2.0", line=lines[name], hashes=["x1", "x2", "x3"], text=text
        ).text
    back = read_back(tmp_path, text)
    assert [(d.name, d.version, len(d.hashes)) for d in back] == [
        ("aaa", "2.0", 3),
        ("bbb", "2.0", 3),
        ("ccc", "2.0", 3),
    ]


names = st.sampled_from(["alpha", "Beta_pkg", "gamma.x", "delta-y"])
versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)
hashes = st.lists(st.from_regex(r"[0-9a-f]{8}", fullmatch=True), max_size=3)
comments = st.sampled_from(["", "  # why", " # ends in \\", "  #"])
extras = st.sampled_from(["", "[socks]"])
markers = st.sampled_from(["", ' ; python_version >= "3"'])
filler = st.sampled_from(["", "# header \\", "-i https://example.invalid/simple", "plain>=1", ""])


@st.composite
def requirement_files(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, int]]]:
    lines: list[str] = []
    pins: list[tuple[str, str, int]] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(1, 5))):
        lines.append(draw(filler))
        name = draw(names)
        if name in used:
            continue
        used.add(name)
        version = draw(versions)
        line = f"{name}{draw(extras)}=={version}{draw(markers)}"
        old_hashes = draw(hashes)
        if old_hashes:
            parts = [line, *(f"    --hash=sha256:{h}" for h in old_hashes)]
            lines.append(" \\\n".join(parts) + draw(comments))
        else:
            lines.append(line + draw(comments))
        pins.append((name, version, 0))
    text = "\n".join(lines) + "\n"
    return text, pins


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=requirement_files(), new_hashes=hashes, data=st.data())
def test_bump_then_read_back_gives_the_new_version_with_its_hashes(
    tmp_path: Path,
    case: tuple[str, list[tuple[str, str, int]]],
    new_hashes: list[str],
    data: st.DataObject,
) -> None:
    text, pins = case
    path = tmp_path / "requirements.txt"
    before = {d.name: d for d in read_back(tmp_path, text)}
    order = data.draw(st.permutations(pins))
    expected_hashes = tuple(f"sha256:{h}" for h in new_hashes)
    for name, version, _ in order:
        dep = next(d for key, d in before.items() if key == _canonical(name))
        result = bump_requirements(
            path, name, version, "99.0", line=dep.source.line, hashes=new_hashes or None, text=text
        )
        text = result.text
    after = {d.name: d for d in read_back(tmp_path, text)}
    assert set(after) == set(before)
    for name, old in before.items():
        assert after[name].version == "99.0"
        assert after[name].extras == old.extras and after[name].markers == old.markers
        # Hashes are refreshed where there were some (else removed); never added to a line
        # without: one hashed line would switch pip to --require-hashes for the whole file.
        assert after[name].hashes == (expected_hashes if old.hashes else ())
    # Each pin stays one logical line: the reader and writer split the file the same way.
    assert len(list(_logical_lines(text))) == len(list(_logical_lines(case[0])))


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)
