"""What the registry learns from other services besides rulings (kernel.rulings): the ranks the
festival service's evaluation publishes (DOMAIN §2.8), shown on each kanoon."""
from __future__ import annotations

from kernel.registry_view import event_time
from kernel.store import Db


def apply_rank_event(db: Db, envelope: dict) -> None:
    """One kanoon's published ranks for a year; a snapshot published earlier (or redelivered) never
    replaces a later one."""
    d = envelope.get("data") or {}
    at = event_time(envelope)
    key = f"{d['kanoon_id']}:{d['year']}"
    current = db.kanoon_ranks.find_one({"_id": key}, {"at": 1})
    if current is not None and current["at"] >= at:
        return
    db.kanoon_ranks.replace_one({"_id": key}, {"_id": key, "kanoon_id": d["kanoon_id"], "year": d["year"],
                                               "ranks": d["ranks"], "published_on": d["published_on"], "at": at},
                                upsert=True)
