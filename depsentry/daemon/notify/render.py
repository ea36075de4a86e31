"""Events -> message pieces (title, intro, sections of entries, footer) through Jinja2 templates.

A template per event kind and language defines macros (`title`, `intro`, `group`, `entry`,
`more`, `footer`); the code groups the findings and calls them, so that each service can split
the pieces under its own limits. Every text that comes from outside (package names, advisory
summaries) is escaped for the target markup before a template sees it. Templates run in a
`SandboxedEnvironment`, shipped ones and an operator's overrides alike.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, FindingView
from depsentry.errors import Rejected

if TYPE_CHECKING:
    from .channels import Channel

__all__ = ["Item", "Markup", "Rendered", "Section", "bulleted", "render", "template_names"]

TEMPLATES = Path(__file__).with_name("templates")
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "unknown": 0}
ICONS = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", "unknown": "⚪"}
# Order of sections in a scan or expiry message: what needs action first.
CHANGE_ORDER = (
    ChangeKind.NEW,
    ChangeKind.SEVERITY_RAISED,
    ChangeKind.REOPENED,
    ChangeKind.OVERDUE,
    ChangeKind.FIX_AVAILABLE,
    ChangeKind.RESOLVED,
    ChangeKind.RETRACTED,
)
ALERTING = {ChangeKind.NEW, ChangeKind.SEVERITY_RAISED, ChangeKind.REOPENED, ChangeKind.OVERDUE}
DIGEST_ORDER = ("overdue", "due", "open_vulnerabilities", "outdated")
BASELINE_ORDER = ("vulnerability", "violation", "update")
BASELINE_LIMIT = 10  # entries per baseline section; the rest is a count and a command
SUMMARY_LIMIT = 240
FIELD_LIMIT = 120
TEMPLATE_NAMES = {
    EventKind.SCAN: "scan.j2",
    EventKind.BASELINE: "baseline.j2",
    EventKind.DIGEST: "digest.j2",
    EventKind.EXPIRY: "expiry.j2",
    EventKind.TEST: "test.j2",
}


@dataclass(frozen=True, slots=True)
class Markup:
    """How one chat kind writes rich text; `escape` makes outside text inert in it."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    code: Callable[[str], str]
    link: Callable[[str, str], str]  # (url, text)


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    continued: str  # the heading again at the top of a part the section spills into
    entries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One event's message before splitting."""

    title: str  # plain text, one line
    intro: str
    sections: tuple[Section, ...]
    footer: str
    highest: str  # highest severity among the alerting findings ("" when none)
    critical: bool  # mentions apply


@dataclass(frozen=True, slots=True)
class FindingText:
    """A finding with every outside string escaped for the channel's markup."""

    key: str
    kind: str
    package: str
    version: str
    advisory_id: str
    advisory_url: str
    aliases: tuple[str, ...]
    severity: str
    icon: str
    cvss: str
    epss: str
    kev: bool
    malicious: bool
    fixed_in: tuple[str, ...]
    summary: str
    target: str
    rule: str
    due: str
    dev_only: bool
    fix_command: str
    codemod: str


@dataclass(frozen=True, slots=True)
class Item:
    """One entry: `kind` is the change kind (or digest section), `previous` the old severity."""

    kind: str
    previous: str
    f: FindingText


@dataclass(frozen=True, slots=True)
class DigestText:
    libyears: str
    fixed_since_last: int
    dismissed: int
    snoozed: int
    readiness: str
    commands: tuple[str, ...]


def bulleted(rendered: Rendered, bullet: str) -> Rendered:
    """`rendered` with each entry starting with `bullet` (a list item in markdown)."""
    sections = tuple(
        Section(s.heading, s.continued, tuple(bullet + e for e in s.entries))
        for s in rendered.sections
    )
    return replace(rendered, sections=sections)


def template_names(event_kind: EventKind, channel: Channel) -> list[str]:
    """Where the template for this event is looked up, first match wins."""
    name = TEMPLATE_NAMES[event_kind]
    return [f"{channel.kind}/{channel.language}/{name}", f"{channel.language}/{name}"]


def render(event: Event, channel: Channel, markup: Markup, mentions: str) -> Rendered:
    """Render `event` for `channel`; a broken template is a Rejected naming the template."""
    env = _environment(channel.templates_dir)
    names = template_names(event.kind, channel)
    try:
        template = env.select_template(names)
    except jinja2.TemplateError as exc:
        raise Rejected(
            f"{channel.kind} channel {channel.name!r}: template {names[0]}: {exc}"
        ) from None
    groups, critical, highest = _groups(event, channel, markup)
    context = _context(event, channel, markup, groups, highest, mentions if critical else "")
    where = template.filename or names[0]
    try:
        module = template.make_module(context)
        title = " ".join(_piece(module, "title").split())
        intro = _piece(module, "intro")
        sections = tuple(
            Section(
                heading=_piece(module, "group", key, total, False),
                continued=_piece(module, "group", key, total, True),
                entries=tuple(_piece(module, "entry", item) for item in items)
                + ((_piece(module, "more", total - len(items)),) if total > len(items) else ()),
            )
            for key, items, total in groups
        )
        footer = _piece(module, "footer")
        return Rendered(title, intro, sections, footer, highest=highest, critical=critical)
    except jinja2.TemplateError as exc:
        raise Rejected(
            f"{channel.kind} channel {channel.name!r}: template {where}: {exc}"
        ) from None
    except Exception as exc:  # an operator's template may raise anything a sandbox allows
        raise Rejected(
            f"{channel.kind} channel {channel.name!r}: template {where}: {type(exc).__name__}: {exc}"
        ) from None


def _piece(module: Any, macro: str, *args: Any) -> str:
    function = getattr(module, macro, None)
    if function is None:
        raise jinja2.TemplateRuntimeError(f"the template defines no macro {macro!r}")
    return "\n".join(line.rstrip() for line in str(function(*args)).strip().splitlines())


@functools.lru_cache(maxsize=32)
def _environment(templates_dir: Path | None) -> SandboxedEnvironment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(TEMPLATES)]
    if templates_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(templates_dir))
    return SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # escaping is per markup (Slack mrkdwn, markdown), done in `_text`
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.do"],
    )


def _groups(
    event: Event, channel: Channel, markup: Markup
) -> tuple[list[tuple[str, list[Item], int]], bool, str]:
    """Sections as (key, items, total), whether mentions apply, and the highest alerting severity."""
    groups: list[tuple[str, list[Item], int]] = []
    critical = False
    highest = ""
    if event.kind is EventKind.DIGEST:
        digest = event.digest
        for key in DIGEST_ORDER:
            findings = _sorted(getattr(digest, key) if digest else ())
            if findings:
                items = [Item(key, "", _text(f, markup)) for f in findings]
                groups.append((key, items, len(items)))
        return groups, False, ""
    if event.kind is EventKind.BASELINE:
        for key in BASELINE_ORDER:
            findings = _sorted(c.finding for c in event.changes if c.finding.kind == key)
            if findings:
                shown = [Item(key, "", _text(f, markup)) for f in findings[:BASELINE_LIMIT]]
                groups.append((key, shown, len(findings)))
        return groups, False, _highest(c.finding for c in event.changes)
    for kind in CHANGE_ORDER:
        changes = [c for c in event.changes if c.kind is kind]
        if not changes:
            continue
        changes.sort(key=lambda c: _order(c.finding))
        groups.append(
            (
                kind.value,
                [Item(kind.value, c.previous or "", _text(c.finding, markup)) for c in changes],
                len(changes),
            )
        )
        if kind in ALERTING:
            critical = critical or any(_is_critical(c) for c in changes)
    highest = _highest(c.finding for c in event.changes if c.kind in ALERTING)
    return groups, critical, highest


def _is_critical(change: Change) -> bool:
    f = change.finding
    return f.severity == "critical" or f.malicious or f.kev


def _highest(findings: Iterable[FindingView]) -> str:
    ranks = [SEVERITY_RANK.get(f.severity, 0) + (10 if f.malicious else 0) for f in findings]
    if not ranks:
        return ""
    best = max(ranks)
    return "critical" if best >= 10 else next(k for k, v in SEVERITY_RANK.items() if v == best)


def _order(f: FindingView) -> tuple[int, int, float, str, str]:
    return (
        0 if f.malicious else 1,
        -SEVERITY_RANK.get(f.severity, 0),
        -(f.cvss or 0.0),
        f.package,
        f.advisory_id or f.rule or f.target or "",
    )


def _sorted(findings: Iterable[FindingView]) -> list[FindingView]:
    return sorted(findings, key=_order)


_SPACE = re.compile(r"\s+")


def _clean(value: str | None, limit: int = FIELD_LIMIT) -> str:
    """One line, at most `limit` characters: outside text never breaks the message's layout."""
    text = _SPACE.sub(" ", value or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(f: FindingView, markup: Markup) -> FindingText:
    e = markup.escape

    def clean(value: str | None, limit: int = FIELD_LIMIT) -> str:
        return e(_clean(value, limit))

    advisory = f.advisory_id or ""
    return FindingText(
        key=clean(f.key),
        kind=f.kind,
        package=clean(f.package),
        version=clean(f.version),
        advisory_id=clean(advisory),
        advisory_url=_osv_url(advisory) if advisory else "",
        aliases=tuple(clean(a) for a in f.aliases[:5]),
        severity=f.severity if f.severity in SEVERITY_RANK else "unknown",
        icon=ICONS.get(f.severity, ICONS["unknown"]),
        cvss=f"{f.cvss:.1f}" if f.cvss is not None else "",
        epss=f"{f.epss:.0%}" if f.epss is not None else "",
        kev=f.kev,
        malicious=f.malicious,
        fixed_in=tuple(clean(v) for v in f.fixed_in[:5]),
        summary=clean(f.summary, SUMMARY_LIMIT),
        target=clean(f.target),
        rule=clean(f.rule),
        due=clean(f.due),
        dev_only=f.dev_only,
        fix_command=clean(f.fix_command, 200),
        codemod=clean(f.codemod),
    )


_ADVISORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _osv_url(advisory_id: str) -> str:
    # Only ids that are safe in a URL become links; anything odd is shown as text, unlinked.
    return f"https://osv.dev/vulnerability/{advisory_id}" if _ADVISORY_ID.match(advisory_id) else ""


_FLEET_NAME = {"en": "{n} projects", "zh": "{n} 个项目"}


def _context(
    event: Event,
    channel: Channel,
    markup: Markup,
    groups: Sequence[tuple[str, list[Item], int]],
    highest: str,
    mentions: str,
) -> dict[str, Any]:
    e = markup.escape
    counts = {key: total for key, _, total in groups}
    digest = None
    if event.digest is not None:
        d = event.digest
        digest = DigestText(
            libyears=f"{d.libyears:.1f}",
            fixed_since_last=d.fixed_since_last,
            dismissed=d.dismissed,
            snoozed=d.snoozed,
            readiness=e(_clean(d.readiness, 300)),
            commands=tuple(e(_clean(c, 200)) for c in d.commands[:10]),
        )
    name = _clean(event.project)
    fleet = event.extra.get("fleet")
    if isinstance(fleet, list) and channel.language in _FLEET_NAME:
        name = _FLEET_NAME[channel.language].format(n=len(fleet))  # the fleet in its language
    return {
        "project": e(name),
        "project_name": name,
        "event_id": event.id,
        "event_kind": event.kind.value,
        "run_id": event.run_id,
        "when": _local_time(event.created_at, channel.timezone),
        "channel": channel.name,
        "counts": counts,
        "total": sum(counts.values()),
        "highest": highest,
        "mentions": mentions,
        "digest": digest,
        "bold": markup.bold,
        "code": markup.code,
        "link": markup.link,
    }


def _local_time(created_at: str, timezone: str) -> str:
    try:
        moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return _clean(created_at, 40)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")
