"""Expenses (DOMAIN §5.3): every expense carries its documents — it cannot be recorded without at
least one, each a file of the same kanoon or province not yet attached to another expense. An
expense posts to the ledger: its category's expense account is debited and either the reimbursement
the Center owes the kanoon or province (`due:<owner>`) credited or, when it spends money a body gave
(a funding, domain.fundings), that funding's fund. An expense may belong to one of the reports
service's executive projects, whose spending is then tracked here."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .documents import DocumentFile
from .fundings import ExecutiveProjectView, Funding
from .ledger import Posting


class Expense(BaseModel):
    id: str
    owner_id: str
    owner_path: list[str]
    province_id: str
    category: str
    description: str
    amount: int                    # rials
    spent_on: date
    document_ids: list[str]
    funding_id: str | None = None            # spent from money a body gave, not reimbursed by the Center
    executive_project_id: str | None = None
    posting_id: str
    recorded_by: str
    recorded_at: datetime
    version: int = 0

    @classmethod
    def record(cls, *, owner_id: str, owner_path: list[str], province_id: str, category: str, description: str,
               amount: int, spent_on: date, documents: list[DocumentFile], by: str, clock: Clock,
               funding: Funding | None = None, executive_project: ExecutiveProjectView | None = None) -> tuple["Expense", Posting, list]:
        if not documents:
            raise Invalid("an expense is recorded with its documents (invoices, receipts): attach at least one",
                          "document_ids")
        for d in documents:
            if d.owner_id != owner_id:
                raise Invalid(f"the document {d.id} belongs to another kanoon or province", "document_ids")
            if d.expense_id is not None:
                raise Conflict(f"the document {d.id} documents another expense ({d.expense_id})", "document_ids")
            if d.discharge_of is not None:
                raise Conflict(f"the document {d.id} is a discharge letter", "document_ids")
        if spent_on > clock.today():
            raise Invalid("an expense is recorded after it is spent", "spent_on")
        project_id = executive_project.id if executive_project else None
        if executive_project is not None and owner_id not in executive_project.kanoon_path:
            raise Invalid("the executive project is not this kanoon's or inside this province", "executive_project_id")
        eid = clock.new_id("ex")
        if funding is not None:
            if funding.executive_project_id and project_id and project_id != funding.executive_project_id:
                raise Invalid("the funding was given for another executive project", "executive_project_id")
            project_id = project_id or funding.executive_project_id
            funding.charge(eid, owner_id, amount)
        source = funding.account if funding is not None else f"due:{owner_id}"
        posting = Posting.make(kind="expense", ref=eid, by=by, clock=clock,
                               lines=[(f"expense:{category}:{owner_id}", amount), (source, -amount)])
        e = cls(id=eid, owner_id=owner_id, owner_path=owner_path, province_id=province_id, category=category,
                description=description, amount=amount, spent_on=spent_on, document_ids=[d.id for d in documents],
                funding_id=funding.id if funding else None, executive_project_id=project_id,
                posting_id=posting.id, recorded_by=by, recorded_at=clock.now())
        for d in documents:
            d.expense_id = e.id
        return e, posting, [ev.ExpenseRecorded(expense_id=e.id, owner_id=owner_id, owner_path=owner_path,
                                               category=category, amount=amount, documents=len(documents),
                                               funding_id=e.funding_id, executive_project_id=project_id),
                            posting.event()]
