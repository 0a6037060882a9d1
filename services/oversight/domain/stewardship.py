"""The rest of oversight (DOMAIN §6.4–§6.6): how vows are received and spent, reviewed from the
finance service's events (what looks unusual is listed for review, never decided automatically);
a register of corruption-prone processes; orientation sessions on rules and violations; and the
oversight group's opinion of every kanoon and unit per period, published for the evaluation (§7.3)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev

# An expense at or above this many rials is listed for review (a setting with a documented default).
LARGE_EXPENSE_RIALS = 100_000_000


class FindingKind(StrEnum):
    reconciliation_mismatch = "reconciliation_mismatch"   # a terminal's day does not match its receipts
    receipt_reversed = "receipt_reversed"                 # money recorded and taken back
    large_expense = "large_expense"                       # spending at or above LARGE_EXPENSE_RIALS
    returned_voucher = "returned_voucher"                 # the Center returned a financial document


class Finding(BaseModel):
    """Something in the money's trail listed for the oversight group to look at."""
    id: str                         # from the event that raised it: raised once however often delivered
    kind: FindingKind
    owner_id: str                   # the kanoon or province concerned
    path: list[str]
    province_id: str
    detail: str
    amount: int | None = None
    raised_at: datetime
    status: str = "open"            # open | reviewed
    review_note: str | None = None
    reviewed_by: str | None = None
    version: int = 0

    def review(self, note: str, by: str) -> list:
        if self.status == "reviewed":
            raise Conflict("the finding was reviewed already", "status")
        if not note or len(note.strip()) < 3:
            raise Invalid("a review says what was found", "note")
        self.status, self.review_note, self.reviewed_by = "reviewed", note.strip(), by
        return []


def findings_of(event_type: str, data: dict) -> list[tuple[FindingKind, str, str, int | None]]:
    """What a finance event raises for review: (kind, owner, detail, amount)."""
    kind = event_type.rsplit(".", 1)[0]
    if kind == "finance.statement.reconciled" and not data.get("matches", True):
        return [(FindingKind.reconciliation_mismatch, data.get("owner_id") or "",
                 f"terminal {data['terminal_id']} on {data['day']}: the statement differs from the receipts by "
                 f"{data['difference']} rials", abs(int(data["difference"])))]
    if kind == "finance.receipt.reversed":
        return [(FindingKind.receipt_reversed, data["owner_id"],
                 f"receipt {data['receipt_id']} reversed: {data.get('reason', '')}", int(data["amount"]))]
    if kind == "finance.expense.recorded" and int(data["amount"]) >= LARGE_EXPENSE_RIALS:
        return [(FindingKind.large_expense, data["owner_id"],
                 f"expense {data['expense_id']} ({data['category']}) of {data['amount']} rials", int(data["amount"]))]
    if kind == "finance.voucher.stepped" and data.get("status") == "returned":
        return [(FindingKind.returned_voucher, data["owner_id"], f"financial document {data['voucher_id']} returned",
                 None)]
    return []


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class ProcessRisk(BaseModel):
    """A corruption-prone process in the register: who owns it, how risky, what controls it."""
    id: str
    province_id: str
    process: str
    owner_role: str
    level: RiskLevel
    controls: list[str]
    reviewed_on: date
    updated_by: str
    version: int = 0

    @classmethod
    def register(cls, *, province_id: str, process: str, owner_role: str, level: RiskLevel, controls: list[str],
                 by: str, clock: Clock) -> "ProcessRisk":
        if not controls:
            raise Invalid("a process in the register names at least one control", "controls")
        return cls(id=clock.new_id("rk"), province_id=province_id, process=process, owner_role=owner_role,
                   level=level, controls=controls, reviewed_on=clock.today(), updated_by=by)

    def revise(self, *, level: RiskLevel, controls: list[str], by: str, clock: Clock) -> None:
        if not controls:
            raise Invalid("a process in the register names at least one control", "controls")
        self.level, self.controls, self.reviewed_on, self.updated_by = level, controls, clock.today(), by


class Session(BaseModel):
    """An orientation session on the rules and violations (§6.5)."""
    id: str
    unit_id: str
    path: list[str]
    held_on: date
    topic: str
    attendees: list[str]
    recorded_by: str

    @classmethod
    def record(cls, *, unit_id: str, path: list[str], held_on: date, topic: str, attendees: list[str], by: str,
               clock: Clock) -> "Session":
        if held_on > clock.today():
            raise Invalid("a session is recorded once held", "held_on")
        if not attendees:
            raise Invalid("a session has attendees", "attendees")
        if len(set(attendees)) != len(attendees):
            raise Invalid("each attendee once", "attendees")
        return cls(id=clock.new_id("os"), unit_id=unit_id, path=path, held_on=held_on, topic=topic,
                   attendees=attendees, recorded_by=by)


class Opinion(BaseModel):
    """The oversight group's assessment of a kanoon or unit for a Jalali period (§6.6): one per
    target and period; a revision replaces it and is published again."""
    id: str                         # op:<target>:<period>
    target_id: str
    path: list[str]
    province_id: str
    period: str
    rating: int                     # 0–100
    text: str
    by: str
    at: datetime
    revision: int = 1
    version: int = 0

    @staticmethod
    def key(target_id: str, period: str) -> str:
        return f"op:{target_id}:{period}"

    @classmethod
    def give(cls, *, target_id: str, path: list[str], province_id: str, period: str, rating: int, text: str,
             previous: "Opinion | None", by: str, clock: Clock) -> tuple["Opinion", list]:
        if not 0 <= rating <= 100:
            raise Invalid("a rating is 0 to 100", "rating")
        if not text or len(text.strip()) < 10:
            raise Invalid("the opinion gives its reasons in a sentence or more", "text")
        o = cls(id=cls.key(target_id, period), target_id=target_id, path=path, province_id=province_id,
                period=period, rating=rating, text=text.strip(), by=by, at=clock.now(),
                revision=previous.revision + 1 if previous else 1, version=previous.version if previous else 0)
        return o, [ev.OpinionPublished(target_id=target_id, province_id=province_id, period=period, rating=rating,
                                       revision=o.revision)]


def period_report(*, complaints: list, inspections: list, violations: list, sessions: list, findings: list,
                  now: datetime) -> dict:
    """An oversight report for the supervising bodies: what came in and what was done (§6.5)."""
    by_severity: dict[str, int] = {}
    for c in complaints:
        by_severity[c.severity or "untriaged"] = by_severity.get(c.severity or "untriaged", 0) + 1
    done = [i for i in inspections if i.status != "planned"]
    scores = [i.score for i in done if i.score is not None]
    rulings: dict[str, int] = {}
    for v in violations:
        if v.ruling is not None:
            rulings[v.ruling.kind] = rulings.get(v.ruling.kind, 0) + 1
    return {
        "complaints": {"received": len(complaints), "closed": sum(c.status == "closed" for c in complaints),
                       "overdue": sum(c.overdue(now) for c in complaints), "by_severity": by_severity},
        "inspections": {"planned": sum(i.kind == "periodic" for i in inspections), "done": len(done),
                        "mean_score": round(sum(scores) / len(scores), 1) if scores else None},
        "violations": {"recorded": len(violations), "escalated": sum(v.status in ("escalated", "ruled")
                                                                     for v in violations),
                       "rulings": rulings},
        "sessions": {"held": len(sessions), "attendees": sum(len(s.attendees) for s in sessions)},
        "findings": {"raised": len(findings), "open": sum(f.status == "open" for f in findings)},
    }
