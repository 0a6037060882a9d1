"""The secretariat service's events (its public contract; snapshots in event_schemas/): letters
registered, answered, closed, due and overdue; memoranda signed, renewed and due for renewal; the
council's chair and nominees; the general assembly's session; the HQ's reports sent; the heads'
monthly meetings; news published; the service desk's tickets."""
from __future__ import annotations

from datetime import date

from kernel.events import EventData, event_type


@event_type("secretariat.letter.registered.v1", "letter/{letter_id}")
class LetterRegistered(EventData):
    letter_id: str
    province_id: str
    direction: str            # incoming | outgoing
    number: str
    title: str                # the letter's subject
    parties: list[str]
    dated: date
    deadline: date | None
    reply_to: str | None


@event_type("secretariat.letter.answered.v1", "letter/{letter_id}")
class LetterAnswered(EventData):
    letter_id: str
    province_id: str
    number: str
    answered_by: str
    answer_number: str
    on_time: bool


@event_type("secretariat.letter.closed.v1", "letter/{letter_id}")
class LetterClosed(EventData):
    letter_id: str
    province_id: str
    number: str
    closed_by: str


@event_type("secretariat.letter.due.v1", "letter/{letter_id}")
class LetterDue(EventData):
    """An incoming letter's deadline is near (its reminder day has come)."""
    letter_id: str
    province_id: str
    number: str
    title: str                # the letter's subject
    deadline: date
    assigned_to: str | None


@event_type("secretariat.letter.overdue.v1", "letter/{letter_id}")
class LetterOverdue(EventData):
    letter_id: str
    province_id: str
    number: str
    title: str                # the letter's subject
    deadline: date
    assigned_to: str | None


@event_type("secretariat.mou.signed.v1", "mou/{mou_id}")
class MouSigned(EventData):
    mou_id: str
    province_id: str
    title: str
    parties: list[str]
    starts_on: date
    ends_on: date


@event_type("secretariat.mou.renewed.v1", "mou/{mou_id}")
class MouRenewed(EventData):
    mou_id: str
    province_id: str
    ends_on: date


@event_type("secretariat.mou.renewal_due.v1", "mou/{mou_id}")
class MouRenewalDue(EventData):
    mou_id: str
    province_id: str
    title: str
    ends_on: date
    expired: bool


@event_type("secretariat.council.chair_elected.v1", "unit/{province_id}")
class CouncilChairElected(EventData):
    province_id: str
    year: int
    person_id: str
    elected_on: date


@event_type("secretariat.council.nominees_sent.v1", "unit/{province_id}")
class ManagerNomineesSent(EventData):
    """The coordination council's three nominees for province manager, sent to the Center."""
    province_id: str
    year: int
    nominees: list[str]
    sent_on: date


@event_type("secretariat.assembly.held.v1", "unit/{province_id}")
class AssemblyHeld(EventData):
    province_id: str
    year: int
    held_on: date
    attendees: int
    resolutions: int


@event_type("secretariat.hq_report.sent.v1", "hq-report/{report_id}")
class HqReportSent(EventData):
    report_id: str
    province_id: str
    to: str                   # assembly | center
    period: str
    title: str
    sent_on: date


@event_type("secretariat.heads_meeting.held.v1", "unit/{unit_id}")
class HeadsMeetingHeld(EventData):
    meeting_id: str
    unit_id: str
    month: str
    host_kanoon_id: str
    attended: list[str]
    of: int                   # the city's active neighborhood kanoons
    next_host_id: str | None


@event_type("secretariat.news.published.v1", "news/{news_id}")
class NewsPublished(EventData):
    news_id: str
    province_id: str
    title: str
    report_ids: list[str]
    media: int


@event_type("secretariat.ticket.opened.v1", "ticket/{ticket_id}")
class TicketOpened(EventData):
    ticket_id: str
    province_id: str
    person_id: str | None
    category: str


@event_type("secretariat.ticket.answered.v1", "ticket/{ticket_id}")
class TicketAnswered(EventData):
    ticket_id: str
    province_id: str
    person_id: str | None


@event_type("secretariat.ticket.reopened.v1", "ticket/{ticket_id}")
class TicketReopened(EventData):
    ticket_id: str
    province_id: str


@event_type("secretariat.ticket.closed.v1", "ticket/{ticket_id}")
class TicketClosed(EventData):
    ticket_id: str
    province_id: str
    closed_by: str
