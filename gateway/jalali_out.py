"""Dates leave the gateway as Jalali: a service answers with ISO dates and instants, and this turns
`2024-10-06` into `1403/07/15` and `2024-10-06T10:00:00+00:00` into `1403/07/15 13:30` (Tehran)."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from kernel import jalali

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def to_jalali(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: to_jalali(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jalali(v) for v in value]
    if isinstance(value, str):
        if _DATE.match(value):
            return jalali.format_date(date.fromisoformat(value))
        if _INSTANT.match(value):
            return jalali.format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return value
