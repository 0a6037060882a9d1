"""The reports service's rules (DOMAIN §3, §4), free of I/O: activity reports and their review,
readiness reservations, campaigns, collective programs, monthly kanoon reports, beneficiaries,
needs and executive projects. Methods check their transition, change the object and return the
events it caused."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from kernel import jalali
from kernel.errors import Conflict, Invalid

from .. import events as ev


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def month_key(day: date) -> str:
    """The Jalali month a calendar day belongs to, as `YYYY-MM` (30 Esfand 1403 → 1403-12)."""
    y, m = jalali.jalali_year_month(day)
    return f"{y}-{m:02d}"


class Step(BaseModel):
    step: str
    at: datetime
    by: str
    note: str | None = None


# ---------------------------------------------------------------- service types (§4.1)

class ServiceType(BaseModel):
    """A kind of service. The Center's catalogue has scope `IR`; a province adds its own. `field` is
    None for public types, else the specialized field whose kanoons may report it."""
    id: str
    name: str
    field: str | None = None
    scope_id: str = "IR"
    active: bool = True
    version: int = 0

    def usable_by(self, kanoon: "KanoonView") -> bool:
        if not self.active or self.scope_id not in kanoon.path:
            return False
        return self.field is None or self.field == kanoon.field


# ---------------------------------------------------------------- what the registry tells us

class KanoonView(BaseModel):
    """The registry's kanoon as this service knows it from events."""
    id: str
    name: str = ""
    kind: str = "neighborhood"
    field: str | None = None
    unit_path: list[str] = []
    status: str = "requested"  # requested | active | rejected | closed
    founding_date: date | None = None
    closed_on: date | None = None
    head_id: str | None = None
    deputy_id: str | None = None

    @property
    def path(self) -> list[str]:
        return [*self.unit_path, self.id]

    @property
    def specialized(self) -> bool:
        return self.kind.startswith("specialized")

    def expected_in(self, month_first_day: date, month_end_day: date) -> bool:
        """Whether the kanoon owes a program and a monthly report for the month: it was approved
        before the month began and not closed before it ended (docs/decisions.md)."""
        if self.founding_date is None or self.status not in ("active", "closed"):
            return False
        if self.founding_date > month_first_day:
            return False
        return self.closed_on is None or self.closed_on >= month_end_day


# ---------------------------------------------------------------- activity reports (§4.2)

class ReportStatus(StrEnum):
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"


class Media(BaseModel):
    kind: Literal["photo", "clip", "news"]
    url: str


class QualityFlag(BaseModel):
    flag: str
    note: str | None = None
    by: str
    at: datetime


class ActivityReport(BaseModel):
    id: str
    reporter_id: str
    reporter_kind: str
    kanoon_id: str
    kanoon_path: list[str]
    service_type: str
    day: date
    hours: float
    place: str
    beneficiaries: int
    description: str
    media: list[Media] = []
    campaign_id: str | None = None
    status: ReportStatus = ReportStatus.submitted
    reason: str | None = None
    submitted_at: datetime
    steps: list[Step] = []
    flags: list[QualityFlag] = []
    version: int = 0

    @property
    def month(self) -> str:
        return month_key(self.day)

    def facts(self) -> dict:
        """What an aggregate needs to count this report, carried by each of its events."""
        return {"report_id": self.id, "kanoon_id": self.kanoon_id, "kanoon_path": self.kanoon_path,
                "month": self.month, "service_type": self.service_type, "hours": self.hours,
                "beneficiaries": self.beneficiaries, "campaign_id": self.campaign_id,
                "reporter_id": self.reporter_id}

    @classmethod
    def submit(cls, *, reporter_id: str, reporter_kind: str, kanoon: KanoonView, service_type: ServiceType,
               day: date, today: date, hours: float, place: str, beneficiaries: int, description: str,
               media: list[Media], campaign: "Campaign | None" = None) -> tuple["ActivityReport", list]:
        if kanoon.status != "active":
            raise Conflict("reports are filed for an active kanoon", "kanoon_id")
        check_report_day(day, today, kanoon)
        if not service_type.usable_by(kanoon):
            raise Invalid(f"the service type {service_type.id} is not open to this kanoon", "service_type")
        if campaign is not None:
            campaign.check_participation(kanoon, service_type.id, day)
        r = cls(id=new_id("ar"), reporter_id=reporter_id, reporter_kind=reporter_kind, kanoon_id=kanoon.id,
                kanoon_path=kanoon.path, service_type=service_type.id, day=day, hours=hours, place=place,
                beneficiaries=beneficiaries, description=description, media=media,
                campaign_id=campaign.id if campaign else None, submitted_at=now())
        r.steps.append(Step(step="submitted", at=r.submitted_at, by=reporter_id))
        return r, [ev.ReportSubmitted(**r.facts(), previous=None)]

    def _move(self, to: ReportStatus, by: str, note: str | None = None) -> None:
        self.status = to
        self.steps.append(Step(step=to.value, at=now(), by=by, note=note))

    def _check_reviewer(self, by: str) -> None:
        if by == self.reporter_id:
            raise Conflict("a report is reviewed by someone other than its reporter", "report_id")

    def approve(self, by: str) -> list:
        self._check_reviewer(by)
        if self.status != ReportStatus.submitted:
            raise Conflict(f"the report is {self.status}; only a submitted report is approved", "status")
        self._move(ReportStatus.approved, by)
        self.reason = None
        return [ev.ReportApproved(**self.facts(), by=by)]

    def reject(self, by: str, reason: str) -> list:
        self._check_reviewer(by)
        if self.status != ReportStatus.submitted:
            raise Conflict(f"the report is {self.status}; only a submitted report is rejected", "status")
        self._move(ReportStatus.rejected, by, reason)
        self.reason = reason
        return [ev.ReportRejected(**self.facts(), by=by, reason=reason)]

    def return_for_review(self, by: str, comment: str) -> list:
        if self.status != ReportStatus.approved:
            raise Conflict(f"the report is {self.status}; only an approved report is returned", "status")
        self._move(ReportStatus.returned, by, comment)
        self.reason = comment
        return [ev.ReportReturned(**self.facts(), by=by, comment=comment)]

    def resubmit(self, by: str, changes: dict, service_type: ServiceType | None, kanoon: KanoonView) -> list:
        if self.status != ReportStatus.returned:
            raise Conflict(f"the report is {self.status}; only a returned report is resubmitted", "status")
        if by != self.reporter_id:
            raise Conflict("only the reporter resubmits a report", "reporter_id")
        if service_type is not None:
            if not service_type.usable_by(kanoon):
                raise Invalid(f"the service type {service_type.id} is not open to this kanoon", "service_type")
            self.service_type = service_type.id
        for key, value in changes.items():
            setattr(self, key, value)
        self._move(ReportStatus.submitted, by)
        return [ev.ReportSubmitted(**self.facts(), previous=ReportStatus.returned.value)]

    def flag(self, flag: str, by: str, note: str | None) -> list:
        if self.status != ReportStatus.approved:
            raise Conflict("quality flags are set on approved reports", "status")
        if any(f.flag == flag for f in self.flags):
            raise Conflict(f"the report is already flagged {flag}", "flag")
        self.flags.append(QualityFlag(flag=flag, note=note, by=by, at=now()))
        return [ev.ReportFlagged(report_id=self.id, kanoon_path=self.kanoon_path, month=self.month,
                                 flag=flag, by=by)]


def check_report_day(day: date, today: date, kanoon: KanoonView) -> None:
    if day > today:
        raise Invalid("a service is reported after it is done, not before", "day")
    if kanoon.founding_date and day < kanoon.founding_date:
        raise Invalid("the day is before the kanoon was approved", "day")
    if day < today - timedelta(days=REPORT_WINDOW_DAYS):
        raise Invalid(f"services are reported within {REPORT_WINDOW_DAYS} days", "day")


# How far back a member may report a service (docs/decisions.md).
REPORT_WINDOW_DAYS = 60


# ---------------------------------------------------------------- reservations (§4.3)

class Reservation(BaseModel):
    id: str
    person_id: str
    kanoon_id: str
    kanoon_path: list[str]
    service_type: str
    day: date
    from_hour: int
    to_hour: int
    note: str | None = None
    status: Literal["requested", "confirmed", "declined", "cancelled"] = "requested"
    decided_by: str | None = None
    reason: str | None = None
    version: int = 0

    @classmethod
    def request(cls, *, person_id: str, kanoon: KanoonView, service_type: ServiceType, day: date, today: date,
                from_hour: int, to_hour: int, note: str | None) -> tuple["Reservation", list]:
        if kanoon.status != "active":
            raise Conflict("slots are reserved in an active kanoon", "kanoon_id")
        if day < today:
            raise Invalid("a slot is reserved for today or later", "day")
        if to_hour <= from_hour:
            raise Invalid("the slot ends after it starts", "to_hour")
        if not service_type.usable_by(kanoon):
            raise Invalid(f"the service type {service_type.id} is not open to this kanoon", "service_type")
        r = cls(id=new_id("rs"), person_id=person_id, kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                service_type=service_type.id, day=day, from_hour=from_hour, to_hour=to_hour, note=note)
        return r, [ev.ReservationRequested(reservation_id=r.id, person_id=person_id, kanoon_id=kanoon.id,
                                           service_type=r.service_type, day=day)]

    def decide(self, confirm: bool, by: str, reason: str | None) -> list:
        if self.status != "requested":
            raise Conflict(f"the reservation is already {self.status}", "status")
        if not confirm and not reason:
            raise Invalid("a declined reservation needs its reason", "reason")
        self.status = "confirmed" if confirm else "declined"
        self.decided_by, self.reason = by, reason
        return [ev.ReservationDecided(reservation_id=self.id, kanoon_id=self.kanoon_id, status=self.status, by=by)]


# ---------------------------------------------------------------- campaigns (§4.4)

class Campaign(BaseModel):
    id: str
    title: str
    description: str | None = None
    scope_id: str
    scope_path: list[str]
    starts_on: date
    ends_on: date
    target_ids: list[str] = []  # kanoons or units; empty: every kanoon in the scope
    service_types: list[str]
    announced_by: str
    announced_at: datetime

    @classmethod
    def announce(cls, *, title: str, description: str | None, scope_id: str, scope_path: list[str],
                 starts_on: date, ends_on: date, targets: dict[str, list[str]], service_types: list[str],
                 by: str) -> tuple["Campaign", list]:
        """`targets` maps each targeted kanoon or unit to its path."""
        for target, path in targets.items():
            if scope_id not in path:
                raise Invalid(f"{target} is outside the campaign's scope", "target_ids")
        if ends_on < starts_on:
            raise Invalid("a campaign ends on or after the day it starts", "ends_on")
        if (ends_on - starts_on).days > 366:
            raise Invalid("a campaign lasts a year at the most", "ends_on")
        if not service_types:
            raise Invalid("a campaign names its service types", "service_types")
        c = cls(id=new_id("cp"), title=title, description=description, scope_id=scope_id, scope_path=scope_path,
                starts_on=starts_on, ends_on=ends_on, target_ids=sorted(targets),
                service_types=sorted(set(service_types)), announced_by=by, announced_at=now())
        return c, [ev.CampaignAnnounced(campaign_id=c.id, title=title, scope_id=scope_id, starts_on=starts_on,
                                        ends_on=ends_on, target_ids=c.target_ids, service_types=c.service_types)]

    def targets(self, kanoon: KanoonView) -> bool:
        if self.scope_id not in kanoon.path:
            return False
        return not self.target_ids or any(t in kanoon.path for t in self.target_ids)

    def check_participation(self, kanoon: KanoonView, service_type: str, day: date) -> None:
        if not self.targets(kanoon):
            raise Invalid("this campaign does not call on your kanoon", "campaign_id")
        if not self.starts_on <= day <= self.ends_on:
            raise Invalid("the day is outside the campaign's period", "day")
        if service_type not in self.service_types:
            raise Invalid("the campaign does not ask for this service type", "service_type")

    @property
    def months(self) -> list[str]:
        out, day = [], self.starts_on
        while day <= self.ends_on:
            key = month_key(day)
            if key not in out:
                out.append(key)
            day += timedelta(days=1)
        return out


# ---------------------------------------------------------------- collective programs (§4.5)

class Program(BaseModel):
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    title: str
    held_on: date
    attendance: int
    partner_kanoon_ids: list[str] = []  # participatory programs with other (specialized) kanoons
    note: str | None = None
    recorded_by: str

    @classmethod
    def record(cls, *, kanoon: KanoonView, title: str, held_on: date, today: date, attendance: int,
               partners: list[KanoonView], note: str | None, by: str) -> tuple["Program", list]:
        if kanoon.status != "active":
            raise Conflict("programs are recorded for an active kanoon", "kanoon_id")
        if held_on > today:
            raise Invalid("a program is recorded after it is held", "held_on")
        if kanoon.founding_date and held_on < kanoon.founding_date:
            raise Invalid("the program is before the kanoon was approved", "held_on")
        for p in partners:
            if p.id == kanoon.id or p.status != "active":
                raise Invalid(f"{p.id} is not another active kanoon", "partner_kanoon_ids")
        p = cls(id=new_id("pg"), kanoon_id=kanoon.id, kanoon_path=kanoon.path, title=title, held_on=held_on,
                attendance=attendance, partner_kanoon_ids=[x.id for x in partners], note=note, recorded_by=by)
        return p, [ev.ProgramHeld(program_id=p.id, kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                                  month=month_key(held_on), held_on=held_on, attendance=attendance,
                                  partner_kanoon_ids=p.partner_kanoon_ids)]


class Compliance(BaseModel):
    unit_id: str
    month: str
    expected: int
    complied: int
    missed: list[dict]

    @property
    def rate(self) -> float | None:
        return None if self.expected == 0 else self.complied / self.expected


def program_compliance(unit_id: str, month: str, kanoons: list[KanoonView],
                       held: set[str]) -> Compliance:
    """Every kanoon expected in the month must have held at least one program in it."""
    period = jalali.parse_period(month)
    expected = [k for k in kanoons if k.expected_in(period.first_day, period.end_day - timedelta(days=1))]
    missed = [{"kanoon_id": k.id, "name": k.name} for k in expected if k.id not in held]
    return Compliance(unit_id=unit_id, month=month, expected=len(expected),
                      complied=len(expected) - len(missed), missed=missed)


# ---------------------------------------------------------------- monthly kanoon report (§4.6)

class MonthlyStatus(StrEnum):
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"


# A month's report is due by the end of this day of the following Jalali month (docs/decisions.md).
MONTHLY_DEADLINE_DAY = 5


def monthly_deadline(month: str) -> datetime:
    """The instant (UTC) after which a month's report is late."""
    period = jalali.parse_period(month)
    return jalali.start_of_day_utc(period.end_day + timedelta(days=MONTHLY_DEADLINE_DAY))


class MonthlyReport(BaseModel):
    id: str  # <kanoon id>:<YYYY-MM>
    kanoon_id: str
    kanoon_path: list[str]
    month: str
    figures: dict  # compiled from the month's approved reports and programs
    clients: int
    public_requests: int
    public_requests_answered: int
    narrative: str | None = None
    supplementary: str | None = None  # a specialized kanoon's final report (تکمله)
    status: MonthlyStatus = MonthlyStatus.submitted
    first_submitted_at: datetime
    on_time: bool
    comment: str | None = None
    steps: list[Step] = []
    version: int = 0

    @staticmethod
    def key(kanoon_id: str, month: str) -> str:
        return f"{kanoon_id}:{month}"

    @classmethod
    def submit(cls, *, kanoon: KanoonView, month: str, figures: dict, clients: int, public_requests: int,
               answered: int, narrative: str | None, supplementary: str | None, by: str,
               at: datetime) -> tuple["MonthlyReport", list]:
        if not kanoon.founding_date or kanoon.founding_date >= jalali.parse_period(month).end_day:
            raise Invalid("the kanoon was not yet approved in that month", "month")
        _check_month_closed(month, at)
        _check_contents(kanoon, public_requests, answered, supplementary)
        on_time = at <= monthly_deadline(month)
        r = cls(id=cls.key(kanoon.id, month), kanoon_id=kanoon.id, kanoon_path=kanoon.path, month=month,
                figures=figures, clients=clients, public_requests=public_requests,
                public_requests_answered=answered, narrative=narrative, supplementary=supplementary,
                first_submitted_at=at, on_time=on_time, steps=[Step(step="submitted", at=at, by=by)])
        return r, [ev.MonthlyReportSubmitted(kanoon_id=kanoon.id, kanoon_path=kanoon.path, month=month,
                                             on_time=on_time, resubmission=False)]

    def resubmit(self, *, kanoon: KanoonView, figures: dict, clients: int, public_requests: int, answered: int,
                 narrative: str | None, supplementary: str | None, by: str, at: datetime) -> list:
        if self.status != MonthlyStatus.returned:
            raise Conflict(f"the month's report is {self.status}; it is resubmitted only when returned", "status")
        _check_contents(kanoon, public_requests, answered, supplementary)
        self.figures, self.clients, self.public_requests = figures, clients, public_requests
        self.public_requests_answered, self.narrative, self.supplementary = answered, narrative, supplementary
        self.status = MonthlyStatus.submitted
        self.steps.append(Step(step="resubmitted", at=at, by=by))
        return [ev.MonthlyReportSubmitted(kanoon_id=self.kanoon_id, kanoon_path=self.kanoon_path, month=self.month,
                                          on_time=self.on_time, resubmission=True)]

    def accept(self, by: str) -> list:
        if self.status != MonthlyStatus.submitted:
            raise Conflict(f"the month's report is {self.status}; only a submitted one is accepted", "status")
        self.status = MonthlyStatus.accepted
        self.steps.append(Step(step="accepted", at=now(), by=by))
        return [ev.MonthlyReportAccepted(kanoon_id=self.kanoon_id, kanoon_path=self.kanoon_path, month=self.month,
                                         clients=self.clients, public_requests=self.public_requests,
                                         public_requests_answered=self.public_requests_answered, by=by)]

    def return_with(self, comment: str, by: str) -> list:
        if self.status != MonthlyStatus.submitted:
            raise Conflict(f"the month's report is {self.status}; only a submitted one is returned", "status")
        self.status = MonthlyStatus.returned
        self.comment = comment
        self.steps.append(Step(step="returned", at=now(), by=by, note=comment))
        return [ev.MonthlyReportReturned(kanoon_id=self.kanoon_id, kanoon_path=self.kanoon_path, month=self.month,
                                         comment=comment, by=by)]


def _check_month_closed(month: str, at: datetime) -> None:
    if at < jalali.parse_period(month).end_utc:
        raise Invalid("a month's report is submitted once the month is over", "month")


def _check_contents(kanoon: KanoonView, public_requests: int, answered: int, supplementary: str | None) -> None:
    if answered > public_requests:
        raise Invalid("more requests answered than received", "public_requests_answered")
    if kanoon.specialized and not supplementary:
        raise Invalid("a specialized kanoon adds its supplementary final report", "supplementary")


def compile_month(reports: list[ActivityReport], programs: list[Program]) -> dict:
    """The month's figures from its approved reports and its programs."""
    by_type: dict[str, dict] = {}
    for r in reports:
        t = by_type.setdefault(r.service_type, {"reports": 0, "hours": 0.0, "beneficiaries": 0})
        t["reports"] += 1
        t["hours"] += r.hours
        t["beneficiaries"] += r.beneficiaries
    return {
        "reports": len(reports),
        "hours": round(sum(r.hours for r in reports), 2),
        "beneficiaries": sum(r.beneficiaries for r in reports),
        "members_reporting": len({r.reporter_id for r in reports}),
        "by_service_type": by_type,
        "programs": len(programs),
        "program_attendance": sum(p.attendance for p in programs),
        "participatory_programs": sum(1 for p in programs if p.partner_kanoon_ids),
    }


class Completeness(BaseModel):
    unit_id: str
    month: str
    expected: int
    reported: int
    on_time: int
    missing: list[dict]

    @property
    def reported_rate(self) -> float | None:
        return None if self.expected == 0 else self.reported / self.expected

    @property
    def on_time_rate(self) -> float | None:
        return None if self.expected == 0 else self.on_time / self.expected


def completeness(unit_id: str, month: str, kanoons: list[KanoonView], reports: list[dict]) -> Completeness:
    """Of the kanoons expected to report the month, how many did and how many on time. A report from a
    kanoon not expected (opened mid-month) is not counted, so the rates never pass 100 %."""
    period = jalali.parse_period(month)
    expected = {k.id: k for k in kanoons if k.expected_in(period.first_day, period.end_day - timedelta(days=1))}
    filed = {r["kanoon_id"]: r for r in reports if r["kanoon_id"] in expected}
    return Completeness(unit_id=unit_id, month=month, expected=len(expected), reported=len(filed),
                        on_time=sum(1 for r in filed.values() if r["on_time"]),
                        missing=[{"kanoon_id": k.id, "name": k.name} for k in expected.values() if k.id not in filed])


# ---------------------------------------------------------------- beneficiaries and needs (§3)

class Beneficiary(BaseModel):
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    full_name: str
    national_id: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    household_size: int = 1
    address: str | None = None
    mobile: str | None = None
    categories: list[str] = []
    notes: str | None = None
    registered_by: str
    registered_at: datetime
    version: int = 0

    @classmethod
    def register(cls, *, kanoon: KanoonView, by: str, **fields) -> tuple["Beneficiary", list]:
        b = cls(id=new_id("bn"), kanoon_id=kanoon.id, kanoon_path=kanoon.path, registered_by=by,
                registered_at=now(), **fields)
        return b, [ev.BeneficiaryRegistered(beneficiary_id=b.id, kanoon_id=kanoon.id,
                                            household_size=b.household_size, categories=b.categories)]


class NeedStatus(StrEnum):
    open = "open"
    matched = "matched"
    met = "met"
    closed = "closed"


class Match(BaseModel):
    kind: Literal["member", "kanoon"]
    id: str
    by: str
    at: datetime


class Need(BaseModel):
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    beneficiary_id: str | None = None
    title: str
    description: str | None = None
    service_type: str | None = None
    field: str | None = None  # the specialized field it calls for, if any
    urgency: Literal["low", "normal", "high"] = "normal"
    status: NeedStatus = NeedStatus.open
    matches: list[Match] = []
    registered_at: datetime
    version: int = 0

    @classmethod
    def register(cls, *, kanoon: KanoonView, beneficiary: Beneficiary | None, **fields) -> tuple["Need", list]:
        if beneficiary is not None and beneficiary.kanoon_id != kanoon.id:
            raise Invalid("the beneficiary is not this kanoon's", "beneficiary_id")
        n = cls(id=new_id("nd"), kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                beneficiary_id=beneficiary.id if beneficiary else None, registered_at=now(), **fields)
        return n, [ev.NeedRegistered(need_id=n.id, kanoon_id=kanoon.id, kanoon_path=kanoon.path, title=n.title,
                                     service_type=n.service_type, field=n.field, urgency=n.urgency)]

    def match_member(self, member_id: str, member_kanoon: str | None, by: str) -> list:
        if member_kanoon != self.kanoon_id:
            raise Invalid("a need is matched to a member of its own kanoon", "member_id")
        return self._match(Match(kind="member", id=member_id, by=by, at=now()))

    def match_kanoon(self, kanoon: KanoonView, by: str) -> list:
        if not kanoon.specialized or kanoon.status != "active":
            raise Invalid("a need is matched to an active specialized kanoon", "kanoon_id")
        if self.field and kanoon.field != self.field:
            raise Invalid(f"the need calls for the field {self.field}", "kanoon_id")
        return self._match(Match(kind="kanoon", id=kanoon.id, by=by, at=now()))

    def _match(self, m: Match) -> list:
        if self.status in (NeedStatus.met, NeedStatus.closed):
            raise Conflict(f"the need is {self.status}", "status")
        if any(x.kind == m.kind and x.id == m.id for x in self.matches):
            raise Conflict("already matched to them", "id")
        self.matches.append(m)
        self.status = NeedStatus.matched
        return [ev.NeedMatched(need_id=self.id, kanoon_id=self.kanoon_id, match_kind=m.kind, match_id=m.id)]

    def resolve(self, status: NeedStatus, by: str) -> list:
        if status not in (NeedStatus.met, NeedStatus.closed):
            raise Invalid("a need is resolved as met or closed", "status")
        if self.status in (NeedStatus.met, NeedStatus.closed):
            raise Conflict(f"the need is already {self.status}", "status")
        self.status = NeedStatus(status)
        return [ev.NeedResolved(need_id=self.id, kanoon_id=self.kanoon_id, status=self.status.value, by=by)]


class ExecutiveProject(BaseModel):
    """A kanoon's project built from its needs, asking other kanoons for help (§3)."""
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    title: str
    description: str
    need_ids: list[str]
    invited_kanoon_ids: list[str]
    responses: dict[str, str] = {}  # kanoon id → joined | declined
    created_by: str
    created_at: datetime
    version: int = 0

    @classmethod
    def propose(cls, *, kanoon: KanoonView, title: str, description: str, needs: list[Need],
                invited: list[KanoonView], by: str) -> tuple["ExecutiveProject", list]:
        if not needs:
            raise Invalid("a project is built from at least one need", "need_ids")
        for n in needs:
            if n.kanoon_id != kanoon.id:
                raise Invalid(f"the need {n.id} is not this kanoon's", "need_ids")
            if n.status in (NeedStatus.met, NeedStatus.closed):
                raise Conflict(f"the need {n.id} is {n.status}", "need_ids")
        if not invited:
            raise Invalid("a project asks at least one other kanoon for help", "invited_kanoon_ids")
        for k in invited:
            if k.id == kanoon.id or k.status != "active":
                raise Invalid(f"{k.id} is not another active kanoon", "invited_kanoon_ids")
        p = cls(id=new_id("pj"), kanoon_id=kanoon.id, kanoon_path=kanoon.path, title=title, description=description,
                need_ids=[n.id for n in needs], invited_kanoon_ids=[k.id for k in invited], created_by=by,
                created_at=now())
        return p, [ev.ProjectProposed(project_id=p.id, kanoon_id=kanoon.id, need_ids=p.need_ids,
                                      invited_kanoon_ids=p.invited_kanoon_ids)]

    def respond(self, kanoon_id: str, join: bool, by: str) -> list:
        if kanoon_id not in self.invited_kanoon_ids:
            raise Invalid("this kanoon was not asked to help", "kanoon_id")
        if kanoon_id in self.responses:
            raise Conflict(f"this kanoon has already {self.responses[kanoon_id]}", "kanoon_id")
        self.responses[kanoon_id] = "joined" if join else "declined"
        return [ev.ProjectAnswered(project_id=self.id, kanoon_id=kanoon_id, answer=self.responses[kanoon_id], by=by)]
