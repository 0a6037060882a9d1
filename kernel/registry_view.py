"""The registry as another service sees it: a read model of units, kanoons, memberships, role
grants and province settings, kept in that service's own database from the registry's events.
Every service that checks roles or places records in the tree keeps one (the services never call
the registry synchronously); this module is the one copy of how.

Events of one source arrive at least once and not necessarily in order (retries, several relays),
so each projection is idempotent and either commutes or compares the event's time with what it
already knows (memberships).

**Restatements** (`registry.view.restated.v1`, docs/backup.md): the registry publishes, in parts,
its whole state as of one instant `as_of` — after its database was restored from a backup (its
consumers may know things it no longer has) or when an operator asks (a consumer deployed after the
outbox was pruned). Every view document records the time of what last changed it (`at`; a
membership's `since`): a restated record replaces a document only when that time is not newer than
`as_of`, and stamps it with `as_of` (`restated_at`) and the restatement's id. A live event older than
the restatement that last wrote a document is skipped: the restatement holds its effect already; and
one older than the latest restatement completed here does not create a document the restatement
did not have (it is from history the registry no longer has).
When a consumer has applied every part of a restatement (counted in `registry_restatements`, by
part number: parts may come in any order, and more than once), it deletes the documents the
restatement did not mention whose time is not newer than `as_of` — what the registry no longer has.
Anything a live event changed after `as_of` is kept; that event is compared by time as usual.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Iterable

from pymongo import ASCENDING, ReplaceOne

from .access import Actor, Grant
from .errors import NotFound
from .store import Db

INDEXES = {
    "units": [[("path", ASCENDING)]],
    "kanoons": [[("unit_path", ASCENDING)]],
    "grants": [[("person_id", ASCENDING)]],
}

RESTATED = "registry.view.restated"
# A consumer's count of the parts it applied, per restatement.
RESTATEMENTS = "registry_restatements"
# A restatement's lists → (the view's collection, the record's id field, the document's time field).
VIEW: dict[str, tuple[str, str, str]] = {
    "units": ("units", "unit_id", "at"),
    "kanoons": ("kanoons", "kanoon_id", "at"),
    "memberships": ("members", "person_id", "since"),
    "grants": ("grants", "assignment_id", "at"),
    "province_settings": ("province_settings", "province_id", "at"),
}


def ensure_indexes(db: Db) -> None:
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)
    # Made here, before the service starts, not by the first restatement's transaction (the local
    # store can deadlock on a collection created while others commit: devenv/indexes.py).
    db[RESTATEMENTS].create_index([("swept_at", ASCENDING)])


def event_time(envelope: dict) -> datetime:
    t = envelope.get("time")
    if isinstance(t, str):
        return datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t or datetime.now(timezone.utc)


def _utc(t: datetime | str | None) -> datetime | None:
    """An aware UTC instant, to the millisecond as the store keeps it (BSON dates), so that a stored
    time and one read from an event compare as the same instant."""
    if t is None:
        return None
    if isinstance(t, str):
        t = datetime.fromisoformat(t.replace("Z", "+00:00"))
    t = t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).replace(microsecond=t.microsecond // 1000 * 1000)


def _date(v) -> datetime | None:
    if v is None:
        return None
    d = date.fromisoformat(v) if isinstance(v, str) else v
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def _membership(db: Db, person_id: str, kanoon_id: str | None, at: datetime, kind_: str | None) -> None:
    current = db.members.find_one({"_id": person_id})
    if current is not None and current["since"] > at:
        return  # a later change is already known
    if current is None and not live_event_applies(None, at, False, _restated_up_to(db)):
        return  # someone the registry no longer had when it restated its view
    doc = {"kanoon_id": kanoon_id, "since": at}
    if kind_:
        doc["kind"] = kind_
    db.members.update_one({"_id": person_id}, {"$set": doc}, upsert=True)


# ---------------------------------------------------------------- restatements: the rules (no I/O)

def live_event_applies(restated_at: datetime | None, at: datetime, exists: bool = True,
                       restated_up_to: datetime | None = None) -> bool:
    """A live event changes a document unless a restatement as of a later instant wrote it (that
    restatement holds the event's effect already). It creates a missing one unless a restatement as
    of a later instant was completed here (`restated_up_to`): the registry had no such record then,
    so the event is from history it no longer has (a message still in flight, or parked and replayed,
    after a restore)."""
    if exists:
        return restated_at is None or _utc(at) >= _utc(restated_at)
    return restated_up_to is None or _utc(at) >= _utc(restated_up_to)


def restated_replaces(doc_time: datetime | None, as_of: datetime) -> bool:
    """A restated record replaces a document whose last change is not newer than `as_of` (or that
    has no time: written before documents carried one)."""
    return doc_time is None or _utc(doc_time) <= _utc(as_of)


def swept(doc: dict, time_field: str, restatement_id: str, as_of: datetime) -> bool:
    """After every part of a restatement was applied: a document it did not mention, whose last
    change is not newer than `as_of`, is something the registry no longer has."""
    return doc.get("restatement") != restatement_id and restated_replaces(doc.get(time_field), as_of)


def parts_complete(seen: Iterable[int], parts: int) -> bool:
    """Every part 1…parts applied (a part seen twice counts once)."""
    return set(range(1, parts + 1)) <= set(seen)


def restatement_parts(records: dict[str, list[dict]], size: int = 250) -> list[dict[str, list[dict]]]:
    """The records of a restatement (lists named as in VIEW) cut into parts of at most `size`
    records, in the order given; always at least one part, so that a restatement of nothing still
    sweeps."""
    if size < 1:
        raise ValueError("a part holds at least one record")
    parts: list[dict[str, list[dict]]] = [{}]
    room = size
    for name in VIEW:
        for record in records.get(name) or []:
            if room == 0:
                parts.append({})
                room = size
            parts[-1].setdefault(name, []).append(record)
            room -= 1
    return parts


def view_document(name: str, record: dict, as_of: datetime, restatement_id: str) -> tuple[str, dict]:
    """A restated record as the view document the live events would have built (its id, and the
    document without it), stamped with `as_of` and the restatement's id."""
    as_of = _utc(as_of)
    mark = {"restated_at": as_of, "restatement": restatement_id}
    r = record
    if name == "units":
        return r["unit_id"], {"path": r["path"], "kind": r["kind"], "name": r["name"], "at": as_of, **mark}
    if name == "kanoons":
        return r["kanoon_id"], {
            "name": r["name"], "kind": r["kind"], "field": r.get("field"), "unit_path": r["unit_path"],
            "status": r["status"], "head_id": r["head_id"], "deputy_id": r["deputy_id"],
            "founding_date": _date(r.get("founding_date")), "closed_on": None, "at": as_of, **mark}
    if name == "memberships":
        return r["person_id"], {"kanoon_id": r.get("kanoon_id"), "since": as_of, "kind": r.get("kind"), **mark}
    if name == "grants":
        return r["assignment_id"], {
            "person_id": r["person_id"], "role": r["role"], "scope_id": r["scope_id"],
            "scope_kind": r.get("scope_kind"), "field": r.get("field"), "valid_from": _date(r.get("valid_from")),
            "valid_to": _date(r.get("valid_to")), "revoked": bool(r.get("revoked")), "at": as_of, **mark}
    if name == "province_settings":
        return r["province_id"], {**{k: v for k, v in r.items() if k not in ("province_id", "set_by")},
                                  "at": as_of, **mark}
    raise ValueError(f"no view list {name}")


# ---------------------------------------------------------------- restatements: applying them

def apply_restatement(db: Db, d: dict) -> bool:
    """Apply one part of a restatement; True when it completed the restatement (and swept)."""
    rid, as_of = d["restatement_id"], _utc(d["as_of"])
    for name, (coll, _, time_field) in VIEW.items():
        records = d.get(name) or []
        if not records:
            continue
        docs = dict(view_document(name, r, as_of, rid) for r in records)
        known = {k["_id"]: k.get(time_field) for k in db[coll].find({"_id": {"$in": list(docs)}}, {time_field: 1})}
        writes = [ReplaceOne({"_id": i}, doc, upsert=True) for i, doc in docs.items()
                  if restated_replaces(known.get(i), as_of)]
        if writes:
            db[coll].bulk_write(writes, ordered=False)
    db[RESTATEMENTS].update_one({"_id": rid}, {"$addToSet": {"seen": int(d["part"])},
                                               "$setOnInsert": {"parts": int(d["parts"]), "as_of": as_of,
                                                                "swept_at": None}}, upsert=True)
    counted = db[RESTATEMENTS].find_one({"_id": rid})
    if counted.get("swept_at") is not None or not parts_complete(counted.get("seen", []), counted["parts"]):
        return False
    removed = {}
    for coll, _, time_field in VIEW.values():
        gone = [doc["_id"] for doc in db[coll].find({}, {time_field: 1, "restatement": 1})
                if swept(doc, time_field, rid, as_of)]
        for i in range(0, len(gone), 1000):
            db[coll].delete_many({"_id": {"$in": gone[i:i + 1000]}})
        removed[coll] = len(gone)
    db[RESTATEMENTS].update_one({"_id": rid}, {"$set": {"swept_at": datetime.now(timezone.utc), "removed": removed}})
    return True


# ---------------------------------------------------------------- live events

def _restated_up_to(db: Db) -> datetime | None:
    """The `as_of` of the latest restatement this consumer completed."""
    done = db[RESTATEMENTS].find({"swept_at": {"$ne": None}}, {"as_of": 1}, sort=[("as_of", -1)], limit=1)
    return done[0]["as_of"] if done else None


def _applies(db: Db, coll: str, doc_id: str, at: datetime) -> bool:
    doc = db[coll].find_one({"_id": doc_id}, {"restated_at": 1})
    if doc is not None:
        return live_event_applies(doc.get("restated_at"), at)
    return live_event_applies(None, at, False, _restated_up_to(db))


def apply_registry_event(db: Db, envelope: dict) -> None:
    """Fold one registry event into the read model (unknown types are ignored)."""
    kind = envelope["type"].rsplit(".", 1)[0]
    d = envelope.get("data") or {}
    at = event_time(envelope)
    if kind == RESTATED:
        apply_restatement(db, d)
    elif kind == "registry.unit.created":
        if _applies(db, "units", d["unit_id"], at):
            db.units.update_one({"_id": d["unit_id"]}, {"$set": {"path": d["path"], "kind": d["kind"], "name": d["name"]},
                                                        "$max": {"at": at}}, upsert=True)
    elif kind == "registry.kanoon.requested":
        if _applies(db, "kanoons", d["kanoon_id"], at):
            db.kanoons.update_one({"_id": d["kanoon_id"]}, {"$setOnInsert": {
                "name": d["name"], "kind": d["kind"], "field": d.get("field"), "unit_path": d["unit_path"],
                "status": "requested", "head_id": d["head_id"], "deputy_id": d["deputy_id"],
                "founding_date": None, "closed_on": None}, "$max": {"at": at}}, upsert=True)
    elif kind == "registry.kanoon.approved":
        if _applies(db, "kanoons", d["kanoon_id"], at):
            db.kanoons.update_one({"_id": d["kanoon_id"]}, {"$set": {
                "name": d["name"], "kind": d["kind"], "field": d.get("field"), "unit_path": d["unit_path"],
                "status": "active", "head_id": d["head_id"], "deputy_id": d["deputy_id"],
                "founding_date": _date(d["founding_date"])}, "$setOnInsert": {"closed_on": None},
                "$max": {"at": at}}, upsert=True)
    elif kind == "registry.province_settings.set":
        if _applies(db, "province_settings", d["province_id"], at):
            db.province_settings.update_one({"_id": d["province_id"]}, {"$set": {
                k: v for k, v in d.items() if k not in ("province_id", "set_by")}, "$max": {"at": at}}, upsert=True)
    elif kind == "registry.kanoon.leadership_handed_over":
        if _applies(db, "kanoons", d["kanoon_id"], at):
            field = "head_id" if d["position"] == "head" else "deputy_id"
            db.kanoons.update_one({"_id": d["kanoon_id"]}, {"$set": {field: d["to_person_id"]}, "$max": {"at": at}})
    elif kind == "registry.kanoon.rejected":
        if _applies(db, "kanoons", d["kanoon_id"], at):
            db.kanoons.update_one({"_id": d["kanoon_id"], "status": {"$ne": "active"}},
                                  {"$set": {"status": "rejected"}, "$max": {"at": at}})
    elif kind == "registry.member.joined":
        _membership(db, d["person_id"], d["kanoon_id"], at, kind_=d.get("member_kind"))
    elif kind == "registry.member.left":
        current = db.members.find_one({"_id": d["person_id"]})
        if current and current.get("kanoon_id") == d["kanoon_id"] and current["since"] <= at:
            db.members.update_one({"_id": d["person_id"]}, {"$set": {"kanoon_id": None, "since": at}})
        elif current is None and live_event_applies(None, at, False, _restated_up_to(db)):
            db.members.insert_one({"_id": d["person_id"], "kanoon_id": None, "since": at, "kind": None})
    elif kind == "registry.person.kind_changed":
        if _applies(db, "members", d["person_id"], at):
            db.members.update_one({"_id": d["person_id"]}, {"$set": {"kind": d["kind"]}})
    elif kind == "registry.role.assigned":
        if _applies(db, "grants", d["assignment_id"], at):
            db.grants.update_one({"_id": d["assignment_id"]}, {
                "$set": {"person_id": d["person_id"], "role": d["role"], "scope_id": d["scope_id"],
                         "scope_kind": d["scope_kind"], "field": d.get("field"),
                         "valid_from": _date(d.get("valid_from")), "valid_to": _date(d.get("valid_to"))},
                "$setOnInsert": {"revoked": False}, "$max": {"at": at}}, upsert=True)
    elif kind == "registry.role.revoked":
        if _applies(db, "grants", d["assignment_id"], at):
            db.grants.update_one({"_id": d["assignment_id"]},
                                 {"$set": {"revoked": True, "person_id": d["person_id"], "role": d["role"],
                                           "scope_id": d["scope_id"]}, "$max": {"at": at}}, upsert=True)


class RegistryView:
    """Reads of the read model; a service's repository inherits them."""

    def __init__(self, db: Db):
        self.db = db

    def actor(self, user_id: str | None, person_id: str | None, today: date) -> Actor | None:
        """The caller with the roles known from the registry's events (never what a caller claims)."""
        if not user_id or not person_id:
            return None
        return Actor(user_id=user_id, person_id=person_id, grants=self.grants_of(person_id, today))

    def unit_path(self, unit_id: str) -> tuple[list[str], str]:
        """A unit's or a kanoon's path and kind."""
        u = self.db.units.find_one({"_id": unit_id})
        if u is not None:
            return u["path"], u["kind"]
        k = self.db.kanoons.find_one({"_id": unit_id})
        if k is not None:
            return [*k["unit_path"], unit_id], "kanoon"
        raise NotFound(f"no unit or kanoon {unit_id}", "unit_id")

    def target(self, unit_id: str) -> tuple[list[str], str | None]:
        """A unit's or a kanoon's path, and the kanoon's specialized field (field-bound grants)."""
        path, kind = self.unit_path(unit_id)
        if kind != "kanoon":
            return path, None
        return path, (self.db.kanoons.find_one({"_id": unit_id}, {"field": 1}) or {}).get("field")

    def ancestor_of_kind(self, path: list[str], kind: str) -> str | None:
        """The unit of `kind` on a path."""
        doc = self.db.units.find_one({"_id": {"$in": list(path)}, "kind": kind}, {"_id": 1})
        return doc["_id"] if doc else None

    def settings_of(self, path: list[str]) -> dict:
        """What the province of `path` set in the registry (§9); empty when it set nothing."""
        province = self.ancestor_of_kind(path, "province")
        doc = self.db.province_settings.find_one({"_id": province}) if province else None
        return {k: v for k, v in (doc or {}).items() if k != "_id" and v is not None}

    def membership(self, person_id: str) -> dict | None:
        return self.db.members.find_one({"_id": person_id})

    def grants_of(self, person_id: str, today: date) -> list[Grant]:
        out = []
        for g in self.db.grants.find({"person_id": person_id, "revoked": {"$ne": True}}):
            vf, vt = g.get("valid_from"), g.get("valid_to")
            if vf is not None and vf.date() > today or vt is not None and vt.date() < today:
                continue
            out.append(Grant(role=g["role"], scope_id=g["scope_id"], scope_kind=g.get("scope_kind", ""),
                             field=g.get("field")))
        return out
