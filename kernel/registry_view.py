"""The registry as another service sees it: a read model of units, kanoons, memberships, role
grants and province settings, kept in that service's own database from the registry's events.
Every service that checks roles or places records in the tree keeps one (the services never call
the registry synchronously); this module is the one copy of how.

Events of one source arrive at least once and not necessarily in order (retries, several relays),
so each projection is idempotent and either commutes or compares the event's time with what it
already knows (memberships)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from pymongo import ASCENDING

from .access import Actor, Grant
from .errors import NotFound
from .store import Db

INDEXES = {
    "units": [[("path", ASCENDING)]],
    "kanoons": [[("unit_path", ASCENDING)]],
    "grants": [[("person_id", ASCENDING)]],
}


def ensure_indexes(db: Db) -> None:
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)


def event_time(envelope: dict) -> datetime:
    t = envelope.get("time")
    if isinstance(t, str):
        return datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t or datetime.now(timezone.utc)


def _date(v) -> datetime | None:
    if v is None:
        return None
    d = date.fromisoformat(v) if isinstance(v, str) else v
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def _membership(db: Db, person_id: str, kanoon_id: str | None, at: datetime, kind_: str | None) -> None:
    current = db.members.find_one({"_id": person_id})
    if current is not None and current["since"] > at:
        return  # a later change is already known
    doc = {"kanoon_id": kanoon_id, "since": at}
    if kind_:
        doc["kind"] = kind_
    db.members.update_one({"_id": person_id}, {"$set": doc}, upsert=True)


def apply_registry_event(db: Db, envelope: dict) -> None:
    """Fold one registry event into the read model (unknown types are ignored)."""
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
            k: v for k, v in d.items() if k not in ("province_id", "set_by")}}, upsert=True)
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
