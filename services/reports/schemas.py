"""The reports service's commands as the outside world sends them; shared by the service (which
validates every call) and the gateway (which documents them)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from kernel.types import Command, Id, JalaliDate, LongText, Mobile, NationalId, Text

Slug = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Month = Annotated[str, Field(pattern=r"^1[34][0-9]{2}-(0[1-9]|1[0-2])$", description="Jalali month, e.g. 1403-07")]


def _ex(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class DefineServiceType(Command):
    model_config = _ex({"id": "elderly_visits", "name": "عیادت از سالمندان", "scope_id": "IR-09"})
    id: Slug
    name: Text
    field: Slug | None = Field(None, description="the specialized field; none for a public type")
    scope_id: Id = Field(description="IR for the whole country, or a province")


class MediaIn(Command):
    kind: Literal["photo", "clip", "news"]
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://\S+$")


class SubmitReport(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "service_type": "food_packages",
                        "day": "1404/08/20", "hours": 3.5, "place": "مسجد الرضا، سناباد", "beneficiaries": 12,
                        "description": "توزیع بسته‌های معیشتی میان خانواده‌های نیازمند محله",
                        "media": [{"kind": "photo", "url": "https://media.example.ir/k/123.jpg"}]})
    kanoon_id: Id
    service_type: Slug
    day: JalaliDate
    hours: float = Field(gt=0, le=24)
    place: Text
    beneficiaries: int = Field(ge=0, le=100_000)
    description: LongText
    media: list[MediaIn] = Field(default=[], max_length=20)
    campaign_id: Id | None = None


class ReviewReport(Command):
    model_config = _ex({"approve": False, "reason": "تعداد مخدومین با تصاویر همخوانی ندارد"})
    approve: bool
    reason: LongText | None = None

    @model_validator(mode="after")
    def _reason_for_rejection(self):
        if not self.approve and not self.reason:
            raise ValueError("a rejection needs its reason")
        return self


class ReturnReport(Command):
    model_config = _ex({"comment": "ساعات گزارش‌شده با برنامه کانون همخوانی ندارد"})
    comment: LongText = Field(min_length=3)


class PublishInstruction(Command):
    model_config = _ex({"province_id": "IR-09", "text": "ویزیت رایگان با هماهنگی مسئول کانون و ثبت نام بیمار در سامانه انجام می‌شود."})
    province_id: Id
    text: LongText


class ResubmitReport(Command):
    model_config = _ex({"hours": 2, "description": "ساعات اصلاح شد"})
    service_type: Slug | None = None
    day: JalaliDate | None = None
    hours: float | None = Field(None, gt=0, le=24)
    place: Text | None = None
    beneficiaries: int | None = Field(None, ge=0, le=100_000)
    description: LongText | None = None
    media: list[MediaIn] | None = Field(None, max_length=20)


class FlagReport(Command):
    model_config = _ex({"flag": "exemplary", "note": "گزارش کامل با مستندات"})
    flag: Literal["exemplary", "incomplete", "doubtful", "duplicate"]
    note: LongText | None = None


class ReserveSlot(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "service_type": "quran_classes",
                        "day": "1404/09/05", "from_hour": 16, "to_hour": 18})
    kanoon_id: Id
    service_type: Slug
    day: JalaliDate
    from_hour: int = Field(ge=0, le=23)
    to_hour: int = Field(ge=1, le=24)
    note: LongText | None = None

    @field_validator("to_hour")
    @classmethod
    def _after_start(cls, v, info):
        if "from_hour" in info.data and v <= info.data["from_hour"]:
            raise ValueError("the slot ends after it starts")
        return v


class DecideReservation(Command):
    model_config = _ex({"confirm": True})
    confirm: bool
    reason: LongText | None = None


class AnnounceCampaign(Command):
    model_config = _ex({"title": "پویش همدلی زمستانه", "scope_id": "IR-09", "starts_on": "1404/10/01",
                        "ends_on": "1404/10/30", "target_ids": [], "service_types": ["food_packages"]})
    title: Text
    description: LongText | None = None
    scope_id: Id
    starts_on: JalaliDate
    ends_on: JalaliDate
    target_ids: list[Id] = Field(default=[], max_length=1000)
    service_types: list[Slug] = Field(min_length=1, max_length=50)
    field: Text | None = Field(None, description="a sponsoring institution's campaign: the specialized field it calls on")
    occasion_id: Id | None = Field(None, description="the occasion of the calendar it is tied to (GET /api/units/{id}/occasions)")


class RecordProgram(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "title": "چهارشنبه امام رضایی",
                        "held_on": "1404/08/21", "attendance": 85, "partner_kanoon_ids": []})
    kanoon_id: Id
    title: Text
    held_on: JalaliDate
    attendance: int = Field(ge=1, le=100_000)
    partner_kanoon_ids: list[Id] = Field(default=[], max_length=20)
    note: LongText | None = None


class SubmitMonthly(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "month": "1404-08", "clients": 140,
                        "public_requests": 12, "public_requests_answered": 10,
                        "narrative": "برگزاری چهار برنامه جمعی و توزیع بسته‌های معیشتی"})
    kanoon_id: Id
    month: Month
    clients: int = Field(ge=0, le=1_000_000)
    public_requests: int = Field(ge=0, le=1_000_000)
    public_requests_answered: int = Field(ge=0, le=1_000_000)
    narrative: LongText | None = None
    supplementary: LongText | None = Field(None, description="a specialized kanoon's final report (تکمله)")


class ReviewMonthly(Command):
    model_config = _ex({"accept": False, "comment": "آمار مراجعین ذکر نشده است"})
    accept: bool
    comment: LongText | None = None

    @model_validator(mode="after")
    def _comment_for_return(self):
        if not self.accept and not self.comment:
            raise ValueError("a returned report needs a comment saying what to fix")
        return self


class RegisterBeneficiary(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "full_name": "خانواده رحیمی", "household_size": 5,
                        "categories": ["معیشتی"], "address": "سناباد ۱۲"})
    kanoon_id: Id
    full_name: Text
    national_id: NationalId | None = None
    gender: Literal["male", "female"] | None = None
    birth_date: JalaliDate | None = None
    household_size: int = Field(1, ge=1, le=50)
    address: LongText | None = None
    mobile: Mobile | None = None
    categories: list[Text] = Field(default=[], max_length=10)
    notes: LongText | None = None


class RegisterNeed(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "title": "ویزیت پزشک برای سالمند",
                        "field": "medical", "urgency": "high"})
    kanoon_id: Id
    beneficiary_id: Id | None = None
    title: Text
    description: LongText | None = None
    service_type: Slug | None = None
    field: Slug | None = None
    urgency: Literal["low", "normal", "high"] = "normal"


class MatchNeed(Command):
    model_config = _ex({"kanoon_id": "kn_1a2b3c4d5e6f7081"})
    member_id: Id | None = None
    kanoon_id: Id | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.member_id is None) == (self.kanoon_id is None):
            raise ValueError("give a member_id or a kanoon_id, not both")
        return self


class ResolveNeed(Command):
    model_config = _ex({"status": "met"})
    status: Literal["met", "closed"]


class ProposeProject(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "title": "طرح سلامت سالمندان محله",
                        "description": "ویزیت ماهانه سالمندان با همکاری کانون پزشکان",
                        "need_ids": ["nd_0123456789abcdef"], "invited_kanoon_ids": ["kn_1a2b3c4d5e6f7081"]})
    kanoon_id: Id
    title: Text
    description: LongText
    need_ids: list[Id] = Field(min_length=1, max_length=50)
    invited_kanoon_ids: list[Id] = Field(min_length=1, max_length=50)

    @field_validator("need_ids", "invited_kanoon_ids")
    @classmethod
    def _distinct(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("list each id once")
        return v


class AnswerProject(Command):
    model_config = _ex({"kanoon_id": "kn_1a2b3c4d5e6f7081", "join": True})
    kanoon_id: Id
    join: bool
