"""The registry's commands as the outside world sends them: shared by the service (which validates
every call) and the gateway (which documents them). Pydantic only."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kernel.access import Role
from kernel.types import Id, JalaliDate, LongText, Mobile, NationalId, Text

from .domain.model import (CouncilMember, DeputyArea, Education, Gender, KanoonKind, Outcome, PlaceKind,
                           Track, UnitKind)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateUnit(Command):
    id: Id
    name: Text
    kind: UnitKind
    parent_id: Id


class RegisterMember(Command):
    kind: str = Field(pattern="^(khademyar|yavar)$")
    national_id: NationalId
    first_name: Text
    last_name: Text
    gender: Gender
    birth_date: JalaliDate
    education: Education
    occupation: Text | None = None
    city_id: Id
    mobile: Mobile
    service_code: Text | None = Field(None, description="existing khademyars bring their service code")

    @model_validator(mode="after")
    def _code_for_khademyar(self):
        if self.kind == "khademyar" and not self.service_code:
            raise ValueError("a khademyar is registered with their service code")
        if self.kind == "yavar" and self.service_code:
            raise ValueError("a yavar has no service code")
        return self


class RequestKanoon(Command):
    name: Text
    kind: KanoonKind
    field: Text | None = None
    deputy_area: DeputyArea | None = None
    unit_id: Id
    head_id: Id
    deputy_id: Id
    target_community: Text | None = None


class RecordPlace(Command):
    kind: PlaceKind
    name: Text
    address: LongText
    provided_by: Text | None = None


class CouncilMemberIn(Command):
    full_name: Text
    title: Text
    mobile: Mobile | None = None


class RecordCouncil(Command):
    members: list[CouncilMemberIn] = Field(min_length=1, max_length=10)

    def to_domain(self) -> list[CouncilMember]:
        return [CouncilMember(**m.model_dump()) for m in self.members]


class SubmitForms(Command):
    """Attachment 2 of the neighborhood-kanoon guide: what the registration form asks."""
    neighborhood: Text
    households_estimate: int = Field(ge=0, le=1_000_000)
    founding_members: int = Field(ge=2, le=1000)
    programs_planned: LongText
    notes: LongText | None = None


class Approve(Command):
    founding_date: JalaliDate | None = None
    computer_skills: bool
    social_standing: bool
    commitment_to_programs: bool
    three_days_a_week: bool


class Reject(Command):
    reason: LongText = Field(min_length=3)


class RecordOrientation(Command):
    audience: str = Field(pattern="^(head|members)$")
    held_on: JalaliDate
    attendees: int = Field(ge=1, le=1000)
    note: LongText | None = None


class UpdateProfile(Command):
    name: Text | None = None
    target_community: Text | None = None
    address: LongText | None = None
    latitude: float | None = Field(None, ge=24, le=40)
    longitude: float | None = Field(None, ge=44, le=64)


class SetPolicy(Command):
    province_id: Id
    kanoon_type: str = Field(pattern="^(neighborhood|specialized_cultural|specialized_social)$")
    floor: int = Field(ge=2, le=1000)
    ceiling: int = Field(ge=2, le=1000)


class Join(Command):
    person_id: Id
    kanoon_id: Id


class Leave(Command):
    person_id: Id


class RequestTransfer(Command):
    person_id: Id
    to_kanoon_id: Id


class DecideTransfer(Command):
    side: str = Field(pattern="^(origin|destination)$")
    approve: bool
    reason: LongText | None = None


class ApplicantIn(Command):
    national_id: NationalId
    first_name: Text
    last_name: Text
    gender: Gender
    birth_date: JalaliDate
    education: Education
    occupation: Text | None = None
    city_id: Id
    mobile: Mobile


class SubmitApplication(Command):
    track: Track
    applicant: ApplicantIn


class RecordApplicationStep(Command):
    step: str = Field(min_length=1, max_length=40)
    note: LongText | None = None


class DecideApplication(Command):
    outcome: Outcome
    reason: LongText | None = None


class AssignRole(Command):
    person_id: Id
    role: Role
    scope_id: Id
    field: Text | None = None
    valid_from: JalaliDate | None = None
    valid_to: JalaliDate | None = None


class CreateAccount(Command):
    person_id: Id
    username: str = Field(min_length=3, max_length=40, pattern=r"^[a-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=200)



