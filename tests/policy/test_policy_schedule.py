"""The review schedule across month and year boundaries, time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from policy_builders import policy

from depsentry.policy import next_review, previous_review, review_at_or_after

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(**kw: object) -> object:
    return policy(review={"timezone": "Europe/Berlin", **kw})


def test_after_first_monday_of_december_comes_first_monday_of_january():
    p = berlin()
    after = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)  # the December review itself
    assert next_review(p, after) == datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)
    assert next_review(p, after - timedelta(seconds=1)) == after


def test_previous_review_crosses_back_over_the_year():
    p = berlin()
    assert previous_review(p, datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)) == datetime(
        2026, 12, 7, 9, 0, tzinfo=BERLIN
    )
    assert previous_review(p, datetime(2027, 1, 4, 9, 1, tzinfo=BERLIN)) == datetime(
        2027, 1, 4, 9, 0, tzinfo=BERLIN
    )


def test_review_at_or_after_counts_a_review_at_that_instant():
    p = berlin()
    at = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    assert review_at_or_after(p, at) == at
    assert review_at_or_after(p, at + timedelta(microseconds=1)) == datetime(
        2027, 1, 4, 9, 0, tzinfo=BERLIN
    )


def test_utc_input_is_converted_to_the_policy_zone():
    """08:30 UTC on 2026-12-07 is 09:30 in Berlin: that month's review has passed."""
    p = berlin()
    assert next_review(p, datetime(2026, 12, 7, 8, 30, tzinfo=UTC)) == datetime(
        2027, 1, 4, 9, 0, tzinfo=BERLIN
    )
    assert next_review(p, datetime(2026, 12, 7, 7, 30, tzinfo=UTC)) == datetime(
        2026, 12, 7, 9, 0, tzinfo=BERLIN
    )


def test_naive_input_is_taken_as_utc():
    p = berlin()
    assert next_review(p, datetime(2026, 12, 7, 7, 30)) == datetime(
        2026, 12, 7, 9, 0, tzinfo=BERLIN
    )


def test_zone_where_the_review_falls_on_the_previous_utc_day():
    """Auckland's first Monday 09:00 (NZDT, +13) is Sunday 20:00 UTC."""
    p = policy(review={"timezone": "Pacific/Auckland"})
    review = next_review(p, datetime(2026, 12, 1, tzinfo=UTC))
    assert review.astimezone(UTC) == datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    assert review.date().isoformat() == "2026-12-07"
    # Sunday 21:00 UTC is already after it.
    assert (
        next_review(p, datetime(2026, 12, 6, 21, 0, tzinfo=UTC)).date().isoformat() == "2027-01-04"
    )


def test_zone_where_the_review_falls_on_the_next_utc_day():
    """Los Angeles' first Monday 18:00 (PST, -8) is Tuesday 02:00 UTC."""
    p = policy(review={"timezone": "America/Los_Angeles", "time": time(18, 0)})
    review = next_review(p, datetime(2027, 1, 1, tzinfo=UTC))
    assert review.astimezone(UTC) == datetime(2027, 1, 5, 2, 0, tzinfo=UTC)


def test_daylight_saving_keeps_local_time():
    p = berlin()
    march = next_review(p, datetime(2027, 2, 15, tzinfo=UTC))
    april = next_review(p, march)
    assert (march.astimezone(UTC).hour, april.astimezone(UTC).hour) == (8, 7)
    assert april == datetime(2027, 4, 5, 9, 0, tzinfo=BERLIN)


def test_last_friday_and_day_of_month():
    last_friday = policy(review={"day": "last friday"})
    assert (
        next_review(last_friday, datetime(2027, 1, 30, tzinfo=UTC)).date().isoformat()
        == "2027-02-26"
    )
    fifteenth = policy(review={"day": "15", "time": time(0, 0)})
    assert next_review(fifteenth, datetime(2026, 12, 15, tzinfo=UTC)) == datetime(
        2027, 1, 15, tzinfo=ZoneInfo("UTC")
    )


def test_quarterly_reviews_start_january_april_july_october():
    p = policy(review={"every": "quarter"})
    assert next_review(p, datetime(2026, 10, 6, tzinfo=UTC)).date().isoformat() == "2027-01-04"
    assert next_review(p, datetime(2027, 1, 5, tzinfo=UTC)).date().isoformat() == "2027-04-05"
    assert previous_review(p, datetime(2027, 1, 1, tzinfo=UTC)).date().isoformat() == "2026-10-05"


def test_weekly_review_on_a_weekday():
    p = policy(review={"every": "week", "day": "wednesday"})
    # 2026-12-30 is a Wednesday; after its review comes 2027-01-06.
    assert (
        next_review(p, datetime(2026, 12, 30, 9, 0, tzinfo=UTC)).date().isoformat() == "2027-01-06"
    )
    assert (
        previous_review(p, datetime(2026, 12, 30, 9, 0, tzinfo=UTC)).date().isoformat()
        == "2026-12-23"
    )


ZONES = [
    "UTC",
    "Europe/Berlin",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
]


@given(
    when=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
)
def test_next_is_a_first_monday_after_and_previous_is_before(when: datetime, zone: str):
    p = policy(review={"timezone": zone})
    nxt = next_review(p, when)
    prev = previous_review(p, when)
    assert prev < when < nxt
    for review in (nxt, prev):
        assert review.weekday() == 0 and review.day <= 7
        assert review.timetz().replace(tzinfo=None) == time(9, 0)
        assert str(review.tzinfo) == zone
    # No review in between: the one after `prev` is `nxt`, unless `when` sits exactly on one.
    between = next_review(p, prev)
    assert between in (nxt, when)
    if between == nxt:
        assert 27 <= (nxt - prev).days <= 36


def test_exactly_on_a_review_next_and_previous_skip_it():
    p = berlin()
    at = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    assert previous_review(p, at).date().isoformat() == "2026-11-02"
    assert next_review(p, previous_review(p, at)) == at
