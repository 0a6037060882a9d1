"""Selection, orientation, rejection, leaving and role revocation over HTTP. These run in a city the
test creates under another province, so the membership policy of the main scenario does not apply."""
import uuid
from datetime import timedelta

import pytest

from kernel import jalali
from tests.system.helpers import ATTEST, account, form_kanoon, member, person_body, staff


@pytest.fixture(scope="module")
def city(admin):
    cid = f"IR-07-T{uuid.uuid4().hex[:4].upper()}"
    r = admin.post("/api/units", json={"id": cid, "name": "شهر آزمون", "kind": "city", "parent_id": "IR-07"})
    assert r.status_code == 201, r.text
    assert r.json()["path"] == ["IR", "IR-R1", "IR-07", cid] or r.json()["path"][-2:] == ["IR-07", cid]
    return cid


@pytest.fixture(scope="module")
def secretary(admin, system, city):
    api, _ = staff(admin, system.base, f"sec.{city.lower()}", "city_secretary", city, city=city)
    return api


def test_selection_khademyar_yavar_and_rejection(system, admin, city):
    liaison, _ = staff(admin, system.base, f"liaison.{city.lower()}", "selection_liaison", "IR-07", city=city)
    other, _ = staff(admin, system.base, f"liaison9.{city.lower()}", "selection_liaison", "IR-09", city=city)
    applicant = {k: v for k, v in person_body(city=city).items() if k not in ("kind", "service_code")}

    r = liaison.post("/api/applications", json={"track": "khademyar", "applicant": applicant})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    # The same person cannot apply twice while pending.
    r = liaison.post("/api/applications", json={"track": "khademyar", "applicant": applicant})
    assert r.status_code == 409 and r.json()["field"] == "applicant.national_id"
    # Not before the track's steps are done, and not by another province's liaison.
    r = liaison.post(f"/api/applications/{app_id}/decision", json={"outcome": "khademyar"})
    assert r.status_code == 409 and "steps not yet recorded" in r.json()["message"]
    assert other.post(f"/api/applications/{app_id}/steps", json={"step": "interviewed"}).status_code == 403
    r = liaison.post(f"/api/applications/{app_id}/steps", json={"step": "sung"})
    assert r.status_code == 422 and r.json()["field"] == "step"
    for step in ("documents_checked", "interviewed", "vetted"):
        r = liaison.post(f"/api/applications/{app_id}/steps", json={"step": step})
        assert r.status_code == 200, r.text
    assert liaison.post(f"/api/applications/{app_id}/steps", json={"step": "vetted"}).status_code == 409
    r = liaison.post(f"/api/applications/{app_id}/decision", json={"outcome": "khademyar"})
    assert r.status_code == 200, r.text
    person_id = r.json()["person_id"]
    person = admin.get(f"/api/people/{person_id}").json()
    assert person["kind"] == "khademyar" and person["service_code"].startswith("07-")
    assert person["kanoon_id"] is None
    unplaced = admin.get(f"/api/units/{city}/unplaced-members").json()
    assert person_id in [p["id"] for p in unplaced["items"]]
    assert liaison.post(f"/api/applications/{app_id}/decision", json={"outcome": "yavar"}).status_code == 409

    # The yavar track: an interview suffices for yavar; it never makes a khademyar.
    yavar = {k: v for k, v in person_body(city=city).items() if k not in ("kind", "service_code")}
    y_id = liaison.post("/api/applications", json={"track": "yavar", "applicant": yavar}).json()["id"]
    liaison.post(f"/api/applications/{y_id}/steps", json={"step": "interviewed"})
    r = liaison.post(f"/api/applications/{y_id}/decision", json={"outcome": "khademyar"})
    assert r.status_code == 422 and r.json()["field"] == "outcome"
    r = liaison.post(f"/api/applications/{y_id}/decision", json={"outcome": "yavar"})
    assert r.status_code == 200
    y_person = admin.get(f"/api/people/{r.json()['person_id']}").json()
    assert y_person["kind"] == "yavar" and y_person["service_code"] is None

    # A rejection needs its reason and creates nobody.
    rej = {k: v for k, v in person_body(city=city).items() if k not in ("kind", "service_code")}
    r_id = liaison.post("/api/applications", json={"track": "yavar", "applicant": rej}).json()["id"]
    r = liaison.post(f"/api/applications/{r_id}/decision", json={"outcome": "rejected"})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = liaison.post(f"/api/applications/{r_id}/decision", json={"outcome": "rejected", "reason": "سن کمتر از حد"})
    assert r.status_code == 200 and r.json()["outcome"] == "rejected" and r.json()["person_id"] is None
    assert system.db("registry").people.count_documents({"national_id": rej["national_id"]}) == 0
    pending = liaison.get(f"/api/units/{city}/applications").json()
    assert {a["id"] for a in pending} & {app_id, y_id, r_id} == set()


def test_orientation_head_first_then_members(system, admin, city, secretary):
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.o.{city.lower()}")
    kid = form_kanoon(head_api, head, deputy, secretary, "کانون آزمون جهت‌دهی", unit=city)
    today = jalali.format_date(jalali.today())
    tomorrow = jalali.format_date(jalali.today() + timedelta(days=1))

    r = head_api.post(f"/api/kanoons/{kid}/orientations", json={"audience": "members", "held_on": today, "attendees": 8})
    assert r.status_code == 409 and r.json()["field"] == "audience"
    r = head_api.post(f"/api/kanoons/{kid}/orientations", json={"audience": "head", "held_on": today, "attendees": 1})
    assert r.status_code == 403  # the head's own orientation is held by the city secretary
    r = secretary.post(f"/api/kanoons/{kid}/orientations", json={"audience": "head", "held_on": tomorrow, "attendees": 1})
    assert r.status_code == 422 and r.json()["field"] == "held_on"
    r = secretary.post(f"/api/kanoons/{kid}/orientations", json={"audience": "head", "held_on": today, "attendees": 1})
    assert r.status_code == 200, r.text
    r = head_api.post(f"/api/kanoons/{kid}/orientations", json={"audience": "members", "held_on": today, "attendees": 8})
    assert r.status_code == 200, r.text
    k = head_api.get(f"/api/kanoons/{kid}").json()
    assert [o["audience"] for o in k["orientations"]] == ["head", "members"]
    assert k["orientations"][0]["held_on"] == today  # Jalali out
    steps = [s["step"] for s in k["steps"]]
    assert steps[-2:] == ["head_oriented", "members_oriented"]


def test_rejection_needs_a_reason_and_the_kanoon_stays_inactive(system, admin, city, secretary):
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.r.{city.lower()}")
    kid = head_api.post("/api/kanoons", json={"name": "کانون رد شده", "kind": "neighborhood", "unit_id": city,
                                              "head_id": head, "deputy_id": deputy}).json()["id"]
    # Not yet submitted: neither approval nor rejection is in order.
    assert secretary.post(f"/api/kanoons/{kid}/approval", json=ATTEST).status_code == 409
    assert secretary.post(f"/api/kanoons/{kid}/rejection", json={"reason": "زود است"}).status_code == 409
    head_api.put(f"/api/kanoons/{kid}/place", json={"kind": "other", "name": "خانه", "address": "کوچه"})
    head_api.put(f"/api/kanoons/{kid}/council",
                 json={"members": [{"full_name": f"عضو {i}", "title": "معتمد"} for i in range(5)]})
    r = head_api.post(f"/api/kanoons/{kid}/forms", json={"neighborhood": "محله", "households_estimate": 50,
                                                         "founding_members": 2, "programs_planned": "برنامه"})
    assert r.json()["status"] == "submitted", r.text
    r = secretary.post(f"/api/kanoons/{kid}/rejection", json={"reason": ""})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = secretary.post(f"/api/kanoons/{kid}/rejection", json={"reason": "مکان مناسب معرفی نشده است"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["rejection_reason"] == "مکان مناسب معرفی نشده است"
    active = admin.get(f"/api/units/{city}/kanoons").json()
    assert kid not in [k["id"] for k in active["items"]]
    # A rejected kanoon's head cannot add members.
    y = member(admin, kind="yavar", city=city)
    assert head_api.post("/api/memberships", json={"person_id": y, "kanoon_id": kid}).status_code in (403, 409)
    assert admin.get(f"/api/people/{y}").json()["kanoon_id"] is None


def test_a_revoked_role_stops_working_at_once(system, admin, city, secretary):
    api, pid = staff(admin, system.base, f"sec2.{city.lower()}", "city_secretary", city, city=city)
    assert api.get(f"/api/units/{city}/composition").status_code == 200
    assignment = next(r for r in admin.get(f"/api/units/{city}/roles").json()
                      if r["person_id"] == pid and r["role"] == "city_secretary")
    # Another city's secretary may not revoke it; the administrator may, once.
    other, _ = staff(admin, system.base, f"sec3.{city.lower()}", "city_secretary", "IR-09-NSH")
    assert other.delete(f"/api/roles/{assignment['id']}").status_code == 403
    r = admin.delete(f"/api/roles/{assignment['id']}")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert admin.delete(f"/api/roles/{assignment['id']}").status_code == 409
    r = api.get(f"/api/units/{city}/composition")
    assert r.status_code == 403, "the same token no longer carries the revoked role"
    assert secretary.get(f"/api/units/{city}/composition").status_code == 200


def test_a_member_leaves_and_the_floor_flag_follows(system, admin, city, secretary):
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.l.{city.lower()}")
    kid = form_kanoon(head_api, head, deputy, secretary, "کانون آزمون عضویت", unit=city)
    k = head_api.get(f"/api/kanoons/{kid}").json()
    assert k["member_count"] == 2 and k["below_floor"] is True  # default floor 10
    y = member(admin, kind="yavar", city=city)
    assert head_api.post("/api/memberships", json={"person_id": y, "kanoon_id": kid}).status_code == 200
    r = head_api.post("/api/memberships", json={"person_id": y, "kanoon_id": kid})
    assert r.status_code == 409
    assert head_api.post("/api/memberships/leave", json={"person_id": head}).status_code == 409  # head stays
    assert head_api.post("/api/memberships/leave", json={"person_id": y}).status_code == 200
    assert head_api.get(f"/api/kanoons/{kid}").json()["member_count"] == 2
    assert admin.get(f"/api/people/{y}").json()["kanoon_id"] is None
