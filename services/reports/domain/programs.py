"""Collective programs (DOMAIN §4.5, §4.6): at least one a month per kanoon; participatory
programs join a neighborhood and a specialized kanoon."""
from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .common import month_key
from .kanoons import KanoonView


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
               partners: list[KanoonView], note: str | None, by: str, clock: Clock) -> tuple["Program", list]:
        if kanoon.status != "active":
            raise Conflict("programs are recorded for an active kanoon", "kanoon_id")
        if held_on > today:
            raise Invalid("a program is recorded after it is held", "held_on")
        if kanoon.founding_date and held_on < kanoon.founding_date:
            raise Invalid("the program is before the kanoon was approved", "held_on")
        for p in partners:
            if p.id == kanoon.id or p.status != "active":
                raise Invalid(f"{p.id} is not another active kanoon", "partner_kanoon_ids")
            if p.specialized == kanoon.specialized:
                other = "a neighborhood" if kanoon.specialized else "a specialized"
                raise Invalid(f"a participatory program joins a kanoon with {other} kanoon; {p.id} is not one",
                              "partner_kanoon_ids")
        p = cls(id=clock.new_id("pg"), kanoon_id=kanoon.id, kanoon_path=kanoon.path, title=title, held_on=held_on,
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
