"""The festival service's read models, kept from events: the registry's (kernel.registry_view), and
the points ledger — lines written by each event's handler (once: keyed by the event) — with the
scores folded from them by one writer (kernel.fold), so that many events never write the same score
document at once."""
from __future__ import annotations

from pymongo import UpdateOne

from kernel import jalali
from kernel.registry_view import apply_registry_event  # noqa: F401 (the registry's events, kernel)
from kernel.registry_view import event_time
from kernel.store import Db

from .domain import points
from .repository import Repository


class NotKnownYet(Exception):
    """The event names a kanoon the registry's events have not brought yet: retried later (with
    back-off, then parked for an operator), never applied without its points."""


class _Resolver:
    def __init__(self, repo: Repository):
        self.repo = repo

    def kanoon_path(self, kanoon_id: str) -> list[str] | None:
        path = self.repo.kanoon_path(kanoon_id)
        if path is None and self.repo.db.units.find_one({"_id": kanoon_id}, {"_id": 1}) is None:
            raise NotKnownYet(f"{kanoon_id} is neither a kanoon nor a unit known yet")
        return path   # None for a unit (a county's visit, a unit's opinion): no kanoon's points

    def member_kanoon(self, person_id: str):
        return self.repo.member_kanoon(person_id)

    def opinion_known(self, target_id: str, period: str):
        return self.repo.opinion_known(target_id, period)


def apply_points_event(db: Db, envelope: dict) -> int:
    """The ledger lines of one event (reports', oversight's or the festival's own); how many."""
    repo = Repository(db)
    if repo.has_lines_of(envelope["id"]):
        return 0   # applied before (the inbox forgot it, the ledger did not)
    at = event_time(envelope)
    d = envelope.get("data") or {}
    lines = points.lines_of(envelope["type"], d, envelope["id"], at, jalali.period_of(at, "year").year,
                            _Resolver(repo))
    if lines:
        repo.add_lines(lines)
        if envelope["type"].startswith("oversight.opinion.published."):
            repo.remember_opinion(d["target_id"], d["period"], d["revision"], round(float(d["rating"]) / 10, 2))
    return len(lines)


def fold_scores(db: Db, rows: list[dict]) -> None:
    """Add a batch of events' lines to their scores (per subject and year, per index)."""
    merged: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r["at"]):
        for sid, index, pts, kind, subject_id, year, kanoon_id, path in row["lines"]:
            m = merged.setdefault(sid, {"inc": {}, "set": {"kind": kind, "subject_id": subject_id, "year": year}})
            key = f"by_index.{index}"
            m["inc"][key] = m["inc"].get(key, 0.0) + pts
            if kanoon_id:
                m["set"].update(kanoon_id=kanoon_id, path=path)
    if merged:   # one round trip for the batch
        db.scores.bulk_write([UpdateOne({"_id": sid}, {"$inc": m["inc"], "$set": m["set"]}, upsert=True)
                              for sid, m in merged.items()], ordered=False)


def recompute(repo: Repository, year: int) -> dict:
    """The year's figures from the ledger alone, against the folded scores: the differences (none
    when the incremental figures are right)."""
    from_ledger: dict[tuple, dict[str, float]] = {}
    for row in repo.ledger_totals(year):
        key = (row["_id"]["k"], row["_id"]["s"], year)
        from_ledger.setdefault(key, {})[row["_id"]["i"]] = round(row["p"], 2)
    folded = {(d["kind"], d["subject_id"], d["year"]): {k: round(v, 2) for k, v in d.get("by_index", {}).items()}
              for d in repo.iter_scores(year)}
    differences = []
    for key in sorted(set(from_ledger) | set(folded)):
        a = {k: v for k, v in from_ledger.get(key, {}).items() if v}
        b = {k: v for k, v in folded.get(key, {}).items() if v}
        if a != b:
            differences.append({"kind": key[0], "subject_id": key[1], "ledger": a, "scores": b})
    return {"year": year, "subjects": len(from_ledger), "differences": differences}


def ranking_from_ledger(repo: Repository, unit_ids: list[str], year: int, weights: dict[str, float]
                        ) -> list[points.Ranked]:
    """The kanoons' ranking computed from the ledger alone (no folded score read)."""
    by_kanoon: dict[str, dict[str, float]] = {}
    for row in repo.kanoon_lines(year):
        into = by_kanoon.setdefault(row["subject_id"], {})
        into[row["index"]] = into.get(row["index"], 0.0) + row["points"]
    return points.rank([(k, points.weighted(by_kanoon.get(k, {}), weights)) for k in unit_ids])
