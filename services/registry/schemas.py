"""The registry's commands as the outside world sends them: shared by the service (which validates
every call) and the gateway (which documents them). Pydantic only."""
from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from kernel.types import Command, Id, JalaliDate, LongText, Mobile, NationalId, Text

from .domain.kanoons import CouncilMember, DeputyArea, KanoonKind, PlaceKind
from .domain.people import Education, Gender
from .domain.roles import Role
from .domain.selection import Outcome, Track
from .domain.units import UnitKind


class StartImport(Command):
    """A list HQ keeps (members, units or kanoons) as an Excel .xlsx or CSV file, base64."""
    kind: str = Field(pattern="^(members|units|kanoons)$")
    file_name: Text
    content: str = Field(min_length=4, max_length=36 * 1024 * 1024)


class CreateUnit(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"id": "IR-09-MSH-N12", "name": "محله سناباد", "kind": "neighborhood", "parent_id": "IR-09-MSH"}]})
    id: Id
    name: Text
    kind: UnitKind
    parent_id: Id


class RegisterMember(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "khademyar", "national_id": "0499370899", "first_name": "علی", "last_name": "محمدی", "gender": "male", "birth_date": "1365/02/10", "education": "bachelor", "occupation": "معلم", "city_id": "IR-09-MSH", "mobile": "09151234567", "service_code": "09-1024"}]})
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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "کانون خدمت رضوی مسجد الرضا", "kind": "neighborhood", "unit_id": "IR-09-MSH", "head_id": "p_1a2b3c4d5e6f7a8b", "deputy_id": "p_9c8d7e6f5a4b3c2d", "target_community": "خانواده‌های محله سناباد"}]})
    name: Text
    kind: KanoonKind
    field: Text | None = None
    deputy_area: DeputyArea | None = None
    unit_id: Id
    head_id: Id
    deputy_id: Id
    target_community: Text | None = None
    goal: LongText | None = None

    @field_validator("deputy_id")
    @classmethod
    def _two_people(cls, v, info):
        if v == info.data.get("head_id"):
            raise ValueError("the head and the deputy must be two different khademyars")
        return v


class RecordPlace(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "mosque", "name": "مسجد الرضا", "address": "مشهد، بلوار سناباد، نبش سناباد ۳۰", "provided_by": "هیئت امنای مسجد"}]})
    kind: PlaceKind
    name: Text
    address: LongText
    provided_by: Text | None = None


class CouncilMemberIn(Command):
    full_name: Text
    title: Text
    mobile: Mobile | None = None


class RecordCouncil(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"members": [{"full_name": "حسن رضایی", "title": "امام جماعت"}, {"full_name": "مریم احمدی", "title": "معتمد محل"}, {"full_name": "رضا کریمی", "title": "ریش‌سفید"}, {"full_name": "زهرا موسوی", "title": "فعال فرهنگی"}, {"full_name": "محمد حسینی", "title": "نماینده شورایاری"}]}]})
    members: list[CouncilMemberIn] = Field(min_length=1, max_length=10)

    def to_domain(self) -> list[CouncilMember]:
        return [CouncilMember(**m.model_dump()) for m in self.members]


class SubmitForms(Command):
    """Attachment 2 of the neighborhood-kanoon guide: what the registration form asks."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"neighborhood": "سناباد", "households_estimate": 400, "founding_members": 12, "programs_planned": "چهارشنبه‌های امام رضایی، کلاس قرآن کودکان"}]})
    neighborhood: Text
    households_estimate: int = Field(ge=0, le=1_000_000)
    founding_members: int = Field(ge=2, le=1000)
    programs_planned: LongText
    notes: LongText | None = None


class Approve(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"founding_date": "1404/07/15", "computer_skills": True, "social_standing": True, "commitment_to_programs": True, "three_days_a_week": True}]})
    founding_date: JalaliDate | None = None
    computer_skills: bool
    social_standing: bool
    commitment_to_programs: bool
    three_days_a_week: bool


class Reject(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "مکان کانون هنوز معرفی نشده است"}]})
    reason: LongText = Field(min_length=3)


class RecordOrientation(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"audience": "head", "held_on": "1404/07/20", "attendees": 2, "note": "جلسه توجیهی در دبیرخانه شهرستان"}]})
    audience: str = Field(pattern="^(head|members)$")
    held_on: JalaliDate
    attendees: int = Field(ge=1, le=1000)
    note: LongText | None = None


class UpdateProfile(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"target_community": "نوجوانان محله", "latitude": 36.2972, "longitude": 59.6067}]})
    name: Text | None = None
    target_community: Text | None = None
    goal: LongText | None = None
    address: LongText | None = None
    latitude: float | None = Field(None, ge=24, le=40)
    longitude: float | None = Field(None, ge=44, le=64)


class SetPolicy(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"province_id": "IR-09", "kanoon_type": "neighborhood", "floor": 10, "ceiling": 100}]})
    province_id: Id
    kanoon_type: str = Field(pattern="^(neighborhood|specialized_cultural|specialized_social)$")
    floor: int = Field(ge=2, le=1000)
    ceiling: int = Field(ge=2, le=1000)


class SetProvinceSettings(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"transfer_expiry_days": 30, "move_window_days": 90}]})
    transfer_expiry_days: int = Field(ge=1, le=365, description="days a transfer waits for both decisions")
    move_window_days: int = Field(ge=0, le=730, description="days after leaving a kanoon during which joining another is a transfer")
    report_window_days: int = Field(60, ge=1, le=365, description="how many days back a service may be reported")
    monthly_deadline_day: int = Field(5, ge=1, le=29, description="a month's report is on time until the end of this day of the next month")
    terminal_quiet_days: int = Field(7, ge=1, le=90, description="days without receipts after which a vows terminal is flagged")
    voucher_overdue_days: int = Field(30, ge=1, le=365, description="days after sending after which an unsettled financial document is overdue")


class Handover(Command):
    """A kanoon's head or deputy passes to a member of the kanoon; a new head's unverifiable
    qualities (§2.3) are attested again by the decider."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"position": "head", "person_id": "p_1a2b3c4d5e6f7a8b", "computer_skills": True, "social_standing": True, "commitment_to_programs": True, "three_days_a_week": True}]})
    position: str = Field(pattern="^(head|deputy)$")
    person_id: Id
    computer_skills: bool = False
    social_standing: bool = False
    commitment_to_programs: bool = False
    three_days_a_week: bool = False

    def attestations(self) -> dict[str, bool]:
        return self.model_dump(include={"computer_skills", "social_standing", "commitment_to_programs",
                                        "three_days_a_week"})


class Join(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"person_id": "p_1a2b3c4d5e6f7a8b", "kanoon_id": "kn_0f1e2d3c4b5a6978"}]})
    person_id: Id
    kanoon_id: Id


class Leave(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"person_id": "p_1a2b3c4d5e6f7a8b"}]})
    person_id: Id


class RequestTransfer(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"person_id": "p_1a2b3c4d5e6f7a8b", "to_kanoon_id": "kn_0f1e2d3c4b5a6978"}]})
    person_id: Id
    to_kanoon_id: Id


class DecideTransfer(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"side": "destination", "approve": False, "reason": "ظرفیت کانون تکمیل است"}]})
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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"track": "yavar", "applicant": {"national_id": "0016089316", "first_name": "فاطمه", "last_name": "رضوی", "gender": "female", "birth_date": "1380/06/01", "education": "diploma", "city_id": "IR-09-MSH", "mobile": "09351234567"}}]})
    track: Track
    applicant: ApplicantIn


class RecordApplicationStep(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"step": "interviewed", "note": "مصاحبه حضوری انجام شد"}]})
    step: str = Field(min_length=1, max_length=40)
    note: LongText | None = None


class DecideApplication(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "yavar"}]})
    outcome: Outcome
    reason: LongText | None = None


class AssignRole(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"person_id": "p_1a2b3c4d5e6f7a8b", "role": "city_secretary", "scope_id": "IR-09-MSH", "valid_from": "1404/07/01", "valid_to": "1406/06/31"}]})
    person_id: Id
    role: Role
    scope_id: Id
    field: Text | None = None
    valid_from: JalaliDate | None = None
    valid_to: JalaliDate | None = None


class ChangePassword(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"current_password": "the-old-password", "new_password": "a-new-long-password"}]})
    verbatim = frozenset({"current_password", "new_password"})
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class ResetPassword(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"new_password": "a-temporary-password-1"}]})
    verbatim = frozenset({"new_password"})
    new_password: str = Field(min_length=1, max_length=200)


class CreateAccount(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"person_id": "p_1a2b3c4d5e6f7a8b", "username": "sec.mashhad", "password": "a-long-password"}]})
    verbatim = frozenset({"password"})
    person_id: Id
    username: str = Field(min_length=3, max_length=40, pattern=r"^[a-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=200)



