"""Keeping this service's read models current from events, tolerant of order: events of one source
arrive at least once and not necessarily in the order they were published (retries, several
relays), so every projection either commutes (counters) or compares the event's time with what it
already knows (memberships)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from kernel.store import Db

from .domain import aggregates
from .repository import Repository, as_stored, event_time


def _date(v) -> datetime | None:
    if v is None:
        return None
    d = date.fromisoformat(v) if isinstance(v, str) else v
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def apply_registry_event(db: Db, envelope: dict) -> None:
    kind = envelope["type"].rsplit(".", 1)[0]
    d = envelope.get("data") or {}
    at = event_time(envelope)
    if kind == "registry.unit.created":
        db.units.update_one({"_id": d["unit_id"]},
                            {"$set": {"path": d["path"], "kind": d["kind"], "name": d["name"]}}, upsert=True)
    elif kind == "registry.kanoon.requested":
        db.kanoons.update_one({"_id": d["kanoon_id"]}, {"$setOnInsert": {
            "name": d["name"], "kind": d["kind"], "field": d.get("field"), "unit_path": d["unit_path"],
            "status": "requested", "head_id": d["head_id"], "deputy_id": d["deputy_id"],
            "founding_date": None, "closed_on": None}}, upsert=True)
    elif kind == "registry.kanoon.approved":
        db.kanoons.update_one({"_id": d["kanoon_id"]}, {"$set": {
            "name": d["name"], "kind": d["kind"], "field": d.get("field"), "unit_path": d["unit_path"],
            "status": "active", "head_id": d["head_id"], "deputy_id": d["deputy_id"],
            "founding_date": _date(d["founding_date"])}, "$setOnInsert": {"closed_on": None}}, upsert=True)
    elif kind == "registry.province_settings.set":
        db.province_settings.update_one({"_id": d["province_id"]}, {"$set": {
            "report_window_days": d.get("report_window_days"), "monthly_deadline_day": d.get("monthly_deadline_day")}},
            upsert=True)
    elif kind == "registry.kanoon.leadership_handed_over":
        field = "head_id" if d["position"] == "head" else "deputy_id"
        db.kanoons.update_one({"_id": d["kanoon_id"]}, {"$set": {field: d["to_person_id"]}})
    elif kind == "registry.kanoon.rejected":
        db.kanoons.update_one({"_id": d["kanoon_id"], "status": {"$ne": "active"}},
                              {"$set": {"status": "rejected"}})
    elif kind == "registry.member.joined":
        _membership(db, d["person_id"], d["kanoon_id"], at, kind_=d.get("member_kind"))
    elif kind == "registry.member.left":
        current = db.members.find_one({"_id": d["person_id"]})
        if current and current.get("kanoon_id") == d["kanoon_id"] and current["since"] <= at:
            db.members.update_one({"_id": d["person_id"]}, {"$set": {"kanoon_id": None, "since": at}})
        elif current is None:
            db.members.insert_one({"_id": d["person_id"], "kanoon_id": None, "since": at, "kind": None})
    elif kind == "registry.person.kind_changed":
        db.members.update_one({"_id": d["person_id"]}, {"$set": {"kind": d["kind"]}})
    elif kind == "registry.role.assigned":
        db.grants.update_one({"_id": d["assignment_id"]}, {
            "$set": {"person_id": d["person_id"], "role": d["role"], "scope_id": d["scope_id"],
                     "scope_kind": d["scope_kind"], "field": d.get("field"),
                     "valid_from": _date(d.get("valid_from")), "valid_to": _date(d.get("valid_to"))},
            "$setOnInsert": {"revoked": False}}, upsert=True)
    elif kind == "registry.role.revoked":
        db.grants.update_one({"_id": d["assignment_id"]},
                             {"$set": {"revoked": True, "person_id": d["person_id"], "role": d["role"],
                                       "scope_id": d["scope_id"]}}, upsert=True)


def _membership(db: Db, person_id: str, kanoon_id: str, at: datetime, kind_: str | None) -> None:
    current = db.members.find_one({"_id": person_id})
    if current is not None and current["since"] > at:
        return  # a later change is already known
    doc = {"kanoon_id": kanoon_id, "since": at}
    if kind_:
        doc["kind"] = kind_
    db.members.update_one({"_id": person_id}, {"$set": doc}, upsert=True)


def apply_own_event(db: Db, envelope: dict) -> None:
    """Aggregate buckets from this service's own events: the event's increments are recorded as a
    delta (a document of its own), which `fold_deltas` adds to the buckets (kernel.fold)."""
    d = envelope.get("data") or {}
    inc = aggregates.deltas(envelope["type"], d)
    if inc and d.get("month"):
        Repository(db).add_delta(envelope["id"], aggregates.path_of(d), d["month"], inc)


def fold_deltas(db: Db, rows: list[dict]) -> None:
    """Sum a batch of deltas per bucket and add each sum to its bucket (one writer: no conflicts)."""
    merged: dict[tuple[str, str], dict[str, float]] = {}
    for row in rows:
        for unit in row["path"]:
            into = merged.setdefault((unit, row["month"]), {})
            for key, value in row["inc"]:
                into[key] = into.get(key, 0) + value
    repo = Repository(db)
    for (unit, month), inc in merged.items():
        repo.add_to_buckets([unit], month, {k: v for k, v in inc.items() if v})


__all__ = ["apply_registry_event", "apply_own_event", "fold_deltas", "as_stored"]
