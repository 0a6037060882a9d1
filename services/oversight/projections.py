"""The oversight service's read models: the registry's (kernel.registry_view) with the registrations
of khademyars and yavars, and the findings it raises from the finance service's events for review
(DOMAIN §6.4)."""
from __future__ import annotations

from datetime import datetime

from kernel import registry_view
from kernel.registry_view import event_time
from kernel.store import Db

from .domain.stewardship import Finding, findings_of
from .repository import Repository


def apply_registry_event(db: Db, envelope: dict) -> None:
    """The registry's view, and who is registered as what in which city: a complaint or a violation
    may concern a khademyar or yavar not (yet) in a kanoon (§6.1, §6.3, domain.complaints.member_unit)."""
    registry_view.apply_registry_event(db, envelope)
    apply_registration_event(db, envelope)


def apply_registration_event(db: Db, envelope: dict) -> None:
    """`people`: each registered person's kind and city. Idempotent; the kind follows the latest
    event that set it (a kind change of an imported person may arrive before its import's event)."""
    kind = envelope["type"].rsplit(".", 1)[0]
    d = envelope.get("data") or {}
    at = event_time(envelope)
    if kind == "registry.person.registered":
        _registered(db, d["person_id"], d.get("kind"), d.get("city_id"), at)
    elif kind == "registry.people.imported":
        for p in d.get("people") or []:
            _registered(db, p["person_id"], p.get("kind"), p.get("city_id"), at)
    elif kind == "registry.person.kind_changed":
        db.people.update_one({"_id": d["person_id"]}, {"$setOnInsert": {"city_id": None, "kind_at": None}},
                             upsert=True)
        _kind(db, d["person_id"], d["kind"], at)


def _registered(db: Db, person_id: str, person_kind: str | None, city_id: str | None, at: datetime) -> None:
    db.people.update_one({"_id": person_id}, {"$set": {"city_id": city_id}, "$setOnInsert": {"kind_at": None}},
                         upsert=True)
    _kind(db, person_id, person_kind, at)


def _kind(db: Db, person_id: str, person_kind: str | None, at: datetime) -> None:
    db.people.update_one({"_id": person_id, "$or": [{"kind_at": None}, {"kind_at": {"$lte": at}}]},
                         {"$set": {"kind": person_kind, "kind_at": at}})


def apply_finance_event(db: Db, envelope: dict) -> None:
    """Idempotent: a finding's id is its event's, so a redelivered event raises nothing new."""
    repo = Repository(db)
    for n, (kind, owner_id, detail, amount) in enumerate(findings_of(envelope["type"], envelope.get("data") or {})):
        path, _ = repo.unit_path(owner_id)
        province = repo.ancestor_of_kind(path, "province") or ""
        repo.add_finding(Finding(id=f"{envelope['id']}:{n}", kind=kind, owner_id=owner_id, path=path,
                                 province_id=province, detail=detail, amount=amount,
                                 raised_at=event_time(envelope)))


def apply_audit_event(db: Db, envelope: dict) -> None:
    """Any service's `*.personal_data.accessed` event: a row of the audit trail."""
    Repository(db).record_access(envelope)
