"""The reports service (DOMAIN §3, §4): nameko entrypoints that validate, check access, call the
domain and store the result with its events in one transaction. It learns units, kanoons,
memberships and roles from the registry's events and keeps its aggregates from its own events."""
from __future__ import annotations

import json
import re
from pathlib import Path

from kernel import jalali, personal, persian
from kernel.access import Actor
from kernel.clock import SYSTEM as clock
from kernel.commands import page_args, parse, view
from kernel.errors import Invalid
from kernel.fold import Folder
from kernel.messaging import batch_event_handler, reliable_event_handler
from kernel.rulings import apply_ruling_event, check_may_join, restrictions_of
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc
from kernel.settings import cached_settings
from kernel.store import Transaction

from . import events as ev
from . import schemas as s
from .domain import aggregates, rules
from .domain.campaigns import Campaign
from .domain.monthly import MonthlyReport, compile_month, completeness
from .domain.needs import Beneficiary, ExecutiveProject, Need
from .domain.programs import Program, program_compliance
from .domain.reports import ActivityReport, Media
from .domain.reservations import Reservation
from .domain.service_types import Instruction, ServiceType
from .events import ServiceTypeDefined
from .projections import apply_occasion_event, apply_own_event, apply_registry_event, fold_deltas
from .repository import Repository, ensure_indexes

CATALOGUE = Path(__file__).parent / "data" / "service_types.json"


def setup_store(db) -> None:
    """Indexes, and the starter catalogue of service types (added once; later edits are kept)."""
    ensure_indexes(db)
    for row in json.loads(CATALOGUE.read_text(encoding="utf-8"))["service_types"]:
        db.service_types.update_one({"_id": row["id"]}, {"$setOnInsert": {
            "name": row["name"], "field": row.get("field"), "scope_id": "IR", "active": True, "version": 0}},
            upsert=True)


def beneficiary_match(q) -> dict:
    """The query a beneficiary search's text means: a national ID, a mobile, or name word prefixes."""
    if not isinstance(q, str) or len(q) > 100:
        raise Invalid("the search text is at most 100 characters", "q")
    compact = re.sub(r"[\s\-()]", "", persian.normalize_digits(q))
    if persian.is_valid_national_id(compact):
        return {"national_id_bi": personal.sealer().blind(compact)}
    try:
        return {"mobile_bi": personal.sealer().blind(persian.normalize_mobile(compact))}
    except ValueError:
        pass
    words = persian.name_key(q).split()
    if sum(len(w) for w in words) < 2:
        raise Invalid("type at least two letters of a name, or a national ID or mobile", "q")
    return {"$and": [{"name_tokens": {"$regex": "^" + re.escape(w)}} for w in words[:5]]}


def _month(text: str):
    try:
        p = jalali.parse_period(text)
    except ValueError as exc:
        raise Invalid(str(exc), "month") from None
    if p.kind != "month":
        raise Invalid("give a month, e.g. 1403-07", "month")
    return p


def _period(text: str):
    try:
        return jalali.parse_period(text)
    except ValueError as exc:
        raise Invalid(str(exc), "period") from None


class ReportsProjections:
    """The reports service's event handlers, in a container of their own (started beside
    `ReportsService` in the same process, or scaled on their own): they have their own worker budget,
    so a burst of events, or handlers deferring writes to a busy store, never starve the RPC
    entrypoints. They keep the read model of the registry and the aggregate buckets."""

    name = "reports_projections"
    owner = "reports"  # its database, queues and parking lot are the reports service's

    store = StoreProvider(relay=False)
    # The aggregate buckets are hot (every report of a province adds to the same few): handlers
    # record deltas, one folder at a time adds them up (kernel.fold).
    aggregate_folder = Folder("aggregates", "aggregate_deltas", fold_deltas)

    @reliable_event_handler("registry", "registry.#")
    def on_registry_event(self, envelope: dict) -> None:
        self.store.apply("registry", envelope, lambda tx: apply_registry_event(tx.db, envelope),
                         self.store_budget)

    @reliable_event_handler("oversight", "oversight.ruling.#")
    def on_ruling(self, envelope: dict) -> None:
        """The protection committee's rulings: a suspended member's activity reports are refused."""
        self.store.apply("oversight", envelope, lambda tx: apply_ruling_event(tx.db, envelope), self.store_budget)

    @reliable_event_handler("festival", "festival.occasion.#")
    def on_occasion(self, envelope: dict) -> None:
        """The festival service's calendar of occasions, which campaigns are tied to."""
        self.store.apply("festival", envelope, lambda tx: apply_occasion_event(tx.db, envelope), self.store_budget)

    # The busiest queue (every report's events): batched, one transaction per batch.
    @batch_event_handler("reports", "reports.#")
    def on_own_event(self, envelopes: list[dict]) -> None:
        self.store.apply_batch("aggregates", envelopes, apply_own_event, self.store_budget)

    @property
    def store_budget(self) -> float:
        return cached_settings().handler_store_seconds


class ReportsService(DomainService):
    name = "reports"
    repository = Repository

    store = StoreProvider(indexes=setup_store)
    ctx = ContextProvider()

    # ------------------------------------------------------------ plumbing

    def _actor(self, repo: Repository) -> Actor | None:
        """The caller with the roles this service knows from the registry's events (never what a
        caller claims)."""
        return repo.actor(self.ctx.user_id, self.ctx.person_id, clock.today())

    # ------------------------------------------------------------ service types (§4.1)

    @rpc
    def define_service_type(self, payload: dict) -> dict:
        cmd = parse(s.DefineServiceType, payload)

        def work(repo: Repository, tx: Transaction):
            path, kind = repo.unit_path(cmd.scope_id)
            rules.province_or_center(self._actor(repo), path, kind, "define service types")
            t = ServiceType(id=cmd.id, name=cmd.name, field=cmd.field, scope_id=cmd.scope_id)
            repo.add_service_type(t)
            tx.emit(ServiceTypeDefined(service_type_id=t.id, name=t.name, field=t.field, scope_id=t.scope_id))
            return view(t)
        return self._write(work)

    @rpc
    def publish_instruction(self, type_id: str, payload: dict) -> dict:
        """A new version of a service type's executive instruction in a province (§4.1), notified
        to the kanoons there that may report the type."""
        cmd = parse(s.PublishInstruction, payload)

        def work(repo: Repository, tx: Transaction):
            t = repo.service_type(type_id)
            path, kind = repo.unit_path(cmd.province_id)
            if kind != "province":
                raise Invalid("an instruction is written for a province", "province_id")
            actor = rules.write_instruction(self._actor(repo), path, t.field)
            i, events = Instruction.publish(service_type=t, scope_id=cmd.province_id, scope_path=path,
                                            previous=repo.instruction_version(t.id, cmd.province_id), text=cmd.text,
                                            by=actor.person_id, notify=repo.active_kanoons_for_type(cmd.province_id, t),
                                            clock=clock)
            repo.add_instruction(i)
            tx.emit(*events)
            return view(i)
        return self._write(work)

    @rpc
    def instructions(self, kanoon_id: str) -> list[dict]:
        """The instructions in force for the service types a kanoon may report."""
        repo = self._read()
        k = repo.kanoon(kanoon_id)
        rules.signed_in(self._actor(repo))
        usable = {t.id for t in repo.service_types_for(k.path) if t.usable_by(k)}
        return [view(i) for i in repo.instructions_for(k.path) if i.service_type in usable]

    @rpc
    def service_types(self, kanoon_or_unit_id: str) -> list[dict]:
        repo = self._read()
        rules.signed_in(self._actor(repo))
        path, _ = repo.unit_path(kanoon_or_unit_id)
        k = repo.find_kanoon(kanoon_or_unit_id)
        types = repo.service_types_for(path)
        if k is not None:
            types = [t for t in types if t.usable_by(k)]
        return [view(t) for t in types]

    # ------------------------------------------------------------ activity reports (§4.2)

    @rpc
    def submit_report(self, payload: dict) -> dict:
        cmd = parse(s.SubmitReport, payload)

        def work(repo: Repository, tx: Transaction):
            actor = self._actor(repo)
            kanoon = repo.kanoon(cmd.kanoon_id)
            membership = repo.membership(actor.person_id) if actor else None
            rules.report_for(actor, (membership or {}).get("kanoon_id"), kanoon)
            check_may_join(restrictions_of(tx.db, actor.person_id), clock.today(), "reporter_id")
            campaign = repo.campaign(cmd.campaign_id) if cmd.campaign_id else None
            report, events = ActivityReport.submit(
                reporter_id=actor.person_id, reporter_kind=(membership or {}).get("kind") or "member",
                kanoon=kanoon, service_type=repo.service_type(cmd.service_type), day=cmd.day,
                today=clock.today(), hours=cmd.hours, place=cmd.place, beneficiaries=cmd.beneficiaries,
                description=cmd.description, media=[Media(**m.model_dump()) for m in cmd.media],
                campaign=campaign, clock=clock, window_days=repo.province_settings(kanoon.path)["report_window_days"])
            repo.add_report(report)
            tx.emit(*events)
            return view(report)
        return self._write(work)

    @rpc
    def get_report(self, report_id: str) -> dict:
        repo = self._read()
        r = repo.report(report_id)
        rules.view_report(self._actor(repo), r, repo.kanoon(r.kanoon_id).field)
        return view(r)

    @rpc
    def list_reports(self, kanoon_id: str, status: str | None = None, month: str | None = None,
                     limit: int = 100, skip: int = 0) -> list[dict]:
        limit, skip = page_args(limit, skip)
        if status is not None and status not in ("submitted", "approved", "rejected", "returned"):
            raise Invalid("status is submitted, approved, rejected or returned", "status")
        period = _month(month) if month else None
        repo = self._read()
        k = repo.kanoon(kanoon_id)
        rules.require(self._actor(repo), k.path, rules.OFFICIALS_AND_STAFF, "see this kanoon's reports", k.field)
        return [view(r) for r in repo.reports(kanoon_id=kanoon_id, status=status, month=period, limit=limit,
                                              skip=skip)]

    @rpc
    def my_reports(self, limit: int = 100, skip: int = 0) -> list[dict]:
        limit, skip = page_args(limit, skip)
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        return [view(r) for r in repo.reports(reporter_id=actor.person_id, limit=limit, skip=skip)]

    def _change_report(self, report_id: str, authorize, change) -> dict:
        """Load a report, check the caller may act on it, apply the change, save it with its events."""
        def work(repo: Repository, tx: Transaction):
            r = repo.report(report_id)
            actor = authorize(self._actor(repo), r)
            tx.emit(*change(repo, r, actor.person_id))
            repo.save_report(r)
            return view(r)
        return self._write(work)

    @rpc
    def review_report(self, report_id: str, payload: dict) -> dict:
        cmd = parse(s.ReviewReport, payload)
        return self._change_report(report_id, rules.review_report, lambda repo, r, by: (
            r.approve(by, clock) if cmd.approve else r.reject(by, cmd.reason, clock)))

    @rpc
    def return_report(self, report_id: str, payload: dict) -> dict:
        cmd = parse(s.ReturnReport, payload)
        return self._change_report(report_id, rules.return_report,
                                   lambda repo, r, by: r.return_for_review(by, cmd.comment, clock))

    @rpc
    def resubmit_report(self, report_id: str, payload: dict) -> dict:
        cmd = parse(s.ResubmitReport, payload)

        def change(repo: Repository, r: ActivityReport, by: str) -> list:
            kanoon = repo.kanoon(r.kanoon_id)
            t = repo.service_type(cmd.service_type) if cmd.service_type else None
            changes = cmd.model_dump(exclude_none=True, exclude={"service_type", "media"})
            if cmd.media is not None:
                changes["media"] = [Media(**m.model_dump()) for m in cmd.media]
            campaign = repo.campaign(r.campaign_id) if r.campaign_id else None
            return r.resubmit(by, changes, t, kanoon, campaign, clock.today(), clock,
                              repo.province_settings(kanoon.path)["report_window_days"])
        return self._change_report(report_id, rules.resubmit_report, change)

    @rpc
    def flag_report(self, report_id: str, payload: dict) -> dict:
        cmd = parse(s.FlagReport, payload)
        return self._change_report(report_id, rules.flag_report,
                                   lambda repo, r, by: r.flag(cmd.flag, by, cmd.note, clock))

    # ------------------------------------------------------------ reservations (§4.3)

    @rpc
    def reserve_slot(self, payload: dict) -> dict:
        cmd = parse(s.ReserveSlot, payload)

        def work(repo: Repository, tx: Transaction):
            actor = self._actor(repo)
            kanoon = repo.kanoon(cmd.kanoon_id)
            membership = repo.membership(actor.person_id) if actor else None
            rules.report_for(actor, (membership or {}).get("kanoon_id"), kanoon)
            check_may_join(restrictions_of(tx.db, actor.person_id), clock.today(), "reporter_id")
            r, events = Reservation.request(person_id=actor.person_id, kanoon=kanoon,
                                            service_type=repo.service_type(cmd.service_type), day=cmd.day,
                                            today=clock.today(), from_hour=cmd.from_hour, to_hour=cmd.to_hour,
                                            note=cmd.note, clock=clock)
            repo.add_reservation(r)
            tx.emit(*events)
            return view(r)
        return self._write(work)

    @rpc
    def decide_reservation(self, reservation_id: str, payload: dict) -> dict:
        cmd = parse(s.DecideReservation, payload)

        def work(repo: Repository, tx: Transaction):
            r = repo.reservation(reservation_id)
            actor = rules.kanoon_official(self._actor(repo), repo.kanoon(r.kanoon_id), "decide reservations here")
            tx.emit(*r.decide(cmd.confirm, actor.person_id, cmd.reason))
            repo.save_reservation(r)
            return view(r)
        return self._write(work)

    @rpc
    def cancel_reservation(self, reservation_id: str) -> dict:
        """The member who reserved withdraws, or the kanoon's head or deputy calls the slot off."""
        def work(repo: Repository, tx: Transaction):
            r = repo.reservation(reservation_id)
            actor = rules.signed_in(self._actor(repo))
            if actor.person_id != r.person_id:
                rules.kanoon_official(actor, repo.kanoon(r.kanoon_id), "cancel another member's reservation")
            tx.emit(*r.cancel(actor.person_id, clock.today()))
            repo.save_reservation(r)
            return view(r)
        return self._write(work)

    @rpc
    def list_reservations(self, kanoon_id: str, status: str | None = None) -> list[dict]:
        if status is not None and status not in ("requested", "confirmed", "declined", "cancelled"):
            raise Invalid("status is requested, confirmed, declined or cancelled", "status")
        repo = self._read()
        k = repo.kanoon(kanoon_id)
        rules.kanoon_official(self._actor(repo), k, "see this kanoon's reservations")
        return [view(r) for r in repo.reservations_of(kanoon_id, status)]

    # ------------------------------------------------------------ campaigns (§4.4)

    @rpc
    def announce_campaign(self, payload: dict) -> dict:
        cmd = parse(s.AnnounceCampaign, payload)

        def work(repo: Repository, tx: Transaction):
            path, kind = repo.unit_path(cmd.scope_id)
            actor, draft = rules.campaign_author(self._actor(repo), path, kind, cmd.field)
            for t in cmd.service_types:
                repo.service_type(t, "service_types")
            targets = {t: repo.unit_path(t)[0] for t in cmd.target_ids}
            occasion = repo.occasion(cmd.occasion_id) if cmd.occasion_id else None
            c, events = Campaign.announce(title=cmd.title, description=cmd.description, scope_id=cmd.scope_id,
                                          scope_path=path, starts_on=cmd.starts_on, ends_on=cmd.ends_on,
                                          targets=targets, service_types=cmd.service_types,
                                          by=actor.person_id, clock=clock, field=cmd.field, draft=draft,
                                          occasion=occasion)
            repo.add_campaign(c)
            tx.emit(*events)
            return view(c)
        return self._write(work)

    @rpc
    def approve_campaign(self, campaign_id: str) -> dict:
        def work(repo: Repository, tx: Transaction):
            c = repo.campaign(campaign_id)
            actor = rules.approve_campaign(self._actor(repo), c.scope_path)
            tx.emit(*c.approve(actor.person_id, clock))
            repo.save_campaign(c)
            return view(c)
        return self._write(work)

    @rpc
    def campaigns(self, unit_id: str) -> list[dict]:
        repo = self._read()
        rules.signed_in(self._actor(repo))
        path, _ = repo.unit_path(unit_id)
        actor = self._actor(repo)
        return [view(c) for c in repo.campaigns_for(path)
                if c.status == "announced" or actor.covers(c.scope_path, rules.PROVINCE_MANAGER | rules.PLANNING_HEAD)]

    @rpc
    def campaign_report(self, campaign_id: str, unit_id: str) -> dict:
        """Participation in one campaign within a unit (a kanoon, a city, a province, …)."""
        repo = self._read()
        c = repo.campaign(campaign_id)
        path, field = repo.target(unit_id)
        rules.figures(self._actor(repo), path, field)
        totals = aggregates.campaign_totals(c.id, repo.buckets_by_id([aggregates.bucket_id(unit_id, m) for m in c.months]))
        return {"campaign": view(c), "unit_id": unit_id, **totals}

    # ------------------------------------------------------------ collective programs (§4.5)

    @rpc
    def record_program(self, payload: dict) -> dict:
        cmd = parse(s.RecordProgram, payload)

        def work(repo: Repository, tx: Transaction):
            kanoon = repo.kanoon(cmd.kanoon_id)
            actor = rules.kanoon_official(self._actor(repo), kanoon, "record this kanoon's programs")
            partners = [repo.kanoon(p, "partner_kanoon_ids") for p in cmd.partner_kanoon_ids]
            p, events = Program.record(kanoon=kanoon, title=cmd.title, held_on=cmd.held_on, today=clock.today(),
                                       attendance=cmd.attendance, partners=partners, note=cmd.note,
                                       by=actor.person_id, clock=clock)
            repo.add_program(p)
            tx.emit(*events)
            return view(p)
        return self._write(work)

    @rpc
    def program_compliance(self, unit_id: str, month: str) -> dict:
        period = _month(month)
        repo = self._read()
        path, field = repo.target(unit_id)
        rules.figures(self._actor(repo), path, field)
        c = program_compliance(unit_id, str(period), repo.kanoons_under(unit_id),
                               repo.kanoons_with_programs(unit_id, period))
        return {**c.model_dump(), "rate": c.rate}

    # ------------------------------------------------------------ monthly kanoon report (§4.6)

    @rpc
    def submit_monthly(self, payload: dict) -> dict:
        cmd = parse(s.SubmitMonthly, payload)
        period = _month(cmd.month)

        def work(repo: Repository, tx: Transaction):
            kanoon = repo.kanoon(cmd.kanoon_id)
            actor = rules.kanoon_official(self._actor(repo), kanoon, "submit this kanoon's monthly report")
            figures = compile_month(repo.approved_reports_of(kanoon.id, period), repo.programs_of(kanoon.id, period))
            args = dict(kanoon=kanoon, figures=figures, clients=cmd.clients, public_requests=cmd.public_requests,
                        answered=cmd.public_requests_answered, narrative=cmd.narrative,
                        supplementary=cmd.supplementary, by=actor.person_id, at=clock.now())
            existing = repo.find_monthly(kanoon.id, str(period))
            if existing is None:
                r, events = MonthlyReport.submit(
                    month=str(period), deadline_day=repo.province_settings(kanoon.path)["monthly_deadline_day"], **args)
                repo.add_monthly(r)
            else:
                r = existing
                events = r.resubmit(**args)
                repo.save_monthly(r)
            tx.emit(*events)
            return view(r)
        return self._write(work)

    @rpc
    def review_monthly(self, kanoon_id: str, month: str, payload: dict) -> dict:
        cmd = parse(s.ReviewMonthly, payload)
        period = _month(month)

        def work(repo: Repository, tx: Transaction):
            kanoon = repo.kanoon(kanoon_id)
            actor = rules.review_monthly(self._actor(repo), kanoon)
            r = repo.monthly(kanoon_id, str(period))
            tx.emit(*(r.accept(actor.person_id, clock) if cmd.accept
                      else r.return_with(cmd.comment, actor.person_id, clock)))
            repo.save_monthly(r)
            return view(r)
        return self._write(work)

    @rpc
    def get_monthly(self, kanoon_id: str, month: str) -> dict:
        period = _month(month)
        repo = self._read()
        kanoon = repo.kanoon(kanoon_id)
        rules.figures(self._actor(repo), kanoon.path, kanoon.field)
        return view(repo.monthly(kanoon_id, str(period)))

    @rpc
    def monthly_completeness(self, unit_id: str, month: str) -> dict:
        period = _month(month)
        repo = self._read()
        path, field = repo.target(unit_id)
        rules.figures(self._actor(repo), path, field)
        c = completeness(unit_id, str(period), repo.kanoons_under(unit_id), repo.monthly_under(unit_id, str(period)))
        return {**c.model_dump(), "reported_rate": c.reported_rate, "on_time_rate": c.on_time_rate}

    # ------------------------------------------------------------ aggregates (§4.7)

    @rpc
    def aggregates(self, unit_id: str, period: str) -> dict:
        p = _period(period)
        repo = self._read()
        path, field = repo.target(unit_id)
        rules.figures(self._actor(repo), path, field)
        return aggregates.summarize(unit_id, p, repo.buckets(unit_id, p))

    # ------------------------------------------------------------ beneficiaries and needs (§3)

    @rpc
    def register_beneficiary(self, payload: dict) -> dict:
        cmd = parse(s.RegisterBeneficiary, payload)
        if cmd.birth_date and cmd.birth_date > clock.today():
            raise Invalid("a birth date cannot be in the future", "birth_date")

        def work(repo: Repository, tx: Transaction):
            kanoon = repo.kanoon(cmd.kanoon_id)
            actor = rules.kanoon_official(self._actor(repo), kanoon, "register this kanoon's beneficiaries")
            b, events = Beneficiary.register(kanoon=kanoon, by=actor.person_id, clock=clock,
                                             **cmd.model_dump(exclude={"kanoon_id"}))
            repo.add_beneficiary(b)
            tx.emit(*events, self._audit("create", [b.id], kanoon.path))
            return view(b)
        return self._write(work)

    def _audit(self, action: str, ids: list[str], path: list[str]) -> ev.PersonalDataAccessed:
        return personal.accessed(ev.PersonalDataAccessed, self.ctx, "beneficiary", action, ids, path)

    @rpc
    def list_beneficiaries(self, kanoon_id: str, limit: int = 100, skip: int = 0, q: str | None = None) -> dict:
        """The kanoon's beneficiaries, for its officials and the oversight group; `q` finds them by
        name (Arabic or Persian letters), national ID or mobile (any digit form)."""
        limit, skip = page_args(limit, skip)
        match = beneficiary_match(q) if q is not None else None
        repo = self._read()
        kanoon = repo.kanoon(kanoon_id)
        actor = self._actor(repo)
        if match is None and not rules.reads_beneficiaries(actor, kanoon):
            # Network staff see how many, never who (§3).
            rules.figures(actor, kanoon.path, kanoon.field)
            return {"total": repo.db.beneficiaries.count_documents({"kanoon_id": kanoon_id}), "items": None}
        rules.read_beneficiaries(actor, kanoon)

        def work(repo: Repository, tx: Transaction):
            # What was shown and the record of who saw it commit together.
            items, total = repo.beneficiaries_of(kanoon_id, limit, skip, match)
            if items:
                tx.emit(self._audit("list" if match is None else "search", [b.id for b in items], kanoon.path))
            return {"total": total, "items": [view(b) for b in items]}
        return self._write(work)

    @rpc
    def get_beneficiary(self, beneficiary_id: str) -> dict:
        def work(repo: Repository, tx: Transaction):
            b = repo.beneficiary(beneficiary_id)
            kanoon = repo.kanoon(b.kanoon_id)
            rules.read_beneficiaries(self._actor(repo), kanoon)
            tx.emit(self._audit("read", [b.id], kanoon.path))
            return view(b)
        return self._write(work)

    @rpc
    def register_need(self, payload: dict) -> dict:
        cmd = parse(s.RegisterNeed, payload)

        def work(repo: Repository, tx: Transaction):
            kanoon = repo.kanoon(cmd.kanoon_id)
            rules.kanoon_official(self._actor(repo), kanoon, "register this kanoon's needs")
            beneficiary = repo.beneficiary(cmd.beneficiary_id) if cmd.beneficiary_id else None
            n, events = Need.register(kanoon=kanoon, beneficiary=beneficiary, clock=clock,
                                      **cmd.model_dump(exclude={"kanoon_id", "beneficiary_id"}))
            if cmd.service_type:
                repo.service_type(cmd.service_type)
            repo.add_need(n)
            tx.emit(*events)
            return self._need_view(n, rules.reads_beneficiaries(self._actor(repo), repo.kanoon(n.kanoon_id)))
        return self._write(work)

    @rpc
    def list_needs(self, kanoon_id: str, status: str | None = None) -> list[dict]:
        if status is not None and status not in ("open", "matched", "met", "closed"):
            raise Invalid("status is open, matched, met or closed", "status")
        repo = self._read()
        kanoon = repo.kanoon(kanoon_id)
        actor = rules.require(self._actor(repo), kanoon.path, rules.OFFICIALS_AND_STAFF, "see this kanoon's needs",
                              kanoon.field)
        return [self._need_view(n, rules.reads_beneficiaries(actor, kanoon)) for n in repo.needs_of(kanoon_id, status)]

    @staticmethod
    def _need_view(n: Need, reads_beneficiaries: bool) -> dict:
        """A need that describes a beneficiary follows the beneficiary's rule (§3): others see that
        it exists and its title, not whom it is for nor its description."""
        out = view(n)
        if n.beneficiary_id and not reads_beneficiaries:
            out["beneficiary_id"] = None
            out["description"] = None
            out["withheld"] = True
        return out

    @rpc
    def match_need(self, need_id: str, payload: dict) -> dict:
        cmd = parse(s.MatchNeed, payload)

        def work(repo: Repository, tx: Transaction):
            n = repo.need(need_id)
            actor = rules.kanoon_official(self._actor(repo), repo.kanoon(n.kanoon_id), "match this kanoon's needs")
            if cmd.member_id:
                m = repo.membership(cmd.member_id)
                member_kanoon = repo.find_kanoon(m["kanoon_id"]) if m and m.get("kanoon_id") else None
                if m is not None and m.get("kind") != "khademyar" and member_kanoon is not None \
                        and member_kanoon.id != n.kanoon_id:
                    raise Invalid("a specialist matched from another kanoon is a khademyar", "member_id")
                city = repo.ancestor_of_kind(n.kanoon_path, "city")
                has_field_kanoon = bool(n.field) and repo.has_specialized_kanoon(city, n.field)
                same_province = member_kanoon is not None and repo.ancestor_of_kind(
                    member_kanoon.path, "province") == repo.ancestor_of_kind(n.kanoon_path, "province")
                tx.emit(*n.match_member(cmd.member_id, member_kanoon, actor.person_id, clock,
                                        city_has_field_kanoon=has_field_kanoon, same_province=same_province))
            else:
                tx.emit(*n.match_kanoon(repo.kanoon(cmd.kanoon_id), actor.person_id, clock))
            repo.save_need(n)
            return self._need_view(n, rules.reads_beneficiaries(self._actor(repo), repo.kanoon(n.kanoon_id)))
        return self._write(work)

    @rpc
    def resolve_need(self, need_id: str, payload: dict) -> dict:
        cmd = parse(s.ResolveNeed, payload)

        def work(repo: Repository, tx: Transaction):
            n = repo.need(need_id)
            actor = rules.kanoon_official(self._actor(repo), repo.kanoon(n.kanoon_id), "resolve this kanoon's needs")
            tx.emit(*n.resolve(cmd.status, actor.person_id))
            repo.save_need(n)
            return self._need_view(n, rules.reads_beneficiaries(self._actor(repo), repo.kanoon(n.kanoon_id)))
        return self._write(work)

    @rpc
    def propose_project(self, payload: dict) -> dict:
        cmd = parse(s.ProposeProject, payload)

        def work(repo: Repository, tx: Transaction):
            kanoon = repo.kanoon(cmd.kanoon_id)
            actor = rules.kanoon_official(self._actor(repo), kanoon, "propose projects for this kanoon")
            p, events = ExecutiveProject.propose(
                kanoon=kanoon, title=cmd.title, description=cmd.description,
                needs=[repo.need(n, "need_ids") for n in cmd.need_ids],
                invited=[repo.kanoon(k, "invited_kanoon_ids") for k in cmd.invited_kanoon_ids], by=actor.person_id,
                clock=clock)
            repo.add_project(p)
            tx.emit(*events)
            return view(p)
        return self._write(work)

    @rpc
    def answer_project(self, project_id: str, payload: dict) -> dict:
        cmd = parse(s.AnswerProject, payload)

        def work(repo: Repository, tx: Transaction):
            p = repo.project(project_id)
            kanoon = repo.kanoon(cmd.kanoon_id)
            actor = rules.kanoon_official(self._actor(repo), kanoon, "answer for this kanoon")
            tx.emit(*p.respond(kanoon.id, cmd.join, actor.person_id))
            repo.save_project(p)
            return view(p)
        return self._write(work)

    @rpc
    def get_project(self, project_id: str) -> dict:
        repo = self._read()
        p = repo.project(project_id)
        actor = self._actor(repo)
        rules.view_project(actor, [p.kanoon_path] + [repo.kanoon(k).path for k in p.invited_kanoon_ids])
        return view(p)
