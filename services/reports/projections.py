"""Keeping this service's read models current from events, tolerant of order: events of one source
arrive at least once and not necessarily in the order they were published (retries, several
relays), so every projection either commutes (counters) or compares the event's time with what it
already knows (memberships). The registry's read model is the kernel's (kernel.registry_view)."""
from __future__ import annotations

from kernel.registry_view import apply_registry_event  # noqa: F401 (the registry's events, kernel)
from kernel import buckets
from kernel.store import Db

from .domain import aggregates
from .repository import Repository, as_stored


def apply_own_event(db: Db, envelope: dict) -> None:
    """Aggregate buckets from this service's own events: the event's increments are recorded as a
    delta (a document of its own), which `fold_deltas` adds to the buckets (kernel.fold)."""
    d = envelope.get("data") or {}
    inc = aggregates.deltas(envelope["type"], d)
    if inc and d.get("month"):
        Repository(db).add_delta(envelope["id"], aggregates.path_of(d), d["month"], inc)


def fold_deltas(db: Db, rows: list[dict]) -> None:
    """Sum a batch of deltas per bucket and add each sum to its bucket (kernel.buckets)."""
    buckets.fold(db, "aggregates", rows)


__all__ = ["apply_registry_event", "apply_own_event", "fold_deltas", "as_stored"]


def apply_occasion_event(db: Db, envelope: dict) -> None:
    """An occasion of the festival service's calendar (idempotent: the same event sets the same)."""
    d = envelope.get("data") or {}
    db.occasions.update_one({"_id": d["occasion_id"]}, {"$set": {
        "scope_id": d["scope_id"], "year": d["year"], "kind": d["kind"], "title": d["title"],
        "starts_on": d["starts_on"], "ends_on": d["ends_on"]}}, upsert=True)

