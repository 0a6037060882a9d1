"""Letters in and out of a province's HQ (DOMAIN §8): numbered per province, Jalali year and
direction (۱۴۰۵/و/۱۷ for the 17th incoming letter of 1405, ۱۴۰۵/ص/۳ for an outgoing one), with their
parties, subject, attachments and — for a letter that asks for something — a deadline with a
reminder some days before it. The timer (`due`) raises a letter's reminder once when its reminder
day comes and its overdue notice once when the deadline has passed unanswered. An outgoing letter
may answer an incoming one, which is then answered; any letter may be closed with a note."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.types import Attachment  # noqa: F401 (the model its records keep)

from .. import events as ev

DEFAULT_REMIND_DAYS = 3
MARK = {"incoming": "و", "outgoing": "ص"}   # وارده، صادره


class Direction(StrEnum):
    incoming = "incoming"
    outgoing = "outgoing"


class LetterStatus(StrEnum):
    open = "open"            # registered; an incoming letter with a deadline waits for its answer
    answered = "answered"    # an incoming letter an outgoing one answered
    closed = "closed"



def letter_number(direction: Direction, year: int, seq: int) -> str:
    return f"{year}/{MARK[direction]}/{seq}"


class Letter(BaseModel):
    id: str
    province_id: str
    province_path: list[str]
    direction: Direction
    year: int
    seq: int
    number: str
    their_number: str | None = None   # the sender's own number on an incoming letter
    subject: str
    parties: list[str]                # who sent it (incoming) or to whom it goes (outgoing)
    dated: date                       # the date on the letter
    deadline: date | None = None
    remind_days: int = DEFAULT_REMIND_DAYS
    reminded: bool = False
    overdue_notified: bool = False
    reply_to: str | None = None       # the incoming letter an outgoing one answers
    answered_by: str | None = None    # the outgoing letter that answered an incoming one
    assigned_to: str | None = None    # the person at HQ who handles it
    attachments: list[Attachment] = []
    status: LetterStatus = LetterStatus.open
    note: str | None = None
    registered_by: str
    registered_at: datetime
    closed_at: datetime | None = None
    version: int = 0

    @classmethod
    def register(cls, *, province_id: str, province_path: list[str], direction: Direction, seq: int,
                 subject: str, parties: list[str], dated: date, deadline: date | None, remind_days: int | None,
                 their_number: str | None, reply_to: "Letter | None", assigned_to: str | None, by: str,
                 clock: Clock) -> tuple["Letter", list]:
        today = clock.today()
        if dated > today:
            raise Invalid("a letter's date cannot be in the future", "dated")
        parties = [p.strip() for p in parties if p and p.strip()]
        if not parties:
            raise Invalid("a letter has at least one party (who sent it, or to whom it goes)", "parties")
        if deadline is not None and deadline < dated:
            raise Invalid("the deadline comes after the letter's date", "deadline")
        remind = DEFAULT_REMIND_DAYS if remind_days is None else remind_days
        if deadline is None and remind_days is not None:
            raise Invalid("a reminder needs a deadline", "remind_days")
        if reply_to is not None:
            if direction != Direction.outgoing:
                raise Invalid("only an outgoing letter answers another", "reply_to")
            if reply_to.direction != Direction.incoming:
                raise Invalid("an outgoing letter answers an incoming one", "reply_to")
            if reply_to.province_id != province_id:
                raise Invalid("the letter answered is another province's", "reply_to")
            if reply_to.status != LetterStatus.open:
                raise Conflict(f"the letter {reply_to.number} is {reply_to.status} already", "reply_to")
        year = jalali.jalali_year_month(today)[0]   # numbered in the year it is registered
        letter = cls(id=clock.new_id("lt"), province_id=province_id, province_path=province_path, direction=direction,
                     year=year, seq=seq, number=letter_number(direction, year, seq), their_number=their_number,
                     subject=subject, parties=parties, dated=dated, deadline=deadline, remind_days=remind,
                     reply_to=reply_to.id if reply_to else None, assigned_to=assigned_to, registered_by=by,
                     registered_at=clock.now())
        out: list = [ev.LetterRegistered(letter_id=letter.id, province_id=province_id, direction=direction,
                                         number=letter.number, title=subject, parties=parties, dated=dated,
                                         deadline=deadline, reply_to=letter.reply_to)]
        if reply_to is not None:
            reply_to.status = LetterStatus.answered
            reply_to.answered_by = letter.id
            out.append(ev.LetterAnswered(letter_id=reply_to.id, province_id=province_id, number=reply_to.number,
                                         answered_by=letter.id, answer_number=letter.number,
                                         on_time=reply_to.deadline is None or today <= reply_to.deadline))
        return letter, out

    def close(self, note: str | None, by: str, clock: Clock) -> list:
        if self.status == LetterStatus.closed:
            raise Conflict(f"the letter {self.number} is closed already", "status")
        self.status = LetterStatus.closed
        self.note = note
        self.closed_at = clock.now()
        return [ev.LetterClosed(letter_id=self.id, province_id=self.province_id, number=self.number, closed_by=by)]

    @property
    def waiting(self) -> bool:
        """An incoming letter with a deadline, neither answered nor closed."""
        return self.direction == Direction.incoming and self.deadline is not None and self.status == LetterStatus.open

    def overdue(self, today: date) -> bool:
        return self.waiting and today > self.deadline

    def due(self, today: date) -> list:
        """The reminder and the overdue notice, each once, when their day has come."""
        if not self.waiting:
            return []
        out: list = []
        if not self.reminded and today >= self.deadline - timedelta(days=self.remind_days):
            self.reminded = True
            out.append(ev.LetterDue(letter_id=self.id, province_id=self.province_id, number=self.number,
                                    title=self.subject, deadline=self.deadline, assigned_to=self.assigned_to))
        if not self.overdue_notified and today > self.deadline:
            self.overdue_notified = True
            out.append(ev.LetterOverdue(letter_id=self.id, province_id=self.province_id, number=self.number,
                                        title=self.subject, deadline=self.deadline, assigned_to=self.assigned_to))
        return out
