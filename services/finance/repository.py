"""The only code of the finance service that speaks pymongo: loads and saves its records, keeps the
registry's read model (kernel.registry_view) and its period figures (kernel.buckets).

Receipts are keyed by terminal and reference number, so a receipt recorded twice fails on the key
and is reported as a duplicate; postings are inserted, never replaced, except to note the posting
that reversed them."""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from kernel import buckets, personal
from kernel.documents import Aggregates, from_doc, to_doc
from kernel.errors import Conflict, NotFound
from kernel.jalali import Period
from kernel.registry_view import RegistryView
from kernel.uploads import Files
from kernel.registry_view import ensure_indexes as registry_view_indexes

from .domain.assets import Asset
from .domain.documents import DocumentFile
from .domain.consolidated import Consolidated
from .domain.expenses import Expense
from .domain.fundings import ExecutiveProjectView, Funding
from .domain.ledger import Posting
from .domain.projects import Project
from .domain.vouchers import Voucher
from .domain.receipts import Receipt
from .domain.reconciliation import Statement
from .domain.terminals import Terminal

# A receipt's donor is sealed at rest (kernel.personal); a file's staged rows likewise.
DONOR_SEALED = ("donor",)


def _receipt_doc(r: Receipt) -> dict:
    return personal.sealer().seal_doc(to_doc(r), DONOR_SEALED)


def _open_receipt(doc: dict | None) -> Receipt | None:
    return from_doc(Receipt, personal.sealer().open_doc(doc, DONOR_SEALED))


INDEXES = {
    "terminals": [[("province_id", ASCENDING)], [("owner_path", ASCENDING)]],
    "receipts": [[("owner_path", ASCENDING), ("at", DESCENDING)], [("terminal_id", ASCENDING), ("at", ASCENDING)],
                 [("batch_id", ASCENDING)]],
    "postings": [[("ref", ASCENDING)]],
    "statements": [[("province_id", ASCENDING), ("day", ASCENDING)]],
    "batches": [[("status", ASCENDING), ("created_at", ASCENDING)]],
    "assets": [[("unit_path", ASCENDING)], [("custodian_id", ASCENDING)]],
    "projects": [[("kanoon_path", ASCENDING)]],
    "vouchers": [[("owner_path", ASCENDING), ("status", ASCENDING)], [("expense_ids", ASCENDING)],
                 [("province_id", ASCENDING), ("status", ASCENDING)]],
    "expenses": [[("owner_path", ASCENDING), ("spent_on", DESCENDING)], [("funding_id", ASCENDING)],
                 [("executive_project_id", ASCENDING)]],
    "fundings": [[("owner_path", ASCENDING), ("received_on", DESCENDING)], [("executive_project_id", ASCENDING)],
                 [("province_id", ASCENDING), ("certificate", ASCENDING)]],
    "executive_projects": [[("kanoon_path", ASCENDING)]],
    "consolidated": [[("province_id", ASCENDING), ("issued_at", DESCENDING)]],
    "document_files": [[("owner_path", ASCENDING)], [("expense_id", ASCENDING)]],
    "batch_chunks": [[("batch_id", ASCENDING), ("chunk", ASCENDING)]],
    "batch_outcomes": [[("batch_id", ASCENDING), ("chunk", ASCENDING)]],
}
FIGURES, FIGURE_DELTAS = "figures", "figure_deltas"


def ensure_indexes(db) -> None:
    registry_view_indexes(db)
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)
    # Receipts recorded before donors were sealed (kernel.personal).
    personal.seal_existing(db.receipts, DONOR_SEALED)


class Repository(Aggregates, Files, RegistryView):
    FILES_BUCKET = "documents"     # an expense's invoices and receipts (§5.3)
    FILE_FIELD = "document_id"


    # -- terminals
    def terminal(self, terminal_id: str) -> Terminal:
        return self._get("terminals", Terminal, terminal_id, "terminal", "terminal_id")

    def terminals(self, ids: list[str]) -> dict[str, Terminal]:
        return {d["_id"]: from_doc(Terminal, d) for d in self.db.terminals.find({"_id": {"$in": ids}})}

    def add_terminal(self, t: Terminal) -> None:
        try:
            self.db.terminals.insert_one(to_doc(t))
        except DuplicateKeyError:
            raise Conflict(f"a terminal {t.id} is registered", "terminal_id") from None

    def save_terminal(self, t: Terminal) -> None:
        self._save("terminals", t)

    def terminals_in(self, unit_id: str, quiet_only: bool = False) -> list[Terminal]:
        q: dict = {"owner_path": unit_id, "retired": False}
        if quiet_only:
            q["quiet_since"] = {"$ne": None}
        return [from_doc(Terminal, d) for d in self.db.terminals.find(q, sort=[("_id", ASCENDING)], limit=5000)]

    def open_terminals(self, after: str = "", limit: int = 500) -> list[Terminal]:
        """Open terminals in id order after `after` (the periodic check pages through them)."""
        rows = self.db.terminals.find({"retired": False, "_id": {"$gt": after}}, sort=[("_id", ASCENDING)], limit=limit)
        return [from_doc(Terminal, d) for d in rows]

    def last_receipt_at(self, terminal_id: str) -> datetime | None:
        doc = self.db.receipts.find_one({"terminal_id": terminal_id}, {"at": 1}, sort=[("at", DESCENDING)])
        return doc["at"] if doc else None

    # -- receipts and postings
    def receipt(self, receipt_id: str) -> Receipt:
        r = _open_receipt(self.db.receipts.find_one({"_id": receipt_id}))
        if r is None:
            raise NotFound(f"no receipt {receipt_id}", "receipt_id")
        return r

    def recorded(self, ids: list[str]) -> set[str]:
        return {d["_id"] for d in self.db.receipts.find({"_id": {"$in": ids}}, {"_id": 1})}

    def add_receipt(self, r: Receipt, p: Posting) -> None:
        try:
            self.db.receipts.insert_one(_receipt_doc(r))
        except DuplicateKeyError:
            raise Conflict(f"the receipt {r.rrn} of terminal {r.terminal_id} is recorded already", "rrn") from None
        self.add_posting(p)

    def add_receipts(self, recorded: list[tuple[Receipt, Posting]]) -> None:
        """A chunk of receipts and their postings (a file's import)."""
        try:
            self.db.receipts.insert_many([_receipt_doc(r) for r, _ in recorded])
        except DuplicateKeyError:
            raise Conflict("a receipt of this chunk was recorded meanwhile", "rrn") from None
        self.db.postings.insert_many([to_doc(p) for _, p in recorded])

    def save_receipt(self, r: Receipt) -> None:
        self._save("receipts", r, _receipt_doc(r))

    def add_posting(self, p: Posting) -> None:
        self.db.postings.insert_one(to_doc(p))

    def posting(self, posting_id: str) -> Posting:
        return self._get("postings", Posting, posting_id, "posting", "posting_id")

    def mark_reversed(self, p: Posting) -> None:
        """The one change a posting ever sees: the id of the posting that reversed it."""
        res = self.db.postings.update_one({"_id": p.id, "reversed_by": None}, {"$set": {"reversed_by": p.reversed_by}})
        if res.matched_count != 1:
            raise Conflict("the posting was reversed meanwhile", "posting_id")

    def receipts_under(self, unit_id: str, start: datetime, end: datetime, limit: int, skip: int
                       ) -> tuple[list[Receipt], int]:
        q = {"owner_path": unit_id, "at": {"$gte": start, "$lt": end}}
        rows = self.db.receipts.find(q, sort=[("at", DESCENDING), ("_id", ASCENDING)], skip=skip, limit=limit)
        return [_open_receipt(d) for d in rows], self.db.receipts.count_documents(q)

    def receipts_of_terminal(self, terminal_id: str, start: datetime, end: datetime) -> list[tuple[int, bool]]:
        rows = self.db.receipts.find({"terminal_id": terminal_id, "at": {"$gte": start, "$lt": end}},
                                     {"amount": 1, "reversed": 1})
        return [(d["amount"], bool(d.get("reversed"))) for d in rows]

    # -- projects (§5.2)
    def project(self, project_id: str) -> Project:
        return self._get("projects", Project, project_id, "project", "project_id")

    def kanoon_active(self, kanoon_id: str) -> bool:
        return (self.db.kanoons.find_one({"_id": kanoon_id}, {"status": 1}) or {}).get("status") == "active"

    def projects(self, ids: list[str]) -> dict[str, Project]:
        return {d["_id"]: from_doc(Project, d) for d in self.db.projects.find({"_id": {"$in": ids}})}

    def add_project(self, p: Project) -> None:
        self.db.projects.insert_one(to_doc(p))

    def save_project(self, p: Project) -> None:
        self._save("projects", p)

    def projects_under(self, unit_id: str) -> list[Project]:
        return [from_doc(Project, d) for d in self.db.projects.find({"kanoon_path": unit_id},
                                                                    sort=[("created_at", DESCENDING)], limit=500)]

    def raised(self, project: Project) -> int:
        """Rials raised: the project fund's credit balance in the ledger (read model)."""
        return -self.balances([project.account]).get(project.account, 0)

    # -- documents and expenses (§5.3)
    def add_document(self, d: DocumentFile) -> None:
        self.db.document_files.insert_one(to_doc(d))

    def document(self, doc_id: str) -> DocumentFile:
        return self._get("document_files", DocumentFile, doc_id, "document", "document_id")

    def documents(self, ids: list[str]) -> list[DocumentFile]:
        found = {d["_id"]: from_doc(DocumentFile, d) for d in self.db.document_files.find({"_id": {"$in": ids}})}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no document {missing[0]}", "document_ids")
        return [found[i] for i in ids]

    def attach_documents(self, docs: list[DocumentFile], expense_id: str) -> None:
        res = self.db.document_files.update_many(
            {"_id": {"$in": [d.id for d in docs]}, "expense_id": None, "discharge_of": None},
            {"$set": {"expense_id": expense_id}})
        if res.modified_count != len(docs):
            raise Conflict("a document was attached to another expense meanwhile", "document_ids")

    def add_expense(self, e: Expense, p: Posting) -> None:
        self.db.expenses.insert_one(to_doc(e))
        self.add_posting(p)

    def expense(self, expense_id: str) -> Expense:
        return self._get("expenses", Expense, expense_id, "expense", "expense_id")

    def expenses_under(self, unit_id: str, limit: int, skip: int, start: datetime | None = None,
                       end: datetime | None = None) -> tuple[list[Expense], int]:
        q: dict = {"owner_path": unit_id}
        if start is not None:
            q["spent_on"] = {"$gte": start, "$lt": end}
        rows = self.db.expenses.find(q, sort=[("spent_on", DESCENDING), ("_id", ASCENDING)], skip=skip, limit=limit)
        return [from_doc(Expense, d) for d in rows], self.db.expenses.count_documents(q)

    def expenses_of(self, field: str, value: str) -> list[Expense]:
        """The expenses of a funding or of an executive project."""
        return [from_doc(Expense, d) for d in self.db.expenses.find({field: value}, sort=[("spent_on", ASCENDING)],
                                                                    limit=5000)]

    def documents_of(self, expenses: list[Expense]) -> dict[str, DocumentFile]:
        ids = [i for e in expenses for i in e.document_ids]
        return {d["_id"]: from_doc(DocumentFile, d) for d in self.db.document_files.find({"_id": {"$in": ids}})}

    # -- fundings from bodies and their settlement (§5.4, §5.6)
    def funding(self, funding_id: str) -> Funding:
        return self._get("fundings", Funding, funding_id, "funding", "funding_id")

    def add_funding(self, f: Funding, p: Posting) -> None:
        self.db.fundings.insert_one(to_doc(f))
        self.add_posting(p)

    def save_funding(self, f: Funding) -> None:
        self._save("fundings", f)

    def fundings_under(self, unit_id: str, start: datetime | None = None, end: datetime | None = None,
                       limit: int = 1000) -> list[Funding]:
        q: dict = {"owner_path": unit_id}
        if start is not None:
            q["received_on"] = {"$gte": start, "$lt": end}
        return [from_doc(Funding, d) for d in self.db.fundings.find(q, sort=[("received_on", DESCENDING), ("_id", 1)],
                                                                    limit=limit)]

    def fundings_of_project(self, project_id: str) -> list[Funding]:
        return [from_doc(Funding, d) for d in self.db.fundings.find({"executive_project_id": project_id},
                                                                    sort=[("received_on", ASCENDING)], limit=1000)]

    def fundings_outstanding(self, province_id: str) -> list[Funding]:
        """The province's fundings whose settlement or discharge is not finished."""
        q = {"province_id": province_id, "$or": [{"certificate": None}, {"discharge": None},
                                                 {"discharge.status": {"$ne": "received"}}]}
        return [from_doc(Funding, d) for d in self.db.fundings.find(q, limit=5000)]

    def attach_letter(self, letter: DocumentFile) -> None:
        res = self.db.document_files.update_one({"_id": letter.id, "expense_id": None, "discharge_of": None},
                                                {"$set": {"discharge_of": letter.discharge_of}})
        if res.modified_count != 1:
            raise Conflict("the document was attached to something else meanwhile", "document_id")

    # -- executive projects (the reports service's events)
    def executive_project(self, project_id: str) -> ExecutiveProjectView:
        return self._get("executive_projects", ExecutiveProjectView, project_id, "executive project",
                         "executive_project_id")

    def executive_projects_under(self, unit_id: str) -> list[ExecutiveProjectView]:
        return [from_doc(ExecutiveProjectView, d)
                for d in self.db.executive_projects.find({"kanoon_path": unit_id}, sort=[("_id", 1)], limit=1000)]

    # -- consolidated statements (§5.6)
    def consolidated(self, statement_id: str) -> Consolidated:
        return self._get("consolidated", Consolidated, statement_id, "statement", "statement_id")

    def add_consolidated(self, c: Consolidated) -> None:
        try:
            self.db.consolidated.insert_one(to_doc(c))
        except DuplicateKeyError:
            raise Conflict(f"the statement of {c.period} is issued already", "period") from None

    def save_consolidated(self, c: Consolidated) -> None:
        self._save("consolidated", c)

    def consolidated_of(self, province_id: str) -> list[Consolidated]:
        return [from_doc(Consolidated, d) for d in self.db.consolidated.find(
            {"province_id": province_id}, sort=[("issued_at", DESCENDING)], limit=500)]

    def expenses_in_province(self, province_id: str, start: datetime, end: datetime) -> list[Expense]:
        return [from_doc(Expense, d) for d in self.db.expenses.find(
            {"owner_path": province_id, "spent_on": {"$gte": start, "$lt": end}}, limit=100000)]

    def reimbursed_in(self, province_id: str, start: datetime, end: datetime) -> int:
        total = 0
        for d in self.db.vouchers.find({"province_id": province_id, "status": "reimbursed"}, {"total": 1, "steps": 1}):
            at = next((s["at"] for s in reversed(d.get("steps") or []) if s["step"] == "reimbursed"), None)
            if at is not None and start <= at < end:
                total += d["total"]
        return total

    # -- financial documents (§5.4)
    def voucher(self, voucher_id: str) -> Voucher:
        return self._get("vouchers", Voucher, voucher_id, "financial document", "voucher_id")

    def add_voucher(self, v: Voucher) -> None:
        self.db.vouchers.insert_one(to_doc(v))

    def save_voucher(self, v: Voucher) -> None:
        self._save("vouchers", v)

    def expenses_by_id(self, ids: list[str]) -> list[Expense]:
        found = {d["_id"]: from_doc(Expense, d) for d in self.db.expenses.find({"_id": {"$in": ids}})}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no expense {missing[0]}", "expense_ids")
        return [found[i] for i in ids]

    def expenses_in_vouchers(self, ids: list[str]) -> set[str]:
        return {e for d in self.db.vouchers.find({"expense_ids": {"$in": ids}}, {"expense_ids": 1})
                for e in d["expense_ids"] if e in ids}

    def vouchers_under(self, unit_id: str, status: str | None) -> list[Voucher]:
        q: dict = {"owner_path": unit_id}
        if status:
            q["status"] = status
        return [from_doc(Voucher, d) for d in self.db.vouchers.find(q, sort=[("_id", ASCENDING)], limit=1000)]

    # -- assets (§5.5)
    def asset(self, asset_id: str) -> Asset:
        return self._get("assets", Asset, asset_id, "asset", "asset_id")

    def add_asset(self, a: Asset) -> None:
        try:
            self.db.assets.insert_one(to_doc(a))
        except DuplicateKeyError:
            raise Conflict(f"an asset with the code {a.code} is registered in this province", "code") from None

    def save_asset(self, a: Asset) -> None:
        self._save("assets", a)

    def assets_under(self, unit_id: str, custodian_id: str | None, limit: int, skip: int) -> tuple[list[Asset], int]:
        q: dict = {"unit_path": unit_id}
        if custodian_id:
            q["custodian_id"] = custodian_id
        rows = self.db.assets.find(q, sort=[("_id", ASCENDING)], skip=skip, limit=limit)
        return [from_doc(Asset, d) for d in rows], self.db.assets.count_documents(q)

    # -- batches and statements
    def batch(self, batch_id: str) -> dict:
        doc = self.db.batches.find_one({"_id": batch_id})
        if doc is None:
            raise NotFound(f"no batch {batch_id}", "batch_id")
        return doc

    def batch_outcomes(self, batch: dict, status: str | None, limit: int, skip: int) -> tuple[list[dict], int]:
        """A page of a batch's row outcomes, read chunk by chunk (each by its key) only as far as the
        page needs: a client polling a running import of 100,000 rows reads one chunk, not all of
        them (a sorted query would make the store gather and sort every chunk first). The total
        comes from the batch's counters."""
        counts = {"accepted": batch["accepted"], "duplicate": batch["duplicates"], "refused": batch["refused"]}
        total = counts[status] if status else sum(counts.values())
        out: list[dict] = []
        seen = 0
        for n in range(batch["cursor"]):
            doc = self.db.batch_outcomes.find_one({"_id": f"{batch['_id']}:{n:05d}"}, {"outcomes": 1}) or {}
            for o in doc.get("outcomes") or []:
                if status is not None and o["status"] != status:
                    continue
                if seen >= skip:
                    out.append(o)
                    if len(out) >= limit:
                        return out, total
                seen += 1
        return out, total

    def put_statement(self, s: Statement) -> None:
        self.db.statements.replace_one({"_id": s.id}, to_doc(s), upsert=True)

    # -- figures (kernel.buckets)
    def add_figure_delta(self, event_id: str, path: list[str], month: str, inc: dict) -> None:
        buckets.record_delta(self.db, FIGURE_DELTAS, event_id, path, month, inc)

    def figures(self, unit_id: str, period: Period) -> list[dict]:
        return buckets.read(self.db, FIGURES, unit_id, period)

    # -- balances
    def add_balance_delta(self, event_id: str, lines: list[list]) -> None:
        self.db.balance_deltas.insert_one({"_id": event_id, "lines": lines, "at": datetime.now(timezone.utc)})

    def balances(self, accounts: list[str]) -> dict[str, int]:
        return {d["_id"]: d["balance"] for d in self.db.balances.find({"_id": {"$in": accounts}})}

    def balances_like(self, prefix: str, limit: int = 1000) -> dict[str, int]:
        import re
        rows = self.db.balances.find({"_id": {"$regex": "^" + re.escape(prefix)}}, limit=limit)
        return {d["_id"]: d["balance"] for d in rows}
