"""People (DOMAIN §2.5): khademyars, yavars, and staff who hold a role without being members."""
from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.errors import Invalid
from kernel.persian import is_valid_national_id, name_key, name_tokens, normalize_digits, normalize_mobile  # noqa: F401
from .. import events as ev


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


MIN_AGE, MAX_AGE = 7, 120


def check_birth_date(d: date, today: date, field: str = "birth_date") -> None:
    if d > today:
        raise Invalid("a birth date cannot be in the future", field)
    if today.year - d.year > MAX_AGE:
        raise Invalid(f"a birth date more than {MAX_AGE} years ago is not plausible", field)
    if today.year - d.year < MIN_AGE:
        raise Invalid(f"members are at least {MIN_AGE} years old", field)


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
    # The last kanoon the person left and when (a move to another kanoon soon after is a transfer).
    left_kanoon_id: str | None = None
    left_at: datetime | None = None
    registered_at: datetime
    version: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def name_key(self) -> str:
        return name_key(self.full_name)

    @property
    def is_member_kind(self) -> bool:
        return self.kind in (PersonKind.khademyar, PersonKind.yavar)

    def registered_event(self) -> ev.PersonRegistered:
        return ev.PersonRegistered(
            person_id=self.id, kind=self.kind, full_name=self.full_name, gender=self.gender,
            education=self.education, occupation=self.occupation, birth_date=self.birth_date,
            city_id=self.city_id, service_code=self.service_code)

    def become(self, kind: PersonKind, service_code: str | None) -> list:
        if kind == PersonKind.khademyar and not service_code and not self.service_code:
            raise Invalid("a khademyar needs a service code", "service_code")
        self.kind = kind
        if service_code:
            self.service_code = service_code
        return [ev.PersonKindChanged(person_id=self.id, kind=kind, service_code=self.service_code)]


SERVICE_CODE = re.compile(r"\d{1,3}-\d{1,8}")


def search_terms(text: str) -> tuple[str, str | list[str]]:
    """What a search box's text means: ("national_id", digits), ("mobile", 09…), ("service_code",
    code) or ("name", [word prefixes]), each normalised the way the stored values are (any digit
    form, Arabic or Persian letters)."""
    plain = normalize_digits(text).strip()
    compact = re.sub(r"[\s\-()]", "", plain)
    if re.fullmatch(r"\d{10}", compact) and is_valid_national_id(compact):
        return "national_id", compact
    try:
        return "mobile", normalize_mobile(compact)
    except ValueError:
        pass
    if SERVICE_CODE.fullmatch(plain.replace(" ", "")):
        return "service_code", plain.replace(" ", "")
    words = name_key(text).split()
    if not words or sum(len(w) for w in words) < 2:
        raise Invalid("type at least two letters of a name, or a national ID, mobile or service code", "q")
    return "name", words[:5]
