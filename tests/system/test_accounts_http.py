"""Accounts that can be defended, over HTTP: a password changed by its owner and reset by an
administrator under one policy; a deactivated account's token stops working on its next request;
failed sign-ins throttled per username with a clear message and Retry-After; tokens carry an id."""
import time
import uuid

import httpx
import jwt

from tests.system.helpers import account, member


def test_password_change_reset_and_deactivation(system, admin):
    tag = uuid.uuid4().hex[:6]
    pid = member(admin)
    me = account(admin, system.base, pid, f"acc.{tag}")          # password-123
    uid = me.get("/me").json()["user_id"]
    claims = jwt.decode(me.headers["Authorization"].split()[1], options={"verify_signature": False})
    assert len(claims["jti"]) == 32
    # The current password must be right; the new one must meet the policy; neither is echoed.
    r = me.post("/api/accounts/me/password", json={"current_password": "wrong-password", "new_password": "a-new-password-1"})
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    r = me.post("/api/accounts/me/password", json={"current_password": "password-123", "new_password": "1234567890"})
    assert r.status_code == 422 and r.json()["field"] == "new_password" and "1234567890" not in r.text
    r = me.post("/api/accounts/me/password", json={"current_password": "password-123", "new_password": f"x-acc.{tag}-x"})
    assert r.status_code == 422 and "username" in r.json()["message"]
    assert me.post("/api/accounts/me/password", json={"current_password": "password-123",
                                                      "new_password": "a-new-password-1"}).status_code == 200
    assert httpx.post(f"{system.base}/token", data={"username": f"acc.{tag}", "password": "password-123"}).status_code == 401
    assert httpx.post(f"{system.base}/token", data={"username": f"acc.{tag}", "password": "a-new-password-1"}).status_code == 200
    # Only an administrator resets; then the reset password works.
    assert me.post(f"/api/accounts/{uid}/password-reset", json={"new_password": "reset-by-me-1"}).status_code == 403
    assert admin.post(f"/api/accounts/{uid}/password-reset", json={"new_password": "reset-by-admin-1"}).status_code == 200
    assert httpx.post(f"{system.base}/token", data={"username": f"acc.{tag}", "password": "reset-by-admin-1"}).status_code == 200
    # Deactivated: the token it already holds stops working at once, and it cannot sign in.
    assert me.get("/me").status_code == 200
    assert me.post(f"/api/accounts/{uid}/deactivation").status_code == 403
    assert admin.post(f"/api/accounts/{uid}/deactivation").status_code == 200
    assert me.get("/me").status_code == 401
    assert httpx.post(f"{system.base}/token", data={"username": f"acc.{tag}", "password": "reset-by-admin-1"}).status_code == 401
    assert admin.post(f"/api/accounts/{uid}/deactivation").status_code == 409
    assert admin.post(f"/api/accounts/{admin.get('/me').json()['user_id']}/deactivation").status_code == 409


def test_failed_sign_ins_are_throttled_per_username(system, admin):
    """Counted by the registry, so failures spread over the gateways add up (five, then refused)."""
    tag = uuid.uuid4().hex[:6]
    account(admin, system.base, member(admin), f"thr.{tag}")
    gateways = system.gateways
    for n in range(5):
        r = httpx.post(f"{gateways[n % len(gateways)]}/token", data={"username": f"thr.{tag}", "password": "not-it-at-all"})
        assert r.status_code == 401, r.text
    for g in gateways:
        r = httpx.post(f"{g}/token", data={"username": f"thr.{tag}", "password": "password-123"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "failed sign-ins" in r.json()["message"]
        assert r.json()["field"] == "username"
    # Another account is not held back by this one's failures.
    other = account(admin, system.base, member(admin), f"thr2.{tag}")
    assert other.get("/me").status_code == 200


def actor_of_calls(base) -> float:
    text = httpx.get(f"{base}/metrics").text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("khadem_rpc_calls_total{") and 'method="actor_of"' in line)


def all_actor_of_calls(system) -> float:
    return sum(actor_of_calls(g) for g in system.gateways)


def test_who_the_caller_is_is_remembered_until_the_registry_changes(system, admin):
    """A signed-in request does not ask the registry who its caller is again (gateway.identity) on any
    gateway, yet a role granted or revoked through one gateway shows on the very next request to
    either (/me asks the registry; a refusal is never made on remembered roles)."""
    tag = uuid.uuid4().hex[:6]
    pid = member(admin)
    me = account(admin, system.base, pid, f"idn.{tag}")
    assert me.get("/me").json()["grants"] == []
    time.sleep(1.0)   # the registry's events of the new account have been heard (they empty the memory)
    for _ in range(len(system.gateways)):
        me.get("/api/units/IR-09")   # each gateway fetches the caller once
    calls = all_actor_of_calls(system)
    for _ in range(20):
        assert me.get("/api/units/IR-09").status_code == 200
    assert all_actor_of_calls(system) == calls          # served from memory: no RPC for the identity
    r = admin.post("/api/roles", json={"person_id": pid, "role": "city_secretary", "scope_id": "IR-09-MSH"})
    assert r.status_code == 201, r.text
    for _ in system.gateways:   # the next request, whichever gateway it reaches
        assert [g["role"] for g in me.get("/me").json()["grants"]] == ["city_secretary"]
    assert admin.delete(f"/api/roles/{r.json()['id']}").status_code == 200
    for _ in system.gateways:
        assert me.get("/me").json()["grants"] == []


def test_every_gateway_forgets_who_callers_are_when_the_registry_changes(system, admin):
    """A change made through one gateway empties every gateway's memory of callers (each hears the
    registry's events on a queue of its own): the next signed-in request to the other gateway asks the
    registry again."""
    assert len(system.gateways) > 1, "the system tests run two gateways"
    first, second = system.gateways[:2]
    tag = uuid.uuid4().hex[:6]
    pid = member(admin)
    account(admin, system.base, pid, f"fgt.{tag}")
    token = httpx.post(f"{first}/token", data={"username": f"fgt.{tag}", "password": "password-123"}).json()["access_token"]
    on = {g: httpx.Client(base_url=g, headers={"Authorization": f"Bearer {token}"}) for g in (first, second)}
    time.sleep(1.0)
    on[second].get("/api/units/IR-09")
    remembered = actor_of_calls(second)
    assert on[second].get("/api/units/IR-09").status_code == 200 and actor_of_calls(second) == remembered
    # A registry command through the first gateway only.
    assert httpx.post(f"{first}/api/roles", headers={**admin.headers, "Idempotency-Key": uuid.uuid4().hex},
                      json={"person_id": pid, "role": "city_secretary", "scope_id": "IR-09-MSH"}).status_code == 201
    deadline = time.monotonic() + 10
    while actor_of_calls(second) == remembered:
        assert time.monotonic() < deadline, "the second gateway still serves the caller from memory"
        assert on[second].get("/api/units/IR-09").status_code == 200
        time.sleep(0.1)
