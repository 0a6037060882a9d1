"""The protection committee's rulings where they bite (DOMAIN §6.3: rulings "become the basis of
future cooperation"). The oversight service publishes them; the registry and the reports service
keep them (`apply_ruling_event`, a read model like kernel.registry_view) and refuse what they
forbid while they are in force:

- barred from heading a kanoon: not proposed as a kanoon's head, not handed the headship, not given
  the kanoon head's role;
- suspended from membership: cannot join a kanoon (and the reports service refuses their activity
  reports).

A ruling is in force from its first day until the day before its end, unless lifted; a warning
forbids nothing."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from pydantic import BaseModel

from . import jalali
from .documents import from_doc
from .errors import Conflict
from .store import Db


class Restriction(BaseModel):
    id: str                     # the ruling's id
    person_id: str
    kind: str                   # warning | barred_from_headship | suspended
    starts_on: date | None      # None until the ruling itself arrives (a lift seen first)
    ends_on: date | None
    lifted: bool = False

    def in_force(self, today: date) -> bool:
        return (not self.lifted and self.kind != "warning" and self.starts_on is not None and self.starts_on <= today
                and (self.ends_on is None or today < self.ends_on))


def _first(restrictions: list[Restriction], kinds: set[str], today: date) -> Restriction | None:
    live = [r for r in restrictions if r.kind in kinds and r.in_force(today)]
    return max(live, key=lambda r: r.ends_on or date.max) if live else None


def check_may_head(restrictions: list[Restriction], today: date, field: str) -> None:
    """Barred (or suspended) people do not head a kanoon."""
    r = _first(restrictions, {"barred_from_headship", "suspended"}, today)
    if r is not None:
        what = "barred from heading a kanoon" if r.kind == "barred_from_headship" else "suspended from membership"
        raise Conflict(f"by a ruling of the protection committee this person is {what} "
                       f"until {jalali.format_date(r.ends_on)}", field)


def check_may_join(restrictions: list[Restriction], today: date, field: str) -> None:
    r = _first(restrictions, {"suspended"}, today)
    if r is not None:
        raise Conflict("by a ruling of the protection committee this person is suspended from membership "
                       f"until {jalali.format_date(r.ends_on)}", field)


def _day(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.combine(date.fromisoformat(text[:10]), time(0), tzinfo=timezone.utc)


def apply_ruling_event(db: Db, envelope: dict) -> None:
    """Keep oversight.ruling.* in `restrictions`; idempotent (a redelivered event sets the same
    fields), and a lift seen before its ruling is not undone by the ruling."""
    kind = envelope["type"].rsplit(".", 1)[0]
    d = envelope.get("data") or {}
    if kind == "oversight.ruling.issued":
        db.restrictions.update_one({"_id": d["ruling_id"]}, {
            "$set": {"person_id": d["person_id"], "kind": d["kind"], "starts_on": _day(d["starts_on"]),
                     "ends_on": _day(d.get("ends_on"))}, "$setOnInsert": {"lifted": False}}, upsert=True)
    elif kind == "oversight.ruling.lifted":
        db.restrictions.update_one({"_id": d["ruling_id"]}, {
            "$set": {"person_id": d["person_id"], "lifted": True},
            "$setOnInsert": {"kind": "unknown", "starts_on": None, "ends_on": None}}, upsert=True)


def restrictions_of(db: Db, person_id: str) -> list[Restriction]:
    return [from_doc(Restriction, d) for d in db.restrictions.find({"person_id": person_id})]


def ensure_indexes(db: Db) -> None:
    db.restrictions.create_index("person_id")
