"""The evaluation's own records (DOMAIN §7.3, §2.8): the indices' weights per Jalali year, the best
khademyar and yavar of a kanoon **chosen by its head** with the points as evidence, and the honours
the city secretary and the specialized secretary give the best heads."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .points import Index

MAX_WEIGHT = 10.0


class Weights(BaseModel):
    id: str                        # <scope>:<year>
    scope_id: str                  # a province (its city and province ranks), or the country (region, country)
    year: int
    weights: dict[str, float]
    by: str
    at: datetime

    @classmethod
    def set(cls, *, scope_id: str, year: int, weights: dict[str, float], by: str, clock: Clock
            ) -> tuple["Weights", list]:
        unknown = sorted(set(weights) - {i.value for i in Index})
        if unknown:
            raise Invalid(f"unknown indices {unknown}; the indices are {[i.value for i in Index]}", "weights")
        for k, v in weights.items():
            if not 0 <= v <= MAX_WEIGHT:
                raise Invalid(f"a weight is 0 to {MAX_WEIGHT:g}", f"weights.{k}")
        full = {i.value: float(weights.get(i.value, 1.0)) for i in Index}
        w = cls(id=f"{scope_id}:{year}", scope_id=scope_id, year=year, weights=full, by=by, at=clock.now())
        return w, [ev.WeightsSet(scope_id=scope_id, year=year, weights=full, by=by)]


class Candidate(BaseModel):
    person_id: str
    points: float


class BestMember(BaseModel):
    id: str                        # <kanoon>:<period>:<kind>
    kanoon_id: str
    period: str
    member_kind: str
    person_id: str
    points: float
    evidence: list[Candidate]      # the kanoon's members of that kind and their points, when chosen
    reason: str | None             # why, when the chosen one is not the first by points
    by: str
    at: datetime

    @classmethod
    def choose(cls, *, kanoon_id: str, period: str, member_kind: str, person_id: str, candidates: list[Candidate],
               reason: str | None, by: str, clock: Clock) -> tuple["BestMember", list]:
        chosen = next((c for c in candidates if c.person_id == person_id), None)
        if chosen is None:
            raise Invalid(f"the best {member_kind} is chosen among the kanoon's {member_kind}s", "person_id")
        top = max(c.points for c in candidates)
        if chosen.points < top and not (reason and reason.strip()):
            raise Invalid("another member has more points: say why this one is chosen", "reason")
        b = cls(id=f"{kanoon_id}:{period}:{member_kind}", kanoon_id=kanoon_id, period=period, member_kind=member_kind,
                person_id=person_id, points=chosen.points,
                evidence=sorted(candidates, key=lambda c: (-c.points, c.person_id)),
                reason=reason.strip() if reason else None, by=by, at=clock.now())
        return b, [ev.BestMemberChosen(kanoon_id=kanoon_id, period=period, member_kind=member_kind,
                                       person_id=person_id, points=chosen.points, by=by)]


class Honour(BaseModel):
    id: str                        # <kanoon>:<year>:<person>
    person_id: str
    kanoon_id: str
    year: int
    note: str
    by: str
    by_role: str
    at: datetime

    @classmethod
    def give(cls, *, person_id: str, head_id: str | None, kanoon_id: str, year: int, note: str, by: str,
             by_role: str, clock: Clock) -> tuple["Honour", list]:
        if person_id != head_id:
            raise Invalid("honours are for the kanoon's head", "person_id")
        if person_id == by:
            raise Conflict("nobody honours themselves", "person_id")
        h = cls(id=f"{kanoon_id}:{year}:{person_id}", person_id=person_id, kanoon_id=kanoon_id, year=year, note=note,
                by=by, by_role=by_role, at=clock.now())
        return h, [ev.HeadHonoured(person_id=person_id, kanoon_id=kanoon_id, year=year, by=by, by_role=by_role)]
