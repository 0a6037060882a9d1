"""The province's bodies (DOMAIN §8): the coordination council's chair and its three nominees for
province manager sent to the Center, the general assembly's annual session, and the HQ's reports to
the general assembly and to the Center."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kernel.errors import Conflict, Invalid

from .. import events as ev

NOMINEES = 3


class CouncilChoice(BaseModel):
    """One per province and Jalali year (its id is `<province>:<year>`)."""
    id: str
    province_id: str
    province_path: list[str]
    year: int
    chair_id: str | None = None
    chair_elected_on: date | None = None
    nominees: list[str] = []
    nominees_sent_on: date | None = None
    version: int = 0

    def elect_chair(self, person_id: str, on: date, today: date) -> list:
        if on > today:
            raise Invalid("the election's date cannot be in the future", "elected_on")
        self.chair_id, self.chair_elected_on = person_id, on
        return [ev.CouncilChairElected(province_id=self.province_id, year=self.year, person_id=person_id,
                                       elected_on=on)]

    def send_nominees(self, nominees: list[str], on: date, today: date) -> list:
        if self.nominees_sent_on is not None:
            raise Conflict("this year's nominees were sent to the Center already", "nominees")
        if len(nominees) != NOMINEES or len(set(nominees)) != NOMINEES:
            raise Invalid(f"the council sends {NOMINEES} different nominees", "nominees")
        if on > today:
            raise Invalid("the sending date cannot be in the future", "sent_on")
        self.nominees, self.nominees_sent_on = nominees, on
        return [ev.ManagerNomineesSent(province_id=self.province_id, year=self.year, nominees=nominees, sent_on=on)]


class AssemblySession(BaseModel):
    """The general assembly's annual session (one per province and year)."""
    id: str
    province_id: str
    province_path: list[str]
    year: int
    held_on: date
    attendees: int
    resolutions: list[str]
    report_id: str | None = None    # the HQ's report presented to it
    recorded_by: str
    version: int = 0

    @classmethod
    def record(cls, *, province_id: str, province_path: list[str], held_on: date, attendees: int,
               resolutions: list[str], report_id: str | None, by: str, year: int, today: date) -> tuple["AssemblySession", list]:
        if held_on > today:
            raise Invalid("a session is recorded once held", "held_on")
        s = cls(id=f"{province_id}:{year}", province_id=province_id, province_path=province_path, year=year,
                held_on=held_on, attendees=attendees, resolutions=[r.strip() for r in resolutions if r.strip()],
                report_id=report_id, recorded_by=by)
        return s, [ev.AssemblyHeld(province_id=province_id, year=year, held_on=held_on, attendees=attendees,
                                   resolutions=len(s.resolutions))]


class HqReport(BaseModel):
    """A report of the HQ to the general assembly or to the Center, for a Jalali period."""
    id: str
    province_id: str
    province_path: list[str]
    to: str                 # assembly | center
    period: str
    title: str
    body: str
    sent_on: date | None = None
    attachments: list = []
    written_by: str
    written_at: datetime
    version: int = 0

    def send(self, on: date, today: date) -> list:
        if self.sent_on is not None:
            raise Conflict("the report was sent already", "sent_on")
        if on > today:
            raise Invalid("the sending date cannot be in the future", "sent_on")
        self.sent_on = on
        return [ev.HqReportSent(report_id=self.id, province_id=self.province_id, to=self.to, period=self.period,
                                title=self.title, sent_on=on)]
