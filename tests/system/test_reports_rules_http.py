"""The reports service's loose ends, over HTTP: beneficiaries' data is its kanoon's officials' and
the oversight group's only (not an administrator's by default), and so are the needs that describe
them; beneficiaries are found in either letter form; reservations are cancelled; a participatory
program joins kanoons of the other kind; a resubmitted report meets its campaign's terms again;
aggregates split khademyars' and yavars' activity; a need finds a specialized khademyar where the
city has no kanoon of its field."""
import uuid
from datetime import timedelta

import pytest

from kernel import jalali
from tests.system.helpers import ATTEST, account, eventually, form_kanoon, member, staff, until_status

TODAY = jalali.today()


def jday(d):
    return jalali.format_date(d)




@pytest.fixture(scope="module")
def net(system, admin):
    tag = uuid.uuid4().hex[:4]
    city, other_city = f"IR-12-L{tag.upper()}", f"IR-12-M{tag.upper()}"
    for cid in (city, other_city):
        assert admin.post("/api/units", json={"id": cid, "name": "شهر", "kind": "city", "parent_id": "IR-12"}).status_code == 201
    sec, _ = staff(admin, system.base, f"sec.rr.{tag}", "city_secretary", city, city=city)
    founded = jday(TODAY - timedelta(days=70))
    heads = {}
    kanoons = {}
    for name in ("a", "b"):
        head, deputy = member(admin, city=city), member(admin, city=city)
        heads[name] = account(admin, system.base, head, f"head.rr{name}.{tag}")
        kanoons[name] = form_kanoon(heads[name], head, deputy, sec, f"کانون {name}", unit=city, founding_date=founded)
    # A legal specialized kanoon in the other city of the province (the province manager decides).
    head, deputy = member(admin, city=other_city), member(admin, city=other_city)
    r = admin.post("/api/kanoons", json={"name": "کانون حقوقدانان", "kind": "specialized", "field": "legal",
                                         "deputy_area": "social", "unit_id": other_city, "head_id": head,
                                         "deputy_id": deputy})
    assert r.status_code == 201, r.text
    legal = r.json()["id"]
    assert admin.put(f"/api/kanoons/{legal}/place", json={"kind": "other", "name": "دفتر", "address": "x"}).status_code == 200
    council = [{"full_name": f"عضو {i}", "title": "وکیل"} for i in range(5)]
    assert admin.put(f"/api/kanoons/{legal}/council", json={"members": council}).status_code == 200
    assert admin.post(f"/api/kanoons/{legal}/forms", json={"neighborhood": "-", "households_estimate": 0, "founding_members": 2,
                                                           "programs_planned": "مشاوره"}).status_code == 200
    r = admin.post(f"/api/kanoons/{legal}/approval", json={**ATTEST, "founding_date": founded})
    assert r.status_code == 200, r.text
    lawyer = member(admin, city=other_city)   # a khademyar
    assert admin.post("/api/memberships", json={"person_id": lawyer, "kanoon_id": legal}).status_code == 200
    yavar, khademyar = member(admin, kind="yavar", city=city), member(admin, city=city)
    for p in (yavar, khademyar):
        assert heads["a"].post("/api/memberships", json={"person_id": p, "kanoon_id": kanoons["a"]}).status_code == 200
    oversight, _ = staff(admin, system.base, f"oversight.rr.{tag}", "oversight_head", "IR-12", city=city)
    return {"city": city, **kanoons, "legal": legal, "lawyer": lawyer, "head_a": heads["a"], "head_b": heads["b"],
            "sec": sec, "oversight": oversight,
            "yavar": account(admin, system.base, yavar, f"yavar.rr.{tag}"),
            "khademyar": account(admin, system.base, khademyar, f"khadem.rr.{tag}")}


def report(kid, day, **extra):
    return {"kanoon_id": kid, "service_type": "food_packages", "day": jday(day), "hours": 2, "place": "مسجد",
            "beneficiaries": 3, "description": "توزیع", **extra}


def test_beneficiaries_and_the_needs_about_them_are_their_kanoons_and_the_oversight_groups(admin, net):
    r = net["head_a"].post("/api/beneficiaries", json={"kanoon_id": net["a"], "full_name": "خانواده كريمي",
                                                       "national_id": "0499370899", "mobile": "09151112233"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    assert admin.get(f"/api/beneficiaries/{bid}").status_code == 403
    assert admin.get(f"/api/kanoons/{net['a']}/beneficiaries").json() == {"total": 1, "items": None}
    assert net["oversight"].get(f"/api/beneficiaries/{bid}").status_code == 200
    # Found by the Persian letters of a name stored with Arabic ones, and by an ID in Persian digits.
    for q in ("کریمی", "خانواده کر", "۰۴۹۹۳۷۰۸۹۹", "0915 111 2233"):
        found = net["head_a"].get(f"/api/kanoons/{net['a']}/beneficiaries", params={"q": q}).json()
        assert [b["id"] for b in found["items"]] == [bid], (q, found)
    assert net["head_a"].get(f"/api/kanoons/{net['a']}/beneficiaries", params={"q": "رحیمی"}).json()["total"] == 0
    assert net["sec"].get(f"/api/kanoons/{net['a']}/beneficiaries", params={"q": "کریمی"}).status_code == 403
    r = net["head_a"].get(f"/api/kanoons/{net['a']}/beneficiaries", params={"q": "ک"})
    assert r.status_code == 422 and r.json()["field"] == "q"

    r = net["head_a"].post("/api/needs", json={"kanoon_id": net["a"], "beneficiary_id": bid, "title": "ویزیت",
                                                "description": "مادر خانواده بیماری قلبی دارد"})
    assert r.status_code == 201 and r.json()["description"]
    general = net["head_a"].post("/api/needs", json={"kanoon_id": net["a"], "title": "رنگ‌آمیزی مسجد",
                                                      "description": "دیوارهای شبستان"}).json()
    seen = {n["id"]: n for n in net["sec"].get(f"/api/kanoons/{net['a']}/needs").json()}
    assert seen[r.json()["id"]]["description"] is None and seen[r.json()["id"]]["withheld"] is True
    assert seen[r.json()["id"]]["beneficiary_id"] is None and seen[r.json()["id"]]["title"] == "ویزیت"
    assert seen[general["id"]]["description"] == "دیوارهای شبستان"
    own = {n["id"]: n for n in net["head_a"].get(f"/api/kanoons/{net['a']}/needs").json()}
    assert own[r.json()["id"]]["description"] == "مادر خانواده بیماری قلبی دارد"


def test_a_member_cancels_their_reservation(net):
    body = {"kanoon_id": net["a"], "service_type": "food_packages", "day": jday(TODAY + timedelta(days=3)),
            "from_hour": 16, "to_hour": 18}
    r = until_status(lambda: net["yavar"].post("/api/reservations", json=body), 201)
    assert r is not None
    rid = r.json()["id"]
    assert net["head_b"].post(f"/api/reservations/{rid}/cancellation").status_code == 403
    r = net["yavar"].post(f"/api/reservations/{rid}/cancellation")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert net["yavar"].post(f"/api/reservations/{rid}/cancellation").status_code == 409


def test_a_participatory_program_joins_a_neighborhood_and_a_specialized_kanoon(net):
    body = {"kanoon_id": net["a"], "title": "اردوی جهادی", "held_on": jday(TODAY - timedelta(days=1)), "attendance": 20}
    r = net["head_a"].post("/api/programs", json={**body, "partner_kanoon_ids": [net["b"]]})
    assert r.status_code == 422 and r.json()["field"] == "partner_kanoon_ids"
    r = until_status(lambda: net["head_a"].post("/api/programs", json={**body, "partner_kanoon_ids": [net["legal"]]}), 201)
    assert r is not None and r.json()["partner_kanoon_ids"] == [net["legal"]]


def test_a_resubmitted_report_meets_its_campaigns_terms_again(admin, net):
    start = TODAY - timedelta(days=5)
    c = admin.post("/api/campaigns", json={"title": "پویش", "scope_id": "IR-12", "starts_on": jday(start),
                                           "ends_on": jday(TODAY), "service_types": ["food_packages"]})
    assert c.status_code == 201, c.text
    r = until_status(lambda: net["khademyar"].post("/api/activity-reports",
                                                   json=report(net["a"], TODAY - timedelta(days=1), campaign_id=c.json()["id"])), 201)
    assert r is not None
    rid = r.json()["id"]
    assert until_status(lambda: net["head_a"].post(f"/api/activity-reports/{rid}/review", json={"approve": True}), 200)
    assert net["sec"].post(f"/api/activity-reports/{rid}/return", json={"comment": "اصلاح"}).status_code == 200
    url = f"/api/activity-reports/{rid}/resubmission"
    r = net["khademyar"].post(url, json={"service_type": "quran_classes"})
    assert r.status_code == 422 and r.json()["field"] == "service_type"
    r = net["khademyar"].post(url, json={"day": jday(start - timedelta(days=1))})
    assert r.status_code == 422 and r.json()["field"] == "day"
    r = net["khademyar"].post(url, json={"day": jday(start), "hours": 4})
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["day"] == jday(start)


def test_aggregates_split_khademyars_and_yavars_activity(net):
    day = TODAY - timedelta(days=2)
    for who, hours in (("yavar", 1.5), ("khademyar", 3)):
        r = until_status(lambda: net[who].post("/api/activity-reports", json=report(net["a"], day, hours=hours)), 201)
        assert r is not None
        assert until_status(lambda: net["head_a"].post(f"/api/activity-reports/{r.json()['id']}/review",
                                                       json={"approve": True}), 200)
    period = str(jalali.period_of(day))

    def split():
        a = net["head_a"].get(f"/api/units/{net['a']}/aggregates", params={"period": period}).json()
        kinds = a["by_member_kind"]
        return a if kinds["yavar"]["hours"] >= 1.5 and kinds["khademyar"]["hours"] >= 3 else None
    agg = eventually(split)
    assert agg, net["head_a"].get(f"/api/units/{net['a']}/aggregates", params={"period": period}).json()
    kinds = agg["by_member_kind"]
    assert kinds["yavar"]["reports"] + kinds["khademyar"]["reports"] == agg["reports"]["approved"]
    assert kinds["yavar"]["hours"] + kinds["khademyar"]["hours"] == agg["hours"]


def test_a_need_of_a_field_the_city_lacks_goes_to_a_specialized_khademyar(net):
    need = net["head_a"].post("/api/needs", json={"kanoon_id": net["a"], "title": "مشاوره حقوقی", "field": "legal"}).json()
    r = until_status(lambda: net["head_a"].post(f"/api/needs/{need['id']}/matches", json={"member_id": net["lawyer"]}), 200)
    assert r is not None and r.json()["matches"][-1]["kind"] == "specialist"
    plain = net["head_a"].post("/api/needs", json={"kanoon_id": net["a"], "title": "بسته معیشتی"}).json()
    r = net["head_a"].post(f"/api/needs/{plain['id']}/matches", json={"member_id": net["lawyer"]})
    assert r.status_code == 422 and r.json()["field"] == "member_id"


def test_the_provinces_report_window_and_deadline_day_are_its_settings(admin, net):
    day = jday(TODAY - timedelta(days=20))
    r = admin.put("/api/provinces/IR-12/settings", json={"transfer_expiry_days": 30, "move_window_days": 90,
                                                         "report_window_days": 10, "monthly_deadline_day": 3})
    assert r.status_code == 200 and r.json()["report_window_days"] == 10, r.text
    refused = until_status(lambda: net["khademyar"].post("/api/activity-reports", json={**report(net["a"], TODAY), "day": day}), 422)
    assert refused is not None and refused.json()["field"] == "day" and "10 days" in refused.json()["message"]
    r = admin.put("/api/provinces/IR-12/settings", json={"transfer_expiry_days": 30, "move_window_days": 90})
    assert r.json()["report_window_days"] == 60 and r.json()["monthly_deadline_day"] == 5
    assert until_status(lambda: net["khademyar"].post("/api/activity-reports",
                                                      json={**report(net["a"], TODAY), "day": day}), 201)


def test_a_county_campaign_is_drafted_by_the_planning_head_and_announced_by_the_manager(system, admin, net):
    tag = net["city"][-4:].lower()
    planner, _ = staff(admin, system.base, f"planner.rr.{tag}", "planning_head", "IR-12", city=net["city"])
    manager, _ = staff(admin, system.base, f"manager.rr.{tag}", "province_manager", "IR-12", city=net["city"])
    body = {"title": "پویش شهرستان", "scope_id": net["city"], "starts_on": jday(TODAY - timedelta(days=3)),
            "ends_on": jday(TODAY), "service_types": ["food_packages"]}
    assert net["sec"].post("/api/campaigns", json=body).status_code == 403
    r = planner.post("/api/campaigns", json=body)
    assert r.status_code == 201 and r.json()["status"] == "draft", r.text
    cid = r.json()["id"]
    assert cid not in [c["id"] for c in net["yavar"].get(f"/api/units/{net['a']}/campaigns").json()]
    r = net["yavar"].post("/api/activity-reports", json=report(net["a"], TODAY - timedelta(days=1), campaign_id=cid))
    assert r.status_code == 422 and r.json()["field"] == "campaign_id"
    assert planner.post(f"/api/campaigns/{cid}/approval").status_code == 403
    r = manager.post(f"/api/campaigns/{cid}/approval")
    assert r.status_code == 200 and r.json()["status"] == "announced"
    assert cid in [c["id"] for c in net["yavar"].get(f"/api/units/{net['a']}/campaigns").json()]
    r = net["yavar"].post("/api/activity-reports", json=report(net["a"], TODAY - timedelta(days=1), campaign_id=cid))
    assert r.status_code == 201 and r.json()["campaign_id"] == cid


def test_a_fields_executive_instruction_is_versioned_and_reaches_its_kanoons(system, admin, net):
    tag = net["city"][-4:].lower()
    pid = member(admin, city=net["city"])
    assert admin.post("/api/roles", json={"person_id": pid, "role": "specialized_secretary", "scope_id": "IR-12",
                                          "field": "legal"}).status_code == 201
    secretary = account(admin, system.base, pid, f"spec.rr.{tag}")
    assert admin.post("/api/service-types", json={"id": f"legal_advice_{tag}", "name": "مشاوره حقوقی رایگان",
                                                  "field": "legal", "scope_id": "IR-12"}).status_code == 201
    url = f"/api/service-types/legal_advice_{tag}/instructions"
    text = "مشاوره با نوبت قبلی و در محل کانون انجام و در سامانه ثبت می‌شود"
    assert net["head_a"].post(url, json={"province_id": "IR-12", "text": text}).status_code == 403
    r = secretary.post(url, json={"province_id": "IR-12", "text": text})
    assert r.status_code == 201 and r.json()["version"] == 1, r.text
    r = secretary.post(url, json={"province_id": "IR-12", "text": text + "؛ حداکثر یک ساعت"})
    assert r.json()["version"] == 2
    outbox = system.db("reports").outbox.find_one({"type": "reports.instruction.published.v1",
                                                    "envelope.data.version": 2,
                                                    "envelope.data.service_type": f"legal_advice_{tag}"})
    assert outbox is not None and outbox["envelope"]["data"]["kanoon_ids"] == [net["legal"]]
    legal_head = admin   # the legal kanoon sees the version in force; a neighborhood kanoon does not
    found = [i for i in legal_head.get(f"/api/kanoons/{net['legal']}/instructions").json()
             if i["service_type"] == f"legal_advice_{tag}"]
    assert [i["version"] for i in found] == [2] and found[0]["text"].endswith("یک ساعت")
    assert all(i["service_type"] != f"legal_advice_{tag}"
               for i in net["head_a"].get(f"/api/kanoons/{net['a']}/instructions").json())


def test_a_specialized_kanoon_is_decided_by_the_manager_and_its_month_reviewed_by_its_fields_secretary(system, admin, net):
    tag = net["city"][-4:].lower()
    other_city = net["city"].replace("-L", "-M")
    county_secretary, _ = staff(admin, system.base, f"sec.oc.{tag}", "city_secretary", other_city, city=other_city)
    # §2.2: the county's secretary does not decide a specialized kanoon; the province manager does.
    head, deputy = member(admin, city=other_city), member(admin, city=other_city)
    r = admin.post("/api/kanoons", json={"name": "کانون پزشکان", "kind": "specialized", "field": "medical",
                                         "deputy_area": "social", "unit_id": other_city, "head_id": head,
                                         "deputy_id": deputy})
    r = county_secretary.post(f"/api/kanoons/{r.json()['id']}/approval", json=ATTEST)
    assert r.status_code == 403 and "specialized" in r.json()["message"]
    # §4.6: the legal kanoon's month goes to the legal field's specialized secretary.
    pid = member(admin, city=other_city)
    assert admin.post("/api/roles", json={"person_id": pid, "role": "specialized_secretary", "scope_id": "IR-12",
                                          "field": "legal"}).status_code == 201
    legal_secretary = account(admin, system.base, pid, f"spec.legal.{tag}")
    last = jalali.period_of(jalali.period_of(TODAY).first_day - timedelta(days=1))
    body = {"kanoon_id": net["legal"], "month": str(last), "clients": 12, "public_requests": 3,
            "public_requests_answered": 3, "supplementary": "گزارش تکمیلی مشاوره‌های حقوقی ماه"}
    assert until_status(lambda: admin.post("/api/monthly-reports", json=body), 201)
    url = f"/api/kanoons/{net['legal']}/monthly-reports/{last}/review"
    r = county_secretary.post(url, json={"accept": True})
    assert r.status_code == 403 and "specialized secretary" in r.json()["message"]
    r = legal_secretary.post(url, json={"accept": True})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
