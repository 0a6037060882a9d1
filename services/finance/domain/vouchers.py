"""Financial documents (DOMAIN §5.4): a kanoon's or the province's expenses gathered into one
document, checked against the rules, sent to the Center, followed until reimbursed or returned with
a reason; every step dated and by whom. A document sent and not settled after the province's number
of days is overdue. Reimbursement posts to the ledger: what the Center owed back (`due:<owner>`) is
settled from the Center's account (`center:<province>`)."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .expenses import Expense
from .ledger import Posting

DEFAULT_OVERDUE_DAYS = 30
# What the checker attests: the rest is checked by the service itself.
ATTESTED_RULES = ("signed_by_officials", "within_budget_heading", "invoices_legible")


class VoucherStatus(StrEnum):
    draft = "draft"
    checked = "checked"
    sent = "sent"
    reimbursed = "reimbursed"
    returned = "returned"


class VoucherStep(BaseModel):
    step: str
    at: datetime
    by: str
    note: str | None = None


class Voucher(BaseModel):
    id: str
    owner_id: str
    owner_path: list[str]
    province_id: str
    expense_ids: list[str]
    total: int
    status: VoucherStatus = VoucherStatus.draft
    checks: dict[str, bool] = {}
    sent_at: datetime | None = None
    return_reason: str | None = None
    posting_id: str | None = None
    steps: list[VoucherStep] = []
    version: int = 0

    @classmethod
    def gather(cls, *, owner_id: str, owner_path: list[str], province_id: str, expenses: list[Expense],
               taken: set[str], by: str, clock: Clock) -> tuple["Voucher", list]:
        """`taken`: the expenses already in another document."""
        if not expenses:
            raise Invalid("a financial document gathers at least one expense", "expense_ids")
        for e in expenses:
            if e.owner_id != owner_id:
                raise Invalid(f"the expense {e.id} is another kanoon's or province's", "expense_ids")
            if e.funding_id is not None:
                raise Conflict(f"the expense {e.id} was spent from a body's funding ({e.funding_id}); it is settled "
                               "with that body, not reimbursed by the Center", "expense_ids")
            if e.id in taken:
                raise Conflict(f"the expense {e.id} is in another financial document", "expense_ids")
        v = cls(id=clock.new_id("fd"), owner_id=owner_id, owner_path=owner_path, province_id=province_id,
                expense_ids=[e.id for e in expenses], total=sum(e.amount for e in expenses),
                steps=[VoucherStep(step="drafted", at=clock.now(), by=by)])
        return v, [ev.VoucherDrafted(voucher_id=v.id, owner_id=owner_id, total=v.total, expenses=len(expenses))]

    def _move(self, to: VoucherStatus, by: str, clock: Clock, note: str | None = None) -> None:
        self.status = to
        self.steps.append(VoucherStep(step=to.value, at=clock.now(), by=by, note=note))

    def check(self, attested: dict[str, bool], expenses: list[Expense], by: str, clock: Clock) -> list:
        """Against the rules: every expense documented and the total right (checked here), and what
        the checker attests (ATTESTED_RULES). All must hold."""
        if self.status not in (VoucherStatus.draft, VoucherStatus.returned):
            raise Conflict(f"the document is {self.status}; a draft or a returned one is checked", "status")
        computed = {"every_expense_documented": all(e.document_ids for e in expenses),
                    "total_matches": sum(e.amount for e in expenses) == self.total
                    and sorted(e.id for e in expenses) == sorted(self.expense_ids)}
        missing = [r for r in ATTESTED_RULES if not attested.get(r)]
        failed = [r for r, ok in computed.items() if not ok]
        if failed or missing:
            raise Invalid("the document does not pass: " + ", ".join(failed + missing), "checks")
        self.checks = {**computed, **{r: True for r in ATTESTED_RULES}}
        self.return_reason = None
        self._move(VoucherStatus.checked, by, clock)
        return [ev.VoucherStepped(voucher_id=self.id, owner_id=self.owner_id, status=self.status, by=by)]

    def send(self, by: str, clock: Clock) -> list:
        if self.status != VoucherStatus.checked:
            raise Conflict(f"the document is {self.status}; only a checked one is sent to the Center", "status")
        self.sent_at = clock.now()
        self._move(VoucherStatus.sent, by, clock)
        return [ev.VoucherStepped(voucher_id=self.id, owner_id=self.owner_id, status=self.status, by=by)]

    def reimburse(self, by: str, clock: Clock) -> tuple[Posting, list]:
        if self.status != VoucherStatus.sent:
            raise Conflict(f"the document is {self.status}; only a sent one is reimbursed", "status")
        posting = Posting.make(kind="reimbursement", ref=self.id, by=by, clock=clock,
                               lines=[(f"due:{self.owner_id}", self.total), (f"center:{self.province_id}", -self.total)])
        self.posting_id = posting.id
        self._move(VoucherStatus.reimbursed, by, clock)
        return posting, [ev.VoucherStepped(voucher_id=self.id, owner_id=self.owner_id, status=self.status, by=by),
                         posting.event()]

    def give_back(self, reason: str, by: str, clock: Clock) -> list:
        """The Center returns it (or the checker does) with the reason; it is checked again."""
        if self.status not in (VoucherStatus.checked, VoucherStatus.sent):
            raise Conflict(f"the document is {self.status}; a checked or sent one is returned", "status")
        if not reason or len(reason.strip()) < 3:
            raise Invalid("a returned document states the reason", "reason")
        self.return_reason = reason
        self.sent_at = None
        self._move(VoucherStatus.returned, by, clock, reason)
        return [ev.VoucherStepped(voucher_id=self.id, owner_id=self.owner_id, status=self.status, by=by)]

    def overdue(self, now: datetime, days: int) -> bool:
        return self.status == VoucherStatus.sent and self.sent_at is not None and now - self.sent_at > timedelta(days=days)
