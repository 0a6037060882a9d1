"""Consolidated financial statements (DOMAIN §5.6): for a province and a Jalali period that has
ended, what was received (vows, contributions, gifts, endowments by channel; money from bodies by
body), what was spent (by category; from bodies' fundings or to be reimbursed by the Center), what
the Center reimbursed, and what is outstanding (settlements not complete, discharges not received).
Issued once per province and period as a fixed record, then sent to the Astan bodies, the province
bodies and the Center, each sending dated and by whom."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.jalali import Period
from .. import events as ev
from .expenses import Expense
from .fundings import DischargeStatus, Funding


class Recipient(StrEnum):
    astan_bodies = "astan_bodies"
    province_bodies = "province_bodies"
    center = "center"


class Sending(BaseModel):
    at: datetime
    by: str
    reference: str | None = None


class BodyLine(BaseModel):
    body: str
    body_kind: str
    received: int
    documented: int
    returned: int
    missing: int


class Consolidated(BaseModel):
    id: str
    province_id: str
    province_path: list[str]
    period: str
    received: int                       # receipts, all channels
    receipts: int                       # how many
    by_channel: dict[str, int]
    funded: int                         # from bodies in the period
    by_body: list[BodyLine]
    spent: int
    spent_from_fundings: int
    spent_to_reimburse: int
    by_category: dict[str, int]
    reimbursed: int                     # by the Center in the period
    settlements_open: int               # fundings of the province not yet certified
    missing: int                        # their rials neither documented nor returned
    discharges_pending: int             # certified, discharge not yet received
    issued_at: datetime
    issued_by: str
    sent: dict[str, Sending] = {}
    version: int = 0

    @staticmethod
    def key(province_id: str, period: Period) -> str:
        return f"cs:{province_id}:{period}"

    @classmethod
    def issue(cls, *, province_id: str, province_path: list[str], period: Period, receipts: dict,
              fundings: list[Funding], expenses: list[Expense], reimbursed: int, outstanding: list[Funding],
              by: str, clock: Clock) -> tuple["Consolidated", list]:
        """`receipts`: the period's figures of the province (figures.summarize); `fundings` and
        `expenses`: those of the period; `outstanding`: the province's fundings whose settlement or
        discharge is not finished, whatever their period."""
        if clock.now() < period.end_utc:
            raise Invalid(f"the statement of {period} is issued once the period has ended", "period")
        bodies: dict[tuple[str, str], BodyLine] = {}
        for f in fundings:
            line = bodies.setdefault((f.body_key, f.body_kind), BodyLine(
                body=f.body, body_kind=f.body_kind, received=0, documented=0, returned=0, missing=0))
            line.received += f.amount
            line.documented += f.spent
            line.returned += f.returned
            line.missing += f.missing
        by_category: dict[str, int] = {}
        for e in expenses:
            by_category[e.category] = by_category.get(e.category, 0) + e.amount
        unsettled = [f for f in outstanding if f.certificate is None]
        pending = [f for f in outstanding if f.certificate is not None
                   and (f.discharge is None or f.discharge.status != DischargeStatus.received)]
        c = cls(id=cls.key(province_id, period), province_id=province_id, province_path=province_path,
                period=str(period), received=receipts.get("amount", 0), receipts=receipts.get("count", 0),
                by_channel={k: v.get("amount", 0) for k, v in (receipts.get("by_channel") or {}).items()},
                funded=sum(f.amount for f in fundings),
                by_body=sorted(bodies.values(), key=lambda b: (-b.received, b.body)),
                spent=sum(e.amount for e in expenses),
                spent_from_fundings=sum(e.amount for e in expenses if e.funding_id),
                spent_to_reimburse=sum(e.amount for e in expenses if not e.funding_id),
                by_category=by_category, reimbursed=reimbursed, settlements_open=len(unsettled),
                missing=sum(f.missing for f in unsettled), discharges_pending=len(pending),
                issued_at=clock.now(), issued_by=by)
        return c, [ev.ConsolidatedIssued(statement_id=c.id, province_id=province_id, period=c.period,
                                         received=c.received, funded=c.funded, spent=c.spent)]

    def send(self, recipient: Recipient, reference: str | None, by: str, clock: Clock) -> list:
        if recipient.value in self.sent:
            raise Conflict(f"the statement was sent to {recipient.value} already", "recipient")
        self.sent[recipient.value] = Sending(at=clock.now(), by=by, reference=reference)
        return [ev.ConsolidatedSent(statement_id=self.id, province_id=self.province_id, recipient=recipient.value,
                                    by=by)]
