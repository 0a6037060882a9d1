"""Period figures as counters: one bucket document per unit on a record's path and per Jalali month;
a season, half-year or year reads the buckets of its months. Handlers record each event's
increments as a delta document (`record_delta`); one folder sums pending deltas and adds them to
the buckets (`fold`, used by kernel.fold.Folder), so many events never write the same hot document
at once. Increments commute: events applied in any order give the same counters."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .jalali import Period

if TYPE_CHECKING:
    from .store import Db


def bucket_id(unit_id: str, month: str) -> str:
    return f"{unit_id}|{month}"


def bucket_ids(unit_id: str, period: Period) -> list[str]:
    return [bucket_id(unit_id, str(m)) for m in period.month_periods()]


def record_delta(db: Db, deltas: str, event_id: str, path: list[str], month: str, inc: dict) -> None:
    """An event's increments, waiting in `deltas` to be folded (keyed by the event: recorded once)."""
    db[deltas].insert_one({"_id": event_id, "path": path, "month": month,
                           "inc": [[k, v] for k, v in inc.items()], "at": datetime.now(timezone.utc)})


def fold(db: Db, buckets: str, rows: list[dict]) -> None:
    """Sum a batch of deltas per bucket and add each sum to its bucket (one writer: no conflicts)."""
    merged: dict[tuple[str, str], dict[str, float]] = {}
    for row in rows:
        for unit in row["path"]:
            into = merged.setdefault((unit, row["month"]), {})
            for key, value in row["inc"]:
                into[key] = into.get(key, 0) + value
    for (unit, month), inc in merged.items():
        inc = {k: v for k, v in inc.items() if v}
        if inc:
            db[buckets].update_one({"_id": bucket_id(unit, month)},
                                   {"$inc": inc, "$setOnInsert": {"unit_id": unit, "month": month}}, upsert=True)


def read(db: Db, buckets: str, unit_id: str, period: Period) -> list[dict]:
    return list(db[buckets].find({"_id": {"$in": bucket_ids(unit_id, period)}}))
