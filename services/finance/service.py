"""The finance service (DOMAIN §5): nameko entrypoints that validate, check access, call the domain
and store the result with its events in one transaction. It learns units, kanoons and roles from
the registry's events and keeps its period figures and balances from its own events."""
from __future__ import annotations

import base64
import logging

from datetime import timedelta

from kernel import jalali, personal, uploads
from kernel.clock import SYSTEM as clock
from kernel.commands import page_args, parse, view
from kernel.errors import Conflict, Invalid
from kernel.fold import Folder
from kernel.messaging import reliable_event_handler
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc
from kernel.settings import cached_settings
from kernel.store import Store, Transaction

from . import schemas as s
from .domain import figures, rules
from .domain.assets import Asset
from .domain.consolidated import Consolidated, Recipient
from .domain.documents import describe
from .domain.expenses import Expense
from .domain.fundings import Funding
from .domain.projects import Project
from .domain.vouchers import DEFAULT_OVERDUE_DAYS, Voucher, VoucherStatus
from .domain.receipts import Receipt
from .domain.reconciliation import Statement, reconcile
from .domain.terminals import DEFAULT_QUIET_DAYS, Terminal
from .events import PersonalDataAccessed, StatementReconciled
from .imports import BatchRunner, prepare, report
from .projections import apply_own_event, apply_registry_event, apply_reports_event, fold_balances, fold_figures
from .repository import Repository, ensure_indexes

log = logging.getLogger(__name__)


def check_terminals(store: Store) -> int:
    """Every few minutes: each open terminal's latest receipt; one silent for its province's number
    of days (`terminal_quiet_days`, default 7) is flagged with an event, once."""
    flagged, after = 0, ""
    while True:
        page = Repository(store.db).open_terminals(after)
        if not page:
            return flagged
        for t in page:
            repo = Repository(store.db)
            days = int(repo.settings_of(t.owner_path).get("terminal_quiet_days") or DEFAULT_QUIET_DAYS)
            last = repo.last_receipt_at(t.id)

            def work(tx: Transaction, tid=t.id, last=last, days=days):
                r = Repository(tx.db)
                term = r.terminal(tid)
                events = term.check(last, clock.now(), days)
                r.save_terminal(term)
                tx.emit(*events)
                return len(events)
            try:
                flagged += store.transaction(work, correlation_id=f"check-{t.id}")[0] or 0
            except Conflict:
                pass  # changed meanwhile; next round
        after = page[-1].id


def _period(text: str):
    try:
        return jalali.parse_period(text)
    except ValueError as exc:
        raise Invalid(str(exc), "period") from None


class FinanceProjections:
    """The finance service's event handlers, in a container of their own (their own worker budget):
    the registry's read model, the period figures and the balances."""

    name = "finance_projections"
    owner = "finance"

    store = StoreProvider(relay=False)
    figure_folder = Folder("figures", "figure_deltas", fold_figures)
    balance_folder = Folder("balances", "balance_deltas", fold_balances)

    @reliable_event_handler("registry", "registry.#")
    def on_registry_event(self, envelope: dict) -> None:
        self.store.apply("registry", envelope, lambda tx: apply_registry_event(tx.db, envelope), self.store_budget)

    @reliable_event_handler("reports", "reports.project.#")
    def on_reports_event(self, envelope: dict) -> None:
        self.store.apply("reports", envelope, lambda tx: apply_reports_event(tx.db, envelope), self.store_budget)

    @reliable_event_handler("finance", "finance.#")
    def on_own_event(self, envelope: dict) -> None:
        self.store.apply("figures", envelope, lambda tx: apply_own_event(tx.db, envelope), self.store_budget)

    @property
    def store_budget(self) -> float:
        return cached_settings().handler_store_seconds


class FinanceService(DomainService):
    name = "finance"
    repository = Repository

    store = StoreProvider(indexes=ensure_indexes, periodic={"check-terminals": (600, check_terminals)})
    ctx = ContextProvider()
    imports = BatchRunner()

    def _actor(self, repo: Repository):
        return repo.actor(self.ctx.user_id, self.ctx.person_id, clock.today())

    def _province_of(self, repo: Repository, path: list[str], field: str) -> str:
        province = repo.ancestor_of_kind(path, "province")
        if province is None:
            raise Invalid("not inside a province", field)
        return province

    def _owner(self, repo: Repository, unit_id: str, field: str, refusal: str,
               kinds: tuple[str, ...] = ("kanoon", "province")) -> tuple[list[str], str]:
        """The path and province of what a record belongs to: a kanoon, or the province's own HQ."""
        path, kind = repo.unit_path(unit_id)
        if kind not in kinds:
            raise Invalid(refusal, field)
        return path, self._province_of(repo, path, field)

    def _receipt_views(self, repo: Repository, tx: Transaction, receipts: list[Receipt], action: str) -> list[dict]:
        """Receipts as the caller may see them: the donor for finance staff only; a donor shown is
        recorded in the audit trail in the same transaction (kernel.personal)."""
        actor = self._actor(repo)
        out, shown = [], {}
        for r in receipts:
            v = view(r)
            if not rules.sees_donors(actor, r.owner_path):
                v["donor"] = None
            elif r.donor:
                shown.setdefault(tuple(r.owner_path), []).append(r.id)
            out.append(v)
        for path, ids in shown.items():
            tx.emit(personal.accessed(PersonalDataAccessed, self.ctx, "donor", action, ids, list(path)))
        return out

    # ------------------------------------------------------------ terminals (§5.1)

    @rpc
    def register_terminal(self, payload: dict) -> dict:
        cmd = parse(s.RegisterTerminal, payload)

        def work(repo: Repository, tx: Transaction):
            path, province = self._owner(repo, cmd.owner_id, "owner_id",
                                         "a terminal serves a kanoon or the province's own account")
            rules.manage_terminals(self._actor(repo), path)
            t, events = Terminal.register(terminal_id=cmd.terminal_id, kind=cmd.kind, label=cmd.label,
                                          province_id=province, owner_id=cmd.owner_id, owner_path=path, clock=clock)
            repo.add_terminal(t)
            tx.emit(*events)
            return view(t)
        return self._write(work)

    @rpc
    def terminals(self, unit_id: str, quiet_only: bool = False) -> list[dict]:
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_terminals(self._actor(repo), path)
        return [view(t) for t in repo.terminals_in(unit_id, bool(quiet_only))]

    # ------------------------------------------------------------ receipts (§5.1)

    @rpc
    def record_receipt(self, payload: dict) -> dict:
        cmd = parse(s.RecordReceipt, payload)
        try:
            at = jalali.parse_instant(cmd.at)
        except ValueError as exc:
            raise Invalid(str(exc), "at") from None

        def work(repo: Repository, tx: Transaction):
            t = repo.terminal(cmd.terminal_id)
            actor = rules.record_receipts(self._actor(repo), t.owner_path)
            if cmd.project_id:
                repo.project(cmd.project_id).check_open_for(t.owner_path)
            r, posting, events = Receipt.record(terminal=t, rrn=cmd.rrn, at=at, amount=cmd.amount,
                                                channel=cmd.channel, intent=cmd.intent, donor=cmd.donor,
                                                by=actor.person_id, clock=clock, project_id=cmd.project_id)
            repo.add_receipt(r, posting)
            tx.emit(*events)
            return self._receipt_views(repo, tx, [r], "create")[0]
        return self._write(work)

    @rpc
    def get_receipt(self, receipt_id: str) -> dict:
        def work(repo: Repository, tx: Transaction):
            r = repo.receipt(receipt_id)
            rules.see_money(self._actor(repo), r.owner_path)
            out = self._receipt_views(repo, tx, [r], "read")[0]
            out["posting"] = view(repo.posting(r.posting_id))
            return out
        return self._write(work)

    @rpc
    def reverse_receipt(self, receipt_id: str, payload: dict) -> dict:
        cmd = parse(s.ReverseReceipt, payload)

        def work(repo: Repository, tx: Transaction):
            r = repo.receipt(receipt_id)
            actor = rules.reverse_receipt(self._actor(repo), r.owner_path)
            posting = repo.posting(r.posting_id)
            undo, events = r.reverse(posting, cmd.reason, actor.person_id, clock)
            repo.mark_reversed(posting)
            repo.add_posting(undo)
            repo.save_receipt(r)
            tx.emit(*events)
            return self._receipt_views(repo, tx, [r], "change")[0]
        return self._write(work)

    @rpc
    def receipts(self, unit_id: str, period: str, limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        p = _period(period)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)

        def work(repo: Repository, tx: Transaction):
            items, total = repo.receipts_under(unit_id, p.start_utc, p.end_utc, limit, skip)
            return {"total": total, "items": self._receipt_views(repo, tx, items, "list")}
        return self._write(work)

    # ------------------------------------------------------------ files of receipts (§5.1)

    @rpc
    def import_receipts(self, payload: dict) -> dict:
        """A file (CSV or Excel, base64 in `content`) read and checked row by row; its receipts are
        recorded by the runner. Answers with the batch (status pending) at once."""
        cmd = parse(s.ImportReceipts, payload)
        content = uploads.decode(cmd.content)
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        if not actor.grants_of(*rules.VOWS_STAFF) and not actor.is_admin:
            raise rules.Forbidden("only the vows-system expert, the finance expert or the manager imports receipts")
        # A retried request (same Idempotency-Key) prepares the same batch id, so its rows are
        # written once and the first answer is returned again.
        batch_id = uploads.keyed_id("bt", self.ctx.idempotency, clock)
        batch, chunks = prepare(repo, actor, batch_id, cmd.file_name, content, actor.person_id)
        for chunk in chunks:  # too many rows for one transaction: written first, idempotently
            self.store.db.batch_chunks.replace_one({"_id": chunk["_id"]}, chunk, upsert=True)

        def work(repo: Repository, tx: Transaction):
            tx.db.batches.insert_one(batch)
            return report(batch, [])
        out = self._write(work)
        self.imports.kick()
        return out

    @rpc
    def batch(self, batch_id: str, status: str | None = None, limit: int = 100, skip: int = 0) -> dict:
        """A file's import: its progress and counts, and its rows' outcomes (`status`: accepted,
        duplicate or refused)."""
        limit, skip = page_args(limit, skip)
        if status not in (None, "accepted", "duplicate", "refused"):
            raise Invalid("status is accepted, duplicate or refused", "status")
        repo = self._read()
        b = repo.batch(batch_id)
        actor = rules.signed_in(self._actor(repo))
        if actor.person_id != b["imported_by"] and not any(
                actor.covers(repo.unit_path(p)[0], rules.FINANCE_STAFF) for p in b["province_ids"]):
            raise rules.Forbidden("this import is neither yours nor of a province you cover")
        outcomes, total = repo.batch_outcomes(b, status, limit, skip)
        out = report(b, outcomes)
        out["outcomes_total"] = total
        return out

    # ------------------------------------------------------------ projects (§5.2)

    def _project_view(self, repo: Repository, p: Project) -> dict:
        raised = repo.raised(p)
        return {**view(p), "raised": raised, "status": p.status(raised)}

    @rpc
    def define_project(self, payload: dict) -> dict:
        cmd = parse(s.DefineProject, payload)

        def work(repo: Repository, tx: Transaction):
            path, province = self._owner(repo, cmd.kanoon_id, "kanoon_id", "a project is a kanoon's", ("kanoon",))
            actor = rules.define_project(self._actor(repo), path)
            p, events = Project.define(title=cmd.title, description=cmd.description, kanoon_id=cmd.kanoon_id,
                                       kanoon_path=path, kanoon_active=repo.kanoon_active(cmd.kanoon_id),
                                       province_id=province, target=cmd.target,
                                       by=actor.person_id, clock=clock)
            repo.add_project(p)
            tx.emit(*events)
            return self._project_view(repo, p)
        return self._write(work)

    @rpc
    def get_project(self, project_id: str) -> dict:
        repo = self._read()
        p = repo.project(project_id)
        rules.see_money(self._actor(repo), p.kanoon_path)
        return self._project_view(repo, p)

    @rpc
    def projects(self, unit_id: str) -> list[dict]:
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        return [self._project_view(repo, p) for p in repo.projects_under(unit_id)]

    @rpc
    def close_project(self, project_id: str, payload: dict) -> dict:
        cmd = parse(s.CloseProject, payload)

        def work(repo: Repository, tx: Transaction):
            p = repo.project(project_id)
            actor = rules.define_project(self._actor(repo), p.kanoon_path)
            tx.emit(*p.close(cmd.note, actor.person_id, clock, repo.raised(p)))
            repo.save_project(p)
            return self._project_view(repo, p)
        return self._write(work)

    # ------------------------------------------------------------ documents and expenses (§5.3)

    @rpc
    def upload_document(self, payload: dict) -> dict:
        cmd = parse(s.UploadDocument, payload)
        content = uploads.decode(cmd.content)
        repo = self._read()
        path, _ = self._owner(repo, cmd.owner_id, "owner_id", "a document is a kanoon's or the province's")
        actor = rules.record_spending(self._actor(repo), path)
        doc = describe(clock.new_id("doc"), cmd.name, content, cmd.owner_id, path, actor.person_id)
        if self.ctx.idempotency:  # a retried upload keeps its id (and its file is written once)
            doc.id = uploads.keyed_id("doc", self.ctx.idempotency, clock)
        if self.store.db.document_files.find_one({"_id": doc.id}) is None:
            repo.store_file(doc.id, doc.name, content, doc.content_type)

        def work(repo: Repository, tx: Transaction):
            repo.add_document(doc)
            return view(doc)
        return self._write(work)

    @rpc
    def get_document(self, document_id: str, with_content: bool = False) -> dict:
        repo = self._read()
        d = repo.document(document_id)
        rules.see_money(self._actor(repo), d.owner_path)
        out = view(d)
        if with_content:
            out["content"] = base64.b64encode(repo.file_content(d.id)).decode()
        return out

    @rpc
    def record_expense(self, payload: dict) -> dict:
        cmd = parse(s.RecordExpense, payload)

        def work(repo: Repository, tx: Transaction):
            path, province = self._owner(repo, cmd.owner_id, "owner_id", "an expense is a kanoon's or the province's")
            actor = rules.record_spending(self._actor(repo), path)
            docs = repo.documents(cmd.document_ids) if cmd.document_ids else []
            funding = repo.funding(cmd.funding_id) if cmd.funding_id else None
            project = repo.executive_project(cmd.executive_project_id) if cmd.executive_project_id else None
            e, posting, events = Expense.record(
                owner_id=cmd.owner_id, owner_path=path, province_id=province,
                category=cmd.category, description=cmd.description, amount=cmd.amount, spent_on=cmd.spent_on,
                documents=docs, by=actor.person_id, clock=clock, funding=funding, executive_project=project)
            repo.attach_documents(docs, e.id)
            repo.add_expense(e, posting)
            if funding is not None:
                repo.save_funding(funding)
            tx.emit(*events)
            return view(e)
        return self._write(work)

    @rpc
    def get_expense(self, expense_id: str) -> dict:
        repo = self._read()
        e = repo.expense(expense_id)
        rules.see_money(self._actor(repo), e.owner_path)
        return {**view(e), "documents": [view(d) for d in repo.documents(e.document_ids)]}

    @rpc
    def expenses(self, unit_id: str, limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        items, total = repo.expenses_under(unit_id, limit, skip)
        return {"total": total, "items": [view(e) for e in items]}

    # ------------------------------------------------------------ financial documents (§5.4)

    @rpc
    def gather_voucher(self, payload: dict) -> dict:
        cmd = parse(s.GatherVoucher, payload)

        def work(repo: Repository, tx: Transaction):
            path, province = self._owner(repo, cmd.owner_id, "owner_id",
                                         "a financial document is a kanoon's or the province's")
            actor = rules.record_spending(self._actor(repo), path)
            expenses = repo.expenses_by_id(cmd.expense_ids)
            v, events = Voucher.gather(owner_id=cmd.owner_id, owner_path=path, province_id=province, expenses=expenses,
                                       taken=repo.expenses_in_vouchers(cmd.expense_ids), by=actor.person_id,
                                       clock=clock)
            repo.add_voucher(v)
            tx.emit(*events)
            return view(v)
        return self._write(work)

    def _step_voucher(self, voucher_id: str, step) -> dict:
        def work(repo: Repository, tx: Transaction):
            v = repo.voucher(voucher_id)
            tx.emit(*step(repo, v))
            repo.save_voucher(v)
            return view(v)
        return self._write(work)

    @rpc
    def check_voucher(self, voucher_id: str, payload: dict) -> dict:
        cmd = parse(s.CheckVoucher, payload)

        def step(repo, v):
            actor = rules.check_vouchers(self._actor(repo), v.owner_path)
            return v.check(cmd.model_dump(), repo.expenses_by_id(v.expense_ids), actor.person_id, clock)
        return self._step_voucher(voucher_id, step)

    @rpc
    def send_voucher(self, voucher_id: str) -> dict:
        return self._step_voucher(voucher_id, lambda repo, v: v.send(
            rules.send_vouchers(self._actor(repo), v.owner_path).person_id, clock))

    @rpc
    def reimburse_voucher(self, voucher_id: str) -> dict:
        def step(repo, v):
            actor = rules.check_vouchers(self._actor(repo), v.owner_path)
            posting, events = v.reimburse(actor.person_id, clock)
            repo.add_posting(posting)
            return events
        return self._step_voucher(voucher_id, step)

    @rpc
    def return_voucher(self, voucher_id: str, payload: dict) -> dict:
        cmd = parse(s.ReturnVoucher, payload)
        return self._step_voucher(voucher_id, lambda repo, v: v.give_back(
            cmd.reason, rules.check_vouchers(self._actor(repo), v.owner_path).person_id, clock))

    @rpc
    def vouchers(self, unit_id: str, status: str | None = None, overdue: bool = False) -> list[dict]:
        if status is not None and status not in {s_.value for s_ in VoucherStatus}:
            raise Invalid("status is draft, checked, sent, reimbursed or returned", "status")
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        now = clock.now()
        out = []
        for v in repo.vouchers_under(unit_id, "sent" if overdue else status):
            days = int(repo.settings_of(v.owner_path).get("voucher_overdue_days") or DEFAULT_OVERDUE_DAYS)
            if overdue and not v.overdue(now, days):
                continue
            out.append({**view(v), "overdue": v.overdue(now, days)})
        return out

    # ------------------------------------------------------------ asset custody (§5.5)

    @rpc
    def register_asset(self, payload: dict) -> dict:
        cmd = parse(s.RegisterAsset, payload)

        def work(repo: Repository, tx: Transaction):
            path, province = self._owner(repo, cmd.unit_id, "unit_id", "an asset is at the province's HQ or at a kanoon")
            actor = rules.manage_assets(self._actor(repo), path)
            a, events = Asset.register(code=cmd.code, description=cmd.description, province_id=province,
                                       unit_id=cmd.unit_id, unit_path=path, custodian_id=cmd.custodian_id,
                                       value=cmd.value, acquired_on=cmd.acquired_on, by=actor.person_id, clock=clock)
            repo.add_asset(a)
            tx.emit(*events)
            return view(a)
        return self._write(work)

    def _change_asset(self, asset_id: str, change) -> dict:
        def work(repo: Repository, tx: Transaction):
            a = repo.asset(asset_id)
            tx.emit(*change(repo, a, rules.signed_in(self._actor(repo))))
            repo.save_asset(a)
            return view(a)
        return self._write(work)

    @rpc
    def request_asset_handover(self, asset_id: str, payload: dict) -> dict:
        cmd = parse(s.RequestAssetHandover, payload)

        def change(repo, a, actor):
            if actor.person_id != a.custodian_id:
                rules.manage_assets(actor, a.unit_path)
            return a.request_handover(cmd.to_custodian_id, actor.person_id, clock)
        return self._change_asset(asset_id, change)

    @rpc
    def acknowledge_asset_handover(self, asset_id: str) -> dict:
        return self._change_asset(asset_id, lambda repo, a, actor: a.acknowledge(actor.person_id, clock))

    @rpc
    def cancel_asset_handover(self, asset_id: str) -> dict:
        def change(repo, a, actor):
            if a.handover is None or actor.person_id != a.handover.requested_by:
                rules.manage_assets(actor, a.unit_path)   # the caller first: then "nothing pending"
            return a.cancel_handover(actor.person_id, clock)
        return self._change_asset(asset_id, change)

    @rpc
    def get_asset(self, asset_id: str) -> dict:
        repo = self._read()
        a = repo.asset(asset_id)
        rules.see_asset(self._actor(repo), a.unit_path, a.custodian_id,
                        a.handover.to_custodian_id if a.handover else None)
        return view(a)

    @rpc
    def assets(self, unit_id: str, custodian_id: str | None = None, limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        actor = rules.signed_in(self._actor(repo))
        if custodian_id != actor.person_id:
            rules.require(actor, path, rules.ASSET_KEEPERS | rules.FINANCE_STAFF, "see the assets here")
        items, total = repo.assets_under(unit_id, custodian_id, limit, skip)
        return {"total": total, "items": [view(a) for a in items]}

    # ------------------------------------------------------------ reconciliation (§5.1)

    @rpc
    def import_statement(self, payload: dict) -> dict:
        cmd = parse(s.ImportStatement, payload)

        def work(repo: Repository, tx: Transaction):
            t = repo.terminal(cmd.terminal_id)
            rules.record_receipts(self._actor(repo), t.owner_path)
            st = Statement(id=f"{t.id}:{cmd.day.isoformat()}", terminal_id=t.id, day=cmd.day, total=cmd.total,
                           count=cmd.count, province_id=t.province_id)
            start = jalali.start_of_day_utc(cmd.day)
            result = reconcile(st, repo.receipts_of_terminal(t.id, start, start + timedelta(days=1)))
            repo.put_statement(st)
            tx.emit(StatementReconciled(terminal_id=t.id, day=cmd.day, matches=result.matches, owner_id=t.owner_id,
                                        difference=result.difference))
            return view(result)
        return self._write(work)

    # ------------------------------------------------------------ figures (§5.1 reports)

    @rpc
    def figures(self, unit_id: str, period: str) -> dict:
        p = _period(period)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        return figures.summarize(unit_id, p, repo.figures(unit_id, p))

    @rpc
    def balances(self, unit_id: str) -> dict:
        """The ledger's balances of a kanoon's or a province's accounts (income by channel, its
        terminals' clearing accounts)."""
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        accounts = {f"income:{c}:{unit_id}" for c in ("vow", "contribution", "gift", "endowment")}
        accounts |= {f"terminal:{t.id}" for t in repo.terminals_in(unit_id)}
        found = repo.balances(sorted(accounts))
        return {"unit_id": unit_id, "accounts": {a: found.get(a, 0) for a in sorted(accounts)}}

    # ------------------------------------------------------------ money from bodies, settlement (§5.4, §5.6)

    def _funding_view(self, repo: Repository, f: Funding) -> dict:
        return {**view(f), "returned": f.returned, "missing": f.missing,
                "days_waiting": f.days_waiting(clock.today())}

    @rpc
    def receive_funding(self, payload: dict) -> dict:
        cmd = parse(s.ReceiveFunding, payload)

        def work(repo: Repository, tx: Transaction):
            path, province = self._owner(repo, cmd.owner_id, "owner_id", "money is received by a kanoon or a province")
            actor = rules.record_funding(self._actor(repo), path)
            project = repo.executive_project(cmd.executive_project_id) if cmd.executive_project_id else None
            f, posting, events = Funding.receive(
                body=cmd.body, body_kind=cmd.body_kind, owner_id=cmd.owner_id, owner_path=path, province_id=province,
                amount=cmd.amount, received_on=cmd.received_on, purpose=cmd.purpose, reference=cmd.reference,
                executive_project=project, by=actor.person_id, clock=clock)
            repo.add_funding(f, posting)
            tx.emit(*events)
            return self._funding_view(repo, f)
        return self._write(work)

    @rpc
    def get_funding(self, funding_id: str) -> dict:
        repo = self._read()
        f = repo.funding(funding_id)
        rules.see_money(self._actor(repo), f.owner_path)
        return self._funding_view(repo, f)

    @rpc
    def fundings(self, unit_id: str, outstanding: bool = False) -> list[dict]:
        """A unit's fundings; `outstanding`: those whose settlement or discharge is not finished."""
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        return [self._funding_view(repo, f) for f in repo.fundings_under(unit_id)
                if not (outstanding and f.finished)]

    def _change_funding(self, funding_id: str, change) -> dict:
        def work(repo: Repository, tx: Transaction):
            f = repo.funding(funding_id)
            tx.emit(*change(repo, f))
            repo.save_funding(f)
            return self._funding_view(repo, f)
        return self._write(work)

    @rpc
    def return_funding(self, funding_id: str, payload: dict) -> dict:
        """What is left unspent is paid back to the body (it then counts as settled)."""
        cmd = parse(s.ReturnFunding, payload)

        def change(repo, f):
            actor = rules.record_funding(self._actor(repo), f.owner_path)
            posting, events = f.give_back(cmd.amount, cmd.note, actor.person_id, clock)
            repo.add_posting(posting)
            return events
        return self._change_funding(funding_id, change)

    @rpc
    def settlement(self, funding_id: str) -> dict:
        """The settlement of a funding as it stands: received, documented (its expenses and their
        documents), returned and missing; the certificate once issued."""
        repo = self._read()
        f = repo.funding(funding_id)
        rules.see_money(self._actor(repo), f.owner_path)
        expenses = repo.expenses_of("funding_id", f.id)
        docs = repo.documents_of(expenses)
        return {**f.settlement(), "certificate": view(f.certificate) if f.certificate else None,
                "expenses": [{**view(e), "documents": [view(docs[i]) for i in e.document_ids if i in docs]}
                             for e in expenses]}

    @rpc
    def certify_funding(self, funding_id: str) -> dict:
        """The settlement certificate (مفاصاحساب): refused, with what is missing, until every rial is
        documented or returned."""
        return self._change_funding(funding_id, lambda repo, f: f.certify(
            rules.record_funding(self._actor(repo), f.owner_path).person_id, clock))

    @rpc
    def request_discharge(self, funding_id: str, payload: dict) -> dict:
        cmd = parse(s.DischargeNote, payload)
        return self._change_funding(funding_id, lambda repo, f: f.request_discharge(
            cmd.note, rules.follow_discharges(self._actor(repo), f.owner_path).person_id, clock))

    @rpc
    def follow_up_discharge(self, funding_id: str, payload: dict) -> dict:
        cmd = parse(s.DischargeNote, payload)
        return self._change_funding(funding_id, lambda repo, f: f.follow_up_discharge(
            cmd.note, rules.follow_discharges(self._actor(repo), f.owner_path).person_id, clock))

    @rpc
    def receive_discharge(self, funding_id: str, payload: dict) -> dict:
        """The body's discharge letter arrived: a document uploaded beforehand."""
        cmd = parse(s.ReceiveDischarge, payload)

        def change(repo, f):
            actor = rules.follow_discharges(self._actor(repo), f.owner_path)
            letter = repo.document(cmd.document_id)
            events = f.receive_discharge(letter, actor.person_id, clock)
            repo.attach_letter(letter)
            return events
        return self._change_funding(funding_id, change)

    # ------------------------------------------------------------ executive projects (§3 → §5.2)

    def _executive_view(self, repo: Repository, project) -> dict:
        fundings = repo.fundings_of_project(project.id)
        expenses = repo.expenses_of("executive_project_id", project.id)
        funded, spent = sum(f.amount for f in fundings), sum(e.amount for e in expenses)
        return {**view(project), "funded": funded, "spent": spent, "balance": funded - spent,
                "funding_ids": [f.id for f in fundings], "expense_ids": [e.id for e in expenses]}

    @rpc
    def executive_project(self, project_id: str) -> dict:
        repo = self._read()
        p = repo.executive_project(project_id)
        rules.see_money(self._actor(repo), p.kanoon_path)
        return self._executive_view(repo, p)

    @rpc
    def executive_projects(self, unit_id: str) -> list[dict]:
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        return [self._executive_view(repo, p) for p in repo.executive_projects_under(unit_id)]

    # ------------------------------------------------------------ period reports and statements (§5.1, §5.6)

    @rpc
    def period_report(self, unit_id: str, period: str) -> dict:
        """A unit's or kanoon's money in a Jalali period: what was received (figures), the fundings
        from bodies, the expenses with the list of their documents."""
        p = _period(period)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_money(self._actor(repo), path)
        expenses, total = repo.expenses_under(unit_id, 5000, 0, p.start_utc, p.end_utc)
        docs = repo.documents_of(expenses)
        return {"unit_id": unit_id, "period": str(p), "received": figures.summarize(unit_id, p, repo.figures(unit_id, p)),
                "fundings": [self._funding_view(repo, f) for f in repo.fundings_under(unit_id, p.start_utc, p.end_utc)],
                "expenses_total": sum(e.amount for e in expenses), "expenses_count": total,
                "expenses": [view(e) for e in expenses],
                "documents": [{**view(docs[i]), "expense_id": e.id, "spent_on": e.spent_on, "amount": e.amount}
                              for e in expenses for i in e.document_ids if i in docs]}

    @rpc
    def issue_statement(self, payload: dict) -> dict:
        cmd = parse(s.IssueStatement, payload)
        p = _period(cmd.period)

        def work(repo: Repository, tx: Transaction):
            path, kind = repo.unit_path(cmd.province_id)
            if kind != "province":
                raise Invalid("a consolidated statement is a province's", "province_id")
            actor = rules.record_funding(self._actor(repo), path)
            c, events = Consolidated.issue(
                province_id=cmd.province_id, province_path=path, period=p,
                receipts=figures.summarize(cmd.province_id, p, repo.figures(cmd.province_id, p)),
                fundings=repo.fundings_under(cmd.province_id, p.start_utc, p.end_utc, limit=100000),
                expenses=repo.expenses_in_province(cmd.province_id, p.start_utc, p.end_utc),
                reimbursed=repo.reimbursed_in(cmd.province_id, p.start_utc, p.end_utc),
                outstanding=repo.fundings_outstanding(cmd.province_id), by=actor.person_id, clock=clock)
            repo.add_consolidated(c)
            tx.emit(*events)
            return view(c)
        return self._write(work)

    @rpc
    def get_statement(self, statement_id: str) -> dict:
        repo = self._read()
        c = repo.consolidated(statement_id)
        rules.require(self._actor(repo), c.province_path, rules.FINANCE_STAFF, "see this province's statements")
        return view(c)

    @rpc
    def statements(self, province_id: str) -> list[dict]:
        repo = self._read()
        path, _ = repo.unit_path(province_id)
        rules.require(self._actor(repo), path, rules.FINANCE_STAFF, "see this province's statements")
        return [view(c) for c in repo.consolidated_of(province_id)]

    @rpc
    def send_statement(self, statement_id: str, payload: dict) -> dict:
        cmd = parse(s.SendStatement, payload)

        def work(repo: Repository, tx: Transaction):
            c = repo.consolidated(statement_id)
            actor = rules.follow_discharges(self._actor(repo), c.province_path)
            tx.emit(*c.send(Recipient(cmd.recipient), cmd.reference, actor.person_id, clock))
            repo.save_consolidated(c)
            return view(c)
        return self._write(work)
