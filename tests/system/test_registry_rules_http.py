"""The registry's rules that could be walked around, over HTTP: moving between kanoons, who decides a
transfer's sides, cancelling and expiring transfers, leadership handover, the protection committee's
rulings checked when a head or deputy is made (not only when proposed), field-bound grants, and
finding people. They run in a city of their own under another province."""
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.system.helpers import ATTEST, account, eventually, form_kanoon, member, person_body, staff, until_status


@pytest.fixture(scope="module")
def city(admin):
    cid = f"IR-10-R{uuid.uuid4().hex[:4].upper()}"
    r = admin.post("/api/units", json={"id": cid, "name": "شهر قواعد", "kind": "city", "parent_id": "IR-10"})
    assert r.status_code == 201, r.text
    r = admin.put("/api/membership-policies", json={"province_id": "IR-10", "kanoon_type": "neighborhood",
                                                    "floor": 2, "ceiling": 50})
    assert r.status_code == 200, r.text
    return cid


@pytest.fixture(scope="module")
def world(system, admin, city):
    secretary, _ = staff(admin, system.base, f"sec.{city.lower()}", "city_secretary", city, city=city)
    tag = city[-4:].lower()
    out = {"secretary": secretary}
    for name in ("a", "b"):
        head, deputy = member(admin, city=city), member(admin, city=city)
        head_api = account(admin, system.base, head, f"head.{name}.{tag}")
        deputy_api = account(admin, system.base, deputy, f"deputy.{name}.{tag}")
        out[name] = form_kanoon(head_api, head, deputy, secretary, f"کانون {name}", unit=city)
        out[f"head_{name}"], out[f"head_{name}_id"] = head_api, head
        out[f"deputy_{name}"] = deputy_api
    return out


def new_member(system, admin, city, kanoon, username):
    pid = member(admin, kind="yavar", city=city)
    api = account(admin, system.base, pid, username)
    r = api.post("/api/memberships", json={"person_id": pid, "kanoon_id": kanoon})
    assert r.status_code == 200, r.text
    return pid, api


def test_leaving_and_joining_elsewhere_at_once_is_a_transfer_both_kanoons_decide(system, admin, city, world):
    pid, me = new_member(system, admin, city, world["a"], f"mover.{city[-4:].lower()}")
    assert me.post("/api/memberships/leave", json={"person_id": pid}).status_code == 200
    r = me.post("/api/memberships", json={"person_id": pid, "kanoon_id": world["b"]})
    assert r.status_code == 409 and r.json()["field"] == "kanoon_id" and "transfer" in r.json()["message"]
    assert admin.get(f"/api/people/{pid}").json()["kanoon_id"] is None
    r = me.post("/api/transfers", json={"person_id": pid, "to_kanoon_id": world["b"]})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["from_kanoon_id"] == world["a"] and t["from_member"] is False and t["expires_at"]
    # Nobody above the kanoons decides for them, and a head decides only for their own kanoon.
    for outsider, side in ((world["secretary"], "origin"), (admin, "destination"), (world["head_b"], "origin")):
        r = outsider.post(f"/api/transfers/{t['id']}/decisions", json={"side": side, "approve": True})
        assert r.status_code == 403, r.text
    assert world["deputy_a"].post(f"/api/transfers/{t['id']}/decisions",
                                  json={"side": "origin", "approve": True}).status_code == 200
    r = world["head_b"].post(f"/api/transfers/{t['id']}/decisions", json={"side": "destination", "approve": True})
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    assert admin.get(f"/api/people/{pid}").json()["kanoon_id"] == world["b"]


def test_a_pending_transfer_is_cancelled_by_the_member_and_lapses_at_its_deadline(system, admin, city, world):
    pid, me = new_member(system, admin, city, world["a"], f"stayer.{city[-4:].lower()}")
    t = me.post("/api/transfers", json={"person_id": pid, "to_kanoon_id": world["b"]}).json()
    r = me.post("/api/memberships/leave", json={"person_id": pid})
    assert r.status_code == 409 and "pending" in r.json()["message"]
    assert world["head_b"].post(f"/api/transfers/{t['id']}/cancellation").status_code == 403
    r = me.post(f"/api/transfers/{t['id']}/cancellation")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert me.post(f"/api/transfers/{t['id']}/cancellation").status_code == 409

    # The province's deadline: a transfer past it lapses with its event and blocks nothing.
    r = admin.put("/api/provinces/IR-10/settings", json={"transfer_expiry_days": 7, "move_window_days": 90})
    assert r.status_code == 200 and r.json()["transfer_expiry_days"] == 7
    assert world["head_a"].put("/api/provinces/IR-10/settings",
                               json={"transfer_expiry_days": 1, "move_window_days": 1}).status_code == 403
    t = me.post("/api/transfers", json={"person_id": pid, "to_kanoon_id": world["b"]}).json()
    requested = datetime.fromisoformat(system.db("registry").transfers.find_one({"_id": t["id"]})["requested_at"].isoformat())
    expires = system.db("registry").transfers.find_one({"_id": t["id"]})["expires_at"]
    assert abs((expires - requested) - timedelta(days=7)) < timedelta(seconds=1)
    # Seven days pass (the stored deadline is moved, as time would move it).
    system.db("registry").transfers.update_one({"_id": t["id"]},
                                               {"$set": {"expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    r = me.post("/api/memberships/leave", json={"person_id": pid})
    assert r.status_code == 200, r.text
    assert me.get(f"/api/transfers/{t['id']}").json()["status"] == "expired"
    outbox = system.db("registry").outbox.find_one({"type": "registry.transfer.expired.v1", "subject": f"transfer/{t['id']}"})
    assert outbox is not None


def test_leadership_changes_hands_only_through_a_handover(system, admin, city, world):
    kid = world["a"]
    candidate = member(admin, city=city, education="diploma")
    low = member(admin, city=city, education="below_diploma")
    for p in (candidate, low):
        assert admin.post("/api/memberships", json={"person_id": p, "kanoon_id": kid}).status_code == 200
    r = admin.post("/api/roles", json={"person_id": candidate, "role": "kanoon_head", "scope_id": kid})
    assert r.status_code == 403 and "handover" in r.json()["message"]
    body = {"position": "head", "person_id": candidate, **ATTEST}
    assert world["head_a"].post(f"/api/kanoons/{kid}/handover", json=body).status_code == 403
    r = world["secretary"].post(f"/api/kanoons/{kid}/handover", json={**body, "person_id": low})
    assert r.status_code == 422 and r.json()["field"] == "person_id" and "diploma" in r.json()["message"]
    r = world["secretary"].post(f"/api/kanoons/{kid}/handover", json={**body, "three_days_a_week": False})
    assert r.status_code == 422 and r.json()["field"] == "attestations"
    r = world["secretary"].post(f"/api/kanoons/{kid}/handover", json=body)
    assert r.status_code == 200 and r.json()["head_id"] == candidate, r.text
    old = admin.get(f"/api/people/{world['head_a_id']}").json()
    live = [a for a in old["roles"] if a["role"] == "kanoon_head" and a["scope_id"] == kid and not a["revoked_at"]]
    assert live == []
    new = admin.get(f"/api/people/{candidate}").json()
    assert [a["role"] for a in new["roles"] if not a["revoked_at"]] == ["kanoon_head"]
    # The former head is an ordinary member now: they may leave; the new head decides for the kanoon.
    assert world["head_a"].post("/api/memberships/leave", json={"person_id": world["head_a_id"]}).status_code == 200


def test_a_request_filed_before_its_head_was_barred_is_not_approved_after_the_ruling(system, admin, city, world):
    tag = city[-4:].lower()
    head, deputy = member(admin, city=city), member(admin, city=city)
    assert admin.post("/api/memberships", json={"person_id": head, "kanoon_id": world["a"]}).status_code == 200
    r = admin.post("/api/kanoons", json={"name": "کانون پیش از حکم", "kind": "neighborhood", "unit_id": city,
                                         "head_id": head, "deputy_id": deputy})
    assert r.status_code == 201, r.text                                 # no ruling yet: proposed
    kid = r.json()["id"]
    assert admin.put(f"/api/kanoons/{kid}/place", json={"kind": "mosque", "name": "مسجد", "address": "خیابان"}).status_code == 200
    council = [{"full_name": f"عضو {i}", "title": "معتمد محل"} for i in range(5)]
    assert admin.put(f"/api/kanoons/{kid}/council", json={"members": council}).status_code == 200
    r = admin.post(f"/api/kanoons/{kid}/forms", json={"neighborhood": "محله", "households_estimate": 300,
                                                      "founding_members": 2, "programs_planned": "چهارشنبه امام رضایی"})
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    # Then the protection committee bars the proposed head from heading a kanoon.
    psec, _ = staff(admin, system.base, f"psec.{tag}", "province_secretary", "IR-10", city=city)
    committee, _ = staff(admin, system.base, f"committee.{tag}", "protection_committee", "IR-10", city=city)
    v = until_status(lambda: psec.post("/api/violations", json={
        "person_id": head, "source": "report", "description": "دریافت وجه از خانواده‌ها در ازای بسته معیشتی"}), 201)
    assert v is not None
    assert psec.post(f"/api/violations/{v.json()['id']}/escalation").status_code == 200
    r = until_status(lambda: committee.post(f"/api/violations/{v.json()['id']}/ruling", json={
        "kind": "barred_from_headship", "months": 6, "reason": "تخلف مالی محرز شد"}), 200)
    assert r is not None
    assert eventually(lambda: system.db("registry").restrictions.find_one({"person_id": head}))
    # The approval is a decision that makes them head: the ruling in force today is checked.
    r = world["secretary"].post(f"/api/kanoons/{kid}/approval", json=ATTEST)
    assert r.status_code == 409 and r.json()["field"] == "head_id", r.text
    assert "barred from heading a kanoon" in r.json()["message"]
    k = admin.get(f"/api/kanoons/{kid}").json()
    assert k["status"] == "submitted" and admin.get(f"/api/people/{head}").json()["kanoon_id"] == world["a"]
    assert not [a for a in admin.get(f"/api/people/{head}").json()["roles"] if a["role"] == "kanoon_head"]
    # Nor is the barred member handed the deputy's office of their kanoon (the deputy holds the head's powers).
    r = world["secretary"].post(f"/api/kanoons/{world['a']}/handover", json={"position": "deputy", "person_id": head})
    assert r.status_code == 409 and r.json()["field"] == "person_id" and "deputising" in r.json()["message"], r.text
    # The request can still be turned down with its reason.
    r = world["secretary"].post(f"/api/kanoons/{kid}/rejection", json={"reason": "مسئول پیشنهادی محروم است"})
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text


def test_a_specialized_secretary_sees_only_their_fields_kanoons(system, admin, city):
    tag = city[-4:].lower()
    sec_pid = member(admin, city=city)
    assert admin.post("/api/roles", json={"person_id": sec_pid, "role": "specialized_secretary", "scope_id": "IR-10",
                                          "field": "پزشکی"}).status_code == 201
    sec = account(admin, system.base, sec_pid, f"spec.{tag}")
    drafts = {}
    for field in ("پزشکی", "حقوقی"):
        head, deputy = member(admin, city=city), member(admin, city=city)
        r = admin.post("/api/kanoons", json={"name": f"کانون {field}", "kind": "specialized", "field": field,
                                             "deputy_area": "social", "unit_id": city, "head_id": head,
                                             "deputy_id": deputy})
        assert r.status_code == 201, r.text
        drafts[field] = r.json()["id"]
    assert sec.get(f"/api/kanoons/{drafts['پزشکی']}").status_code == 200
    assert sec.get(f"/api/kanoons/{drafts['حقوقی']}").status_code == 403
    assert sec.patch(f"/api/kanoons/{drafts['پزشکی']}", json={"goal": "خدمات درمانی رایگان"}).status_code == 200
    assert sec.patch(f"/api/kanoons/{drafts['حقوقی']}", json={"goal": "مشاوره"}).status_code == 403


def test_people_are_found_by_name_in_either_letter_form_and_by_ids_in_any_digits(system, admin, city, world):
    surname = "ك" + "".join(random.choice("بپتثجچحخدذرزسشصضطظعغفقگلمنوهي") for _ in range(6))
    body = person_body(kind="yavar", city=city, first_name="علي‌رضا", last_name=surname)
    r = admin.post("/api/members", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    persian = surname.replace("ك", "ک").replace("ي", "ی")
    digits = body["national_id"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for q in (persian, f"علی {persian[:3]}", f"عليرضا {surname}", digits):
        r = admin.get(f"/api/units/{city}/people", params={"q": q})
        assert r.status_code == 200, r.text
        assert [p["id"] for p in r.json()["items"]] == [pid], (q, r.json())
    found = admin.get(f"/api/units/{city}/people", params={"q": digits}).json()
    assert found["matched_by"] == "national_id" and found["items"][0]["national_id"] == body["national_id"]
    # Unplaced until they join; then a member, found by their kanoon's head within the kanoon.
    assert admin.get(f"/api/units/{city}/people", params={"q": persian, "status": "unplaced"}).json()["total"] == 1
    assert admin.post("/api/memberships", json={"person_id": pid, "kanoon_id": world["b"]}).status_code == 200
    assert admin.get(f"/api/units/{city}/people", params={"q": persian, "status": "unplaced"}).json()["total"] == 0
    r = world["head_b"].get(f"/api/units/{world['b']}/people", params={"q": persian, "status": "member"})
    assert r.status_code == 200 and [p["id"] for p in r.json()["items"]] == [pid]
    # Another kanoon's head does not search this one, nor the city.
    assert world["deputy_a"].get(f"/api/units/{world['b']}/people", params={"q": persian}).status_code == 403
    assert world["head_b"].get(f"/api/units/{city}/people", params={"q": persian}).status_code == 403
    # Applicants are found too, by whoever vets them.
    applicant = {k: v for k, v in person_body(city=city, last_name=surname + "ی").items()
                 if k not in ("kind", "service_code")}
    assert admin.post("/api/applications", json={"track": "yavar", "applicant": applicant}).status_code == 201
    r = admin.get(f"/api/units/{city}/people", params={"q": persian + "ی", "status": "applicant"})
    assert r.status_code == 200 and r.json()["total"] == 1
    assert r.json()["items"][0]["applicant"]["national_id"] == applicant["national_id"]


def test_coverage_shows_the_neighborhoods_and_fields_a_county_lacks(system, admin, city, world):
    tag = city[-4:]
    for i in (1, 2):
        r = admin.post("/api/units", json={"id": f"{city}-N{i}", "name": f"محله {i}", "kind": "neighborhood",
                                           "parent_id": city})
        assert r.status_code == 201, r.text
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.cov.{tag.lower()}")
    form_kanoon(head_api, head, deputy, world["secretary"], "کانون محله ۱", unit=f"{city}-N1")
    r = world["secretary"].get(f"/api/units/{city}/coverage")
    assert r.status_code == 200, r.text
    [county] = r.json()["counties"]
    assert county["neighborhoods"]["total"] == 2 and county["neighborhoods"]["covered"] == 1
    assert [n["id"] for n in county["neighborhoods"]["uncovered"]] == [f"{city}-N2"]
    province = admin.get("/api/units/IR-10/coverage").json()
    assert city in [c["unit_id"] for c in province["counties"]]
    assert world["head_a"].get(f"/api/units/{city}/coverage").status_code == 403
    r = admin.get(f"/api/units/{city}-N1/coverage")
    assert r.status_code == 422 and r.json()["field"] == "unit_id"
