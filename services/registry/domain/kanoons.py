"""Kanoons (DOMAIN §2.2–§2.4): formation step by step, the head's eligibility, the profile, and the
membership floor and ceiling of each kanoon type."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.rulings import Restriction
from .. import events as ev
from .people import EDUCATION_ORDER, Education, Person, PersonKind
from .roles import Role
from .units import Unit, UnitKind


class KanoonKind(StrEnum):
    neighborhood = "neighborhood"
    specialized = "specialized"


class DeputyArea(StrEnum):
    cultural = "cultural"
    social = "social"


class KanoonStatus(StrEnum):
    draft = "draft"            # requested; place, council and forms being recorded
    submitted = "submitted"    # forms handed to the decider
    active = "active"
    rejected = "rejected"


class PlaceKind(StrEnum):
    mosque = "mosque"
    cultural_centre = "cultural_centre"
    religious_centre = "religious_centre"
    shrine = "shrine"
    other = "other"


class MembershipPolicy(BaseModel):
    """Floor and ceiling of members for one kanoon type in one province (§2.4)."""
    province_id: str
    kanoon_type: str
    floor: int = 10
    ceiling: int = 100

    @classmethod
    def default(cls, province_id: str, kanoon_type: str) -> "MembershipPolicy":
        """Before the responsible deputy sets them: 10 and 100 for neighborhood kanoons (the 1403
        guide's rule); for specialized kanoons, whose bounds are their deputy's alone, no floor
        flag beyond a head and a deputy and the widest ceiling."""
        if kanoon_type == "neighborhood":
            return cls(province_id=province_id, kanoon_type=kanoon_type)
        return cls(province_id=province_id, kanoon_type=kanoon_type, floor=2, ceiling=1000)

    @staticmethod
    def validate_bounds(floor: int, ceiling: int) -> None:
        if floor < 2:
            raise Invalid("the floor must be at least 2 (a head and a deputy)", "floor")
        if ceiling < floor:
            raise Invalid("the ceiling cannot be below the floor", "ceiling")
        if ceiling > 1000:
            raise Invalid("the ceiling cannot exceed 1000", "ceiling")


def kanoon_type(kind: KanoonKind, area: DeputyArea | None) -> str:
    return "neighborhood" if kind == KanoonKind.neighborhood else f"specialized_{area}"


# Which deputy sets the floor/ceiling of each kanoon type (§2.4, §1).
POLICY_OWNER = {
    "neighborhood": Role.neighborhood_deputy,
    "specialized_cultural": Role.cultural_deputy,
    "specialized_social": Role.social_deputy,
}


class Place(BaseModel):
    kind: PlaceKind
    name: str
    address: str
    provided_by: str | None = None  # usually the community


class CouncilMember(BaseModel):
    full_name: str
    title: str  # their standing: imam of the mosque, teacher, elder, …
    mobile: str | None = None


class Step(BaseModel):
    step: str
    at: datetime
    by: str
    note: str | None = None


class OrientationSession(BaseModel):
    audience: str  # head | members
    held_on: date
    by: str
    attendees: int
    note: str | None = None


# What the approver attests because it cannot be checked (§2.3).
HEAD_ATTESTATIONS = ("computer_skills", "social_standing", "commitment_to_programs", "three_days_a_week")
# What the officials may change in a kanoon's profile (§2.4); the rest has its own operation.
PROFILE_FIELDS = ("name", "target_community", "goal", "address", "latitude", "longitude")


def check_head_eligibility(head: Person, field: str = "head_id") -> None:
    """§2.3: what can be checked is checked; the rest is attested on approval."""
    if head.kind != PersonKind.khademyar or not head.service_code:
        raise Invalid("the head must be a khademyar with a service code", field)
    if head.education is None or EDUCATION_ORDER.index(head.education) < EDUCATION_ORDER.index(Education.diploma):
        raise Invalid("the head needs at least a diploma", field)


def check_deputy_eligibility(deputy: Person, field: str = "deputy_id") -> None:
    if deputy.kind != PersonKind.khademyar or not deputy.service_code:
        raise Invalid("the deputy must be a khademyar with a service code", field)


# What a ruling of the protection committee bars from a kanoon's leadership (§6.3). The deputy holds
# the head's powers (approves reports, decides transfers, sees the beneficiaries), so a person barred
# from heading a kanoon does not deputise one either (docs/decisions.md).
LEADERSHIP_BARS = {"barred_from_headship": "barred from heading a kanoon", "suspended": "suspended from membership"}


def check_rulings(position: str, restrictions: list[Restriction], today: date, field: str) -> None:
    """The protection committee's rulings in force on `today`, the day of the decision that makes
    the person a kanoon's head or deputy (§6.3: rulings are "the basis of future cooperation"). A
    ruling issued after the person was proposed counts as much as one issued before."""
    live = [r for r in restrictions if r.kind in LEADERSHIP_BARS and r.in_force(today)]
    if not live:
        return
    r = max(live, key=lambda r: r.ends_on or date.max)
    what = LEADERSHIP_BARS[r.kind]
    if position == "deputy" and r.kind == "barred_from_headship":
        what += ", and so from deputising one"
    until = f" until {jalali.format_date(r.ends_on)}" if r.ends_on else ""
    raise Conflict(f"by a ruling of the protection committee this person is {what}{until}; "
                   f"they cannot be made a kanoon's {position}", field)


def check_attestations(attestations: dict) -> dict[str, bool]:
    missing = [a for a in HEAD_ATTESTATIONS if not attestations.get(a)]
    if missing:
        raise Invalid("the approver must attest the head's " + ", ".join(missing), "attestations")
    return {a: True for a in HEAD_ATTESTATIONS}


class Kanoon(BaseModel):
    id: str
    name: str
    kind: KanoonKind
    field: str | None = None
    deputy_area: DeputyArea | None = None
    unit_id: str
    unit_path: list[str]
    city_id: str
    province_id: str
    status: KanoonStatus = KanoonStatus.draft
    head_id: str
    deputy_id: str
    target_community: str | None = None
    goal: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: Place | None = None
    council: list[CouncilMember] = []
    forms: dict | None = None
    attestations: dict[str, bool] = {}
    founding_date: date | None = None
    rejection_reason: str | None = None
    steps: list[Step] = []
    orientations: list[OrientationSession] = []
    member_count: int = 0
    version: int = 0

    @property
    def path(self) -> list[str]:
        return self.unit_path + [self.id]

    @property
    def type(self) -> str:
        return kanoon_type(self.kind, self.deputy_area)

    @property
    def neighborhood_id(self) -> str | None:
        """The neighborhood a kanoon serves, when it is placed in one."""
        return self.unit_id if self.unit_id != self.city_id else None

    # -- formation (§2.2)

    @classmethod
    def request(cls, *, name: str, kind: KanoonKind, field: str | None, deputy_area: DeputyArea | None,
                unit: Unit, city_id: str, province_id: str, head: Person, deputy: Person, by: str,
                clock: Clock, target_community: str | None = None, goal: str | None = None
                ) -> tuple["Kanoon", list]:
        if kind == KanoonKind.specialized and (not field or deputy_area is None):
            raise Invalid("a specialized kanoon needs its field and its deputy area", "field")
        if kind == KanoonKind.neighborhood and (field or deputy_area):
            raise Invalid("a neighborhood kanoon has no field", "field")
        if unit.kind not in (UnitKind.city, UnitKind.neighborhood):
            raise Invalid("a kanoon belongs to a city or a neighborhood", "unit_id")
        if head.id == deputy.id:
            raise Invalid("the head and the deputy must be two different khademyars", "deputy_id")
        check_head_eligibility(head)
        check_deputy_eligibility(deputy)
        k = cls(id=clock.new_id("kn"), name=name, kind=kind, field=field, deputy_area=deputy_area,
                unit_id=unit.id, unit_path=unit.path, city_id=city_id, province_id=province_id,
                head_id=head.id, deputy_id=deputy.id, target_community=target_community, goal=goal)
        k.steps.append(Step(step="requested", at=clock.now(), by=by))
        return k, [ev.KanoonRequested(kanoon_id=k.id, name=name, kind=kind, field=field, unit_id=unit.id,
                                      unit_path=unit.path, head_id=head.id, deputy_id=deputy.id,
                                      requested_by=by)]

    def require_submitted(self, doing: str) -> None:
        if self.status != KanoonStatus.submitted:
            raise Conflict(f"only submitted requests are {doing}; this one is {self.status}", "status")

    def _require_draft(self) -> None:
        if self.status != KanoonStatus.draft:
            raise Conflict(f"the kanoon is {self.status}; this step belongs to its formation", "status")

    def _step(self, step: str, by: str, clock: Clock, note: str | None = None) -> list:
        s = Step(step=step, at=clock.now(), by=by, note=note)
        self.steps.append(s)
        return [ev.KanoonFormationStepRecorded(kanoon_id=self.id, step=step, at=s.at, by=by)]

    def record_place(self, place: Place, by: str, clock: Clock) -> list:
        self._require_draft()
        self.place = place
        return self._step("place_recorded", by, clock)

    def record_council(self, members: list[CouncilMember], by: str, clock: Clock) -> list:
        self._require_draft()
        if len(members) != 5:
            raise Invalid(f"the council has exactly five members, not {len(members)}", "members")
        names = {m.full_name for m in members}
        if len(names) != 5:
            raise Invalid("the five council members must be five different people", "members")
        self.council = members
        return self._step("council_recorded", by, clock)

    def submit_forms(self, forms: dict, by: str, clock: Clock) -> list:
        self._require_draft()
        if self.place is None:
            raise Conflict("record the kanoon's place before submitting the forms", "place")
        if len(self.council) != 5:
            raise Conflict("record the five-person council before submitting the forms", "council")
        self.forms = forms
        self.status = KanoonStatus.submitted
        return self._step("forms_submitted", by, clock)

    def approve(self, *, by: str, attestations: dict[str, bool], founding_date: date, head: Person,
                clock: Clock) -> list:
        self.require_submitted("approved")
        if founding_date > clock.today():
            raise Invalid("the founding date cannot be in the future", "founding_date")
        self.attestations = check_attestations(attestations)
        check_head_eligibility(head)
        self.status = KanoonStatus.active
        self.founding_date = founding_date
        out = self._step("approved", by, clock)
        out.append(ev.KanoonApproved(
            kanoon_id=self.id, name=self.name, kind=self.kind, field=self.field, unit_id=self.unit_id,
            unit_path=self.unit_path, city_id=self.city_id, province_id=self.province_id,
            head_id=self.head_id, deputy_id=self.deputy_id, founding_date=founding_date, approved_by=by))
        return out

    def reject(self, *, by: str, reason: str, clock: Clock) -> list:
        self.require_submitted("rejected")
        if not reason or len(reason.strip()) < 3:
            raise Invalid("a rejection needs its reason", "reason")
        self.status = KanoonStatus.rejected
        self.rejection_reason = reason
        out = self._step("rejected", by, clock, reason)
        out.append(ev.KanoonRejected(kanoon_id=self.id, reason=reason, rejected_by=by))
        return out

    def record_orientation(self, session: OrientationSession, clock: Clock) -> list:
        if self.status != KanoonStatus.active:
            raise Conflict("orientation sessions are held for an approved kanoon", "status")
        if session.held_on > clock.today():
            raise Invalid("a session is recorded after it is held, not before", "held_on")
        if self.founding_date and session.held_on < self.founding_date:
            raise Invalid("the session cannot be before the kanoon's approval", "held_on")
        if session.audience == "members" and not any(o.audience == "head" for o in self.orientations):
            raise Conflict("the head's orientation by the city secretary comes first", "audience")
        self.orientations.append(session)
        return self._step(f"{session.audience}_oriented", session.by, clock, session.note)

    # -- profile (§2.4)

    def update_profile(self, changes: dict) -> list:
        unknown = sorted(set(changes) - set(PROFILE_FIELDS))
        if unknown:
            raise Invalid(f"{unknown[0]} is not part of the profile that can be edited", unknown[0])
        if not changes:
            raise Invalid("nothing to change", None)
        for key, value in changes.items():
            setattr(self, key, value)
        return [ev.KanoonProfileUpdated(kanoon_id=self.id, changed=sorted(changes))]

    # -- members' count (§2.4)

    def admit(self, policy: MembershipPolicy) -> None:
        if self.status != KanoonStatus.active:
            raise Conflict("members join an active (approved) kanoon", "kanoon_id")
        if self.member_count >= policy.ceiling:
            raise Conflict(f"the kanoon is full: {self.member_count} members, ceiling {policy.ceiling}",
                           "kanoon_id")
        self.member_count += 1

    def release(self) -> None:
        if self.member_count <= 0:
            raise Conflict("the kanoon has no members to release", "kanoon_id")
        self.member_count -= 1

    def flags(self, policy: MembershipPolicy) -> dict:
        return {"below_floor": self.status == KanoonStatus.active and self.member_count < policy.floor,
                "over_ceiling": self.member_count > policy.ceiling}
