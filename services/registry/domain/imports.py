"""Importing HQ's lists (DOMAIN §2, §8: what HQ keeps in Excel today) — members, units and kanoons —
row by row: which column holds which field (Persian or English headers, in any order), what a row's
cells mean (Persian words and digits in any form), and each row's outcome: accepted, duplicate
(already registered, or earlier in the same file: nothing is created twice) or refused with the
field at fault and why (a national ID's checksum, an unknown city, …). Rows are checked here without
the store; what needs the store (does the city exist, is the national ID registered) is checked when
a chunk is recorded, in its transaction (services/registry/imports.py)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from kernel import jalali
from kernel.errors import Invalid
from kernel.persian import is_valid_national_id, normalize_digits, normalize_national_id, normalize_text

from .people import check_birth_date

KINDS = ("members", "units", "kanoons")
MAX_ROWS = 200_000
# Rows per transaction when recorded. A member is one document; a kanoon is several (its roles, its
# head's and deputy's memberships), so fewer per transaction.
CHUNK = {"members": 500, "units": 200, "kanoons": 50}

# field: (aliases, required). Aliases are compared after normalisation (Persian letters, digits,
# spaces, lower case); the first is the English column name the API documents.
COLUMNS: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "members": {
        "national_id": (("national_id", "کد ملی", "كد ملي", "شماره ملی"), True),
        "first_name": (("first_name", "نام"), True),
        "last_name": (("last_name", "نام خانوادگی", "نام خانوادگي"), True),
        "kind": (("kind", "نوع", "نوع عضویت"), True),
        "gender": (("gender", "جنسیت"), True),
        "birth_date": (("birth_date", "تاریخ تولد"), True),
        "education": (("education", "تحصیلات", "مدرک تحصیلی"), True),
        "occupation": (("occupation", "شغل"), False),
        "city": (("city", "city_id", "شهرستان", "شهر"), True),
        "mobile": (("mobile", "تلفن همراه", "موبایل", "تلفن"), True),
        "service_code": (("service_code", "کد خدمتی", "کد خادمیاری"), False),
        "kanoon": (("kanoon", "kanoon_id", "کانون", "کد کانون"), False),
    },
    "units": {
        "id": (("id", "شناسه", "کد"), True),
        "name": (("name", "نام"), True),
        "kind": (("kind", "نوع"), True),
        "parent": (("parent", "parent_id", "والد", "واحد بالادست"), True),
    },
    "kanoons": {
        "code": (("code", "کد کانون", "کد"), True),
        "name": (("name", "نام", "نام کانون"), True),
        "kind": (("kind", "نوع"), True),
        "field": (("field", "رشته", "رشته تخصصی"), False),
        "deputy_area": (("deputy_area", "معاونت"), False),
        "unit": (("unit", "unit_id", "واحد", "محله", "شهرستان"), True),
        "head_national_id": (("head_national_id", "کد ملی مسئول"), True),
        "deputy_national_id": (("deputy_national_id", "کد ملی معاون"), True),
        "founding_date": (("founding_date", "تاریخ تأسیس", "تاریخ تاسیس"), True),
    },
}

WORDS = {
    "kind": {"خادمیار": "khademyar", "خادم یار": "khademyar", "یاور": "yavar"},
    "gender": {"مرد": "male", "آقا": "male", "مذکر": "male", "زن": "female", "خانم": "female", "مونث": "female"},
    "education": {"ابتدایی": "primary", "سیکل": "below_diploma", "زیر دیپلم": "below_diploma",
                  "دیپلم": "diploma", "کاردانی": "associate", "فوق دیپلم": "associate",
                  "کارشناسی": "bachelor", "لیسانس": "bachelor", "کارشناسی ارشد": "master",
                  "فوق لیسانس": "master", "دکتری": "doctorate", "دکترا": "doctorate"},
    "unit_kind": {"کشور": "country", "منطقه": "region", "استان": "province", "شهرستان": "city", "شهر": "city",
                  "محله": "neighborhood"},
    "kanoon_kind": {"محله محور": "neighborhood", "محله‌محور": "neighborhood", "محله": "neighborhood",
                    "تخصصی": "specialized"},
    "deputy_area": {"فرهنگی": "cultural", "اجتماعی": "social"},
}


class Outcome(BaseModel):
    row: int                          # 1 = the first row after the header
    status: Literal["accepted", "duplicate", "refused"]
    id: str | None = None             # what the row created or found
    field: str | None = None
    reason: str | None = None


def _key(text: Any) -> str:
    return normalize_text(normalize_digits(str(text or ""))).replace("\u200c", " ").strip().lower()


def header_map(kind: str, header: list[str]) -> dict[str, int]:
    """Which column holds which field; unknown columns are ignored, a missing required one refuses
    the whole file (naming it)."""
    if kind not in COLUMNS:
        raise Invalid("kind is members, units or kanoons", "kind")
    names = {_key(h): i for i, h in enumerate(header)}
    found = {}
    for field, (aliases, _) in COLUMNS[kind].items():
        for a in aliases:
            if _key(a) in names:
                found[field] = names[_key(a)]
                break
    missing = [f for f, (_, required) in COLUMNS[kind].items() if required and f not in found]
    if missing:
        raise Invalid("the file's header lacks the column " + ", ".join(missing), "file")
    return found


def _cells(cells: list, columns: dict[str, int]) -> dict[str, Any]:
    out = {}
    for field, i in columns.items():
        v = cells[i] if i < len(cells) else None
        if isinstance(v, str):
            v = normalize_text(normalize_digits(v)).strip()
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out[field] = None if v in (None, "") else v
    return out


_WORD_KEYS: dict[str, dict[str, str]] = {}


def _word(table: str, value: Any, field: str, allowed: tuple[str, ...]) -> str:
    text = _key(value)
    if text in allowed:
        return text
    keys = _WORD_KEYS.get(table)
    if keys is None:
        keys = _WORD_KEYS[table] = {_key(k): v for k, v in WORDS[table].items()}
    if text in keys:
        return keys[text]
    raise Invalid(f"«{value}» is not one of: " + ", ".join(allowed), field)


def _date(value: Any, field: str) -> date:
    if isinstance(value, datetime):   # an Excel date cell: Gregorian
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return jalali.parse_date(normalize_digits(str(value)).replace(".", "/"))
    except ValueError as exc:
        raise Invalid(str(exc), field) from None


def _required(row: dict, kind: str) -> None:
    for field, (_, required) in COLUMNS[kind].items():
        if required and row.get(field) is None:
            raise Invalid(f"the {field} is empty", field)


def _national_id(value: Any, field: str) -> str:
    text = normalize_digits(str(value)).strip()
    if isinstance(value, int) or text.isdigit():
        text = text.zfill(10)   # Excel drops a national ID's leading zeros
    try:
        nid = normalize_national_id(text)
    except ValueError:
        nid = None
    if not nid or not is_valid_national_id(nid):
        raise Invalid("not a valid national ID (10 digits with a correct check digit)", field)
    return nid


def _first_error(exc: ValidationError) -> Invalid:
    e = exc.errors()[0]
    field = ".".join(str(p) for p in e.get("loc", ())) or None
    return Invalid(str(e.get("msg", "invalid")).removeprefix("Value error, "), field)


def read_member(cells: list, columns: dict[str, int], today: date) -> dict:
    """A member row as the registry's RegisterMember command would take it, plus `city` (an id or a
    city's name, resolved when recorded) and `kanoon` (optional); Invalid naming the column at fault."""
    from ..schemas import RegisterMember   # noqa: PLC0415 (the command's own rules, once)
    row = _cells(cells, columns)
    _required(row, "members")
    body = {"kind": _word("kind", row["kind"], "kind", ("khademyar", "yavar")),
            "national_id": _national_id(row["national_id"], "national_id"),
            "first_name": str(row["first_name"]), "last_name": str(row["last_name"]),
            "gender": _word("gender", row["gender"], "gender", ("male", "female")),
            "birth_date": _date(row["birth_date"], "birth_date"),
            "education": _word("education", row["education"], "education",
                               ("primary", "below_diploma", "diploma", "associate", "bachelor", "master", "doctorate")),
            "occupation": str(row["occupation"]) if row.get("occupation") is not None else None,
            "city_id": "city", "mobile": str(row["mobile"]),
            "service_code": str(row["service_code"]) if row.get("service_code") is not None else None}
    if isinstance(row["mobile"], int):
        body["mobile"] = "0" + str(row["mobile"]) if not str(row["mobile"]).startswith("0") else str(row["mobile"])
    try:
        cmd = RegisterMember.model_validate(body)
    except ValidationError as exc:
        raise _first_error(exc) from None
    check_birth_date(cmd.birth_date, today)
    out = cmd.model_dump(mode="json")
    out["birth_date"] = cmd.birth_date.isoformat()
    out["city"] = str(row["city"])
    out["kanoon"] = str(row["kanoon"]) if row.get("kanoon") is not None else None
    return out


def read_unit(cells: list, columns: dict[str, int]) -> dict:
    from ..schemas import CreateUnit   # noqa: PLC0415
    row = _cells(cells, columns)
    _required(row, "units")
    body = {"id": str(row["id"]).upper(), "name": str(row["name"]),
            "kind": _word("unit_kind", row["kind"], "kind", ("region", "province", "city", "neighborhood")),
            "parent_id": str(row["parent"]).upper()}
    try:
        return CreateUnit.model_validate(body).model_dump(mode="json")
    except ValidationError as exc:
        raise _first_error(exc) from None


def read_kanoon(cells: list, columns: dict[str, int], today: date) -> dict:
    row = _cells(cells, columns)
    _required(row, "kanoons")
    kind = _word("kanoon_kind", row["kind"], "kind", ("neighborhood", "specialized"))
    founded = _date(row["founding_date"], "founding_date")
    if founded > today:
        raise Invalid("the founding date cannot be in the future", "founding_date")
    out = {"code": str(row["code"]), "name": str(row["name"]), "kind": kind,
           "field": str(row["field"]) if row.get("field") else None,
           "deputy_area": _word("deputy_area", row["deputy_area"], "deputy_area", ("cultural", "social"))
           if row.get("deputy_area") else None,
           "unit_id": str(row["unit"]).upper(),
           "head_national_id": _national_id(row["head_national_id"], "head_national_id"),
           "deputy_national_id": _national_id(row["deputy_national_id"], "deputy_national_id"),
           "founding_date": founded.isoformat()}
    if out["head_national_id"] == out["deputy_national_id"]:
        raise Invalid("the head and the deputy are two people", "deputy_national_id")
    if len(out["name"]) > 200 or len(out["code"]) > 40:
        raise Invalid("the name is at most 200 characters and the code 40", "name")
    return out


def identity(kind: str, row: dict) -> str:
    """What makes two rows the same thing (the second is a duplicate): a member's national ID, a
    unit's id, a kanoon's code in its unit."""
    if kind == "members":
        return row["national_id"]
    if kind == "units":
        return row["id"]
    return f"{row['unit_id']}/{_key(row['code'])}"


def kanoon_id(unit_id: str, code: str) -> str:
    """The id a kanoon imported from a list gets: the same for the same code in the same unit, so a
    file imported again finds the kanoon it created."""
    return "kn_" + hashlib.sha256(f"{unit_id}/{_key(code)}".encode()).hexdigest()[:16]


def read_rows(kind: str, header: list[str], rows: list[list], today: date, pause=None) -> list[dict]:
    """Every row read and checked: `{"row": n, "data": …}` to record, or `{"row": n, "outcome": …}`
    already decided (refused, or a duplicate of an earlier row of the file). `pause()`, when given,
    is called every 200 rows (the service lets its other work run then: a large file takes seconds)."""
    columns = header_map(kind, header)
    if not rows:
        raise Invalid("the file has a header but no rows", "file")
    if len(rows) > MAX_ROWS:
        raise Invalid(f"a file holds at most {MAX_ROWS:,} rows; split it", "file")
    seen: dict[str, int] = {}
    out = []
    for n, cells in enumerate(rows, start=1):
        if pause is not None and n % 200 == 0:
            pause()
        try:
            if kind == "members":
                data = read_member(list(cells), columns, today)
            elif kind == "units":
                data = read_unit(list(cells), columns)
            else:
                data = read_kanoon(list(cells), columns, today)
        except Invalid as exc:
            out.append({"row": n, "outcome": Outcome(row=n, status="refused", field=exc.field,
                                                     reason=exc.message).model_dump()})
            continue
        key = identity(kind, data)
        if key in seen:
            out.append({"row": n, "outcome": Outcome(row=n, status="duplicate", reason=f"the same as row {seen[key]}",
                                                     field=_IDENTITY_FIELD[kind]).model_dump()})
            continue
        seen[key] = n
        out.append({"row": n, "data": data})
    return out


_IDENTITY_FIELD = {"members": "national_id", "units": "id", "kanoons": "code"}
