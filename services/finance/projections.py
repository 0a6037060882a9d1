"""The finance service's read models, kept from events: the registry's (kernel.registry_view), the
reports service's executive projects (whose money is tracked here), the period figures of money
received (kernel.buckets) and the ledger's balances. Handlers record
deltas; one folder each adds them up, so no two handlers write the same hot document."""
from __future__ import annotations

from kernel import buckets
from kernel.registry_view import apply_registry_event  # noqa: F401 (the registry's events, kernel)
from kernel.store import Db

from .domain import figures
from .repository import FIGURES, Repository


def apply_own_event(db: Db, envelope: dict) -> None:
    d = envelope.get("data") or {}
    repo = Repository(db)
    lines = figures.posting_lines(envelope["type"], d)
    if lines:
        repo.add_balance_delta(envelope["id"], lines)
    for n, (path, month, inc) in enumerate(figures.grouped(envelope["type"], d)):
        repo.add_figure_delta(f"{envelope['id']}:{n}", path, month, inc)


def apply_reports_event(db: Db, envelope: dict) -> None:
    """Executive projects as the reports service proposes them and kanoons join them; idempotent
    ($set and $addToSet), so a redelivered event changes nothing."""
    kind = envelope["type"].rsplit(".", 1)[0]
    d = envelope.get("data") or {}
    if kind == "reports.project.proposed":
        path = d.get("kanoon_path") or Repository(db).unit_path(d["kanoon_id"])[0]
        db.executive_projects.update_one({"_id": d["project_id"]}, {
            "$set": {"kanoon_id": d["kanoon_id"], "kanoon_path": path, "title": d.get("title"),
                     "need_ids": d["need_ids"]}, "$setOnInsert": {"partners": []}}, upsert=True)
    elif kind == "reports.project.answered" and d.get("answer") == "joined":
        db.executive_projects.update_one({"_id": d["project_id"]}, {"$addToSet": {"partners": d["kanoon_id"]}})


def fold_figures(db: Db, rows: list[dict]) -> None:
    buckets.fold(db, FIGURES, rows)


def fold_balances(db: Db, rows: list[dict]) -> None:
    merged: dict[str, int] = {}
    for row in rows:
        for account, amount in row["lines"]:
            merged[account] = merged.get(account, 0) + amount
    for account, amount in merged.items():
        if amount:
            db.balances.update_one({"_id": account}, {"$inc": {"balance": amount}}, upsert=True)
