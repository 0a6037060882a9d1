"""The province's service desk (DOMAIN §8): members and applicants bring their problems with the
systems; a ticket is opened (by the person, or by the desk from a phone call), answered by the
support staff — the person sees the answer — and closed when solved (or reopened by the person)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.errors import Conflict, Invalid

from .. import events as ev


class TicketStatus(StrEnum):
    open = "open"
    answered = "answered"
    closed = "closed"


class Category(StrEnum):
    account = "account"            # signing in, passwords
    registration = "registration"  # membership, applications, transfers
    reporting = "reporting"        # activity reports, monthly reports
    other = "other"


class Message(BaseModel):
    by: str
    staff: bool
    text: str
    at: datetime


class Ticket(BaseModel):
    id: str
    province_id: str
    province_path: list[str]
    person_id: str | None          # the member's (None: an applicant recorded by the desk)
    contact: str | None = None     # an applicant's name and phone, as the desk wrote them
    category: Category
    subject: str
    messages: list[Message]
    status: TicketStatus = TicketStatus.open
    opened_at: datetime
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 0

    def answer(self, text: str, by: str, at: datetime) -> list:
        if self.status == TicketStatus.closed:
            raise Conflict("the ticket is closed; the person reopens it", "status")
        if len(text.strip()) < 3:
            raise Invalid("an answer says something", "text")
        self.messages.append(Message(by=by, staff=True, text=text.strip(), at=at))
        self.status, self.answered_at = TicketStatus.answered, at
        return [ev.TicketAnswered(ticket_id=self.id, province_id=self.province_id, person_id=self.person_id)]

    def follow_up(self, text: str, by: str, at: datetime) -> list:
        """The person adds to the ticket (reopening it if answered or closed)."""
        if len(text.strip()) < 3:
            raise Invalid("a message says something", "text")
        self.messages.append(Message(by=by, staff=False, text=text.strip(), at=at))
        reopened = self.status != TicketStatus.open
        self.status, self.closed_at = TicketStatus.open, None
        return [ev.TicketReopened(ticket_id=self.id, province_id=self.province_id)] if reopened else []

    def close(self, by: str, at: datetime) -> list:
        if self.status == TicketStatus.closed:
            raise Conflict("the ticket is closed already", "status")
        self.status, self.closed_at = TicketStatus.closed, at
        return [ev.TicketClosed(ticket_id=self.id, province_id=self.province_id, closed_by=by)]
