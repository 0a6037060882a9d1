"""Plans and occasions (DOMAIN §7.3 as updated).

**Occasions**: a calendar of dated occasions for a Jalali year — national days of professions and
guilds, Imam Reza's birth and martyrdom, the Karamat decade, the last decade of Safar, others — kept
by the Center (the country's, seen everywhere) and by a province's planning head (its own). Lunar
occasions move in the solar calendar, so each is entered with its days for the year. Programs'
items and the reports service's campaigns are tied to them by id.

**Programs**: the province's annual and monthly programs, drafted by the planning head and approved
by the province manager; and each kanoon's one-year program, drafted by its head and approved by the
province's coordination council. Either may be returned with a reason and submitted again. A program
carries **written indices** (each a target number); once its period is over it is evaluated against
them: each index scores min(achieved ÷ target, 1), the program the mean × 100."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev

MAX_OCCASION_DAYS = 31


class OccasionKind(StrEnum):
    national_day = "national_day"          # a national day of a profession or guild
    imam_reza = "imam_reza"                # the Imam's birth or martyrdom
    karamat_decade = "karamat_decade"      # دهه کرامت
    safar_last_decade = "safar_last_decade"  # دهه آخر صفر
    other = "other"


class Occasion(BaseModel):
    id: str
    scope_id: str                  # the country, or a province
    year: int                      # Jalali
    kind: OccasionKind
    title: str
    starts_on: date
    ends_on: date
    profession: str | None = None  # a national day's profession or guild
    by: str
    at: datetime

    @classmethod
    def add(cls, *, scope_id: str, kind: OccasionKind, title: str, starts_on: date, ends_on: date | None,
            profession: str | None, by: str, clock: Clock) -> tuple["Occasion", list]:
        ends_on = ends_on or starts_on
        if ends_on < starts_on:
            raise Invalid("the occasion ends before it starts", "ends_on")
        if (ends_on - starts_on).days >= MAX_OCCASION_DAYS:
            raise Invalid(f"an occasion lasts at most {MAX_OCCASION_DAYS} days", "ends_on")
        if kind in (OccasionKind.karamat_decade, OccasionKind.safar_last_decade) and (ends_on - starts_on).days != 9:
            raise Invalid("a decade is ten days", "ends_on")
        if kind == OccasionKind.national_day and not profession:
            raise Invalid("name the profession or guild whose day it is", "profession")
        year = jalali.period_of(starts_on, "year").year
        o = cls(id=clock.new_id("oc"), scope_id=scope_id, year=year, kind=kind, title=title, starts_on=starts_on,
                ends_on=ends_on, profession=profession, by=by, at=clock.now())
        return o, [ev.OccasionSet(occasion_id=o.id, scope_id=scope_id, year=year, kind=kind.value, title=title,
                                  starts_on=starts_on, ends_on=ends_on)]


class ProgramKind(StrEnum):
    annual = "annual"              # the province's, for a Jalali year
    monthly = "monthly"            # the province's, for a Jalali month
    kanoon_annual = "kanoon_annual"  # a kanoon's one-year program


class ProgramStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
    evaluated = "evaluated"


class ProgramItem(BaseModel):
    title: str
    month: str | None = None       # the Jalali month it is for, within the program's period
    occasion_id: str | None = None


class WrittenIndex(BaseModel):
    key: str
    title: str
    target: float
    achieved: float | None = None


class Step(BaseModel):
    status: ProgramStatus
    by: str
    at: datetime
    note: str | None = None


class Program(BaseModel):
    id: str
    kind: ProgramKind
    owner_id: str                  # the province, or the kanoon
    owner_path: list[str]
    province_id: str
    period: str                    # 1405, or 1405-07 for a monthly program
    title: str
    items: list[ProgramItem]
    indices: list[WrittenIndex]
    status: ProgramStatus = ProgramStatus.draft
    steps: list[Step] = []
    score: float | None = None
    version: int = 0

    @staticmethod
    def key(kind: ProgramKind, owner_id: str, period: str) -> str:
        return f"pr_{kind.value}_{owner_id}_{period}"

    @classmethod
    def draft(cls, *, kind: ProgramKind, owner_id: str, owner_path: list[str], province_id: str, period: str,
              title: str, items: list[ProgramItem], indices: list[WrittenIndex], by: str, clock: Clock) -> "Program":
        try:
            p = jalali.parse_period(period)
        except ValueError as exc:
            raise Invalid(str(exc), "period") from None
        wanted = "month" if kind == ProgramKind.monthly else "year"
        if p.kind != wanted:
            raise Invalid(f"a {kind.value.replace('_', ' ')} program is for a Jalali {wanted}", "period")
        months = {str(m) for m in p.month_periods()}
        for n, it in enumerate(items):
            if it.month is not None and it.month not in months:
                raise Invalid("the item's month is outside the program's period", f"items.{n}.month")
        keys = [i.key for i in indices]
        if len(set(keys)) != len(keys):
            raise Invalid("two indices share a key", "indices")
        for n, i in enumerate(indices):
            if i.target <= 0:
                raise Invalid("an index's target is above zero", f"indices.{n}.target")
        return cls(id=cls.key(kind, owner_id, str(p)), kind=kind, owner_id=owner_id, owner_path=owner_path,
                   province_id=province_id, period=str(p), title=title, items=items,
                   indices=[WrittenIndex(key=i.key, title=i.title, target=i.target) for i in indices],
                   steps=[Step(status=ProgramStatus.draft, by=by, at=clock.now())])

    @property
    def approver_role(self) -> str:
        return "coordination_council" if self.kind == ProgramKind.kanoon_annual else "province_manager"

    def revise(self, title: str, items: list[ProgramItem], indices: list[WrittenIndex], by: str, clock: Clock) -> None:
        if self.status not in (ProgramStatus.draft, ProgramStatus.returned):
            raise Conflict(f"the program is {self.status.value}: it is revised while a draft or returned",
                           "program_id")
        fresh = Program.draft(kind=self.kind, owner_id=self.owner_id, owner_path=self.owner_path,
                              province_id=self.province_id, period=self.period, title=title, items=items,
                              indices=indices, by=by, clock=clock)
        self.title, self.items, self.indices = fresh.title, fresh.items, fresh.indices
        self.status = ProgramStatus.draft
        self.steps.append(Step(status=ProgramStatus.draft, by=by, at=clock.now(), note="revised"))

    def submit(self, by: str, clock: Clock) -> None:
        if self.status not in (ProgramStatus.draft, ProgramStatus.returned):
            raise Conflict(f"the program is {self.status.value}", "program_id")
        self.status = ProgramStatus.submitted
        self.steps.append(Step(status=self.status, by=by, at=clock.now()))

    def decide(self, approve: bool, reason: str | None, by: str, clock: Clock) -> list:
        if self.status != ProgramStatus.submitted:
            raise Conflict("only a submitted program is approved or returned", "program_id")
        if not approve and not (reason and reason.strip()):
            raise Invalid("say why the program is returned", "reason")
        self.status = ProgramStatus.approved if approve else ProgramStatus.returned
        self.steps.append(Step(status=self.status, by=by, at=clock.now(), note=reason))
        if not approve:
            return []
        return [ev.ProgramApproved(program_id=self.id, kind=self.kind.value, owner_id=self.owner_id,
                                   province_id=self.province_id, period=self.period, by=by)]

    def evaluate(self, achieved: dict[str, float], by: str, today: date, clock: Clock) -> list:
        if self.status != ProgramStatus.approved:
            raise Conflict("an approved program is evaluated (once)", "program_id")
        if jalali.parse_period(self.period).end_day > today:
            raise Conflict("the program is evaluated after its period ends", "program_id")
        wanted = {i.key for i in self.indices}
        if set(achieved) != wanted:
            raise Invalid(f"give what was achieved for every index: {sorted(wanted)}", "achieved")
        for k, v in achieved.items():
            if v < 0:
                raise Invalid("an achieved figure is zero or more", f"achieved.{k}")
        for i in self.indices:
            i.achieved = achieved[i.key]
        self.score = program_score(self.indices)
        self.status = ProgramStatus.evaluated
        self.steps.append(Step(status=self.status, by=by, at=clock.now()))
        return [ev.ProgramEvaluated(program_id=self.id, kind=self.kind.value, owner_id=self.owner_id,
                                    province_id=self.province_id, period=self.period, score=self.score)]


def program_score(indices: list[WrittenIndex]) -> float:
    if not indices:
        return 0.0
    return round(100 * sum(min((i.achieved or 0) / i.target, 1.0) for i in indices) / len(indices), 2)
