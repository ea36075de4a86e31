"""The `depsentry.scan/1` JSON report (the contract in design.md), and reading it back.

Every datetime is ISO 8601 in UTC with a "Z" suffix (naive datetimes are taken as UTC); dates
(`due`) are plain `YYYY-MM-DD`. Lists are sorted (package, version, id) so that the same scan
always gives the same bytes. Keys beyond the contract are extras: readers must ignore keys they
do not know, and the contract's keys are never renamed or removed without a new schema number.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import PurePath
from typing import Any, TypeVar, cast, get_args

from depsentry.errors import InputError, reading
from depsentry.models import (
    AdvisoryDbInfo,
    DataSetInfo,
    Dependency,
    Outdated,
    ProjectReport,
    ScanResult,
    Severity,
    SkipKind,
    Skipped,
    Source,
    UpdateType,
    Violation,
    Vulnerability,
)
from depsentry.report.codemods import codemod_command
from depsentry.report.escaping import printable_json
from depsentry.report.interface import Renderer
from depsentry.report.ordering import (
    sorted_dependencies,
    sorted_outdated,
    sorted_skipped,
    sorted_versions,
    sorted_violations,
    sorted_vulnerabilities,
)
from depsentry.report.summary import summary_of

__all__ = ["SCHEMA", "JsonRenderer", "json_schema", "read_report"]

SCHEMA = "depsentry.scan/1"
# The contract as a JSON Schema (draft 2020-12), shipped in the package for report consumers.
SCHEMA_RESOURCE = "schemas/depsentry.scan-1.schema.json"

T = TypeVar("T")


# The C encoder (json only uses it without `indent`): the layout below indents by hand.
_encode = json.JSONEncoder(ensure_ascii=False).encode
# What `_encode` does for a str, without its type checks (once per pin, for "source").
_encode_text: Callable[[str], str] = json.encoder.encode_basestring


class JsonRenderer(Renderer):
    """One `depsentry.scan/1` document ending in a newline: the outline indented, one line per
    list entry (dependency, vulnerability...), written project by project (`chunks`)."""

    def render(self, result: ScanResult) -> str:
        return "".join(self.chunks(result))

    def chunks(self, result: ScanResult) -> Iterator[str]:
        yield from self.opening(result)
        yield closing(bool(result.projects))

    def opening(self, result: ScanResult) -> Iterator[str]:
        """The document up to the end of `result`'s projects; other projects' `projects_text`
        (another process's part of the scan) may follow, after `joint`, then `closing`."""
        yield "{\n"
        for key, value in _head(result).items():
            # Undecodable file names as "\\xff": every piece stays valid UTF-8.
            yield printable_json(f"  {_encode(key)}: {_encode(value)},\n")
        yield '  "projects": ['
        if result.projects:
            yield joint(False)
            yield from self.projects_text(result)

    def projects_text(self, result: ScanResult) -> Iterator[str]:
        """`result`'s projects as the document lists them, without the document around them."""
        shared = {
            "dependency": _SharedLines(_dependency_key, _dependency_text),
            "vulnerability": _SharedLines(_vulnerability_key, _FindingText()),
        }
        for i, project in enumerate(result.projects):
            if i:
                yield ",\n    "
            yield printable_json(_project_text(project, shared))


def joint(listed: bool) -> str:
    """What goes before more projects' text: after projects already `listed`, or none."""
    return ",\n    " if listed else "\n    "


def closing(listed: bool) -> str:
    """The end of the document, after its projects (`listed`: any)."""
    return "\n  ]\n}\n" if listed else "]\n}\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `depsentry.scan/1` that ships in the package."""
    from importlib import resources

    text = (resources.files("depsentry.report") / SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


def to_document(result: ScanResult) -> dict[str, Any]:
    """The report as plain JSON-ready data (also what the store and the HTTP API serve)."""
    return {**_head(result), "projects": [_project(p) for p in result.projects]}


def _head(result: ScanResult) -> dict[str, Any]:
    db = result.advisory_db
    return {
        "schema": SCHEMA,
        "generated_at": _datetime(result.generated_at),
        "advisory_db": {
            "source": db.source,
            "records": db.records,
            "updated": _datetime(db.updated),  # the data's own date (its newest record)
            "warnings": list(db.warnings),
            "epss": _dataset(db.epss),
            "kev": _dataset(db.kev),
        },
    }


def _dataset(info: DataSetInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {"date": _datetime(info.date), "version": info.version, "entries": info.entries}


@lru_cache(maxsize=1 << 12)  # a record's dates, formatted again for every pin it affects
def _datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _project(p: ProjectReport) -> dict[str, Any]:
    return {key: list(map(make, items)) if make else items for key, items, make in _parts(p)}


def _parts(p: ProjectReport) -> list[tuple[str, Any, Callable[[Any], Any] | None]]:
    """Each key of a project: (key, value, maker of each list entry's JSON or None)."""

    def vulnerability(v: Vulnerability) -> dict[str, Any]:
        return _vulnerability(v, p.path)

    def outdated(o: Outdated) -> dict[str, Any]:
        return _outdated(o, p.path)

    return [
        ("path", p.path, None),
        # Where the project was found: the scanned directory, and the path relative to it.
        ("root", p.root if p.root is not None else p.path, None),
        ("project", _relative(p.path, p.root), None),
        ("inputs", sorted(p.inputs), None),
        ("dependencies", sorted_dependencies(p.dependencies), _dependency),
        ("vulnerabilities", sorted_vulnerabilities(p.vulnerabilities), vulnerability),
        ("outdated", sorted_outdated(p.outdated), outdated),
        ("violations", sorted_violations(p.violations), _violation),
        ("skipped", sorted_skipped(p.skipped), _skipped),
        ("notes", list(p.notes), None),
        ("error", p.error, None),
        # When each policy finding was first seen; `--since` carries the clocks forward.
        ("first_seen", {k: _datetime(when) for k, when in sorted(p.first_seen.items())}, None),
    ]


_SHARED = {"dependencies": "dependency", "vulnerabilities": "vulnerability"}


def _project_text(p: ProjectReport, shared: dict[str, _SharedLines]) -> str:
    """One project as indented text; each list entry encoded on its own line (pins and findings
    through `shared`, keyed by their kind)."""
    out = []
    for key, value, make in _parts(p):
        if make is None:
            out.append(f"{_encode(key)}: {_encode(value)}")
        elif value:
            lines = shared.get(_SHARED.get(key, ""))
            if lines is not None:
                rows = lines.rows(value, p.path)
            else:
                rows = ",\n        ".join(map(_encode, map(make, value)))
            out.append(f"{_encode(key)}: [\n        {rows}\n      ]")
        else:
            out.append(f"{_encode(key)}: []")
    return "{\n      " + ",\n      ".join(out) + "\n    }"


def _relative(path: str, root: str | None) -> str:
    """`path` below `root` (it was built as root/relative: no file system needed)."""
    try:
        rel = PurePath(path).relative_to(root) if root is not None else PurePath()
    except ValueError:
        return path
    return rel.as_posix()


def _dependency(d: Dependency) -> dict[str, Any]:
    head, tail = _dependency_parts(d)
    return {**head, "source": str(d.source), **tail}


def _dependency_parts(d: Dependency, project: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    # Hashes are left out: they can run to dozens per pin and no report reader needs them.
    head = {"name": d.name, "version": d.version, "direct": d.direct}
    tail = {
        "pinned": d.pinned,
        "markers": d.markers,
        "extras": sorted(d.extras),
        "groups": sorted(d.groups),
        "specifier": d.specifier,
    }
    return head, tail


def _dependency_key(d: Dependency, project: str = "") -> tuple[Any, ...]:
    return (d.name, d.version, d.direct, d.pinned, d.markers, d.extras, d.groups, d.specifier)


def _codemod(names: tuple[str, ...], project: str) -> dict[str, Any]:
    # Only on findings that have one: `codemod` is the first codemod, `codemods` all of them.
    if not names:
        return {}
    return {
        "codemod": names[0],
        "codemod_command": " && ".join(codemod_command(name, project) for name in names),
        "codemods": list(names),
    }


def _vulnerability(v: Vulnerability, project: str) -> dict[str, Any]:
    head, tail = _vulnerability_parts(v, project)
    return {**head, "source": str(v.source), **tail}


def _vulnerability_parts(v: Vulnerability, project: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys before and after "source": all a pin's own finding shares with its siblings."""
    head = {
        "package": v.package,
        "version": v.version,
        "id": v.id,
        "aliases": sorted(v.aliases),
        "severity": v.severity.value,  # "unknown" when unrated: see `rated`
        "rated": v.rated,
        "severity_source": v.severity_source,
        "cvss": v.cvss,
        "epss": v.epss,
        "epss_percentile": v.epss_percentile,
        "kev": v.kev,
        "fixed_in": list(sorted_versions(v.fixed_in)),
        "summary": summary_of(v),
    }
    tail = {
        "reported_by": sorted(v.reported_by),
        "malicious": v.malicious,
        "published": _datetime(v.published),
        "modified": _datetime(v.modified),
        **_codemod(v.codemods, project),
    }
    return head, tail


def _vulnerability_key(v: Vulnerability, project: str) -> Hashable:
    # A pin's copy of a finding (`Vulnerability.at`) differs from it only in "source": one
    # entry per finding, by identity (the entry holds the finding, so the id is not reused).
    # The codemod command names the project.
    template = v.origin or v  # `v.template`, without a property call per pin
    return (id(template), project) if v.codemods else id(template)


class _SharedLines:
    """Encoded entries that differ between pins only in "source" (the same pin, or finding, in
    many projects): the rest is encoded once per distinct `key`, by `text`."""

    def __init__(
        self, key: Callable[[Any, str], Hashable], text: Callable[[Any, str], str]
    ) -> None:
        self._key = key
        self._text = text  # the entry encoded, with "source": null
        # key -> (text before the source, text after it, the item: keeps an id in a key alive)
        self._known: dict[Hashable, tuple[str, str, object]] = {}

    def rows(self, items: Iterable[Dependency | Vulnerability], project: str) -> str:
        """The entries' lines, joined as the report indents them."""
        known, key_of = self._known, self._key
        sources: dict[int, str] = {}  # id(Source) -> encoded: a pin and its findings share one
        pieces: list[str] = []
        for item in items:
            key = key_of(item, project)
            entry = known.get(key)
            if entry is None:
                # One encoding, cut at "source": only a key is `"` after a space (inside a
                # value every `"` is escaped), and no key before it is "source".
                before, _, after = self._text(item, project).partition(_SOURCE_KEY + "null")
                entry = known[key] = (_ROW + before + _SOURCE_KEY, after, item)
            source = sources.get(id(item.source))
            if source is None:
                source = sources[id(item.source)] = _encode_text(str(item.source))
            pieces += (entry[0], source, entry[1])
        if pieces:
            pieces[0] = pieces[0][len(_ROW) :]
        return "".join(pieces)


_ROW = ",\n        "  # between two entries of a list
_SOURCE_KEY = ', "source": '


def _dependency_text(d: Dependency, project: str) -> str:
    head, tail = _dependency_parts(d)
    return _encode({**head, "source": None, **tail})


class _FindingText:
    """A finding encoded with "source": null, from pieces: its alias group's keys are encoded
    once per group, not once per package and version the group affects. The text is exactly
    `_encode` of `_vulnerability_parts` (tests/report/test_json_lines.py)."""

    def __init__(self) -> None:
        self._groups: dict[tuple[Any, ...], tuple[str, str, str]] = {}

    def __call__(self, v: Vulnerability, project: str) -> str:
        key = (
            v.id, v.aliases, id(v.severity), v.cvss, v.severity_source, v.epss,
            v.epss_percentile, v.kev, v.summary, v.reported_by, v.malicious, v.published,
            v.modified,
        )  # fmt: skip
        group = self._groups.get(key)
        if group is None:
            head, tail = _vulnerability_parts(v, project)
            del head["package"], head["version"], head["fixed_in"]
            summary = head.pop("summary")
            group = self._groups[key] = (
                _encode(head)[1:-1],
                _encode({"summary": summary})[1:-1],
                _encode({k: tail[k] for k in _GROUP_TAIL})[1:-1],
            )
        fixed = ", ".join(map(_encode_text, sorted_versions(v.fixed_in)))
        codemods = _codemod(v.codemods, project)
        return (
            f'{{"package": {_encode_text(v.package)}, "version": {_encode_text(v.version)}, '
            f'{group[0]}, "fixed_in": [{fixed}], {group[1]}{_SOURCE_KEY}null, {group[2]}'
            + (", " + _encode(codemods)[1:-1] if codemods else "")
            + "}"
        )


_GROUP_TAIL = ("reported_by", "malicious", "published", "modified")


def _outdated(o: Outdated, project: str) -> dict[str, Any]:
    return {
        "package": o.package,
        "current": o.current,
        "latest": o.latest,
        "update_type": o.update_type,
        "current_released": _datetime(o.current_released),
        "latest_released": _datetime(o.latest_released),
        "libyears": round(o.libyears, 3),
        "pinned": o.pinned,
        "source": str(o.source),
        **_codemod(o.codemods, project),
    }


def _violation(v: Violation) -> dict[str, Any]:
    return {
        "rule": v.rule,
        "package": v.package,
        "finding": v.finding,
        "due": v.due.isoformat(),
        "overdue": v.overdue,
        "message": v.message,
    }


def _skipped(s: Skipped) -> dict[str, Any]:
    return {
        "requirement": s.requirement,
        "reason": s.reason,
        "source": str(s.source),
        "kind": s.kind.value,
        "name": s.name,
        "specifier": s.specifier,
        "direct": s.direct,
        "markers": s.markers,
    }


# --- reading back -------------------------------------------------------------------------------
# Hand-written checks: the contract is small, and a schema library would add a dependency just
# to turn its errors into our one-line "file: where: problem" messages.


class _Reader:
    """Typed access to one JSON object, naming the file and the JSON path in every error.

    `required` keys must be present (the contract's); `nullable` ones may be null. Extras are
    neither, so documents from before an extra existed still read.
    """

    def __init__(self, data: object, where: str, path: str) -> None:
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected an object, got {_kind(data)}", path)
        self.data = cast(dict[str, object], data)
        self.where = where
        self.path = path

    def fail(self, key: str, problem: str) -> InputError:
        return InputError(f"{self.where}.{key}: {problem}", self.path)

    def get(
        self,
        key: str,
        kind: type[T],
        *,
        required: bool = True,
        nullable: bool = False,
        default: Any = None,
    ) -> T:
        if key not in self.data:
            if required:
                raise self.fail(key, "missing key")
            return cast(T, default)
        value = self.data[key]
        if value is None and (nullable or not required):
            return cast(T, default)
        # bool is an int in Python, but not in JSON; an integer is a fine float.
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return cast(T, float(value))
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"expected {_KINDS.get(kind, kind.__name__)}, got {_kind(value)}")
        return value

    def strings(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        items = self.get(key, list, required=required, default=[])
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{key}[{i}]", f"expected string, got {_kind(item)}")
        return tuple(items)

    def objects(self, key: str) -> list[_Reader]:
        items = self.get(key, list)
        return [
            _Reader(item, f"{self.where}.{key}[{i}]", self.path) for i, item in enumerate(items)
        ]

    def parsed(
        self,
        key: str,
        convert: Callable[[str], T],
        *,
        required: bool = True,
        nullable: bool = False,
    ) -> T | None:
        # get() returns the default (None) for an absent optional or a null nullable.
        text = cast("str | None", self.get(key, str, required=required, nullable=nullable))
        if text is None:
            return None
        try:
            return convert(text)
        except ValueError as exc:
            raise self.fail(key, f"invalid value {text!r}") from exc

    def need(self, key: str, convert: Callable[[str], T]) -> T:
        value = self.parsed(key, convert)
        assert value is not None  # required and not nullable: parsed() raised otherwise
        return value


_KINDS: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
}


def _kind(value: object) -> str:
    return "null" if value is None else _KINDS.get(type(value), type(value).__name__)


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _parse_source(text: str) -> Source:
    head, sep, tail = text.rpartition(":")
    if sep and head and tail.isascii() and tail.isdigit():
        return Source(head, int(tail))
    return Source(text)


def _parse_update_type(text: str) -> UpdateType:
    if text not in get_args(UpdateType):
        raise ValueError(text)
    return cast(UpdateType, text)


def read_report(text: str, path: str = "<report>") -> ScanResult:
    """Parse a `depsentry.scan/1` document back into a `ScanResult`.

    Raises `InputError` naming `path` (and the JSON path inside it) on bad JSON, a different
    schema, a missing key or a value of the wrong type. Unknown keys are ignored; the extras
    this module writes are optional on reading.
    """
    with reading(path):
        data = json.loads(text)
    top = _Reader(data, "$", path)
    schema = top.get("schema", str)
    if schema != SCHEMA:
        raise InputError(f"not a depsentry report: schema is {schema!r}, expected {SCHEMA!r}", path)
    db = _Reader(top.get("advisory_db", dict), "$.advisory_db", path)
    return ScanResult(
        generated_at=top.need("generated_at", _parse_datetime),
        advisory_db=AdvisoryDbInfo(
            source=db.get("source", str),
            records=db.get("records", int),
            updated=db.parsed("updated", _parse_datetime, nullable=True),
            warnings=db.strings("warnings", required=False),
            epss=_read_dataset(db, "epss"),
            kev=_read_dataset(db, "kev"),
        ),
        projects=[_read_project(p) for p in top.objects("projects")],
    )


def _read_dataset(db: _Reader, name: str) -> DataSetInfo | None:
    raw: dict[str, object] | None = db.get(name, dict, required=False)
    if raw is None:
        return None
    d = _Reader(raw, f"{db.where}.{name}", db.path)
    return DataSetInfo(
        name=name,
        date=d.parsed("date", _parse_datetime, required=False),
        version=d.get("version", str, required=False),
        entries=d.get("entries", int, required=False, default=0),
    )


def _read_project(p: _Reader) -> ProjectReport:
    path = p.get("path", str)
    root = p.get("root", str, required=False)
    return ProjectReport(
        path=path,
        root=None if root == path else root,  # a project that is its scanned path
        inputs=list(p.strings("inputs")),
        dependencies=[_read_dependency(d) for d in p.objects("dependencies")],
        vulnerabilities=[_read_vulnerability(v) for v in p.objects("vulnerabilities")],
        outdated=[_read_outdated(o) for o in p.objects("outdated")],
        violations=[_read_violation(v) for v in p.objects("violations")],
        skipped=[_read_skipped(s) for s in p.objects("skipped")],
        notes=list(p.strings("notes", required=False)),
        error=p.get("error", str, required=False),
        first_seen=_read_first_seen(p),
    )


def _read_first_seen(p: _Reader) -> dict[str, datetime]:
    raw = p.get("first_seen", dict, required=False, default={})
    seen = _Reader(raw, f"{p.where}.first_seen", p.path)
    return {str(key): seen.need(str(key), _parse_datetime) for key in raw}


def _read_dependency(d: _Reader) -> Dependency:
    return Dependency(
        name=d.get("name", str),
        version=d.get("version", str),
        direct=d.get("direct", bool),
        source=d.need("source", _parse_source),
        markers=d.get("markers", str, required=False),
        extras=d.strings("extras", required=False),
        pinned=d.get("pinned", bool, required=False, default=True),
        specifier=d.get("specifier", str, required=False),
        groups=d.strings("groups", required=False),
    )


def _read_vulnerability(v: _Reader) -> Vulnerability:
    return Vulnerability(
        package=v.get("package", str),
        version=v.get("version", str),
        id=v.get("id", str),
        aliases=v.strings("aliases"),
        severity=v.need("severity", Severity),
        cvss=v.get("cvss", float, nullable=True),
        fixed_in=v.strings("fixed_in"),
        summary=v.get("summary", str, nullable=True) or "",
        source=v.need("source", _parse_source),
        reported_by=v.strings("reported_by", required=False) or ("osv",),
        published=v.parsed("published", _parse_datetime, required=False),
        modified=v.parsed("modified", _parse_datetime, required=False),
        malicious=v.get("malicious", bool, required=False, default=False),
        severity_source=v.get("severity_source", str, required=False),
        epss=v.get("epss", float, required=False),
        epss_percentile=v.get("epss_percentile", float, required=False),
        kev=v.get("kev", bool, required=False, default=False),
        codemods=v.strings("codemods", required=False),
    )


def _read_outdated(o: _Reader) -> Outdated:
    return Outdated(
        package=o.get("package", str),
        current=o.get("current", str),
        latest=o.get("latest", str),
        update_type=o.need("update_type", _parse_update_type),
        current_released=o.parsed("current_released", _parse_datetime, nullable=True),
        latest_released=o.parsed("latest_released", _parse_datetime, nullable=True),
        libyears=o.get("libyears", float),
        source=o.parsed("source", _parse_source, required=False) or Source(""),
        pinned=o.get("pinned", bool, required=False, default=True),
        codemods=o.strings("codemods", required=False),
    )


def _read_violation(v: _Reader) -> Violation:
    return Violation(
        rule=v.get("rule", str),
        package=v.get("package", str),
        finding=v.get("finding", str),
        due=v.need("due", date.fromisoformat),
        overdue=v.get("overdue", bool),
        message=v.get("message", str),
    )


def _read_skipped(s: _Reader) -> Skipped:
    return Skipped(
        requirement=s.get("requirement", str),
        reason=s.get("reason", str),
        source=s.parsed("source", _parse_source, required=False) or Source(""),
        kind=s.parsed("kind", SkipKind, required=False) or SkipKind.OTHER,
        name=s.get("name", str, required=False),
        specifier=s.get("specifier", str, required=False),
        direct=s.get("direct", bool, required=False, default=True),
        markers=s.get("markers", str, required=False),
    )
