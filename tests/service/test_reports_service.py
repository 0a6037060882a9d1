"""The reports service as a real nameko process beside the registry, on the real broker and store:
it learns kanoons, memberships and roles from the registry's events, takes reports over RPC,
publishes its events through the outbox, keeps its aggregates from them, and a redelivered or
late event changes nothing."""
import time
from datetime import timedelta

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from kernel import jalali
from kernel.errors import Forbidden, Invalid, NotFound, Unauthenticated
from tests.conftest import caller, fresh_queues, service_env, start_service, unique
from tests.service.conftest import EventTap

REPORTS = ["services.reports.service:ReportsService", "services.reports.service:ReportsProjections"]
# Queue names carry no database prefix: start from empty ones, whatever an earlier run left.
REPORTS_QUEUES = ["rpc-reports", "rpc-registry", "evt-registry-registry.#--reports.on_registry_event",
                  "evt-reports-reports.#--reports.on_own_event"]


def person(nid, kind="khademyar"):
    body = {"kind": kind, "national_id": nid, "first_name": "علی", "last_name": "رضایی", "gender": "male",
            "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH", "mobile": "09151234567"}
    if kind == "khademyar":
        body["service_code"] = f"09-{nid}"
    return body


def as_(amqp_uri, person_id, user_id=None):
    """A caller as the gateway sends it: who (user and person id), never roles. The reports service
    uses the roles it learnt from the registry's events."""
    return caller(amqp_uri, user_id or f"u_{person_id}", person_id, request_id=f"req-{person_id}")


def eventually(fn, timeout=20, expect=(Forbidden, NotFound)):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except expect:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def world(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    """The registry starts first and publishes the unit tree before the reports service runs: the
    reports service still learns it, because its queues were declared first (ops/topology.py)."""
    fresh_queues(amqp_uri, *REPORTS_QUEUES)
    env = service_env(amqp_uri, mongo_uri, unique("rep_"), HANDLER_RETRY_DELAYS="0.2,0.4")
    logs = tmp_path_factory.mktemp("logs")
    registry = start_service("services.registry.service:RegistryService", env, logs / "registry.log", rpc,
                             "registry.ping")
    reports = start_service(REPORTS, env, logs / "reports.log", rpc, "reports.ping")
    try:
        root = rpc.registry.bootstrap_admin("root", "service-tests-password-1", "مدیر", "سامانه")
        admin = root["person_id"]
        with as_(amqp_uri, admin, root["id"]) as r:
            head = r.registry.register_member(person("1234567891"))["id"]
            deputy = r.registry.register_member(person("9876543210"))["id"]
            yavar = r.registry.register_member(person("1112223339", "yavar"))["id"]
            kid = r.registry.request_kanoon({"name": "کانون آزمون", "kind": "neighborhood", "unit_id": "IR-09-MSH",
                                             "head_id": head, "deputy_id": deputy})["id"]
            r.registry.record_place(kid, {"kind": "mosque", "name": "مسجد", "address": "سناباد"})
            r.registry.record_council(kid, {"members": [{"full_name": f"عضو {i}", "title": "معتمد"} for i in range(5)]})
            r.registry.submit_forms(kid, {"neighborhood": "سناباد", "households_estimate": 100, "founding_members": 2,
                                          "programs_planned": "برنامه"})
            founded = jalali.format_date(jalali.today() - timedelta(days=40))
            r.registry.approve_kanoon(kid, {"founding_date": founded, "computer_skills": True, "social_standing": True,
                                            "commitment_to_programs": True, "three_days_a_week": True})
            r.registry.join_kanoon({"person_id": yavar, "kanoon_id": kid})
        yield {"admin": admin, "admin_user": root["id"], "head": head, "deputy": deputy, "yavar": yavar, "kanoon": kid}
    finally:
        reports.stop()
        registry.stop()


def report_body(kid, **extra):
    return {"kanoon_id": kid, "service_type": "food_packages", "day": jalali.format_date(jalali.today()),
            "hours": 2.5, "place": "مسجد", "beneficiaries": 7, "description": "توزیع بسته", **extra}


def test_a_member_reports_the_head_approves_and_the_aggregates_follow(world, amqp_uri):
    tap = EventTap(amqp_uri, "reports")
    try:
        with as_(amqp_uri, world["yavar"]) as me:
            report = eventually(lambda: me.reports.submit_report(report_body(world["kanoon"])))
        assert report["status"] == "submitted" and report["kanoon_path"][-2:] == ["IR-09-MSH", world["kanoon"]]
        with as_(amqp_uri, world["head"]) as head:
            approved = eventually(lambda: head.reports.review_report(report["id"], {"approve": True}))
        assert approved["status"] == "approved"
        got = tap(until=lambda g: {e["type"] for e in g} >= {"reports.report.submitted.v1", "reports.report.approved.v1"})
        ev = next(e for e in got if e["type"] == "reports.report.approved.v1")
        assert ev["data"]["report_id"] == report["id"] and ev["correlationid"] == f"req-{world['head']}"
        month = str(jalali.period_of(jalali.today()))
        with as_(amqp_uri, world["admin"]) as admin:
            def approved_once():
                a = admin.reports.aggregates("IR-09-MSH", month)
                assert a["reports"]["approved"] == 1, a
                return a
            agg = eventually(approved_once, expect=(AssertionError,))
        assert agg["reports"]["submitted"] == 0 and agg["hours"] == 2.5 and agg["beneficiaries"] == 7
        assert agg["by_service_type"]["food_packages"]["reports"] == 1
        with as_(amqp_uri, world["head"]) as head:
            # The head sees the kanoon's figures, not the city's.
            assert head.reports.aggregates(world["kanoon"], month)["hours"] == 2.5
            with pytest.raises(Forbidden):
                head.reports.aggregates("IR-09-MSH", month)

        # The same event delivered again changes nothing (inbox).
        exchange = get_event_exchange("reports", {})
        with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
            conn.Producer().publish(ev, exchange=exchange, routing_key=ev["type"], serializer="json", declare=[exchange],
                                    user_id=conn.userid)   # its publisher, as the relay sends it
        time.sleep(1.5)
        with as_(amqp_uri, world["admin"]) as admin:
            again = admin.reports.aggregates("IR-09-MSH", month)
        assert again["reports"]["approved"] == 1 and again["hours"] == 2.5
    finally:
        tap.close()


def test_only_members_report_and_only_their_officials_review(world, amqp_uri):
    with as_(amqp_uri, world["admin"], world["admin_user"]) as r:
        outsider = r.registry.register_member(person("2223334441", "yavar"))["id"]
    with as_(amqp_uri, outsider) as o:
        with pytest.raises(Forbidden):
            o.reports.submit_report(report_body(world["kanoon"]))
        with pytest.raises(Invalid) as exc:
            o.reports.submit_report(report_body(world["kanoon"], hours=-1))
        assert exc.value.field == "hours"
    with as_(amqp_uri, world["yavar"]) as me:
        with pytest.raises(NotFound):
            me.reports.submit_report(report_body(world["kanoon"], service_type="no_such_type"))
        future = jalali.format_date(jalali.today() + timedelta(days=1))
        with pytest.raises(Invalid) as exc:
            me.reports.submit_report(report_body(world["kanoon"], day=future))
        assert exc.value.field == "day"
        report = eventually(lambda: me.reports.submit_report(report_body(world["kanoon"])))
        with pytest.raises(Forbidden):
            me.reports.review_report(report["id"], {"approve": True})
    with as_(amqp_uri, outsider) as o:
        with pytest.raises(Forbidden):
            o.reports.review_report(report["id"], {"approve": True})


def test_a_late_membership_event_does_not_undo_a_newer_one(world, amqp_uri, rpc):
    """member.left published before member.joined but delivered after it must not unset the membership."""
    exchange = get_event_exchange("registry", {})
    left = {"specversion": "1.0", "id": "late-left-1", "source": "/khadem/registry", "type": "registry.member.left.v1",
            "time": "2020-01-01T00:00:00Z",
            "data": {"person_id": world["yavar"], "kanoon_id": world["kanoon"], "member_count": 2,
                     "below_floor": True, "via": "leave"}}
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(left, exchange=exchange, routing_key=left["type"], serializer="json", declare=[exchange],
                                user_id=conn.userid)   # its publisher, as the relay sends it
    time.sleep(1.0)
    with as_(amqp_uri, world["yavar"]) as me:
        report = me.reports.submit_report(report_body(world["kanoon"]))
    assert report["kanoon_id"] == world["kanoon"]
    with as_(amqp_uri, world["admin"], world["admin_user"]) as admin:
        assert [p for p in admin.reports.parked_list() if p["event_id"] == "late-left-1"] == []


def test_roles_claimed_in_a_message_are_ignored(world, amqp_uri):
    """The reports service takes the caller's roles from its read model of the registry, never from
    the message: a member claiming to be an administrator is what the registry says they are."""
    forged = ('{"user_id": "u", "person_id": "%s", "grants": '
              '[{"role": "admin", "scope_id": "IR", "scope_kind": "country"}]}' % world["yavar"])
    month = str(jalali.period_of(jalali.today()))
    with caller(amqp_uri, f"u_{world['yavar']}", world["yavar"], actor=forged) as me:
        with pytest.raises(Forbidden):
            me.reports.aggregates("IR-09-MSH", month)
        with pytest.raises(Forbidden):
            me.reports.parked_list()
    with caller(amqp_uri, actor=forged) as anonymous:
        with pytest.raises(Unauthenticated):
            anonymous.reports.aggregates("IR-09-MSH", month)
    with as_(amqp_uri, world["admin"], world["admin_user"]) as admin:
        assert admin.reports.aggregates("IR-09-MSH", month)["unit_id"] == "IR-09-MSH"
