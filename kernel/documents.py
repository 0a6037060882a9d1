"""Mapping pydantic aggregates to MongoDB documents and back, the same way in every service.

BSON has no plain date: a calendar date is stored as midnight UTC of that day and read back as a
date by the model. Enums are stored as their values; `id` is stored as `_id`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, TypeVar

from pydantic import BaseModel

from .errors import Conflict, NotFound

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


class Aggregates:
    """Loading and saving a service's aggregates by id, the same way everywhere: a missing one is
    NotFound naming the field; a save is accepted only at the version read (optimistic
    concurrency), else Conflict. A repository with `self.db` inherits it."""

    db: Any

    def _get(self, coll: str, cls: type[M], id_: str, what: str, field: str | None = None) -> M:
        obj = from_doc(cls, self.db[coll].find_one({"_id": id_}))
        if obj is None:
            raise NotFound(f"no {what} {id_}", field or f"{what.replace(' ', '_')}_id")
        return obj

    def _save(self, coll: str, obj: BaseModel, doc: dict | None = None) -> None:
        """`doc`: the document to store when it is not plain `to_doc(obj)` (sealed fields)."""
        doc = dict(doc) if doc is not None else to_doc(obj)
        expected = doc.pop("version")
        doc["version"] = expected + 1
        if self.db[coll].replace_one({"_id": doc["_id"], "version": expected}, doc).matched_count != 1:
            raise Conflict("the record was changed by someone else meanwhile; try again", "version")
        obj.version = expected + 1
