"""Pydantic field types for input at any edge: Persian text normalised, national IDs and mobiles
validated, Jalali (or Gregorian) dates parsed."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from . import jalali, persian


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
