"""Money received from bodies and its settlement, both ways (DOMAIN §5.4, §5.6).

A **funding** is an amount a body (the Center, an Astan body, a province body, a charity …) gave a
province or a kanoon, possibly for one of the reports service's executive projects. It is held in
its own fund account until it is spent — by expenses charged to it, each carrying its documents —
or what is left is returned to the body:

    received   fund:<id>        +amount    body:<province>:<body>   −amount
    spent      expense:<c>:<o>  +x         fund:<id>                −x
    returned   body:<…>         +r         fund:<id>                −r

so the fund's balance is exactly what is not yet documented. The **settlement certificate**
(مفاصاحساب) is issued only when that balance is zero; until then the settlement shows what is
missing. After it, the HQ **obtains a discharge** from the body: requested, followed up (each time
dated, by whom, with a note), received with the body's letter as a document."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.persian import name_key
from .. import events as ev
from .documents import DocumentFile
from .ledger import Posting


class BodyKind(StrEnum):
    center = "center"                  # the Center (ستاد مرکزی)
    astan = "astan"                    # an Astan body
    province_body = "province_body"    # a body of the province (governorate, municipality …)
    charity = "charity"                # a charity or a benefactor's institution
    other = "other"


class Certificate(BaseModel):
    id: str
    issued_at: datetime
    by: str
    received: int
    documented: int
    returned: int
    expense_ids: list[str]


class FollowUp(BaseModel):
    at: datetime
    by: str
    note: str


class DischargeStatus(StrEnum):
    requested = "requested"
    received = "received"


class Discharge(BaseModel):
    status: DischargeStatus
    requested_at: datetime
    requested_by: str
    follow_ups: list[FollowUp] = []
    received_at: datetime | None = None
    received_by: str | None = None
    document_id: str | None = None      # the body's letter


class Return(BaseModel):
    amount: int
    at: datetime
    by: str
    note: str
    posting_id: str


class Funding(BaseModel):
    id: str
    body: str
    body_kind: BodyKind
    body_key: str                     # the body's name normalised: one account per body and province
    owner_id: str                     # the kanoon or the province that received it
    owner_path: list[str]
    province_id: str
    amount: int
    received_on: date
    purpose: str
    reference: str | None = None      # the body's letter or transfer number
    executive_project_id: str | None = None
    spent: int = 0
    expense_ids: list[str] = []
    returns: list[Return] = []
    certificate: Certificate | None = None
    discharge: Discharge | None = None
    posting_id: str
    recorded_by: str
    recorded_at: datetime
    version: int = 0

    @property
    def account(self) -> str:
        return f"fund:{self.id}"

    @property
    def body_account(self) -> str:
        return f"body:{self.province_id}:{self.body_key}"

    @property
    def returned(self) -> int:
        return sum(r.amount for r in self.returns)

    @property
    def missing(self) -> int:
        """Rials received and neither documented by an expense nor returned."""
        return self.amount - self.spent - self.returned

    @classmethod
    def receive(cls, *, body: str, body_kind: BodyKind, owner_id: str, owner_path: list[str], province_id: str,
                amount: int, received_on: date, purpose: str, reference: str | None,
                executive_project: "ExecutiveProjectView | None", by: str, clock: Clock
                ) -> tuple["Funding", Posting, list]:
        if received_on > clock.today():
            raise Invalid("money is recorded once received, not before", "received_on")
        key = name_key(body)
        if not key:
            raise Invalid("the body that gave the money is named", "body")
        if executive_project is not None and owner_id not in executive_project.kanoon_path:
            raise Invalid("the executive project is not this kanoon's or inside this province", "executive_project_id")
        fid = clock.new_id("fu")
        posting = Posting.make(kind="funding", ref=fid, by=by, clock=clock,
                               lines=[(f"fund:{fid}", amount), (f"body:{province_id}:{key}", -amount)])
        f = cls(id=fid, body=body.strip(), body_kind=body_kind, body_key=key, owner_id=owner_id, owner_path=owner_path,
                province_id=province_id, amount=amount, received_on=received_on, purpose=purpose,
                reference=reference, executive_project_id=executive_project.id if executive_project else None,
                posting_id=posting.id, recorded_by=by, recorded_at=clock.now())
        return f, posting, [ev.FundingReceived(funding_id=fid, body=f.body, body_kind=body_kind, owner_id=owner_id,
                                               owner_path=owner_path, amount=amount,
                                               executive_project_id=f.executive_project_id),
                            posting.event()]

    def _check_open(self) -> None:
        if self.certificate is not None:
            raise Conflict(f"the funding is settled (certificate {self.certificate.id}); nothing more is charged "
                           "to it", "funding_id")

    def charge(self, expense_id: str, owner_id: str, amount: int) -> None:
        """An expense spends from this funding (Expense.record posts it)."""
        self._check_open()
        if owner_id != self.owner_id:
            raise Invalid("the funding was received by another kanoon or province", "funding_id")
        if amount > self.missing:
            raise Conflict(f"the funding has {self.missing} rials left to spend; the expense is {amount}", "amount")
        self.spent += amount
        self.expense_ids.append(expense_id)

    def give_back(self, amount: int, note: str, by: str, clock: Clock) -> tuple[Posting, list]:
        """What is left unspent goes back to the body."""
        self._check_open()
        if amount > self.missing:
            raise Conflict(f"only {self.missing} rials of the funding are unspent", "amount")
        if not note or len(note.strip()) < 3:
            raise Invalid("a return states how it was paid back", "note")
        posting = Posting.make(kind="funding_return", ref=self.id, by=by, clock=clock,
                               lines=[(self.body_account, amount), (self.account, -amount)])
        self.returns.append(Return(amount=amount, at=clock.now(), by=by, note=note, posting_id=posting.id))
        return posting, [ev.FundingReturned(funding_id=self.id, owner_id=self.owner_id, amount=amount,
                                            missing=self.missing), posting.event()]

    @property
    def finished(self) -> bool:
        """Certified and its discharge received: nothing more to follow."""
        return (self.certificate is not None and self.discharge is not None
                and self.discharge.status == DischargeStatus.received)

    def settlement(self) -> dict:
        """The settlement as it stands: what was received, documented, returned and is missing."""
        return {"funding_id": self.id, "body": self.body, "received": self.amount, "documented": self.spent,
                "returned": self.returned, "missing": self.missing, "complete": self.missing == 0,
                "expense_ids": list(self.expense_ids),
                "certificate_id": self.certificate.id if self.certificate else None}

    def certify(self, by: str, clock: Clock) -> list:
        """The settlement certificate: only when every rial is documented or returned."""
        if self.certificate is not None:
            raise Conflict(f"the certificate {self.certificate.id} is issued already", "funding_id")
        if self.missing:
            raise Conflict(f"the settlement is not complete: {self.missing} of {self.amount} rials are neither "
                           "documented by an expense nor returned", "funding_id")
        self.certificate = Certificate(id=clock.new_id("sc"), issued_at=clock.now(), by=by, received=self.amount,
                                       documented=self.spent, returned=self.returned,
                                       expense_ids=list(self.expense_ids))
        return [ev.SettlementCertified(funding_id=self.id, certificate_id=self.certificate.id, owner_id=self.owner_id,
                                       received=self.amount, documented=self.spent, returned=self.returned)]

    # -- the discharge obtained from the body (§5.6)
    def request_discharge(self, note: str, by: str, clock: Clock) -> list:
        if self.certificate is None:
            raise Conflict(f"a discharge is requested once the settlement is certified ({self.missing} rials are "
                           "still missing)", "funding_id")
        if self.discharge is not None:
            raise Conflict(f"the discharge was requested on {self.discharge.requested_at:%Y-%m-%d}; follow it up",
                           "funding_id")
        self.discharge = Discharge(status=DischargeStatus.requested, requested_at=clock.now(), requested_by=by,
                                   follow_ups=[FollowUp(at=clock.now(), by=by, note=note)])
        return [self._discharge_event(by)]

    def follow_up_discharge(self, note: str, by: str, clock: Clock) -> list:
        if self.discharge is None or self.discharge.status != DischargeStatus.requested:
            raise Conflict("only a requested, not yet received discharge is followed up", "funding_id")
        if not note or len(note.strip()) < 3:
            raise Invalid("a follow-up says what was done", "note")
        self.discharge.follow_ups.append(FollowUp(at=clock.now(), by=by, note=note))
        return [self._discharge_event(by)]

    def receive_discharge(self, letter: DocumentFile, by: str, clock: Clock) -> list:
        if self.discharge is None or self.discharge.status != DischargeStatus.requested:
            raise Conflict("the discharge is received after it was requested, once", "funding_id")
        if letter.owner_id not in self.owner_path:
            raise Invalid("the letter is another province's or kanoon's document", "document_id")
        if letter.expense_id is not None or letter.discharge_of is not None:
            raise Conflict(f"the document {letter.id} is attached to something else", "document_id")
        letter.discharge_of = self.id
        self.discharge.status = DischargeStatus.received
        self.discharge.received_at, self.discharge.received_by = clock.now(), by
        self.discharge.document_id = letter.id
        return [self._discharge_event(by)]

    def _discharge_event(self, by: str) -> ev.DischargeStepped:
        d = self.discharge
        return ev.DischargeStepped(funding_id=self.id, owner_id=self.owner_id, body=self.body, status=d.status,
                                   follow_ups=len(d.follow_ups), by=by)

    def days_waiting(self, today: date) -> int | None:
        """Days since the discharge was requested, while it has not been received: `today` is a day in
        Iran, so the request's instant is taken as Iran's day too (after 20:30 UTC it is tomorrow)."""
        d = self.discharge
        if d is None or d.status != DischargeStatus.requested:
            return None
        return (today - jalali.local_date(d.requested_at)).days


class ExecutiveProjectView(BaseModel):
    """An executive project as the reports service announced it (DOMAIN §3): the finance service
    tracks its funding and its spending."""
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    title: str | None = None
    need_ids: list[str] = []
    partners: list[str] = []          # the kanoons that joined it
