"""The oversight service's events (its public contract; snapshots in event_schemas/). No event
carries a complainant's identity or a complaint's text."""
from __future__ import annotations

from datetime import date

from kernel import personal
from kernel.events import EventData, event_type


@event_type("oversight.complaint.received.v1", "complaint/{complaint_id}")
class ComplaintReceived(EventData):
    complaint_id: str
    channel: str               # phone | box | web | letter
    subject_kind: str          # kanoon | member | staff
    subject_id: str
    province_id: str
    anonymous: bool
    handler_role: str          # oversight_head, or province_manager when the head is accused


@event_type("oversight.complaint.stepped.v1", "complaint/{complaint_id}")
class ComplaintStepped(EventData):
    complaint_id: str
    province_id: str
    status: str                # triaged | investigating | resolved | closed
    severity: str | None
    by: str


@event_type("oversight.violation.recorded.v1", "violation/{violation_id}")
class ViolationRecorded(EventData):
    violation_id: str
    person_id: str
    province_id: str
    source: str                # complaint | inspection | report


@event_type("oversight.violation.stepped.v1", "violation/{violation_id}")
class ViolationStepped(EventData):
    violation_id: str
    person_id: str
    status: str                # handled | escalated
    by: str


@event_type("oversight.ruling.issued.v1", "person/{person_id}")
class RulingIssued(EventData):
    """The protection committee's ruling: the registry and the reports service refuse what it
    forbids from `starts_on` until the day before `ends_on`."""
    ruling_id: str
    violation_id: str
    person_id: str
    province_id: str
    kind: str                  # warning | barred_from_headship | suspended
    starts_on: date
    ends_on: date | None


@event_type("oversight.ruling.lifted.v1", "person/{person_id}")
class RulingLifted(EventData):
    ruling_id: str
    violation_id: str
    person_id: str
    by: str


@event_type("oversight.checklist.defined.v1", "checklist/{key}")
class ChecklistDefined(EventData):
    checklist_id: str          # <key>:v<version>
    key: str
    version: int
    province_id: str
    items: int


@event_type("oversight.inspection.done.v1", "inspection/{inspection_id}")
class InspectionDone(EventData):
    """An inspection's score (0–100, from the checklist's weights): for the evaluation (§7.3)."""
    inspection_id: str
    kind: str                  # periodic | surprise | secretary_visit | deputy_visit
    target_id: str             # a kanoon, or a county
    province_id: str
    season: str                # 1404-Q3
    checklist_id: str
    score: float
    visitor_role: str


@event_type("oversight.inspection.sent.v1", "inspection/{inspection_id}")
class InspectionSent(EventData):
    inspection_id: str
    province_id: str
    by: str


@event_type("oversight.opinion.published.v1", "opinion/{target_id}")
class OpinionPublished(EventData):
    """The oversight group's opinion of a kanoon or unit for a period (0–100), for the evaluation
    (§7.3); a revision is published again with a higher `revision`."""
    target_id: str
    province_id: str
    period: str
    rating: int
    revision: int


@event_type("oversight.personal_data.accessed.v1", "personal_data/{record_kind}")
class PersonalDataAccessed(personal.PersonalDataAccessed):
    """A complainant's identity shown to, or recorded by, a person (kernel.personal): the audit
    trail this service keeps."""
