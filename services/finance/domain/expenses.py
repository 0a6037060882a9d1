"""Expenses (DOMAIN §5.3): every expense carries its documents — it cannot be recorded without at
least one, each a file of the same kanoon or province not yet attached to another expense. An
expense posts to the ledger: its category's expense account is debited and the reimbursement the
Center owes the kanoon or province (`due:<owner>`) credited."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .documents import DocumentFile
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
    posting_id: str
    recorded_by: str
    recorded_at: datetime
    version: int = 0

    @classmethod
    def record(cls, *, owner_id: str, owner_path: list[str], province_id: str, category: str, description: str,
               amount: int, spent_on: date, documents: list[DocumentFile], by: str, clock: Clock
               ) -> tuple["Expense", Posting, list]:
        if not documents:
            raise Invalid("an expense is recorded with its documents (invoices, receipts): attach at least one",
                          "document_ids")
        for d in documents:
            if d.owner_id != owner_id:
                raise Invalid(f"the document {d.id} belongs to another kanoon or province", "document_ids")
            if d.expense_id is not None:
                raise Conflict(f"the document {d.id} documents another expense ({d.expense_id})", "document_ids")
        if spent_on > clock.today():
            raise Invalid("an expense is recorded after it is spent", "spent_on")
        eid = clock.new_id("ex")
        posting = Posting.make(kind="expense", ref=eid, by=by, clock=clock,
                               lines=[(f"expense:{category}:{owner_id}", amount), (f"due:{owner_id}", -amount)])
        e = cls(id=eid, owner_id=owner_id, owner_path=owner_path, province_id=province_id, category=category,
                description=description, amount=amount, spent_on=spent_on, document_ids=[d.id for d in documents],
                posting_id=posting.id, recorded_by=by, recorded_at=clock.now())
        for d in documents:
            d.expense_id = e.id
        return e, posting, [ev.ExpenseRecorded(expense_id=e.id, owner_id=owner_id, owner_path=owner_path,
                                               category=category, amount=amount, documents=len(documents)),
                            posting.event()]
