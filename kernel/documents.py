"""Mapping pydantic aggregates to MongoDB documents and back, the same way in every service.

BSON has no plain date: a calendar date is stored as midnight UTC of that day and read back as a
date by the model. Enums are stored as their values; `id` is stored as `_id`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def dates_to_datetimes(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: dates_to_datetimes(x) for k, x in v.items()}
    if isinstance(v, list):
        return [dates_to_datetimes(x) for x in v]
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime.combine(v, time(0), tzinfo=timezone.utc)
    if hasattr(v, "value") and isinstance(getattr(v, "value"), str):  # enums
        return v.value
    return v


def to_doc(obj: BaseModel) -> dict:
    doc = dates_to_datetimes(obj.model_dump(mode="python"))
    doc["_id"] = doc.pop("id")
    return doc


def from_doc(cls: type[M], doc: dict | None) -> M | None:
    if doc is None:
        return None
    doc = dict(doc)
    doc["id"] = doc.pop("_id")
    return cls.model_validate(doc)
