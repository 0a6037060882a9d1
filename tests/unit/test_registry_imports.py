"""Reading HQ's lists (services/registry/domain/imports.py), without the store: headers in Persian or
English in any order, cells in Persian words and any digits, each row accepted for recording,
refused naming its column, or a duplicate of an earlier row."""
from datetime import date

import pytest

from kernel.errors import Invalid
from services.registry.domain import imports as im

TODAY = date(2026, 12, 7)
HEADER = ["نام", "نام خانوادگی", "کد ملی", "نوع", "جنسیت", "تاریخ تولد", "تحصیلات", "شهرستان", "تلفن همراه", "ستون دیگر"]


def row(nid="0499370899", **over):
    base = {"first_name": "علي", "last_name": "رضایی", "nid": nid, "kind": "یاور", "gender": "زن",
            "birth": "۱۳۷۰/۰۵/۱۲", "edu": "فوق لیسانس", "city": "IR-09-MSH", "mobile": "۰۹۱۵۱۲۳۴۵۶۷", "x": "?"}
    base.update(over)
    return list(base.values())


def test_headers_are_found_in_any_order_and_language_and_a_missing_one_refuses_the_file():
    cols = im.header_map("members", HEADER)
    assert cols["national_id"] == 2 and cols["city"] == 7 and "kanoon" not in cols
    english = im.header_map("members", ["national_id", "first_name", "last_name", "kind", "gender", "birth_date",
                                        "education", "city", "mobile"])
    assert english["mobile"] == 8
    with pytest.raises(Invalid) as exc:
        im.header_map("members", HEADER[:2])
    assert exc.value.field == "file" and "national_id" in exc.value.message
    with pytest.raises(Invalid):
        im.header_map("people", HEADER)


def test_a_member_row_reads_persian_words_and_digits():
    rows = im.read_rows("members", HEADER, [row()], TODAY)
    d = rows[0]["data"]
    assert (d["kind"], d["gender"], d["education"]) == ("yavar", "female", "master")
    assert d["birth_date"] == "1991-08-03" and d["mobile"] == "09151234567"
    assert d["first_name"] == "علی"    # Arabic yeh made Persian
    assert d["city"] == "IR-09-MSH" and d["kanoon"] is None


def test_excel_numbers_lose_no_leading_zero():
    d = im.read_rows("members", HEADER, [row(nid=499370899, mobile=9151234567)], TODAY)[0]["data"]
    assert d["national_id"] == "0499370899" and d["mobile"] == "09151234567"


@pytest.mark.parametrize("over,field", [
    ({"nid": "0499370898"}, "national_id"),            # the check digit
    ({"kind": "مهمان"}, "kind"),
    ({"gender": "؟"}, "gender"),
    ({"birth": "1370/13/01"}, "birth_date"),
    ({"birth": "1404/01/01"}, "birth_date"),           # too young to be a member
    ({"mobile": "12345"}, "mobile"),
    ({"city": None}, "city"),
    ({"kind": "خادمیار"}, None),                       # a khademyar without a service code
])
def test_a_bad_row_is_refused_naming_its_column(over, field):
    out = im.read_rows("members", HEADER, [row(**over)], TODAY)[0]
    assert out["outcome"]["status"] == "refused" and out["outcome"]["reason"]
    if field:
        assert out["outcome"]["field"] == field, out


def test_a_row_repeated_in_the_file_is_a_duplicate_of_the_first():
    out = im.read_rows("members", HEADER, [row(), row(nid="0016089316"), row()], TODAY)
    assert [("data" in r) for r in out] == [True, True, False]
    assert out[2]["outcome"]["status"] == "duplicate" and "row 1" in out[2]["outcome"]["reason"]


def test_units_and_kanoons_rows():
    units = im.read_rows("units", ["id", "name", "kind", "parent"],
                         [["ir-09-msh-n1", "محله", "محله", "IR-09-MSH"], ["X", "x", "قاره", "IR"]], TODAY)
    assert units[0]["data"] == {"id": "IR-09-MSH-N1", "name": "محله", "kind": "neighborhood", "parent_id": "IR-09-MSH"}
    assert units[1]["outcome"]["field"] == "kind"
    header = ["کد کانون", "نام کانون", "نوع", "واحد", "کد ملی مسئول", "کد ملی معاون", "تاریخ تأسیس"]
    ks = im.read_rows("kanoons", header, [["K1", "کانون", "محله‌محور", "IR-09-MSH", "0499370899", "0016089316", "1402/01/15"],
                                          ["K2", "کانون", "تخصصی", "IR-09-MSH", "0499370899", "0499370899", "1402/01/15"],
                                          ["K3", "کانون", "محله محور", "IR-09-MSH", "0499370899", "0016089316", "1499/01/01"]], TODAY)
    assert ks[0]["data"]["founding_date"] == "2023-04-04" and ks[0]["data"]["kind"] == "neighborhood"
    assert ks[1]["outcome"]["field"] == "deputy_national_id"
    assert ks[2]["outcome"]["field"] == "founding_date"
    # The same code in the same unit is the same kanoon, whatever its case or digits.
    assert im.kanoon_id("IR-09-MSH", "k1") == im.kanoon_id("IR-09-MSH", "K1")
    assert im.kanoon_id("IR-09-MSH", "K1") != im.kanoon_id("IR-09-NSH", "K1")


def test_an_empty_or_oversized_file_is_refused_whole():
    with pytest.raises(Invalid):
        im.read_rows("members", HEADER, [], TODAY)
