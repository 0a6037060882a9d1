"""What each route answers, declared, so that the OpenAPI documents every 2xx body and dates leave as
Jalali while nothing else is touched.

Services answer with ISO dates (`2024-10-06`) and instants (`2024-10-06T10:00:00+00:00`). The public
models here are derived from the services' own domain models (`public()`): every field typed `date`
becomes a Jalali date (`1403/07/15`) and every `datetime` a Jalali instant in Tehran time
(`1403/07/15 13:30`); free text stays as it was typed, even when it looks like a date. Keys a model
does not declare pass through unchanged.
"""
from __future__ import annotations

import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, create_model

from kernel import jalali
from kernel.access import Actor
from services.finance.domain import assets as money_assets
from services.finance.domain import consolidated as money_consolidated
from services.finance.domain import fundings as money_fundings
from services.finance.domain import documents as money_documents
from services.finance.domain import expenses as money_expenses
from services.finance.domain import ledger, reconciliation
from services.finance.domain import projects as money_projects
from services.finance.domain import vouchers as money_vouchers
from services.finance.domain import receipts as money_receipts
from services.finance.domain import terminals as money_terminals
from services.festival.domain import evaluation as festival_evaluation
from services.festival.domain import festival as festival_festival
from services.festival.domain import plans as festival_plans
from services.festival.domain import training as festival_training
from services.oversight.domain import complaints as oversight_complaints
from services.oversight.domain import inspections as oversight_inspections
from services.oversight.domain import stewardship as oversight_stewardship
from services.oversight.domain import violations as oversight_violations
from services.registry.domain import kanoons, people, roles, selection, settings, transfers, units
from services.reports.domain import campaigns, monthly, needs, programs, reports, reservations, service_types
from services.secretariat.domain import desk as secretariat_desk
from services.secretariat.domain import hq as secretariat_hq
from services.secretariat.domain import letters as secretariat_letters
from services.secretariat.domain import meetings as secretariat_meetings
from services.secretariat.domain import mous as secretariat_mous
from services.secretariat.domain import news as secretariat_news

JalaliDay = Annotated[date, PlainSerializer(jalali.format_date, return_type=str),
                      WithJsonSchema({"type": "string", "example": "1403/07/15", "description": "Jalali date"})]
JalaliInstant = Annotated[datetime, PlainSerializer(jalali.format_datetime, return_type=str),
                          WithJsonSchema({"type": "string", "example": "1403/07/15 13:30",
                                          "description": "Jalali date and time, Tehran"})]

OPEN = ConfigDict(extra="allow")
_CACHE: dict[type, type[BaseModel]] = {}


def _out(annotation: Any) -> Any:
    """The annotation a response declares for a domain annotation."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _out(typing.get_args(annotation)[0])
    if annotation is datetime:
        return JalaliInstant
    if annotation is date:
        return JalaliDay
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return public(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str
    if origin in (Union, types.UnionType):
        args = tuple(_out(a) for a in typing.get_args(annotation))
        return Union[args]  # noqa: UP007
    if origin in (list, set, frozenset, tuple):
        args = typing.get_args(annotation)
        return list[_out(args[0])] if args else list
    if origin is dict:
        k, v = typing.get_args(annotation) or (str, Any)
        return dict[k, _out(v)]
    if origin is Literal:
        return annotation
    return annotation


def public(model: type[BaseModel], name: str | None = None, exclude: set[str] = frozenset(),
           **extra: Any) -> type[BaseModel]:
    """A response model with the fields of a domain model (dates made Jalali), minus `exclude`,
    plus `extra` (name=(annotation, default))."""
    if name is None and not exclude and not extra and model in _CACHE:
        return _CACHE[model]
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        if fname in exclude:
            continue
        fields[fname] = (_out(info.annotation), ... if info.is_required() else None)
    fields.update(extra)
    out = create_model(name or model.__name__, __config__=OPEN, **fields)
    if name is None and not exclude and not extra:
        _CACHE[model] = out
    return out


class Page(BaseModel):
    model_config = OPEN
    total: int


# ---------------------------------------------------------------- registry

PERSON_INTERNAL = {"version", "left_kanoon_id", "left_at"}
Unit = public(units.Unit)
UnitWithChildren = public(units.Unit, "UnitWithChildren", children=(list[Unit], []))
Person = public(people.Person, "Person", exclude=PERSON_INTERNAL)
RoleAssignment = public(roles.RoleAssignment)
PersonWithRoles = public(people.Person, "PersonWithRoles", exclude=PERSON_INTERNAL,
                         roles=(list[RoleAssignment], []))
Kanoon = public(kanoons.Kanoon, "Kanoon", type=(str, ...), below_floor=(bool, ...), over_ceiling=(bool, ...),
                floor=(int, ...), ceiling=(int, ...), ranks=(dict | None, None))
MembershipPolicy = public(kanoons.MembershipPolicy)
ProvinceSettings = public(settings.ProvinceSettings)
Transfer = public(transfers.Transfer)
Application = public(selection.Application)


class KanoonPage(Page):
    items: list[Kanoon]


class PersonPage(Page):
    items: list[Person]


class PeopleFound(Page):
    matched_by: str  # national_id | mobile | service_code | name
    items: list[Union[Person, Application]]  # noqa: UP007 (applications when status=applicant)


class Composition(BaseModel):
    model_config = OPEN
    unit_id: str
    as_of: JalaliDay
    total: int
    kind: dict[str, int]
    education: dict[str, int]
    gender: dict[str, int]
    occupation: dict[str, int]
    age_band: dict[str, int]


class CountyCoverage(BaseModel):
    model_config = OPEN
    unit_id: str
    name: str
    neighborhoods: dict[str, Any]      # total, covered, rate, uncovered: [{id, name}]
    neighborhood_kanoons: int
    specialized_fields: dict[str, list[str]]   # present, missing


class Coverage(BaseModel):
    model_config = OPEN
    unit_id: str
    fields: list[str]
    counties: list[CountyCoverage]


class Account(BaseModel):
    id: str
    username: str
    person_id: str


Me = Actor

# ---------------------------------------------------------------- reports

ServiceType = public(service_types.ServiceType)
Instruction = public(service_types.Instruction)
ActivityReport = public(reports.ActivityReport)
Reservation = public(reservations.Reservation)
Campaign = public(campaigns.Campaign)
Program = public(programs.Program)
MonthlyReport = public(monthly.MonthlyReport)
Beneficiary = public(needs.Beneficiary)
Need = public(needs.Need, "Need", withheld=(bool, False))
ExecutiveProject = public(needs.ExecutiveProject)


class KanoonRef(BaseModel):
    model_config = OPEN
    kanoon_id: str
    name: str


class CampaignReport(BaseModel):
    model_config = OPEN
    campaign: Campaign
    unit_id: str
    reports: int
    hours: float
    beneficiaries: int


class ProgramCompliance(BaseModel):
    model_config = OPEN
    unit_id: str
    month: str
    expected: int
    complied: int
    missed: list[KanoonRef]
    rate: float | None


class MonthlyCompleteness(BaseModel):
    model_config = OPEN
    unit_id: str
    month: str
    expected: int
    reported: int
    on_time: int
    missing: list[KanoonRef]
    reported_rate: float | None
    on_time_rate: float | None


class Aggregates(BaseModel):
    model_config = OPEN
    unit_id: str
    period: str
    reports: dict[str, int]
    hours: float
    beneficiaries: int
    by_service_type: dict[str, Any]
    by_member_kind: dict[str, dict[str, float]]  # khademyar | yavar → reports, hours, beneficiaries
    campaigns: dict[str, Any]
    programs: dict[str, int]
    monthly_reports: dict[str, int]
    clients: int
    public_requests: dict[str, Any]
    quality_flags: dict[str, Any]


class BeneficiaryPage(Page):
    items: list[Beneficiary] | None = None

# ---------------------------------------------------------------- finance

Terminal = public(money_terminals.Terminal, "Terminal", exclude={"version"})
Receipt = public(money_receipts.Receipt, "Receipt", exclude={"version"})
Posting = public(ledger.Posting)
ReceiptWithPosting = public(money_receipts.Receipt, "ReceiptWithPosting", exclude={"version"},
                            posting=(Posting, ...))
Reconciliation = public(reconciliation.Reconciliation)


class ReceiptPage(Page):
    items: list[Receipt]


Asset = public(money_assets.Asset, "Asset", exclude={"version"})
DocumentFile = public(money_documents.DocumentFile)
Expense = public(money_expenses.Expense, "Expense", exclude={"version"})
ExpenseWithDocuments = public(money_expenses.Expense, "ExpenseWithDocuments", exclude={"version"},
                              documents=(list[DocumentFile], ...))


class ExpensePage(Page):
    items: list[Expense]


Voucher = public(money_vouchers.Voucher, "Voucher", exclude={"version"}, overdue=(bool, False))
Project = public(money_projects.Project, "Project", exclude={"version"}, raised=(int, ...), status=(str, ...))


class AssetPage(Page):
    items: list[Asset]


class RowOutcome(BaseModel):
    model_config = OPEN
    row: int
    status: str            # accepted | duplicate | refused
    receipt_id: str | None = None
    field: str | None = None
    reason: str | None = None


class ImportRow(BaseModel):
    model_config = OPEN
    row: int               # 1 = the first row after the header
    status: str            # accepted | duplicate | refused
    id: str | None = None  # what the row created or found
    field: str | None = None
    reason: str | None = None


class ImportJob(BaseModel):
    model_config = OPEN
    id: str
    kind: str              # members | units | kanoons
    file_name: str
    format: str | None     # csv | xlsx, once read
    status: str            # pending | reading | running | done | failed
    progress: float        # 0 to 1: rows recorded of the rows read
    rows: int
    done_rows: int
    accepted: int
    duplicates: int
    refused: int
    error: dict | None = None   # why a file was refused as a whole (failed)
    created_at: JalaliInstant
    finished_at: JalaliInstant | None = None
    outcomes: list[ImportRow] = []
    outcomes_total: int | None = None


class ReceiptBatch(BaseModel):
    model_config = OPEN
    id: str
    file_name: str
    format: str            # csv | xlsx
    status: str            # pending | running | done
    progress: float        # 0 to 1
    rows: int
    accepted: int
    duplicates: int
    refused: int
    amount: int            # rials accepted
    created_at: JalaliInstant
    finished_at: JalaliInstant | None = None
    outcomes: list[RowOutcome] = []
    outcomes_total: int | None = None


class FinanceFigures(BaseModel):
    model_config = OPEN
    unit_id: str
    period: str
    amount: int            # rials
    count: int
    by_channel: dict[str, dict[str, int]]
    by_intent: dict[str, dict[str, int]]
    by_terminal: dict[str, dict[str, int]]
    by_project: dict[str, dict[str, int]]


class Balances(BaseModel):
    model_config = OPEN
    unit_id: str
    accounts: dict[str, int]   # account → rials (debits positive)


Funding = public(money_fundings.Funding, "Funding", exclude={"version"}, returned=(int, ...), missing=(int, ...),
                 days_waiting=(int | None, None))
Certificate = public(money_fundings.Certificate)


class Settlement(BaseModel):
    model_config = OPEN
    funding_id: str
    body: str
    received: int
    documented: int
    returned: int
    missing: int               # rials neither documented nor returned
    complete: bool
    certificate_id: str | None = None
    certificate: Certificate | None = None
    expenses: list[ExpenseWithDocuments]


ExecutiveProjectMoney = public(money_fundings.ExecutiveProjectView, "ExecutiveProjectMoney", funded=(int, ...),
                               spent=(int, ...), balance=(int, ...), funding_ids=(list[str], []),
                               expense_ids=(list[str], []))
Consolidated = public(money_consolidated.Consolidated, "Consolidated", exclude={"version"})


class ReportDocument(DocumentFile):
    expense_id: str
    spent_on: JalaliDay
    amount: int


class PeriodReport(BaseModel):
    model_config = OPEN
    unit_id: str
    period: str
    received: FinanceFigures
    fundings: list[Funding]
    expenses_total: int
    expenses_count: int
    expenses: list[Expense]
    documents: list[ReportDocument]


# ---------------------------------------------------------------- oversight

class ComplaintStatus(BaseModel):
    model_config = OPEN
    status: str            # received | triaged | investigating | resolved | closed
    received_at: JalaliInstant
    status_at: JalaliInstant
    closed: bool


class ComplaintTicket(ComplaintStatus):
    tracking_code: str     # shown once: the complainant keeps it


Complaint = public(oversight_complaints.Complaint, "Complaint", exclude={"version", "code_hash"},
                   overdue=(bool, False),  # who complained: for the handler only (None for the investigator)
                   complainant=(public(oversight_complaints.Complainant) | None, None))


class ComplaintPage(Page):
    items: list[Complaint]


class AuditEntry(BaseModel):
    """Who read or changed which records of personal data, and when (kernel.personal)."""
    model_config = OPEN
    id: str
    at: JalaliInstant
    service: str
    record_kind: str       # beneficiary | complainant | donor
    action: str            # read | list | search | create | change
    record_ids: list[str]  # at most 100; `count` is how many
    count: int
    path: list[str]
    by_user_id: str | None = None
    by_person_id: str | None = None   # none: the public's own complaint
    request_id: str | None = None


class AuditPage(Page):
    items: list[AuditEntry]


Violation = public(oversight_violations.Violation, "Violation", exclude={"version"})


class ViolationPage(Page):
    items: list[Violation]


Checklist = public(oversight_inspections.Checklist)
Inspection = public(oversight_inspections.Inspection, "Inspection", exclude={"version"})


class SeasonPlan(BaseModel):
    model_config = OPEN
    province_id: str
    season: str
    planned: int           # planned now
    existing: int          # planned before


class InspectionReport(BaseModel):
    model_config = OPEN
    unit_id: str
    period: str
    planned: int           # periodic inspections planned
    inspected: int         # of them, done
    visits: int            # every inspection and visit done
    mean_score: float | None
    never_inspected: list[str]   # active kanoons with no visit in the period
    items: list[Inspection]


Finding = public(oversight_stewardship.Finding, "Finding", exclude={"version"})
ProcessRisk = public(oversight_stewardship.ProcessRisk, "ProcessRisk", exclude={"version"})
OrientationSession = public(oversight_stewardship.Session, "OrientationSession")
Opinion = public(oversight_stewardship.Opinion, "Opinion", exclude={"version"})


class OversightReport(BaseModel):
    model_config = OPEN
    unit_id: str
    period: str
    complaints: dict[str, Any]     # received, closed, overdue, by_severity
    inspections: dict[str, Any]    # planned, done, mean_score
    violations: dict[str, Any]     # recorded, escalated, rulings by kind
    sessions: dict[str, int]       # held, attendees
    findings: dict[str, int]       # raised, open


# ---------------------------------------------------------------- operations


class ParkedMessage(BaseModel):
    model_config = OPEN
    id: str
    queue: str
    handler: str
    event_id: str | None = None
    event_type: str | None = None
    attempts: int
    error: str
    status: str
    parked_at: JalaliInstant


class Replayed(BaseModel):
    id: str
    status: str


class OutboxStatus(BaseModel):
    model_config = OPEN
    pending: int
    failing: int
    sent: int
    parked: int
    replays_running: int
    kept_since: JalaliInstant | None = Field(None, description="events sent up to this instant were pruned")
    retention_days: float | None = None


class ReplayJob(BaseModel):
    model_config = OPEN
    id: str
    types: str
    queue: str | None = None
    status: str
    total: int
    replayed: int
    created_at: JalaliInstant
    finished_at: JalaliInstant | None = None
    error: str | None = None
    since: JalaliInstant | None = None
    kept_since: JalaliInstant | None = Field(None, description="a partial replay: what came before was pruned")


class Live(BaseModel):
    status: str


class ServiceHealth(BaseModel):
    model_config = OPEN
    status: str                                   # ok | degraded | down: <why>
    store: str | None = None
    store_write_ms: float | None = None
    relay_oldest_pending_seconds: float | None = None
    reasons: list[str] | None = None              # why degraded: its store, a loop failing, its relay stalled


class Health(BaseModel):
    model_config = OPEN
    status: Literal["ok", "degraded"]
    bus: str
    connections: int
    services: dict[str, ServiceHealth]
    reasons: list[str] = []                       # "<service>: <why>" for everything degraded


class Router(APIRouter):
    """An APIRouter whose responses leave out what the service did not send (a person's private
    fields for a caller who may not see them stay absent, not null)."""

    def add_api_route(self, path, endpoint, **kwargs):
        kwargs.setdefault("response_model_exclude_unset", True)
        return super().add_api_route(path, endpoint, **kwargs)


# ---------------------------------------------------------------- festival

Edition = public(festival_festival.Edition, "Edition", exclude={"version"})
Submission = public(festival_festival.Submission, "Submission", exclude={"version"})


class JudgeDraw(BaseModel):
    model_config = OPEN
    edition_id: str
    drawn: int                     # submissions given judges now
    short_of_judges: list[str]     # submissions the group has too few judges free of conflict for


class Participation(BaseModel):
    model_config = OPEN
    edition_id: str
    year: int
    province_id: str
    province: dict                 # members and kanoons of the province
    country: dict                  # and of the country
    axes: dict                     # axis → {province: {...}, country: {...}}: submissions, members, kanoons, shares


TrainingNeed = public(festival_training.Need)
Course = public(festival_training.Course, "Course", exclude={"version"}, due_for_review=(bool, False))
Enrollment = public(festival_training.Enrollment, "Enrollment", exclude={"version"})
Weights = public(festival_evaluation.Weights)
BestMember = public(festival_evaluation.BestMember)
Honour = public(festival_evaluation.Honour)


class RankedKanoon(BaseModel):
    model_config = OPEN
    kanoon_id: str
    name: str | None
    score: float
    rank: int
    coefficient: float


class Ranking(BaseModel):
    model_config = OPEN
    unit_id: str
    level: str
    year: int
    of: int
    weights: dict[str, float]
    items: list[RankedKanoon]


class ScoreExplained(BaseModel):
    model_config = OPEN
    subject_kind: str
    subject_id: str
    year: int
    formula: str
    points: dict[str, float]       # per index
    weights: dict                  # per level: the weights applied
    score: dict[str, float]        # per level: Σ weight × points
    ranks: dict                    # per level: rank, of, score, coefficient (kanoons)
    lines_total: int
    lines: list[dict]              # the ledger's lines behind the points, each with its source event


class RoleRankings(BaseModel):
    model_config = OPEN
    province_id: str
    year: int
    city_secretaries: list[dict]
    kanoon_heads: list[dict]


class Published(BaseModel):
    model_config = OPEN
    province_id: str
    year: int
    published: int


class Candidates(BaseModel):
    model_config = OPEN
    kanoon_id: str
    period: str
    member_kind: str
    candidates: list[dict]


class LedgerCheck(BaseModel):
    model_config = OPEN
    year: int
    subjects: int
    differences: list[dict]


Occasion = public(festival_plans.Occasion)
Plan = public(festival_plans.Program, "Plan", exclude={"version"})   # a program of §7.3 (not a collective program)


# ---------------------------------------------------------------- secretariat

Letter = public(secretariat_letters.Letter, "Letter", exclude={"version"}, overdue=(bool, False))


class LetterPage(Page):
    items: list[Letter]


Mou = public(secretariat_mous.Mou, "Mou", exclude={"version"}, in_force=(bool, False), renewal_due=(bool, False))
CouncilChoice = public(secretariat_hq.CouncilChoice, "CouncilChoice", exclude={"version"})
AssemblySession = public(secretariat_hq.AssemblySession, "AssemblySession", exclude={"version"})
HqReport = public(secretariat_hq.HqReport, "HqReport", exclude={"version"})
HeadsMeeting = public(secretariat_meetings.HeadsMeeting, "HeadsMeeting", exclude={"version"})


class HeadsMeetings(BaseModel):
    model_config = OPEN
    unit_id: str
    kanoons: int            # the city's active neighborhood kanoons
    turn: list[str]         # whose turn to host has come
    items: list[HeadsMeeting]


NewsItem = public(secretariat_news.NewsItem, "NewsItem", exclude={"version"})


class MediaToPick(BaseModel):
    model_config = OPEN
    report_id: str
    kanoon_id: str
    month: str
    service_type: str
    media: list[dict]


Ticket = public(secretariat_desk.Ticket, "Ticket", exclude={"version"})


class TicketPage(Page):
    items: list[Ticket]


class Restatement(BaseModel):
    """A restatement of the registry's view asked for (docs/backup.md)."""
    model_config = OPEN
    id: str
    status: str             # requested | running | published
    reason: str
    requested_at: JalaliInstant
    as_of: JalaliInstant | None = None
    published_at: JalaliInstant | None = None
