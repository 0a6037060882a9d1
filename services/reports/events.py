"""The reports service's events (its public contract; snapshots in event_schemas/). A report's
events carry its facts (kanoon path, Jalali month, type, hours, beneficiaries, campaign) so that any
consumer, this service's aggregates included, can count it without asking. No event carries a
beneficiary's personal data."""
from __future__ import annotations

from datetime import date

from kernel import personal
from kernel.events import EventData, event_type


class ReportFacts(EventData):
    report_id: str
    kanoon_id: str
    kanoon_path: list[str]
    month: str  # Jalali YYYY-MM of the day of service
    service_type: str
    hours: float
    beneficiaries: int
    campaign_id: str | None
    reporter_id: str
    reporter_kind: str | None = None  # khademyar | yavar, when the reporter's kind was known


@event_type("reports.report.submitted.v1", "report/{report_id}")
class ReportSubmitted(ReportFacts):
    previous: str | None  # None when first filed; "returned" when resubmitted


@event_type("reports.report.approved.v1", "report/{report_id}")
class ReportApproved(ReportFacts):
    by: str
    media: list[dict] = []   # kind (photo | clip | news) and url: what the PR head may pick for the news


@event_type("reports.report.rejected.v1", "report/{report_id}")
class ReportRejected(ReportFacts):
    by: str
    reason: str


@event_type("reports.report.returned.v1", "report/{report_id}")
class ReportReturned(ReportFacts):
    by: str
    comment: str


@event_type("reports.report.flagged.v1", "report/{report_id}")
class ReportFlagged(EventData):
    report_id: str
    kanoon_path: list[str]
    month: str
    flag: str
    by: str


@event_type("reports.service_type.defined.v1", "service_type/{service_type_id}")
class ServiceTypeDefined(EventData):
    service_type_id: str
    name: str
    field: str | None
    scope_id: str


@event_type("reports.instruction.published.v1", "service_type/{service_type}")
class InstructionPublished(EventData):
    """A new version of a service type's executive instruction in a province; `kanoon_ids` are the
    kanoons it is notified to (those that may report the type there)."""
    service_type: str
    field: str | None
    scope_id: str
    version: int
    kanoon_ids: list[str]
    by: str


@event_type("reports.reservation.requested.v1", "reservation/{reservation_id}")
class ReservationRequested(EventData):
    reservation_id: str
    person_id: str
    kanoon_id: str
    service_type: str
    day: date


@event_type("reports.reservation.decided.v1", "reservation/{reservation_id}")
class ReservationDecided(EventData):
    reservation_id: str
    kanoon_id: str
    status: str  # confirmed | declined | cancelled
    by: str


@event_type("reports.campaign.announced.v1", "campaign/{campaign_id}")
class CampaignAnnounced(EventData):
    campaign_id: str
    title: str
    scope_id: str
    starts_on: date
    ends_on: date
    target_ids: list[str]
    service_types: list[str]
    field: str | None = None  # a sponsoring institution's campaign calls on that field's kanoons only
    occasion_id: str | None = None  # the calendar's occasion it is tied to (festival.occasion.set)


@event_type("reports.campaign.drafted.v1", "campaign/{campaign_id}")
class CampaignDrafted(EventData):
    campaign_id: str
    title: str
    scope_id: str
    by: str


@event_type("reports.program.held.v1", "kanoon/{kanoon_id}")
class ProgramHeld(EventData):
    program_id: str
    kanoon_id: str
    kanoon_path: list[str]
    month: str
    held_on: date
    attendance: int
    partner_kanoon_ids: list[str]


@event_type("reports.monthly_report.submitted.v1", "kanoon/{kanoon_id}")
class MonthlyReportSubmitted(EventData):
    kanoon_id: str
    kanoon_path: list[str]
    month: str
    on_time: bool
    resubmission: bool


@event_type("reports.monthly_report.accepted.v1", "kanoon/{kanoon_id}")
class MonthlyReportAccepted(EventData):
    kanoon_id: str
    kanoon_path: list[str]
    month: str
    clients: int
    public_requests: int
    public_requests_answered: int
    by: str


@event_type("reports.monthly_report.returned.v1", "kanoon/{kanoon_id}")
class MonthlyReportReturned(EventData):
    kanoon_id: str
    kanoon_path: list[str]
    month: str
    comment: str
    by: str


@event_type("reports.beneficiary.registered.v1", "kanoon/{kanoon_id}")
class BeneficiaryRegistered(EventData):
    beneficiary_id: str
    kanoon_id: str
    household_size: int
    categories: list[str]


@event_type("reports.need.registered.v1", "need/{need_id}")
class NeedRegistered(EventData):
    need_id: str
    kanoon_id: str
    kanoon_path: list[str]
    title: str
    service_type: str | None
    field: str | None
    urgency: str


@event_type("reports.need.matched.v1", "need/{need_id}")
class NeedMatched(EventData):
    need_id: str
    kanoon_id: str
    match_kind: str  # member | kanoon
    match_id: str


@event_type("reports.need.resolved.v1", "need/{need_id}")
class NeedResolved(EventData):
    need_id: str
    kanoon_id: str
    status: str  # met | closed
    by: str


@event_type("reports.project.proposed.v1", "project/{project_id}")
class ProjectProposed(EventData):
    project_id: str
    kanoon_id: str
    need_ids: list[str]
    invited_kanoon_ids: list[str]
    title: str | None = None               # since the finance service tracks projects' money
    kanoon_path: list[str] | None = None


@event_type("reports.project.answered.v1", "project/{project_id}")
class ProjectAnswered(EventData):
    project_id: str
    kanoon_id: str
    answer: str  # joined | declined
    by: str


@event_type("reports.personal_data.accessed.v1", "personal_data/{record_kind}")
class PersonalDataAccessed(personal.PersonalDataAccessed):
    """A beneficiary's record read, listed, found or registered by a person (kernel.personal): the
    audit trail the oversight service keeps."""
