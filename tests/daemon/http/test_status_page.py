"""The status page renderer: what it says, and that nothing in a snapshot reaches it unescaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from depsentry.daemon.http.status_page import render_status
from depsentry.daemon.status import StatusSnapshot
from tests.daemon.http.snapshots import HOSTILE_ERROR, HOSTILE_NAME, NOW, busy


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Collect:
    collected = _Collect()
    collected.feed(html)
    return collected


def test_hostile_names_and_errors_are_text_never_markup() -> None:
    html = render_status(busy())
    page = parse(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [name for name, _ in page.attrs if name.startswith("on")]
    text = " ".join(page.text)
    assert HOSTILE_NAME in text and HOSTILE_ERROR in text  # shown, as text
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html


def test_counts_failures_overdue_and_next_runs() -> None:
    html = render_status(busy())
    text = " ".join(" ".join(parse(html).text).split())
    assert "Open vulnerabilities 11" in text  # 2+3+1+4 for payments, 1 for billing
    assert "2 critical · 4 high · 1 medium · 0 low · 4 unrated" in text
    assert "Projects 3 1 failing" in text
    assert "Overdue policy violations 1" in text and "security-fix-deadline" in text
    assert "jinja2" in text and "2025-05-20" in text and " 13 " in text
    assert "Scan queue 3 waiting · 1 running" in text
    assert "2,662 records" in text and "(3 d ago)" in text and "(4 h ago)" in text
    assert "not yet run" in text and "not scheduled" in text
    # failing projects come first in the table, and the next runs are in time order
    assert text.index("/srv/billing") < text.index("https://git.example.com")
    assert text.index("scan billing") < text.index("advisory sync")


def test_times_are_utc_with_the_offset_printed() -> None:
    html = render_status(busy())
    # payments' next run was given in +08:00 (2025-06-03 02:00) and is shown as 18:00 UTC
    assert "2025-06-02 18:00 +00:00" in html and 'datetime="2025-06-02T18:00:00+00:00"' in html
    assert 'Generated <time datetime="2025-06-02T09:30:00+00:00">2025-06-02 09:30:00 +00:00' in html
    naive = replace(busy(), generated_at=datetime(2025, 6, 2, 9, 30))  # taken as UTC
    assert "2025-06-02 09:30:00 +00:00" in render_status(naive)
    shifted = replace(busy(), generated_at=NOW.astimezone(timezone(timedelta(hours=-5))))
    assert "2025-06-02 09:30:00 +00:00" in render_status(shifted)


def test_no_javascript_no_external_assets_and_a_strict_policy() -> None:
    html = render_status(busy())
    page = parse(html)
    urls = [v for k, v in page.attrs if k in ("src", "href") and v]
    assert urls == [] and "script" not in page.tags and "link" not in page.tags
    assert "default-src 'none'" in html and "<style>" in html
    assert '<meta http-equiv="refresh" content="60">' in html
    assert "refresh" not in render_status(busy(), refresh_seconds=None)


def test_empty_daemon_says_so() -> None:
    empty = StatusSnapshot(
        generated_at=NOW,
        ready=False,
        advisory_records=0,
        advisory_updated=None,
        last_sync_at=None,
        queue_depth=0,
        in_flight=0,
        projects=(),
        overdue=(),
        next_runs=(),
    )
    text = " ".join(" ".join(parse(render_status(empty)).text).split())
    assert "Not ready" in text and "No advisory database is loaded" in text
    assert "No projects are configured" in text and "Nothing is overdue" in text
    assert "Nothing is scheduled" in text and "attention" not in text


def test_a_stale_sync_is_flagged_and_interrupted_projects_need_attention() -> None:
    snapshot = busy()
    stale = replace(snapshot, last_sync_at=NOW - timedelta(days=2))
    assert "has not synced since" in render_status(stale)
    assert "has not synced" not in render_status(snapshot)
    stopped = replace(snapshot.projects[0], last_result="interrupted", last_error=None)
    html = render_status(replace(snapshot, projects=(stopped,)))
    assert "Projects needing attention" in html and "the scan was interrupted" in html
    assert render_status(snapshot) == render_status(snapshot)  # no clock: all from the snapshot


def test_alert_channels_show_waiting_sent_and_given_up() -> None:
    from depsentry.daemon.status import ChannelStatus

    snapshot = replace(
        busy(),
        channels=(ChannelStatus("team-slack", pending=2, sent=40, failed=1), ChannelStatus("ops")),
        give_up_after=48 * 3600.0,
    )
    text = " ".join(" ".join(parse(render_status(snapshot)).text).split())
    assert "Alert channels" in text and "team-slack 2 40 1" in text and "ops 0 0 0" in text
    assert "retried with backoff for 48 h" in text and "depsentry alerts retry ID" in text
    assert "No alert channels are configured" in " ".join(parse(render_status(busy())).text)
