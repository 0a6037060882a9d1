"""The issue's scenario over HTTP, on the system `make run` starts: sign in, form a kanoon, approval
by its decider only (in Mashhad, the provincial capital, the neighborhood-kanoons deputy), the
ceiling, transfers both ways, composition, bad input."""
import httpx

from tests.system.helpers import ATTEST, account, form_kanoon, member, next_nid, staff


def test_the_network_over_http(system, admin):
    base = system.base
    assert admin.get("/health").json()["status"] == "ok"
    sec_msh, _ = staff(admin, base, "sec.mashhad", "city_secretary", "IR-09-MSH")
    sec_nsh, _ = staff(admin, base, "sec.neyshabur", "city_secretary", "IR-09-NSH")
    deputy_api, _ = staff(admin, base, "nbh.deputy", "neighborhood_deputy", "IR-09")

    head1, dep1 = member(admin), member(admin)
    head1_api = account(admin, base, head1, "head1")

    # Another city's secretary may not approve a Mashhad kanoon.
    r = head1_api.post("/api/kanoons", json={"name": "کانون سناباد", "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                             "head_id": head1, "deputy_id": dep1})
    k1 = r.json()["id"]
    head1_api.put(f"/api/kanoons/{k1}/place", json={"kind": "mosque", "name": "مسجد", "address": "سناباد"})
    head1_api.put(f"/api/kanoons/{k1}/council", json={"members": [{"full_name": f"عضو {i}", "title": "معتمد"} for i in range(5)]})
    head1_api.post(f"/api/kanoons/{k1}/forms", json={"neighborhood": "سناباد", "households_estimate": 300,
                                                     "founding_members": 2, "programs_planned": "برنامه"})
    r = sec_nsh.post(f"/api/kanoons/{k1}/approval", json=ATTEST)
    assert r.status_code == 403 and "cover" in r.json()["message"]
    assert head1_api.get(f"/api/kanoons/{k1}").json()["status"] == "submitted"
    # Mashhad is the provincial capital: its neighborhoods' kanoons are the neighborhood deputy's (§2.2).
    r = sec_msh.post(f"/api/kanoons/{k1}/approval", json=ATTEST)
    assert r.status_code == 403 and "capital" in r.json()["message"]
    r = deputy_api.post(f"/api/kanoons/{k1}/approval", json=ATTEST)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["member_count"] == 2
    assert admin.get("/api/units/IR-09-MSH").json()["capital"] is True

    # The responsible deputy sets floor 2 and ceiling 4; members join until the ceiling refuses one.
    r = deputy_api.put("/api/membership-policies", json={"province_id": "IR-09", "kanoon_type": "neighborhood",
                                                         "floor": 2, "ceiling": 4})
    assert r.status_code == 200, r.text
    y = [member(admin, kind="yavar") for _ in range(3)]
    assert head1_api.post("/api/memberships", json={"person_id": y[0], "kanoon_id": k1}).status_code == 200
    assert head1_api.post("/api/memberships", json={"person_id": y[1], "kanoon_id": k1}).status_code == 200
    r = head1_api.post("/api/memberships", json={"person_id": y[2], "kanoon_id": k1})
    assert r.status_code == 409 and "full" in r.json()["message"]
    assert head1_api.get(f"/api/kanoons/{k1}").json()["member_count"] == 4
    assert admin.get(f"/api/people/{y[2]}").json()["kanoon_id"] is None

    # A second kanoon, and transfers between them.
    head2, dep2 = member(admin), member(admin)
    head2_api = account(admin, base, head2, "head2")
    k2 = form_kanoon(head2_api, head2, dep2, deputy_api, "کانون طلاب")
    t = head1_api.post("/api/transfers", json={"person_id": y[0], "to_kanoon_id": k2}).json()
    assert head2_api.post(f"/api/transfers/{t['id']}/decisions", json={"side": "origin", "approve": True}).status_code == 403
    assert head1_api.post(f"/api/transfers/{t['id']}/decisions", json={"side": "origin", "approve": True}).status_code == 200
    r = head2_api.post(f"/api/transfers/{t['id']}/decisions", json={"side": "destination", "approve": True})
    assert r.json()["status"] == "completed"
    assert admin.get(f"/api/people/{y[0]}").json()["kanoon_id"] == k2
    t2 = head1_api.post("/api/transfers", json={"person_id": y[1], "to_kanoon_id": k2}).json()
    r = head2_api.post(f"/api/transfers/{t2['id']}/decisions",
                       json={"side": "destination", "approve": False, "reason": "ظرفیت برنامه‌ها پر است"})
    assert r.json()["status"] == "refused"
    assert admin.get(f"/api/people/{y[1]}").json()["kanoon_id"] == k1

    # Composition of the city: the 6 members of the two kanoons.
    comp = sec_msh.get("/api/units/IR-09-MSH/composition").json()
    assert comp["total"] == 6 and comp["kind"] == {"khademyar": 4, "yavar": 2}
    assert sec_nsh.get("/api/units/IR-09-MSH/composition").status_code == 403

    # Bad input: 4xx with the field, and nothing written.
    before = admin.get("/api/units/IR-09-MSH/unplaced-members").json()["total"]
    nid = next_nid()
    bad = [
        ("/api/members", {"kind": "yavar", "national_id": "1234567890", "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1365/02/10", "education": "diploma",
                          "city_id": "IR-09-MSH", "mobile": "09151234567"}, 422, "national_id"),
        ("/api/members", {"kind": "yavar", "national_id": nid, "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1404/12/30", "education": "diploma",
                          "city_id": "IR-09-MSH", "mobile": "09151234567"}, 422, "birth_date"),
        ("/api/members", {"kind": "yavar", "national_id": nid, "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1365/02/10", "education": "diploma",
                          "city_id": "IR-09-MSH", "mobile": "0912"}, 422, "mobile"),
        ("/api/members", {"kind": "yavar", "national_id": nid, "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1365/02/10", "education": "diploma",
                          "city_id": "NOWHERE", "mobile": "09151234567"}, 404, "unit_id"),
        ("/api/memberships", {"person_id": y[2], "kanoon_id": "kn_missing"}, 404, "kanoon_id"),
    ]
    for path, payload, status, field in bad:
        r = admin.post(path, json=payload)
        assert r.status_code == status, (path, r.text)
        assert r.json().get("field") == field and r.json()["message"]
    r = deputy_api.post(f"/api/kanoons/{k1}/approval", json={**ATTEST, "three_days_a_week": False})
    assert r.status_code in (409, 422)
    assert admin.get("/api/units/IR-09-MSH/unplaced-members").json()["total"] == before
    assert httpx.get(f"{base}/api/units").status_code == 401
