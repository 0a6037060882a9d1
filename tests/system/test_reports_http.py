"""Activity reporting over HTTP on the running system (registry and reports services, gateway):
a member reports, their head approves, another kanoon's head is refused; a month without a program
shows as missed; a monthly report is returned and resubmitted; aggregates match what was entered;
beneficiaries stay with their kanoon; bad input changes nothing."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kernel import jalali
from services.reports.domain.monthly import monthly_deadline
from tests.system.helpers import account, eventually, form_kanoon, member, staff

TODAY = jalali.today()
THIS = jalali.period_of(TODAY)
LAST = jalali.period_of(THIS.first_day - timedelta(days=1))


def jday(d):
    return jalali.format_date(d)




@pytest.fixture(scope="module")
def net(system, admin):
    """A city of its own with two kanoons founded before last month, a member of the first, and the
    staff who review them."""
    tag = uuid.uuid4().hex[:4]
    city = f"IR-13-R{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-13"}).status_code == 201
    sec, _ = staff(admin, system.base, f"sec.rep.{tag}", "city_secretary", city, city=city)
    founded = jday(LAST.first_day)
    apis = {}
    kanoons = []
    for name in ("a", "b"):
        head, deputy = member(admin, city=city), member(admin, city=city)
        apis[name] = account(admin, system.base, head, f"head.{name}.{tag}")
        kanoons.append(form_kanoon(apis[name], head, deputy, sec, f"کانون {name}", unit=city, founding_date=founded))
    yavar = member(admin, kind="yavar", city=city)
    assert apis["a"].post("/api/memberships", json={"person_id": yavar, "kanoon_id": kanoons[0]}).status_code == 200
    me = account(admin, system.base, yavar, f"yavar.{tag}")
    oversight, _ = staff(admin, system.base, f"oversight.{tag}", "oversight_head", "IR-13", city=city)
    return {"city": city, "a": kanoons[0], "b": kanoons[1], "head_a": apis["a"], "head_b": apis["b"], "sec": sec,
            "me": me, "oversight": oversight, "yavar": yavar}


def report(kid, day, **extra):
    return {"kanoon_id": kid, "service_type": "food_packages", "day": jday(day), "hours": 3, "place": "مسجد محل",
            "beneficiaries": 9, "description": "توزیع بسته‌های معیشتی", **extra}


def test_reports_are_approved_by_their_own_kanoon_and_counted(system, admin, net):
    day = LAST.first_day + timedelta(days=9)
    # The reports service learns the membership from the registry's events; it is there at once or soon.
    r = eventually(lambda: (lambda x: x if x.status_code == 201 else None)(
        net["me"].post("/api/activity-reports", json=report(net["a"], day))))
    assert r is not None, "the member could not report for their kanoon"
    first = r.json()
    assert first["day"] == jday(day) and first["status"] == "submitted"

    refused = net["head_b"].post(f"/api/activity-reports/{first['id']}/review", json={"approve": True})
    assert refused.status_code == 403 and refused.json()["message"]
    assert net["me"].post(f"/api/activity-reports/{first['id']}/review", json={"approve": True}).status_code == 403
    r = eventually(lambda: (lambda x: x if x.status_code == 200 else None)(
        net["head_a"].post(f"/api/activity-reports/{first['id']}/review", json={"approve": True})))
    assert r is not None and r.json()["status"] == "approved"

    second = net["me"].post("/api/activity-reports", json=report(net["a"], day, hours=1.5, beneficiaries=2)).json()
    r = net["head_a"].post(f"/api/activity-reports/{second['id']}/review", json={"approve": False})
    assert r.status_code == 422 and r.json()["message"]
    r = net["head_a"].post(f"/api/activity-reports/{second['id']}/review",
                           json={"approve": False, "reason": "تصویری پیوست نشده است"})
    assert r.json()["status"] == "rejected"

    third = net["me"].post("/api/activity-reports", json=report(net["a"], day, hours=2, beneficiaries=4,
                                                                service_type="quran_classes")).json()
    net["head_a"].post(f"/api/activity-reports/{third['id']}/review", json={"approve": True})
    # The city secretary returns it during review: it stops counting until resubmitted and approved.
    r = net["sec"].post(f"/api/activity-reports/{third['id']}/return", json={"comment": "ساعات نادرست است"})
    assert r.status_code == 200 and r.json()["status"] == "returned"

    def figures():
        a = net["sec"].get(f"/api/units/{net['city']}/aggregates", params={"period": str(LAST)}).json()
        return a if a["reports"] == {"submitted": 0, "approved": 1, "rejected": 1, "returned": 1} else None
    agg = eventually(figures)
    assert agg, net["sec"].get(f"/api/units/{net['city']}/aggregates", params={"period": str(LAST)}).json()
    assert agg["hours"] == 3 and agg["beneficiaries"] == 9
    assert agg["by_service_type"]["food_packages"]["reports"] == 1
    assert agg["by_service_type"].get("quran_classes", {}).get("reports", 0) == 0
    # The same figures at every level above, and for the year that holds the month.
    year = admin.get("/api/units/IR-13/aggregates", params={"period": str(LAST.year)}).json()
    assert year["reports"]["approved"] >= 1 and year["hours"] >= 3
    kanoon_b = net["head_b"].get(f"/api/units/{net['b']}/aggregates", params={"period": str(LAST)}).json()
    assert kanoon_b["reports"]["approved"] == 0
    assert net["head_b"].get(f"/api/units/{net['a']}/aggregates", params={"period": str(LAST)}).status_code == 403
    # The read model agrees with the reports themselves.
    rows = list(system.db("reports").activity_reports.find({"kanoon_id": net["a"], "status": "approved"}))
    assert sum(r["hours"] for r in rows) == agg["hours"] and len(rows) == agg["reports"]["approved"]


def test_a_month_without_a_program_is_missed(net):
    held_on = jday(LAST.first_day + timedelta(days=3))
    r = net["head_a"].post("/api/programs", json={"kanoon_id": net["a"], "title": "چهارشنبه امام رضایی",
                                                  "held_on": held_on, "attendance": 60})
    assert r.status_code == 201, r.text
    assert net["head_b"].post("/api/programs", json={"kanoon_id": net["a"], "title": "x", "held_on": held_on,
                                                     "attendance": 5}).status_code == 403
    c = net["sec"].get(f"/api/units/{net['city']}/program-compliance", params={"month": str(LAST)}).json()
    assert c["expected"] == 2 and c["complied"] == 1
    assert [m["kanoon_id"] for m in c["missed"]] == [net["b"]]


def test_a_monthly_report_is_returned_resubmitted_and_locked(net):
    body = {"kanoon_id": net["a"], "month": str(LAST), "clients": 120, "public_requests": 10,
            "public_requests_answered": 7}
    assert net["head_a"].post("/api/monthly-reports", json={**body, "month": str(THIS)}).status_code == 422
    assert net["head_b"].post("/api/monthly-reports", json=body).status_code == 403
    r = net["head_a"].post("/api/monthly-reports", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["figures"]["reports"] >= 1 and r.json()["figures"]["programs"] == 1
    assert net["head_a"].post("/api/monthly-reports", json=body).status_code == 409  # not returned yet
    url = f"/api/kanoons/{net['a']}/monthly-reports/{LAST}/review"
    assert net["head_a"].post(url, json={"accept": True}).status_code == 403
    r = net["sec"].post(url, json={"accept": False, "comment": "پاسخ به درخواست‌ها کامل نیست"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    r = net["head_a"].post("/api/monthly-reports", json={**body, "public_requests_answered": 10})
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    assert net["sec"].post(url, json={"accept": True}).json()["status"] == "accepted"
    assert net["head_a"].post("/api/monthly-reports", json=body).status_code == 409  # locked
    assert net["sec"].post(url, json={"accept": False, "comment": "دوباره"}).status_code == 409

    c = net["sec"].get(f"/api/units/{net['city']}/monthly-completeness", params={"month": str(LAST)}).json()
    on_time = datetime.now(timezone.utc) <= monthly_deadline(str(LAST))
    assert (c["expected"], c["reported"], c["on_time"]) == (2, 1, 1 if on_time else 0)
    assert [m["kanoon_id"] for m in c["missing"]] == [net["b"]]
    assert c["reported_rate"] == 0.5

    def accepted():
        a = net["sec"].get(f"/api/units/{net['city']}/aggregates", params={"period": str(LAST)}).json()
        return a if a["monthly_reports"]["accepted"] == 1 else None
    agg = eventually(accepted)
    assert agg["clients"] == 120 and agg["public_requests"] == {"received": 10, "answered": 10, "response_rate": 1.0}


def test_beneficiaries_are_seen_only_by_their_kanoon_and_the_oversight_group(net):
    r = net["head_a"].post("/api/beneficiaries", json={"kanoon_id": net["a"], "full_name": "خانواده کریمی",
                                                       "national_id": "0499370899", "household_size": 4,
                                                       "mobile": "09151112233"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    assert net["head_b"].get(f"/api/beneficiaries/{bid}").status_code == 403
    assert net["sec"].get(f"/api/beneficiaries/{bid}").status_code == 403
    assert net["oversight"].get(f"/api/beneficiaries/{bid}").json()["full_name"] == "خانواده کریمی"
    listing = net["sec"].get(f"/api/kanoons/{net['a']}/beneficiaries").json()
    assert listing == {"total": 1, "items": None}
    assert net["head_a"].get(f"/api/kanoons/{net['a']}/beneficiaries").json()["items"][0]["id"] == bid


def test_bad_reports_are_refused_and_nothing_is_written(system, net):
    db = system.db("reports")
    before = db.activity_reports.count_documents({})
    day = TODAY - timedelta(days=1)
    cases = [
        (report(net["b"], day), 403, None),                                 # not their kanoon
        (report(net["a"], TODAY + timedelta(days=1)), 422, "day"),          # the future
        (report(net["a"], day, hours=-2), 422, "hours"),                    # negative hours
        (report(net["a"], day, hours=25), 422, "hours"),
        (report(net["a"], day, beneficiaries=-1), 422, "beneficiaries"),
        (report(net["a"], day, service_type="no_such_type"), 404, "service_type"),
        (report(net["a"], day, service_type="free_medical_visits"), 422, "service_type"),  # a field's type
        (report(net["a"], day, campaign_id="cp_missing"), 404, "campaign_id"),
        (report("kn_missing", day), 404, "kanoon_id"),
        (report(net["a"], TODAY - timedelta(days=400)), 422, "day"),
        ({**report(net["a"], day), "day": "1404/13/01"}, 422, "day"),
        ({**report(net["a"], day), "media": [{"kind": "photo", "url": "not a url"}]}, 422, "media.0.url"),
        ({**report(net["a"], day), "extra": 1}, 422, "extra"),
    ]
    for payload, status, field in cases:
        r = net["me"].post("/api/activity-reports", json=payload)
        assert r.status_code == status, (payload, r.text)
        assert r.json()["message"] and (field is None or r.json()["field"] == field), r.json()
    for path, params, field in [(f"/api/units/{net['city']}/aggregates", {"period": "1403-13"}, "period"),
                                (f"/api/units/{net['city']}/program-compliance", {"month": "1403"}, "month"),
                                (f"/api/kanoons/{net['a']}/activity-reports", {"status": "lost"}, "status")]:
        r = net["sec"].get(path, params=params)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert db.activity_reports.count_documents({}) == before
