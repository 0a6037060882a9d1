"""The reports service's rules with no I/O: the report and monthly-report state machines, campaign
participation, program compliance, completeness arithmetic, Jalali month bucketing, and the
aggregate counters (which must come out the same whatever order their events arrive in)."""
from datetime import date, datetime, timedelta, timezone

import jdatetime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.clock import FixedClock
from kernel.errors import Forbidden, Conflict, Invalid
from kernel.jalali import parse_period
from services.reports.domain import aggregates
from services.reports.domain.campaigns import Campaign
from services.reports.domain.common import month_key
from services.reports.domain.kanoons import KanoonView
from services.reports.domain.monthly import MonthlyReport, compile_month, completeness, monthly_deadline
from services.reports.domain.needs import ExecutiveProject, Need
from services.reports.domain.programs import Program, program_compliance
from services.reports.domain.reports import ActivityReport, ReportStatus
from services.reports.domain.reservations import Reservation
from services.reports.domain.service_types import ServiceType

C = FixedClock()

TODAY = jdatetime.date(1404, 8, 20).togregorian()
FOUNDED = jdatetime.date(1404, 1, 1).togregorian()


def j(y, m, d) -> date:
    return jdatetime.date(y, m, d).togregorian()


def kanoon(kid="kn_a", founded=FOUNDED, kind="neighborhood", field=None, status="active", name=None):
    return KanoonView(id=kid, name=name or kid, kind=kind, field=field, unit_path=["IR", "IR-R5", "IR-09", "IR-09-MSH"],
                      status=status, founding_date=founded)


PUBLIC = ServiceType(id="food_packages", name="بسته معیشتی")
MEDICAL = ServiceType(id="free_medical_visits", name="ویزیت", field="medical")
LOCAL = ServiceType(id="tehran_only", name="x", scope_id="IR-07")


def submit(k=None, day=None, t=PUBLIC, hours=2.0, beneficiaries=5, campaign=None, reporter="p_1"):
    return ActivityReport.submit(reporter_id=reporter, reporter_kind="yavar", kanoon=k or kanoon(),
                                 service_type=t, day=day or TODAY, today=TODAY, hours=hours, place="مسجد",
                                 beneficiaries=beneficiaries, description="شرح", media=[], campaign=campaign,
                                 clock=C)


# ---------------------------------------------------------------- months

@pytest.mark.parametrize("day,key", [
    (date(2025, 3, 20), "1403-12"),   # 30 Esfand 1403: 1403 is a leap year
    (date(2025, 3, 21), "1404-01"),   # 1 Farvardin 1404
    (date(2024, 3, 19), "1402-12"),   # 29 Esfand 1402 (1402 is not leap)
    (date(2024, 3, 20), "1403-01"),   # 1 Farvardin 1403
    (j(1403, 6, 31), "1403-06"), (j(1403, 7, 1), "1403-07"),  # 31-day half to 30-day half
])
def test_a_day_falls_in_its_jalali_month(day, key):
    assert month_key(day) == key


def test_esfand_of_a_leap_year_has_thirty_days_and_the_year_twelve_buckets():
    esfand = parse_period("1403-12")
    assert (esfand.end_day - esfand.first_day).days == 30
    assert aggregates.bucket_ids("IR-09", parse_period("1403"))[-1] == "IR-09|1403-12"
    assert aggregates.bucket_ids("IR-09", parse_period("1403-Q4")) == ["IR-09|1403-10", "IR-09|1403-11", "IR-09|1403-12"]
    assert len(aggregates.bucket_ids("IR-09", parse_period("1404-H2"))) == 6


# ---------------------------------------------------------------- activity reports

def test_report_lifecycle_and_its_events():
    r, events = submit()
    assert r.status == ReportStatus.submitted and r.kanoon_path[-1] == "kn_a"
    assert events[0].event_type == "reports.report.submitted.v1" and events[0].month == "1404-08"
    with pytest.raises(Conflict):
        r.return_for_review("sec", "نه", C)  # only approved reports are returned
    assert r.approve("head", C)[0].event_type == "reports.report.approved.v1"
    with pytest.raises(Conflict):      # its reporter, but the report is approved, not returned
        r.resubmit("p_1", {"hours": 1}, None, kanoon(), None, TODAY, C)
    with pytest.raises(Conflict):
        r.approve("head", C)
    with pytest.raises(Conflict):
        r.reject("head", "دیر", C)
    ev = r.return_for_review("sec", "ساعات نادرست", C)[0]
    assert r.status == ReportStatus.returned and ev.comment == "ساعات نادرست"
    with pytest.raises(Forbidden):     # someone else learns nothing of the report's state
        r.resubmit("someone_else", {}, None, kanoon(), None, TODAY, C)
    ev = r.resubmit("p_1", {"hours": 1.5}, None, kanoon(), None, TODAY, C)[0]
    assert r.status == ReportStatus.submitted and r.hours == 1.5 and ev.previous == "returned"
    r.reject("head", "مستندات ناقص", C)
    assert r.status == ReportStatus.rejected and r.reason == "مستندات ناقص"
    with pytest.raises(Conflict):
        r.flag("exemplary", "eval", None, C)


@pytest.mark.parametrize("kwargs,field", [
    ({"day": TODAY + timedelta(days=1)}, "day"),
    ({"day": TODAY - timedelta(days=11), "k": kanoon(founded=TODAY - timedelta(days=10))}, "day"),
    ({"day": TODAY - timedelta(days=61)}, "day"),
    ({"t": MEDICAL}, "service_type"),
    ({"t": LOCAL}, "service_type"),
])
def test_a_report_is_refused_for_impossible_days_and_closed_types(kwargs, field):
    with pytest.raises(Invalid) as exc:
        submit(**kwargs)
    assert exc.value.field == field


def test_specialized_types_are_for_their_field_and_inactive_kanoons_do_not_report():
    submit(k=kanoon(kind="specialized_social", field="medical"), t=MEDICAL)
    with pytest.raises(Conflict):
        submit(k=kanoon(status="requested"))


def test_campaign_participation_is_checked():
    c, events = Campaign.announce(title="پویش", description=None, scope_id="IR-09", scope_path=["IR", "IR-R5", "IR-09"],
                                  starts_on=j(1404, 8, 1), ends_on=j(1404, 8, 30), targets={},
                                  service_types=["food_packages"], by="pm", clock=C)
    assert events[0].event_type == "reports.campaign.announced.v1" and c.months == ["1404-08"]
    r, ev = submit(campaign=c)
    assert r.campaign_id == c.id and ev[0].campaign_id == c.id
    with pytest.raises(Invalid) as exc:
        submit(campaign=c, day=j(1404, 7, 30))
    assert exc.value.field == "day"
    targeted = c.model_copy(update={"target_ids": ["kn_other"]})
    with pytest.raises(Invalid) as exc:
        submit(campaign=targeted)
    assert exc.value.field == "campaign_id"
    with pytest.raises(Invalid):
        Campaign.announce(title="x", description=None, scope_id="IR", scope_path=["IR"], starts_on=TODAY,
                          ends_on=TODAY - timedelta(days=1), targets={}, service_types=["a"], by="x", clock=C)


def test_reservations_are_confirmed_or_declined_with_a_reason():
    r, _ = Reservation.request(person_id="p", kanoon=kanoon(), service_type=PUBLIC, day=TODAY, today=TODAY,
                               from_hour=16, to_hour=18, note=None, clock=C)
    with pytest.raises(Invalid):
        r.decide(False, "head", None)
    r.decide(True, "head", None)
    assert r.status == "confirmed"
    with pytest.raises(Conflict):
        r.decide(False, "head", "no")
    with pytest.raises(Invalid) as exc:
        Reservation.request(person_id="p", kanoon=kanoon(), service_type=PUBLIC, day=TODAY, today=TODAY,
                            from_hour=18, to_hour=18, note=None, clock=C)
    assert exc.value.field == "to_hour"


# ---------------------------------------------------------------- programs and compliance

def test_compliance_lists_the_kanoons_that_missed_the_month():
    ks = [kanoon("kn_a"), kanoon("kn_b"), kanoon("kn_new", founded=j(1404, 7, 15)), kanoon("kn_req", status="requested")]
    c = program_compliance("IR-09-MSH", "1404-07", ks, held={"kn_a", "kn_new"})
    assert (c.expected, c.complied) == (2, 1)  # kn_new opened mid-month: not yet expected
    assert [m["kanoon_id"] for m in c.missed] == ["kn_b"]
    assert c.rate == 0.5
    assert program_compliance("IR-09-MSH", "1404-08", ks, held=set()).expected == 3
    assert program_compliance("IR-07", "1404-08", [], held=set()).rate is None


def test_a_program_is_recorded_after_it_is_held_with_other_active_kanoons():
    p, events = Program.record(kanoon=kanoon(), title="چهارشنبه امام رضایی", held_on=TODAY, today=TODAY,
                               attendance=40, partners=[kanoon("kn_med", kind="specialized_social")], note=None, by="h", clock=C)
    assert events[0].month == "1404-08" and events[0].partner_kanoon_ids == ["kn_med"]
    with pytest.raises(Invalid):
        Program.record(kanoon=kanoon(), title="x", held_on=TODAY + timedelta(days=1), today=TODAY, attendance=1,
                       partners=[], note=None, by="h", clock=C)
    with pytest.raises(Invalid):
        Program.record(kanoon=kanoon(), title="x", held_on=TODAY, today=TODAY, attendance=1,
                       partners=[kanoon()], note=None, by="h", clock=C)


# ---------------------------------------------------------------- monthly reports and completeness

def at(y, m, d, hour=12):
    return datetime.combine(j(y, m, d), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=hour)


def monthly(k=None, month="1404-07", when=None, supplementary=None, requests=(10, 8)):
    return MonthlyReport.submit(kanoon=k or kanoon(), month=month, figures={}, clients=100,
                                public_requests=requests[0], answered=requests[1], narrative=None,
                                supplementary=supplementary, by="head", at=when or at(1404, 8, 2))


def test_monthly_report_is_submitted_after_the_month_returned_resubmitted_and_locked_when_accepted():
    with pytest.raises(Invalid) as exc:
        monthly(when=at(1404, 7, 29))
    assert exc.value.field == "month"
    r, events = monthly()
    assert r.on_time and events[0].on_time and not events[0].resubmission
    with pytest.raises(Conflict):
        r.resubmit(kanoon=kanoon(), figures={}, clients=1, public_requests=0, answered=0, narrative=None,
                   supplementary=None, by="head", at=at(1404, 8, 3))
    r.return_with("آمار مراجعین ناقص است", "sec", C)
    ev = r.resubmit(kanoon=kanoon(), figures={"reports": 3}, clients=120, public_requests=10, answered=9,
                    narrative=None, supplementary=None, by="head", at=at(1404, 8, 20))
    assert ev[0].resubmission and r.on_time, "timeliness is the first submission's"
    r.accept("sec", C)
    for attempt in (lambda: r.return_with("x", "sec", C), lambda: r.accept("sec", C),
                    lambda: r.resubmit(kanoon=kanoon(), figures={}, clients=1, public_requests=0, answered=0,
                                       narrative=None, supplementary=None, by="head", at=at(1404, 8, 21))):
        with pytest.raises(Conflict):
            attempt()


def test_deadline_and_contents_of_a_monthly_report():
    assert monthly_deadline("1404-07") == datetime.combine(j(1404, 8, 6), datetime.min.time()).replace(
        tzinfo=timezone.utc) - timedelta(hours=3, minutes=30)
    late, _ = monthly(when=at(1404, 8, 6))
    assert not late.on_time
    with pytest.raises(Invalid) as exc:
        monthly(requests=(3, 4))
    assert exc.value.field == "public_requests_answered"
    with pytest.raises(Invalid) as exc:
        monthly(k=kanoon(kind="specialized_cultural", field="art"))
    assert exc.value.field == "supplementary"
    monthly(k=kanoon(kind="specialized_cultural", field="art"), supplementary="تکمله")


def test_completeness_never_passes_one_hundred_percent():
    ks = [kanoon("kn_a"), kanoon("kn_b"), kanoon("kn_c"), kanoon("kn_new", founded=j(1404, 7, 10))]
    filed = [{"kanoon_id": "kn_a", "on_time": True}, {"kanoon_id": "kn_b", "on_time": False},
             {"kanoon_id": "kn_new", "on_time": True}]  # opened mid-month: its report is welcome, not counted
    c = completeness("IR-09-MSH", "1404-07", ks, filed)
    assert (c.expected, c.reported, c.on_time) == (3, 2, 1)
    assert [m["kanoon_id"] for m in c.missing] == ["kn_c"]
    assert c.reported_rate == pytest.approx(2 / 3) and c.on_time_rate == pytest.approx(1 / 3)


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=30))
def test_completeness_rates_stay_within_bounds(rows):
    ks, filed = [], []
    for i, (expected, reported, on_time) in enumerate(rows):
        ks.append(kanoon(f"kn_{i}", founded=FOUNDED if expected else j(1404, 7, 20)))
        if reported:
            filed.append({"kanoon_id": f"kn_{i}", "on_time": on_time})
    c = completeness("IR", "1404-07", ks, filed)
    assert 0 <= c.on_time <= c.reported <= c.expected
    assert c.reported_rate is None or 0 <= c.on_time_rate <= c.reported_rate <= 1


def test_compile_month_counts_the_approved_reports_and_programs():
    reports = []
    for hours, who in [(2, "p1"), (3.5, "p1"), (1, "p2")]:
        r, _ = submit(hours=hours, reporter=who)
        r.approve("head", C)
        reports.append(r)
    p, _ = Program.record(kanoon=kanoon(), title="x", held_on=TODAY, today=TODAY, attendance=30, partners=[],
                          note=None, by="h", clock=C)
    f = compile_month(reports, [p])
    assert f["reports"] == 3 and f["hours"] == 6.5 and f["members_reporting"] == 2
    assert f["by_service_type"]["food_packages"]["beneficiaries"] == 15 and f["programs"] == 1


# ---------------------------------------------------------------- needs and projects

def test_needs_match_members_of_the_kanoon_or_specialized_kanoons_of_the_field():
    n = Need(id="nd_1", kanoon_id="kn_a", kanoon_path=kanoon().path, title="ویزیت", field="medical",
             registered_at=C.now())
    with pytest.raises(Invalid):
        n.match_member("p_x", kanoon("kn_other"), "head", C)
    with pytest.raises(Invalid):
        n.match_kanoon(kanoon("kn_n"), "head", C)  # a neighborhood kanoon
    with pytest.raises(Invalid):
        n.match_kanoon(kanoon("kn_law", kind="specialized_social", field="legal"), "head", C)
    n.match_kanoon(kanoon("kn_med", kind="specialized_social", field="medical"), "head", C)
    n.match_member("p_1", kanoon("kn_a"), "head", C)
    assert n.status == "matched" and len(n.matches) == 2
    with pytest.raises(Conflict):
        n.match_member("p_1", kanoon("kn_a"), "head", C)
    n.resolve("met", "head")
    with pytest.raises(Conflict):
        n.match_member("p_2", kanoon("kn_a"), "head", C)


def test_a_need_goes_to_a_specialized_khademyar_only_where_the_city_has_no_kanoon_of_its_field():
    n = Need(id="nd_2", kanoon_id="kn_a", kanoon_path=kanoon().path, title="مشاوره حقوقی", field="legal",
             registered_at=C.now())
    lawyer_kanoon = kanoon("kn_law_nsh", kind="specialized_social", field="legal")
    with pytest.raises(Invalid, match="has a legal kanoon"):
        n.match_member("p_lawyer", lawyer_kanoon, "head", C, city_has_field_kanoon=True)
    with pytest.raises(Invalid, match="province"):
        n.match_member("p_lawyer", lawyer_kanoon, "head", C, city_has_field_kanoon=False, same_province=False)
    with pytest.raises(Invalid, match="legal kanoon"):
        n.match_member("p_doctor", kanoon("kn_med", kind="specialized_social", field="medical"), "head", C,
                       city_has_field_kanoon=False)
    [event] = n.match_member("p_lawyer", lawyer_kanoon, "head", C, city_has_field_kanoon=False)
    assert n.matches[-1].kind == "specialist" and event.match_kind == "specialist"
    general = Need(id="nd_3", kanoon_id="kn_a", kanoon_path=kanoon().path, title="بسته", registered_at=C.now())
    with pytest.raises(Invalid):  # a need of no field is met inside its own kanoon
        general.match_member("p_lawyer", lawyer_kanoon, "head", C, city_has_field_kanoon=False)


def test_a_participatory_program_joins_kanoons_of_the_other_kind():
    with pytest.raises(Invalid, match="specialized") as exc:
        Program.record(kanoon=kanoon(), title="x", held_on=TODAY, today=TODAY, attendance=3,
                       partners=[kanoon("kn_b")], note=None, by="h", clock=C)
    assert exc.value.field == "partner_kanoon_ids"
    spec = kanoon("kn_med", kind="specialized_social", field="medical")
    with pytest.raises(Invalid, match="neighborhood"):
        Program.record(kanoon=spec, title="x", held_on=TODAY, today=TODAY, attendance=3,
                       partners=[kanoon("kn_law", kind="specialized_social", field="legal")], note=None, by="h",
                       clock=C)
    Program.record(kanoon=spec, title="x", held_on=TODAY, today=TODAY, attendance=3, partners=[kanoon("kn_b")],
                   note=None, by="h", clock=C)


def test_a_reservation_is_cancelled_before_its_day():
    r, _ = Reservation.request(person_id="p", kanoon=kanoon(), service_type=PUBLIC, day=TODAY + timedelta(days=2),
                               today=TODAY, from_hour=16, to_hour=18, note=None, clock=C)
    r.decide(True, "head", None)
    [event] = r.cancel("p", TODAY)
    assert r.status == "cancelled" and event.status == "cancelled"
    with pytest.raises(Conflict):
        r.cancel("p", TODAY)
    late, _ = Reservation.request(person_id="p", kanoon=kanoon(), service_type=PUBLIC, day=TODAY, today=TODAY,
                                  from_hour=16, to_hour=18, note=None, clock=C)
    with pytest.raises(Conflict, match="passed"):
        late.cancel("p", TODAY + timedelta(days=1))


def test_a_resubmitted_report_is_checked_against_its_campaign_again():
    c, _ = Campaign.announce(title="پویش", description=None, scope_id="IR-09", scope_path=["IR", "IR-R5", "IR-09"],
                             starts_on=j(1404, 8, 1), ends_on=j(1404, 8, 30), targets={},
                             service_types=["food_packages"], by="pm", clock=C)
    r, _ = submit(campaign=c)
    r.approve("head", C)
    r.return_for_review("sec", "روز اشتباه", C)
    with pytest.raises(Invalid) as exc:   # the corrected day falls outside the campaign
        r.resubmit("p_1", {"day": j(1404, 7, 28)}, None, kanoon(), c, TODAY, C)
    assert exc.value.field == "day" and r.status == "returned"
    with pytest.raises(Invalid) as exc:   # the campaign does not ask for this type
        r.resubmit("p_1", {}, ServiceType(id="tutoring", name="x"), kanoon(), c, TODAY, C)
    assert exc.value.field == "service_type" and r.service_type == "food_packages"
    with pytest.raises(Invalid):
        r.resubmit("p_1", {"campaign_id": None}, None, kanoon(), c, TODAY, C)
    r.resubmit("p_1", {"day": j(1404, 8, 2)}, None, kanoon(), c, TODAY, C)
    assert r.status == "submitted" and r.day == j(1404, 8, 2)


def test_a_project_asks_other_kanoons_and_each_answers_once():
    n = Need(id="nd_1", kanoon_id="kn_a", kanoon_path=kanoon().path, title="t", registered_at=datetime.now(timezone.utc))
    with pytest.raises(Invalid):
        ExecutiveProject.propose(kanoon=kanoon(), title="t", description="d", needs=[n], invited=[kanoon()], by="h", clock=C)
    p, _ = ExecutiveProject.propose(kanoon=kanoon(), title="t", description="d", needs=[n],
                                    invited=[kanoon("kn_b")], by="h", clock=C)
    with pytest.raises(Invalid):
        p.respond("kn_c", True, "x")
    p.respond("kn_b", True, "hb")
    assert p.responses == {"kn_b": "joined"}
    with pytest.raises(Conflict):
        p.respond("kn_b", False, "hb")


# ---------------------------------------------------------------- aggregate counters

def _apply(events) -> dict:
    buckets: dict = {}
    for e in events:
        data = e.model_dump(mode="json")
        for unit in data.get("kanoon_path", []):
            b = buckets.setdefault(aggregates.bucket_id(unit, data["month"]), {})
            for k, v in aggregates.deltas(e.event_type, data).items():
                node = b
                *parents, leaf = k.split(".")
                for p in parents:
                    node = node.setdefault(p, {})
                node[leaf] = node.get(leaf, 0) + v
    return buckets


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["approve", "reject", "approve_return", "approve_return_resubmit_approve",
                                           "pending"]),
                          st.floats(0.5, 8), st.integers(0, 30), st.integers(1, 60)), min_size=1, max_size=25),
       st.randoms(use_true_random=False))
def test_counters_match_the_reports_whatever_order_events_arrive_in(lives, rnd):
    events, expected_hours, expected_approved, expected_status = [], 0.0, 0, {s: 0 for s in ReportStatus}
    for fate, hours, benef, days_ago in lives:
        r, ev = submit(hours=round(hours, 1), beneficiaries=benef, day=TODAY - timedelta(days=days_ago % 60))
        events += ev
        if fate != "pending":
            events += r.approve("h", C) if fate != "reject" else r.reject("h", "دلیل", C)
        if fate.startswith("approve_return"):
            events += r.return_for_review("s", "اصلاح", C)
        if fate == "approve_return_resubmit_approve":
            events += r.resubmit("p_1", {}, None, kanoon(), None, TODAY, C)
            events += r.approve("h", C)
        expected_status[r.status] += 1
        if r.status == ReportStatus.approved:
            expected_hours += r.hours
            expected_approved += 1
    rnd.shuffle(events)
    buckets = _apply(events)
    months = sorted({k.split("|")[1] for k in buckets})
    period_docs = [buckets.get(f"IR-09|{m}", {}) for m in months]
    total = aggregates.summarize("IR-09", parse_period("1404"), period_docs)
    assert total["reports"] == {s.value: n for s, n in expected_status.items()}
    assert total["hours"] == pytest.approx(round(expected_hours, 2), abs=0.011)
    assert total["by_service_type"].get("food_packages", {}).get("reports", 0) == expected_approved
    # The kanoon's buckets equal the province's: every unit on the path counts the same reports.
    assert {k.split("|")[1] for k in buckets if k.startswith("kn_a|")} == set(months)


def test_aggregates_split_khademyars_and_yavars_activity():
    quarter = parse_period("1404-Q3")
    events = []
    for kind, hours in (("khademyar", 2.0), ("khademyar", 3.0), ("yavar", 1.5)):
        r, _ = ActivityReport.submit(reporter_id=f"p_{kind}", reporter_kind=kind, kanoon=kanoon(), service_type=PUBLIC,
                                     day=j(1404, 8, 2), today=TODAY, hours=hours, place="مسجد", beneficiaries=4,
                                     description="شرح", media=[], clock=C)
        events += r.approve("head", C)
    totals: dict = {}
    for e in events:
        for k, v in aggregates.deltas(e.event_type, e.model_dump()).items():
            totals[k] = totals.get(k, 0) + v
    doc: dict = {}
    for k, v in totals.items():
        node = doc
        *parents, leaf = k.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = v
    out = aggregates.summarize("IR-09", quarter, [doc])
    assert out["by_member_kind"] == {"khademyar": {"reports": 2, "hours": 5.0, "beneficiaries": 8},
                                     "yavar": {"reports": 1, "hours": 1.5, "beneficiaries": 4}}


def test_a_specialized_kanoons_monthly_report_is_reviewed_by_its_fields_secretary():
    from kernel.access import Actor, Grant
    from kernel.errors import Forbidden
    from services.reports.domain import rules

    def actor(role, scope, field=None):
        return Actor(user_id="u", person_id="x", grants=[Grant(role=role, scope_id=scope, scope_kind="k", field=field)])
    medical = kanoon("kn_med", kind="specialized", field="medical")
    city_secretary = actor("city_secretary", "IR-09-MSH")
    rules.review_monthly(city_secretary, kanoon())
    with pytest.raises(Forbidden, match="specialized secretary"):
        rules.review_monthly(city_secretary, medical)
    rules.review_monthly(actor("specialized_secretary", "IR-09", "medical"), medical)
    with pytest.raises(Forbidden):
        rules.review_monthly(actor("specialized_secretary", "IR-09", "legal"), medical)
    with pytest.raises(Forbidden):
        rules.review_monthly(actor("specialized_secretary", "IR-09", "medical"), kanoon())


def test_the_report_window_and_the_deadline_day_are_the_provinces():
    with pytest.raises(Invalid, match="within 10 days"):
        ActivityReport.submit(reporter_id="p", reporter_kind="yavar", kanoon=kanoon(), service_type=PUBLIC,
                              day=TODAY - timedelta(days=11), today=TODAY, hours=1, place="x", beneficiaries=1,
                              description="x", media=[], clock=C, window_days=10)
    submit(day=TODAY - timedelta(days=59))   # the default window is 60 days
    assert monthly_deadline("1404-07", 3) == monthly_deadline("1404-07") - timedelta(days=2)
    late = at(1404, 8, 4)
    r, _ = MonthlyReport.submit(kanoon=kanoon(), month="1404-07", figures={}, clients=1, public_requests=0, answered=0,
                                narrative=None, supplementary=None, by="h", at=late, deadline_day=3)
    assert not r.on_time
    r, _ = MonthlyReport.submit(kanoon=kanoon(), month="1404-07", figures={}, clients=1, public_requests=0, answered=0,
                                narrative=None, supplementary=None, by="h", at=late)
    assert r.on_time


def test_local_campaigns_wait_for_the_managers_approval_and_field_campaigns_call_their_field():
    from kernel.access import Actor, Grant
    from kernel.errors import Forbidden
    from services.reports.domain import rules

    def actor(role, scope="IR-09", field=None, pid="x"):
        return Actor(user_id="u", person_id=pid, grants=[Grant(role=role, scope_id=scope, scope_kind="province", field=field)])
    city = ["IR", "IR-R5", "IR-09", "IR-09-MSH"]
    planner = actor("planning_head", pid="planner")
    _, draft = rules.campaign_author(planner, city, "city", None)
    assert draft
    _, draft = rules.campaign_author(actor("province_manager"), city, "city", None)
    assert not draft
    with pytest.raises(Forbidden):
        rules.campaign_author(actor("city_secretary", "IR-09-MSH"), city, "city", None)
    with pytest.raises(Forbidden):
        rules.campaign_author(actor("sponsoring_institution", field="legal"), ["IR", "IR-R5", "IR-09"], "province", "medical")
    rules.campaign_author(actor("sponsoring_institution", field="medical"), ["IR", "IR-R5", "IR-09"], "province", "medical")

    c, events = Campaign.announce(title="پویش محله", description=None, scope_id="IR-09-MSH", scope_path=city,
                                  starts_on=j(1404, 8, 1), ends_on=j(1404, 8, 30), targets={},
                                  service_types=["food_packages"], by="planner", clock=C, draft=True)
    assert c.status == "draft" and events[0].event_type == "reports.campaign.drafted.v1"
    with pytest.raises(Invalid, match="not announced"):
        submit(campaign=c)
    with pytest.raises(Conflict):
        c.approve("planner", C)            # not by who drafted it
    [announced] = c.approve("manager", C)
    assert c.status == "announced" and announced.event_type == "reports.campaign.announced.v1"
    submit(campaign=c)
    with pytest.raises(Conflict):
        c.approve("manager", C)

    medical, _ = Campaign.announce(title="پویش سلامت", description=None, scope_id="IR-09", scope_path=city[:3],
                                   starts_on=j(1404, 8, 1), ends_on=j(1404, 8, 30), targets={},
                                   service_types=["free_medical_visits"], by="sponsor", clock=C, field="medical")
    assert medical.status == "announced" and medical.targets(kanoon("kn_m", kind="specialized", field="medical"))
    assert not medical.targets(kanoon())
    assert not medical.targets(kanoon("kn_l", kind="specialized", field="legal"))


def test_an_instruction_is_versioned_and_notified_to_the_kanoons_that_report_its_type():
    from kernel.access import Actor, Grant
    from kernel.errors import Forbidden
    from services.reports.domain import rules
    from services.reports.domain.service_types import Instruction
    province = ["IR", "IR-R5", "IR-09"]
    text = "ویزیت با نوبت قبلی و ثبت در سامانه انجام می‌شود"
    i1, [event] = Instruction.publish(service_type=MEDICAL, scope_id="IR-09", scope_path=province, previous=0,
                                      text=text, by="sec", notify=["kn_b", "kn_a"], clock=C)
    assert (i1.version, i1.id, i1.field) == (1, "free_medical_visits:IR-09:1", "medical")
    assert event.event_type == "reports.instruction.published.v1" and event.kanoon_ids == ["kn_a", "kn_b"]
    i2, _ = Instruction.publish(service_type=MEDICAL, scope_id="IR-09", scope_path=province, previous=1,
                                text=text + " (ویرایش)", by="sec", notify=[], clock=C)
    assert i2.version == 2 and i2.id.endswith(":2")
    with pytest.raises(Invalid) as exc:
        Instruction.publish(service_type=LOCAL, scope_id="IR-09", scope_path=province, previous=0, text=text,
                            by="sec", notify=[], clock=C)
    assert exc.value.field == "service_type"
    with pytest.raises(Invalid):
        Instruction.publish(service_type=MEDICAL, scope_id="IR-09", scope_path=province, previous=0, text="کوتاه",
                            by="sec", notify=[], clock=C)
    secretary = Actor(user_id="u", person_id="s", grants=[Grant(role="specialized_secretary", scope_id="IR-09",
                                                                scope_kind="province", field="medical")])
    rules.write_instruction(secretary, province, "medical")
    with pytest.raises(Forbidden):
        rules.write_instruction(secretary, province, "legal")
    with pytest.raises(Forbidden):
        rules.write_instruction(secretary, province, None)
