"""Complaints (DOMAIN §6.1): from members who are signed in and from the public without an account,
by phone line, complaint box, web or letter, about a kanoon, a khademyar or yavar, or a staff
member; anonymous allowed.

The complainant gets a **tracking code** (read over the phone: 12 letters and digits from an
alphabet without look-alikes, ~60 bits) that shows the status and nothing else; only its hash is
stored. A complaint is triaged (category, severity → deadline), assigned to an investigator, noted,
resolved with an outcome and closed.

**Routing skips the accused**: the people a complaint accuses (the person complained about; for a
kanoon, its head and deputy) never handle it, never see it and never learn who complained. The
province's oversight head handles complaints; one accusing the oversight head goes to the province
manager. The complainant's identity is visible to the handler only (never to investigators)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Forbidden, Invalid
from .. import events as ev

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"   # no 0/O, 1/I/L
CODE_LENGTH = 12
# Days to close a complaint by its severity (a setting with documented defaults, DOMAIN §9).
DEADLINE_DAYS = {"low": 30, "medium": 14, "high": 7, "critical": 2}


class Channel(StrEnum):
    phone = "phone"
    box = "box"
    web = "web"
    letter = "letter"


class SubjectKind(StrEnum):
    kanoon = "kanoon"
    member = "member"          # a khademyar or yavar, in a kanoon or not yet placed in one
    staff = "staff"            # a staff member of the HQ or a city


class Status(StrEnum):
    received = "received"
    triaged = "triaged"
    investigating = "investigating"
    resolved = "resolved"
    closed = "closed"


class Complainant(BaseModel):
    """Who complained: personal data, shown to the handler only. All empty when anonymous."""
    person_id: str | None = None      # a signed-in member
    name: str | None = None
    phone: str | None = None


class Note(BaseModel):
    at: datetime
    by: str
    text: str


class Subject(BaseModel):
    """What the complaint is about, as the service resolved it from the registry's read model."""
    kind: SubjectKind
    id: str                           # a kanoon id or a person id
    path: list[str]                   # the unit path the complaint belongs to (its province inside)
    province_id: str
    accused: list[str]                # the people it accuses: the person, or the kanoon's head and deputy


MEMBER_KINDS = frozenset({"khademyar", "yavar"})


class Registration(BaseModel):
    """A person as the registry registered them (its `registry.person.registered` events, kept by
    this service): what they are, and the city they were registered in."""
    person_id: str
    kind: str | None = None
    city_id: str | None = None


def member_unit(kanoon_id: str | None, registration: Registration | None) -> str | None:
    """Where a complaint or a violation about a khademyar or yavar belongs. §6.1 and §6.3 concern
    every one of them, not only those in a kanoon: their kanoon; for one not yet placed (§2.5), or
    who left theirs, the city they were registered in — the city whose staff place them, inside the
    province whose oversight head and secretary handle it (docs/decisions.md). None when the person
    is no registered khademyar or yavar."""
    if kanoon_id:
        return kanoon_id
    if registration is not None and registration.kind in MEMBER_KINDS and registration.city_id:
        return registration.city_id
    return None


def normalize_code(code: str) -> str:
    """What a person reads back over the phone: any case, with or without dashes and spaces."""
    return "".join(ch for ch in code.upper() if ch not in "- ")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def format_code(raw: str) -> str:
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


class Complaint(BaseModel):
    id: str
    code_hash: str
    channel: Channel
    subject: Subject
    text: str
    anonymous: bool
    complainant: Complainant
    status: Status = Status.received
    category: str | None = None
    severity: str | None = None
    due: datetime | None = None
    handler_role: str                 # oversight_head, or province_manager when the head is accused
    investigator_id: str | None = None
    notes: list[Note] = []
    outcome: str | None = None
    received_at: datetime
    status_at: datetime
    closed_at: datetime | None = None
    version: int = 0

    @classmethod
    def receive(cls, *, code: str, channel: Channel, subject: Subject, text: str, complainant: Complainant,
                oversight_heads: list[str], clock: Clock) -> tuple["Complaint", list]:
        """`code`: the tracking code drawn by the service; `oversight_heads`: the people holding the
        oversight head's role over the subject (to route around them when they are accused)."""
        if len(normalize_code(code)) != CODE_LENGTH or any(ch not in ALPHABET for ch in normalize_code(code)):
            raise Invalid("a tracking code is 12 letters and digits", "code")
        if not text or len(text.strip()) < 10:
            raise Invalid("say what happened in a sentence or more", "text")
        anonymous = complainant.person_id is None and not complainant.name and not complainant.phone
        if complainant.person_id is not None and complainant.person_id in subject.accused:
            raise Invalid("a complaint is about someone else", "subject_id")
        handler = "province_manager" if set(oversight_heads) & set(subject.accused) else "oversight_head"
        now = clock.now()
        c = cls(id=clock.new_id("cp"), code_hash=code_hash(code), channel=channel, subject=subject, text=text.strip(),
                anonymous=anonymous, complainant=complainant, handler_role=handler, received_at=now, status_at=now)
        return c, [ev.ComplaintReceived(complaint_id=c.id, channel=channel, subject_kind=subject.kind,
                                        subject_id=subject.id, province_id=subject.province_id,
                                        anonymous=anonymous, handler_role=handler)]

    def _check_not_accused(self, person_id: str) -> None:
        if person_id in self.subject.accused:
            raise Forbidden("the complaint is about you: it is handled by others")

    def _step(self, status: Status, by: str, clock: Clock) -> list:
        self.status, self.status_at = status, clock.now()
        return [ev.ComplaintStepped(complaint_id=self.id, province_id=self.subject.province_id, status=status,
                                    severity=self.severity, by=by)]

    def triage(self, category: str, severity: str, by: str, clock: Clock) -> list:
        self._check_not_accused(by)
        if self.status not in (Status.received, Status.triaged):
            raise Conflict(f"the complaint is {self.status}; it is triaged when received", "status")
        if severity not in DEADLINE_DAYS:
            raise Invalid("severity is low, medium, high or critical", "severity")
        self.category, self.severity = category, severity
        self.due = self.received_at + timedelta(days=DEADLINE_DAYS[severity])
        return self._step(Status.triaged, by, clock)

    def assign(self, investigator_id: str, by: str, clock: Clock) -> list:
        self._check_not_accused(by)
        if self.status not in (Status.triaged, Status.investigating):
            raise Conflict(f"the complaint is {self.status}; a triaged one is assigned", "status")
        if investigator_id in self.subject.accused:
            raise Invalid("the investigator is someone the complaint accuses", "investigator_id")
        if investigator_id == self.complainant.person_id:
            raise Invalid("the complainant does not investigate their own complaint", "investigator_id")
        self.investigator_id = investigator_id
        return self._step(Status.investigating, by, clock)

    def note(self, text: str, by: str, clock: Clock) -> list:
        self._check_not_accused(by)
        if self.status in (Status.resolved, Status.closed):
            raise Conflict(f"the complaint is {self.status}", "status")
        if not text or len(text.strip()) < 3:
            raise Invalid("a note says something", "text")
        self.notes.append(Note(at=clock.now(), by=by, text=text.strip()))
        return []

    def resolve(self, outcome: str, by: str, clock: Clock) -> list:
        self._check_not_accused(by)
        if self.status != Status.investigating:
            raise Conflict(f"the complaint is {self.status}; one under investigation is resolved", "status")
        if not outcome or len(outcome.strip()) < 3:
            raise Invalid("the outcome says what was found and done", "outcome")
        self.outcome = outcome.strip()
        return self._step(Status.resolved, by, clock)

    def close(self, by: str, clock: Clock) -> list:
        self._check_not_accused(by)
        if self.status != Status.resolved:
            raise Conflict(f"the complaint is {self.status}; a resolved one is closed", "status")
        self.closed_at = clock.now()
        return self._step(Status.closed, by, clock)

    def overdue(self, now: datetime) -> bool:
        return self.due is not None and self.status != Status.closed and now > self.due

    def public_view(self) -> dict:
        """What the tracking code shows: the status and its dates, nothing of the investigation."""
        return {"status": self.status.value, "received_at": self.received_at, "status_at": self.status_at,
                "closed": self.status == Status.closed}
