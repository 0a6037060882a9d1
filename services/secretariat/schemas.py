"""The secretariat service's commands as the outside world sends them: shared by the service (which
validates every call) and the gateway (which documents them). Pydantic only."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from kernel.types import Command, Id, JalaliDate, LongText, Text

from .domain.desk import Category
from .domain.letters import Direction

Period = Annotated[str, Field(pattern=r"^1[34][0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$",
                              description="a Jalali month 1405-07, season 1405-Q3, half-year 1405-H1 or year 1405")]


def _ex(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class RegisterLetter(Command):
    model_config = _ex({"province_id": "IR-09", "direction": "incoming", "subject": "درخواست گزارش پویش زمستانه",
                        "parties": ["ستاد مرکزی کانون‌های خدمت رضوی"], "dated": "1405/09/10",
                        "their_number": "۱۲۳۴/الف", "deadline": "1405/09/25", "remind_days": 3})
    province_id: Id
    direction: Direction
    subject: Text
    parties: list[Text] = Field(min_length=1, max_length=20)
    dated: JalaliDate
    their_number: Text | None = None
    deadline: JalaliDate | None = None
    remind_days: int | None = Field(None, ge=0, le=60, description="days before the deadline the reminder comes (3)")
    reply_to: Id | None = Field(None, description="the incoming letter this outgoing one answers")
    assigned_to: Id | None = Field(None, description="the person at HQ who handles it")


class CloseLetter(Command):
    model_config = _ex({"note": "پاسخ تلفنی داده شد"})
    note: LongText | None = None


class AttachFile(Command):
    """A document (PDF, JPEG or PNG, read from its content), base64."""
    name: Text
    content: str = Field(min_length=4, max_length=14 * 1024 * 1024)


class RegisterMou(Command):
    model_config = _ex({"province_id": "IR-09", "title": "تفاهم‌نامه همکاری درمانی",
                        "parties": ["دانشگاه علوم پزشکی مشهد"], "subject": "ویزیت رایگان در کانون‌های پزشکی",
                        "signed_on": "1405/02/01", "starts_on": "1405/02/01", "ends_on": "1406/01/31",
                        "notice_days": 60})
    province_id: Id
    title: Text
    parties: list[Text] = Field(min_length=1, max_length=20)
    subject: LongText
    signed_on: JalaliDate
    starts_on: JalaliDate
    ends_on: JalaliDate
    notice_days: int | None = Field(None, ge=1, le=365, description="days before the end the renewal notice comes (60)")


class RenewMou(Command):
    model_config = _ex({"ends_on": "1407/01/31"})
    ends_on: JalaliDate


class ElectChair(Command):
    model_config = _ex({"province_id": "IR-09", "person_id": "p_1a2b3c4d5e6f7a8b", "elected_on": "1405/01/20"})
    province_id: Id
    person_id: Id
    elected_on: JalaliDate


class SendNominees(Command):
    model_config = _ex({"province_id": "IR-09", "nominees": ["p_1a2b3c4d5e6f7a8b", "p_2b3c4d5e6f7a8b9c",
                                                             "p_3c4d5e6f7a8b9c0d"], "sent_on": "1405/02/01"})
    province_id: Id
    nominees: list[Id] = Field(min_length=3, max_length=3)
    sent_on: JalaliDate


class RecordAssembly(Command):
    model_config = _ex({"province_id": "IR-09", "held_on": "1405/03/15", "attendees": 140,
                        "resolutions": ["تصویب گزارش سال ۱۴۰۴", "برنامه سال ۱۴۰۵"], "report_id": None})
    province_id: Id
    held_on: JalaliDate
    attendees: int = Field(ge=1, le=100_000)
    resolutions: list[LongText] = Field(default=[], max_length=100)
    report_id: Id | None = None


class WriteHqReport(Command):
    model_config = _ex({"province_id": "IR-09", "to": "assembly", "period": "1404",
                        "title": "گزارش عملکرد سال ۱۴۰۴", "body": "خلاصه فعالیت‌ها، آمار و برنامه‌های سال"})
    province_id: Id
    to: Literal["assembly", "center"]
    period: Period
    title: Text
    body: LongText


class SendHqReport(Command):
    model_config = _ex({"sent_on": "1405/01/25"})
    sent_on: JalaliDate


class RecordMeeting(Command):
    model_config = _ex({"unit_id": "IR-09-NSH", "held_on": "1405/09/12", "host_kanoon_id": "kn_0f1e2d3c4b5a6978",
                        "minutes": "بررسی برنامه‌های دهه فجر و تقسیم کار میان کانون‌ها",
                        "attended": ["kn_0f1e2d3c4b5a6978", "kn_1a2b3c4d5e6f7a8b"],
                        "next_host_id": "kn_1a2b3c4d5e6f7a8b"})
    unit_id: Id
    held_on: JalaliDate
    host_kanoon_id: Id
    minutes: LongText
    attended: list[Id] = Field(default=[], max_length=500)
    next_host_id: Id | None = None


class WriteNews(Command):
    model_config = _ex({"province_id": "IR-09", "title": "توزیع هزار بسته معیشتی در مشهد",
                        "body": "کانون‌های خدمت رضوی مشهد در پویش همدلی ...", "report_ids": ["ar_0f1e2d3c4b5a6978"],
                        "media": None})
    province_id: Id
    title: Text
    body: LongText
    report_ids: list[Id] = Field(min_length=1, max_length=50)
    media: list[Annotated[str, Field(max_length=500)]] | None = Field(
        None, max_length=50, description="the media chosen (their URLs); all the reports' media when absent")


class OpenTicket(Command):
    model_config = _ex({"province_id": "IR-09", "category": "account", "subject": "ورود به سامانه",
                        "text": "گذرواژه‌ام را فراموش کرده‌ام و پیامکی نمی‌رسد"})
    province_id: Id | None = Field(None, description="for the desk recording a call; a member's own ticket goes to their province")
    category: Category
    subject: Text
    text: LongText
    contact: Text | None = Field(None, description="an applicant's name and phone, when the desk records the call")


class TicketMessage(Command):
    model_config = _ex({"text": "گذرواژه شما بازنشانی شد؛ با رمز موقت وارد شوید"})
    text: LongText
