"""Activity reports (DOMAIN §4.2): a member logs a service; the kanoon's head or deputy approves
or rejects it; the city secretary may return an approved one; the evaluation head flags quality."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Forbidden, Invalid
from .. import events as ev
from .common import Step, month_key
from .kanoons import KanoonView
from .service_types import ServiceType

if TYPE_CHECKING:
    from .campaigns import Campaign


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
                "reporter_id": self.reporter_id, "reporter_kind": self.reporter_kind}

    @classmethod
    def submit(cls, *, reporter_id: str, reporter_kind: str, kanoon: KanoonView, service_type: ServiceType,
               day: date, today: date, hours: float, place: str, beneficiaries: int, description: str,
               media: list[Media], clock: Clock, campaign: "Campaign | None" = None,
               window_days: int | None = None) -> tuple["ActivityReport", list]:
        """`window_days`: how far back a service may be reported, the province's setting (§9)."""
        if kanoon.status != "active":
            raise Conflict("reports are filed for an active kanoon", "kanoon_id")
        check_report_day(day, today, kanoon, window_days)
        if not service_type.usable_by(kanoon):
            raise Invalid(f"the service type {service_type.id} is not open to this kanoon", "service_type")
        if campaign is not None:
            campaign.check_participation(kanoon, service_type.id, day)
        r = cls(id=clock.new_id("ar"), reporter_id=reporter_id, reporter_kind=reporter_kind, kanoon_id=kanoon.id,
                kanoon_path=kanoon.path, service_type=service_type.id, day=day, hours=hours, place=place,
                beneficiaries=beneficiaries, description=description, media=media,
                campaign_id=campaign.id if campaign else None, submitted_at=clock.now())
        r.steps.append(Step(step="submitted", at=r.submitted_at, by=reporter_id))
        return r, [ev.ReportSubmitted(**r.facts(), previous=None)]

    def _move(self, to: ReportStatus, by: str, clock: Clock, note: str | None = None) -> None:
        self.status = to
        self.steps.append(Step(step=to.value, at=clock.now(), by=by, note=note))

    def _check_reviewer(self, by: str) -> None:
        if by == self.reporter_id:
            raise Conflict("a report is reviewed by someone other than its reporter", "report_id")

    def approve(self, by: str, clock: Clock) -> list:
        self._check_reviewer(by)
        if self.status != ReportStatus.submitted:
            raise Conflict(f"the report is {self.status}; only a submitted report is approved", "status")
        self._move(ReportStatus.approved, by, clock)
        self.reason = None
        return [ev.ReportApproved(**self.facts(), by=by, media=[m.model_dump() for m in self.media])]

    def reject(self, by: str, reason: str, clock: Clock) -> list:
        self._check_reviewer(by)
        if self.status != ReportStatus.submitted:
            raise Conflict(f"the report is {self.status}; only a submitted report is rejected", "status")
        self._move(ReportStatus.rejected, by, clock, reason)
        self.reason = reason
        return [ev.ReportRejected(**self.facts(), by=by, reason=reason)]

    def return_for_review(self, by: str, comment: str, clock: Clock) -> list:
        if self.status != ReportStatus.approved:
            raise Conflict(f"the report is {self.status}; only an approved report is returned", "status")
        self._move(ReportStatus.returned, by, clock, comment)
        self.reason = comment
        return [ev.ReportReturned(**self.facts(), by=by, comment=comment)]

    def resubmit(self, by: str, changes: dict, service_type: ServiceType | None, kanoon: KanoonView,
                 campaign: "Campaign | None", today: date, clock: Clock, window_days: int | None = None) -> list:
        """The reporter corrects a returned report; the day, the service type and the campaign are
        checked again as on submission (a corrected day may fall outside the campaign)."""
        if by != self.reporter_id:
            raise Forbidden("only the reporter resubmits a report")
        if self.status != ReportStatus.returned:
            raise Conflict(f"the report is {self.status}; only a returned report is resubmitted", "status")
        unknown = sorted(set(changes) - set(CORRECTABLE))
        if unknown:
            raise Invalid(f"{unknown[0]} cannot be corrected on resubmission", unknown[0])
        day = changes.get("day", self.day)
        if day != self.day:
            check_report_day(day, today, kanoon, window_days)
        if service_type is not None and not service_type.usable_by(kanoon):
            raise Invalid(f"the service type {service_type.id} is not open to this kanoon", "service_type")
        type_id = service_type.id if service_type is not None else self.service_type
        if campaign is not None:
            campaign.check_participation(kanoon, type_id, day)
        self.service_type = type_id
        for key, value in changes.items():
            setattr(self, key, value)
        self._move(ReportStatus.submitted, by, clock)
        return [ev.ReportSubmitted(**self.facts(), previous=ReportStatus.returned.value)]

    def flag(self, flag: str, by: str, note: str | None, clock: Clock) -> list:
        if self.status != ReportStatus.approved:
            raise Conflict("quality flags are set on approved reports", "status")
        if any(f.flag == flag for f in self.flags):
            raise Conflict(f"the report is already flagged {flag}", "flag")
        self.flags.append(QualityFlag(flag=flag, note=note, by=by, at=clock.now()))
        return [ev.ReportFlagged(report_id=self.id, kanoon_path=self.kanoon_path, month=self.month,
                                 flag=flag, by=by)]


def check_report_day(day: date, today: date, kanoon: KanoonView, window_days: int | None = None) -> None:
    window = REPORT_WINDOW_DAYS if window_days is None else window_days
    if day > today:
        raise Invalid("a service is reported after it is done, not before", "day")
    if kanoon.founding_date and day < kanoon.founding_date:
        raise Invalid("the day is before the kanoon was approved", "day")
    if day < today - timedelta(days=window):
        raise Invalid(f"services are reported within {window} days", "day")


# How far back a member may report a service, unless the province sets otherwise (docs/decisions.md).
REPORT_WINDOW_DAYS = 60
# What a reporter may correct when resubmitting a returned report.
CORRECTABLE = ("day", "hours", "place", "beneficiaries", "description", "media")
