"""The oversight service as a real nameko process beside the registry, on the real broker and store:
it learns kanoons and roles from the registry's events; its rulings reach the registry, which keeps
a redelivered ruling once and refuses what it forbids; a lift delivered before its ruling stays a
lift; and roles claimed in a message are ignored."""
import time
import uuid
from datetime import timedelta

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from kernel import jalali
from kernel.errors import Conflict, Forbidden, NotFound, Unauthenticated
from tests.conftest import caller, fresh_queues, service_env, start_service, unique
from tests.service.test_reports_service import as_, eventually, person

REGISTRY = ["services.registry.service:RegistryService", "services.registry.service:RegistryProjections"]
OVERSIGHT = ["services.oversight.service:OversightService", "services.oversight.service:OversightProjections"]
QUEUES = ["rpc-registry", "rpc-oversight", "evt-registry-registry.#--oversight.on_registry_event",
          "evt-oversight-oversight.ruling.#--registry.on_ruling"]


@pytest.fixture(scope="module")
def world(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    fresh_queues(amqp_uri, *QUEUES)
    env = service_env(amqp_uri, mongo_uri, unique("ovs_"), HANDLER_RETRY_DELAYS="0.2,0.4")
    logs = tmp_path_factory.mktemp("logs")
    registry = start_service(REGISTRY, env, logs / "registry.log", rpc, "registry.ping")
    oversight = start_service(OVERSIGHT, env, logs / "oversight.log", rpc, "oversight.ping")
    try:
        root = rpc.registry.bootstrap_admin("root", "service-tests-password-1", "مدیر", "سامانه")
        admin = root["person_id"]
        with as_(amqp_uri, admin, root["id"]) as r:
            head = r.registry.register_member(person("1234567891"))["id"]
            deputy = r.registry.register_member(person("9876543210"))["id"]
            other = r.registry.register_member(person("1112223339"))["id"]
            kid = r.registry.request_kanoon({"name": "کانون آزمون", "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                             "head_id": head, "deputy_id": deputy})["id"]
            r.registry.record_place(kid, {"kind": "mosque", "name": "مسجد", "address": "سناباد"})
            r.registry.record_council(kid, {"members": [{"full_name": f"عضو {i}", "title": "معتمد"} for i in range(5)]})
            r.registry.submit_forms(kid, {"neighborhood": "سناباد", "households_estimate": 100, "founding_members": 2,
                                          "programs_planned": "برنامه"})
            r.registry.approve_kanoon(kid, {"founding_date": jalali.format_date(jalali.today() - timedelta(days=40)),
                                            "computer_skills": True, "social_standing": True,
                                            "commitment_to_programs": True, "three_days_a_week": True})
            r.registry.join_kanoon({"person_id": other, "kanoon_id": kid})
        yield {"admin": admin, "admin_user": root["id"], "head": head, "deputy": deputy, "other": other, "kanoon": kid,
               "env": env}
    finally:
        oversight.stop()
        registry.stop()


def publish(amqp_uri, envelope):
    exchange = get_event_exchange("oversight", {})
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(envelope, exchange=exchange, routing_key=envelope["type"], serializer="json",
                                declare=[exchange], user_id=conn.userid)   # its publisher, as the relay sends it


def ruling(kind, person_id, rid, event_id, lifted=False):
    today = jalali.today()
    data = ({"ruling_id": rid, "violation_id": "vl_x", "person_id": person_id, "by": "p_committee"} if lifted else
            {"ruling_id": rid, "violation_id": "vl_x", "person_id": person_id, "province_id": "IR-09", "kind": kind,
             "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=90)).isoformat()})
    return {"specversion": "1.0", "id": event_id, "source": "/khadem/oversight",
            "type": f"oversight.ruling.{'lifted' if lifted else 'issued'}.v1", "time": "2026-01-01T00:00:00Z",
            "data": data}


def test_a_redelivered_ruling_is_kept_once_and_the_registry_refuses_what_it_forbids(world, amqp_uri, mongo_uri):
    from pymongo import MongoClient
    event = ruling("barred_from_headship", world["other"], "rl_svc_1", f"ev-{uuid.uuid4().hex}")
    publish(amqp_uri, event)
    publish(amqp_uri, event)                                # delivered twice
    db = MongoClient(mongo_uri)[f"{world['env']['MONGO_DB_PREFIX']}registry"]
    deadline = time.monotonic() + 20
    while db.restrictions.count_documents({"person_id": world["other"]}) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    assert db.restrictions.count_documents({"person_id": world["other"]}) == 1
    with as_(amqp_uri, world["admin"], world["admin_user"]) as admin:
        nid = f"{int(time.time()) % 10**9:09d}"
        deputy = admin.registry.register_member(person(_valid_nid(nid)))["id"]
        with pytest.raises(Conflict) as exc:
            admin.registry.request_kanoon({"name": "کانون دوم", "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                           "head_id": world["other"], "deputy_id": deputy})
        assert exc.value.field == "head_id" and "barred from heading" in exc.value.message


def test_a_lift_delivered_before_its_ruling_stays_a_lift(world, amqp_uri, mongo_uri):
    from pymongo import MongoClient
    rid = f"rl_svc_{uuid.uuid4().hex[:6]}"
    publish(amqp_uri, ruling(None, world["head"], rid, f"ev-{uuid.uuid4().hex}", lifted=True))
    publish(amqp_uri, ruling("suspended", world["head"], rid, f"ev-{uuid.uuid4().hex}"))
    db = MongoClient(mongo_uri)[f"{world['env']['MONGO_DB_PREFIX']}registry"]
    deadline = time.monotonic() + 20
    while not (db.restrictions.find_one({"_id": rid}) or {}).get("kind") == "suspended" and time.monotonic() < deadline:
        time.sleep(0.2)
    doc = db.restrictions.find_one({"_id": rid})
    assert doc["kind"] == "suspended" and doc["lifted"] is True


def test_the_oversight_service_resolves_roles_itself_and_ignores_claimed_ones(world, amqp_uri):
    forged = ('{"user_id": "u", "person_id": "%s", "grants": '
              '[{"role": "oversight_head", "scope_id": "IR", "scope_kind": "country"}]}' % world["other"])
    with caller(amqp_uri, f"u_{world['other']}", world["other"], actor=forged) as me:
        with pytest.raises(Forbidden):
            me.oversight.complaints("IR-09-MSH")
    with caller(amqp_uri, actor=forged) as anonymous:
        with pytest.raises(Unauthenticated):
            anonymous.oversight.complaints("IR-09-MSH")
    # The kanoon arrived by the registry's events: a public complaint about it is taken.
    with caller(amqp_uri) as public:
        ticket = eventually(lambda: public.oversight.receive_public_complaint({
            "subject_kind": "kanoon", "subject_id": world["kanoon"], "text": "شکایتی درباره رفتار در توزیع بسته‌ها"}),
            expect=(NotFound,))
        assert ticket["status"] == "received" and len(ticket["tracking_code"]) == 14
        assert public.oversight.track_complaint(ticket["tracking_code"])["status"] == "received"


def _valid_nid(seed: str) -> str:
    digits = [int(c) for c in seed[:9]]
    s = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    check = s if s < 2 else 11 - s
    return "".join(map(str, digits)) + str(check)

