"""Selection (DOMAIN §2.6): applicants are vetted step by step; the outcome makes a khademyar with a
new service code, a yavar, or a recorded rejection."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .kanoons import Step
from .people import Education, Gender, Person, PersonKind


class Track(StrEnum):
    khademyar = "khademyar"
    yavar = "yavar"


class Outcome(StrEnum):
    khademyar = "khademyar"
    yavar = "yavar"
    rejected = "rejected"


# The steps of each track; an outcome needs the steps listed for it.
TRACK_STEPS = {
    Track.khademyar: ("documents_checked", "interviewed", "vetted"),
    Track.yavar: ("introduced", "interviewed", "oriented"),
}
OUTCOME_NEEDS = {
    Outcome.khademyar: ("documents_checked", "interviewed", "vetted"),
    Outcome.yavar: ("interviewed",),
}


class Applicant(BaseModel):
    national_id: str
    first_name: str
    last_name: str
    gender: Gender
    birth_date: date
    education: Education
    occupation: str | None = None
    city_id: str
    mobile: str


def service_code(province_number: str, sequence: int) -> str:
    """A khademyar's service code: the province's number and a sequence within the province."""
    return f"{province_number}-{sequence:06d}"


def province_number(city_path: list[str]) -> str:
    """The province's number (its ISO code's digits) of a city: a city's parent is its province."""
    return city_path[-2].rsplit("-", 1)[-1]


def check_can_apply(track: Track, existing: Person | None) -> None:
    if existing and (existing.kind == PersonKind.khademyar or track == Track.yavar and existing.is_member_kind):
        raise Conflict(f"this person is already a {existing.kind}", "applicant.national_id")


class Application(BaseModel):
    id: str
    track: Track
    applicant: Applicant
    city_path: list[str]
    status: str = "pending"
    steps: list[Step] = []
    outcome: Outcome | None = None
    reason: str | None = None
    person_id: str | None = None
    submitted_at: datetime
    decided_at: datetime | None = None
    version: int = 0

    @classmethod
    def submit(cls, track: Track, applicant: Applicant, city_path: list[str], existing: Person | None,
               clock: Clock) -> tuple["Application", list]:
        check_can_apply(track, existing)
        a = cls(id=clock.new_id("ap"), track=track, applicant=applicant, city_path=city_path,
                submitted_at=clock.now())
        return a, [ev.ApplicationSubmitted(application_id=a.id, track=track, city_id=applicant.city_id)]

    def record_step(self, step: str, by: str, note: str | None, clock: Clock) -> list:
        if self.status != "pending":
            raise Conflict("the application is already decided", "status")
        if step not in TRACK_STEPS[self.track]:
            raise Invalid(f"the {self.track} track has the steps {', '.join(TRACK_STEPS[self.track])}", "step")
        if any(s.step == step for s in self.steps):
            raise Conflict(f"the step {step} is already recorded", "step")
        self.steps.append(Step(step=step, at=clock.now(), by=by, note=note))
        return [ev.ApplicationStepRecorded(application_id=self.id, step=step, by=by)]

    def decide(self, outcome: Outcome, by: str, reason: str | None, *, existing: Person | None,
               next_code: "callable", clock: Clock) -> tuple[Person | None, bool, list]:
        """Record the outcome; an acceptance makes the applicant a person of that kind (a new
        person, or the existing one with this national ID). `next_code()` draws the province's next
        service-code sequence, only for a new khademyar. Returns (person, is_new, events)."""
        if self.status != "pending":
            raise Conflict("the application is already decided", "status")
        if outcome == Outcome.khademyar and self.track != Track.khademyar:
            raise Invalid("a yavar-track applicant can be accepted only as a yavar", "outcome")
        if outcome == Outcome.rejected:
            if not reason or len(reason.strip()) < 3:
                raise Invalid("a rejection needs its reason", "reason")
        else:
            done = {s.step for s in self.steps}
            missing = [s for s in OUTCOME_NEEDS[outcome] if s not in done]
            if missing:
                raise Conflict("steps not yet recorded: " + ", ".join(missing), "outcome")
        self.status = "decided"
        self.outcome = outcome
        self.reason = reason
        self.decided_at = clock.now()
        person, is_new, out = None, False, []
        code = None
        if outcome == Outcome.khademyar:
            code = service_code(province_number(self.city_path), next_code())
        if outcome != Outcome.rejected:
            app = self.applicant
            if existing is None:
                person = Person(id=clock.new_id("p"), kind=PersonKind(outcome.value),
                                national_id=app.national_id, first_name=app.first_name,
                                last_name=app.last_name, gender=app.gender, birth_date=app.birth_date,
                                education=app.education, occupation=app.occupation, city_id=app.city_id,
                                city_path=self.city_path, mobile=app.mobile, service_code=code,
                                registered_at=clock.now())
                is_new = True
                out.append(person.registered_event())
            else:
                person = existing
                out += person.become(PersonKind(outcome.value), code)
            self.person_id = person.id
        out.append(ev.ApplicationDecided(application_id=self.id, outcome=outcome, person_id=self.person_id,
                                         service_code=code, by=by))
        return person, is_new, out
