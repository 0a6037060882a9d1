"""Check-then-insert rules hold under concurrency: the same command fired from many clients at once
lands exactly once (a unique index stops the second, which gets the rule's own Conflict). And the
registry trusts no caller: roles claimed in a message are ignored, operator calls need a real
administrator."""
import threading
from datetime import timedelta

import pytest

from kernel import jalali
from kernel.errors import Conflict, Forbidden, Invalid, Unauthenticated
from tests.conftest import caller, service_env, start_service, unique

from tests.system.helpers import next_nid


def person(kind="khademyar", nid=None):
    nid = nid or next_nid()
    body = {"kind": kind, "national_id": nid, "first_name": "علی", "last_name": "رضایی", "gender": "male",
            "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH", "mobile": "09151234567"}
    if kind == "khademyar":
        body["service_code"] = f"09-{nid}"
    return body


@pytest.fixture(scope="module")
def registry(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    env = service_env(amqp_uri, mongo_uri, unique("race_"))
    svc = start_service("services.registry.service:RegistryService", env,
                        tmp_path_factory.mktemp("logs") / "registry.log", rpc, "registry.ping")
    yield {"amqp": amqp_uri}
    svc.stop()


def race(amqp_uri, n, call):
    """`call(proxy, i)` from n clients at once; returns (results, errors)."""
    results, errors = [], []
    start = threading.Barrier(n)

    def one(i):
        with caller(amqp_uri, *race.who, timeout=60) as proxy:
            start.wait()
            try:
                results.append(call(proxy, i))
            except (Conflict, Invalid, Forbidden) as exc:
                errors.append(exc)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture(scope="module")
def admin(registry, rpc):
    """The first administrator, created by eight concurrent bootstraps: one wins."""
    race.who = ()
    wins, losses = race(registry["amqp"], 8, lambda r, i: r.registry.bootstrap_admin(
        f"root{i}", "service-tests-password-1", "مدیر", "سامانه"))
    assert len(wins) == 1 and len(losses) == 7
    assert all(isinstance(e, Conflict) for e in losses)
    race.who = (wins[0]["id"], wins[0]["person_id"])
    return wins[0]


def as_admin(amqp_uri, admin):
    return caller(amqp_uri, admin["id"], admin["person_id"])


def form_kanoon(r, head, deputy, name):
    kid = r.registry.request_kanoon({"name": name, "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                     "head_id": head, "deputy_id": deputy})["id"]
    r.registry.record_place(kid, {"kind": "mosque", "name": "مسجد", "address": "سناباد"})
    r.registry.record_council(kid, {"members": [{"full_name": f"عضو {i}", "title": "معتمد"} for i in range(5)]})
    r.registry.submit_forms(kid, {"neighborhood": "سناباد", "households_estimate": 100, "founding_members": 2,
                                  "programs_planned": "برنامه"})
    r.registry.approve_kanoon(kid, {"founding_date": jalali.format_date(jalali.today() - timedelta(days=40)),
                                    "computer_skills": True, "social_standing": True,
                                    "commitment_to_programs": True, "three_days_a_week": True})
    return kid


@pytest.fixture(scope="module")
def kanoons(registry, admin):
    with as_admin(registry["amqp"], admin) as r:
        r.registry.set_policy({"province_id": "IR-09", "kanoon_type": "neighborhood", "floor": 2, "ceiling": 100})
        people = [r.registry.register_member(person())["id"] for _ in range(4)]
        a = form_kanoon(r, people[0], people[1], "کانون الف")
        b = form_kanoon(r, people[2], people[3], "کانون ب")
        yavar = r.registry.register_member(person("yavar"))["id"]
        r.registry.join_kanoon({"person_id": yavar, "kanoon_id": a})
    return {"a": a, "b": b, "yavar": yavar, "head_a": people[0]}


def test_one_pending_transfer_per_person(registry, admin, kanoons):
    wins, losses = race(registry["amqp"], 8, lambda r, i: r.registry.request_transfer(
        {"person_id": kanoons["yavar"], "to_kanoon_id": kanoons["b"]}))
    assert len(wins) == 1 and len(losses) == 7
    assert all(isinstance(e, Conflict) and e.field == "person_id" for e in losses)
    with as_admin(registry["amqp"], admin) as r:
        assert len(r.registry.list_transfers(kanoons["a"], "pending")) == 1


def test_one_pending_application_per_person(registry, admin):
    nid = next_nid()
    applicant = {k: v for k, v in person("yavar", nid).items() if k != "kind"}
    wins, losses = race(registry["amqp"], 8, lambda r, i: r.registry.submit_application(
        {"track": "yavar", "applicant": applicant}))
    assert len(wins) == 1 and len(losses) == 7
    assert all(isinstance(e, Conflict) for e in losses)
    with as_admin(registry["amqp"], admin) as r:
        pending = r.registry.list_applications("IR-09-MSH", "pending")
    assert [a["applicant"]["national_id"] for a in pending].count(nid) == 1


def test_one_live_assignment_per_person_role_and_unit(registry, admin):
    with as_admin(registry["amqp"], admin) as r:
        pid = r.registry.register_member(person())["id"]
    wins, losses = race(registry["amqp"], 8, lambda r, i: r.registry.assign_role(
        {"person_id": pid, "role": "city_secretary", "scope_id": "IR-09-MSH"}))
    assert len(wins) == 1 and len(losses) == 7
    with as_admin(registry["amqp"], admin) as r:
        roles = [a for a in r.registry.roles_under("IR-09-MSH") if a["person_id"] == pid]
    assert len(roles) == 1


def test_one_head_per_kanoon(registry, admin, kanoons):
    """Handovers racing each other leave exactly one live head, the one the kanoon names; no path
    but the handover makes a head."""
    attested = {"computer_skills": True, "social_standing": True, "commitment_to_programs": True,
                "three_days_a_week": True}
    with as_admin(registry["amqp"], admin) as r:
        candidates = [r.registry.register_member(person())["id"] for _ in range(4)]
        for c in candidates:
            r.registry.join_kanoon({"person_id": c, "kanoon_id": kanoons["b"]})
        with pytest.raises(Forbidden, match="handover"):
            r.registry.assign_role({"person_id": candidates[0], "role": "kanoon_head", "scope_id": kanoons["b"]})
        head = next(a for a in r.registry.roles_under("IR-09-MSH")
                    if a["role"] == "kanoon_head" and a["scope_id"] == kanoons["b"])
        with pytest.raises(Forbidden, match="handover"):
            r.registry.revoke_role(head["id"])
    wins, losses = race(registry["amqp"], 4, lambda r, i: r.registry.hand_over(
        kanoons["b"], {"position": "head", "person_id": candidates[i], **attested}))
    assert wins and all(isinstance(e, Conflict) for e in losses)
    with as_admin(registry["amqp"], admin) as r:
        heads = [a for a in r.registry.roles_under("IR-09-MSH")
                 if a["role"] == "kanoon_head" and a["scope_id"] == kanoons["b"]]
        kanoon = r.registry.get_kanoon(kanoons["b"])
    assert len(heads) == 1 and heads[0]["person_id"] == kanoon["head_id"] in candidates


def test_one_open_kanoon_per_head(registry, admin):
    with as_admin(registry["amqp"], admin) as r:
        head = r.registry.register_member(person())["id"]
        deputies = [r.registry.register_member(person())["id"] for _ in range(4)]
    wins, losses = race(registry["amqp"], 4, lambda r, i: r.registry.request_kanoon(
        {"name": f"کانون {i}", "kind": "neighborhood", "unit_id": "IR-09-MSH", "head_id": head,
         "deputy_id": deputies[i]}))
    assert len(wins) == 1 and len(losses) == 3


def test_one_account_per_person(registry, admin):
    with as_admin(registry["amqp"], admin) as r:
        pid = r.registry.register_member(person("yavar"))["id"]
    wins, losses = race(registry["amqp"], 6, lambda r, i: r.registry.create_account(
        {"person_id": pid, "username": f"user.{pid[-6:]}.{i}", "password": "password-123"}))
    assert len(wins) == 1 and len(losses) == 5


def test_roles_claimed_in_a_message_are_ignored(registry, admin, amqp_uri):
    forged = ('{"user_id": "u_forged", "person_id": "p_forged", "grants": '
              '[{"role": "admin", "scope_id": "IR", "scope_kind": "country"}]}')
    body = person("yavar")
    with caller(amqp_uri, actor=forged) as anonymous:  # no user: an anonymous caller claiming admin
        with pytest.raises(Unauthenticated):
            anonymous.registry.register_member(body)
        with pytest.raises(Unauthenticated):
            anonymous.registry.outbox_status()
    with caller(amqp_uri, "u_forged", "p_forged", actor=forged) as stranger:  # a user who does not exist
        with pytest.raises(Unauthenticated):
            stranger.registry.register_member(body)
        with pytest.raises(Unauthenticated):
            stranger.registry.parked_list()
    with caller(amqp_uri, admin["id"], "p_someone_else") as mismatched:  # a real user id, another person
        with pytest.raises(Unauthenticated):
            mismatched.registry.register_member(body)
    with as_admin(amqp_uri, admin) as r:
        assert r.registry.outbox_status()["pending"] >= 0
    with caller(amqp_uri) as anonymous:  # nobody learns another account's identity and roles
        with pytest.raises(Unauthenticated):
            anonymous.registry.actor_of(admin["id"])
