"""What the reports domain's modules share: the Jalali month key and a recorded step."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kernel import jalali


def month_key(day: date) -> str:
    """The Jalali month a calendar day belongs to, as `YYYY-MM` (30 Esfand 1403 → 1403-12)."""
    y, m = jalali.jalali_year_month(day)
    return f"{y}-{m:02d}"


class Step(BaseModel):
    step: str
    at: datetime
    by: str
    note: str | None = None
