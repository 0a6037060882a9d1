"""Lists and tables as spreadsheets through the running gateway: the same rows as the route's JSON,
for the same caller with the same rights (an unsigned caller gets no sheet); a right-to-left xlsx
with Persian headers and Jalali dates, a CSV with a byte-order mark; an unknown format is a 422."""
import csv
import io
import uuid

import httpx
import openpyxl
import pytest

from tests.system.helpers import account, form_kanoon, member, staff


@pytest.fixture(scope="module")
def city(system, admin):
    tag = uuid.uuid4().hex[:4]
    city = f"IR-22-X{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-22"}).status_code == 201
    sec, _ = staff(admin, system.base, f"sec.x.{tag}", "city_secretary", city, city=city)
    for n in range(2):
        head, deputy = member(admin, city=city), member(admin, city=city)
        form_kanoon(account(admin, system.base, head, f"head.x{n}.{tag}"), head, deputy, sec, f"کانون {n}", unit=city)
    return city


def test_a_list_is_exported_as_the_same_rows_to_xlsx_and_csv(system, admin, city):
    as_json = admin.get(f"/api/units/{city}/kanoons", params={"limit": 50}).json()["items"]
    assert len(as_json) == 2
    r = admin.get(f"/api/units/{city}/kanoons", params={"limit": 50, "export": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f'filename="units-{city}-kanoons.xlsx"' in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet.sheet_view.rightToLeft is True
    header = [c.value for c in sheet[1]]
    assert "نام" in header and "تاریخ تأسیس" in header
    assert sheet.max_row == len(as_json) + 1
    names = [row[header.index("نام")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [k["name"] for k in as_json]
    founded = [row[header.index("تاریخ تأسیس")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(d, str) and d[:2] in ("13", "14") and "/" in d for d in founded)   # Jalali

    r = admin.get(f"/api/units/{city}/kanoons", params={"limit": 50, "export": "csv"})
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(table) == len(as_json) + 1 and table[0] == header


def test_an_export_keeps_the_routes_rights_and_refuses_an_unknown_format(system, admin):
    r = httpx.get(f"{system.base}/api/units/IR-09/kanoons", params={"export": "xlsx"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    r = admin.get("/api/units/IR-09/kanoons", params={"export": "pdf"})
    assert r.status_code == 422 and r.json()["field"] == "export"
    r = admin.get("/api/units/NOWHERE/kanoons", params={"export": "csv"})
    assert r.status_code == 404 and r.json()["field"] == "unit_id"
