"""The review schedule: next and previous review datetimes in the policy's time zone.

Computed directly (first Monday of a month etc.) rather than with a cron library: cron cannot
say "first Monday" (day-of-month and day-of-week are OR-ed), and APScheduler is not a
dependency of this module; the daemon may still feed these datetimes to its scheduler.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from depsentry.policy.model import Policy, ReviewSchedule

__all__ = ["next_review", "parse_day", "previous_review", "review_at_or_after"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

# (ordinal, weekday) like (1, 0) = first Monday, (-1, 4) = last Friday;
# (0, weekday) = every such weekday (weekly); (day, None) = that day of the month.
Day = tuple[int, int | None]


def parse_day(text: str) -> Day:
    """Parse `review.day`: "first monday", "last friday", "monday" (weekly) or "1".."28"."""
    words = text.strip().lower().split()
    if len(words) == 1 and words[0].isdigit():
        n = int(words[0])
        if not 1 <= n <= 28:
            raise ValueError(f"day of the month must be 1-28 (every month has it), got {n}")
        return (n, None)
    if len(words) == 1 and words[0] in WEEKDAYS:
        return (0, WEEKDAYS.index(words[0]))
    if len(words) == 2 and words[0] in ORDINALS and words[1] in WEEKDAYS:
        return (ORDINALS[words[0]], WEEKDAYS.index(words[1]))
    raise ValueError(
        f"bad day {text!r}, expected e.g. 'first monday', 'last friday', 'monday' or a day 1-28"
    )


def next_review(policy: Policy, after: datetime) -> datetime:
    """The first review strictly after `after` (aware, in the policy's time zone)."""
    return _first(policy.review, after, strictly=True)


def review_at_or_after(policy: Policy, when: datetime) -> datetime:
    """The review that first sees something found at `when` (a review exactly then counts)."""
    return _first(policy.review, when, strictly=False)


def previous_review(policy: Policy, before: datetime) -> datetime:
    """The last review strictly before `before` (aware, in the policy's time zone)."""
    sched = policy.review
    tz = ZoneInfo(sched.timezone)
    local = _aware(before).astimezone(tz)
    # Candidates come in order from a period before `before`; keep the last one below it.
    # 400 days back always holds at least one review (the longest period is a quarter).
    earlier = _candidates(sched, local.date() - timedelta(days=400))
    best = next(earlier)
    for candidate in earlier:
        if candidate >= local:
            break
        best = candidate
    return best


def _first(sched: ReviewSchedule, when: datetime, *, strictly: bool) -> datetime:
    tz = ZoneInfo(sched.timezone)
    local = _aware(when).astimezone(tz)
    candidates = _candidates(sched, local.date() - timedelta(days=1))
    return next(c for c in candidates if c > local or (not strictly and c == local))


def _candidates(sched: ReviewSchedule, start: date) -> Iterator[datetime]:
    """Review datetimes on or after `start`'s period, in order, forever."""
    tz = ZoneInfo(sched.timezone)
    n, weekday = parse_day(sched.day)
    if sched.every == "week" or n == 0:
        assert weekday is not None, "load.py checks that a weekly review names a weekday"
        day = start + timedelta(days=(weekday - start.weekday()) % 7)
        while True:
            yield datetime.combine(day, sched.time, tz)
            day += timedelta(days=7)
    step = 3 if sched.every == "quarter" else 1
    year, month = start.year, start.month
    if step == 3:  # quarters start in January, April, July, October
        month -= (month - 1) % 3
    while True:
        yield datetime.combine(_day_in_month(year, month, n, weekday), sched.time, tz)
        month += step
        if month > 12:
            year, month = year + 1, month - 12


def _day_in_month(year: int, month: int, n: int, weekday: int | None) -> date:
    if weekday is None:
        return date(year, month, n)
    weeks = calendar.Calendar().monthdatescalendar(year, month)
    days = [d for week in weeks for d in week if d.month == month and d.weekday() == weekday]
    return days[n - 1] if n > 0 else days[-1]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
