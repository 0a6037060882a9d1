"""Personal data over HTTP on the running system (kernel.personal): a beneficiary's national ID,
mobile and address, a complainant's name and phone and a donor's name are sealed in the store — a
copy of the database shows none of them — yet read back, and found by national ID or mobile, by
those allowed; every read, list, search and registration of them is in the audit trail, which the
oversight head of the province sees and nobody else below the Center."""
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from kernel import jalali
from tests.system.conftest import PROXY_SECRET
from tests.system.helpers import account, eventually, form_kanoon, member, next_nid, staff, until_status

PROVINCE, OTHER = "IR-07", "IR-08"


@pytest.fixture(scope="module")
def place(system, admin):
    tag = uuid.uuid4().hex[:4]
    city = f"{PROVINCE}-P{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city",
                                          "parent_id": PROVINCE}).status_code == 201
    sec, _ = staff(admin, system.base, f"sec.pd.{tag}", "city_secretary", city, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.pd.{tag}")
    kanoon = form_kanoon(head_api, head, deputy, sec, "کانون امین", unit=city)
    oversight, oversight_id = staff(admin, system.base, f"ov.pd.{tag}", "oversight_head", PROVINCE, city=city)
    other_oversight, _ = staff(admin, system.base, f"ov2.pd.{tag}", "oversight_head", OTHER)
    vows, vows_id = staff(admin, system.base, f"vows.pd.{tag}", "vows_expert", PROVINCE, city=city)
    return {"tag": tag, "city": city, "kanoon": kanoon, "head": head_api, "head_id": head, "oversight": oversight,
            "oversight_id": oversight_id, "other_oversight": other_oversight, "vows": vows, "vows_id": vows_id}


def trail(api, unit, **params):
    r = api.get(f"/api/units/{unit}/personal-data-audit", params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def raw_text(doc) -> str:
    return repr(doc)


def test_a_beneficiary_is_sealed_at_rest_found_by_its_numbers_and_every_access_audited(system, place):
    nid = next_nid()
    r = until_status(lambda: place["head"].post("/api/beneficiaries", json={
        "kanoon_id": place["kanoon"], "full_name": "خانواده امینی", "national_id": nid, "mobile": "09157654321",
        "address": "کوچه گلستان ۱۲", "household_size": 4}), 201)
    assert r is not None
    bid = r.json()["id"]
    assert r.json()["national_id"] == nid and r.json()["address"].startswith("کوچه گلستان")

    stored = system.db("reports").beneficiaries.find_one({"_id": bid})
    text = raw_text(stored)
    for secret in (nid, "09157654321", "9157654321", "گلستان"):
        assert secret not in text, f"{secret} is in the store in clear"
    assert stored["national_id"].startswith("sealed:v1:") and stored["full_name"] == "خانواده امینی"

    # Found by its numbers (any digit form) through the blind index; read back in clear.
    persian_nid = nid.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for q in (persian_nid, "0915 765 4321"):
        found = place["head"].get(f"/api/kanoons/{place['kanoon']}/beneficiaries", params={"q": q}).json()
        assert [b["id"] for b in found["items"]] == [bid], q
        assert found["items"][0]["mobile"] == "09157654321"
    assert place["oversight"].get(f"/api/beneficiaries/{bid}").json()["national_id"] == nid

    # The trail: the head registered and searched, the oversight head read — by whom, what, where.
    def rows():
        got = trail(place["oversight"], place["city"], record_id=bid)
        return got if len(got) >= 4 else None
    got = eventually(rows)
    assert got, trail(place["oversight"], place["city"], record_id=bid)
    seen = sorted((e["action"], e["by_person_id"]) for e in got)
    assert seen == sorted([("create", place["head_id"]), ("search", place["head_id"]),
                           ("search", place["head_id"]), ("read", place["oversight_id"])])
    assert all(e["record_kind"] == "beneficiary" and e["service"] == "reports" and place["kanoon"] in e["path"]
               for e in got)
    assert jalali.parse_instant(got[0]["at"])   # shown in the Jalali calendar
    # Filtered by the reader.
    mine = trail(place["oversight"], place["city"], by_person_id=place["oversight_id"], record_kind="beneficiary")
    assert {e["action"] for e in mine} == {"read"}


def test_only_the_provinces_oversight_head_and_the_center_see_the_trail(system, admin, place):
    assert place["other_oversight"].get(f"/api/units/{place['city']}/personal-data-audit").status_code == 403
    assert place["head"].get(f"/api/units/{place['kanoon']}/personal-data-audit").status_code == 403
    assert place["vows"].get(f"/api/units/{PROVINCE}/personal-data-audit").status_code == 403
    assert admin.get(f"/api/units/{place['city']}/personal-data-audit").status_code == 200
    assert httpx.get(f"{system.base}/api/units/{place['city']}/personal-data-audit").status_code == 401
    bad = place["oversight"].get(f"/api/units/{place['city']}/personal-data-audit", params={"record_kind": "pets"})
    assert bad.status_code == 422 and "record_kind" in bad.text


def test_a_complainant_and_a_donor_are_sealed_and_their_readers_audited(system, place):
    # As if through the web app from an address of its own: the flood test of test_oversight_http
    # used up 127.0.0.1's allowance of public complaints.
    public = httpx.Client(base_url=system.base, timeout=30, headers={
        "X-Khadem-Proxy": PROXY_SECRET, "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.1.7"})
    r = until_status(lambda: public.post("/api/public/complaints", json={
        "subject_kind": "kanoon", "subject_id": place["kanoon"], "name": "زهرا رضایی", "phone": "09123334455",
        "text": "بسته‌های معیشتی به خانواده‌های کوچه ما نرسید"}), 201)
    assert r is not None
    stored = system.db("oversight").complaints.find_one({"subject.id": place["kanoon"]})
    assert stored is not None and stored["complainant"]["name"].startswith("sealed:v1:")
    assert "زهرا" not in raw_text(stored) and "09123334455" not in raw_text(stored)
    listed = place["oversight"].get(f"/api/units/{place['kanoon']}/complaints").json()["items"]
    assert listed and listed[0]["complainant"]["name"] == "زهرا رضایی"
    cid = listed[0]["id"]
    got = eventually(lambda: [e for e in trail(place["oversight"], place["city"], record_id=cid)
                              if e["action"] == "list"])
    assert got and got[0]["by_person_id"] == place["oversight_id"] and got[0]["record_kind"] == "complainant"
    created = trail(place["oversight"], place["city"], record_id=cid, record_kind="complainant")
    assert any(e["action"] == "create" and e["by_person_id"] is None for e in created)   # the public's own

    terminal = f"POS-PD{place['tag'].upper()}"
    assert until_status(lambda: place["vows"].post("/api/finance/terminals", json={
        "terminal_id": terminal, "kind": "pos", "label": "کارتخوان", "owner_id": place["kanoon"]}), 201) is not None
    at = jalali.format_datetime(datetime.now(timezone.utc) - timedelta(minutes=2))
    r = place["vows"].post("/api/finance/receipts", json={"terminal_id": terminal, "rrn": "9001", "at": at,
                                                           "amount": 500_000, "donor": "آقای نیکوکار"})
    assert r.status_code == 201 and r.json()["donor"] == "آقای نیکوکار", r.text
    rid = r.json()["id"]
    assert "نیکوکار" not in raw_text(system.db("finance").receipts.find_one({"_id": rid}))
    assert place["vows"].get(f"/api/finance/receipts/{rid}").json()["donor"] == "آقای نیکوکار"
    # The kanoon's head sees the receipt without its donor: nothing of a donor shown, nothing audited.
    assert place["head"].get(f"/api/finance/receipts/{rid}").json()["donor"] is None
    got = eventually(lambda: (lambda rows: rows if len(rows) >= 2 else None)(
        trail(place["oversight"], place["city"], record_id=rid)))
    assert got and sorted(e["action"] for e in got) == ["create", "read"]
    assert {e["by_person_id"] for e in got} == {place["vows_id"]} and {e["service"] for e in got} == {"finance"}
