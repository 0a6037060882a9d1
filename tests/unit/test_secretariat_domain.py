"""The secretariat's rules (services/secretariat/domain), with a fixed clock and no I/O: letters'
numbers, answers, reminders and overdue notices once each; memoranda's renewal notice once per end;
the council's three nominees; the heads' meeting hosted in turn; news only from approved reports'
own media; a ticket answered, reopened by its person and closed."""
from datetime import date, datetime, timedelta, timezone

import pytest

from kernel.clock import FixedClock
from kernel.errors import Conflict, Invalid
from services.secretariat.domain.desk import Category, Ticket, Message
from services.secretariat.domain.hq import CouncilChoice
from services.secretariat.domain.letters import Direction, Letter, LetterStatus, letter_number
from services.secretariat.domain.meetings import check_host, hold, whose_turn
from services.secretariat.domain.mous import Mou
from services.secretariat.domain.news import pick_media

PATH = ["IR", "IR-R5", "IR-09"]


def clock(day: date = date(2026, 12, 7)) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, 8, 0, tzinfo=timezone.utc))


def letter(c, direction=Direction.incoming, seq=1, deadline=None, reply_to=None, **kw):
    return Letter.register(province_id="IR-09", province_path=PATH, direction=direction, seq=seq, subject="درخواست",
                           parties=kw.pop("parties", ["ستاد مرکزی"]), dated=kw.pop("dated", c.today()),
                           deadline=deadline, remind_days=kw.pop("remind_days", None), their_number=None,
                           reply_to=reply_to, assigned_to=None, by="p_1", clock=c)


def test_letters_are_numbered_by_year_and_direction_in_persian_marks():
    assert letter_number(Direction.incoming, 1405, 17) == "1405/و/17"
    assert letter_number(Direction.outgoing, 1405, 3) == "1405/ص/3"
    c = clock()
    first, events = letter(c, seq=4)
    assert first.number == "1405/و/4" and first.year == 1405 and events[0].number == first.number


def test_a_letter_is_refused_without_parties_or_with_dates_out_of_order():
    c = clock()
    with pytest.raises(Invalid) as e:
        letter(c, parties=["  "])
    assert e.value.field == "parties"
    with pytest.raises(Invalid) as e:
        letter(c, dated=c.today() + timedelta(days=1))
    assert e.value.field == "dated"
    with pytest.raises(Invalid) as e:
        letter(c, deadline=c.today() - timedelta(days=1))
    assert e.value.field == "deadline"
    with pytest.raises(Invalid) as e:
        letter(c, remind_days=2)          # a reminder without a deadline
    assert e.value.field == "remind_days"


def test_an_outgoing_letter_answers_an_incoming_one_once():
    c = clock()
    incoming, _ = letter(c, deadline=c.today() + timedelta(days=10))
    answer, events = letter(c, direction=Direction.outgoing, reply_to=incoming)
    assert incoming.status == LetterStatus.answered and incoming.answered_by == answer.id
    assert [type(e).__name__ for e in events] == ["LetterRegistered", "LetterAnswered"] and events[1].on_time
    with pytest.raises(Conflict):
        letter(c, direction=Direction.outgoing, reply_to=incoming)
    with pytest.raises(Invalid):
        letter(c, direction=Direction.incoming, reply_to=answer)
    assert incoming.due(c.today() + timedelta(days=30)) == []      # answered: nothing comes due


def test_the_reminder_and_the_overdue_notice_come_once_each_on_their_days():
    c = clock()
    deadline = c.today() + timedelta(days=10)
    lt, _ = letter(c, deadline=deadline, remind_days=3)
    assert lt.due(deadline - timedelta(days=4)) == []
    assert [type(e).__name__ for e in lt.due(deadline - timedelta(days=3))] == ["LetterDue"]
    assert lt.due(deadline) == []                                   # once
    assert not lt.overdue(deadline) and lt.overdue(deadline + timedelta(days=1))
    assert [type(e).__name__ for e in lt.due(deadline + timedelta(days=1))] == ["LetterOverdue"]
    assert lt.due(deadline + timedelta(days=5)) == []
    # A letter found late by the timer raises both at once.
    late, _ = letter(c, deadline=deadline)
    assert [type(e).__name__ for e in late.due(deadline + timedelta(days=2))] == ["LetterDue", "LetterOverdue"]
    late.close("پاسخ تلفنی", "p_1", c)
    with pytest.raises(Conflict):
        late.close(None, "p_1", c)


def test_a_memorandum_notices_its_renewal_once_per_end():
    c = clock()
    today = c.today()
    m, _ = Mou.register(province_id="IR-09", province_path=PATH, title="تفاهم‌نامه", parties=["دانشگاه"],
                        subject="همکاری", signed_on=today, starts_on=today, ends_on=today + timedelta(days=100),
                        notice_days=30, by="p_1", clock=c)
    assert m.in_force(today) and m.due(today + timedelta(days=69)) == []
    assert [e.expired for e in m.due(today + timedelta(days=70))] == [False]
    assert m.due(today + timedelta(days=80)) == []
    m.renew(today + timedelta(days=465), "p_1", c)
    assert m.due(today + timedelta(days=120)) == []                 # the new end is far
    assert len(m.due(today + timedelta(days=440))) == 1
    with pytest.raises(Invalid):
        m.renew(today + timedelta(days=10), "p_1", c)
    with pytest.raises(Invalid):
        Mou.register(province_id="IR-09", province_path=PATH, title="x", parties=["y"], subject="z", signed_on=today,
                     starts_on=today, ends_on=today, notice_days=None, by="p_1", clock=c)


def test_the_council_sends_three_different_nominees_once_a_year():
    c = CouncilChoice(id="IR-09:1405", province_id="IR-09", province_path=PATH, year=1405)
    today = date(2026, 12, 7)
    with pytest.raises(Invalid):
        c.send_nominees(["p_1", "p_2", "p_2"], today, today)
    with pytest.raises(Invalid):
        c.send_nominees(["p_1", "p_2"], today, today)
    assert c.send_nominees(["p_1", "p_2", "p_3"], today, today)[0].nominees == ["p_1", "p_2", "p_3"]
    with pytest.raises(Conflict):
        c.send_nominees(["p_4", "p_5", "p_6"], today, today)
    assert c.elect_chair("p_9", today, today)[0].person_id == "p_9"


def test_the_heads_meeting_goes_round_the_citys_kanoons():
    kanoons = ["k1", "k2", "k3"]
    check_host("k1", kanoons, [])
    with pytest.raises(Conflict):
        check_host("k1", kanoons, ["k1"])              # last month's host
    with pytest.raises(Conflict):
        check_host("k1", kanoons, ["k2", "k1"])        # k3 has not hosted since
    check_host("k1", kanoons, ["k3", "k2", "k1"])       # everyone else has: its turn again
    assert whose_turn(kanoons, ["k2", "k1"]) == ["k3"] and whose_turn(kanoons, ["k3", "k2", "k1"]) == ["k1"]
    with pytest.raises(Invalid):
        check_host("k9", kanoons, [])
    c = clock()
    m, events = hold(unit_id="IR-09-NSH", unit_path=[*PATH, "IR-09-NSH"], held_on=c.today(), host="k2",
                     kanoons=kanoons, past_hosts=["k1"], minutes="تقسیم کار برنامه‌های دهه فجر",
                     attended=["k1"], next_host="k3", by="p_1", at=c.now(), today=c.today())
    assert m.attended == ["k1", "k2"] and m.id == "IR-09-NSH:1405-09" and events[0].of == 3
    with pytest.raises(Invalid) as e:
        hold(unit_id="IR-09-NSH", unit_path=PATH, held_on=c.today(), host="k2", kanoons=kanoons, past_hosts=[],
             minutes="جلسه ماهانه مسئولان", attended=[], next_host="k2", by="p_1", at=c.now(), today=c.today())
    assert e.value.field == "next_host_id"


def test_news_uses_only_the_approved_reports_own_media():
    reports = {"r1": {"path": [*PATH, "IR-09-MSH", "k1"], "media": [{"kind": "photo", "url": "https://m/1.jpg"},
                                                                   {"kind": "clip", "url": "https://m/2.mp4"}]},
               "r2": {"path": ["IR", "IR-R1", "IR-07", "k7"], "media": []}}
    assert [m.url for m in pick_media(reports, ["r1"], None, "IR-09")] == ["https://m/1.jpg", "https://m/2.mp4"]
    assert [m.url for m in pick_media(reports, ["r1"], ["https://m/2.mp4"], "IR-09")] == ["https://m/2.mp4"]
    with pytest.raises(Invalid) as e:
        pick_media(reports, ["r1"], ["https://elsewhere/x.jpg"], "IR-09")
    assert e.value.field == "media"
    with pytest.raises(Invalid):
        pick_media(reports, ["r2"], None, "IR-09")        # another province's
    with pytest.raises(Invalid):
        pick_media(reports, ["r3"], None, "IR-09")        # not approved (or unknown)


def test_a_ticket_is_answered_reopened_by_its_person_and_closed():
    now = datetime(2026, 12, 7, 8, tzinfo=timezone.utc)
    t = Ticket(id="tk_1", province_id="IR-09", province_path=PATH, person_id="p_1", category=Category.account,
               subject="ورود", messages=[Message(by="p_1", staff=False, text="رمز را فراموش کرده‌ام", at=now)],
               opened_at=now)
    t.answer("رمز موقت فرستاده شد", "p_9", now)
    assert t.status == "answered" and t.messages[-1].staff
    assert [type(e).__name__ for e in t.follow_up("هنوز وارد نمی‌شوم", "p_1", now)] == ["TicketReopened"]
    assert t.status == "open"
    t.close("p_9", now)
    with pytest.raises(Conflict):
        t.answer("دوباره", "p_9", now)
    with pytest.raises(Invalid):
        t.follow_up("  ", "p_1", now)
