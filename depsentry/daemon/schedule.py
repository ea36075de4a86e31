"""Schedules as people write them ("daily 02:00", "every 6h", a cron line with day names) and the
APScheduler triggers they become; `is_due` judges a missed run from the store's last attempt.

APScheduler 3.x numbers weekdays from Monday (0) while crontab numbers them from Sunday, so a
cron line's day-of-week field is rewritten into day names before APScheduler sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["Schedule", "parse_duration", "parse_schedule", "parse_until"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab order: 0 = Sunday
_FULL_DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MAX_JITTER = 300.0


def parse_duration(value: object) -> timedelta:
    """ "90s", "5m", "6h", "1d", "1h30m" or a number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 6h")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 30s, 5m or 6h")
    text = value.strip().lower().replace(" ", "")
    if text.isdigit():
        return timedelta(seconds=int(text))
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration {value!r}, expected e.g. 30s, 5m, 6h or 1h30m")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: an interval, or cron fields in APScheduler's own terms."""

    text: str
    interval: timedelta | None = None
    cron: tuple[tuple[str, str], ...] = ()

    def trigger(
        self, timezone: str, *, jitter: float = 0.0, last_attempt: datetime | None = None
    ) -> BaseTrigger:
        """The APScheduler trigger; an interval counts from `last_attempt` when there is one."""
        tz = ZoneInfo(timezone)
        if self.interval is not None:
            start = None
            if last_attempt is not None:
                start = last_attempt.astimezone(tz) + self.interval
            return IntervalTrigger(
                seconds=self.interval.total_seconds(),
                start_date=start,
                timezone=tz,
                jitter=jitter or None,
            )
        return CronTrigger(timezone=tz, jitter=jitter or None, **dict(self.cron))

    def next_after(self, when: datetime, timezone: str) -> datetime:
        """The first fire time after `when` (no jitter)."""
        if self.interval is not None:
            return when + self.interval
        trigger = CronTrigger(timezone=ZoneInfo(timezone), **dict(self.cron))
        fire: datetime | None = trigger.get_next_fire_time(None, when + timedelta(microseconds=1))
        assert fire is not None, "cron triggers without an end date always fire again"
        return fire

    def is_due(self, last_attempt: datetime | None, now: datetime, timezone: str) -> bool:
        """Whether a run fell due since `last_attempt` (never attempted: due at once)."""
        if last_attempt is None:
            return True
        return self.next_after(last_attempt, timezone) <= now

    def period(self, timezone: str, around: datetime) -> timedelta:
        """The time between two runs near `around` (for the default jitter)."""
        if self.interval is not None:
            return self.interval
        first = self.next_after(around, timezone)
        return self.next_after(first, timezone) - first

    def default_jitter(self, timezone: str, around: datetime) -> float:
        """A tenth of the period, at most five minutes: projects sharing a schedule spread out."""
        return min(self.period(timezone, around).total_seconds() / 10, _MAX_JITTER)


def _time(text: str) -> dict[str, str]:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"bad time {text!r}, expected HH:MM (24-hour)")
    return {"hour": str(int(match.group(1))), "minute": str(int(match.group(2)))}


def _weekday_names(field: str) -> str:
    """A crontab day-of-week field (numbers 0-7 from Sunday, names, ranges, steps) as names."""
    days: set[int] = set()
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day-of-week {field!r}")
        if base == "*":
            low, high = 0, 6
        else:
            low_text, _, high_text = base.partition("-")
            low = _weekday_number(low_text)
            high = _weekday_number(high_text) if high_text else (6 if step_text else low)
        if high < low:  # "fri-mon" wraps past Saturday
            days.update(range(low, 7, step))
            days.update(range(0, high + 1, step))
        else:
            days.update(d % 7 for d in range(low, high + 1, step))
    # Monday first, so the field reads the way APScheduler documents it.
    ordered = sorted(days, key=lambda d: (d + 6) % 7)
    return ",".join(_DAY_NAMES[d] for d in ordered)


def _weekday_number(text: str) -> int:
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text) % 7 if int(text) != 7 else 0
    if text in _DAY_NAMES:
        return _DAY_NAMES.index(text)
    if text in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(text)
    raise ValueError(f"bad day of the week {text!r}, expected mon..sun or 0-7")


def _cron_line(fields: list[str]) -> dict[str, str]:
    minute, hour, day, month, day_of_week = fields
    if day != "*" and day_of_week != "*":
        # cron runs when either matches, APScheduler only when both do: refuse to guess.
        raise ValueError(
            "restricts both the day of the month and the day of the week, which cron and "
            "APScheduler read differently; use e.g. 'monthly 1st mon 09:00' for a first Monday"
        )
    spec = {"minute": minute, "hour": hour, "day": day, "month": month}
    if day_of_week != "*":
        spec["day_of_week"] = _weekday_names(day_of_week)
    return spec


def parse_schedule(text: object) -> Schedule:
    """Parse a schedule; ValueError with a message fit for a config error otherwise.

    Forms: "every 6h" (any duration), "hourly", "daily 02:00", "weekly mon,thu 09:00",
    "monthly 1st mon 09:00" (day: 1-31, "last", "1st".."5th"/"last" + weekday), or a
    five-field cron line "MIN HOUR DAY MONTH WEEKDAY" whose weekdays are names or crontab
    numbers (0 and 7 are Sunday).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("expected a schedule such as 'daily 02:00', 'every 6h' or a cron line")
    words = text.strip().split()
    head = words[0].lower()
    spec: dict[str, Any]
    if head == "every":
        interval = parse_duration("".join(words[1:]))
        if interval < timedelta(seconds=1):
            raise ValueError("an interval must be at least 1s")
        return Schedule(text, interval=interval)
    if head == "hourly" and len(words) == 1:
        spec = {"minute": "0"}
    elif head == "daily" and len(words) == 2:
        spec = _time(words[1])
    elif head == "weekly" and len(words) == 3:
        spec = {"day_of_week": _weekday_names(words[1]), **_time(words[2])}
    elif head == "monthly" and len(words) in (3, 4):
        day = " ".join(words[1:-1]).lower()
        spec = {"day": day, **_time(words[-1])}
    elif len(words) == 5:
        spec = _cron_line(words)
    else:
        raise ValueError(
            f"bad schedule {text!r}, expected 'every 6h', 'hourly', 'daily 02:00', "
            "'weekly mon 09:00', 'monthly 1st mon 09:00' or a five-field cron line"
        )
    try:
        CronTrigger(timezone=ZoneInfo("UTC"), **spec)  # APScheduler validates each field
    except ValueError as exc:
        raise ValueError(f"bad schedule {text!r}: {exc}") from exc
    return Schedule(text, cron=tuple(sorted(spec.items())))


def parse_until(text: str, now: datetime, timezone: str) -> datetime:
    """When a snooze ends: a duration from now ("30d", "2w"), a date (its midnight in the
    daemon's time zone) or an ISO 8601 datetime; ValueError otherwise."""
    from datetime import date

    text = text.strip()
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"bad date {text!r}, expected e.g. 2027-01-31, 2027-01-31T09:00:00+00:00 or 30d"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))
