"""Run one codemod over many files: pre-filter, parse, transform, re-parse, in parallel.

The runner never writes: it yields one `FileResult` per file, in file order, and the caller
diffs, checks or writes. A file that cannot be read, decoded or parsed, a codemod that raises,
and a rewrite that would not parse all become a FAILED result; the run goes on.
"""

from __future__ import annotations

import ast
import difflib
import enum
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.helpers import calculate_module_and_package

from depsentry.codemods.files import SourceFile
from depsentry.codemods.interface import TODO_PREFIX, Codemod
from depsentry.errors import CodemodError

# A forked pool starts in milliseconds, and one libcst parse and transform takes tens of
# milliseconds to seconds: parallel pays off from two files on.
PARALLEL_MIN_FILES = 2
_MAX_CHUNK = 4
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


@dataclass(frozen=True)
class FileResult:
    """One file's result: `output` is set when CHANGED, `error` (one line) when FAILED."""

    path: Path
    outcome: Outcome
    source: str = ""
    output: str = ""
    error: str = ""
    todos: int = 0
    warnings: tuple[str, ...] = ()

    def diff(self) -> str:
        """A unified diff from `source` to `output` (empty unless CHANGED)."""
        name = self.path.as_posix()
        lines = difflib.unified_diff(
            _lines(self.source), _lines(self.output), fromfile=name, tofile=name
        )
        return "".join(lines)


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

    def add(self, result: FileResult) -> None:
        """Count one file's result."""
        self.scanned += 1
        self.prefiltered += result.outcome is Outcome.PREFILTERED
        self.changed += result.outcome is Outcome.CHANGED
        self.failed += result.outcome is Outcome.FAILED
        self.todos += result.todos

    def line(self, mode: Mode) -> str:
        """'N files scanned, M skipped by pre-filter, C changed, T TODOs left, F failed'."""
        changed = "changed" if mode is Mode.WRITE else "would change"
        return (
            f"{self.scanned} files scanned, {self.prefiltered} skipped by pre-filter, "
            f"{self.changed} {changed}, {self.todos} TODOs left, {self.failed} failed"
        )

    def exit_code(self, mode: Mode) -> int:
        """2 if any file failed, else 1 if `--check` found changes, else 0 (the worse one wins)."""
        if self.failed:
            return 2
        return 1 if mode is Mode.CHECK and self.changed else 0


def validate_options(codemod: type[Codemod], options: Mapping[str, str]) -> dict[str, str]:
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


def passes_prefilter(codemod: type[Codemod], data: bytes) -> bool:
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
    not parse. Metadata providers the codemod declares (QualifiedNameProvider, ScopeProvider, ...)
    are resolved per module by libcst's MetadataWrapper.
    """
    bom = _BOM if source.startswith(_BOM) else ""
    try:
        tree = cst.parse_module(source[len(bom) :])
    except cst.ParserSyntaxError as exc:
        raise CodemodError(f"cannot parse: {_one_line(exc.message)}") from exc
    instance = codemod(context or CodemodContext(), **options)
    try:
        output = bom + instance.transform_module(tree).code
    except SkipFile:
        return source, tuple(instance.context.warnings)
    except Exception as exc:
        raise CodemodError(f"codemod failed: {type(exc).__name__}: {_one_line(str(exc))}") from exc
    if output != source:
        _check_output(source, output)
    return output, tuple(instance.context.warnings)


def _check_output(source: str, output: str) -> None:
    try:
        cst.parse_module(output)
    except cst.ParserSyntaxError as exc:
        raise CodemodError(f"rewrite would not parse: {_one_line(exc.message)}") from exc
    # libcst's grammar accepts some code CPython rejects (e.g. assigning to a call): ast
    # catches those, unless the input was already rejected the same way.
    try:
        ast.parse(output.removeprefix(_BOM))
    except SyntaxError as exc:
        try:
            ast.parse(source.removeprefix(_BOM))
        except SyntaxError:
            return
        raise CodemodError(f"rewrite would not compile: line {exc.lineno}: {exc.msg}") from exc


def _one_line(message: str) -> str:
    return message.removeprefix("parser error: ").strip().splitlines()[0] if message else ""


def process_file(
    codemod: type[Codemod], options: Mapping[str, str], file: SourceFile, data: bytes
) -> FileResult:
    """Transform one file's bytes (already past the pre-filter); never raises for bad input."""
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileResult(file.path, Outcome.FAILED, error=f"{file.path}: not UTF-8 ({exc.reason})")
    context = _context(file)
    try:
        output, warnings = transform_source(codemod, source, options, context)
    except CodemodError as exc:
        return FileResult(file.path, Outcome.FAILED, error=f"{file.path}: {exc.message}")
    if output == source:
        return FileResult(file.path, Outcome.UNCHANGED, warnings=warnings)
    todos = max(0, output.count(TODO_PREFIX) - source.count(TODO_PREFIX))
    return FileResult(file.path, Outcome.CHANGED, source, output, todos=todos, warnings=warnings)


def _context(file: SourceFile) -> CodemodContext:
    # The module name lets the codemod's import helpers recognise relative and self imports.
    names = calculate_module_and_package(str(file.root), str(file.path))
    return CodemodContext(
        filename=str(file.path), full_module_name=names.name, full_package_name=names.package
    )


def _process_chunk(
    codemod: type[Codemod], options: Mapping[str, str], chunk: Sequence[tuple[SourceFile, bytes]]
) -> list[FileResult]:
    return [process_file(codemod, options, file, data) for file, data in chunk]


def run(
    codemod: type[Codemod],
    files: Sequence[SourceFile],
    options: Mapping[str, str],
    *,
    jobs: int | None = None,
) -> Iterator[FileResult]:
    """Yield a result for every file: pre-filtered ones first, then the parsed ones in order.

    Each file is read once, here; only the ones past the pre-filter are sent to worker processes
    (`jobs`, default: the CPU count), in chunks so per-task overhead stays small. The run is
    serial when `jobs` is 1 or few files need parsing.
    """
    candidates: list[tuple[SourceFile, bytes]] = []
    for file in files:
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            yield FileResult(
                file.path, Outcome.FAILED, error=f"{file.path}: cannot read: {exc.strerror}"
            )
            continue
        if passes_prefilter(codemod, data):
            candidates.append((file, data))
        else:
            yield FileResult(file.path, Outcome.PREFILTERED)

    workers = min(jobs or os.cpu_count() or 1, len(candidates))
    if workers <= 1 or len(candidates) < PARALLEL_MIN_FILES:
        for file, data in candidates:
            yield process_file(codemod, options, file, data)
        return
    size = max(1, min(_MAX_CHUNK, len(candidates) // (workers * 4)))
    chunks = [candidates[i : i + size] for i in range(0, len(candidates), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(partial(_process_chunk, codemod, dict(options)), chunks):
            yield from results
