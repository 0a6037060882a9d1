"""The oversight service's rules with no I/O: complaints routed around the people they accuse,
tracking codes, deadlines by severity, violations escalated and ruled, rulings' periods in the
Jalali calendar and what they forbid where they bite (kernel.rulings); the public routes' throttle."""
from datetime import date, datetime, timedelta, timezone

import pytest

from kernel.throttle import recent, wait_for
from kernel.clock import FixedClock
from kernel.errors import Conflict, Forbidden, Invalid
from kernel.rulings import Restriction, check_may_head, check_may_join
from services.oversight.domain.complaints import (Channel, Complainant, Complaint, Registration, Subject, SubjectKind,
                                                  code_hash, format_code, member_unit, normalize_code)
from services.oversight.domain.violations import RulingKind, Source, Violation, add_months

C = FixedClock(datetime(2025, 11, 11, 12, 0, tzinfo=timezone.utc))   # 1404/08/20
PATH = ["IR", "IR-R5", "IR-09", "IR-09-MSH", "kn_a"]
CODE = "K7QM2XRD9F4T"


def subject(accused=("p_head", "p_deputy"), kind=SubjectKind.kanoon):
    return Subject(kind=kind, id="kn_a", path=PATH, province_id="IR-09", accused=list(accused))


def complaint(accused=("p_head", "p_deputy"), heads=("p_oh",), who=None):
    return Complaint.receive(code=CODE, channel=Channel.web, subject=subject(accused), text="تبعیض در توزیع بسته‌ها",
                             complainant=who or Complainant(), oversight_heads=list(heads), clock=C)


def test_a_tracking_code_is_read_back_in_any_form_and_only_its_hash_is_kept():
    c, events = complaint()
    assert c.code_hash == code_hash("k7qm-2xrd-9f4t") == code_hash(" K7QM 2XRD 9F4T ") != code_hash("K7QM2XRD9F4U")
    assert CODE not in c.model_dump_json() and format_code(CODE) == "K7QM-2XRD-9F4T"
    assert normalize_code("k7qm-2xrd") == "K7QM2XRD"
    assert c.anonymous and events[0].anonymous and "text" not in events[0].model_dump()
    for bad in ("K7QM2XRD9F4", "K7QM2XRD9F40", "K7QM2XRD9F4I"):   # short, 0 and I are not in the alphabet
        with pytest.raises(Invalid):
            Complaint.receive(code=bad, channel=Channel.web, subject=subject(), text="تبعیض در توزیع بسته‌ها",
                              complainant=Complainant(), oversight_heads=[], clock=C)


def test_a_complaint_accusing_the_oversight_head_goes_to_the_manager_and_the_accused_never_handle_it():
    c, _ = complaint(accused=("p_oh",), heads=("p_oh",))
    assert c.handler_role == "province_manager"
    c, _ = complaint()
    assert c.handler_role == "oversight_head"
    for step in (lambda: c.triage("رفتار", "high", "p_head", C), lambda: c.note("یادداشت", "p_deputy", C)):
        with pytest.raises(Forbidden):
            step()
    c.triage("رفتار", "high", "p_oh", C)
    assert c.due == c.received_at + timedelta(days=7)
    with pytest.raises(Invalid):
        c.assign("p_head", "p_oh", C)            # the accused never investigate
    c.assign("p_inv", "p_oh", C)
    assert c.status == "investigating"
    with pytest.raises(Invalid):
        complaint(who=Complainant(person_id="p_head"))   # nobody complains about themselves


def test_a_khademyar_or_yavar_not_placed_in_a_kanoon_is_complained_about_and_recorded_in_their_city():
    unplaced = Registration(person_id="p_y", kind="yavar", city_id="IR-09-MSH")
    assert member_unit("kn_a", unplaced) == "kn_a"                       # in a kanoon: the kanoon
    assert member_unit(None, unplaced) == "IR-09-MSH"                    # not yet placed, or left: their city
    assert member_unit(None, unplaced.model_copy(update={"kind": "khademyar"})) == "IR-09-MSH"
    assert member_unit(None, unplaced.model_copy(update={"kind": "staff"})) is None   # not a khademyar or yavar
    assert member_unit(None, unplaced.model_copy(update={"city_id": None})) is None
    assert member_unit(None, None) is None                               # nobody the registry registered
    city = PATH[:-1]
    about = Subject(kind=SubjectKind.member, id="p_y", path=city, province_id="IR-09", accused=["p_y"])
    c, events = Complaint.receive(code=CODE, channel=Channel.phone, subject=about, text="برخورد نامناسب با مراجعه‌کننده",
                                  complainant=Complainant(name="یک همسایه"), oversight_heads=["p_oh"], clock=C)
    assert c.subject.path == city and c.handler_role == "oversight_head" and events[0].subject_id == "p_y"
    with pytest.raises(Forbidden):
        c.triage("رفتار", "low", "p_y", C)                              # still never handled by the accused
    v, events = Violation.record(person_id="p_y", province_id="IR-09", path=city, source=Source.complaint,
                                 source_id=c.id, description="برخورد نامناسب با مراجعه‌کنندگان", by="p_sec", clock=C)
    assert v.path == city and events[0].person_id == "p_y"


def test_a_complaint_moves_to_its_close_and_is_overdue_past_its_severitys_deadline():
    c, _ = complaint(who=Complainant(person_id="p_member", name="علی"))
    assert not c.anonymous
    with pytest.raises(Conflict):
        c.resolve("یافته", "p_oh", C)            # not under investigation yet
    with pytest.raises(Invalid):
        c.triage("x", "apocalyptic", "p_oh", C)
    c.triage("مالی", "critical", "p_oh", C)
    assert not c.overdue(C.now() + timedelta(days=2)) and c.overdue(C.now() + timedelta(days=2, seconds=1))
    with pytest.raises(Invalid):
        c.assign("p_member", "p_oh", C)          # nor the complainant
    c.assign("p_inv", "p_oh", C)
    c.note("با دو شاهد گفتگو شد", "p_inv", C)
    c.resolve("شکایت وارد بود؛ تذکر کتبی", "p_inv", C)
    c.close("p_oh", C)
    assert c.status == "closed" and not c.overdue(C.now() + timedelta(days=90))
    public = c.public_view()
    assert set(public) == {"status", "received_at", "status_at", "closed"} and public["closed"]
    with pytest.raises(Conflict):
        c.note("بعد از بستن", "p_oh", C)


def test_a_violation_is_decided_or_escalated_and_the_committee_rules_for_whole_jalali_months():
    v, events = Violation.record(person_id="p_x", province_id="IR-09", path=PATH, source=Source.complaint,
                                 source_id="cp_1", description="دریافت وجه از خانواده‌ها در ازای بسته", by="p_sec",
                                 clock=C)
    assert events[0].event_type == "oversight.violation.recorded.v1"
    with pytest.raises(Conflict):
        v.rule(RulingKind.suspended, 3, "محرز", "p_com", C)        # not escalated
    v.escalate("p_sec")
    with pytest.raises(Invalid):
        v.rule(RulingKind.barred_from_headship, 0, "محرز", "p_com", C)
    with pytest.raises(Invalid):
        v.rule(RulingKind.barred_from_headship, 6, "محرز", "p_x", C)  # nobody rules on themselves
    events = v.rule(RulingKind.barred_from_headship, 6, "تخلف مالی محرز شد", "p_com", C)
    r = v.ruling
    assert (r.starts_on, r.ends_on) == (date(2025, 11, 11), date(2026, 5, 10))   # 1404/08/20 → 1405/02/20
    assert events[0].event_type == "oversight.ruling.issued.v1" and events[0].kind == "barred_from_headship"
    with pytest.raises(Conflict):
        v.handle("تصمیم دیگر", "p_sec")
    v.lift("جبران خسارت و تعهد کتبی", "p_com", C)
    with pytest.raises(Conflict):
        v.lift("دوباره", "p_com", C)
    w, _ = Violation.record(person_id="p_y", province_id="IR-09", path=PATH, source=Source.inspection, source_id=None,
                            description="عدم ثبت گزارش‌ها در سه ماه گذشته", by="p_sec", clock=C)
    w.escalate("p_sec")
    w.rule(RulingKind.warning, 12, "تذکر", "p_com", C)
    assert w.ruling.months == 0 and w.ruling.ends_on is None


@pytest.mark.parametrize("start,months,end", [
    (date(2025, 11, 11), 1, date(2025, 12, 11)),    # 1404/08/20 → 1404/09/20
    (date(2025, 9, 22), 1, date(2025, 10, 22)),     # 1404/06/31 → 1404/07/30 (Mehr has 30 days)
    (date(2025, 3, 21), 12, date(2026, 3, 21)),     # 1404/01/01 → 1405/01/01
])
def test_months_are_jalali_months(start, months, end):
    assert add_months(start, months) == end


def test_a_ruling_forbids_what_it_names_while_in_force_and_not_after_or_once_lifted():
    barred = Restriction(id="rl_1", person_id="p", kind="barred_from_headship", starts_on=date(2025, 11, 11),
                         ends_on=date(2026, 5, 10))
    with pytest.raises(Conflict, match="barred from heading a kanoon until 1405/02/20") as exc:
        check_may_head([barred], date(2026, 5, 9), "head_id")
    assert exc.value.field == "head_id"
    check_may_head([barred], date(2026, 5, 10), "head_id")          # ended
    check_may_head([barred], date(2025, 11, 10), "head_id")         # not yet
    check_may_join([barred], date(2025, 12, 1), "person_id")        # a bar does not stop membership
    check_may_head([barred.model_copy(update={"lifted": True})], date(2025, 12, 1), "head_id")
    suspended = barred.model_copy(update={"kind": "suspended"})
    for check in (check_may_head, check_may_join):
        with pytest.raises(Conflict):
            check([suspended], date(2025, 12, 1), "person_id")
    check_may_join([barred.model_copy(update={"kind": "warning", "ends_on": None})], date(2025, 12, 1), "person_id")
    lifted_first = Restriction(id="rl_2", person_id="p", kind="unknown", starts_on=None, ends_on=None, lifted=True)
    check_may_head([lifted_first], date(2025, 12, 1), "head_id")


def test_the_public_routes_throttle_counts_a_sliding_window():
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    hits = [t0, t0 + timedelta(seconds=10), t0 + timedelta(seconds=20)]
    now = t0 + timedelta(seconds=30)
    assert wait_for(recent(hits[:2], now, 600), now, 3, 600) is None          # a third is allowed
    assert wait_for(recent(hits, now, 600), now, 3, 600) == pytest.approx(570)  # a fourth waits for the first
    later = t0 + timedelta(seconds=600.5)
    assert recent(hits, later, 600) == hits[1:]                               # the first slid out
    assert wait_for(recent(hits, later, 600), later, 3, 600) is None
    assert wait_for([], now, 0, 600) is None                                  # no limit set: never refused


def test_a_checklist_is_versioned_and_an_inspection_is_scored_by_its_own_version():
    from services.oversight.domain.inspections import Checklist, Inspection, InspectionKind, Item, coverage
    items = [Item(key="reports", text="گزارش‌ها به موقع", weight=3), Item(key="sign", text="تابلو", weight=1)]
    v1, events = Checklist.define(key="periodic", province_id="IR-09", title="بازدید فصلی", items=items,
                                  previous=None, by="p_oh", clock=C)
    assert v1.id == "IR-09:periodic:v1" and events[0].version == 1
    # Another province's checklist of the same key is its own record.
    other, _ = Checklist.define(key="periodic", province_id="IR-11", title="بازدید فصلی", items=items,
                                previous=None, by="p_oh2", clock=C)
    assert other.id == "IR-11:periodic:v1" != v1.id
    with pytest.raises(Conflict):
        Checklist.define(key="periodic", province_id="IR-09", title="بازدید فصلی", items=items, previous=v1,
                         by="p_oh", clock=C)
    for bad in ([], [items[0], items[0]], [Item(key="x", text="x", weight=11)]):
        with pytest.raises(Invalid):
            Checklist.define(key="k", province_id="IR-09", title="t", items=bad, previous=None, by="p_oh", clock=C)
    v2, _ = Checklist.define(key="periodic", province_id="IR-09", title="بازدید فصلی",
                             items=[*items, Item(key="council", text="شورا", weight=4)], previous=v1, by="p_oh", clock=C)
    assert v2.id == "IR-09:periodic:v2"
    i = Inspection.plan(kind=InspectionKind.periodic, target_id="kn_a", target_path=PATH, province_id="IR-09",
                        season="1404-Q3", checklist=v1, by="p_oh", clock=C)
    assert i.id == Inspection.key("kn_a", "1404-Q3")      # one periodic inspection per kanoon and season
    common = dict(minutes="کانون فعال است و تابلو ندارد", visited_on=date(2025, 11, 10), visitor_id="p_sec",
                  visitor_role="city_secretary", today=C.today(), clock=C)
    with pytest.raises(Invalid):
        i.record(checklist=v2, answers={"reports": True, "sign": False, "council": True}, **common)  # another version
    with pytest.raises(Invalid, match="sign is missing"):
        i.record(checklist=v1, answers={"reports": True}, **common)
    with pytest.raises(Invalid, match="no item council"):
        i.record(checklist=v1, answers={"reports": True, "sign": True, "council": True}, **common)
    with pytest.raises(Invalid):
        i.record(checklist=v1, answers={"reports": True, "sign": False}, **{**common, "visited_on": date(2025, 12, 1)})
    events = i.record(checklist=v1, answers={"reports": True, "sign": False}, **common)
    assert i.score == 75.0 and events[0].score == 75.0 and events[0].visitor_role == "city_secretary"
    with pytest.raises(Conflict):
        i.record(checklist=v1, answers={"reports": True, "sign": True}, **common)
    i.send("p_oh", C)
    assert i.status == "sent"
    other = Inspection.plan(kind=InspectionKind.periodic, target_id="kn_b", target_path=PATH[:-1] + ["kn_b"],
                            province_id="IR-09", season="1404-Q3", checklist=v1, by="p_oh", clock=C)
    report = coverage([i, other], ["kn_a", "kn_b", "kn_c"])
    assert report == {"planned": 2, "inspected": 1, "visits": 1, "mean_score": 75.0, "never_inspected": ["kn_b", "kn_c"]}
    with pytest.raises(Invalid):
        Inspection.plan(kind=InspectionKind.surprise, target_id="kn_a", target_path=PATH, province_id="IR-10",
                        season="1404-Q3", checklist=v1, by="p_oh", clock=C)


def test_the_money_trail_raises_findings_only_for_what_deserves_a_look():
    from services.oversight.domain.stewardship import LARGE_EXPENSE_RIALS, findings_of
    assert findings_of("finance.statement.reconciled.v1", {"terminal_id": "T", "day": "2025-11-10", "matches": True,
                                                          "difference": 0, "owner_id": "kn_a"}) == []
    [(kind, owner, detail, amount)] = findings_of("finance.statement.reconciled.v1", {
        "terminal_id": "T", "day": "2025-11-10", "matches": False, "difference": -5000, "owner_id": "kn_a"})
    assert (kind, owner, amount) == ("reconciliation_mismatch", "kn_a", 5000) and "-5000" in detail
    expense = {"expense_id": "ex_1", "owner_id": "kn_a", "category": "خرید", "amount": LARGE_EXPENSE_RIALS - 1}
    assert findings_of("finance.expense.recorded.v1", expense) == []
    assert findings_of("finance.expense.recorded.v1", {**expense, "amount": LARGE_EXPENSE_RIALS})[0][0] == "large_expense"
    assert findings_of("finance.receipt.reversed.v1", {"receipt_id": "T:1", "owner_id": "kn_a", "amount": 10,
                                                       "reason": "x"})[0][0] == "receipt_reversed"
    assert findings_of("finance.voucher.stepped.v1", {"voucher_id": "fd", "owner_id": "kn_a", "status": "sent"}) == []
    assert findings_of("finance.voucher.stepped.v1", {"voucher_id": "fd", "owner_id": "kn_a",
                                                      "status": "returned"})[0][0] == "returned_voucher"


def test_an_opinion_is_one_per_target_and_period_revised_and_published_again():
    from services.oversight.domain.stewardship import Opinion, Session
    o, events = Opinion.give(target_id="kn_a", path=PATH, province_id="IR-09", period="1404", rating=80,
                             text="منظم و پاسخگو؛ گزارش‌ها کامل", previous=None, by="p_oh", clock=C)
    assert o.id == "op:kn_a:1404" and events[0].revision == 1
    for rating, text in ((101, "منظم و پاسخگو؛ گزارش‌ها کامل"), (50, "کوتاه")):
        with pytest.raises(Invalid):
            Opinion.give(target_id="kn_a", path=PATH, province_id="IR-09", period="1404", rating=rating, text=text,
                         previous=None, by="p_oh", clock=C)
    o2, events = Opinion.give(target_id="kn_a", path=PATH, province_id="IR-09", period="1404", rating=60,
                              text="پس از بازدید سرزده بازنگری شد", previous=o, by="p_oh", clock=C)
    assert (o2.id, o2.revision, events[0].rating) == (o.id, 2, 60)
    with pytest.raises(Invalid):
        Session.record(unit_id="IR-09-MSH", path=PATH[:-1], held_on=date(2025, 11, 12), topic="آیین‌نامه",
                       attendees=["p_1"], by="p_oh", clock=C)       # tomorrow
    with pytest.raises(Invalid):
        Session.record(unit_id="IR-09-MSH", path=PATH[:-1], held_on=date(2025, 11, 10), topic="آیین‌نامه",
                       attendees=["p_1", "p_1"], by="p_oh", clock=C)
