"""Run one codemod over many files: read safely, pre-filter, parse, transform, check, in parallel.

The runner never writes: it yields one `FileResult` per file, in file order, and the caller
diffs, checks or writes. A file that cannot be read, decoded or parsed, a codemod that raises,
a worker process that dies on a file, and a rewrite that would not parse all become a FAILED
result; a path that must not be read (not a regular file, too large, a symlink out of the tree)
is SKIPPED; the run goes on. libcst is imported on first use, so runs that the pre-filter
empties (and `codemod list`) never pay for it.
"""

from __future__ import annotations

import ast
import enum
import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from depsentry.codemods.files import (
    DEFAULT_MAX_BYTES,
    SkippedFile,
    SourceFile,
    Stamp,
    display,
    read_bytes,
)
from depsentry.cpus import usable_cpus
from depsentry.errors import CodemodError

if TYPE_CHECKING:
    from pathlib import Path

    import libcst as cst
    from libcst.codemod import CodemodContext

    from depsentry.codemods.interface import Codemod
    from depsentry.codemods.registry import CodemodInfo
    from depsentry.codemods.subtrees import ReducedSource

    Spec = type[Codemod] | CodemodInfo

DEFAULT_TIMEOUT = 300.0  # seconds one file may take before its worker is stopped
_MAX_CHUNK = 4
_WARNING_LINE = re.compile(r"line (\d+): ")
_BOM = "\ufeff"


class Mode(enum.Enum):
    """What the caller does with a rewrite: show a diff, fail the check, or write it."""

    DIFF = "diff"
    CHECK = "check"
    WRITE = "write"


class Outcome(enum.Enum):
    """What happened to one file."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    PREFILTERED = "prefiltered"  # none of the codemod's PREFILTER strings: never parsed
    FAILED = "failed"
    SKIPPED = "skipped"  # not read at all: not a regular file, too large, a symlink out, ...


@dataclass(frozen=True)
class FileResult:
    """One file's result: `output` is set when CHANGED, `error` (one line) when FAILED or SKIPPED.

    `stamp` identifies the version of the file that was read, for a safe write-back;
    `requirements` are the pip distributions the rewrite needs (from the codemod's
    `context.scratch["requirements"]`).
    """

    path: Path
    outcome: Outcome
    source: str = ""
    output: str = ""
    error: str = ""
    todos: int = 0
    warnings: tuple[str, ...] = ()
    stamp: Stamp | None = None
    requirements: tuple[str, ...] = ()

    def diff(self) -> str:
        """A unified diff from `source` to `output` (empty unless CHANGED)."""
        from depsentry.codemods.diffs import unified_diff

        name = display(self.path.as_posix())
        return unified_diff(_lines(self.source), _lines(self.output), name, name)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


@dataclass
class Summary:
    """Counts over a run, its closing line, and its exit code."""

    scanned: int = 0
    prefiltered: int = 0
    changed: int = 0
    todos: int = 0
    failed: int = 0
    skipped: int = 0
    requirements: set[str] = field(default_factory=set)

    def add(self, result: FileResult) -> None:
        """Count one file's result."""
        self.scanned += result.outcome is not Outcome.SKIPPED
        self.prefiltered += result.outcome is Outcome.PREFILTERED
        self.changed += result.outcome is Outcome.CHANGED
        self.failed += result.outcome is Outcome.FAILED
        self.skipped += result.outcome is Outcome.SKIPPED
        self.todos += result.todos
        self.requirements.update(result.requirements)

    def line(self, mode: Mode) -> str:
        """'N files scanned, M skipped by pre-filter, C changed, T TODOs left, F failed[, S skipped]
        [; needs PKG, ...]'."""
        changed = "changed" if mode is Mode.WRITE else "would change"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        needs = f"; needs {', '.join(sorted(self.requirements))}" if self.requirements else ""
        return (
            f"{self.scanned} files scanned, {self.prefiltered} skipped by pre-filter, "
            f"{self.changed} {changed}, {self.todos} TODOs left, {self.failed} failed{skipped}"
            f"{needs}"
        )

    def exit_code(self, mode: Mode) -> int:
        """2 if any file failed, else 1 if `--check` found changes, else 0 (the worse one wins)."""
        if self.failed:
            return 2
        return 1 if mode is Mode.CHECK and self.changed else 0


def validate_options(codemod: Spec, options: Mapping[str, str]) -> dict[str, str]:
    """`options` completed with the defaults; CodemodError for an unknown name or value."""
    resolved = {name: values[0] for name, values in codemod.OPTIONS.items()}
    for name, value in options.items():
        allowed = codemod.OPTIONS.get(name)
        if allowed is None:
            known = ", ".join(codemod.OPTIONS) or "none"
            raise CodemodError(f"codemod {codemod.NAME} has no option {name!r} (options: {known})")
        if value not in allowed:
            raise CodemodError(
                f"option {name!r} of codemod {codemod.NAME} must be one of "
                f"{', '.join(allowed)} (got {value!r})"
            )
        resolved[name] = value
    return resolved


def passes_prefilter(codemod: Spec, data: bytes) -> bool:
    """Whether `data` contains one of the codemod's PREFILTER strings (so it must be parsed)."""
    return any(needle.encode() in data for needle in codemod.PREFILTER)


def transform_source(
    codemod: type[Codemod],
    source: str,
    options: Mapping[str, str],
    context: CodemodContext | None = None,
) -> tuple[str, tuple[str, ...]]:
    """Run `codemod` on `source`; return the new code and the codemod's warnings.

    Raises CodemodError when the source does not parse, the codemod raises, or its output does
    not parse. The top-level functions and classes the pre-filter rules out are stubs while the
    codemod runs (see `subtrees`), and the tree is handed over without libcst's deep copy.
    """
    from depsentry.codemods.subtrees import reduce_source

    bom = _BOM if source.startswith(_BOM) else ""
    text = source[len(bom) :]
    parsed = _python_ast(text)
    if parsed is not None and _may_reduce(codemod):
        reduced = reduce_source(text, parsed, (*codemod.PREFILTER, *codemod.SUBTREE_KEEP))
        if reduced is not None:
            code, warnings, skipped = _transform(
                codemod, reduced.text, options, context, reduced.marker
            )
            warnings = tuple(_original_line(warning, reduced) for warning in warnings)
            if skipped:
                return source, warnings
            if code != reduced.text:
                _check_output(code, True)
            restored = reduced.restore(code)
            if restored is not None:
                return bom + restored, warnings
            # The codemod moved, changed or dropped a stub: run it on the whole file instead.
    code, warnings, skipped = _transform(codemod, text, options, context, "")
    if skipped or code == text:
        return source, warnings
    _check_output(code, parsed is not None)
    return bom + code, warnings


def _transform(
    codemod: type[Codemod],
    text: str,
    options: Mapping[str, str],
    context: CodemodContext | None,
    marker: str,
) -> tuple[str, tuple[str, ...], bool]:
    """(new code, warnings, skipped): one parse, one transform, one print."""
    import libcst as cst
    from libcst.codemod import CodemodContext, SkipFile

    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise CodemodError(f"cannot parse: {_one_line(exc.message)}") from exc
    instance = codemod(context or CodemodContext(), **options)
    if marker:
        instance.frozen = frozenset(id(node) for node in _stubs(tree, marker))
    try:
        return instance.transform_private(tree).code, tuple(instance.context.warnings), False
    except SkipFile:
        return text, tuple(instance.context.warnings), True
    except Exception as exc:
        raise CodemodError(f"codemod failed: {type(exc).__name__}: {_one_line(str(exc))}") from exc


def _original_line(warning: str, reduced: ReducedSource) -> str:
    # A warning that starts "line N: " names a line of the stubbed text; the user needs theirs.
    match = _WARNING_LINE.match(warning)
    if match is None:
        return warning
    return f"line {reduced.original_line(int(match.group(1)))}: {warning[match.end() :]}"


def _stubs(tree: cst.Module, marker: str) -> list[cst.CSTNode]:
    import libcst as cst

    found: list[cst.CSTNode] = []
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            comment = statement.trailing_whitespace.comment
            if comment is not None and comment.value.startswith(marker):
                found.append(statement)
    return found


def _python_ast(text: str) -> ast.Module | None:
    """CPython's parse of `text` (None if it cannot: perhaps newer syntax, libcst may know it).

    CodemodError where libcst would crash or hang: CPython refuses more than 200 nested
    parentheses and nesting past its recursion limit, and on such input libcst's native parser
    can segfault (5,000 parentheses) or take hours (20,000 chained subscripts).
    """
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        if "too many nested" in (exc.msg or ""):
            raise CodemodError(f"cannot parse: line {exc.lineno}: {exc.msg}") from exc
        return None
    except (RecursionError, MemoryError) as exc:
        raise CodemodError("cannot parse: nested too deeply for Python's own parser") from exc


def _may_reduce(codemod: type[Codemod]) -> bool:
    from libcst.metadata import (
        ByteSpanPositionProvider,
        PositionProvider,
        WhitespaceInclusivePositionProvider,
    )

    positions = (PositionProvider, WhitespaceInclusivePositionProvider, ByteSpanPositionProvider)
    return codemod.SUBTREES and not any(
        isinstance(dep, type) and issubclass(dep, positions)
        for dep in codemod.METADATA_DEPENDENCIES
    )


def _check_output(output: str, input_compiles: bool) -> None:
    # CPython's parser decides; where it could not read the input either (newer syntax than
    # this interpreter's), libcst's must at least read the output back.
    if input_compiles:
        try:
            ast.parse(output)
        except SyntaxError as exc:
            raise CodemodError(f"rewrite would not parse: line {exc.lineno}: {exc.msg}") from exc
        return
    import libcst as cst

    try:
        cst.parse_module(output)
    except cst.ParserSyntaxError as exc:
        raise CodemodError(f"rewrite would not parse: {_one_line(exc.message)}") from exc


def _one_line(message: str) -> str:
    return message.removeprefix("parser error: ").strip().splitlines()[0] if message else ""


def process_file(
    codemod: type[Codemod], options: Mapping[str, str], file: SourceFile, data: bytes
) -> FileResult:
    """Transform one file's bytes (already past the pre-filter); never raises for bad input."""
    from depsentry.codemods.interface import TODO_PREFIX

    name = display(file.path)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileResult(file.path, Outcome.FAILED, error=f"{name}: not UTF-8 ({exc.reason})")
    context = _context(file)
    try:
        output, warnings = transform_source(codemod, source, options, context)
    except CodemodError as exc:
        return FileResult(file.path, Outcome.FAILED, error=f"{name}: {exc.message}")
    if output == source:
        return FileResult(file.path, Outcome.UNCHANGED, warnings=warnings)
    todos = max(0, output.count(TODO_PREFIX) - source.count(TODO_PREFIX))
    requirements = tuple(sorted(context.scratch.get("requirements", ())))
    return FileResult(
        file.path,
        Outcome.CHANGED,
        source,
        output,
        todos=todos,
        warnings=warnings,
        requirements=requirements,
    )


def _context(file: SourceFile) -> CodemodContext:
    from libcst.codemod import CodemodContext
    from libcst.helpers import calculate_module_and_package

    # The module name lets the codemod's import helpers recognise relative and self imports.
    names = calculate_module_and_package(str(file.root), str(file.path))
    return CodemodContext(
        filename=str(file.path), full_module_name=names.name, full_package_name=names.package
    )


def _process_chunk(
    codemod: type[Codemod], options: Mapping[str, str], chunk: Sequence[tuple[SourceFile, bytes]]
) -> list[FileResult]:
    # libcst allocates hundreds of thousands of objects a file, which sets off the cyclic
    # collector again and again over the same young trees: it is paused for the file, and one
    # collection after it frees that file's cycles (scopes); what the worker holds (modules,
    # the codemod class) is frozen out of every collection.
    gc.freeze()
    results = []
    for file, data in chunk:
        gc.disable()
        try:
            results.append(process_file(codemod, options, file, data))
        finally:
            gc.enable()
        gc.collect()
    return results


def _crashed(item: tuple[SourceFile, bytes], reason: str) -> FileResult:
    return FileResult(item[0].path, Outcome.FAILED, error=f"{display(item[0].path)}: {reason}")


def run(
    codemod: Spec,
    files: Sequence[SourceFile],
    options: Mapping[str, str],
    *,
    jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Iterator[FileResult]:
    """Yield a result for every file: skipped and pre-filtered ones first, then the parsed ones.

    Each file is read once, here; only the ones past the pre-filter are sent to worker processes
    (`jobs`, default: the CPU count), in chunks so per-task overhead stays small; a worker that
    dies or runs past `timeout` seconds on a file costs that file only. `codemod` may be the
    class or its light `CodemodInfo`: the class is imported only when some file needs parsing.
    """
    candidates: list[tuple[SourceFile, bytes]] = []
    stamps: list[Stamp] = []
    for file in files:
        name = display(file.path)
        if file.skip:
            yield FileResult(file.path, Outcome.SKIPPED, error=f"{name}: skipped: {file.skip}")
            continue
        try:
            data, stamp = read_bytes(file.path, max_bytes)
        except SkippedFile as exc:
            yield FileResult(file.path, Outcome.SKIPPED, error=f"{name}: skipped: {exc}")
            continue
        except OSError as exc:
            error = f"{name}: cannot read: {exc.strerror or exc}"
            yield FileResult(file.path, Outcome.FAILED, error=error)
            continue
        if passes_prefilter(codemod, data):
            candidates.append((file, data))
            stamps.append(stamp)
        else:
            yield FileResult(file.path, Outcome.PREFILTERED)
    if not candidates:
        return
    from depsentry.codemods.pool import map_chunks

    cls = codemod if isinstance(codemod, type) else codemod.load()
    workers = max(1, min(jobs or usable_cpus(), len(candidates)))
    size = max(1, min(_MAX_CHUNK, len(candidates) // (workers * 4)))
    chunks = [candidates[i : i + size] for i in range(0, len(candidates), size)]
    work = partial(_process_chunk, cls, dict(options))
    index = 0
    for results in map_chunks(work, chunks, workers, _crashed, timeout):
        for result in results:
            yield replace(result, stamp=stamps[index])
            index += 1
