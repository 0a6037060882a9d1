"""Pydantic field types for input at any edge: Persian text normalised, national IDs and mobiles
validated, Jalali (or Gregorian) dates parsed; and `Command`, the base of every command a service
takes, which applies DOMAIN §9 to every field."""
from __future__ import annotations

import re
import hashlib
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo, WithJsonSchema, \
    field_validator

from . import jalali, persian

# C0 and C1 control characters and DEL; tab, line feed and carriage return are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DECIMAL = re.compile(r"^[+-]?\d+[\u066b]\d+$")  # ۲٫۵: the Persian decimal separator


def edge_value(value: Any, digits: bool = True) -> Any:
    """What every field of a command goes through first: Persian and Arabic digits become ASCII
    (and `٫` a decimal point in a number), and control characters are refused. Lists are walked;
    a nested object is left to its own model, which does the same."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("control characters (such as NUL, BEL or ESC) are not allowed")
        if not digits:
            return value
        value = persian.normalize_digits(value)
        return value.replace("\u066b", ".") if _DECIMAL.match(value) else value
    if isinstance(value, list):
        return [edge_value(v, digits) for v in value]
    return value


class Command(BaseModel):
    """Base of every command: unknown fields refused; every field through `edge_value`, except that
    the fields named in `verbatim` (a password) keep their digits as typed."""
    model_config = ConfigDict(extra="forbid")
    verbatim: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _at_the_edge(cls, value: Any, info: ValidationInfo) -> Any:
        return edge_value(value, digits=info.field_name not in cls.verbatim)


def _text(v):
    if v is None:
        return v
    if not isinstance(v, str):
        raise ValueError("must be text")
    return persian.normalize_text(v)


def _national_id(v):
    if not isinstance(v, (str, int)):
        raise ValueError("must be text of 10 digits")
    return persian.normalize_national_id(str(v))


def _mobile(v):
    if not isinstance(v, (str, int)):
        raise ValueError("must be text like 09121234567")
    return persian.normalize_mobile(str(v))


def _date(v):
    if isinstance(v, date):
        return v
    if not isinstance(v, str):
        raise ValueError("must be a date written like 1403/07/15")
    return jalali.parse_date(v)


def _slug(v):
    if not isinstance(v, str):
        raise ValueError("must be text")
    return persian.normalize_digits(v).strip()


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=200)]
LongText = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=4000)]
Id = Annotated[str, BeforeValidator(_slug), Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
NationalId = Annotated[str, BeforeValidator(_national_id),
                       WithJsonSchema({"type": "string", "example": "0499370899"})]
Mobile = Annotated[str, BeforeValidator(_mobile), WithJsonSchema({"type": "string", "example": "09151234567"})]
JalaliDate = Annotated[
    date, BeforeValidator(_date),
    PlainSerializer(lambda d: jalali.format_date(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "example": "1403/07/15",
                    "description": "Jalali YYYY/MM/DD (or Gregorian YYYY-MM-DD)"}),
]


class Attachment(BaseModel):
    """A document kept with a record (kernel.uploads: PDF, JPEG or PNG by content, in GridFS): a
    festival work's files, an inspection's photos and minutes, a letter's scan."""
    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    by: str
    at: datetime

    @classmethod
    def of(cls, file_id: str, name: str, content: bytes, content_type: str, by: str, at: datetime) -> "Attachment":
        return cls(id=file_id, name=name[:200], content_type=content_type, size=len(content),
                   sha256=hashlib.sha256(content).hexdigest(), by=by, at=at)
