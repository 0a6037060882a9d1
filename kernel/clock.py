"""Time and identity for domain code, passed in as an argument: domain modules never read the wall
clock or draw random ids themselves, so a rule that depends on "now" is tested with a fixed clock.

    clock = SystemClock()          # what services pass
    clock = FixedClock(at)         # what unit tests pass: now() is `at`, ids count up
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

from . import jalali


class Clock(Protocol):
    def now(self) -> datetime: ...                 # an aware UTC instant
    def today(self) -> date: ...                   # the date in Iran (what a person calls today)
    def new_id(self, prefix: str) -> str: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def today(self) -> date:
        return jalali.today()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:16]}"


class FixedClock:
    """A clock that stands still until moved; ids are `prefix_1`, `prefix_2`, …"""

    def __init__(self, at: datetime | None = None):
        self.at = at or datetime(2025, 3, 21, 6, 0, tzinfo=timezone.utc)
        self._seq = itertools.count(1)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return jalali.local_date(self.at)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._seq)}"

    def advance(self, **delta) -> "FixedClock":
        self.at += timedelta(**delta)
        return self


SYSTEM = SystemClock()
