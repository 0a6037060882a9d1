"""The festival service's commands as the outside world sends them: shared by the service (which
validates every call) and the gateway (which documents them). Pydantic only."""
from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from kernel.types import Command, Id, JalaliDate, LongText, Text

from .domain.festival import Award, DatedKind, Round
from .domain.plans import OccasionKind, ProgramKind
from .domain.training import Mode, Tier

Slug = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_\-]*$")]
Year = Annotated[int, Field(ge=1390, le=1500, description="a Jalali year")]


def _ex(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class AxisIn(Command):
    model_config = ConfigDict(extra="forbid")
    key: Slug
    title: Text
    collective: bool = False


class CriterionIn(Command):
    model_config = ConfigDict(extra="forbid")
    key: Slug
    title: Text
    weight: float = Field(default=1.0, gt=0, le=10)


class OpenEdition(Command):
    """A province's festival of a Jalali year: its axes (one of them collective work), the criteria
    judges mark (0–100 each, weighted) and the submission window."""
    model_config = _ex({"province_id": "IR-09", "year": 1405, "title": "جشنواره خدمت رضوی ۱۴۰۵",
                        "axes": [{"key": "experience", "title": "تجربه‌های نو"},
                                 {"key": "collective", "title": "کار جمعی", "collective": True}],
                        "criteria": [{"key": "impact", "title": "اثرگذاری", "weight": 2},
                                     {"key": "novelty", "title": "نوآوری"}],
                        "opens_on": "1405/07/01", "closes_on": "1405/08/30"})
    province_id: Id
    year: Year
    title: Text
    axes: list[AxisIn] = Field(min_length=1, max_length=20)
    criteria: list[CriterionIn] = Field(min_length=1, max_length=20)
    opens_on: JalaliDate
    closes_on: JalaliDate
    judges_per_submission: int = Field(default=3, ge=3, le=15)
    disagreement: float = Field(default=30.0, gt=0, le=100)


class DateEdition(Command):
    """The exhibition, the opening or the closing: its day (and place)."""
    model_config = _ex({"kind": "opening", "on": "1405/09/10", "place": "تالار امام رضا (ع)"})
    kind: DatedKind
    on: JalaliDate
    place: Text | None = None


class Submit(Command):
    """A member's own work, or — with `kanoon_id` — a kanoon's, submitted by its head or deputy."""
    model_config = _ex({"axis": "experience", "title": "سفره اطعام محله با مشارکت نوجوانان",
                        "description": "شرح تجربه، روش اجرا و نتیجه آن در محله"})
    axis: Slug
    title: Text
    description: LongText
    kanoon_id: Id | None = None


class UploadFile(Command):
    model_config = _ex({"name": "work.pdf", "content": "JVBERi0xLjQK..."})
    name: Text
    content: str = Field(min_length=4, description="the file, base64")


class AssignJudges(Command):
    """Judges from the qualitative evaluation group, for a city or a province round."""
    model_config = _ex({"judge_ids": ["p_1a2b3c4d5e6f7a8b", "p_2b3c4d5e6f7a8b9c", "p_3c4d5e6f7a8b9c0d"],
                        "round": "province"})
    judge_ids: list[Id] = Field(min_length=1, max_length=15)
    round: Round = Round.province


class ScoreIn(Command):
    """The judge's marks, 0–100 for every criterion of the edition."""
    model_config = _ex({"marks": {"impact": 85, "novelty": 70}})
    marks: dict[str, float] = Field(min_length=1, max_length=20)


class SecondLook(Command):
    model_config = _ex({"note": "داوران در جلسه مشترک دوباره بررسی کردند؛ نمره‌ها تأیید شد"})
    note: LongText


class DecideWork(Command):
    model_config = _ex({"award": "first", "publish": True})
    award: Award
    publish: bool = False


# -- training

class AssessNeed(Command):
    model_config = _ex({"province_id": "IR-09", "tier": "kanoon_head", "topic": "تنظیم گزارش ماهانه",
                        "priority": 1})
    province_id: Id
    tier: Tier
    topic: Text
    priority: int = Field(ge=1, le=5)
    note: LongText | None = None


class SessionIn(Command):
    model_config = ConfigDict(extra="forbid")
    on: JalaliDate
    topic: Text


class ExamIn(Command):
    model_config = ConfigDict(extra="forbid")
    key: Slug
    title: Text
    on: JalaliDate


class OfferCourse(Command):
    model_config = _ex({"province_id": "IR-09", "title": "آشنایی با خادمیاری", "tier": "khademyar",
                        "mode": "in_person", "trainer_id": "p_1a2b3c4d5e6f7a8b",
                        "sessions": [{"on": "1405/07/10", "topic": "تاریخچه"}, {"on": "1405/07/17", "topic": "آداب خدمت"}],
                        "exams": [{"key": "final", "title": "آزمون پایانی", "on": "1405/07/24"}],
                        "pass_mark": 60, "content_reviewed_on": "1405/06/01"})
    province_id: Id
    title: Text
    tier: Tier
    mode: Mode
    trainer_id: Id
    sessions: list[SessionIn] = Field(min_length=1, max_length=100)
    exams: list[ExamIn] = Field(min_length=1, max_length=20)
    pass_mark: float = Field(ge=0, le=100)
    min_attendance: float = Field(default=0.75, gt=0, le=1)
    content_reviewed_on: JalaliDate


class ReviewContent(Command):
    model_config = _ex({"reviewed_on": "1405/07/01"})
    reviewed_on: JalaliDate


class Attend(Command):
    model_config = _ex({"session": 1})
    session: int = Field(ge=1, le=100)


class ConfirmAttendance(Command):
    model_config = _ex({"person_id": "p_1a2b3c4d5e6f7a8b", "session": 1})
    person_id: Id
    session: int = Field(ge=1, le=100)


class ExamScoreIn(Command):
    model_config = _ex({"person_id": "p_1a2b3c4d5e6f7a8b", "exam": "final", "score": 78})
    person_id: Id
    exam: Slug
    score: float = Field(ge=0, le=100)


# -- evaluation

class SetWeights(Command):
    """The indices' weights for a year (0–10; an index not named keeps 1): a province's planning
    head for its city and province ranks; the Center for region and country ranks."""
    model_config = _ex({"scope_id": "IR-09", "year": 1405, "weights": {"reports": 1, "programs": 2,
                                                                     "inspection": 1.5, "violations": 2}})
    scope_id: Id
    year: Year
    weights: dict[str, float] = Field(min_length=1, max_length=20)


class PublishRanks(Command):
    model_config = _ex({"province_id": "IR-09", "year": 1405})
    province_id: Id
    year: Year


class ChooseBest(Command):
    """The head's choice of the kanoon's best khademyar or yavar for a period; a reason when the
    chosen one is not first by points."""
    model_config = _ex({"period": "1405-Q2", "member_kind": "khademyar", "person_id": "p_1a2b3c4d5e6f7a8b"})
    period: Annotated[str, Field(min_length=4, max_length=7)]
    member_kind: Annotated[str, Field(pattern=r"^(khademyar|yavar)$")]
    person_id: Id
    reason: LongText | None = None


class HonourHead(Command):
    model_config = _ex({"person_id": "p_1a2b3c4d5e6f7a8b", "kanoon_id": "kn_0f1e2d3c4b5a6978", "year": 1405,
                        "note": "برای برنامه‌های جمعی منظم و گزارش‌های کامل"})
    person_id: Id
    kanoon_id: Id
    year: Year
    note: LongText


# -- plans and occasions

class AddOccasion(Command):
    """A dated occasion of a Jalali year's calendar: the country's (the Center) or a province's (its
    planning head). A decade is ten days; a national day names its profession or guild."""
    model_config = _ex({"scope_id": "IR-09", "kind": "karamat_decade", "title": "دهه کرامت",
                        "starts_on": "1405/02/08", "ends_on": "1405/02/17"})
    scope_id: Id
    kind: OccasionKind
    title: Text
    starts_on: JalaliDate
    ends_on: JalaliDate | None = None
    profession: Text | None = None


class ProgramItemIn(Command):
    model_config = ConfigDict(extra="forbid")
    title: Text
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")] | None = None
    occasion_id: Id | None = None


class WrittenIndexIn(Command):
    model_config = ConfigDict(extra="forbid")
    key: Slug
    title: Text
    target: float = Field(gt=0, le=1_000_000)


class DraftProgram(Command):
    """The province's annual or monthly program (its planning head), or a kanoon's one-year program
    (its head, `owner_id` the kanoon), with its items and written indices."""
    model_config = _ex({"kind": "kanoon_annual", "owner_id": "kn_0f1e2d3c4b5a6978", "period": "1405",
                        "title": "برنامه سالانه کانون",
                        "items": [{"title": "چهارشنبه امام رضایی هر ماه"},
                                  {"title": "جشن دهه کرامت", "month": "1405-02"}],
                        "indices": [{"key": "programs", "title": "برنامه جمعی در سال", "target": 12}]})
    kind: ProgramKind
    owner_id: Id
    period: Annotated[str, Field(min_length=4, max_length=7)]
    title: Text
    items: list[ProgramItemIn] = Field(min_length=1, max_length=200)
    indices: list[WrittenIndexIn] = Field(min_length=1, max_length=30)


class ReviseProgram(Command):
    model_config = _ex({"title": "برنامه سالانه کانون (بازنگری)", "items": [{"title": "چهارشنبه امام رضایی"}],
                        "indices": [{"key": "programs", "title": "برنامه جمعی در سال", "target": 12}]})
    title: Text
    items: list[ProgramItemIn] = Field(min_length=1, max_length=200)
    indices: list[WrittenIndexIn] = Field(min_length=1, max_length=30)


class DecideProgram(Command):
    model_config = _ex({"approve": False, "reason": "شاخص‌ها سنجش‌پذیر نیستند"})
    approve: bool
    reason: LongText | None = None


class EvaluateProgram(Command):
    model_config = _ex({"achieved": {"programs": 10}})
    achieved: dict[str, float] = Field(min_length=1, max_length=30)

