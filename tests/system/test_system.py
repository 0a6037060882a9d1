"""The whole system as `make run` starts it (runner, store, registry, gateway), driven over HTTP."""
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import QUIET, ROOT, free_port

NIDS = iter(["1234567891", "9876543210", "1112223339", "2223334441", "3334445550", "4445556661",
             "5556667772", "6667778883", "0499370899", "0016089316"])
ATTEST = {"computer_skills": True, "social_standing": True, "commitment_to_programs": True,
          "three_days_a_week": True}


@pytest.fixture(scope="module")
def system(tmp_path_factory, amqp_uri):
    data = tmp_path_factory.mktemp("system")
    port = free_port()
    env = dict(os.environ, AMQP_URI=amqp_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               MONGO_DB_PREFIX=f"sys{port}_", KHADEM_ADMIN_PASSWORD="admin-password-1")
    env.pop("MONGO_URI", None)
    proc = subprocess.Popen([sys.executable, "-m", "devenv.run", "--data", str(data), "--port", str(port),
                             "--store-port", str(free_port())], cwd=ROOT, env=env,
                            stdout=open(data / "run.out", "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while "all up" not in (data / "run.out").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((data / "run.out").read_text())
        time.sleep(0.5)
    subprocess.run([sys.executable, "-m", "services.registry.cli", "create-admin", "--username", "admin"],
                   cwd=ROOT, env=env, check=True, timeout=60)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=60)


def sign_in(base, username, password):
    r = httpx.post(f"{base}/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {r.json()['access_token']}"}, timeout=30)


def member(api, kind="khademyar", city="IR-09-MSH", code=None):
    body = {"kind": kind, "national_id": next(NIDS), "first_name": "علي", "last_name": "محمدي",
            "gender": "male", "birth_date": "1365/02/10", "education": "bachelor", "city_id": city,
            "mobile": "09151234567"}
    if kind == "khademyar":
        body["service_code"] = code or f"09-{body['national_id'][:6]}"
    r = api.post("/api/members", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def staff(api, base, name, role, scope):
    pid = member(api)
    assert api.post("/api/roles", json={"person_id": pid, "role": role, "scope_id": scope}).status_code == 201
    assert api.post("/api/accounts", json={"person_id": pid, "username": name, "password": "password-123"}).status_code == 201
    return sign_in(base, name, "password-123"), pid


def form_kanoon(api, head_api, head, deputy, secretary, name):
    r = head_api.post("/api/kanoons", json={"name": name, "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                            "head_id": head, "deputy_id": deputy})
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    assert head_api.put(f"/api/kanoons/{kid}/place", json={"kind": "mosque", "name": "مسجد", "address": "خیابان امام رضا"}).status_code == 200
    council = [{"full_name": f"عضو {i}", "title": "معتمد محل"} for i in range(5)]
    assert head_api.put(f"/api/kanoons/{kid}/council", json={"members": council}).status_code == 200
    r = head_api.post(f"/api/kanoons/{kid}/forms", json={"neighborhood": "سناباد", "households_estimate": 400,
                                                         "founding_members": 2, "programs_planned": "چهارشنبه امام رضایی"})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = secretary.post(f"/api/kanoons/{kid}/approval", json=ATTEST)
    assert r.status_code == 200, r.text
    return kid


def test_the_network_over_http(system):
    admin = sign_in(system, "admin", "admin-password-1")
    assert admin.get("/health").json()["status"] == "ok"
    sec_msh, _ = staff(admin, system, "sec.mashhad", "city_secretary", "IR-09-MSH")
    sec_nsh, _ = staff(admin, system, "sec.neyshabur", "city_secretary", "IR-09-NSH")
    deputy_api, _ = staff(admin, system, "nbh.deputy", "neighborhood_deputy", "IR-09")

    head1, dep1 = member(admin), member(admin)
    admin.post("/api/accounts", json={"person_id": head1, "username": "head1", "password": "password-123"})
    head1_api = sign_in(system, "head1", "password-123")

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
    r = sec_msh.post(f"/api/kanoons/{k1}/approval", json=ATTEST)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["member_count"] == 2

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
    admin.post("/api/accounts", json={"person_id": head2, "username": "head2", "password": "password-123"})
    head2_api = sign_in(system, "head2", "password-123")
    k2 = form_kanoon(admin, head2_api, head2, dep2, sec_msh, "کانون طلاب")
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
    bad = [
        ("/api/members", {"kind": "yavar", "national_id": "1234567890", "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1365/02/10", "education": "diploma",
                          "city_id": "IR-09-MSH", "mobile": "09151234567"}, 422, "national_id"),
        ("/api/members", {"kind": "yavar", "national_id": "6667778883", "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1404/12/30", "education": "diploma",
                          "city_id": "IR-09-MSH", "mobile": "09151234567"}, 422, "birth_date"),
        ("/api/members", {"kind": "yavar", "national_id": "6667778883", "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1365/02/10", "education": "diploma",
                          "city_id": "IR-09-MSH", "mobile": "0912"}, 422, "mobile"),
        ("/api/members", {"kind": "yavar", "national_id": "6667778883", "first_name": "a", "last_name": "b",
                          "gender": "male", "birth_date": "1365/02/10", "education": "diploma",
                          "city_id": "NOWHERE", "mobile": "09151234567"}, 404, "unit_id"),
        ("/api/memberships", {"person_id": y[2], "kanoon_id": "kn_missing"}, 404, "kanoon_id"),
    ]
    for path, payload, status, field in bad:
        r = admin.post(path, json=payload)
        assert r.status_code == status, (path, r.text)
        assert r.json().get("field") == field and r.json()["message"]
    r = sec_msh.post(f"/api/kanoons/{k1}/approval", json={**ATTEST, "three_days_a_week": False})
    assert r.status_code in (409, 422)
    assert admin.get("/api/units/IR-09-MSH/unplaced-members").json()["total"] == before
    assert httpx.get(f"{system}/api/units").status_code == 401
