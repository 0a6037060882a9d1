"""The festival service's rules with no I/O: judges never score their own kanoon's (or, in a city
round, their own city's) work; marks combined by the trimmed mean and wide disagreement flagged;
competition ranks with ties; the points an event earns, the same whatever the order and however
often events arrive (opinions revised late included); training completed only with attendance
confirmed and every exam passed; weights and the head's choice of the best member."""
import random
from datetime import datetime, timedelta, timezone

import pytest

from kernel.clock import FixedClock
from kernel.errors import Conflict, Invalid
from services.festival.domain import points
from services.festival.domain.evaluation import BestMember, Candidate, Honour, Weights
from services.festival.domain.festival import (Award, Axis, Criterion, Edition, JudgeInfo, Round, Submission, combine,
                                               conflict_of, disagree, participation)
from services.festival.domain.training import Course, Enrollment, Exam, Mode, Tier, tier_fits

C = FixedClock(datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc))   # 1405/07/09
TODAY = C.today()
PATH = ["IR", "IR-R5", "IR-09", "IR-09-MSH", "kn_a"]


def edition(**kw) -> Edition:
    args = dict(province_id="IR-09", province_path=["IR", "IR-R5", "IR-09"], year=1405, title="جشنواره",
                axes=[Axis(key="experience", title="تجربه"), Axis(key="collective", title="کار جمعی", collective=True)],
                criteria=[Criterion(key="impact", title="اثر", weight=2), Criterion(key="novelty", title="نوآوری")],
                opens_on=TODAY - timedelta(days=5), closes_on=TODAY + timedelta(days=30), judges_per_submission=3,
                disagreement=30.0, by="p_eh", clock=C)
    args.update(kw)
    return Edition.open(**args)[0]


def submission(e: Edition, kanoon="kn_a", city="IR-09-MSH", person="p_author") -> Submission:
    return Submission.submit(edition=e, axis="experience", title="اثر", description="شرح", by_kind="member",
                             person_id=person, kanoon_id=kanoon, kanoon_path=[*PATH[:-1], kanoon], city_id=city,
                             by=person, today=TODAY, clock=C)[0]


def test_an_edition_needs_a_collective_axis_a_window_in_order_and_three_judges():
    with pytest.raises(Invalid) as exc:
        edition(axes=[Axis(key="experience", title="تجربه")])
    assert exc.value.field == "axes"
    with pytest.raises(Invalid) as exc:
        edition(closes_on=TODAY - timedelta(days=10))
    assert exc.value.field == "closes_on"
    with pytest.raises(Invalid):
        edition(judges_per_submission=2)
    e = edition(opens_on=TODAY + timedelta(days=1))
    with pytest.raises(Conflict) as exc:
        submission(e)
    assert "not opened" in exc.value.message


def test_no_judge_scores_their_own_kanoons_work_nor_their_own_citys_in_a_city_round():
    s = submission(edition())
    same_kanoon = JudgeInfo(person_id="p_j1", kanoon_ids={"kn_a"}, city_ids={"IR-09-MSH"})
    same_city = JudgeInfo(person_id="p_j2", kanoon_ids={"kn_b"}, city_ids={"IR-09-MSH"})
    elsewhere = JudgeInfo(person_id="p_j3", kanoon_ids={"kn_c"}, city_ids={"IR-09-NSH"})
    assert "own kanoon" in conflict_of(same_kanoon, s, Round.province)
    assert "own kanoon" in conflict_of(same_kanoon, s, Round.city)
    assert conflict_of(same_city, s, Round.province) is None
    assert "own city" in conflict_of(same_city, s, Round.city)
    assert conflict_of(elsewhere, s, Round.city) is None
    assert "own work" in conflict_of(JudgeInfo(person_id="p_author"), s, Round.province)
    with pytest.raises(Invalid) as exc:
        s.assign(same_kanoon, Round.province, "p_eh", C)
    assert exc.value.field == "judge_ids" and s.judges == []


def test_a_judge_who_joins_the_works_kanoon_after_the_assignment_no_longer_scores_it():
    e = edition()
    s = submission(e)
    free = {j: JudgeInfo(person_id=j, kanoon_ids={"kn_b"}, city_ids={"IR-09-MSH"}) for j in ("p_j1", "p_j2", "p_j3")}
    for judge in free.values():
        s.assign(judge, Round.province, "p_eh", C)
    s.score(free["p_j1"], {"impact": 80, "novelty": 80}, e, C)
    # Afterwards p_j2 joins kanoon a, the work's, and p_j1 (who scored before) comes to head it.
    joined = JudgeInfo(person_id="p_j2", kanoon_ids={"kn_a"}, city_ids={"IR-09-MSH"})
    with pytest.raises(Conflict, match="own kanoon") as exc:
        s.score(joined, {"impact": 90, "novelty": 90}, e, C)
    assert exc.value.field == "judge" and [x.judge_id for x in s.scores] == ["p_j1"]
    heads_it = JudgeInfo(person_id="p_j1", kanoon_ids={"kn_a"})
    with pytest.raises(Conflict, match="own kanoon"):
        s.score(heads_it, {"impact": 10, "novelty": 10}, e, C)        # nor change the marks given before
    assert s.scores[0].mark == 80
    # In a city round, moving to the work's city is a conflict too.
    c = submission(e)
    c.assign(JudgeInfo(person_id="p_j3", city_ids={"IR-09-NSH"}), Round.city, "p_eh", C)
    with pytest.raises(Conflict, match="own city"):
        c.score(JudgeInfo(person_id="p_j3", city_ids={"IR-09-MSH"}), {"impact": 50, "novelty": 50}, e, C)
    # The seat of a judge in conflict who has not scored is the draw's to fill again; one who scored
    # before the conflict keeps theirs (the mark was given free of it).
    now = {**free, "p_j1": heads_it, "p_j2": joined}
    assert s.judges_standing(now) == 2 and s.judges_standing(free) == 3
    assert s.judges_standing({}) == 3                                  # judges not known now still count


def test_marks_are_weighted_per_judge_then_combined_by_the_trimmed_mean():
    assert combine([60, 70, 80]) == 70
    assert combine([10, 70, 80, 100]) == 75          # highest and lowest dropped from four or more
    assert combine([0, 50, 60, 70, 100]) == 60
    assert disagree([40, 75, 80], 30) and not disagree([60, 75, 80], 30)
    e = edition()
    s = submission(e)
    for n, j in enumerate(("p_j1", "p_j2", "p_j3")):
        s.assign(JudgeInfo(person_id=j, kanoon_ids={f"kn_{n}"}), Round.province, "p_eh", C)
    s.score(JudgeInfo(person_id="p_j1"), {"impact": 90, "novelty": 60}, e, C)          # (180 + 60) / 3 = 80
    assert s.combined is None                                      # one of three
    with pytest.raises(Invalid) as exc:
        s.score(JudgeInfo(person_id="p_j2"), {"impact": 90}, e, C)
    assert exc.value.field == "marks"
    with pytest.raises(Invalid):
        s.score(JudgeInfo(person_id="p_outsider"), {"impact": 90, "novelty": 60}, e, C)
    s.score(JudgeInfo(person_id="p_j2"), {"impact": 70, "novelty": 70}, e, C)          # 70
    events = s.score(JudgeInfo(person_id="p_j3"), {"impact": 30, "novelty": 60}, e, C)  # 40: 80 − 40 > 30
    assert s.combined == round((80 + 70 + 40) / 3, 2) and s.flagged
    assert events[0].flagged and events[0].scores == 3
    with pytest.raises(Conflict) as exc:
        s.decide(Award.first, True, "p_eh", C)
    assert "second look" in exc.value.message
    s.look_again("بررسی دوباره در جلسه داوران")
    decided = s.decide(Award.first, True, "p_eh", C)
    assert decided[0].award == "first" and s.status == "decided"
    with pytest.raises(Conflict):
        s.score(JudgeInfo(person_id="p_j1"), {"impact": 10, "novelty": 10}, e, C)


def test_ranks_are_competition_ranks_and_coefficients_rank_roles_above():
    ranked = points.rank([("kn_c", 5.0), ("kn_a", 9.0), ("kn_b", 9.0), ("kn_d", 1.0)])
    assert [(r.id, r.rank) for r in ranked] == [("kn_a", 1), ("kn_b", 1), ("kn_c", 3), ("kn_d", 4)]
    assert points.coefficient(1, 4) == 1.0 and points.coefficient(4, 4) == 0.25
    assert points.role_evaluation([1.0, 0.5]) == 75.0
    assert points.weighted({"reports": 10, "violations": -10}, {"reports": 1, "violations": 2}) == -10


def test_city_secretaries_are_ranked_by_their_kanoons_coefficients_and_heads_by_their_kanoons_score():
    ranked = points.rank([("kn_a", 9.0), ("kn_b", 5.0), ("kn_c", 5.0), ("kn_d", 1.0)])
    cities, heads = points.role_rankings(ranked, {"kn_a": "c1", "kn_b": "c2", "kn_c": "c1", "kn_d": "c2"},
                                         {"kn_a": "p_a", "kn_b": "p_b", "kn_c": None, "kn_d": "p_d"})
    # coefficients (n − rank + 1) / n: kn_a 1.0, kn_b and kn_c (sharing rank 2) 0.75, kn_d 0.25
    assert [(r.id, r.score, r.rank, n) for r, n in cities] == [("c1", 87.5, 1, 2), ("c2", 50.0, 2, 2)]
    assert [(r.id, r.rank, k) for r, k in heads] == [("p_a", 1, "kn_a"), ("p_b", 2, "kn_b"), ("p_d", 3, "kn_d")]


class World:
    """What the handlers would know from the registry, and the opinion state the projection keeps."""

    def __init__(self):
        self.kanoons = {"kn_a": PATH, "kn_b": [*PATH[:-1], "kn_b"]}
        self.members = {"p_m": ("kn_a", PATH)}
        self.opinions: dict = {}

    def kanoon_path(self, kanoon_id):
        return self.kanoons.get(kanoon_id)

    def member_kanoon(self, person_id):
        return self.members.get(person_id)

    def opinion_known(self, target_id, period):
        return self.opinions.get((target_id, period))


def events():
    t = datetime(2026, 9, 1, tzinfo=timezone.utc)
    report = {"report_id": "r1", "kanoon_id": "kn_a", "kanoon_path": PATH, "month": "1405-06", "service_type": "x",
              "hours": 2, "beneficiaries": 3, "campaign_id": "cp_1", "reporter_id": "p_m", "by": "p_head"}
    return [
        ("e1", "reports.report.approved.v1", report, t),
        ("e2", "reports.program.held.v1", {"program_id": "pg", "kanoon_id": "kn_a", "kanoon_path": PATH,
                                          "month": "1405-06", "held_on": "2026-09-01", "attendance": 20,
                                          "partner_kanoon_ids": ["kn_b"]}, t),
        ("e3", "reports.monthly_report.submitted.v1", {"kanoon_id": "kn_a", "kanoon_path": PATH, "month": "1405-06",
                                                      "on_time": True, "resubmission": False}, t),
        ("e4", "oversight.inspection.done.v1", {"inspection_id": "i", "kind": "periodic", "target_id": "kn_a",
                                               "province_id": "IR-09", "season": "1405-Q2", "checklist_id": "c:v1",
                                               "score": 85.0, "visitor_role": "oversight_head"}, t),
        ("e5", "oversight.opinion.published.v1", {"target_id": "kn_a", "province_id": "IR-09", "period": "1405",
                                                 "rating": 60, "revision": 1}, t),
        ("e6", "oversight.opinion.published.v1", {"target_id": "kn_a", "province_id": "IR-09", "period": "1405",
                                                 "rating": 90, "revision": 2}, t + timedelta(days=1)),
        ("e7", "oversight.violation.recorded.v1", {"violation_id": "v", "person_id": "p_m", "province_id": "IR-09",
                                                  "source": "complaint"}, t),
        ("e8", "reports.report.flagged.v1", {"report_id": "r1", "kanoon_path": PATH, "month": "1405-06",
                                            "flag": "incomplete", "by": "p_eh"}, t),
    ]


def apply_all(evs, world):
    """What the handler does: once per event id; an opinion's revision remembered when applied."""
    seen, lines = set(), []
    for eid, etype, data, at in evs:
        if eid in seen:
            continue
        seen.add(eid)
        new = points.lines_of(etype, data, eid, at, 1405, world)
        if new and etype.startswith("oversight.opinion"):
            world.opinions[(data["target_id"], data["period"])] = (data["revision"], data["rating"] / 10)
        lines += new
    return points.totals(lines)


def test_every_event_earns_its_points_and_they_explain_the_total():
    totals = apply_all(events(), World())
    kanoon = totals[("kanoon", "kn_a", 1405)]
    assert kanoon == {"reports": 1.0, "campaigns": 2.0, "programs": 5.0, "timeliness": 3.0, "inspection": 8.5,
                      "opinion": 9.0, "violations": -5.0, "quality": -2.0}
    assert totals[("member", "p_m", 1405)] == {"reports": 1.0, "campaigns": 2.0, "violations": -10.0}
    assert totals[("kanoon", "kn_b", 1405)] == {"programs": 2.0}   # a partner of the joint program


@pytest.mark.parametrize("seed", range(25))
def test_the_figures_are_the_same_whatever_the_order_and_however_often_events_arrive(seed):
    rng = random.Random(seed)
    evs = events()
    shuffled = evs + rng.sample(evs, k=rng.randint(1, len(evs)))   # some delivered twice
    rng.shuffle(shuffled)
    assert apply_all(shuffled, World()) == apply_all(evs, World())


def test_an_opinion_revised_is_the_difference_and_an_old_revision_arriving_late_adds_nothing():
    w = World()
    t = datetime(2026, 9, 1, tzinfo=timezone.utc)
    rev = lambda n, rating: {"target_id": "kn_a", "province_id": "IR-09", "period": "1405", "rating": rating,
                             "revision": n}
    later = points.lines_of("oversight.opinion.published.v1", rev(2, 90), "e2", t, 1405, w)
    w.opinions[("kn_a", "1405")] = (2, 9.0)
    assert [ln.points for ln in later] == [9.0]
    assert points.lines_of("oversight.opinion.published.v1", rev(1, 60), "e1", t, 1405, w) == []
    third = points.lines_of("oversight.opinion.published.v1", rev(3, 50), "e3", t, 1405, w)
    assert [ln.points for ln in third] == [-4.0] and "نسخه 3" in third[0].note


def test_a_countys_visit_and_an_unknown_partner_earn_nothing_for_a_kanoon():
    w = World()
    t = datetime(2026, 9, 1, tzinfo=timezone.utc)
    visit = {"inspection_id": "i", "kind": "deputy_visit", "target_id": "IR-09-MSH", "province_id": "IR-09",
             "season": "1405-Q2", "checklist_id": "c", "score": 90.0, "visitor_role": "khademyari_deputy"}
    assert points.lines_of("oversight.inspection.done.v1", visit, "e", t, 1405, w) == []
    assert points.lines_of("registry.kanoon.approved.v1", {}, "e", t, 1405, w) == []


def course(**kw) -> Course:
    args = dict(province_id="IR-09", province_path=["IR", "IR-R5", "IR-09"], title="آشنایی", tier=Tier.khademyar,
                mode=Mode.in_person, trainer_id="p_t",
                sessions=[(TODAY - timedelta(days=14), "یک"), (TODAY - timedelta(days=7), "دو"),
                          (TODAY + timedelta(days=7), "سه"), (TODAY - timedelta(days=21), "صفر")],
                exams=[Exam(key="final", title="پایانی", on=TODAY - timedelta(days=1))], pass_mark=60,
                min_attendance=0.75, content_reviewed_on=TODAY - timedelta(days=400), by="p_th", clock=C)
    args.update(kw)
    return Course.offer(**args)[0]


def test_a_course_is_completed_with_attendance_confirmed_and_every_exam_passed():
    c = course()
    assert [s.n for s in c.sessions] == [1, 2, 3, 4] and c.sessions[0].topic == "صفر"   # in date order
    assert c.due_for_review(TODAY) and not course(content_reviewed_on=TODAY).due_for_review(TODAY)
    e = Enrollment(id="co:p_m", course_id=c.id, person_id="p_m", kanoon_id="kn_a", kanoon_path=PATH,
                   enrolled_at=C.now())
    with pytest.raises(Invalid):
        e.register(c, 4, TODAY, C)                 # a session not held yet
    with pytest.raises(Conflict):
        e.confirm(c, 1, "p_t", C)                  # not registered by the member
    for n in (1, 2, 3):
        e.register(c, n, TODAY, C)
        assert e.confirm(c, n, "p_t", C) == []     # no exam passed yet
    assert e.record_score(c, "final", 55, "p_t", TODAY, C) == []   # failed: no certificate
    done = e.record_score(c, "final", 75, "p_t", TODAY, C)         # a retake passed, 3 of 4 attended
    assert e.certificate and done[0].certificate == e.certificate and done[0].kanoon_id == "kn_a"
    with pytest.raises(Conflict):
        e.record_score(c, "final", 90, "p_t", TODAY, C)


def test_attendance_below_the_minimum_gives_no_certificate():
    c = course(min_attendance=1.0)
    e = Enrollment(id="x", course_id=c.id, person_id="p_m", kanoon_id=None, kanoon_path=[], enrolled_at=C.now())
    for n in (1, 2, 3):
        e.register(c, n, TODAY, C)
        e.confirm(c, n, "p_t", C)
    assert e.record_score(c, "final", 100, "p_t", TODAY, C) == [] and e.certificate is None


def test_who_a_tier_is_for():
    assert tier_fits(Tier.khademyar, "khademyar", set()) and not tier_fits(Tier.khademyar, "yavar", set())
    assert tier_fits(Tier.kanoon_head, None, {"kanoon_deputy"}) and not tier_fits(Tier.kanoon_head, "yavar", set())
    assert tier_fits(Tier.staff, None, {"city_secretary"}) and not tier_fits(Tier.staff, None, {"kanoon_head"})


def test_weights_name_known_indices_and_the_head_explains_a_choice_that_is_not_first():
    with pytest.raises(Invalid) as exc:
        Weights.set(scope_id="IR-09", year=1405, weights={"charm": 2}, by="p", clock=C)
    assert exc.value.field == "weights"
    w, _ = Weights.set(scope_id="IR-09", year=1405, weights={"programs": 3}, by="p", clock=C)
    assert w.weights["programs"] == 3 and w.weights["reports"] == 1
    cands = [Candidate(person_id="p_a", points=12), Candidate(person_id="p_b", points=7)]
    with pytest.raises(Invalid) as exc:
        BestMember.choose(kanoon_id="kn_a", period="1405-Q2", member_kind="khademyar", person_id="p_b",
                          candidates=cands, reason=None, by="p_head", clock=C)
    assert exc.value.field == "reason"
    with pytest.raises(Invalid):
        BestMember.choose(kanoon_id="kn_a", period="1405-Q2", member_kind="khademyar", person_id="p_x",
                          candidates=cands, reason="x", by="p_head", clock=C)
    b, ev = BestMember.choose(kanoon_id="kn_a", period="1405-Q2", member_kind="khademyar", person_id="p_b",
                              candidates=cands, reason="همراهی مستمر با خانواده‌ها", by="p_head", clock=C)
    assert b.points == 7 and [c.person_id for c in b.evidence] == ["p_a", "p_b"] and ev[0].person_id == "p_b"
    with pytest.raises(Invalid):
        Honour.give(person_id="p_m", head_id="p_head", kanoon_id="kn_a", year=1405, note="x", by="p_sec",
                    by_role="city_secretary", clock=C)


def test_participation_is_shares_of_the_provinces_and_the_countrys_members_and_kanoons():
    out = participation({"members": 100, "kanoons": 10, "axes": {"experience": {"submissions": 5, "members": 4,
                                                                               "kanoons": 2}}},
                        {"members": 1000, "kanoons": 50, "axes": {"experience": {"submissions": 20, "members": 10,
                                                                                "kanoons": 5},
                                                                 "collective": {"submissions": 3, "members": 0,
                                                                                "kanoons": 3}}})
    assert out["experience"]["province"]["member_share"] == 0.04 and out["experience"]["country"]["kanoon_share"] == 0.1
    assert out["collective"]["province"]["submissions"] == 0 and out["collective"]["country"]["kanoon_share"] == 0.06


def test_occasions_are_dated_decades_are_ten_days_and_a_national_day_names_its_guild():
    from services.festival.domain.plans import Occasion, OccasionKind
    with pytest.raises(Invalid) as exc:
        Occasion.add(scope_id="IR", kind=OccasionKind.karamat_decade, title="دهه کرامت", starts_on=TODAY,
                     ends_on=TODAY + timedelta(days=5), profession=None, by="p", clock=C)
    assert exc.value.field == "ends_on"
    with pytest.raises(Invalid) as exc:
        Occasion.add(scope_id="IR", kind=OccasionKind.national_day, title="روز پزشک", starts_on=TODAY, ends_on=None,
                     profession=None, by="p", clock=C)
    assert exc.value.field == "profession"
    o, ev = Occasion.add(scope_id="IR", kind=OccasionKind.safar_last_decade, title="دهه آخر صفر", starts_on=TODAY,
                         ends_on=TODAY + timedelta(days=9), profession=None, by="p", clock=C)
    assert o.year == 1405 and ev[0].ends_on == TODAY + timedelta(days=9)


def test_a_program_is_drafted_for_its_period_approved_by_its_approver_and_scored_by_its_indices():
    from services.festival.domain.plans import Program, ProgramItem, ProgramKind, WrittenIndex
    args = dict(owner_id="kn_a", owner_path=PATH, province_id="IR-09", title="برنامه سالانه",
                items=[ProgramItem(title="چهارشنبه امام رضایی", month="1404-07")],
                indices=[WrittenIndex(key="programs", title="برنامه جمعی", target=12),
                         WrittenIndex(key="reports", title="گزارش", target=100)], by="p_head", clock=C)
    with pytest.raises(Invalid) as exc:
        Program.draft(kind=ProgramKind.kanoon_annual, period="1404-07", **args)
    assert exc.value.field == "period"
    with pytest.raises(Invalid) as exc:
        Program.draft(kind=ProgramKind.kanoon_annual, period="1405", **args)
    assert exc.value.field == "items.0.month"                 # 1404-07 is not in 1405
    p = Program.draft(kind=ProgramKind.kanoon_annual, period="1404", **{**args, "items": [ProgramItem(title="x")]})
    assert p.id == "pr_kanoon_annual_kn_a_1404" and p.approver_role == "coordination_council"
    with pytest.raises(Conflict):
        p.decide(True, None, "p_council", C)                 # not submitted
    p.submit("p_head", C)
    with pytest.raises(Invalid) as exc:
        p.decide(False, " ", "p_council", C)
    assert exc.value.field == "reason"
    assert p.decide(False, "شاخص‌ها کم است", "p_council", C) == [] and p.status == "returned"
    p.revise("برنامه سالانه", [ProgramItem(title="y")], args["indices"], "p_head", C)
    p.submit("p_head", C)
    approved = p.decide(True, None, "p_council", C)
    assert approved[0].kind == "kanoon_annual" and p.status == "approved"
    with pytest.raises(Invalid) as exc:
        p.evaluate({"programs": 6}, "p_ph", TODAY, C)
    assert exc.value.field == "achieved"
    done = p.evaluate({"programs": 6, "reports": 150}, "p_ph", TODAY, C)   # 1404 is over (today 1405/07)
    assert p.score == 75.0 and done[0].score == 75.0               # (0.5 + 1) / 2
    with pytest.raises(Conflict):
        p.evaluate({"programs": 12, "reports": 100}, "p_ph", TODAY, C)
    monthly = Program.draft(kind=ProgramKind.monthly, period="1405-07", **{**args, "owner_id": "IR-09",
                                                                           "items": [ProgramItem(title="z")]})
    monthly.submit("p_ph", C)
    monthly.decide(True, None, "p_manager", C)
    assert monthly.approver_role == "province_manager"
    with pytest.raises(Conflict) as exc:
        monthly.evaluate({"programs": 1, "reports": 1}, "p_ph", TODAY, C)   # 1405-07 is not over
    assert "after its period" in exc.value.message
