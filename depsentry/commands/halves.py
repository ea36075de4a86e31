"""A big offline scan to a JSON file on two cores: a forked child scans the second half of the
paths and writes those projects' part of the report to a file beside it, while the parent scans
the first half and writes its part; the child sends back only what the stderr lines and the
exit code need (never its objects: pickling 250 projects cost more than scanning them).

`commands/scan.py` `can_split` says when: where a fork shares nothing it should not and the
result is the serial one byte for byte. A child that fails in any way (killed, a bug, a gate
that cannot be evaluated) costs time, never the result: the parent scans its half itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from depsentry.commands.output import cannot_write, temporary_beside
from depsentry.models import ProjectReport, ScanResult
from depsentry.report.json import JsonRenderer
from depsentry.report.summary import Tally
from depsentry.scan import Progress, ScanOptions, open_sources, run_scan

__all__ = ["Halves", "Part"]

logger = logging.getLogger(__name__)

CodeOf = Callable[[ScanResult], int]  # the exit code of a result (it may raise a ConfigError)


@dataclass(frozen=True, slots=True)
class Part:
    """What the stderr lines and the exit code need of a half's projects."""

    errors: tuple[str, ...]  # its unreadable projects' messages, in order
    tally: Tally
    any_policy: bool  # whether one of its projects names a policy (the --since warning)
    code: int  # its exit code, 0/1/2

    @classmethod
    def of(cls, projects: list[ProjectReport], code: int) -> Part:
        errors = tuple(p.error for p in projects if p.error)
        return cls(errors, Tally.of(projects), any(p.policy for p in projects), code)

    def to_bytes(self) -> bytes:
        data = {
            "errors": list(self.errors),
            "tally": self.tally.to_json(),
            "any_policy": self.any_policy,
            "code": self.code,
        }
        return json.dumps(data).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Part:
        raw: dict[str, Any] = json.loads(data)
        tally = Tally.from_json(raw["tally"])
        return cls(tuple(raw["errors"]), tally, bool(raw["any_policy"]), int(raw["code"]))


class Halves:
    """One scan in two processes. `result` is the parent's half, scanned on construction;
    after `wait()`, `theirs` is the other half's `Part` and `part` its projects' text (or
    `rest_result` that half itself). `close()` ends the child and removes its file, whatever
    happened."""

    def __init__(
        self, options: ScanOptions, output: Path, progress: Progress, code_of: CodeOf
    ) -> None:
        self._options = replace(options, now=options.now or datetime.now(UTC))  # one scan time
        half = len(options.paths) * 11 // 20  # 55%: the child opens the database again
        self._theirs = self._options.paths[half:]
        self.theirs: Part | None = None
        self.rest_result: ScanResult | None = None  # the child's half, when scanned here
        try:
            fd, name = temporary_beside(Path(os.path.realpath(output)), suffix=".part")
        except OSError as exc:  # said now, not after the scan: no part of the report is kept
            raise cannot_write(exc, output) from exc
        self.part = Path(name)
        self._readable, writable = os.pipe()
        self._pid = 0
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered is written twice
        try:
            self._pid = os.fork()
        except BaseException:
            os.close(fd)
            os.close(writable)
            self.close()
            raise
        if self._pid == 0:
            os.close(self._readable)
            _child(replace(self._options, paths=self._theirs), (fd, self.part), writable, code_of)
        os.close(fd)  # the child's now
        os.close(writable)
        logger.debug(
            "the last %d of %d paths scanned by process %d",
            len(self._theirs),
            len(options.paths),
            self._pid,
        )
        try:
            # Opened by each process, at once (an --osv-db import is still made once: the
            # other process waits for it, then finds the data up to date).
            self._sources = open_sources(self._options)
            self.result = run_scan(
                replace(self._options, paths=self._options.paths[:half]),
                progress,
                sources=self._sources,
            )
            for source in self._sources:  # as a serial scan's sources go with run_scan
                source.forget()  # before the report is written; the fallback loads them again
        except BaseException:
            self.close()
            raise

    def wait(self) -> None:
        """Until the child has exited: then `theirs` is its half's `Part` and `part` the file
        of its projects' text; if it failed, `rest_result` is its half, scanned here."""
        answer = self._receive()
        if answer is not None:
            self.theirs = answer
            return
        rest = run_scan(replace(self._options, paths=self._theirs), sources=self._sources)
        self.rest_result = rest
        self.theirs = Part.of(rest.projects, 0)  # its code is `code_of(rest)`, asked last

    def _receive(self) -> Part | None:
        chunks = []
        while chunk := os.read(self._readable, 1 << 16):
            chunks.append(chunk)
        pid, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            logger.debug("process %d failed (status %d): its paths are scanned here", pid, status)
            return None
        try:
            return Part.from_bytes(b"".join(chunks))
        except (ValueError, KeyError, TypeError):
            return None

    def close(self) -> None:
        if self._pid:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            self._pid = 0
        if self._readable >= 0:
            os.close(self._readable)
            self._readable = -1  # closed once: the number may be another file's by now
        self.part.unlink(missing_ok=True)


def _child(options: ScanOptions, part: tuple[int, Path], pipe: int, code_of: CodeOf) -> None:
    """Scan, write the projects' text to the part file and the `Part` to `pipe`, and exit
    without the interpreter's teardown: the parent's objects are not this process's to finalise.
    A parent gone meanwhile (killed) leaves no part behind."""
    status, parent = 1, os.getppid()
    fd, name = part
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # interrupted with the parent: just end
        logging.disable(logging.INFO)  # what opening the data says, the parent said
        sources = open_sources(options)  # its own database connection: a forked one is unsafe
        logging.disable(logging.NOTSET)
        result = run_scan(options, sources=sources)
        del sources  # its caches' memory goes to the report's text
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(JsonRenderer().projects_text(result))
        answer = Part.of(result.projects, code_of(result))
        with os.fdopen(pipe, "wb") as channel:
            channel.write(answer.to_bytes())
        status = 0
    except BaseException:  # noqa: BLE001, S110 - the parent scans this half itself
        pass
    finally:
        if os.getppid() != parent:
            with contextlib.suppress(OSError):
                name.unlink()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(status)
