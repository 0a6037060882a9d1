"""The secretariat desk over HTTP on the running system (DOMAIN §8): letters numbered in turn, answered,
their reminders and overdue notices raised once by the timer; a memorandum's renewal notice; the
council's nominees once a year; the heads' monthly meeting hosted in turn; news from an approved
report's own media; the service desk's tickets seen only by their person and the desk."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from kernel import jalali
from tests.system.helpers import account, eventually, form_kanoon, member, staff

TODAY = jalali.today()


def jday(d):
    return jalali.format_date(d)


@pytest.fixture(scope="module")
def prov(system, admin):
    tag = uuid.uuid4().hex[:5].upper()
    province, city = f"IR-S{tag}", f"IR-S{tag}-C"
    assert admin.post("/api/units", json={"id": province, "name": "استان دبیرخانه", "kind": "province",
                                          "parent_id": "IR-R4"}).status_code == 201
    assert admin.post("/api/units", json={"id": city, "name": "شهرستان", "kind": "city",
                                          "parent_id": province}).status_code == 201
    low = tag.lower()
    sec_head, _ = staff(admin, system.base, f"sh.{low}", "secretariat_head", province, city=city)
    city_sec, _ = staff(admin, system.base, f"cs.{low}", "city_secretary", city, city=city)
    pr, _ = staff(admin, system.base, f"pr.{low}", "pr_head", province, city=city)
    desk, _ = staff(admin, system.base, f"desk.{low}", "support_expert", province, city=city)
    council, _ = staff(admin, system.base, f"cc.{low}", "coordination_council", province, city=city)
    founded = jday(jalali.period_of(jalali.period_of(TODAY).first_day - timedelta(days=1)).first_day)
    kanoons, heads = [], []
    for name in ("الف", "ب"):
        h, d = member(admin, city=city), member(admin, city=city)
        heads.append(account(admin, system.base, h, f"h{name == 'ب' and 'b' or 'a'}.{low}"))
        kanoons.append(form_kanoon(heads[-1], h, d, city_sec, f"کانون {name}", unit=city, founding_date=founded))
    yavar = member(admin, kind="yavar", city=city)
    assert heads[0].post("/api/memberships", json={"person_id": yavar, "kanoon_id": kanoons[0]}).status_code == 200
    me = account(admin, system.base, yavar, f"y.{low}")
    other = account(admin, system.base, member(admin, kind="yavar", city=city), f"o.{low}")
    return {"province": province, "city": city, "sec": sec_head, "city_sec": city_sec, "pr": pr, "desk": desk,
            "council": council, "kanoons": kanoons, "heads": heads, "me": me, "other": other}


def test_letters_are_numbered_answered_and_come_due_once(system, prov):
    sec = prov["sec"]
    base = {"province_id": prov["province"], "direction": "incoming", "subject": "درخواست آمار پویش",
            "parties": ["ستاد مرکزی"]}
    yesterday = TODAY - timedelta(days=1)
    late = sec.post("/api/letters", json={**base, "dated": jday(yesterday), "deadline": jday(yesterday)})
    assert late.status_code == 201, late.text
    soon = sec.post("/api/letters", json={**base, "dated": jday(TODAY), "deadline": jday(TODAY + timedelta(days=20)),
                                          "remind_days": 3}).json()
    year = jalali.jalali_year_month(TODAY)[0]
    assert (late.json()["number"], soon["number"]) == (f"{year}/و/1", f"{year}/و/2")
    # The timer raises the late letter's reminder and overdue notice, once each; not the other's yet.
    outbox = system.db("secretariat").outbox
    lid = late.json()["id"]

    def raised(kind):
        return outbox.find({"type": f"secretariat.letter.{kind}.v1", "subject": f"letter/{lid}"})
    assert eventually(lambda: raised("overdue"), timeout=20)
    assert len(raised("due")) == 1 and len(raised("overdue")) == 1
    got = sec.get(f"/api/letters/{lid}").json()
    assert got["overdue"] and got["reminded"] and got["overdue_notified"]
    assert not sec.get(f"/api/letters/{soon['id']}").json()["reminded"]
    waiting = sec.get(f"/api/units/{prov['province']}/letters", params={"waiting": "true"}).json()
    assert {x["id"] for x in waiting["items"]} == {lid, soon["id"]}
    # An outgoing letter answers the late one; it is no longer waiting, and cannot be answered twice.
    answer = sec.post("/api/letters", json={**base, "direction": "outgoing", "parties": ["ستاد مرکزی"],
                                            "dated": jday(TODAY), "reply_to": lid})
    assert answer.status_code == 201 and answer.json()["number"] == f"{year}/ص/1"
    assert sec.get(f"/api/letters/{lid}").json()["status"] == "answered"
    again = sec.post("/api/letters", json={**base, "direction": "outgoing", "dated": jday(TODAY), "reply_to": lid})
    assert again.status_code == 409
    assert len(raised("due")) == 1      # and the timer raised nothing more
    # Others do not read the province's letters.
    assert prov["me"].get(f"/api/letters/{lid}").status_code == 403
    assert prov["me"].post("/api/letters", json={**base, "dated": jday(TODAY)}).status_code == 403


def test_a_memorandum_comes_due_for_renewal(system, prov):
    sec = prov["sec"]
    m = sec.post("/api/mous", json={"province_id": prov["province"], "title": "تفاهم‌نامه درمانی",
                                    "parties": ["دانشگاه علوم پزشکی"], "subject": "ویزیت رایگان",
                                    "signed_on": jday(TODAY - timedelta(days=300)),
                                    "starts_on": jday(TODAY - timedelta(days=300)),
                                    "ends_on": jday(TODAY + timedelta(days=30)), "notice_days": 60})
    assert m.status_code == 201 and m.json()["renewal_due"] and m.json()["in_force"]
    outbox = system.db("secretariat").outbox
    assert eventually(lambda: outbox.find({"type": "secretariat.mou.renewal_due.v1", "subject": f"mou/{m.json()['id']}"}),
                      timeout=20)
    renewed = sec.post(f"/api/mous/{m.json()['id']}/renewal", json={"ends_on": jday(TODAY + timedelta(days=400))})
    assert renewed.status_code == 200 and not renewed.json()["renewal_due"]


def test_the_council_sends_its_three_nominees_once(prov):
    body = {"province_id": prov["province"], "nominees": ["p_a", "p_b", "p_c"], "sent_on": jday(TODAY)}
    assert prov["me"].post("/api/council/nominees", json=body).status_code == 403
    r = prov["council"].post("/api/council/nominees", json=body)
    assert r.status_code == 200 and r.json()["nominees"] == ["p_a", "p_b", "p_c"]
    assert prov["council"].post("/api/council/nominees", json={**body, "nominees": ["p_d", "p_e", "p_f"]}).status_code == 409


def test_the_heads_meeting_is_hosted_in_turn(prov):
    a, b = prov["kanoons"]
    cs = prov["city_sec"]
    last_month = jalali.period_of(TODAY).first_day - timedelta(days=1)
    body = {"unit_id": prov["city"], "minutes": "تقسیم کار برنامه‌های ماه و گزارش کانون‌ها", "attended": [b]}
    first = cs.post("/api/heads-meetings", json={**body, "held_on": jday(last_month), "host_kanoon_id": a,
                                                 "next_host_id": b})
    assert first.status_code == 201, first.text
    assert first.json()["attended"] == sorted([a, b])
    # This month: the same host again is refused (the other has not hosted since); the other hosts.
    refused = cs.post("/api/heads-meetings", json={**body, "held_on": jday(TODAY), "host_kanoon_id": a})
    assert refused.status_code == 409 and refused.json()["field"] == "host_kanoon_id"
    assert cs.post("/api/heads-meetings", json={**body, "held_on": jday(TODAY), "host_kanoon_id": b}).status_code == 201
    twice = cs.post("/api/heads-meetings", json={**body, "held_on": jday(TODAY), "host_kanoon_id": a})
    assert twice.status_code == 409     # one meeting a month
    seen = prov["heads"][0].get(f"/api/units/{prov['city']}/heads-meetings").json()
    assert [m["host_kanoon_id"] for m in seen["items"]] == [b, a] and seen["turn"] == [a]
    assert prov["me"].post("/api/heads-meetings", json={**body, "held_on": jday(TODAY),
                                                        "host_kanoon_id": b}).status_code == 403


def test_news_is_written_from_an_approved_reports_media(system, prov):
    photo = f"https://media.example.ir/{uuid.uuid4().hex}.jpg"
    body = {"kanoon_id": prov["kanoons"][0], "service_type": "food_packages", "day": jday(TODAY), "hours": 2,
            "place": "مسجد", "beneficiaries": 5, "description": "توزیع بسته", "media": [{"kind": "photo", "url": photo}]}
    r = eventually(lambda: (lambda x: x if x.status_code == 201 else None)(prov["me"].post("/api/activity-reports", json=body)))
    assert r is not None
    rid = r.json()["id"]
    # Not approved yet: not news material.
    assert prov["pr"].post("/api/news", json={"province_id": prov["province"], "title": "خبر", "body": "متن",
                                              "report_ids": [rid]}).status_code == 422
    assert prov["heads"][0].post(f"/api/activity-reports/{rid}/review", json={"approve": True}).status_code == 200

    def picked():
        items = prov["pr"].get(f"/api/units/{prov['province']}/media").json()
        return [x for x in items if x["report_id"] == rid]
    assert eventually(picked), "the secretariat never learnt of the approval"
    assert picked()[0]["media"] == [{"kind": "photo", "url": photo}]
    assert prov["me"].post("/api/news", json={"province_id": prov["province"], "title": "خبر", "body": "متن",
                                              "report_ids": [rid]}).status_code == 403
    bad = prov["pr"].post("/api/news", json={"province_id": prov["province"], "title": "خبر", "body": "متن",
                                             "report_ids": [rid], "media": ["https://elsewhere.example/x.jpg"]})
    assert bad.status_code == 422 and bad.json()["field"] == "media"
    item = prov["pr"].post("/api/news", json={"province_id": prov["province"], "title": "توزیع بسته در محله",
                                              "body": "کانون الف بسته‌ها را توزیع کرد", "report_ids": [rid]})
    assert item.status_code == 201 and item.json()["media"][0]["url"] == photo
    # Drafts are the PR head's; once published, anyone signed in reads it.
    assert prov["me"].get(f"/api/units/{prov['province']}/news").json() == []
    assert prov["pr"].post(f"/api/news/{item.json()['id']}/publication").status_code == 200
    assert [n["title"] for n in prov["me"].get(f"/api/units/{prov['province']}/news").json()] == ["توزیع بسته در محله"]


def test_a_ticket_is_seen_by_its_person_and_the_desk_only(prov):
    t = eventually(lambda: (lambda x: x if x.status_code == 201 else None)(prov["me"].post(
        "/api/tickets", json={"category": "reporting", "subject": "گزارش ثبت نمی‌شود",
                              "text": "هنگام ثبت گزارش پیام خطا می‌گیرم"})))
    assert t is not None and t.json()["province_id"] == prov["province"] and t.json()["status"] == "open"
    tid = t.json()["id"]
    assert prov["other"].get(f"/api/tickets/{tid}").status_code == 403
    assert prov["other"].post(f"/api/tickets/{tid}/messages", json={"text": "سلام"}).status_code == 403
    queue = prov["desk"].get(f"/api/units/{prov['province']}/tickets", params={"status": "open"}).json()
    assert tid in [x["id"] for x in queue["items"]]
    answered = prov["desk"].post(f"/api/tickets/{tid}/messages", json={"text": "تاریخ گزارش را شمسی بنویسید"})
    assert answered.json()["status"] == "answered" and answered.json()["messages"][-1]["staff"]
    mine = prov["me"].get("/api/tickets/mine").json()
    assert mine[0]["id"] == tid and mine[0]["messages"][-1]["text"] == "تاریخ گزارش را شمسی بنویسید"
    assert prov["me"].post(f"/api/tickets/{tid}/messages", json={"text": "باز هم خطا می‌دهد"}).json()["status"] == "open"
    assert prov["desk"].post(f"/api/tickets/{tid}/closing").json()["status"] == "closed"
    # The desk records an applicant's call (no account): their contact, in the province's queue.
    call = prov["desk"].post("/api/tickets", json={"province_id": prov["province"], "category": "registration",
                                                   "subject": "ثبت‌نام", "text": "پیگیری درخواست عضویت",
                                                   "contact": "فاطمه رضوی ۰۹۱۵۱۲۳۴۵۶۷"})
    assert call.status_code == 201 and call.json()["person_id"] is None
    assert prov["me"].post("/api/tickets", json={"province_id": prov["province"], "category": "account", "subject": "x",
                                                 "text": "برای دیگری", "contact": "کسی"}).status_code == 403
