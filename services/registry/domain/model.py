"""The registry's domain: units, people, kanoons and their formation, membership, transfers,
selection and role assignments (DOMAIN §2). Pure Python: no I/O, no framework.

Every state change is a method that checks its rule, changes the object and returns the events it
causes; the service stores the object and the events in one transaction.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from enum import StrEnum

from pydantic import BaseModel, Field

from kernel.access import ROLE_LEVEL, Role
from kernel.errors import Conflict, Invalid
from .. import events as ev


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def now() -> datetime:
    return datetime.now(timezone.utc)


class UnitKind(StrEnum):
    country = "country"
    region = "region"
    province = "province"
    city = "city"
    neighborhood = "neighborhood"


CHILD_KIND = {
    UnitKind.country: {UnitKind.region, UnitKind.province},
    UnitKind.region: {UnitKind.province},
    UnitKind.province: {UnitKind.city},
    UnitKind.city: {UnitKind.neighborhood},
    UnitKind.neighborhood: set(),
}


class Education(StrEnum):
    primary = "primary"
    below_diploma = "below_diploma"
    diploma = "diploma"
    associate = "associate"
    bachelor = "bachelor"
    master = "master"
    doctorate = "doctorate"


EDUCATION_ORDER = list(Education)


class Gender(StrEnum):
    male = "male"
    female = "female"


class PersonKind(StrEnum):
    khademyar = "khademyar"
    yavar = "yavar"
    staff = "staff"  # holds a role or an account but is not a member (yet)


class KanoonKind(StrEnum):
    neighborhood = "neighborhood"
    specialized = "specialized"


class DeputyArea(StrEnum):
    cultural = "cultural"
    social = "social"


class KanoonStatus(StrEnum):
    draft = "draft"            # requested; place, council and forms being recorded
    submitted = "submitted"    # forms handed to the city secretary
    active = "active"
    rejected = "rejected"


class PlaceKind(StrEnum):
    mosque = "mosque"
    cultural_centre = "cultural_centre"
    religious_centre = "religious_centre"
    shrine = "shrine"
    other = "other"


# ---------------------------------------------------------------- units

class Unit(BaseModel):
    id: str
    name: str
    kind: UnitKind
    parent_id: str | None = None
    path: list[str]  # ancestors and itself, root first

    @classmethod
    def create(cls, unit_id: str, name: str, kind: UnitKind, parent: "Unit | None") -> tuple["Unit", list]:
        if parent is None and kind != UnitKind.country:
            raise Invalid("only the country has no parent", "parent_id")
        if parent is not None and kind not in CHILD_KIND[parent.kind]:
            raise Invalid(f"a {kind} cannot be placed under a {parent.kind}", "kind")
        path = (parent.path if parent else []) + [unit_id]
        unit = cls(id=unit_id, name=name, kind=kind, parent_id=parent.id if parent else None, path=path)
        return unit, [ev.UnitCreated(unit_id=unit_id, name=name, kind=kind, parent_id=unit.parent_id, path=path)]

    def ancestor_of_kind(self, kinds: dict[str, str], kind: UnitKind) -> str | None:
        """The id on this unit's path whose kind is `kind` (`kinds` maps path ids to kinds)."""
        for uid in self.path:
            if kinds.get(uid) == kind:
                return uid
        return None


# ---------------------------------------------------------------- people

class Person(BaseModel):
    id: str
    kind: PersonKind
    national_id: str | None = None
    first_name: str
    last_name: str
    gender: Gender | None = None
    birth_date: date | None = None
    education: Education | None = None
    occupation: str | None = None
    city_id: str | None = None
    city_path: list[str] = []
    mobile: str | None = None
    service_code: str | None = None
    kanoon_id: str | None = None
    kanoon_path: list[str] = []
    registered_at: datetime = Field(default_factory=now)
    version: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_member_kind(self) -> bool:
        return self.kind in (PersonKind.khademyar, PersonKind.yavar)

    def registered_event(self) -> ev.PersonRegistered:
        return ev.PersonRegistered(
            person_id=self.id, kind=self.kind, full_name=self.full_name, gender=self.gender,
            education=self.education, occupation=self.occupation, birth_date=self.birth_date,
            city_id=self.city_id, service_code=self.service_code)

    def become(self, kind: PersonKind, service_code: str | None) -> list:
        if kind == PersonKind.khademyar and not service_code:
            raise Invalid("a khademyar needs a service code", "service_code")
        self.kind = kind
        if service_code:
            self.service_code = service_code
        return [ev.PersonKindChanged(person_id=self.id, kind=kind, service_code=self.service_code)]


# ---------------------------------------------------------------- kanoons

class MembershipPolicy(BaseModel):
    """Floor and ceiling of members for one kanoon type in one province (§2.4)."""
    province_id: str
    kanoon_type: str
    floor: int = 10
    ceiling: int = 100

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

    # -- formation (§2.2)

    @classmethod
    def request(cls, *, name: str, kind: KanoonKind, field: str | None, deputy_area: DeputyArea | None,
                unit: Unit, city_id: str, province_id: str, head: Person, deputy: Person, by: str,
                target_community: str | None = None) -> tuple["Kanoon", list]:
        if kind == KanoonKind.specialized and (not field or deputy_area is None):
            raise Invalid("a specialized kanoon needs its field and its deputy area", "field")
        if kind == KanoonKind.neighborhood and (field or deputy_area):
            raise Invalid("a neighborhood kanoon has no field", "field")
        if unit.kind not in (UnitKind.city, UnitKind.neighborhood):
            raise Invalid("a kanoon belongs to a city or a neighborhood", "unit_id")
        if head.id == deputy.id:
            raise Invalid("the head and the deputy must be two different khademyars", "deputy_id")
        for role, p in (("head_id", head), ("deputy_id", deputy)):
            if p.kind != PersonKind.khademyar or not p.service_code:
                raise Invalid("must be a khademyar with a service code", role)
        check_head_eligibility(head)
        k = cls(id=new_id("kn"), name=name, kind=kind, field=field, deputy_area=deputy_area,
                unit_id=unit.id, unit_path=unit.path, city_id=city_id, province_id=province_id,
                head_id=head.id, deputy_id=deputy.id, target_community=target_community)
        k.steps.append(Step(step="requested", at=now(), by=by))
        return k, [ev.KanoonRequested(kanoon_id=k.id, name=name, kind=kind, field=field, unit_id=unit.id,
                                      unit_path=unit.path, head_id=head.id, deputy_id=deputy.id,
                                      requested_by=by)]

    def _require_draft(self) -> None:
        if self.status != KanoonStatus.draft:
            raise Conflict(f"the kanoon is {self.status}; this step belongs to its formation", "status")

    def _step(self, step: str, by: str, note: str | None = None) -> list:
        s = Step(step=step, at=now(), by=by, note=note)
        self.steps.append(s)
        return [ev.KanoonFormationStepRecorded(kanoon_id=self.id, step=step, at=s.at, by=by)]

    def record_place(self, place: Place, by: str) -> list:
        self._require_draft()
        self.place = place
        return self._step("place_recorded", by)

    def record_council(self, members: list[CouncilMember], by: str) -> list:
        self._require_draft()
        if len(members) != 5:
            raise Invalid(f"the council has exactly five members, not {len(members)}", "members")
        names = {m.full_name for m in members}
        if len(names) != 5:
            raise Invalid("the five council members must be five different people", "members")
        self.council = members
        return self._step("council_recorded", by)

    def submit_forms(self, forms: dict, by: str) -> list:
        self._require_draft()
        if self.place is None:
            raise Conflict("record the kanoon's place before submitting the forms", "place")
        if len(self.council) != 5:
            raise Conflict("record the five-person council before submitting the forms", "council")
        self.forms = forms
        self.status = KanoonStatus.submitted
        return self._step("forms_submitted", by)

    def approve(self, *, by: str, attestations: dict[str, bool], founding_date: date, head: Person) -> list:
        if self.status != KanoonStatus.submitted:
            raise Conflict(f"only submitted requests are approved; this one is {self.status}", "status")
        missing = [a for a in HEAD_ATTESTATIONS if not attestations.get(a)]
        if missing:
            raise Invalid("the approver must attest the head's " + ", ".join(missing), "attestations")
        check_head_eligibility(head)
        self.attestations = {a: True for a in HEAD_ATTESTATIONS}
        self.status = KanoonStatus.active
        self.founding_date = founding_date
        out = self._step("approved", by)
        out.append(ev.KanoonApproved(
            kanoon_id=self.id, name=self.name, kind=self.kind, field=self.field, unit_id=self.unit_id,
            unit_path=self.unit_path, city_id=self.city_id, province_id=self.province_id,
            head_id=self.head_id, deputy_id=self.deputy_id, founding_date=founding_date, approved_by=by))
        return out

    def reject(self, *, by: str, reason: str) -> list:
        if self.status != KanoonStatus.submitted:
            raise Conflict(f"only submitted requests are rejected; this one is {self.status}", "status")
        if not reason or len(reason.strip()) < 3:
            raise Invalid("a rejection needs its reason", "reason")
        self.status = KanoonStatus.rejected
        self.rejection_reason = reason
        out = self._step("rejected", by, reason)
        out.append(ev.KanoonRejected(kanoon_id=self.id, reason=reason, rejected_by=by))
        return out

    def record_orientation(self, session: OrientationSession) -> list:
        if self.status != KanoonStatus.active:
            raise Conflict("orientation sessions are held for an approved kanoon", "status")
        if self.founding_date and session.held_on < self.founding_date:
            raise Invalid("the session cannot be before the kanoon's approval", "held_on")
        if session.audience == "members" and not any(o.audience == "head" for o in self.orientations):
            raise Conflict("the head's orientation by the city secretary comes first", "audience")
        self.orientations.append(session)
        return self._step(f"{session.audience}_oriented", session.by, session.note)

    # -- membership (§2.4, §2.5)

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


def check_head_eligibility(head: Person) -> None:
    """§2.3: what can be checked is checked; the rest is attested on approval."""
    if head.education is None or EDUCATION_ORDER.index(head.education) < EDUCATION_ORDER.index(Education.diploma):
        raise Invalid("the head needs at least a diploma", "head_id")
    if head.kind != PersonKind.khademyar or not head.service_code:
        raise Invalid("the head must be a khademyar with a service code", "head_id")


def join(person: Person, kanoon: Kanoon, policy: MembershipPolicy, via: str = "join") -> list:
    if not person.is_member_kind:
        raise Invalid("only khademyars and yavars are members of a kanoon", "person_id")
    if person.kanoon_id is not None:
        raise Conflict("already a member of a kanoon; ask for a transfer instead", "person_id")
    kanoon.admit(policy)
    person.kanoon_id = kanoon.id
    person.kanoon_path = kanoon.path
    return [ev.MemberJoined(person_id=person.id, kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                            member_kind=person.kind, member_count=kanoon.member_count,
                            ceiling=policy.ceiling, below_floor=kanoon.flags(policy)["below_floor"],
                            via=via)]


def leave(person: Person, kanoon: Kanoon, policy: MembershipPolicy, via: str = "leave") -> list:
    if person.kanoon_id != kanoon.id:
        raise Conflict("not a member of this kanoon", "person_id")
    if via == "leave" and person.id in (kanoon.head_id, kanoon.deputy_id):
        raise Conflict("the head and the deputy cannot leave their kanoon; hand the role over first",
                       "person_id")
    kanoon.release()
    person.kanoon_id = None
    person.kanoon_path = []
    return [ev.MemberLeft(person_id=person.id, kanoon_id=kanoon.id, member_count=kanoon.member_count,
                          below_floor=kanoon.flags(policy)["below_floor"], via=via)]


# ---------------------------------------------------------------- transfers

class TransferStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    refused = "refused"


class Decision(BaseModel):
    approved: bool
    by: str
    at: datetime
    reason: str | None = None


class Transfer(BaseModel):
    id: str
    person_id: str
    from_kanoon_id: str
    to_kanoon_id: str
    status: TransferStatus = TransferStatus.pending
    requested_by: str
    requested_at: datetime = Field(default_factory=now)
    origin: Decision | None = None
    destination: Decision | None = None
    refusal_reason: str | None = None
    completed_at: datetime | None = None
    version: int = 0

    @classmethod
    def request(cls, person: Person, origin: Kanoon, destination: Kanoon, by: str,
                origin_policy: MembershipPolicy, destination_policy: MembershipPolicy) -> tuple["Transfer", list]:
        if person.kanoon_id != origin.id:
            raise Conflict("the person is not a member of the origin kanoon", "person_id")
        if origin.id == destination.id:
            raise Invalid("the destination is the kanoon the person is already in", "to_kanoon_id")
        if destination.status != KanoonStatus.active:
            raise Conflict("the destination kanoon is not active", "to_kanoon_id")
        if person.id in (origin.head_id, origin.deputy_id):
            raise Conflict("the head or deputy of a kanoon cannot transfer out of it", "person_id")
        check_transfer_bounds(origin, destination, origin_policy, destination_policy)
        t = cls(id=new_id("tr"), person_id=person.id, from_kanoon_id=origin.id,
                to_kanoon_id=destination.id, requested_by=by)
        return t, [ev.TransferRequested(transfer_id=t.id, person_id=person.id,
                                        from_kanoon_id=origin.id, to_kanoon_id=destination.id)]

    def decide(self, side: str, approved: bool, by: str, reason: str | None) -> list:
        if self.status != TransferStatus.pending:
            raise Conflict(f"the transfer is already {self.status}", "status")
        if side not in ("origin", "destination"):
            raise Invalid("side is origin or destination", "side")
        if getattr(self, side) is not None:
            raise Conflict(f"the {side} kanoon has already decided", "side")
        if not approved and (not reason or len(reason.strip()) < 3):
            raise Invalid("a refusal needs its reason", "reason")
        setattr(self, side, Decision(approved=approved, by=by, at=now(), reason=reason))
        if not approved:
            return self.refuse(side, reason or "", by)
        return [ev.TransferSideApproved(transfer_id=self.id, side=side, by=by)]

    @property
    def ready(self) -> bool:
        return (self.status == TransferStatus.pending and self.origin is not None and self.origin.approved
                and self.destination is not None and self.destination.approved)

    def refuse(self, side: str, reason: str, by: str) -> list:
        self.status = TransferStatus.refused
        self.refusal_reason = reason
        return [ev.TransferRefused(transfer_id=self.id, side=side, reason=reason, by=by)]

    def complete(self) -> list:
        self.status = TransferStatus.completed
        self.completed_at = now()
        return [ev.TransferCompleted(transfer_id=self.id, person_id=self.person_id,
                                     from_kanoon_id=self.from_kanoon_id, to_kanoon_id=self.to_kanoon_id)]


def check_transfer_bounds(origin: Kanoon, destination: Kanoon, origin_policy: MembershipPolicy,
                          destination_policy: MembershipPolicy) -> None:
    """A transfer may not take the origin below its floor nor the destination past its ceiling."""
    if origin.member_count - 1 < origin_policy.floor:
        raise Conflict(f"the origin kanoon would fall below its floor of {origin_policy.floor} members",
                       "from_kanoon_id")
    if destination.member_count + 1 > destination_policy.ceiling:
        raise Conflict(f"the destination kanoon is full (ceiling {destination_policy.ceiling})",
                       "to_kanoon_id")


def execute_transfer(t: Transfer, person: Person, origin: Kanoon, destination: Kanoon,
                     origin_policy: MembershipPolicy, destination_policy: MembershipPolicy) -> list:
    """Both sides approved: move the member, or refuse if the bounds no longer allow it."""
    try:
        check_transfer_bounds(origin, destination, origin_policy, destination_policy)
        if person.kanoon_id != origin.id:
            raise Conflict("the person is no longer a member of the origin kanoon", "person_id")
    except Conflict as exc:
        return t.refuse("rules", exc.message, "system")
    out = leave(person, origin, origin_policy, via="transfer")
    out += join(person, destination, destination_policy, via="transfer")
    out += t.complete()
    return out


# ---------------------------------------------------------------- selection (§2.6)

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
    submitted_at: datetime = Field(default_factory=now)
    decided_at: datetime | None = None
    version: int = 0

    @classmethod
    def submit(cls, track: Track, applicant: Applicant, city_path: list[str]) -> tuple["Application", list]:
        a = cls(id=new_id("ap"), track=track, applicant=applicant, city_path=city_path)
        return a, [ev.ApplicationSubmitted(application_id=a.id, track=track, city_id=applicant.city_id)]

    def record_step(self, step: str, by: str, note: str | None) -> list:
        if self.status != "pending":
            raise Conflict("the application is already decided", "status")
        if step not in TRACK_STEPS[self.track]:
            raise Invalid(f"the {self.track} track has the steps {', '.join(TRACK_STEPS[self.track])}", "step")
        if any(s.step == step for s in self.steps):
            raise Conflict(f"the step {step} is already recorded", "step")
        self.steps.append(Step(step=step, at=now(), by=by, note=note))
        return [ev.ApplicationStepRecorded(application_id=self.id, step=step, by=by)]

    def decide(self, outcome: Outcome, by: str, reason: str | None) -> None:
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
        self.decided_at = now()


def service_code(province_number: str, sequence: int) -> str:
    """A khademyar's service code: the province's number and a sequence within the province."""
    return f"{province_number}-{sequence:06d}"


# ---------------------------------------------------------------- roles (§2.7)

class RoleAssignment(BaseModel):
    id: str
    person_id: str
    role: Role
    scope_id: str
    scope_kind: str
    scope_path: list[str]
    field: str | None = None
    valid_from: date
    valid_to: date | None = None
    assigned_by: str
    revoked_at: datetime | None = None

    def active_on(self, day: date) -> bool:
        return (self.revoked_at is None and self.valid_from <= day
                and (self.valid_to is None or day <= self.valid_to))

    @classmethod
    def assign(cls, *, person_id: str, role: Role, scope_id: str, scope_kind: str, scope_path: list[str],
               valid_from: date, valid_to: date | None, by: str, field: str | None = None
               ) -> tuple["RoleAssignment", list]:
        level = ROLE_LEVEL[role]
        if level == "kanoon":
            if scope_kind != "kanoon":
                raise Invalid(f"{role} is held in a kanoon", "scope_id")
        elif scope_kind != level:
            raise Invalid(f"{role} is held at {level} level, not at {scope_kind} level", "scope_id")
        if valid_to is not None and valid_to < valid_from:
            raise Invalid("the period ends before it starts", "valid_to")
        if role == Role.specialized_secretary and not field:
            raise Invalid("a specialized-kanoons secretary is for one field", "field")
        a = cls(id=new_id("ra"), person_id=person_id, role=role, scope_id=scope_id, scope_kind=scope_kind,
                scope_path=scope_path, field=field, valid_from=valid_from, valid_to=valid_to, assigned_by=by)
        return a, [ev.RoleAssigned(assignment_id=a.id, person_id=person_id, role=role, scope_id=scope_id,
                                   scope_kind=scope_kind, scope_path=scope_path, field=field,
                                   valid_from=valid_from, valid_to=valid_to)]

    def revoke(self) -> list:
        if self.revoked_at is not None:
            raise Conflict("the role is already revoked", "assignment_id")
        self.revoked_at = now()
        return [ev.RoleRevoked(assignment_id=self.id, person_id=self.person_id, role=self.role,
                               scope_id=self.scope_id)]
