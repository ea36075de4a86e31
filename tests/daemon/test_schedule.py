"""Schedules as people write them, the triggers they become, and when a run is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from depsentry.daemon.schedule import parse_duration, parse_schedule, parse_until

SHANGHAI = "Asia/Shanghai"


def fires(text: str, after: datetime, n: int = 3, tz: str = "UTC") -> list[datetime]:
    schedule = parse_schedule(text)
    out, when = [], after
    for _ in range(n):
        when = schedule.next_after(when, tz)
        out.append(when)
    return out


def test_daily_fires_at_that_time_in_the_time_zone() -> None:
    times = fires("daily 02:00", datetime(2026, 12, 1, 12, tzinfo=UTC), tz=SHANGHAI)
    local = [t.astimezone(ZoneInfo(SHANGHAI)) for t in times]
    assert [(t.day, t.hour, t.minute) for t in local] == [(2, 2, 0), (3, 2, 0), (4, 2, 0)]


def test_every_is_an_interval() -> None:
    schedule = parse_schedule("every 6h")
    assert schedule.interval == timedelta(hours=6)
    assert parse_schedule("every 1h30m").interval == timedelta(minutes=90)
    assert parse_schedule("every 3s").interval == timedelta(seconds=3)


def test_crontab_weekday_numbers_mean_what_crontab_means() -> None:
    """APScheduler 3.x counts Monday as 0; a cron line's 0 must still be Sunday."""
    sunday = fires("0 9 * * 0", datetime(2026, 12, 1, tzinfo=UTC), n=2)  # 2026-12-01 is a Tuesday
    assert all(t.weekday() == 6 for t in sunday)
    weekdays = fires("30 2 * * 1-5", datetime(2026, 12, 5, tzinfo=UTC), n=5)  # from a Saturday
    assert [t.weekday() for t in weekdays] == [0, 1, 2, 3, 4]
    assert all((t.hour, t.minute) == (2, 30) for t in weekdays)
    assert [t.weekday() for t in fires("0 0 * * 7", datetime(2026, 12, 1, tzinfo=UTC), n=1)] == [6]


def test_crontab_weekday_steps_and_wrapping_ranges() -> None:
    every_other = fires("0 0 * * */2", datetime(2026, 11, 29, 1, tzinfo=UTC), n=4)  # Sunday 01:00
    assert [t.weekday() for t in every_other] == [1, 3, 5, 6]  # tue thu sat sun (crontab 2,4,6,0)
    weekend = fires("0 0 * * fri-mon", datetime(2026, 12, 1, tzinfo=UTC), n=4)
    assert [t.weekday() for t in weekend] == [4, 5, 6, 0]


def test_day_names_in_cron_lines() -> None:
    times = fires("0 9 * * mon,thu", datetime(2026, 12, 1, tzinfo=UTC), n=3)
    assert [t.weekday() for t in times] == [3, 0, 3]


def test_monthly_first_monday() -> None:
    times = fires("monthly 1st mon 09:00", datetime(2026, 12, 1, tzinfo=UTC), n=3)
    assert [(t.month, t.day) for t in times] == [(12, 7), (1, 4), (2, 1)]
    assert all(t.weekday() == 0 and t.hour == 9 for t in times)


def test_weekly_and_hourly() -> None:
    assert [
        t.weekday() for t in fires("weekly mon,thu 09:00", datetime(2026, 12, 1, tzinfo=UTC), n=2)
    ] == [3, 0]
    hourly = fires("hourly", datetime(2026, 12, 1, 10, 30, tzinfo=UTC), n=2)
    assert [(t.hour, t.minute) for t in hourly] == [(11, 0), (12, 0)]


def test_restricting_both_day_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="either, APScheduler on both|read differently"):
        parse_schedule("0 9 1-7 * mon")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dialy 02:00", "bad schedule"),
        ("daily 25:00", "bad time"),
        ("every soon", "bad duration"),
        ("every 0s", "at least 1s"),
        ("0 9 * * funday", "bad day of the week"),
        ("61 * * * *", "bad schedule"),
        ("monthly 1st mon 9", "bad time"),
        ("", "expected a schedule"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_due_after_downtime_is_judged_from_the_last_attempt() -> None:
    daily = parse_schedule("daily 02:00")
    last = datetime(2026, 12, 1, 2, 0, 30, tzinfo=UTC)
    assert not daily.is_due(last, datetime(2026, 12, 2, 1, 59, tzinfo=UTC), "UTC")
    assert daily.is_due(last, datetime(2026, 12, 2, 2, 0, tzinfo=UTC), "UTC")
    # Three missed days are one run due, not three: the check is a yes or no.
    assert daily.is_due(last, datetime(2026, 12, 5, tzinfo=UTC), "UTC")
    assert daily.is_due(None, last, "UTC")  # never attempted: at once
    interval = parse_schedule("every 6h")
    assert not interval.is_due(last, last + timedelta(hours=5), "UTC")
    assert interval.is_due(last, last + timedelta(hours=6), "UTC")


def test_interval_trigger_counts_from_the_last_attempt() -> None:
    schedule = parse_schedule("every 6h")
    last = datetime.now(UTC) - timedelta(hours=1)
    trigger = schedule.trigger("UTC", last_attempt=last)
    first = trigger.get_next_fire_time(None, datetime.now(UTC))
    assert abs((first - (last + timedelta(hours=6))).total_seconds()) < 1


def test_default_jitter_is_a_tenth_of_the_period_at_most_five_minutes() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_schedule("every 10s").default_jitter("UTC", now) == pytest.approx(1.0)
    assert parse_schedule("daily 02:00").default_jitter("UTC", now) == 300.0


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration(30) == timedelta(seconds=30)
    assert parse_duration("1d") == timedelta(days=1)
    for bad in ("", "5 parsecs", True, -1, "1h 2x"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_snooze_until_forms() -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert parse_until("30d", now, "UTC") == now + timedelta(days=30)
    assert parse_until("2027-01-31", now, SHANGHAI) == datetime(
        2027, 1, 31, tzinfo=ZoneInfo(SHANGHAI)
    )
    assert parse_until("2027-01-31T09:00:00Z", now, "UTC") == datetime(2027, 1, 31, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="bad date"):
        parse_until("next tuesday", now, "UTC")
