"""The web app's pages fetched over HTTP as the people who open them, signed in to the web app (its
cookies) against the running system: a kanoon's page for everyone who may open it and for those who
may not, a unit's page with a bad period, the province HQ's money and complaints cards. What is
asserted is the status and the Persian a person reads."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie

import httpx
import pytest

from kernel import jalali
from tests.system.conftest import ADMIN_PASSWORD, PROXY_SECRET
from tests.system.helpers import account, eventually, form_kanoon, member, staff, until_status

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def web_as(system, username: str, password: str = "password-123") -> httpx.Client:
    """A client of the web app signed in as `username`: the cookies its sign-in set (they are Secure
    in production, so they are carried by hand over the tests' plain HTTP)."""
    c = httpx.Client(base_url=system.web, timeout=60)
    r = c.post("/login", data={"username": username, "password": password, "next": "/"})
    assert r.status_code == 303, r.text
    jar = SimpleCookie()
    for header in r.headers.get_list("set-cookie"):
        jar.load(header)
    c.cookies.clear()
    c.headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in jar.items())
    return c


@pytest.fixture(scope="module")
def place(system, admin):
    """A province of its own with a city and two kanoons (each with its head), the city's secretary,
    the province's manager and oversight head."""
    tag = uuid.uuid4().hex[:5].upper()
    low = tag.lower()
    prov, city = f"IR-P{tag}", f"IR-P{tag}-C"
    assert admin.post("/api/units", json={"id": prov, "name": "استان صفحه‌ها", "kind": "province",
                                          "parent_id": "IR-R2"}).status_code == 201
    assert admin.post("/api/units", json={"id": city, "name": "شهرستان صفحه‌ها", "kind": "city",
                                          "parent_id": prov}).status_code == 201
    sec, _ = staff(admin, system.base, f"pg.sec.{low}", "city_secretary", city, city=city)
    staff(admin, system.base, f"pg.hq.{low}", "province_manager", prov, city=city)
    staff(admin, system.base, f"pg.ov.{low}", "oversight_head", prov, city=city)
    first_of_last = jalali.period_of(jalali.period_of(jalali.today()).first_day - timedelta(days=1)).first_day
    kanoons = []
    for n, name in ((1, "کانون نور"), (2, "کانون امید")):
        head, deputy = member(admin, city=city), member(admin, city=city)
        head_api = account(admin, system.base, head, f"pg.head{n}.{low}")
        kanoons.append(form_kanoon(head_api, head, deputy, sec, name, unit=city,
                                   founding_date=jalali.format_date(first_of_last)))
    return {"tag": tag, "province": prov, "city": city, "kanoon": kanoons[0], "other": kanoons[1],
            "sec": f"pg.sec.{low}", "hq": f"pg.hq.{low}", "oversight": f"pg.ov.{low}",
            "head": f"pg.head1.{low}", "other_head": f"pg.head2.{low}"}


def visible(html: str) -> str:
    """The page's text as read (tags and scripts left out)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_kanoons_page_shows_its_overseers_what_they_may_see_and_says_what_they_may_not(system, place):
    for who in (web_as(system, place["sec"]), web_as(system, place["hq"]), web_as(system, "admin", ADMIN_PASSWORD)):
        r = who.get(f"/kanoons/{place['kanoon']}")
        assert r.status_code == 200, r.text
        text = visible(r.text)
        assert "کانون نور" in text
        # not the head's desk: no review buttons, no monthly-report form
        assert 'action="/kanoons/' + place["kanoon"] + '/monthly-reports"' not in r.text
        assert "تنظیم و ارسال گزارش ماهانه" not in text
        # what they may not see is said, not silently left out (the beneficiaries are the kanoon's own)
        assert "مخدومین" in text and "اجازهٔ دیدن" in text


def test_a_kanoons_desk_is_its_own_heads_and_another_head_is_told_it_is_not_theirs(system, place):
    own = web_as(system, place["head"]).get(f"/kanoons/{place['kanoon']}")
    assert own.status_code == 200 and "میز کانون کانون نور" in visible(own.text)
    assert "تنظیم و ارسال گزارش ماهانه" in own.text
    r = web_as(system, place["other_head"]).get(f"/kanoons/{place['kanoon']}")
    assert r.status_code == 403, r.status_code
    text = visible(r.text)
    assert "این کانون شما نیست" in text and 'href="/"' in r.text
    assert "تنظیم و ارسال گزارش ماهانه" not in text and "/monthly-reports" not in r.text


def test_a_bad_period_is_told_plainly_and_the_page_stays_usable(system, place):
    hq = web_as(system, place["hq"])
    r = hq.get(f"/units/{place['province']}", params={"period": "abc"})
    assert r.status_code == 422, r.status_code
    text = visible(r.text)
    year = str(jalali.period_of(jalali.today(), "year")).translate(FA)
    assert "دوره درست نیست" in text and f"نیمهٔ نخست {year}" in text and "H1" not in text  # what was wrong, what a period looks like
    assert 'id="period"' in r.text and 'value="abc"' in r.text    # the box to try again, with what was typed
    assert "استان صفحه‌ها" in text                                  # the unit's own page, not a bare error
    assert hq.get(f"/units/{place['province']}", params={"period": "۱۴۰۵-q3"}).status_code == 200


class StandIn:
    """The gateway as an httpx stand-in (for what the running system will not do on request: fail):
    a province manager, a province, and whatever `broken` answers for the paths it names."""

    def __init__(self, broken: dict[str, httpx.Response]):
        self.broken = broken
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        path = request.url.path
        for part, answer in self.broken.items():
            if part in path:
                return answer
        if path == "/token":
            return httpx.Response(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
        if path == "/me":
            return httpx.Response(200, json={"user_id": "u1", "person_id": "p1", "username": "hq", "kanoon_id": None,
                                             "grants": [{"role": "province_manager", "scope_id": "IR-09",
                                                         "scope_kind": "province"}]})
        if path == "/api/units/IR-09":
            return httpx.Response(200, json={"id": "IR-09", "name": "خراسان رضوی", "kind": "province",
                                             "path": ["IR", "IR-R2", "IR-09"]})
        if path.endswith("/aggregates"):
            return httpx.Response(200, json={"reports": {"approved": 3, "submitted": 1}, "hours": 6,
                                             "beneficiaries": 9, "by_service_type": {}})
        return httpx.Response(403, json={"error": "forbidden", "message": "not yours"})


def stand_in_client(gateway: StandIn):
    from fastapi.testclient import TestClient
    from web.app import create_app
    c = TestClient(create_app("http://gateway", secure_cookies=False, transport=httpx.MockTransport(gateway)),
                   raise_server_exceptions=False)
    assert c.post("/login", data={"username": "hq", "password": "x"}, follow_redirects=False).status_code == 303
    return c


def test_an_error_page_that_promises_a_tracking_number_shows_it():
    # the gateway failed: its request id, which is the page's own (sent to it as X-Request-ID)
    g = StandIn({"/api/units/IR-09": httpx.Response(500, json={"error": "internal", "request_id": "5f3a9c"})})
    r = stand_in_client(g).get("/units/IR-09")
    text = visible(r.text)
    assert r.status_code == 500 and "شماره پیگیری" in text
    assert "شماره پیگیری: 5f3a9c" in text, text
    # the web app itself failed (an answer it cannot draw): the id it sent the gateway and logged
    g = StandIn({"/api/units/IR-09": httpx.Response(200, json={"id": "IR-09"})})
    r = stand_in_client(g).get("/units/IR-09")
    text = visible(r.text)
    assert r.status_code == 500 and "شماره پیگیری" in text
    sent = {q.headers.get("X-Request-ID") for q in g.sent if q.url.path == "/api/units/IR-09"}
    m = re.search(r"شماره پیگیری: ([0-9a-f]{16,})", text)
    assert m and sent == {m.group(1)}, (text, sent)


def test_a_card_that_could_not_be_had_says_so():
    g = StandIn({"/figures": httpx.Response(404, json={"error": "not_found", "message": "no such route"}),
                 "/oversight-report": httpx.Response(503, json={"error": "unavailable"})})
    r = stand_in_client(g).get("/units/IR-09")
    assert r.status_code == 200, r.text
    assert 'id="finance"' in r.text and "ارقام مالی بارگذاری نشد" in visible(r.text)
    assert 'id="complaints"' in r.text and "شمار شکایت‌ها بارگذاری نشد" in visible(r.text)
    assert "/api/finance/units/IR-09/figures" in {q.url.path for q in g.sent}


def test_the_hq_page_shows_the_money_card(system, place):
    hq = web_as(system, place["hq"])

    def money():
        r = hq.get(f"/units/{place['province']}")
        return r if r.status_code == 200 and 'id="finance"' in r.text else None
    r = eventually(money, timeout=30)   # the finance service learns the new province from events
    assert r is not None, "no money card on the HQ page"
    text = visible(r.text)
    assert "دریافتی‌ها" in text and "ریال" in text


def test_the_province_managers_complaints_card_counts_the_complaints(system, place):
    public = httpx.Client(base_url=system.base, timeout=30, headers={
        "X-Khadem-Proxy": PROXY_SECRET, "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.2.9"})
    for text in ("بسته‌های معیشتی به خانواده‌های کوچه ما نرسید", "در نوبت‌دهی کانون تبعیض شد و پاسخی ندادند"):
        assert until_status(lambda: public.post("/api/public/complaints", json={
            "subject_kind": "kanoon", "subject_id": place["kanoon"], "text": text}), 201) is not None
    hq = web_as(system, place["hq"])

    def card():
        r = hq.get(f"/units/{place['province']}")
        m = re.search(r'id="complaints".*?همه:\s*([۰-۹]+)', r.text, flags=re.S)
        return m and m.group(1)
    assert eventually(lambda: card() == "2".translate(FA), timeout=30), card()
