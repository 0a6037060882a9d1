"""Lists and tables as spreadsheets (gateway.export), with no I/O: rows from a list, a page or a
table; nested objects spread into columns; Persian headers; a right-to-left sheet with numbers kept
as numbers; CSV with a byte-order mark."""
import csv
import io

import openpyxl

from gateway import export


def test_rows_come_from_a_list_a_page_a_table_or_one_object_and_nothing_else():
    assert export.rows_of([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert export.rows_of({"total": 9, "items": [{"a": 1}]}) == [{"a": 1}]
    assert export.rows_of({"rows": [{"x": 1}]}) == [{"x": 1}]
    assert export.rows_of({"year": 1405, "of": 3}) == [{"year": 1405, "of": 3}]
    assert export.rows_of("text") is None
    assert export.rows_of([3, 4]) == [{"value": 3}, {"value": 4}]


def test_nested_objects_become_columns_and_lists_are_joined_or_counted():
    rows = export.rows_of([{"id": "kn_1", "ranks": {"city": {"rank": 2, "of": 9}}, "tags": ["الف", "ب"],
                            "judges": [{"p": 1}, {"p": 2}]}])
    assert rows == [{"id": "kn_1", "ranks.city.rank": 2, "ranks.city.of": 9, "tags": "الف، ب", "judges": 2}]
    assert export.label("ranks.city.rank") == "رتبه‌ها / شهرستان / رتبه"
    assert export.label("unknown_field") == "unknown_field"


def test_an_xlsx_is_right_to_left_with_persian_headers_and_numbers_as_numbers():
    rows = export.rows_of([{"name": "کانون الف", "members": 12, "founding_date": "1403/07/15", "below_floor": False},
                           {"name": "کانون ب", "members": 30, "founding_date": "1404/01/05", "below_floor": True}])
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(rows, "kanoons")))
    sheet = book.active
    assert sheet.sheet_view.rightToLeft is True and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["نام", "اعضا", "تاریخ تأسیس", "زیر کف"]
    assert [c.value for c in sheet[3]] == ["کانون ب", 30, "1404/01/05", "بله"]
    assert sheet[1][0].font.bold


def test_a_csv_starts_with_a_byte_order_mark_and_has_the_same_rows():
    data = export.to_csv(export.rows_of([{"name": "کانون", "members": 5, "head_id": None}]))
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table == [["نام", "اعضا", "مسئول"], ["کانون", "5", ""]]
