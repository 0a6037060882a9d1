"""The oversight service's read models: the registry's (kernel.registry_view), and the findings it
raises from the finance service's events for review (DOMAIN §6.4)."""
from __future__ import annotations

from kernel.registry_view import apply_registry_event  # noqa: F401
from kernel.registry_view import event_time
from kernel.store import Db

from .domain.stewardship import Finding, findings_of
from .repository import Repository


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
