from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from kernel import jalali


def test_fixed_new_years():
    assert jalali.parse_date("1403/01/01") == date(2024, 3, 20)
    assert jalali.parse_date("1404-01-01") == date(2025, 3, 21)
    assert jalali.parse_date("۱۴۰۵/۰۱/۰۱") == date(2026, 3, 21)
    assert jalali.parse_date("2024-10-06") == date(2024, 10, 6)
    assert jalali.format_date(date(2024, 10, 6)) == "1403/07/15"


def test_esfand_30_exists_only_in_leap_years():
    assert jalali.parse_date("1403/12/30") == date(2025, 3, 20)
    with pytest.raises(ValueError):
        jalali.parse_date("1404/12/30")
    with pytest.raises(ValueError):
        jalali.parse_date("1403/13/01")


def test_periods_and_their_bounds():
    p = jalali.parse_period("1403-12")
    assert (p.first_day, p.end_day) == (date(2025, 2, 19), date(2025, 3, 21))
    assert str(jalali.parse_period("1403-Q3")) == "1403-Q3"
    q = jalali.parse_period("1403-Q4")
    assert q.first_day == jalali.parse_date("1403/10/01") and q.end_day == jalali.parse_date("1404/01/01")
    h = jalali.parse_period("1403-H1")
    assert h.first_day == date(2024, 3, 20) and h.end_day == jalali.parse_date("1403/07/01")
    y = jalali.parse_period("1403")
    assert (y.end_day - y.first_day).days == 366  # 1403 is a leap year
    assert len(jalali.parse_period("1403-H2").month_periods()) == 6
    for bad in ("1403-13", "1403-Q5", "1403-H3", "14", "1403/07", "abc"):
        with pytest.raises(ValueError):
            jalali.parse_period(bad)


def test_an_instant_belongs_to_the_tehran_day():
    # 30 Esfand 1403 at 22:00 in Tehran is 18:30 UTC the same day: still 1403-12, not 1404-01.
    late = datetime(2025, 3, 20, 18, 30, tzinfo=timezone.utc)
    assert str(jalali.period_of(late)) == "1403-12"
    # 21:00 UTC is 00:30 on 1 Farvardin 1404 in Tehran.
    assert str(jalali.period_of(datetime(2025, 3, 20, 21, 0, tzinfo=timezone.utc))) == "1404-01"
    month = jalali.parse_period("1403-12")
    assert month.contains(late) and not month.contains(datetime(2025, 3, 20, 21, 0, tzinfo=timezone.utc))


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2080, 1, 1)))
def test_round_trip_and_membership(d):
    assert jalali.parse_date(jalali.format_date(d)) == d
    for kind in ("month", "season", "half", "year"):
        p = jalali.period_of(d, kind)
        assert p.first_day <= d < p.end_day
        assert jalali.parse_period(str(p)) == p


@given(st.integers(min_value=1350, max_value=1450))
def test_months_tile_the_year(year):
    months = jalali.parse_period(str(year)).month_periods()
    for a, b in zip(months, months[1:]):
        assert a.end_day == b.first_day
    assert months[0].first_day == jalali.parse_period(str(year)).first_day
    assert months[-1].end_day == jalali.parse_period(str(year)).end_day


def test_age():
    assert jalali.age_on(date(2000, 5, 10), date(2024, 5, 9)) == 23
    assert jalali.age_on(date(2000, 5, 10), date(2024, 5, 10)) == 24
    assert jalali.add_days(date(2024, 1, 1), 1) == date(2024, 1, 2) == date(2024, 1, 1) + timedelta(days=1)


def test_an_instant_is_read_in_tehran_time_from_jalali_or_iso():
    from datetime import datetime, timezone
    from kernel.jalali import parse_instant
    assert parse_instant("1404/08/20 14:30") == datetime(2025, 11, 11, 11, 0, tzinfo=timezone.utc)
    assert parse_instant("۱۴۰۴/۰۸/۲۰ ۱۴:۳۰:۰۵") == datetime(2025, 11, 11, 11, 0, 5, tzinfo=timezone.utc)
    assert parse_instant("2025-11-11T11:00:00Z") == datetime(2025, 11, 11, 11, 0, tzinfo=timezone.utc)
    assert parse_instant("2025-11-11 14:30") == datetime(2025, 11, 11, 11, 0, tzinfo=timezone.utc)
    for bad in ("1404/08/20", "1404/08/20 25:00", "1404/13/01 10:00", "yesterday"):
        with pytest.raises(ValueError):
            parse_instant(bad)
