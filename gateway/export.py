"""Every list and every aggregate table as a spreadsheet (DOMAIN §8; what HQ works from today):
`?export=xlsx` or `?export=csv` on any GET route of the API that answers a list (or a page with
`items`, or a table of figures). The answer is the same data the route gives as JSON, for the same
caller with the same rights — the export is a rendering of the route's answer, never a way around it.

- **xlsx**: one right-to-left sheet, Persian headers (the field's label; its own name when no label
  is known), the header row bold and frozen, numbers as numbers; dates are already Jalali in the
  API's answers and stay so.
- **csv**: UTF-8 with a byte-order mark (Excel reads Persian right), the same headers and rows.

Nested objects are spread into columns (`ranks.city.rank`); lists of plain values are joined with
the Persian comma; lists of objects are counted."""
from __future__ import annotations

import csv
import io
from typing import Any

LABELS = {
    "id": "شناسه", "name": "نام", "title": "عنوان", "kind": "نوع", "status": "وضعیت", "type": "نوع",
    "first_name": "نام", "last_name": "نام خانوادگی", "gender": "جنسیت", "birth_date": "تاریخ تولد",
    "education": "تحصیلات", "occupation": "شغل", "mobile": "تلفن همراه", "national_id": "کد ملی",
    "service_code": "کد خدمتی", "city_id": "شهرستان", "unit_id": "واحد", "kanoon_id": "کانون",
    "person_id": "شخص", "path": "مسیر", "unit_path": "مسیر واحد", "field": "رشته تخصصی",
    "founding_date": "تاریخ تأسیس", "head_id": "مسئول", "deputy_id": "معاون", "members": "اعضا",
    "floor": "کف اعضا", "ceiling": "سقف اعضا", "below_floor": "زیر کف", "over_ceiling": "بالای سقف",
    "period": "دوره", "month": "ماه", "year": "سال", "day": "روز", "date": "تاریخ", "count": "تعداد",
    "total": "جمع", "amount": "مبلغ (ریال)", "hours": "ساعت", "beneficiaries": "مخدومین",
    "service_type": "مصداق خدمت", "description": "شرح", "place": "مکان", "reason": "دلیل",
    "score": "امتیاز", "rank": "رتبه", "of": "از", "coefficient": "ضریب", "points": "امتیازها",
    "role": "نقش", "scope_id": "محدوده", "valid_from": "از تاریخ", "valid_to": "تا تاریخ",
    "created_at": "زمان ثبت", "submitted_at": "زمان ارسال", "approved_at": "زمان تأیید",
    "reviewed_at": "زمان بررسی", "recorded_at": "زمان ثبت", "at": "زمان", "by": "توسط",
    "starts_on": "شروع", "ends_on": "پایان", "held_on": "تاریخ برگزاری", "attendance": "حضور",
    "terminal_id": "پایانه", "rrn": "شماره مرجع", "intent": "نیت", "channel": "مجرا", "donor": "نیکوکار",
    "severity": "شدت", "category": "دسته", "season": "فصل", "province_id": "استان", "axis": "محور",
    "award": "جایزه", "combined": "امتیاز نهایی", "flagged": "نیاز به بازنگری", "tier": "سطح",
    "mode": "شیوه", "trainer_id": "مربی", "certificate": "گواهی", "note": "یادداشت", "index": "شاخص",
    "event_type": "رویداد", "subject_id": "موضوع", "subject_kind": "نوع موضوع", "level": "سطح",
    "weights": "وزن‌ها", "ranks": "رتبه‌ها", "city": "شهرستان", "province": "استان", "region": "منطقه",
    "country": "کشور", "age_band": "گروه سنی", "value": "مقدار", "share": "سهم", "on_time": "به‌موقع",
}
MAX_DEPTH = 3


def _flatten(value: Any, prefix: str, out: dict[str, Any], depth: int = 0) -> None:
    if isinstance(value, dict) and depth < MAX_DEPTH:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out, depth + 1)
    elif isinstance(value, list):
        if all(not isinstance(x, (dict, list)) for x in value):
            out[prefix] = "، ".join("" if x is None else str(x) for x in value)
        else:
            out[prefix] = len(value)
    else:
        out[prefix] = value


def rows_of(body: Any) -> list[dict[str, Any]] | None:
    """The rows a route's JSON answer holds: a list of objects, a page's `items`, a table under
    `rows`, or one object (a single row); None when it is nothing tabular."""
    if isinstance(body, dict):
        for key in ("items", "rows"):
            if isinstance(body.get(key), list):
                body = body[key]
                break
        else:
            body = [body]
    if not isinstance(body, list):
        return None
    rows = []
    for item in body:
        row: dict[str, Any] = {}
        _flatten(item if isinstance(item, dict) else {"value": item}, "", row)
        rows.append(row)
    return rows


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def label(column: str) -> str:
    parts = column.split(".")
    return " / ".join(LABELS.get(p, p) for p in parts)


def _cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "بله" if v else "خیر"
    return v


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    cols = columns_of(rows)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([label(c) for c in cols])
    for r in rows:
        w.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in cols])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 (only an export needs it)
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415
    cols = columns_of(rows)
    book = Workbook()
    sheet = book.active
    sheet.title = (title or "خادم")[:31]
    sheet.sheet_view.rightToLeft = True
    sheet.append([label(c) for c in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for r in rows:
        sheet.append([_cell(r.get(c)) for c in cols])
    sheet.freeze_panes = "A2"
    for i, c in enumerate(cols, start=1):
        width = max([len(label(c))] + [len(str(r.get(c) or "")) for r in rows[:200]])
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
