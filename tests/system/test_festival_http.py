"""The festival service over HTTP on the running system: a member's work judged by three judges of the
qualitative evaluation group, none of its kanoon (one who is is refused), combined and awarded; a
judge who joins the work's kanoon after the assignment scores it no more, and the draw fills the seat; a
course attended (registered by the member, confirmed by its trainer) and passed, with its
certificate; the city's ranking that changes after an approved activity report and a violation,
each point explained by its source event; the head's choice of the best member; bad input → 4xx and
nothing written."""
import uuid
from datetime import timedelta

import pytest

from kernel import jalali
from tests.system.helpers import account, eventually, form_kanoon, member, staff, until_status

TODAY = jalali.today()
YEAR = jalali.period_of(TODAY, "year").year


def jday(d):
    return jalali.format_date(d)


@pytest.fixture(scope="module")
def net(system, admin):
    """A city of its own in IR-21 with two kanoons, a khademyar in each, the festival's and the
    training's heads, four judges (one a member of kanoon a) and a trainer."""
    tag = uuid.uuid4().hex[:4]
    city = f"IR-21-F{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-21"}).status_code == 201
    sec, _ = staff(admin, system.base, f"sec.fe.{tag}", "city_secretary", city, city=city)
    heads, kanoons, members = {}, {}, {}
    for name in ("a", "b"):
        head, deputy = member(admin, city=city), member(admin, city=city)
        heads[name] = account(admin, system.base, head, f"head.fe{name}.{tag}")
        kanoons[name] = form_kanoon(heads[name], head, deputy, sec, f"کانون {name}", unit=city,
                                    founding_date=jday(TODAY - timedelta(days=60)))
        pid = member(admin, city=city)
        assert heads[name].post("/api/memberships", json={"person_id": pid, "kanoon_id": kanoons[name]}).status_code == 200
        members[name] = (account(admin, system.base, pid, f"m.fe{name}.{tag}"), pid)
    eh, _ = staff(admin, system.base, f"eh.{tag}", "evaluation_head", "IR-21", city=city)
    th, _ = staff(admin, system.base, f"th.{tag}", "training_head", "IR-21", city=city)
    trainer, trainer_pid = staff(admin, system.base, f"trainer.{tag}", "county_liaison", city, city=city)
    psec, _ = staff(admin, system.base, f"psec.fe.{tag}", "province_secretary", "IR-21", city=city)
    judges = []
    for n in range(4):
        api, pid = staff(admin, system.base, f"judge{n}.{tag}", "quality_evaluation_group", "IR-21", city=city)
        judges.append((api, pid))
    conflicted = judges[0][1]
    assert heads["a"].post("/api/memberships", json={"person_id": conflicted, "kanoon_id": kanoons["a"]}).status_code == 200
    fdb = system.db("festival")
    assert eventually(lambda: fdb.members.find_one({"_id": conflicted, "kanoon_id": kanoons["a"]}))
    assert eventually(lambda: fdb.grants.count_documents({"role": "quality_evaluation_group",
                                                           "person_id": {"$in": [p for _, p in judges]}}) == 4)
    return {"tag": tag, "city": city, "heads": heads, "kanoons": kanoons, "members": members, "eh": eh, "th": th,
            "trainer": trainer, "trainer_pid": trainer_pid, "psec": psec, "judges": judges, "sec": sec}


def edition_body(**kw):
    return {"province_id": "IR-21", "year": YEAR, "title": "جشنواره خدمت رضوی",
            "axes": [{"key": "experience", "title": "تجربه‌های نو"},
                     {"key": "collective", "title": "کار جمعی", "collective": True}],
            "criteria": [{"key": "impact", "title": "اثرگذاری", "weight": 2}, {"key": "novelty", "title": "نوآوری"}],
            "opens_on": jday(TODAY - timedelta(days=1)), "closes_on": jday(TODAY + timedelta(days=30)), **kw}


def test_a_work_is_judged_by_three_judges_none_of_its_kanoon_and_its_award_earns_points(system, admin, net):
    eh, (author, author_pid) = net["eh"], net["members"]["a"]
    assert net["members"]["a"][0].post("/api/festival/editions", json=edition_body()).status_code == 403
    r = until_status(lambda: eh.post("/api/festival/editions", json=edition_body()), 201)
    assert r is not None
    edition = r.json()
    assert edition["opens_on"].startswith(str(YEAR)) and "/" in edition["opens_on"]   # Jalali
    assert eh.post("/api/festival/editions", json=edition_body()).status_code == 409   # one per province and year
    r = author.post(f"/api/festival/editions/{edition['id']}/submissions",
                    json={"axis": "experience", "title": "سفره اطعام محله", "description": "شرح تجربه و نتیجه آن"})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["kanoon_id"] == net["kanoons"]["a"] and sub["person_id"] == author_pid
    pdf = b"%PDF-1.4\n% work\n"
    r = author.post(f"/api/festival/submissions/{sub['id']}/attachments", files={"file": ("w.pdf", pdf, "application/pdf")})
    assert r.status_code == 200 and r.json()["attachments"][0]["content_type"] == "application/pdf"
    # Another member sees nothing of it before publication.
    assert net["members"]["b"][0].get(f"/api/festival/submissions/{sub['id']}").status_code == 403

    judges = net["judges"]
    r = eh.post(f"/api/festival/submissions/{sub['id']}/judges", json={"judge_ids": [judges[0][1]]})
    assert r.status_code == 422 and "own kanoon" in r.json()["message"]
    assert eh.get(f"/api/festival/submissions/{sub['id']}").json()["judges"] == []
    r = eh.post(f"/api/festival/editions/{edition['id']}/judge-draw")
    assert r.status_code == 200 and r.json()["drawn"] == 1, r.text
    assigned = {j["person_id"] for j in eh.get(f"/api/festival/submissions/{sub['id']}").json()["judges"]}
    assert assigned == {p for _, p in judges[1:]}                       # the three free of conflict
    assert judges[0][0].put(f"/api/festival/submissions/{sub['id']}/score",
                            json={"marks": {"impact": 90, "novelty": 90}}).status_code == 422
    for (api, _), marks in zip(judges[1:], ({"impact": 90, "novelty": 60}, {"impact": 70, "novelty": 70},
                                            {"impact": 80, "novelty": 50})):
        r = api.put(f"/api/festival/submissions/{sub['id']}/score", json={"marks": marks})
        assert r.status_code == 200, r.text
    scored = r.json()
    assert scored["combined"] == round((80 + 70 + 70) / 3, 2) and scored["flagged"] is False
    r = eh.post(f"/api/festival/submissions/{sub['id']}/decision", json={"award": "first", "publish": True})
    assert r.status_code == 200 and r.json()["award"] == "first"
    # Published: others see it now, and the award is in the author's and the kanoon's points.
    assert net["members"]["b"][0].get(f"/api/festival/submissions/{sub['id']}").status_code == 200
    score = eventually(lambda: (lambda x: x if x.get("points", {}).get("festival") else None)(
        author.get(f"/api/evaluation/members/{author_pid}/score", params={"year": YEAR}).json()))
    assert score["points"]["festival"] == 30.0 and score["lines"][0]["event_type"] == "festival.award.decided.v1"
    part = eh.get(f"/api/festival/editions/{edition['id']}/participation").json()
    assert part["axes"]["experience"]["province"]["submissions"] == 1
    assert part["axes"]["experience"]["province"]["kanoons"] == 1 and part["country"]["kanoons"] >= 2


def test_a_judge_who_joins_the_works_kanoon_after_the_assignment_does_not_score_it(system, admin, net):
    eh, (author, _) = net["eh"], net["members"]["b"]
    r = eventually(lambda: (lambda x: x if x.status_code in (201, 409) else None)(
        eh.post("/api/festival/editions", json=edition_body())))
    assert r is not None, "the edition is open"
    edition_id = f"fe_IR-21_{YEAR}"
    r = author.post(f"/api/festival/editions/{edition_id}/submissions",
                    json={"axis": "collective", "title": "همیاری محله در زمستان", "description": "شرح کار جمعی"})
    assert r.status_code == 201, r.text
    sub = r.json()
    judge, judge_pid = staff(admin, system.base, f"judge.late.{net['tag']}", "quality_evaluation_group", "IR-21",
                             city=net["city"])
    r = until_status(lambda: eh.post(f"/api/festival/submissions/{sub['id']}/judges", json={"judge_ids": [judge_pid]}), 200)
    assert r is not None and [j["person_id"] for j in r.json()["judges"]] == [judge_pid]   # free of conflict then
    # Afterwards the judge joins the work's kanoon.
    kid = net["kanoons"]["b"]
    assert net["heads"]["b"].post("/api/memberships", json={"person_id": judge_pid, "kanoon_id": kid}).status_code == 200
    assert eventually(lambda: system.db("festival").members.find_one({"_id": judge_pid, "kanoon_id": kid}))
    r = judge.put(f"/api/festival/submissions/{sub['id']}/score", json={"marks": {"impact": 100, "novelty": 100}})
    assert r.status_code == 409 and r.json()["field"] == "judge", r.text
    assert "own kanoon" in r.json()["message"]
    assert eh.get(f"/api/festival/submissions/{sub['id']}").json()["scores"] == []
    # The seat is the draw's to fill again: three judges free of conflict besides the one who is not.
    r = eh.post(f"/api/festival/editions/{edition_id}/judge-draw")
    assert r.status_code == 200 and r.json()["drawn"] >= 1, r.text
    judges = {j["person_id"] for j in eh.get(f"/api/festival/submissions/{sub['id']}").json()["judges"]}
    assert len(judges) == 4 and judge_pid in judges


def test_a_course_attended_and_passed_gives_a_certificate_and_training_points(system, admin, net):
    th, trainer = net["th"], net["trainer"]
    me, pid = net["members"]["b"]
    body = {"province_id": "IR-21", "title": "آشنایی با خادمیاری", "tier": "khademyar", "mode": "in_person",
            "trainer_id": net["trainer_pid"], "pass_mark": 60, "content_reviewed_on": jday(TODAY - timedelta(days=30)),
            "sessions": [{"on": jday(TODAY - timedelta(days=7)), "topic": "تاریخچه"},
                         {"on": jday(TODAY), "topic": "آداب خدمت"}],
            "exams": [{"key": "final", "title": "آزمون پایانی", "on": jday(TODAY)}]}
    assert me.post("/api/training/courses", json=body).status_code == 403
    r = until_status(lambda: th.post("/api/training/courses", json=body), 201)
    course = r.json()
    assert me.post(f"/api/training/courses/{course['id']}/attendance", json={"session": 1}).status_code == 409
    assert me.post(f"/api/training/courses/{course['id']}/enrollment").status_code == 200
    for n in (1, 2):
        assert me.post(f"/api/training/courses/{course['id']}/attendance", json={"session": n}).status_code == 200
    # Only the trainer confirms: not the member, not the training head.
    for api in (me, th):
        assert api.post(f"/api/training/courses/{course['id']}/attendance/confirmation",
                        json={"person_id": pid, "session": 1}).status_code == 403
    for n in (1, 2):
        r = trainer.post(f"/api/training/courses/{course['id']}/attendance/confirmation",
                         json={"person_id": pid, "session": n})
        assert r.status_code == 200 and r.json()["certificate"] is None
    r = trainer.post(f"/api/training/courses/{course['id']}/exam-scores", json={"person_id": pid, "exam": "final",
                                                                              "score": 72})
    assert r.status_code == 200 and r.json()["certificate"].startswith("CRT-")
    assert me.get("/api/training/mine").json()[0]["certificate"] == r.json()["certificate"]
    score = eventually(lambda: (lambda x: x if x.get("points", {}).get("training") else None)(
        me.get(f"/api/evaluation/members/{pid}/score", params={"year": YEAR}).json()))
    assert score["points"]["training"] == 5.0


def test_the_ranking_moves_with_an_approved_report_and_a_violation_and_explains_itself(system, admin, net):
    sec, (me, pid) = net["sec"], net["members"]["a"]
    a, b = net["kanoons"]["a"], net["kanoons"]["b"]

    def ranking():
        r = sec.get(f"/api/evaluation/units/{net['city']}/ranking", params={"year": YEAR})
        assert r.status_code == 200, r.text
        return {i["kanoon_id"]: i for i in r.json()["items"]}

    def score_of(kid):
        return sec.get(f"/api/evaluation/kanoons/{kid}/score", params={"year": YEAR}).json()

    before = eventually(lambda: (lambda x: x if x[a]["score"] >= 30 and x[b]["score"] >= 2 else None)(ranking()))
    assert before[a]["rank"] == 1 and before[b]["rank"] == 2      # the award (30) against the training (2)
    r = eventually(lambda: (lambda x: x if x.status_code == 201 else None)(me.post("/api/activity-reports", json={
        "kanoon_id": a, "service_type": "food_packages", "day": jday(TODAY), "hours": 2, "place": "مسجد محل",
        "beneficiaries": 4, "description": "توزیع بسته‌های معیشتی"})))
    assert r is not None
    assert net["heads"]["a"].post(f"/api/activity-reports/{r.json()['id']}/review",
                                  json={"approve": True}).status_code == 200
    after = eventually(lambda: (lambda x: x if x[a]["score"] == before[a]["score"] + 1 else None)(ranking()))
    assert after is not None
    lines = score_of(a)["lines"]
    assert any(ln["event_type"] == "reports.report.approved.v1" and ln["points"] == 1.0 for ln in lines)
    # A violation recorded about the member costs kanoon a 5 and moves it behind b once b leads.
    r = until_status(lambda: net["psec"].post("/api/violations", json={
        "person_id": pid, "source": "report", "description": "رفتار نامناسب با خانواده‌های مراجعه‌کننده"}), 201)
    assert r is not None
    after = eventually(lambda: (lambda x: x if x[a]["score"] == before[a]["score"] + 1 - 5 else None)(ranking()))
    assert after is not None
    assert any(ln["index"] == "violations" and ln["points"] == -5.0 for ln in score_of(a)["lines"])
    r = sec.put("/api/evaluation/weights", json={"scope_id": "IR-21", "year": YEAR, "weights": {"festival": 0}})
    assert r.status_code == 403                                          # the planning head's
    # Published ranks reach the registry's kanoon.
    r = net["eh"].post("/api/evaluation/rankings/publication", json={"province_id": "IR-21", "year": YEAR})
    assert r.status_code == 200 and r.json()["published"] >= 2
    k = eventually(lambda: (lambda x: x if x.get("ranks") else None)(sec.get(f"/api/kanoons/{a}").json()))
    assert k["ranks"]["city"]["rank"] == after[a]["rank"] and k["ranks"]["year"] == YEAR


def test_the_head_chooses_the_best_member_with_the_points_as_evidence(system, admin, net):
    head, (_, pid) = net["heads"]["a"], net["members"]["a"]
    kid = net["kanoons"]["a"]
    period = str(YEAR)
    cands = head.get(f"/api/evaluation/kanoons/{kid}/best-candidates",
                     params={"period": period, "member_kind": "khademyar"}).json()["candidates"]
    assert cands[0]["person_id"] == pid and cands[0]["points"] > 0
    other = next(c for c in cands if c["person_id"] != pid)
    r = head.post(f"/api/evaluation/kanoons/{kid}/best", json={"period": period, "member_kind": "khademyar",
                                                                "person_id": other["person_id"]})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    assert net["heads"]["b"].post(f"/api/evaluation/kanoons/{kid}/best", json={
        "period": period, "member_kind": "khademyar", "person_id": pid}).status_code == 403
    r = head.post(f"/api/evaluation/kanoons/{kid}/best", json={"period": period, "member_kind": "khademyar",
                                                                "person_id": pid})
    assert r.status_code == 200 and r.json()["points"] == cands[0]["points"]
    assert head.get(f"/api/evaluation/kanoons/{kid}/best").json()[0]["person_id"] == pid
    r = net["sec"].post("/api/evaluation/honours", json={"person_id": pid, "kanoon_id": kid, "year": YEAR,
                                                         "note": "برای برنامه‌های منظم"})
    assert r.status_code == 422 and r.json()["field"] == "person_id"    # honours are for the head


def test_occasions_tie_programs_and_campaigns_and_a_kanoons_program_is_approved_by_the_council(system, admin, net):
    tag, kid = net["tag"], net["kanoons"]["a"]
    planner, _ = staff(admin, system.base, f"ph.{tag}", "planning_head", "IR-21", city=net["city"])
    council, _ = staff(admin, system.base, f"council.{tag}", "coordination_council", "IR-21", city=net["city"])
    start = TODAY + timedelta(days=10)
    decade = {"scope_id": "IR-21", "kind": "karamat_decade", "title": "دهه کرامت", "starts_on": jday(start),
              "ends_on": jday(start + timedelta(days=9))}
    assert net["heads"]["a"].post("/api/occasions", json=decade).status_code == 403
    assert planner.post("/api/occasions", json={**decade, "ends_on": jday(start + timedelta(days=3))}).status_code == 422
    r = until_status(lambda: planner.post("/api/occasions", json=decade), 201)
    occasion = r.json()
    assert occasion["starts_on"] == jday(start)                               # Jalali, as entered
    assert admin.post("/api/occasions", json={**decade, "scope_id": "IR"}).status_code == 201   # the Center's
    seen = net["heads"]["a"].get(f"/api/units/{kid}/occasions", params={"year": occasion["year"]}).json()
    assert {o["scope_id"] for o in seen} >= {"IR", "IR-21"}
    assert not any(o["scope_id"] == "IR-21" for o in admin.get("/api/units/IR-09/occasions",
                                                                params={"year": occasion["year"]}).json())

    # A campaign of the province tied to the occasion (the reports service learns it from the event).
    manager, _ = staff(admin, system.base, f"pm.fe.{tag}", "province_manager", "IR-21", city=net["city"])
    campaign = {"title": "پویش دهه کرامت", "scope_id": "IR-21", "starts_on": jday(start),
                "ends_on": jday(start + timedelta(days=9)), "service_types": ["food_packages"],
                "occasion_id": occasion["id"]}
    r = until_status(lambda: manager.post("/api/campaigns", json=campaign), 201)
    assert r is not None and r.json()["occasion_id"] == occasion["id"], r and r.text
    assert manager.post("/api/campaigns", json={**campaign, "occasion_id": "oc_missing"}).status_code == 404

    # The kanoon's one-year program: drafted by its head, returned then approved by the council.
    year = str(YEAR)
    body = {"kind": "kanoon_annual", "owner_id": kid, "period": year, "title": "برنامه سالانه کانون",
            "items": [{"title": "جشن دهه کرامت", "occasion_id": occasion["id"]}],
            "indices": [{"key": "programs", "title": "برنامه جمعی در سال", "target": 12}]}
    r = net["heads"]["b"].post("/api/plans", json=body)
    assert r.status_code == 403, r.text
    r = net["heads"]["a"].post("/api/plans", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert net["heads"]["a"].post("/api/plans", json=body).status_code == 409
    assert net["heads"]["a"].post(f"/api/plans/{pid}/submission").status_code == 200
    assert manager.post(f"/api/plans/{pid}/decision", json={"approve": True}).status_code == 403   # the council's
    assert council.post(f"/api/plans/{pid}/decision", json={"approve": False}).status_code == 422
    r = council.post(f"/api/plans/{pid}/decision", json={"approve": False, "reason": "شاخص آموزش ندارد"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    r = net["heads"]["a"].put(f"/api/plans/{pid}", json={**{k: body[k] for k in ("title", "items")}, "indices": [
        *body["indices"], {"key": "training", "title": "اعضای آموزش‌دیده", "target": 10}]})
    assert r.status_code == 200 and len(r.json()["indices"]) == 2
    assert net["heads"]["a"].post(f"/api/plans/{pid}/submission").status_code == 200
    r = council.post(f"/api/plans/{pid}/decision", json={"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    # Its year is not over: not evaluated yet.
    r = planner.post(f"/api/plans/{pid}/evaluation", json={"achieved": {"programs": 6, "training": 10}})
    assert r.status_code == 409 and "after its period" in r.json()["message"]
    listed = planner.get("/api/units/IR-21/plans", params={"year": YEAR, "status": "approved"}).json()
    assert [p["id"] for p in listed] == [pid]
    # The province's monthly program: the planning head drafts it, the manager approves it.
    monthly = {"kind": "monthly", "owner_id": "IR-21", "period": str(jalali.period_of(TODAY)), "title": "برنامه ماه",
               "items": [{"title": "هماهنگی پویش"}], "indices": [{"key": "campaigns", "title": "پویش", "target": 1}]}
    r = planner.post("/api/plans", json=monthly)
    assert r.status_code == 201, r.text
    assert planner.post(f"/api/plans/{r.json()['id']}/submission").status_code == 200
    assert manager.post(f"/api/plans/{r.json()['id']}/decision", json={"approve": True}).json()["status"] == "approved"
