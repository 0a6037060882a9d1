"""HQ's lists imported over HTTP on the running system (DOMAIN §8): members, units and kanoons from
Excel and CSV as jobs with progress; every refused row is reported with its field and reason and
changes nothing; the valid rows land; the same file again creates nothing twice; a file refused as
a whole says why."""
from __future__ import annotations

import io
import time
import uuid

import openpyxl
import pytest

from tests.system.helpers import eventually, next_nid, staff

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MEMBER_HEADER = ["کد ملی", "نام", "نام خانوادگی", "نوع", "جنسیت", "تاریخ تولد", "تحصیلات", "شهرستان",
                 "تلفن همراه", "کد خدمتی", "کانون"]


def xlsx(header: list, rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def upload(api, kind: str, content: bytes, name: str = "list.xlsx") -> dict:
    r = api.post("/api/imports", data={"kind": kind}, files={"file": (name, content)})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/api/imports/{r.json()['id']}"
    return r.json()


def finished(api, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"/api/imports/{job_id}", params={"limit": 500}).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


@pytest.fixture(scope="module")
def hq(system, admin):
    tag = uuid.uuid4().hex[:5].upper()
    prov, city = f"IR-M{tag}", f"IR-M{tag}-C"
    assert admin.post("/api/units", json={"id": prov, "name": "استان فهرست", "kind": "province",
                                          "parent_id": "IR-R2"}).status_code == 201
    assert admin.post("/api/units", json={"id": city, "name": f"شهر {tag}", "kind": "city",
                                          "parent_id": prov}).status_code == 201
    manager, _ = staff(admin, system.base, f"imp.hq.{tag.lower()}", "province_manager", prov, city=city)
    return {"tag": tag, "province": prov, "city": city, "manager": manager}


def test_members_land_refusals_are_reported_and_a_second_run_creates_nothing(system, admin, hq):
    nids = [next_nid() for _ in range(5)]
    bad = nids[0][:-1] + str((int(nids[0][-1]) + 1) % 10)     # a wrong check digit
    rows = [
        [nids[0], "علی", "رضایی", "خادمیار", "مرد", "1365/02/10", "کارشناسی", hq["city"], "09151234567", f"S-{nids[0]}", None],
        [nids[1].translate(FA), "زهرا", "محمدی", "یاور", "زن", "۱۳۷۰/۰۵/۱۲", "دیپلم", f"شهر {hq['tag']}", "۰۹۱۵۱۲۳۴۵۶۸", None, None],
        [int(nids[2]), "حسن", "کریمی", "yavar", "male", "1360/01/01", "master", hq["city"], 9151234569, None, None],
        [bad, "مریم", "احمدی", "یاور", "زن", "1368/03/03", "دیپلم", hq["city"], "09151234570", None, None],
        [nids[3], "رضا", "حسینی", "یاور", "مرد", "1369/04/04", "دیپلم", "IR-NOWHERE", "09151234571", None, None],
        [nids[0], "علی", "رضایی", "خادمیار", "مرد", "1365/02/10", "کارشناسی", hq["city"], "09151234567", f"S-{nids[0]}", None],
        [nids[4], "رضا", "حسینی", "یاور", "مرد", "1369/04/04", "دیپلم", "IR-09", "09151234571", None, None],
    ]
    content = xlsx(MEMBER_HEADER, rows)
    job = finished(hq["manager"], upload(hq["manager"], "members", content)["id"])
    assert job["status"] == "done" and job["format"] == "xlsx", job
    assert (job["rows"], job["accepted"], job["duplicates"], job["refused"]) == (7, 3, 1, 3), job
    assert job["progress"] == 1.0 and job["done_rows"] == 7
    by_row = {o["row"]: o for o in job["outcomes"]}
    assert by_row[4]["status"] == "refused" and by_row[4]["field"] == "national_id"
    assert by_row[5]["status"] == "refused" and by_row[5]["field"] == "city" and "IR-NOWHERE" in by_row[5]["reason"]
    assert by_row[6]["status"] == "duplicate" and "row 1" in by_row[6]["reason"]
    assert by_row[7]["status"] == "refused" and "not a city" in by_row[7]["reason"]
    people = system.db("registry").people
    landed = {d["national_id"]: d for d in people.find({"national_id": {"$in": nids}})}
    assert set(landed) == set(nids[:3])
    assert landed[nids[1]]["mobile"] == "09151234568" and landed[nids[2]]["mobile"] == "09151234569"
    assert landed[nids[0]]["city_id"] == hq["city"] == landed[nids[1]]["city_id"]   # by id and by name
    assert by_row[1]["id"] == landed[nids[0]]["_id"]
    # Only the refused rows, and as a spreadsheet for the person fixing the file.
    refused = hq["manager"].get(f"/api/imports/{job['id']}", params={"status": "refused"}).json()
    assert [o["row"] for o in refused["outcomes"]] == [4, 5, 7] and refused["outcomes_total"] == 3
    sheet = hq["manager"].get(f"/api/imports/{job['id']}", params={"status": "refused", "export": "xlsx"})
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"

    # The same file again (a new request): nothing is created twice.
    again = finished(hq["manager"], upload(hq["manager"], "members", content)["id"])
    assert (again["accepted"], again["duplicates"], again["refused"]) == (0, 4, 3), again
    assert people.count_documents({"national_id": {"$in": nids}}) == 3
    # The same request retried (the same Idempotency-Key) is the same job.
    key = uuid.uuid4().hex
    first = hq["manager"].post("/api/imports", data={"kind": "members"}, files={"file": ("a.xlsx", content)},
                               headers={"Idempotency-Key": key})
    second = hq["manager"].post("/api/imports", data={"kind": "members"}, files={"file": ("a.xlsx", content)},
                                headers={"Idempotency-Key": key})
    assert first.json()["id"] == second.json()["id"]
    # Someone else's import is not theirs to read.
    assert admin.get(f"/api/imports/{job['id']}").status_code == 200
    other, _ = staff(admin, system.base, f"imp.other.{hq['tag'].lower()}", "province_manager", hq["province"], city=hq["city"])
    assert other.get(f"/api/imports/{job['id']}").status_code == 403


def test_units_then_kanoons_then_their_members(system, admin, hq):
    units = f"id,name,kind,parent\r\n{hq['city']}-N1,محله یک,محله,{hq['city']}\r\n{hq['city']}-N2,محله دو,روستا,{hq['city']}\r\n"
    job = finished(admin, upload(admin, "units", b"\xef\xbb\xbf" + units.encode(), "units.csv")["id"])
    assert job["format"] == "csv" and (job["accepted"], job["refused"]) == (1, 1), job
    assert job["outcomes"][1]["field"] == "kind"
    assert admin.get(f"/api/units/{hq['city']}-N1").json()["path"][-2:] == [hq["city"], f"{hq['city']}-N1"]
    # A province manager may not add units above neighborhoods: each such row is refused.
    job = finished(hq["manager"], upload(hq["manager"], "units", f"id,name,kind,parent\r\n{hq['province']}-X,شهر,شهرستان,{hq['province']}\r\n".encode(), "u.csv")["id"])
    assert job["refused"] == 1 and job["outcomes"][0]["field"] == "parent_id"

    head, deputy, third = next_nid(), next_nid(), next_nid()
    people = [[n, "نام", f"خانواده {i}", "خادمیار", "مرد", "1360/01/01", "کارشناسی", hq["city"], "09151234567", f"S-{n}", None]
              for i, n in enumerate((head, deputy))]
    assert finished(hq["manager"], upload(hq["manager"], "members", xlsx(MEMBER_HEADER, people))["id"])["accepted"] == 2
    kanoons = xlsx(["کد کانون", "نام کانون", "نوع", "واحد", "کد ملی مسئول", "کد ملی معاون", "تاریخ تأسیس"],
                   [["K-1", "کانون امید", "محله‌محور", f"{hq['city']}-N1", head, deputy, "1402/01/15"],
                    ["K-2", "کانون بی‌مسئول", "محله‌محور", f"{hq['city']}-N1", next_nid(), deputy, "1402/01/15"]])
    job = finished(hq["manager"], upload(hq["manager"], "kanoons", kanoons)["id"])
    assert (job["accepted"], job["refused"]) == (1, 1), job
    assert job["outcomes"][1]["field"] == "head_national_id"
    kid = job["outcomes"][0]["id"]
    k = hq["manager"].get(f"/api/kanoons/{kid}").json()
    assert k["status"] == "active" and k["member_count"] == 2 and k["founding_date"] == "1402/01/15"
    again = finished(hq["manager"], upload(hq["manager"], "kanoons", kanoons)["id"])
    assert (again["accepted"], again["duplicates"]) == (0, 1) and again["outcomes"][0]["id"] == kid

    # Members with their kanoon: they join it, and the reports service learns it from the events.
    row = [third, "فاطمه", "رضوی", "یاور", "زن", "1375/06/01", "دیپلم", hq["city"], "09151234572", None, kid]
    job = finished(hq["manager"], upload(hq["manager"], "members", xlsx(MEMBER_HEADER, [row]))["id"])
    assert job["accepted"] == 1, job
    assert hq["manager"].get(f"/api/kanoons/{kid}").json()["member_count"] == 3
    pid = job["outcomes"][0]["id"]
    reports = system.db("reports")
    assert eventually(lambda: (reports.members.find_one({"_id": pid}) or {}).get("kanoon_id") == kid)


def test_a_file_refused_as_a_whole_says_why_and_changes_nothing(system, hq):
    before = system.db("registry").people.count_documents({})
    job = finished(hq["manager"], upload(hq["manager"], "members", "name,phone\r\nعلی,0915\r\n".encode(), "x.csv")["id"])
    assert job["status"] == "failed" and job["error"]["field"] == "file"
    assert "national_id" in job["error"]["message"]
    r = hq["manager"].post("/api/imports", data={"kind": "members"}, files={"file": ("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 64)})
    assert r.status_code == 202
    assert "xlsx" in finished(hq["manager"], r.json()["id"])["error"]["message"]
    r = hq["manager"].post("/api/imports", data={"kind": "people"}, files={"file": ("x.csv", b"a,b\r\n1,2\r\n")})
    assert r.status_code == 422 and r.json()["field"] == "kind"
    assert system.db("registry").people.count_documents({}) == before
