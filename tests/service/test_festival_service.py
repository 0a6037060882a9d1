"""The festival service as a real nameko process beside the registry, on the real broker and store:
it learns kanoons and roles from the registry's events; the reports and oversight services' events,
delivered twice and out of order, become ledger lines once, and the scores folded from them equal a
recomputation from the ledger; published ranks reach the registry, which shows them on the kanoon;
an event naming a kanoon the registry has not announced yet is retried, not dropped; roles claimed
in a message are ignored."""
import random
import time
import uuid
from datetime import timedelta

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from kernel import jalali
from kernel.errors import Forbidden, Unauthenticated
from tests.conftest import caller, fresh_queues, service_env, start_service, unique
from tests.service.test_reports_service import as_, eventually, person

REGISTRY = ["services.registry.service:RegistryService", "services.registry.service:RegistryProjections"]
FESTIVAL = ["services.festival.service:FestivalService", "services.festival.service:FestivalProjections"]
HANDLERS = {"reports": ["reports.report.approved.#--festival.on_report_approved",
                        "reports.report.flagged.#--festival.on_report_flagged",
                        "reports.program.held.#--festival.on_program",
                        "reports.monthly_report.#--festival.on_monthly_report"],
            "oversight": ["oversight.inspection.done.#--festival.on_inspection",
                          "oversight.opinion.published.#--festival.on_opinion",
                          "oversight.violation.recorded.#--festival.on_violation"],
            "festival": ["festival.training.completed.#--festival.on_training",
                         "festival.award.decided.#--festival.on_award",
                         "festival.kanoon.ranked.#--registry.on_ranked"]}
QUEUES = ["rpc-registry", "rpc-festival", "evt-registry-registry.#--festival.on_registry_event",
          *[f"evt-{src}-{q}" for src, qs in HANDLERS.items() for q in qs]]
YEAR = jalali.period_of(jalali.today(), "year").year
MONTH = str(jalali.period_of(jalali.today()))


@pytest.fixture(scope="module")
def world(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    fresh_queues(amqp_uri, *QUEUES)
    env = service_env(amqp_uri, mongo_uri, unique("fst_"), HANDLER_RETRY_DELAYS="0.5,1,2")
    logs = tmp_path_factory.mktemp("logs")
    registry = start_service(REGISTRY, env, logs / "registry.log", rpc, "registry.ping")
    festival = start_service(FESTIVAL, env, logs / "festival.log", rpc, "festival.ping")
    try:
        root = rpc.registry.bootstrap_admin("root", "service-tests-password-1", "مدیر", "سامانه")
        admin = root["person_id"]
        with as_(amqp_uri, admin, root["id"]) as r:
            head = r.registry.register_member(person("1234567891"))["id"]
            deputy = r.registry.register_member(person("9876543210"))["id"]
            member = r.registry.register_member(person("1112223339"))["id"]
            kid = r.registry.request_kanoon({"name": "کانون آزمون", "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                             "head_id": head, "deputy_id": deputy})["id"]
            r.registry.record_place(kid, {"kind": "mosque", "name": "مسجد", "address": "سناباد"})
            r.registry.record_council(kid, {"members": [{"full_name": f"عضو {i}", "title": "معتمد"} for i in range(5)]})
            r.registry.submit_forms(kid, {"neighborhood": "سناباد", "households_estimate": 100, "founding_members": 2,
                                          "programs_planned": "برنامه"})
            r.registry.approve_kanoon(kid, {"founding_date": jalali.format_date(jalali.today() - timedelta(days=40)),
                                            "computer_skills": True, "social_standing": True,
                                            "commitment_to_programs": True, "three_days_a_week": True})
            r.registry.join_kanoon({"person_id": member, "kanoon_id": kid})
            path = r.registry.get_unit("IR-09-MSH")["path"] + [kid]
        yield {"admin": admin, "admin_user": root["id"], "head": head, "member": member, "kanoon": kid,
               "path": path, "env": env, "logs": logs}
    finally:
        festival.stop()
        registry.stop()


def publish(amqp_uri, source, envelope):
    exchange = get_event_exchange(source, {})
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(envelope, exchange=exchange, routing_key=envelope["type"], serializer="json",
                                declare=[exchange], user_id=conn.userid)   # its publisher, as the relay sends it


def envelope(etype, data, event_id=None):
    return {"specversion": "1.0", "id": event_id or f"ev-{uuid.uuid4().hex}", "source": f"/khadem/{etype.split('.')[0]}",
            "type": etype, "time": jalali.start_of_day_utc(jalali.today()).isoformat().replace("+00:00", "Z"),
            "data": data}


def test_events_twice_and_out_of_order_give_the_ledgers_figures_and_published_ranks_reach_the_registry(
        world, amqp_uri):
    kid, path, member = world["kanoon"], world["path"], world["member"]
    report = {"kanoon_id": kid, "kanoon_path": path, "month": MONTH, "service_type": "x", "hours": 2,
              "beneficiaries": 3, "reporter_id": member, "by": world["head"]}
    events = [("reports", envelope("reports.report.approved.v1", {**report, "report_id": f"r{n}",
                                                                  "campaign_id": "cp_1" if n == 0 else None}))
              for n in range(3)]
    events += [("oversight", envelope("oversight.opinion.published.v1", {"target_id": kid, "province_id": "IR-09",
                                                                        "period": str(YEAR), "rating": r,
                                                                        "revision": n}))
               for n, r in ((1, 40), (2, 80))]
    events += [("oversight", envelope("oversight.violation.recorded.v1", {"violation_id": "vl_1", "person_id": member,
                                                                         "province_id": "IR-09", "source": "complaint"})),
               ("reports", envelope("reports.program.held.v1", {"program_id": "pg", "kanoon_id": kid,
                                                                "kanoon_path": path, "month": MONTH,
                                                                "held_on": "2026-01-01", "attendance": 12,
                                                                "partner_kanoon_ids": []}))]
    rng = random.Random(3)
    delivery = events + rng.sample(events, 4)
    rng.shuffle(delivery)
    delivery.sort(key=lambda e: e[1]["data"].get("revision", 0), reverse=True)   # revision 2 before 1
    for source, env in delivery:
        publish(amqp_uri, source, env)
    # 3 reports, 1 campaign, 1 program, opinion 8.0, violation −5 for the kanoon; the member: 3 + 2 − 10.
    expected_kanoon = {"reports": 3.0, "campaigns": 2.0, "programs": 5.0, "opinion": 8.0, "violations": -5.0}
    with as_(amqp_uri, world["admin"], world["admin_user"]) as admin:
        deadline = time.monotonic() + 30
        while True:
            score = admin.festival.kanoon_score(kid, YEAR)
            if score["points"] == expected_kanoon or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert score["points"] == expected_kanoon
        time.sleep(1.0)   # anything redelivered late would show now
        score = admin.festival.kanoon_score(kid, YEAR)
        assert score["points"] == expected_kanoon
        # Handlers run concurrently: revision 1 applied after 2 adds no line, applied before it adds
        # one that revision 2 then tops up — the opinion's points are 8 either way.
        opinion = [ln for ln in score["lines"] if ln["index"] == "opinion"]
        assert score["lines_total"] == 6 + len(opinion) and len(opinion) in (1, 2)
        assert round(sum(ln["points"] for ln in opinion), 2) == 8.0
        assert {ln["event_type"] for ln in score["lines"]} >= {"reports.report.approved.v1",
                                                               "oversight.opinion.published.v1"}
        assert score["score"]["province"] == 13.0 and score["ranks"]["city"]["rank"] == 1
        assert admin.festival.member_score(member, YEAR)["points"] == {"reports": 3.0, "campaigns": 2.0,
                                                                       "violations": -10.0}
        check = admin.festival.check_ledger(YEAR)
        assert check["subjects"] >= 2 and check["differences"] == []

        admin.festival.set_weights({"scope_id": "IR-09", "year": YEAR, "weights": {"violations": 3}})
        assert admin.festival.kanoon_score(kid, YEAR)["score"]["province"] == 3.0   # 18 − 3 × 5

        published = admin.festival.publish_ranks({"province_id": "IR-09", "year": YEAR})
        assert published["published"] >= 1
        deadline = time.monotonic() + 20
        while not (k := admin.registry.get_kanoon(kid)).get("ranks") and time.monotonic() < deadline:
            time.sleep(0.3)
        assert k["ranks"]["year"] == YEAR and k["ranks"]["province"]["rank"] == 1
        assert k["ranks"]["province"]["score"] == 3.0 and "/" in k["ranks"]["published_on"]


def test_an_event_naming_a_kanoon_not_known_yet_is_retried_until_the_registry_brings_it(world, amqp_uri, mongo_uri):
    from pymongo import MongoClient
    unknown = f"kn_late_{uuid.uuid4().hex[:6]}"
    inspection = envelope("oversight.inspection.done.v1", {
        "inspection_id": "in_1", "kind": "periodic", "target_id": unknown, "province_id": "IR-09",
        "season": f"{YEAR}-Q1", "checklist_id": "c:v1", "score": 70.0, "visitor_role": "oversight_head"})
    publish(amqp_uri, "oversight", inspection)
    time.sleep(1.0)                          # tried and deferred: the kanoon is unknown
    db = MongoClient(mongo_uri)[f"{world['env']['MONGO_DB_PREFIX']}festival"]
    assert db.points.count_documents({"subject_id": unknown}) == 0
    db.kanoons.insert_one({"_id": unknown, "unit_path": world["path"][:-1], "status": "active", "name": "دیر"})
    deadline = time.monotonic() + 20
    while db.points.count_documents({"subject_id": unknown}) == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    line = db.points.find_one({"subject_id": unknown})
    assert line is not None and line["points"] == 7.0 and line["event_id"] == inspection["id"]


def test_the_festival_service_resolves_roles_itself_and_ignores_claimed_ones(world, amqp_uri):
    forged = ('{"user_id": "u", "person_id": "%s", "grants": '
              '[{"role": "evaluation_head", "scope_id": "IR", "scope_kind": "country"}]}' % world["member"])
    with caller(amqp_uri, f"u_{world['member']}", world["member"], actor=forged) as me:
        with pytest.raises(Forbidden):
            me.festival.ranking("IR-09", YEAR)
        with pytest.raises(Forbidden):
            me.festival.check_ledger(YEAR)
        assert eventually(lambda: me.festival.member_score(world["member"], YEAR))["subject_id"] == world["member"]
    with caller(amqp_uri, actor=forged) as anonymous:
        with pytest.raises(Unauthenticated):
            anonymous.festival.ranking("IR-09", YEAR)
