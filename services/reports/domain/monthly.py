"""The monthly kanoon report (DOMAIN §4.6): compiled from the month's approved reports and
programs, submitted by the head, reviewed and accepted or returned."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .common import Step
from .kanoons import KanoonView
from .programs import Program
from .reports import ActivityReport


class MonthlyStatus(StrEnum):
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"


# A month's report is due by the end of this day of the following Jalali month (docs/decisions.md).
MONTHLY_DEADLINE_DAY = 5


def monthly_deadline(month: str, deadline_day: int | None = None) -> datetime:
    """The instant (UTC) after which a month's report is late: the end of the `deadline_day`th day
    of the next month (the province's setting; MONTHLY_DEADLINE_DAY unless set)."""
    period = jalali.parse_period(month)
    day = MONTHLY_DEADLINE_DAY if deadline_day is None else deadline_day
    return jalali.start_of_day_utc(period.end_day + timedelta(days=day))


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
               at: datetime, deadline_day: int | None = None) -> tuple["MonthlyReport", list]:
        if not kanoon.founding_date or kanoon.founding_date >= jalali.parse_period(month).end_day:
            raise Invalid("the kanoon was not yet approved in that month", "month")
        _check_month_closed(month, at)
        _check_contents(kanoon, public_requests, answered, supplementary)
        on_time = at <= monthly_deadline(month, deadline_day)
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

    def accept(self, by: str, clock: Clock) -> list:
        if self.status != MonthlyStatus.submitted:
            raise Conflict(f"the month's report is {self.status}; only a submitted one is accepted", "status")
        self.status = MonthlyStatus.accepted
        self.steps.append(Step(step="accepted", at=clock.now(), by=by))
        return [ev.MonthlyReportAccepted(kanoon_id=self.kanoon_id, kanoon_path=self.kanoon_path, month=self.month,
                                         clients=self.clients, public_requests=self.public_requests,
                                         public_requests_answered=self.public_requests_answered, by=by)]

    def return_with(self, comment: str, by: str, clock: Clock) -> list:
        if self.status != MonthlyStatus.submitted:
            raise Conflict(f"the month's report is {self.status}; only a submitted one is returned", "status")
        self.status = MonthlyStatus.returned
        self.comment = comment
        self.steps.append(Step(step="returned", at=clock.now(), by=by, note=comment))
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
