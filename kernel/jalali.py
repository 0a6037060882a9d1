"""Jalali (Solar Hijri) dates and periods.

A date a person sees is Jalali; what is stored is a UTC instant. A calendar date with no time of
day (a birth date, a founding date) is kept as a date (midnight UTC of that day in the store).
An instant belongs to the Jalali day, month or year it falls in as seen in Tehran. Periods are written
`1403-07` (month), `1403-Q3` (season), `1403-H1` (half-year) and `1403` (year); each has UTC bounds
[start, end).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import jdatetime

from .persian import normalize_digits

TEHRAN = ZoneInfo("Asia/Tehran")

_JDATE = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*$")
_PERIOD = re.compile(r"^\s*(\d{4})(?:-(?:(\d{1,2})|Q([1-4])|H([12])))?\s*$", re.IGNORECASE)

MONTH_NAMES = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)


def parse_date(text: str) -> date:
    """Parse a date a person typed: Jalali `1403/07/15` or `1403-07-15` (years below 1700), or
    Gregorian `2024-10-06`. Persian and Arabic digits are accepted. Returns a Gregorian date."""
    if isinstance(text, date):
        return text
    m = _JDATE.match(normalize_digits(str(text)))
    if not m:
        raise ValueError("expected a date like 1403/07/15 (Jalali) or 2024-10-06 (Gregorian)")
    y, mo, d = (int(g) for g in m.groups())
    if y < 1700:
        try:
            return jdatetime.date(y, mo, d).togregorian()
        except ValueError:
            raise ValueError(f"{y}/{mo:02d}/{d:02d} is not a day of the Jalali calendar") from None
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"{y}-{mo:02d}-{d:02d} is not a day of the Gregorian calendar") from None


def format_date(value: date | datetime | None) -> str | None:
    """Jalali `YYYY/MM/DD` of a date, or of a UTC instant as seen in Tehran."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = local_date(value)
    return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(TEHRAN)
    j = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None))
    return j.strftime("%Y/%m/%d %H:%M")


def local_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(TEHRAN).date()


def start_of_day_utc(day: date) -> datetime:
    """The UTC instant of midnight in Tehran at the start of `day`: how calendar dates are stored."""
    return datetime.combine(day, time(0), tzinfo=TEHRAN).astimezone(timezone.utc)


def today() -> date:
    return datetime.now(TEHRAN).date()


def jalali_year_month(day: date) -> tuple[int, int]:
    j = jdatetime.date.fromgregorian(date=day)
    return j.year, j.month


@dataclass(frozen=True)
class Period:
    """A Jalali period: kind is month, season, half or year; index is the month 1–12, season 1–4
    or half 1–2 (0 for a year)."""
    year: int
    kind: str
    index: int = 0

    @property
    def first_month(self) -> int:
        return {"month": self.index, "season": 3 * self.index - 2,
                "half": 6 * self.index - 5, "year": 1}[self.kind]

    @property
    def months(self) -> int:
        return {"month": 1, "season": 3, "half": 6, "year": 12}[self.kind]

    @property
    def first_day(self) -> date:
        return jdatetime.date(self.year, self.first_month, 1).togregorian()

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        m = self.first_month + self.months
        y = self.year + (m - 1) // 12
        m = (m - 1) % 12 + 1
        return jdatetime.date(y, m, 1).togregorian()

    @property
    def start_utc(self) -> datetime:
        return start_of_day_utc(self.first_day)

    @property
    def end_utc(self) -> datetime:
        return start_of_day_utc(self.end_day)

    def contains(self, instant: datetime) -> bool:
        return self.start_utc <= instant < self.end_utc

    def __str__(self) -> str:
        return {"month": f"{self.year}-{self.index:02d}", "season": f"{self.year}-Q{self.index}",
                "half": f"{self.year}-H{self.index}", "year": f"{self.year}"}[self.kind]

    def month_periods(self) -> list["Period"]:
        out = []
        for k in range(self.months):
            m = self.first_month + k
            out.append(Period(self.year, "month", m))
        return out


def parse_period(text: str) -> Period:
    m = _PERIOD.match(normalize_digits(str(text)))
    if not m:
        raise ValueError("expected a Jalali period: 1403, 1403-07, 1403-Q3 or 1403-H1")
    year = int(m.group(1))
    if not 1300 <= year <= 1500:
        raise ValueError("the Jalali year must be between 1300 and 1500")
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError("the month must be 01 to 12")
        return Period(year, "month", month)
    if m.group(3):
        return Period(year, "season", int(m.group(3)))
    if m.group(4):
        return Period(year, "half", int(m.group(4)))
    return Period(year, "year", 0)


def period_of(instant_or_day: datetime | date, kind: str = "month") -> Period:
    day = local_date(instant_or_day) if isinstance(instant_or_day, datetime) else instant_or_day
    y, m = jalali_year_month(day)
    index = {"month": m, "season": (m - 1) // 3 + 1, "half": (m - 1) // 6 + 1, "year": 0}[kind]
    return Period(y, kind, index)


def age_on(birth: date, on: date) -> int:
    """Whole years between two dates (what a person would say their age is)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def add_days(day: date, n: int) -> date:
    return day + timedelta(days=n)


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_instant(text) -> datetime:
    """An instant a person or a file gave: `1404/08/20 14:30[:05]` (Jalali, Tehran time),
    `2025-11-11 14:30`, or ISO 8601 with its offset. Persian and Arabic digits are accepted.
    Returns an aware UTC datetime."""
    if isinstance(text, datetime):
        return (text if text.tzinfo else text.replace(tzinfo=TEHRAN)).astimezone(timezone.utc)
    s = normalize_digits(str(text)).strip()
    if "T" in s:
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expected a time like 1404/08/20 14:30 or 2025-11-11T14:30:00+03:30") from None
        return (dt if dt.tzinfo else dt.replace(tzinfo=TEHRAN)).astimezone(timezone.utc)
    parts = s.split()
    if len(parts) != 2:
        raise ValueError("expected a date and a time, like 1404/08/20 14:30")
    day = parse_date(parts[0])
    m = _TIME.match(parts[1])
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        raise ValueError("expected a time of day like 14:30 or 14:30:05")
    local = datetime.combine(day, time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)), tzinfo=TEHRAN)
    return local.astimezone(timezone.utc)
