"""The oversight service (DOMAIN §6): nameko entrypoints that validate, check access, call the domain
and store the result with its events in one transaction. It learns units, kanoons, memberships and
roles from the registry's events; its rulings are enforced by the registry and the reports service,
which consume them."""
from __future__ import annotations

import base64
import secrets

from kernel import jalali, personal
from kernel.clock import SYSTEM as clock
from kernel.commands import page_args, parse, view
from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.messaging import reliable_event_handler
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc
from kernel.settings import cached_settings
from kernel.throttle import Throttle
from kernel import uploads

from . import schemas as s
from .domain import rules
from .domain.complaints import (ALPHABET, CODE_LENGTH, Channel, Complainant, Complaint, code_hash, format_code,
                                normalize_code)
from .domain.inspections import Attachment, Checklist, Inspection, InspectionKind, Item, coverage
from .domain.stewardship import Opinion, ProcessRisk, RiskLevel, Session, period_report
from .domain.violations import RulingKind, Violation
from .events import PersonalDataAccessed
from .projections import apply_audit_event, apply_finance_event, apply_registry_event
from .repository import Repository, ensure_indexes


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


class OversightProjections:
    """The registry's read model, in a container of its own (its own worker budget)."""

    name = "oversight_projections"
    owner = "oversight"

    store = StoreProvider(relay=False)

    @reliable_event_handler("registry", "registry.#")
    def on_registry_event(self, envelope: dict) -> None:
        self.store.apply("registry", envelope, lambda tx: apply_registry_event(tx.db, envelope),
                         cached_settings().handler_store_seconds)

    # The money's trail (§6.4): only the kinds of event that can raise a finding are bound.
    def _finance(self, envelope: dict) -> None:
        self.store.apply("finance", envelope, lambda tx: apply_finance_event(tx.db, envelope),
                         cached_settings().handler_store_seconds)

    @reliable_event_handler("finance", "finance.statement.reconciled.#")
    def on_reconciliation(self, envelope: dict) -> None:
        self._finance(envelope)

    @reliable_event_handler("finance", "finance.receipt.reversed.#")
    def on_reversal(self, envelope: dict) -> None:
        self._finance(envelope)

    @reliable_event_handler("finance", "finance.expense.recorded.#")
    def on_expense(self, envelope: dict) -> None:
        self._finance(envelope)

    @reliable_event_handler("finance", "finance.voucher.stepped.#")
    def on_voucher(self, envelope: dict) -> None:
        self._finance(envelope)

    # The audit trail of personal data (kernel.personal), from every service that holds some.
    def _audit(self, envelope: dict) -> None:
        self.store.apply("audit", envelope, lambda tx: apply_audit_event(tx.db, envelope),
                         cached_settings().handler_store_seconds)

    @reliable_event_handler("reports", "reports.personal_data.#")
    def on_beneficiary_access(self, envelope: dict) -> None:
        self._audit(envelope)

    @reliable_event_handler("finance", "finance.personal_data.#")
    def on_donor_access(self, envelope: dict) -> None:
        self._audit(envelope)

    @reliable_event_handler("oversight", "oversight.personal_data.#")
    def on_complainant_access(self, envelope: dict) -> None:
        self._audit(envelope)


class OversightService(DomainService):
    name = "oversight"
    repository = Repository

    store = StoreProvider(indexes=ensure_indexes)
    ctx = ContextProvider()

    def _actor(self, repo: Repository):
        return repo.actor(self.ctx.user_id, self.ctx.person_id, clock.today())

    # ------------------------------------------------------------ complaints (§6.1)

    def _receive(self, subject_kind, subject_id: str, text: str, channel: Channel, complainant: Complainant,
                 check=None) -> dict:
        code = new_code()

        def work(repo: Repository, tx):
            subject = repo.subject(subject_kind, subject_id)
            if check is not None:
                check(repo, subject)
            c, events = Complaint.receive(code=code, channel=channel, subject=subject, text=text,
                                          complainant=complainant,
                                          oversight_heads=repo.holders("oversight_head", subject.path), clock=clock)
            repo.add_complaint(c)
            tx.emit(*events)
            if not c.anonymous:
                tx.emit(self._accessed("create", [c], subject.path))
            return {"tracking_code": format_code(code), **_public(c)}
        return self._write(work)

    @rpc
    def receive_public_complaint(self, payload: dict) -> dict:
        """From the public, without an account: the answer is the tracking code and the status,
        nothing else (no id, nothing about the subject). At most PUBLIC_COMPLAINTS_PER_10MIN from
        one address, counted here where every gateway sees it."""
        self._public_throttle("complaints").count(self.ctx.client_address or "-", "address",
                                                 "too many complaints from this address")
        cmd = parse(s.PublicComplaint, payload)
        return self._receive(cmd.subject_kind, cmd.subject_id, cmd.text, Channel.web,
                             Complainant(name=cmd.name, phone=cmd.phone))

    @rpc
    def file_complaint(self, payload: dict) -> dict:
        cmd = parse(s.FileComplaint, payload)
        actor = rules.signed_in(self._actor(self._read()))
        if cmd.channel == Channel.web:
            if cmd.name or cmd.phone:
                raise Invalid("a complaint filed on the web is the caller's own; name and phone are for "
                              "complaints recorded from the phone line, the box or a letter", "name")
            who = Complainant() if cmd.anonymous else Complainant(person_id=actor.person_id)
            return self._receive(cmd.subject_kind, cmd.subject_id, cmd.text, cmd.channel, who)

        def on_behalf(repo, subject):
            # What came by phone, box or letter is recorded by those who handle complaints there.
            rules.require(actor, subject.path, rules.HANDLERS, "record complaints from the phone line, box or letters")
        who = Complainant() if cmd.anonymous else Complainant(name=cmd.name, phone=cmd.phone)
        return self._receive(cmd.subject_kind, cmd.subject_id, cmd.text, cmd.channel, who, on_behalf)

    @rpc
    def track_complaint(self, code: str) -> dict:
        """The status a tracking code shows; an unknown or malformed code is simply not found. At
        most PUBLIC_LOOKUPS_PER_10MIN from one address."""
        self._public_throttle("lookups").count(self.ctx.client_address or "-", "address",
                                              "too many requests from this address")
        raw = normalize_code(str(code or ""))
        c = self._read().complaint_by_code(code_hash(raw)) if len(raw) == CODE_LENGTH else None
        if c is None:
            raise NotFound("no complaint has this tracking code", "code")
        return _public(c)

    def _public_throttle(self, kind: str) -> Throttle:
        settings = cached_settings()
        limit = settings.public_complaints_per_10min if kind == "complaints" else settings.public_lookups_per_10min
        return Throttle(self.store, f"public_{kind}", limit, 600, settings.jwt_secret.encode())

    def _accessed(self, action: str, complaints: list[Complaint], path: list[str]) -> PersonalDataAccessed:
        return personal.accessed(PersonalDataAccessed, self.ctx, "complainant", action,
                                 [c.id for c in complaints], path)

    def _complaint_views(self, tx, complaints: list[Complaint], actor, action: str,
                         skip_hidden: bool = False) -> list[dict]:
        """Views of complaints (Forbidden: one the caller may not see, or, with `skip_hidden`, it is
        left out); a complainant shown is recorded in the audit trail in the same transaction
        (kernel.personal)."""
        out, shown = [], {}
        for c in complaints:
            try:
                v = self._complaint_view(c, actor)
            except Forbidden:
                if skip_hidden:
                    continue
                raise
            if v["complainant"] is not None and not c.anonymous:
                shown.setdefault(tuple(c.subject.path), []).append(c)
            out.append(v)
        for path, items in shown.items():
            tx.emit(self._accessed(action, items, list(path)))
        return out

    def _complaint_view(self, c: Complaint, actor) -> dict:
        """The handler sees everything; the investigator all but who complained; the accused nothing."""
        if actor.person_id in c.subject.accused:
            raise Forbidden("the complaint is about you: it is handled by others")
        handler = actor.covers(c.subject.path, {c.handler_role})
        if not handler and actor.person_id != c.investigator_id:
            raise Forbidden("only the complaint's handler and its investigator see it")
        out = {k: v for k, v in view(c).items() if k != "code_hash"}
        out["overdue"] = c.overdue(clock.now())
        if not handler:
            out["complainant"] = None
        return out

    @rpc
    def get_complaint(self, complaint_id: str) -> dict:
        def work(repo: Repository, tx):
            actor = rules.signed_in(self._actor(repo))
            return self._complaint_views(tx, [repo.complaint(complaint_id)], actor, "read")[0]
        return self._write(work)

    @rpc
    def complaints(self, unit_id: str, status: str | None = None, overdue: bool = False, mine: bool = False,
                   limit: int = 100, skip: int = 0) -> dict:
        """A unit's complaints for their handler (never those accusing the reader); `mine`: those
        assigned to the caller to investigate; `overdue`: open past their deadline."""
        limit, skip = page_args(limit, skip)
        if status is not None and status not in {"received", "triaged", "investigating", "resolved", "closed"}:
            raise Invalid("status is received, triaged, investigating, resolved or closed", "status")
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        actor = rules.signed_in(self._actor(repo))
        if not mine:
            rules.require(actor, path, rules.HANDLERS, "see the complaints here")

        def work(repo: Repository, tx):
            if overdue:
                items = repo.open_complaints_due_before(unit_id, clock.now())
                total = len(items)
            else:
                items, total = repo.complaints_under(unit_id, status, actor.person_id if mine else None, limit, skip)
            # Those accusing the reader, or another handler's, are not theirs to see.
            views = self._complaint_views(tx, items, actor, "list", skip_hidden=True)
            return {"total": total - (len(items) - len(views)), "items": views}
        return self._write(work)

    def _change_complaint(self, complaint_id: str, change) -> dict:
        def work(repo: Repository, tx):
            c = repo.complaint(complaint_id)
            actor = rules.signed_in(self._actor(repo))
            if actor.person_id in c.subject.accused:
                raise Forbidden("the complaint is about you: it is handled by others")
            tx.emit(*change(repo, c, actor))
            repo.save_complaint(c)
            return self._complaint_views(tx, [c], actor, "change")[0]
        return self._write(work)

    @rpc
    def triage_complaint(self, complaint_id: str, payload: dict) -> dict:
        cmd = parse(s.Triage, payload)
        return self._change_complaint(complaint_id, lambda repo, c, actor: c.triage(
            cmd.category, cmd.severity, rules.handle_complaint(actor, c.subject.path, c.handler_role).person_id,
            clock))

    @rpc
    def assign_complaint(self, complaint_id: str, payload: dict) -> dict:
        cmd = parse(s.Assign, payload)

        def change(repo, c, actor):
            by = rules.handle_complaint(actor, c.subject.path, c.handler_role).person_id
            if not repo.grants_of(cmd.investigator_id, clock.today()):
                raise Invalid("the investigator is a staff member with a role", "investigator_id")
            return c.assign(cmd.investigator_id, by, clock)
        return self._change_complaint(complaint_id, change)

    @rpc
    def note_complaint(self, complaint_id: str, payload: dict) -> dict:
        cmd = parse(s.NoteText, payload)

        return self._change_complaint(complaint_id, lambda repo, c, actor: c.note(
            cmd.text, rules.investigate_complaint(actor, c).person_id, clock))

    @rpc
    def resolve_complaint(self, complaint_id: str, payload: dict) -> dict:
        cmd = parse(s.Resolve, payload)

        return self._change_complaint(complaint_id, lambda repo, c, actor: c.resolve(
            cmd.outcome, rules.investigate_complaint(actor, c).person_id, clock))

    @rpc
    def close_complaint(self, complaint_id: str) -> dict:
        return self._change_complaint(complaint_id, lambda repo, c, actor: c.close(
            rules.handle_complaint(actor, c.subject.path, c.handler_role).person_id, clock))

    # ------------------------------------------------------------ the audit trail of personal data

    @rpc
    def audit_trail(self, unit_id: str, record_kind: str | None = None, by_person_id: str | None = None,
                    record_id: str | None = None, limit: int = 100, skip: int = 0) -> dict:
        """Who read or changed whose beneficiary, complainant or donor record under a unit, newest
        first (kernel.personal); for the oversight head there and the Center."""
        limit, skip = page_args(limit, skip)
        if record_kind is not None and record_kind not in ("beneficiary", "complainant", "donor"):
            raise Invalid("record_kind is beneficiary, complainant or donor", "record_kind")
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_audit_trail(self._actor(repo), path)
        rows, total = repo.audit_under(unit_id, record_kind, by_person_id, record_id, limit, skip)
        return {"total": total, "items": [{"id": r.pop("_id"), **r} for r in rows]}

    # ------------------------------------------------------------ violations and rulings (§6.3)

    @rpc
    def record_violation(self, payload: dict) -> dict:
        cmd = parse(s.RecordViolation, payload)

        def work(repo: Repository, tx):
            path = repo.person_path(cmd.person_id)
            actor = rules.record_violation(self._actor(repo), path)
            province = repo.ancestor_of_kind(path, "province")
            if province is None:
                raise Invalid("the person is not inside a province", "person_id")
            if cmd.source_id and cmd.source.value == "complaint":
                repo.complaint(cmd.source_id)
            v, events = Violation.record(person_id=cmd.person_id, province_id=province, path=path, source=cmd.source,
                                         source_id=cmd.source_id, description=cmd.description,
                                         by=actor.person_id, clock=clock)
            repo.add_violation(v)
            tx.emit(*events)
            return view(v)
        return self._write(work)

    def _change_violation(self, violation_id: str, change) -> dict:
        def work(repo: Repository, tx):
            v = repo.violation(violation_id)
            tx.emit(*change(repo, v))
            repo.save_violation(v)
            return view(v)
        return self._write(work)

    @rpc
    def handle_violation(self, violation_id: str, payload: dict) -> dict:
        cmd = parse(s.Decide, payload)
        return self._change_violation(violation_id, lambda repo, v: v.handle(
            cmd.decision, rules.decide_violation(self._actor(repo), v.path).person_id))

    @rpc
    def escalate_violation(self, violation_id: str) -> dict:
        return self._change_violation(violation_id, lambda repo, v: v.escalate(
            rules.decide_violation(self._actor(repo), v.path).person_id))

    @rpc
    def rule_violation(self, violation_id: str, payload: dict) -> dict:
        cmd = parse(s.Rule, payload)
        return self._change_violation(violation_id, lambda repo, v: v.rule(
            RulingKind(cmd.kind), cmd.months, cmd.reason, rules.rule(self._actor(repo), v.path).person_id, clock))

    @rpc
    def lift_ruling(self, violation_id: str, payload: dict) -> dict:
        cmd = parse(s.Lift, payload)
        return self._change_violation(violation_id, lambda repo, v: v.lift(
            cmd.reason, rules.rule(self._actor(repo), v.path).person_id, clock))

    @rpc
    def get_violation(self, violation_id: str) -> dict:
        repo = self._read()
        v = repo.violation(violation_id)
        actor = rules.signed_in(self._actor(repo))
        if actor.person_id == v.person_id:
            return view(v)   # the person sees what was decided about them
        rules.see_violations(actor, v.path)
        return view(v)

    @rpc
    def violations(self, unit_id: str, person_id: str | None = None, limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_violations(self._actor(repo), path)
        items, total = repo.violations_under(unit_id, person_id, limit, skip)
        return {"total": total, "items": [view(v) for v in items]}

    # ------------------------------------------------------------ checklists and inspections (§6.2)

    def _province(self, repo: Repository, unit_id: str, field: str) -> list[str]:
        path, kind = repo.unit_path(unit_id)
        if kind != "province":
            raise Invalid("checklists and seasons' plans are a province's", field)
        return path

    @rpc
    def define_checklist(self, payload: dict) -> dict:
        cmd = parse(s.DefineChecklist, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id, "province_id")
            actor = rules.keep_checklists(self._actor(repo), path)
            c, events = Checklist.define(key=cmd.key, province_id=cmd.province_id, title=cmd.title,
                                         items=[Item(**i.model_dump()) for i in cmd.items],
                                         previous=repo.latest_checklist(cmd.province_id, cmd.key),
                                         by=actor.person_id, clock=clock)
            repo.add_checklist(c)
            tx.emit(*events)
            return view(c)
        return self._write(work)

    @rpc
    def checklists(self, province_id: str) -> list[dict]:
        repo = self._read()
        path = self._province(repo, province_id, "province_id")
        rules.see_inspections(self._actor(repo), path)
        return [view(c) for c in repo.checklists_of(province_id)]

    @rpc
    def plan_season(self, payload: dict) -> dict:
        """A periodic inspection for every active kanoon of the province in the season; run again,
        it plans only the kanoons not planned yet."""
        cmd = parse(s.PlanSeason, payload)
        repo = self._read()
        path = self._province(repo, cmd.province_id, "province_id")
        actor = rules.plan_inspections(self._actor(repo), path)
        checklist = repo.checklist(cmd.checklist_id)
        planned = existing = 0
        for kanoon_id, kanoon_path in repo.active_kanoons_under(cmd.province_id):
            i = Inspection.plan(kind=InspectionKind.periodic, target_id=kanoon_id, target_path=kanoon_path,
                                province_id=cmd.province_id, season=cmd.season, checklist=checklist,
                                by=actor.person_id, clock=clock)

            # One short transaction per kanoon, each idempotent by its key (the kanoon and the season):
            # not under the request's idempotency key, which records one outcome per request.
            try:
                added, _, _ = self.store.transaction(lambda tx, i=i: Repository(tx.db).add_inspection(i),
                                                     correlation_id=self.ctx.request_id,
                                                     deadline=self.ctx.store_deadline)
            except Conflict:
                added = False   # planned by another request meanwhile
            if added:
                planned += 1
            else:
                existing += 1
        return {"province_id": cmd.province_id, "season": cmd.season, "planned": planned, "existing": existing}

    @rpc
    def plan_visit(self, payload: dict) -> dict:
        cmd = parse(s.PlanVisit, payload)

        def work(repo: Repository, tx):
            path, kind = repo.unit_path(cmd.target_id)
            wanted = "city" if cmd.kind == InspectionKind.deputy_visit else "kanoon"   # a county is a city unit
            if kind != wanted:
                raise Invalid(f"a {cmd.kind.value.replace('_', ' ')} is to a {'county' if wanted == 'city' else wanted}",
                              "target_id")
            if cmd.kind == InspectionKind.periodic:
                raise Invalid("periodic inspections are planned for the season (POST /api/inspections/season)",
                              "kind")
            actor = (rules.plan_inspections(self._actor(repo), path) if cmd.kind == InspectionKind.surprise
                     else rules.visitor_role(self._actor(repo), path, cmd.kind.value)[0])
            province = repo.ancestor_of_kind(path, "province")
            i = Inspection.plan(kind=cmd.kind, target_id=cmd.target_id, target_path=path, province_id=province,
                                season=str(jalali.period_of(clock.today(), "season")),
                                checklist=repo.checklist(cmd.checklist_id), by=actor.person_id, clock=clock)
            repo.add_inspection(i)
            return view(i)
        return self._write(work)

    @rpc
    def record_inspection(self, inspection_id: str, payload: dict) -> dict:
        cmd = parse(s.RecordInspection, payload)

        def work(repo: Repository, tx):
            i = repo.inspection(inspection_id)
            actor, role = rules.visitor_role(self._actor(repo), i.target_path, i.kind.value)
            tx.emit(*i.record(checklist=repo.checklist(i.checklist_id), answers=cmd.answers, minutes=cmd.minutes,
                              visited_on=cmd.visited_on, visitor_id=actor.person_id, visitor_role=role,
                              today=clock.today(), clock=clock))
            repo.save_inspection(i)
            return view(i)
        return self._write(work)

    @rpc
    def attach_to_inspection(self, inspection_id: str, payload: dict) -> dict:
        """A photo or a scanned page of the minutes, by whoever may make this visit."""
        cmd = parse(s.UploadAttachment, payload)
        content = uploads.decode(cmd.content)
        kind = uploads.content_type_of(content)
        repo = self._read()
        i = repo.inspection(inspection_id)
        actor, _ = rules.visitor_role(self._actor(repo), i.target_path, i.kind.value)
        file_id = uploads.keyed_id("at", self.ctx.idempotency, clock)
        repo.store_file(file_id, cmd.name, content, kind)   # the bytes first: a record never lacks its file

        def work(repo: Repository, tx):
            i = repo.inspection(inspection_id)
            i.attach(Attachment.of(file_id, cmd.name, content, kind, actor.person_id, clock.now()))
            repo.save_inspection(i)
            return view(i)
        return self._write(work)

    @rpc
    def attachment(self, inspection_id: str, attachment_id: str) -> dict:
        repo = self._read()
        i = repo.inspection(inspection_id)
        rules.see_inspections(self._actor(repo), i.target_path)
        a = next((a for a in i.attachments if a.id == attachment_id), None)
        if a is None:
            raise NotFound(f"no attachment {attachment_id} on this inspection", "attachment_id")
        return {**view(a), "content": base64.b64encode(repo.file_content(a.id)).decode()}

    @rpc
    def send_inspection(self, inspection_id: str) -> dict:
        def work(repo: Repository, tx):
            i = repo.inspection(inspection_id)
            actor = rules.plan_inspections(self._actor(repo), i.target_path)
            tx.emit(*i.send(actor.person_id, clock))
            repo.save_inspection(i)
            return view(i)
        return self._write(work)

    @rpc
    def get_inspection(self, inspection_id: str) -> dict:
        repo = self._read()
        i = repo.inspection(inspection_id)
        rules.see_inspections(self._actor(repo), i.target_path)
        return view(i)

    @rpc
    def inspections(self, unit_id: str, period: str) -> dict:
        """A unit's inspections in a Jalali season or year, with inspected against planned, the mean
        score and the active kanoons never inspected in the period."""
        seasons = _seasons(period)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_inspections(self._actor(repo), path)
        items = repo.inspections_under(unit_id, seasons)
        kanoons = [k for k, _ in repo.active_kanoons_under(unit_id)]
        return {"unit_id": unit_id, "period": period, **coverage(items, kanoons), "items": [view(i) for i in items]}

    # ------------------------------------------------------------ the money's trail, register (§6.4)

    @rpc
    def findings(self, unit_id: str, status: str | None = None) -> list[dict]:
        if status not in (None, "open", "reviewed"):
            raise Invalid("status is open or reviewed", "status")
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_findings(self._actor(repo), path)
        return [view(f) for f in repo.findings_under(unit_id, status)]

    @rpc
    def review_finding(self, finding_id: str, payload: dict) -> dict:
        cmd = parse(s.ReviewFinding, payload)

        def work(repo: Repository, tx):
            f = repo.finding(finding_id)
            tx.emit(*f.review(cmd.note, rules.review_money(self._actor(repo), f.path).person_id))
            repo.save_finding(f)
            return view(f)
        return self._write(work)

    @rpc
    def register_risk(self, payload: dict) -> dict:
        cmd = parse(s.RegisterRisk, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id, "province_id")
            actor = rules.keep_register(self._actor(repo), path)
            r = ProcessRisk.register(province_id=cmd.province_id, process=cmd.process, owner_role=cmd.owner_role,
                                     level=RiskLevel(cmd.level), controls=cmd.controls, by=actor.person_id,
                                     clock=clock)
            repo.add_risk(r)
            return view(r)
        return self._write(work)

    @rpc
    def revise_risk(self, risk_id: str, payload: dict) -> dict:
        cmd = parse(s.ReviseRisk, payload)

        def work(repo: Repository, tx):
            r = repo.risk(risk_id)
            actor = rules.keep_register(self._actor(repo), repo.unit_path(r.province_id)[0])
            r.revise(level=RiskLevel(cmd.level), controls=cmd.controls, by=actor.person_id, clock=clock)
            repo.save_risk(r)
            return view(r)
        return self._write(work)

    @rpc
    def risks(self, province_id: str) -> list[dict]:
        repo = self._read()
        path = self._province(repo, province_id, "province_id")
        rules.see_register(self._actor(repo), path)
        return [view(r) for r in repo.risks_of(province_id)]

    # ------------------------------------------------------------ sessions, opinions, reports (§6.5, §6.6)

    @rpc
    def record_session(self, payload: dict) -> dict:
        cmd = parse(s.RecordSession, payload)

        def work(repo: Repository, tx):
            path, _ = repo.unit_path(cmd.unit_id)
            actor = rules.record_session(self._actor(repo), path)
            sess = Session.record(unit_id=cmd.unit_id, path=path, held_on=cmd.held_on, topic=cmd.topic,
                                  attendees=cmd.attendees, by=actor.person_id, clock=clock)
            repo.add_session(sess)
            return view(sess)
        return self._write(work)

    @rpc
    def give_opinion(self, payload: dict) -> dict:
        cmd = parse(s.GiveOpinion, payload)
        period = str(_period(cmd.period))

        def work(repo: Repository, tx):
            path, _ = repo.unit_path(cmd.target_id)
            actor = rules.give_opinion(self._actor(repo), path)
            province = repo.ancestor_of_kind(path, "province")
            if province is None:
                raise Invalid("the opinion is of a kanoon or unit inside a province", "target_id")
            o, events = Opinion.give(target_id=cmd.target_id, path=path, province_id=province, period=period,
                                     rating=cmd.rating, text=cmd.text,
                                     previous=repo.opinion(Opinion.key(cmd.target_id, period)),
                                     by=actor.person_id, clock=clock)
            repo.put_opinion(o)
            tx.emit(*events)
            return view(o)
        return self._write(work)

    @rpc
    def opinions(self, unit_id: str, period: str) -> list[dict]:
        p = str(_period(period))
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_reports(self._actor(repo), path)
        return [view(o) for o in repo.opinions_under(unit_id, p)]

    @rpc
    def report(self, unit_id: str, period: str) -> dict:
        """The oversight report of a unit for a Jalali period, for the supervising bodies (§6.5)."""
        p = _period(period)
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_reports(self._actor(repo), path)
        start, end = p.start_utc, p.end_utc
        seasons = _seasons(str(p)) if p.kind in ("season", "year") else [str(jalali.period_of(p.first_day, "season"))]
        return {"unit_id": unit_id, "period": str(p), **period_report(
            complaints=repo.complaints_received(unit_id, start, end),
            inspections=repo.inspections_under(unit_id, seasons),
            violations=repo.violations_recorded(unit_id, start, end),
            sessions=repo.sessions_under(unit_id, start, end),
            findings=repo.findings_under(unit_id, None, start, end, limit=20000), now=clock.now())}


def _period(text: str):
    try:
        return jalali.parse_period(text)
    except ValueError as exc:
        raise Invalid(str(exc), "period") from None


def _seasons(period: str) -> list[str]:
    try:
        p = jalali.parse_period(period)
    except ValueError as exc:
        raise Invalid(str(exc), "period") from None
    if p.kind == "season":
        return [str(p)]
    if p.kind == "year":
        return [f"{p.year}-Q{n}" for n in range(1, 5)]
    raise Invalid("inspections are counted per Jalali season (1404-Q3) or year (1404)", "period")


def _public(c: Complaint) -> dict:
    out = c.public_view()
    return {**out, "received_at": out["received_at"].isoformat(), "status_at": out["status_at"].isoformat()}


