"""The oversight service's commands as the outside world sends them: shared by the service (which
validates every call) and the gateway (which documents them). Pydantic only."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from kernel.types import Command, Id, JalaliDate, LongText, Mobile, Text

from .domain.complaints import Channel, SubjectKind
from .domain.inspections import InspectionKind
from .domain.violations import RulingKind, Source


Slug = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_\-]*$")]


def _ex(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class PublicComplaint(Command):
    """A complaint from the public, without an account; name and phone are optional (anonymous
    when both are missing)."""
    model_config = _ex({"subject_kind": "kanoon", "subject_id": "kn_0f1e2d3c4b5a6978",
                        "text": "در توزیع بسته‌های معیشتی تبعیض شد و به چند خانواده نیازمند چیزی نرسید"})
    subject_kind: SubjectKind
    subject_id: Id
    text: LongText = Field(min_length=10)
    name: Text | None = None
    phone: Mobile | None = None


class FileComplaint(Command):
    """A signed-in member's complaint (channel web; `anonymous` keeps their name off it), or one
    the oversight head records as it came by phone, box or letter (with the caller's name and
    phone, if given)."""
    model_config = _ex({"subject_kind": "member", "subject_id": "p_1a2b3c4d5e6f7a8b", "channel": "web",
                        "text": "رفتار نامناسب با مراجعه‌کنندگان در برنامه هفته گذشته", "anonymous": False})
    subject_kind: SubjectKind
    subject_id: Id
    text: LongText = Field(min_length=10)
    channel: Channel = Channel.web
    anonymous: bool = False
    name: Text | None = None
    phone: Mobile | None = None


class Triage(Command):
    model_config = _ex({"category": "رفتار", "severity": "high"})
    category: Text
    severity: Literal["low", "medium", "high", "critical"]


class Assign(Command):
    model_config = _ex({"investigator_id": "p_1a2b3c4d5e6f7a8b"})
    investigator_id: Id


class NoteText(Command):
    model_config = _ex({"text": "با دو شاهد گفتگو شد"})
    text: LongText = Field(min_length=3)


class Resolve(Command):
    model_config = _ex({"outcome": "شکایت وارد بود؛ تذکر کتبی داده شد"})
    outcome: LongText = Field(min_length=3)


class RecordViolation(Command):
    model_config = _ex({"person_id": "p_1a2b3c4d5e6f7a8b", "source": "complaint", "source_id": "cp_0a1b2c3d4e5f6a7b",
                        "description": "دریافت وجه از خانواده‌های نیازمند در ازای بسته معیشتی"})
    person_id: Id
    source: Source
    source_id: Id | None = None
    description: LongText = Field(min_length=10)


class Decide(Command):
    model_config = _ex({"decision": "تذکر شفاهی و پیگیری در بازدید بعد"})
    decision: LongText = Field(min_length=3)


class Rule(Command):
    model_config = _ex({"kind": "barred_from_headship", "months": 12, "reason": "تخلف مالی محرز شد"})
    kind: RulingKind
    months: int = Field(default=0, ge=0, le=120)
    reason: LongText = Field(min_length=3)


class Lift(Command):
    model_config = _ex({"reason": "جبران خسارت و تعهد کتبی"})
    reason: LongText = Field(min_length=3)


class ChecklistItem(Command):
    key: Slug
    text: Text
    weight: int = Field(ge=1, le=10)


class DefineChecklist(Command):
    """A checklist built from the rules; defining the same key again makes its next version."""
    model_config = _ex({"key": "kanoon-periodic", "province_id": "IR-09", "title": "بازدید فصلی کانون",
                        "items": [{"key": "reports_on_time", "text": "گزارش‌ها به موقع ثبت شده است", "weight": 3},
                                  {"key": "place_signboard", "text": "تابلوی کانون نصب است", "weight": 1}]})
    key: Slug
    province_id: Id
    title: Text
    items: list[ChecklistItem] = Field(min_length=1, max_length=100)


class PlanSeason(Command):
    """A periodic inspection for every active kanoon of the province in a Jalali season."""
    model_config = _ex({"province_id": "IR-09", "season": "1404-Q3", "checklist_id": "IR-09:kanoon-periodic:v1"})
    province_id: Id
    season: str = Field(pattern=r"^1[34][0-9]{2}-Q[1-4]$", description="a Jalali season, 1404-Q3")
    checklist_id: str = Field(min_length=3, max_length=80)


class PlanVisit(Command):
    """A surprise inspection, the city secretary's visit to a kanoon or a deputy's to a county, in
    the current season."""
    model_config = _ex({"kind": "secretary_visit", "target_id": "kn_0f1e2d3c4b5a6978",
                        "checklist_id": "IR-09:kanoon-periodic:v1"})
    kind: InspectionKind
    target_id: Id
    checklist_id: str = Field(min_length=3, max_length=80)


class RecordInspection(Command):
    model_config = _ex({"answers": {"reports_on_time": True, "place_signboard": False},
                        "minutes": "کانون فعال است؛ تابلو نصب نشده و تذکر داده شد", "visited_on": "1404/08/19"})
    answers: dict[str, bool] = Field(min_length=1, max_length=100)
    minutes: LongText = Field(min_length=10)
    visited_on: JalaliDate


class ReviewFinding(Command):
    model_config = _ex({"note": "سند برگشتی اصلاح و دوباره ارسال شد"})
    note: LongText = Field(min_length=3)


class RegisterRisk(Command):
    """A corruption-prone process in the province's register."""
    model_config = _ex({"province_id": "IR-09", "process": "توزیع بسته‌های معیشتی", "owner_role": "social_deputy",
                        "level": "high", "controls": ["فهرست خانواده‌ها با امضای دو نفر", "بازدید سرزده فصلی"]})
    province_id: Id
    process: Text
    owner_role: Text
    level: Literal["low", "medium", "high"]
    controls: list[Text] = Field(min_length=1, max_length=30)


class ReviseRisk(Command):
    model_config = _ex({"level": "medium", "controls": ["فهرست خانواده‌ها با امضای دو نفر"]})
    level: Literal["low", "medium", "high"]
    controls: list[Text] = Field(min_length=1, max_length=30)


class RecordSession(Command):
    """An orientation session on the rules and violations (§6.5)."""
    model_config = _ex({"unit_id": "IR-09-MSH", "held_on": "1404/08/15", "topic": "آشنایی با آیین‌نامه تخلفات",
                        "attendees": ["p_1a2b3c4d5e6f7a8b"]})
    unit_id: Id
    held_on: JalaliDate
    topic: Text
    attendees: list[Id] = Field(min_length=1, max_length=2000)


class GiveOpinion(Command):
    """The oversight group's opinion of a kanoon or unit for a Jalali period (§6.6)."""
    model_config = _ex({"target_id": "kn_0f1e2d3c4b5a6978", "period": "1404", "rating": 80,
                        "text": "کانون منظم و پاسخگو است؛ گزارش‌ها کامل و به موقع"})
    target_id: Id
    period: str = Field(pattern=r"^1[34][0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$")
    rating: int = Field(ge=0, le=100)
    text: LongText = Field(min_length=10)


class UploadAttachment(Command):
    """A photo or a scanned page (PDF, JPEG or PNG), base64, for an inspection."""
    name: Text
    content: str = Field(min_length=4, max_length=15 * 1024 * 1024)
