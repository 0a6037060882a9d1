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
    "finished": "پایان‌یافته", "failed": "ناموفق", "queued": "در صف",
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
          "text": "متن", "subject": "موضوع", "code": "کد پیگیری", "file": "پرونده", "month": "ماه"}

# A Persian sentence for the refusals people meet most, matched on the API's message; any other
# refusal gets its code's sentence and the field at fault (REFUSALS below), so none is shown in English only.
KNOWN = [
    (re.compile(r"wrong username or password"), "نام کاربری یا گذرواژه نادرست است."),
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
