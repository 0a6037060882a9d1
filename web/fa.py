"""What a person reads: the Persian names of the API's codes, Persian digits, and a Persian message for
every refusal the API gives (the API speaks English to programs; people read this)."""
from __future__ import annotations

import re
from typing import Any

from gateway.export import LABELS

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def digits(value: Any) -> str:
    """The value as text with Persian digits (and the Persian decimal separator)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "بله" if value else "خیر"
    if isinstance(value, (int, float)):
        text = f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else f"{value:g}"
        return text.replace(",", "٬").replace(".", "٫").translate(_FA_DIGITS)
    return str(value).translate(_FA_DIGITS)


ROLES = {
    "admin": "مدیر سامانه (ستاد مرکزی)", "coordination_council": "شورای هماهنگی", "province_manager": "مدیر استان",
    "secretariat_head": "رئیس دبیرخانه", "province_secretary": "دبیر استان", "finance_expert": "کارشناس مالی",
    "vows_expert": "کارشناس نذورات", "support_expert": "کارشناس پشتیبانی", "pr_head": "مسئول روابط عمومی",
    "planning_head": "مسئول برنامه‌ریزی", "oversight_head": "مسئول نظارت", "selection_liaison": "رابط گزینش",
    "khademyari_deputy": "معاون خادمیاری", "system_head": "مسئول سامانه", "network_development_head": "مسئول توسعه شبکه",
    "training_head": "مسئول آموزش", "evaluation_head": "مسئول ارزیابی", "quality_evaluation_group": "گروه ارزیابی کیفی",
    "cultural_deputy": "معاون فرهنگی", "social_deputy": "معاون اجتماعی", "neighborhood_deputy": "معاون محلات",
    "specialized_secretary": "دبیر تخصصی", "sponsoring_institution": "نهاد پشتیبان", "city_secretary": "دبیر شهرستان",
    "county_liaison": "رابط شهرستان", "kanoon_head": "مسئول کانون", "kanoon_deputy": "معاون کانون",
    "protection_committee": "کمیته حفاظت",
}

STATUS = {
    "submitted": "در انتظار بررسی", "approved": "تأییدشده", "rejected": "ردشده", "returned": "برگشت‌خورده",
    "draft": "پیش‌نویس", "active": "فعال", "requested": "درخواست‌شده", "accepted": "پذیرفته", "cancelled": "لغوشده",
    "expired": "منقضی", "pending": "در انتظار", "received": "دریافت‌شده", "triaged": "بررسی اولیه",
    "investigating": "در حال رسیدگی", "resolved": "رسیدگی‌شده", "closed": "بسته", "open": "باز", "done": "انجام‌شده",
    "locked": "قطعی", "late": "با تأخیر", "on_time": "به‌موقع", "answered": "پاسخ‌داده", "running": "در حال اجرا",
    "finished": "پایان‌یافته", "failed": "ناموفق", "announced": "اعلام‌شده", "confirmed": "تأییدشده", "declined": "نپذیرفته", "queued": "در صف", "reading": "در حال خواندن",
}

EDUCATION = {"primary": "ابتدایی", "below_diploma": "زیر دیپلم", "diploma": "دیپلم", "associate": "کاردانی",
             "bachelor": "کارشناسی", "master": "کارشناسی ارشد", "doctorate": "دکتری", "unknown": "نامعلوم"}
GENDER = {"male": "مرد", "female": "زن", "unknown": "نامعلوم"}
KIND = {"khademyar": "خادمیار", "yavar": "یاور", "staff": "کارکنان", "neighborhood": "محله‌محور",
        "specialized": "تخصصی", "unknown": "نامعلوم"}
UNIT_KIND = {"country": "کشور", "region": "منطقه", "province": "استان", "city": "شهرستان", "neighborhood": "محله"}
AGE_BAND = {"under_18": "زیر ۱۸", "18_29": "۱۸ تا ۲۹", "30_39": "۳۰ تا ۳۹", "40_49": "۴۰ تا ۴۹",
            "50_59": "۵۰ تا ۵۹", "60_plus": "۶۰ و بالاتر", "unknown": "نامعلوم"}
MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")

FIELDS = {**LABELS, "kanoon_id": "کانون", "service_type": "مصداق خدمت", "day": "تاریخ", "hours": "ساعت",
          "beneficiaries": "تعداد مخدومین", "description": "شرح", "place": "مکان", "reason": "دلیل",
          "username": "نام کاربری", "password": "گذرواژه", "national_id": "کد ملی", "mobile": "تلفن همراه",
          "text": "متن", "subject": "موضوع", "code": "کد", "file": "پرونده", "month": "ماه",
          "kanoon": "کانون", "parent_id": "والد", "unit": "واحد", "head_national_id": "کد ملی مسئول",
          "deputy_national_id": "کد ملی معاون", "founding_date": "تاریخ تأسیس", "kind": "نوع"}

# A Persian sentence for the refusals people meet most, matched on the API's message; any other
# refusal gets its code's sentence and the field at fault (REFUSALS below), so none is shown in English only.
KNOWN = [
    (re.compile(r"wrong username or password"), "نام کاربری یا گذرواژه نادرست است."),
    (re.compile(r"current password is wrong"), "گذرواژهٔ کنونی نادرست است."),
    (re.compile(r"password has at least|not only digits|does not contain the username|different characters"),
     "گذرواژهٔ تازه دست‌کم ۱۰ نویسه و ۵ نویسهٔ گوناگون دارد، فقط رقم نیست و نام کاربری در آن نیست."),
    (re.compile(r"failed sign-ins"), "تلاش‌های ناموفق ورود زیاد بوده است؛ چند دقیقه بعد دوباره تلاش کنید."),
    (re.compile(r"sign in first|token"), "لطفاً دوباره وارد شوید."),
    (re.compile(r"rejection needs its reason"), "برای رد گزارش، دلیل آن را بنویسید."),
    (re.compile(r"not a member|member of (the|this) kanoon"), "شما عضو این کانون نیستید."),
    (re.compile(r"in the future|future"), "تاریخ نمی‌تواند در آینده باشد."),
    (re.compile(r"national ?id", re.I), "کد ملی معتبر نیست."),
    (re.compile(r"already"), "این کار پیش‌تر انجام شده است."),
    (re.compile(r"not open to|not usable|unknown service type"), "این مصداق خدمت برای این کانون تعریف نشده است."),
    (re.compile(r"suspended|barred"), "به حکم کمیته حفاظت، این کار فعلاً برای شما ممکن نیست."),
]

REFUSALS = {
    "invalid": "داده‌ها درست نیست", "not_found": "یافت نشد", "conflict": "با وضعیت فعلی سازگار نیست",
    "forbidden": "شما اجازهٔ این کار را ندارید", "unauthenticated": "لطفاً دوباره وارد شوید",
    "unavailable": "سامانه اکنون پاسخ نمی‌دهد؛ چند لحظه بعد دوباره بفرستید. کاری انجام نشد",
    "outcome_unknown": "معلوم نیست کار انجام شد یا نه؛ همین فرم را دوباره بفرستید تا نتیجه روشن شود (دوباره انجام نمی‌شود)",
    "throttled": "درخواست‌های زیادی فرستاده‌اید؛ کمی بعد دوباره تلاش کنید",
    "internal": "خطای سامانه؛ شماره پیگیری را به پشتیبانی بدهید",
}


def refusal(status: int, body: dict) -> str:
    """A Persian sentence for an API refusal: the known sentence for its message, else the code's
    sentence with the field at fault."""
    message = str(body.get("message") or "")
    code = body.get("error") or {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict",
                                 422: "invalid", 429: "throttled", 503: "unavailable", 504: "outcome_unknown"}.get(
        status, "internal")
    if status == 429:
        code = "throttled"
    for pattern, sentence in KNOWN:
        if code not in ("unavailable", "outcome_unknown", "internal") and pattern.search(message):
            return sentence
    text = REFUSALS.get(code, REFUSALS["internal"])
    field = body.get("field")
    if field:
        name = FIELDS.get(str(field).split(".")[-1]) or FIELDS.get(str(field)) or str(field)
        text = f"{text} (در «{name}»)"
    return text + "."


def name_of(table: dict, key: Any) -> str:
    return table.get(str(key), str(key))


# An import's row outcomes (services/registry/domain/imports.py) in Persian, matched on the reason.
ROW_REASONS = [
    (re.compile(r"national ID"), "کد ملی معتبر نیست (ده رقم با رقم کنترل درست)"),
    (re.compile(r"^no city (.+)$"), "شهرستان «{0}» یافت نشد"),
    (re.compile(r"^(.+) is a (\w+), not a city$"), "«{0}» شهرستان نیست"),
    (re.compile(r"more than one city is named (.+): give its id"), "چند شهرستان به نام «{0}» هست؛ کد آن را بنویسید"),
    (re.compile(r"^no unit (\S+)"), "واحد «{0}» یافت نشد (والد پیش از فرزند بیاید)"),
    (re.compile(r"^no kanoon (.+)$"), "کانون «{0}» یافت نشد"),
    (re.compile(r"registered before|imported before|the unit exists"), "پیش‌تر ثبت شده است؛ دوباره ثبت نشد"),
    (re.compile(r"the same as row (\d+)"), "تکرار ردیف {0} همین پرونده"),
    (re.compile(r"«(.*)» is not one of"), "مقدار «{0}» پذیرفته نیست"),
    (re.compile(r"^the (\w+) is empty$"), "خالی است"),
    (re.compile(r"Jalali|date like|not a day"), "تاریخ نادرست است (مانند ۱۴۰۵/۰۹/۱۶)"),
    (re.compile(r"future"), "تاریخ نمی‌تواند در آینده باشد"),
    (re.compile(r"at least \d+ years old|not plausible"), "سن پذیرفتنی نیست"),
    (re.compile(r"service code"), "کد خدمتی: خادمیار با کد خدمتی ثبت می‌شود و یاور بی آن؛ یا این کد برای دیگری ثبت شده"),
    (re.compile(r"mobile|phone"), "شمارهٔ تلفن همراه درست نیست"),
    (re.compile(r"not in a unit you|may not|roles do not"), "این ردیف در محدودهٔ اختیار شما نیست"),
    (re.compile(r"head's national ID|deputy's national ID"), "با این کد ملی کسی ثبت نشده است؛ نخست اعضا را وارد کنید"),
    (re.compile(r"already the head or deputy"), "این شخص مسئول یا معاون کانون دیگری است"),
    (re.compile(r"full|ceiling"), "ظرفیت کانون تکمیل است"),
    (re.compile(r"not active"), "کانون فعال نیست"),
    (re.compile(r"cannot be placed under"), "این نوع واحد زیر این والد نمی‌آید"),
]


def row_reason(reason: str | None, field: str | None) -> str:
    """A Persian sentence for why an imported row was refused or skipped."""
    text = str(reason or "")
    for pattern, sentence in ROW_REASONS:
        m = pattern.search(text)
        if m:
            return sentence.format(*m.groups())
    name = FIELDS.get(str(field or ""), str(field or ""))
    return f"«{name}» نادرست است" if name else "ردیف نادرست است"

# The audit trail of personal data (kernel.personal).
RECORD_KIND = {"beneficiary": "مددجو", "complainant": "شاکی", "donor": "نیکوکار"}
AUDIT_ACTION = {"read": "دیدن", "list": "فهرست", "search": "جست‌وجو", "create": "ثبت", "change": "تغییر"}

# Periods (kernel.jalali: 1405, 1405-07, 1405-Q3, 1405-H1) as people say them, and back.
SEASONS = ("بهار", "تابستان", "پاییز", "زمستان")
HALVES = ("نیمهٔ نخست", "نیمهٔ دوم")
_PERIOD_CODE = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12]))?$")


def period_name(code: Any) -> str:
    """A period's Persian name: «سال ۱۴۰۵», «مهر ۱۴۰۵», «پاییز ۱۴۰۵», «نیمهٔ نخست ۱۴۰۵»."""
    text = str(code or "")
    m = _PERIOD_CODE.match(text)
    if not m:
        return digits(text)
    year = digits(m.group(1))
    if m.group(2) and 1 <= int(m.group(2)) <= 12:
        return f"{MONTHS[int(m.group(2)) - 1]} {year}"
    if m.group(3):
        return f"{SEASONS[int(m.group(3)) - 1]} {year}"
    if m.group(4):
        return f"{HALVES[int(m.group(4)) - 1]} {year}"
    return f"سال {year}"


def _plain(text: str) -> str:
    return " ".join(text.replace("\u200c", " ").replace("ي", "ی").replace("ك", "ک").replace("ۀ", "هٔ").split())


def period_code(text: Any) -> str:
    """The period code of what a person typed: a code (any digits) or a Persian name such as «پاییز ۱۴۰۵»,
    «مهر ۱۴۰۵», «نیمهٔ اول ۱۴۰۵» or «سال ۱۴۰۵»; anything else is given back as typed (to be refused)."""
    raw = str(text or "").strip()
    plain = _plain(raw.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")))
    m = re.search(r"\d{4}", plain)
    if not m or _PERIOD_CODE.match(plain):
        return plain if m else raw
    year, words = m.group(0), _plain(plain.replace(m.group(0), " "))
    names = {"سال": "", "": ""}
    names.update({_plain(n): f"-{i:02d}" for i, n in enumerate(MONTHS, 1)})
    names.update({_plain(n): f"-Q{i}" for i, n in enumerate(SEASONS, 1)})
    names.update({_plain(n): f"-H{i}" for i, n in enumerate(HALVES, 1)})
    names.update({"پائیز": "-Q3", "نیمه اول": "-H1", "نیمهٔ اول": "-H1", "نیمه ی اول": "-H1", "نیمه نخست": "-H1",
                  "نیمه دوم": "-H2", "نیمه ی دوم": "-H2", "نیم سال اول": "-H1", "نیم سال دوم": "-H2"})
    suffix = names.get(words)
    return raw if suffix is None else year + suffix

