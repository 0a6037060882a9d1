"""Oversight over HTTP on the running system: a complaint from the public without an account,
followed by its tracking code (which shows the status and nothing else) while the oversight head
handles it and the accused kanoon head sees nothing; a member's own complaint whose identity only
the handler sees; a complaint and a violation about a yavar not yet placed in a kanoon, kept in the
city of their registration; a violation escalated to the protection committee whose ruling the registry and
the reports service enforce; guessed codes and a flood of public complaints (last: it exhausts this
address's allowance) → 4xx and nothing written."""
import uuid

import httpx
import pytest

from kernel import jalali
from tests.system.helpers import account, eventually, form_kanoon, member, staff, until_status


@pytest.fixture(scope="module")
def net(system, admin):
    tag = uuid.uuid4().hex[:4]
    city = f"IR-16-O{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-16"}).status_code == 201
    sec, sec_pid = staff(admin, system.base, f"sec.ov.{tag}", "city_secretary", city, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.ov.{tag}")
    kid = form_kanoon(head_api, head, deputy, sec, "کانون پایش", unit=city)
    oh, oh_pid = staff(admin, system.base, f"oh.{tag}", "oversight_head", "IR-16", city=city)
    inv, inv_pid = staff(admin, system.base, f"inv.{tag}", "city_secretary", city, city=city)
    psec, _ = staff(admin, system.base, f"psec.{tag}", "province_secretary", "IR-16", city=city)
    committee, _ = staff(admin, system.base, f"committee.{tag}", "protection_committee", "IR-16", city=city)
    public = httpx.Client(base_url=system.base, timeout=30)
    # The public route is throttled per address: wait until the oversight service knows the kanoon
    # rather than spend the allowance on 404s.
    assert eventually(lambda: system.db("oversight").kanoons.find_one({"_id": kid, "status": "active"}))
    return {"tag": tag, "city": city, "kanoon": kid, "head": head, "head_api": head_api, "deputy": deputy,
            "sec": sec, "oh": oh, "oh_pid": oh_pid, "inv": inv, "inv_pid": inv_pid, "psec": psec,
            "committee": committee, "public": public}


def test_a_public_anonymous_complaint_is_followed_by_its_code_and_never_reaches_the_accused(system, net):
    body = {"subject_kind": "kanoon", "subject_id": net["kanoon"],
            "text": "در توزیع بسته‌ها تبعیض شد و به چند خانواده نیازمند چیزی نرسید"}
    r = until_status(lambda: net["public"].post("/api/public/complaints", json=body), 201)
    assert r is not None, "the oversight service knows the kanoon"
    ticket = r.json()
    code = ticket["tracking_code"]
    assert set(ticket) == {"tracking_code", "status", "received_at", "status_at", "closed"} and ticket["status"] == "received"
    assert "/" in ticket["received_at"]                                # a Jalali instant
    seen = net["public"].get(f"/api/public/complaints/{code.lower().replace('-', ' ')}")   # read back over the phone
    assert seen.status_code == 200 and seen.json()["status"] == "received"
    listed = net["oh"].get(f"/api/units/{net['city']}/complaints").json()
    cid = next(c["id"] for c in listed["items"] if c["text"] == body["text"])
    c = net["oh"].get(f"/api/complaints/{cid}").json()
    assert c["anonymous"] and c["handler_role"] == "oversight_head" and sorted(c["subject"]["accused"]) == sorted(
        [net["head"], net["deputy"]])
    assert net["head_api"].get(f"/api/complaints/{cid}").status_code == 403          # the accused see nothing
    assert net["head_api"].post(f"/api/complaints/{cid}/triage", json={"category": "توزیع", "severity": "high"}).status_code == 403
    assert net["sec"].get(f"/api/units/{net['city']}/complaints").status_code == 403
    r = net["oh"].post(f"/api/complaints/{cid}/triage", json={"category": "توزیع", "severity": "high"})
    assert r.status_code == 200 and r.json()["due"]
    r = net["oh"].post(f"/api/complaints/{cid}/assignment", json={"investigator_id": net["head"]})
    assert r.status_code == 422 and r.json()["field"] == "investigator_id"          # never the accused
    assert net["oh"].post(f"/api/complaints/{cid}/assignment", json={"investigator_id": net["inv_pid"]}).status_code == 200
    mine = net["inv"].get(f"/api/units/{net['city']}/complaints", params={"mine": "true"}).json()
    assert [c["id"] for c in mine["items"]] == [cid]
    assert net["inv"].post(f"/api/complaints/{cid}/notes", json={"text": "با سه خانواده گفتگو شد"}).status_code == 200
    r = net["inv"].post(f"/api/complaints/{cid}/resolution", json={"outcome": "وارد بود؛ تذکر کتبی به کانون"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    tracked = net["public"].get(f"/api/public/complaints/{code}").json()
    assert tracked["status"] == "resolved" and "outcome" not in tracked and "notes" not in tracked
    assert net["oh"].post(f"/api/complaints/{cid}/closing").status_code == 200
    assert net["public"].get(f"/api/public/complaints/{code}").json()["closed"] is True


def test_a_members_complaint_shows_who_complained_to_the_handler_only(system, admin, net):
    pid = member(admin, city=net["city"])
    me = account(admin, system.base, pid, f"complainant.{net['tag']}")
    body = {"subject_kind": "member", "subject_id": net["deputy"], "text": "برخورد نامناسب با مراجعه‌کنندگان در برنامه"}
    r = until_status(lambda: me.post("/api/complaints", json=body), 201)
    assert r is not None
    cid = next(c["id"] for c in net["oh"].get(f"/api/units/{net['city']}/complaints").json()["items"]
               if c["text"] == body["text"])
    assert net["oh"].get(f"/api/complaints/{cid}").json()["complainant"]["person_id"] == pid
    net["oh"].post(f"/api/complaints/{cid}/triage", json={"category": "رفتار", "severity": "low"})
    net["oh"].post(f"/api/complaints/{cid}/assignment", json={"investigator_id": net["inv_pid"]})
    assert net["inv"].get(f"/api/complaints/{cid}").json()["complainant"] is None
    # Name and phone are for what came by phone, box or letter, recorded by the handler.
    r = me.post("/api/complaints", json={**body, "channel": "phone", "name": "من"})
    assert r.status_code == 403


def test_a_complaint_and_a_violation_about_a_yavar_not_yet_in_a_kanoon_belong_to_their_city(system, admin, net):
    unplaced = member(admin, kind="yavar", city=net["city"])
    assert admin.get(f"/api/people/{unplaced}").json()["kanoon_id"] is None
    pid = member(admin, city=net["city"])
    me = account(admin, system.base, pid, f"neighbour.{net['tag']}")
    body = {"subject_kind": "member", "subject_id": unplaced, "text": "بی‌احترامی به سالمندان در صف توزیع بسته‌ها"}
    r = until_status(lambda: me.post("/api/complaints", json=body), 201)
    assert r is not None, "a complaint about a yavar without a kanoon is received"
    listed = net["oh"].get(f"/api/units/{net['city']}/complaints").json()["items"]
    c = next(c for c in listed if c["text"] == body["text"])
    assert c["subject"]["path"][-1] == net["city"] and c["subject"]["province_id"] == "IR-16"
    assert c["subject"]["accused"] == [unplaced] and c["handler_role"] == "oversight_head"
    assert net["sec"].get(f"/api/complaints/{c['id']}").status_code == 403     # handled by the province's head
    assert net["oh"].post(f"/api/complaints/{c['id']}/triage", json={"category": "رفتار", "severity": "medium"}).status_code == 200
    r = net["psec"].post("/api/violations", json={"person_id": unplaced, "source": "complaint", "source_id": c["id"],
                                                  "description": "بی‌احترامی مکرر به مراجعه‌کنندگان سالمند"})
    assert r.status_code == 201, r.text
    assert r.json()["path"][-1] == net["city"] and r.json()["province_id"] == "IR-16"
    seen = net["psec"].get(f"/api/units/{net['city']}/violations", params={"person_id": unplaced}).json()
    assert [v["id"] for v in seen["items"]] == [r.json()["id"]]
    # Someone the registry never registered is still not found.
    r = net["psec"].post("/api/violations", json={"person_id": "p_nobody", "source": "report",
                                                  "description": "شرحی به اندازه کافی بلند از یک تخلف"})
    assert r.status_code == 404 and r.json()["field"] == "person_id"


def test_a_ruling_of_the_committee_is_enforced_by_the_registry_and_the_reports_service(system, admin, net):
    tag = net["tag"]
    barred = member(admin, city=net["city"])
    assert net["head_api"].post("/api/memberships", json={"person_id": barred, "kanoon_id": net["kanoon"]}).status_code == 200
    r = until_status(lambda: net["psec"].post("/api/violations", json={
        "person_id": barred, "source": "report", "description": "دریافت وجه از خانواده‌های نیازمند در ازای بسته"}), 201)
    assert r is not None
    vid = r.json()["id"]
    assert net["committee"].post(f"/api/violations/{vid}/ruling", json={"kind": "suspended", "months": 3,
                                                                        "reason": "محرز"}).status_code == 409
    assert net["oh"].post(f"/api/violations/{vid}/escalation").status_code == 403
    assert net["psec"].post(f"/api/violations/{vid}/escalation").status_code == 200
    assert net["psec"].post(f"/api/violations/{vid}/ruling", json={"kind": "barred_from_headship", "months": 6,
                                                                   "reason": "محرز"}).status_code == 403
    r = net["committee"].post(f"/api/violations/{vid}/ruling", json={"kind": "barred_from_headship", "months": 6,
                                                                     "reason": "تخلف مالی محرز شد"})
    assert r.status_code == 200 and r.json()["ruling"]["ends_on"]
    assert eventually(lambda: system.db("registry").restrictions.find_one({"person_id": barred}))
    # The registry refuses what the ruling forbids: proposing them as a head, or handing them the headship.
    other = member(admin, city=net["city"])
    req = {"name": "کانون تازه", "kind": "neighborhood", "unit_id": net["city"], "head_id": barred, "deputy_id": other}

    def refused():
        r = net["sec"].post("/api/kanoons", json=req)
        return r if r.status_code == 409 else None
    r = refused()
    assert r is not None and r.json()["field"] == "head_id" and "barred from heading" in r.json()["message"]
    attest = {"computer_skills": True, "social_standing": True, "commitment_to_programs": True, "three_days_a_week": True}
    r = net["sec"].post(f"/api/kanoons/{net['kanoon']}/handover", json={"position": "head", "person_id": barred, **attest})
    assert r.status_code == 409 and r.json()["field"] == "person_id"
    assert system.db("registry").kanoons.count_documents({"name": "کانون تازه", "head_id": barred}) == 0
    # Suspended: no joining, and the reports service refuses their reports.
    susp = member(admin, city=net["city"])
    assert net["head_api"].post("/api/memberships", json={"person_id": susp, "kanoon_id": net["kanoon"]}).status_code == 200
    susp_api = account(admin, system.base, susp, f"susp.{tag}")
    v = until_status(lambda: net["psec"].post("/api/violations", json={
        "person_id": susp, "source": "inspection", "description": "ثبت گزارش‌های ساختگی در سه ماه گذشته"}), 201).json()
    net["psec"].post(f"/api/violations/{v['id']}/escalation")
    r = net["committee"].post(f"/api/violations/{v['id']}/ruling", json={"kind": "suspended", "months": 2,
                                                                        "reason": "گزارش ساختگی"})
    assert r.status_code == 200
    assert eventually(lambda: system.db("reports").restrictions.find_one({"person_id": susp}))
    body = {"kanoon_id": net["kanoon"], "service_type": "food_packages", "day": jalali.format_date(jalali.today()),
            "hours": 2, "place": "مسجد", "beneficiaries": 3, "description": f"گزارش {tag}"}

    def report_refused():   # 403 until the reports service knows the membership
        r = susp_api.post("/api/activity-reports", json=body)
        return r if r.status_code != 403 else None
    r = eventually(report_refused)
    assert r is not None and r.status_code == 409, r
    assert r is not None and "suspended" in r.json()["message"], r
    assert system.db("reports").activity_reports.count_documents({"description": f"گزارش {tag}"}) == 0
    r = net["head_api"].post("/api/memberships", json={"person_id": susp, "kanoon_id": net["kanoon"]})
    assert r.status_code in (409, 422)                                  # already a member, and suspended anyway
    # Lifted: the registry allows again.
    assert net["committee"].post(f"/api/violations/{vid}/ruling/lifting", json={"reason": "جبران خسارت"}).status_code == 200
    r = eventually(lambda: (lambda x: x if x.status_code == 201 else None)(net["sec"].post("/api/kanoons", json=req)))
    assert r is not None and r.json()["head_id"] == barred


def test_a_season_is_planned_for_every_kanoon_and_an_inspection_scored_from_its_checklist(system, admin, net):
    checklist = {"key": f"periodic-{net['tag']}", "province_id": "IR-16", "title": "بازدید فصلی کانون",
                 "items": [{"key": "reports", "text": "گزارش‌ها به موقع ثبت شده است", "weight": 3},
                           {"key": "sign", "text": "تابلوی کانون نصب است", "weight": 1}]}
    assert net["sec"].post("/api/checklists", json=checklist).status_code == 403
    r = net["oh"].post("/api/checklists", json=checklist)
    assert r.status_code == 201 and r.json()["id"].endswith(":v1")
    cl = r.json()["id"]
    season = str(jalali.period_of(jalali.today(), "season"))
    plan = {"province_id": "IR-16", "season": season, "checklist_id": cl}
    first = net["oh"].post("/api/inspections/season", json=plan).json()
    assert first["planned"] >= 1
    again = net["oh"].post("/api/inspections/season", json=plan).json()
    assert again["planned"] == 0 and again["existing"] == first["planned"] + first["existing"]   # planned once
    report = net["oh"].get(f"/api/units/{net['city']}/inspections", params={"period": season}).json()
    assert report["planned"] == 1 and report["inspected"] == 0 and report["never_inspected"] == [net["kanoon"]]
    iid = report["items"][0]["id"]
    answers = {"answers": {"reports": True, "sign": False}, "minutes": "کانون فعال است و تابلو ندارد",
               "visited_on": jalali.format_date(jalali.today())}
    assert net["head_api"].post(f"/api/inspections/{iid}/answers", json=answers).status_code == 403
    r = net["sec"].post(f"/api/inspections/{iid}/answers", json={**answers, "answers": {"reports": True}})
    assert r.status_code == 422 and r.json()["field"] == "answers"
    r = net["sec"].post(f"/api/inspections/{iid}/answers", json=answers)
    assert r.status_code == 200 and r.json()["score"] == 75.0 and r.json()["visitor_role"] == "city_secretary"
    # A deputy's visit to the county, recorded the same way with the deputy's role.
    deputy, _ = staff(admin, system.base, f"deputy.{net['tag']}", "khademyari_deputy", "IR-16", city=net["city"])
    v = deputy.post("/api/inspections", json={"kind": "deputy_visit", "target_id": net["city"], "checklist_id": cl})
    assert v.status_code == 201, v.text
    r = deputy.post(f"/api/inspections/{v.json()['id']}/answers", json={**answers, "answers": {"reports": True, "sign": True}})
    assert r.status_code == 200 and r.json()["score"] == 100.0 and r.json()["visitor_role"] == "khademyari_deputy"
    png = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 8
    r = net["sec"].post(f"/api/inspections/{iid}/attachments", files={"file": ("photo.png", png)})
    assert r.status_code == 200 and r.json()["attachments"][0]["content_type"] == "image/png"
    att = r.json()["attachments"][0]
    r = net["sec"].post(f"/api/inspections/{iid}/attachments", files={"file": ("minutes.pdf", b"MZ not a pdf")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert net["head_api"].post(f"/api/inspections/{iid}/attachments", files={"file": ("x.png", png)}).status_code == 403
    got = net["oh"].get(f"/api/inspections/{iid}/attachments/{att['id']}")
    assert got.content == png and got.headers["X-Content-SHA256"] == att["sha256"]
    assert net["oh"].post(f"/api/inspections/{iid}/sending").json()["status"] == "sent"
    r = net["sec"].post(f"/api/inspections/{iid}/attachments", files={"file": ("late.png", png + b"x")})
    assert r.status_code == 409
    report = net["oh"].get(f"/api/units/{net['city']}/inspections", params={"period": season[:4]}).json()
    assert (report["planned"], report["inspected"], report["visits"], report["mean_score"], report["never_inspected"]) == (
        1, 1, 2, 87.5, [])


def test_the_money_trail_is_reviewed_and_the_groups_opinion_and_report_reach_the_supervisors(system, admin, net):
    # A large expense in the kanoon raises a finding for the oversight head, from the finance service's events.
    pdf = b"%PDF-1.7 " + uuid.uuid4().bytes
    doc = until_status(lambda: net["head_api"].post("/api/finance/documents", files={"file": ("f.pdf", pdf)},
                                                    data={"owner_id": net["kanoon"]}), 201)
    assert doc is not None
    r = net["head_api"].post("/api/finance/expenses", json={
        "owner_id": net["kanoon"], "category": "ساخت", "description": "بازسازی سقف حسینیه", "amount": 150_000_000,
        "spent_on": jalali.format_date(jalali.today()), "document_ids": [doc.json()["id"]]})
    assert r.status_code == 201, r.text

    def raised():
        items = net["oh"].get(f"/api/units/{net['city']}/findings", params={"status": "open"}).json()
        return [f for f in items if f["kind"] == "large_expense" and r.json()["id"] in f["detail"]]
    found = eventually(raised)
    assert found and found[0]["amount"] == 150_000_000
    assert net["head_api"].get(f"/api/units/{net['city']}/findings").status_code == 403
    fid = found[0]["id"]
    assert net["oh"].post(f"/api/findings/{fid}/review", json={"note": "فاکتورها و مصوبه شورا دیده شد"}).json()["status"] == "reviewed"
    # The register of corruption-prone processes.
    risk = {"province_id": "IR-16", "process": "توزیع بسته‌های معیشتی", "owner_role": "social_deputy", "level": "high",
            "controls": ["فهرست خانواده‌ها با امضای دو نفر"]}
    rk = net["oh"].post("/api/risks", json=risk)
    assert rk.status_code == 201
    assert net["oh"].put(f"/api/risks/{rk.json()['id']}", json={"level": "medium", "controls": ["بازدید سرزده"]}).json()["level"] == "medium"
    assert net["psec"].get("/api/units/IR-16/risks").status_code == 200 and net["sec"].get("/api/units/IR-16/risks").status_code == 403
    # A session, the group's opinion (published, revised), and the report for the supervisors.
    r = net["sec"].post("/api/orientation-sessions", json={"unit_id": net["city"], "held_on": jalali.format_date(jalali.today()),
                                                          "topic": "آشنایی با آیین‌نامه تخلفات", "attendees": [net["head"], net["deputy"]]})
    assert r.status_code == 201
    year = str(jalali.period_of(jalali.today(), "year"))
    opinion = {"target_id": net["kanoon"], "period": year, "rating": 80, "text": "کانون منظم و پاسخگو است"}
    assert net["sec"].put("/api/opinions", json=opinion).status_code == 403
    assert net["oh"].put("/api/opinions", json=opinion).json()["revision"] == 1
    again = net["oh"].put("/api/opinions", json={**opinion, "rating": 70, "text": "پس از بازدید بازنگری شد"}).json()
    assert (again["revision"], again["rating"]) == (2, 70)
    assert system.db("oversight").outbox.count_documents({"type": "oversight.opinion.published.v1",
                                                          "envelope.data.target_id": net["kanoon"]}) == 2
    report = net["oh"].get(f"/api/units/{net['city']}/oversight-report", params={"period": year}).json()
    assert report["complaints"]["received"] >= 2 and report["sessions"] == {"held": 1, "attendees": 2}
    assert report["violations"]["rulings"].get("barred_from_headship") == 1 and report["findings"]["raised"] >= 1


def test_a_guessed_code_reveals_nothing_and_a_flood_of_public_complaints_is_throttled(system, net):
    for guess in ("AAAA-BBBB-CCCC", "K7QM-2XRD-9F4T", "x" * 40, "DROP TABLE"):
        r = net["public"].get(f"/api/public/complaints/{guess}")
        assert r.status_code == 404 and set(r.json()) >= {"message"} and "status" not in r.json()
    db = system.db("oversight")
    body = {"subject_kind": "kanoon", "subject_id": net["kanoon"], "text": "شکایت آزمایشی برای سنجش سیل درخواست‌ها"}
    statuses = []
    for _ in range(25):
        before = db.complaints.count_documents({})
        r = net["public"].post("/api/public/complaints", json=body)
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) > 0 and "try again" in r.json()["message"]
            assert db.complaints.count_documents({}) == before          # refused before anything is written
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) <= {201}, statuses
