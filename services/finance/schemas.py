"""The finance service's commands as the outside world sends them: shared by the service (which
validates every call) and the gateway (which documents them). Pydantic only."""
from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from kernel.errors import Invalid
from kernel.types import Command, Id, JalaliDate, LongText, Text

from .domain.consolidated import Recipient
from .domain.fundings import BodyKind
from .domain.money import MAX_RIALS, rials
from .domain.receipts import Channel
from .domain.terminals import TerminalKind


def _rials(v):
    try:
        return rials(v)
    except Invalid as exc:
        raise ValueError(exc.message) from None


def _rials_or_zero(v):
    try:
        return rials(v, allow_zero=True)
    except Invalid as exc:
        raise ValueError(exc.message) from None


Rials = Annotated[int, BeforeValidator(_rials), WithJsonSchema(
    {"type": "integer", "minimum": 1, "maximum": MAX_RIALS, "description": "whole rials", "example": 1200000})]
RialsOrZero = Annotated[int, BeforeValidator(_rials_or_zero), WithJsonSchema(
    {"type": "integer", "minimum": 0, "maximum": MAX_RIALS, "description": "whole rials"})]
Reference = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9\-]+$")]
Instant = Annotated[str, Field(min_length=8, max_length=40, description="1404/08/20 14:30 (Tehran) or ISO 8601",
                               examples=["1404/08/20 14:30"])]


def _ex(example: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class RegisterTerminal(Command):
    model_config = _ex({"terminal_id": "POS-0912345", "kind": "pos", "label": "کارتخوان مسجد الرضا",
                        "owner_id": "kn_0f1e2d3c4b5a6978"})
    terminal_id: Reference
    kind: TerminalKind
    label: Text
    owner_id: Id = Field(description="the kanoon it serves, or the province for the HQ's own account")


class RecordReceipt(Command):
    model_config = _ex({"terminal_id": "POS-0912345", "rrn": "240512345678", "at": "1404/08/20 14:30",
                        "amount": 1200000, "channel": "vow", "intent": "اطعام"})
    terminal_id: Reference
    rrn: Reference
    at: Instant
    amount: Rials
    channel: Channel = Channel.vow
    intent: Text = "عمومی"
    donor: Text | None = None
    project_id: Id | None = None


class ReverseReceipt(Command):
    model_config = _ex({"reason": "تراکنش آزمایشی ثبت شده بود"})
    reason: LongText = Field(min_length=3)


class ImportReceipts(Command):
    """A file of receipts as the receipt software or the bank exports it (CSV or Excel), base64."""
    file_name: Text
    content: str = Field(min_length=4, max_length=36 * 1024 * 1024)


class ImportStatement(Command):
    """A day's settlement statement of a terminal, as the bank reports it."""
    model_config = _ex({"terminal_id": "POS-0912345", "day": "1404/08/20", "total": 5400000, "count": 4})
    terminal_id: Reference
    day: JalaliDate
    total: RialsOrZero
    count: int = Field(ge=0, le=1_000_000)


class RegisterAsset(Command):
    model_config = _ex({"code": "PC-0142", "description": "رایانه رومیزی دبیرخانه", "unit_id": "IR-09",
                        "custodian_id": "p_1a2b3c4d5e6f7a8b", "value": 450000000, "acquired_on": "1403/05/10"})
    code: Reference
    description: Text
    unit_id: Id = Field(description="the province (its HQ) or a kanoon where the asset is")
    custodian_id: Id = Field(description="the person who holds it")
    value: Rials
    acquired_on: JalaliDate


class RequestAssetHandover(Command):
    model_config = _ex({"to_custodian_id": "p_9c8d7e6f5a4b3c2d"})
    to_custodian_id: Id


class DefineProject(Command):
    model_config = _ex({"kanoon_id": "kn_0f1e2d3c4b5a6978", "title": "تعمیر سقف مسجد",
                        "description": "بازسازی سقف شبستان پیش از زمستان", "target": 800000000})
    kanoon_id: Id
    title: Text
    description: LongText
    target: Rials


class CloseProject(Command):
    model_config = _ex({"note": "هدف محقق شد و کار انجام شد"})
    note: LongText = Field(min_length=3)


class UploadDocument(Command):
    """An invoice or a receipt (PDF, JPEG or PNG), base64, for a kanoon or the province."""
    owner_id: Id
    name: Text
    content: str = Field(min_length=4, max_length=15 * 1024 * 1024)


class RecordExpense(Command):
    model_config = _ex({"owner_id": "kn_0f1e2d3c4b5a6978", "category": "پذیرایی", "description": "پذیرایی برنامه چهارشنبه امام رضایی",
                        "amount": 3500000, "spent_on": "1404/08/19", "document_ids": ["doc_1a2b3c4d5e6f7a8b"]})
    owner_id: Id = Field(description="the kanoon, or the province for the HQ's own spending")
    category: Text
    description: LongText
    amount: Rials
    spent_on: JalaliDate
    document_ids: list[Id] = Field(default=[], max_length=50)
    funding_id: Id | None = Field(default=None, description="spent from money a body gave (not reimbursed by the "
                                                             "Center)")
    executive_project_id: Id | None = Field(default=None, description="one of the kanoon's executive projects")


class GatherVoucher(Command):
    model_config = _ex({"owner_id": "kn_0f1e2d3c4b5a6978", "expense_ids": ["ex_1a2b3c4d5e6f7a8b"]})
    owner_id: Id
    expense_ids: list[Id] = Field(min_length=1, max_length=200)


class CheckVoucher(Command):
    """What the finance expert attests; the rest is checked by the service."""
    model_config = _ex({"signed_by_officials": True, "within_budget_heading": True, "invoices_legible": True})
    signed_by_officials: bool = False
    within_budget_heading: bool = False
    invoices_legible: bool = False


class ReturnVoucher(Command):
    model_config = _ex({"reason": "فاکتور دوم ناخوانا است"})
    reason: LongText = Field(min_length=3)


class ReceiveFunding(Command):
    """Money a body gave a kanoon or the province, held until documented by expenses or returned."""
    model_config = _ex({"body": "اداره کل اوقاف و امور خیریه استان", "body_kind": "province_body",
                        "owner_id": "IR-09", "amount": 500000000, "received_on": "1404/07/02",
                        "purpose": "بسته‌های معیشتی", "reference": "1404-7781"})
    body: Text
    body_kind: BodyKind
    owner_id: Id = Field(description="the kanoon, or the province for the HQ")
    amount: Rials
    received_on: JalaliDate
    purpose: LongText
    reference: Reference | None = Field(default=None, description="the body's letter or transfer number")
    executive_project_id: Id | None = None


class ReturnFunding(Command):
    model_config = _ex({"amount": 20000000, "note": "واریز به حساب اداره کل، فیش ۴۴۱۲"})
    amount: Rials
    note: LongText = Field(min_length=3)


class DischargeNote(Command):
    model_config = _ex({"note": "نامه درخواست مفاصاحساب به شماره ۱۲۳۴ ارسال شد"})
    note: LongText = Field(min_length=3)


class ReceiveDischarge(Command):
    model_config = _ex({"document_id": "doc_1a2b3c4d5e6f7a8b"})
    document_id: Id = Field(description="the body's letter, uploaded as a document of the same owner")


class IssueStatement(Command):
    model_config = _ex({"province_id": "IR-09", "period": "1404-Q2"})
    province_id: Id
    period: str = Field(pattern=r"^1[34][0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$",
                        description="Jalali month 1404-07, season 1404-Q3, half-year 1404-H1 or year 1404")


class SendStatement(Command):
    model_config = _ex({"recipient": "center", "reference": "1404-9921"})
    recipient: Recipient
    reference: Reference | None = None
