"""Violations and the protection committee's rulings (DOMAIN §6.3).

A violation is recorded about a person (from a complaint, an inspection or a report), reported to
the province secretary, who handles it with a decision or escalates it to the **protection
committee**. The committee rules: a warning, barred from heading a kanoon for N months, or suspended
from membership for N months. A ruling is published as an event; the registry (and the reports
service) keep it and refuse what it forbids until it ends — "the basis of future cooperation". A
ruling may be lifted early by the committee (published too)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import jdatetime
from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev

MAX_MONTHS = 120


class Source(StrEnum):
    complaint = "complaint"
    inspection = "inspection"
    report = "report"


class ViolationStatus(StrEnum):
    reported = "reported"        # to the province secretary
    handled = "handled"          # the secretary decided
    escalated = "escalated"      # to the protection committee
    ruled = "ruled"


class RulingKind(StrEnum):
    warning = "warning"
    barred_from_headship = "barred_from_headship"   # not proposed as head, handed the headship or given the role
    suspended = "suspended"                         # cannot join a kanoon or report activities


class Ruling(BaseModel):
    id: str
    kind: RulingKind
    months: int
    starts_on: date
    ends_on: date | None          # None for a warning
    reason: str
    by: str
    at: datetime
    lifted_at: datetime | None = None
    lifted_reason: str | None = None


class Violation(BaseModel):
    id: str
    person_id: str
    province_id: str
    path: list[str]               # the person's unit path (their kanoon's or city's)
    source: Source
    source_id: str | None = None
    description: str
    status: ViolationStatus = ViolationStatus.reported
    decision: str | None = None
    ruling: Ruling | None = None
    recorded_by: str
    recorded_at: datetime
    version: int = 0

    @classmethod
    def record(cls, *, person_id: str, province_id: str, path: list[str], source: Source, source_id: str | None,
               description: str, by: str, clock: Clock) -> tuple["Violation", list]:
        if by == person_id:
            raise Invalid("a violation is recorded about someone else", "person_id")
        if not description or len(description.strip()) < 10:
            raise Invalid("describe the violation in a sentence or more", "description")
        v = cls(id=clock.new_id("vl"), person_id=person_id, province_id=province_id, path=path, source=source,
                source_id=source_id, description=description.strip(), recorded_by=by, recorded_at=clock.now())
        return v, [ev.ViolationRecorded(violation_id=v.id, person_id=person_id, province_id=province_id,
                                        source=source)]

    def handle(self, decision: str, by: str) -> list:
        """The province secretary decides it without the committee."""
        if self.status != ViolationStatus.reported:
            raise Conflict(f"the violation is {self.status}", "status")
        if by == self.person_id:
            raise Invalid("nobody decides their own violation", "person_id")
        if not decision or len(decision.strip()) < 3:
            raise Invalid("the decision says what was decided", "decision")
        self.status, self.decision = ViolationStatus.handled, decision.strip()
        return [ev.ViolationStepped(violation_id=self.id, person_id=self.person_id, status=self.status, by=by)]

    def escalate(self, by: str) -> list:
        if self.status != ViolationStatus.reported:
            raise Conflict(f"the violation is {self.status}; a reported one is escalated", "status")
        self.status = ViolationStatus.escalated
        return [ev.ViolationStepped(violation_id=self.id, person_id=self.person_id, status=self.status, by=by)]

    def rule(self, kind: RulingKind, months: int, reason: str, by: str, clock: Clock) -> list:
        if self.status != ViolationStatus.escalated:
            raise Conflict(f"the violation is {self.status}; the committee rules on an escalated one", "status")
        if by == self.person_id:
            raise Invalid("nobody rules on their own violation", "person_id")
        if not reason or len(reason.strip()) < 3:
            raise Invalid("a ruling states its reason", "reason")
        if kind == RulingKind.warning:
            months = 0
        elif not 1 <= months <= MAX_MONTHS:
            raise Invalid(f"a bar or a suspension lasts 1 to {MAX_MONTHS} months", "months")
        start = clock.today()
        end = add_months(start, months) if kind != RulingKind.warning else None
        self.ruling = Ruling(id=clock.new_id("rl"), kind=kind, months=months, starts_on=start, ends_on=end,
                             reason=reason.strip(), by=by, at=clock.now())
        self.status = ViolationStatus.ruled
        return [ev.RulingIssued(ruling_id=self.ruling.id, violation_id=self.id, person_id=self.person_id,
                                province_id=self.province_id, kind=kind, starts_on=start, ends_on=end)]

    def lift(self, reason: str, by: str, clock: Clock) -> list:
        r = self.ruling
        if r is None or r.lifted_at is not None:
            raise Conflict("there is no ruling in force to lift", "ruling")
        if r.ends_on is not None and r.ends_on <= clock.today():
            raise Conflict("the ruling has ended already", "ruling")
        if not reason or len(reason.strip()) < 3:
            raise Invalid("lifting a ruling states its reason", "reason")
        r.lifted_at, r.lifted_reason = clock.now(), reason.strip()
        return [ev.RulingLifted(ruling_id=r.id, violation_id=self.id, person_id=self.person_id, by=by)]


def add_months(day: date, months: int) -> date:
    """The same Jalali day `months` later (the month's last day when it is shorter)."""
    j = jdatetime.date.fromgregorian(date=day)
    m = j.month - 1 + months
    y, m = j.year + m // 12, m % 12 + 1
    last = 31 if m <= 6 else 30 if m <= 11 else (30 if jdatetime.date(y, 1, 1).isleap() else 29)
    return jdatetime.date(y, m, min(j.day, last)).togregorian()


def in_force(kind: str, starts_on: date, ends_on: date | None, lifted: bool, today: date) -> bool:
    """Whether a ruling forbids now (what the registry and the reports service check)."""
    return not lifted and kind != RulingKind.warning and starts_on <= today and (ends_on is None or today < ends_on)

