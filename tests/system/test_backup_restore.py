"""Backup and restore of the registry on a running system of its own (it stops and restores a service,
so not the session's): a city, a kanoon and members; a backup; more writes (members joined and one
left, a role, a second kanoon, a service code issued, a ruling the registry applies); the registry's
instance frozen, its database restored, the instance killed so that the runner starts it on the
restored database; then:

- the registry holds exactly the backed-up state, and what the catch-up replays brought back (the
  ruling);
- every other service's view of members, kanoons and grants is the registry's again (what was
  written after the backup is gone from them, what came before is intact, the membership that changed
  after the backup is back), through the restatement the registry publishes when it starts;
- the next khademyar selected gets a service code never issued before;
- the registry's new events have ids no consumer has seen.
"""
import os
import signal
import subprocess
import sys
import uuid

import httpx
import pytest

from devenv.launch import launch, stop
from ops import backup
from tests.conftest import QUIET, ROOT, free_port
from tests.system.helpers import (account, eventually, form_kanoon, member, person_body, sign_in, staff,
                                  until_status)

ADMIN_PASSWORD = "backup-tests-password-1"
VIEW_STATUS = {"draft": "requested", "submitted": "requested"}   # as the kanoon events tell it
# How long what travels by events may take here at most: the broker restarted by another test (a
# relay backs off up to 60 s) included. Only a failing run waits that long.
TRAVEL = 120
CONSUMERS = ("reports", "finance", "oversight", "festival", "secretariat")
# The registry's own records a restore must give back as they were backed up.
DOMAIN = ("people", "kanoons", "roles", "users", "units", "applications", "transfers", "policies",
          "province_settings")


@pytest.fixture(scope="module")
def running(tmp_path_factory, amqp_uri):
    data = tmp_path_factory.mktemp("backup-system")
    env = dict(os.environ, RABBITMQ_ADMIN_URI=amqp_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD, SIGNIN_FAILURES_PER_ADDRESS="200")
    for name in ("AMQP_URI", "MONGO_URI", "MONGO_DB_PREFIX"):
        env.pop(name, None)
    r = launch(data, env, replicas=1, port=free_port(), web_port=free_port())
    yield r
    stop(r)


def ops_backup(*args) -> subprocess.CompletedProcess:
    """`python -m ops.backup …` as an operator runs it."""
    run = subprocess.run([sys.executable, "-m", "ops.backup", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": QUIET})
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def select_khademyar(admin, city) -> str:
    """An applicant vetted and accepted as a khademyar: the registry issues the next service code."""
    applicant = {k: v for k, v in person_body(city=city).items() if k not in ("kind", "service_code")}
    r = admin.post("/api/applications", json={"track": "khademyar", "applicant": applicant})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    for step in ("documents_checked", "interviewed", "vetted"):
        assert admin.post(f"/api/applications/{app_id}/steps", json={"step": step}).status_code == 200
    r = admin.post(f"/api/applications/{app_id}/decision", json={"outcome": "khademyar"})
    assert r.status_code == 200, r.text
    return admin.get(f"/api/people/{r.json()['person_id']}").json()["service_code"]


def answers(api, path) -> bool:
    try:
        return api.get(path, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def join(api, person_id, kanoon_id):
    r = api.post("/api/memberships", json={"person_id": person_id, "kanoon_id": kanoon_id})
    assert r.status_code == 200, r.text


def registry_view(registry, city) -> dict:
    """What every other service should hold of the city, from the registry's own records."""
    people = {p["_id"]: p for p in registry.people.find({"city_id": city})}
    return {
        "members": {pid: p.get("kanoon_id") for pid, p in people.items()
                    if p.get("kanoon_id") or p.get("left_kanoon_id")},
        "kanoons": {k["_id"]: (VIEW_STATUS.get(k["status"], k["status"]), k["head_id"], k["deputy_id"])
                    for k in registry.kanoons.find({"unit_path": city})},
        "grants": {g["_id"]: (g["person_id"], g["role"], g["scope_id"], g.get("revoked_at") is not None)
                   for g in registry.roles.find({"person_id": {"$in": list(people)}})},
    }


def consumer_view(db, ids: dict) -> dict:
    """A consumer's view of the records named in `ids` (present or not)."""
    return {
        "members": {m["_id"]: m.get("kanoon_id") for m in db.members.find({"_id": {"$in": sorted(ids["members"])}})},
        "kanoons": {k["_id"]: (k["status"], k["head_id"], k["deputy_id"])
                    for k in db.kanoons.find({"_id": {"$in": sorted(ids["kanoons"])}})},
        "grants": {g["_id"]: (g["person_id"], g["role"], g["scope_id"], bool(g.get("revoked")))
                   for g in db.grants.find({"_id": {"$in": sorted(ids["grants"])}})},
    }


def ids_of(*views) -> dict:
    return {part: set().union(*(v[part] for v in views)) for part in ("members", "kanoons", "grants")}


def inbox_ids(running) -> set[str]:
    return {r["_id"].split(":", 1)[1] for s in CONSUMERS
            for r in running.database(s).inbox.find({"consumer": "registry"}, {"_id": 1})}


def test_a_restored_registry_and_every_consumer_agree_again(running, tmp_path):
    admin = sign_in(running.base, "admin", ADMIN_PASSWORD)
    token = admin.headers["Authorization"].split(" ", 1)[1]
    registry = running.database("registry")
    info = running.topology["services"]["registry"]
    store = ["--service", "registry", "--uri", running.store_uri("registry"), "--database", info["database"]]
    tag = uuid.uuid4().hex[:4].upper()
    city = f"IR-09-B{tag}"

    # Before the backup: a city, its secretary, a kanoon with two members, a service code issued.
    assert admin.post("/api/units", json={"id": city, "name": "شهر پشتیبان", "kind": "city",
                                          "parent_id": "IR-09"}).status_code == 201
    sec, _ = staff(admin, running.base, f"sec.bk.{tag.lower()}", "city_secretary", city, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, running.base, head, f"head.bk.{tag.lower()}")
    k1 = form_kanoon(head_api, head, deputy, sec, "کانون پیش از پشتیبان", unit=city)
    m1, m2 = member(admin, city=city), member(admin, city=city, kind="yavar")
    join(head_api, m1, k1)
    join(head_api, m2, k1)
    code1 = select_khademyar(admin, city)
    assert eventually(lambda: all(running.database(s).members.count_documents({"_id": {"$in": [m1, m2]},
                                                                              "kanoon_id": k1}) == 2
                                  for s in CONSUMERS), timeout=TRAVEL)
    before = registry_view(registry, city)

    out = ops_backup("dump", *store, "--out", str(tmp_path / "backups"))
    folder = tmp_path / "backups" / out.stdout.splitlines()[0].rsplit("/", 1)[-1]
    manifest = backup.read_manifest(folder)
    assert manifest["point_in_time"] and manifest["collections"]["people"]["count"] >= 6

    # After it: two members join and one leaves, a role, a second kanoon, a service code, a ruling.
    m3, m4 = member(admin, city=city), member(admin, city=city)
    join(head_api, m3, k1)
    join(head_api, m4, k1)
    assert head_api.post("/api/memberships/leave", json={"person_id": m1}).status_code == 200
    r = admin.post("/api/roles", json={"person_id": m2, "role": "county_liaison", "scope_id": city})
    assert r.status_code == 201, r.text
    h2, d2 = member(admin, city=city), member(admin, city=city)
    k2 = form_kanoon(admin, h2, d2, sec, "کانون پس از پشتیبان", unit=city)
    code2 = select_khademyar(admin, city)
    v = until_status(lambda: admin.post("/api/violations", json={
        "person_id": m2, "source": "report", "description": "دریافت وجه از خانواده‌ها در ازای بسته"}), 201)
    assert v is not None
    assert admin.post(f"/api/violations/{v.json()['id']}/escalation").status_code == 200
    assert admin.post(f"/api/violations/{v.json()['id']}/ruling", json={
        "kind": "barred_from_headship", "months": 6, "reason": "تخلف مالی محرز شد"}).status_code == 200
    assert eventually(lambda: registry.restrictions.find_one({"person_id": m2}), timeout=TRAVEL)
    later = registry_view(registry, city)
    assert later != before and k2 in later["kanoons"] and later["members"][m1] is None
    seen = ids_of(before, later)
    assert eventually(lambda: all(consumer_view(running.database(s), seen) == later for s in CONSUMERS),
                      timeout=TRAVEL), "every consumer has what was written after the backup"

    # The registry's only instance frozen (the runner would restart a process that exits), its
    # database restored under it, then killed: the runner starts it again on the restored database.
    pid = running.pid("registry-1")
    os.kill(pid, signal.SIGSTOP)
    try:
        restored = ops_backup("restore", *store, "--from", str(folder), "--force")
    finally:
        os.kill(pid, signal.SIGKILL)
    assert "POST /api/ops/oversight/outbox/replay" in restored.stdout, restored.stdout
    assert "registry.member.joined.v1" in restored.stdout       # what the consumers had applied and stays
    assert eventually(lambda: running.pid("registry-1") != pid, timeout=30)
    assert eventually(lambda: answers(admin, f"/api/units/{city}"), timeout=TRAVEL), "the registry runs again"

    # The registry: exactly the backed-up records (read before anything new is written).
    for name in DOMAIN:
        if name in manifest["collections"]:
            got = {d["_id"]: d for d in registry[name].find({})}
            assert got == {d["_id"]: d for d in backup.documents(folder, name)}, name
    assert registry.restrictions.find_one({"person_id": m2}) is None
    # … and what the catch-up brings back: the ruling, from the oversight service's outbox.
    ops_backup("catch-up", "--service", "registry", "--uri", running.store_uri("registry"),
               "--database", info["database"], "--via", running.base, "--token", token)
    assert eventually(lambda: registry.restrictions.find_one({"person_id": m2}), timeout=TRAVEL), \
        "the catch-up replays bring the ruling back"

    # Every consumer agrees with the restored registry again: the restatement.
    now = registry_view(registry, city)
    assert now == before
    assert eventually(lambda: registry.restatements.find_one({"status": "published"}), timeout=TRAVEL)
    for s in CONSUMERS:
        view = eventually(lambda: (lambda v: v if v == now else None)(consumer_view(running.database(s), seen)),
                          timeout=TRAVEL)
        assert view == now, (s, consumer_view(running.database(s), seen), now)
    for s in CONSUMERS:   # explicitly: after the backup gone, before it intact, the leave undone
        db = running.database(s)
        assert db.members.count_documents({"_id": {"$in": [m3, m4, h2, d2]}}) == 0, s
        assert db.members.find_one({"_id": m1})["kanoon_id"] == k1, s
        assert db.kanoons.find_one({"_id": k2}) is None and db.kanoons.find_one({"_id": k1})["status"] == "active", s
        assert db.grants.count_documents({"person_id": m2, "role": "county_liaison"}) == 0, s
        assert db.registry_restatements.find_one({"swept_at": {"$ne": None}}), s
    assert registry.outbox.find_one({"type": "registry.store.restored.v1", "status": "sent"})

    # Sequences never go back: the next khademyar's service code was never issued before; and the
    # events of that command carry ids no consumer has seen.
    applied = inbox_ids(running)
    since = registry.outbox.find_one({}, sort=[("created_at", -1)])["created_at"]
    code3 = select_khademyar(admin, city)
    assert code3 not in (code1, code2) and code3 > code2, (code1, code2, code3)
    fresh = [r["_id"] for r in registry.outbox.find({"created_at": {"$gt": since}})]
    assert fresh and not set(fresh) & applied
    assert eventually(lambda: set(fresh) <= inbox_ids(running), timeout=TRAVEL), "and they are applied once published"

    # An operator's restatement (a consumer deployed after the outbox was pruned would build its view
    # from it): only administrators; consumers that agree already keep agreeing.
    member_api = account(admin, running.base, m2, f"m2.bk.{tag.lower()}")
    assert member_api.post("/api/ops/registry/restate").status_code == 403
    r = admin.post("/api/ops/registry/restate")
    assert r.status_code == 202 and r.json()["status"] == "requested" and r.json()["reason"] == "operator", r.text
    job = eventually(lambda: registry.restatements.find_one({"_id": r.json()["id"], "status": "published"}), timeout=TRAVEL)
    assert job, registry.restatements.find_one({"_id": r.json()["id"]})
    expected = registry_view(registry, city)
    for s in CONSUMERS:
        assert eventually(lambda: running.database(s).registry_restatements.find_one(
            {"_id": job["restatement_id"], "swept_at": {"$ne": None}}), timeout=TRAVEL), s
        assert consumer_view(running.database(s), ids_of(seen, expected)) == expected, s
