"""The web app's own logic, without a running system: every refusal reads in Persian, digits are
shown in Persian and accepted in any form, a person's grants open the right desks, a form is
refused without its CSRF token and sends its Idempotency-Key. (The gateway here is an httpx
stand-in; tests/system/test_web_browser.py drives the real one in Chromium.)"""
import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from web import fa
from web.app import areas, create_app

PERSIAN = re.compile(r"[\u0600-\u06FF]")


@pytest.mark.parametrize("status,code", [(401, "unauthenticated"), (403, "forbidden"), (404, "not_found"),
                                         (409, "conflict"), (422, "invalid"), (429, "too_many_requests"),
                                         (503, "unavailable"), (504, "outcome_unknown"), (500, "internal")])
def test_every_refusal_reads_in_persian(status, code):
    text = fa.refusal(status, {"error": code, "message": "some English text the API gave", "field": "hours"})
    assert PERSIAN.search(text) and not re.search(r"[A-Za-z]{3,}", text), text
    if status in (403, 404, 409, 422):
        assert "ساعت" in text          # the field at fault, by its Persian name
    # a body without a code (a proxy's page) still gets a sentence for its status
    assert PERSIAN.search(fa.refusal(status, {}))


def test_known_messages_get_their_own_sentence():
    assert fa.refusal(401, {"error": "unauthenticated", "message": "wrong username or password"}) == \
        "نام کاربری یا گذرواژه نادرست است."
    assert "دلیل" in fa.refusal(422, {"error": "invalid", "message": "a rejection needs its reason"})
    assert fa.refusal(422, {"error": "invalid", "field": "current_password",
                            "message": "the current password is wrong"}) == "گذرواژهٔ کنونی نادرست است."
    assert "۱۰ نویسه" in fa.refusal(422, {"error": "invalid", "message": "a password is not only digits"})
    assert "تلاش‌های ناموفق" in fa.refusal(429, {"error": "too_many_requests",
                                               "message": "too many failed sign-ins; try again in 60 seconds"})
    # "outcome unknown" always says to send the same form again, whatever the message
    assert "دوباره" in fa.refusal(504, {"error": "outcome_unknown", "message": "already"})


def test_digits_are_shown_in_persian():
    assert fa.digits(2.5) == "۲٫۵"
    assert fa.digits(3) == "۳"
    assert fa.digits(12000) == "۱۲٬۰۰۰"
    assert fa.digits("1405/09/01") == "۱۴۰۵/۰۹/۰۱"
    assert fa.digits(None) == "" and fa.digits(True) == "بله"


def test_grants_open_the_desks_of_their_units():
    me = {"grants": [{"role": "kanoon_head", "scope_id": "kn_1", "scope_kind": "kanoon"},
                     {"role": "city_secretary", "scope_id": "IR-09-MSH", "scope_kind": "city"},
                     {"role": "province_manager", "scope_id": "IR-09", "scope_kind": "province"},
                     {"role": "oversight_head", "scope_id": "IR-09", "scope_kind": "province"}]}
    assert areas(me) == {"kanoons": ["kn_1"], "cities": ["IR-09-MSH"], "units": ["IR-09"], "audit": ["IR-09"]}
    assert areas({"grants": []}) == {"kanoons": [], "cities": [], "units": [], "audit": []}


ME = {"user_id": "u1", "person_id": "p1", "username": "yavar", "kanoon_id": "kn_1", "grants": []}


class Gateway:
    """An httpx stand-in for the gateway that records what the web app sent."""

    def __init__(self, down: bool = False):
        self.sent: list[httpx.Request] = []
        self.down = down

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        path = request.url.path
        if path == "/token":
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            if form["password"] != "right":
                return httpx.Response(401, json={"error": "unauthenticated", "message": "wrong username or password"})
            return httpx.Response(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
        if path == "/me":
            return httpx.Response(200, json=ME)
        if path == "/api/service-types":
            return httpx.Response(200, json=[{"id": "food_packages", "name": "بسته معیشتی"}])
        if path == "/api/activity-reports" and request.method == "POST":
            body = json.loads(request.content)
            if body["hours"] > 24:
                return httpx.Response(422, json={"error": "invalid", "field": "hours", "message": "too many"})
            return httpx.Response(201, json={"id": "r1", **body, "status": "submitted"})
        if path == "/api/activity-reports/mine":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"error": "not_found", "message": "no"})


def client(gateway):
    return TestClient(create_app("http://gateway", secure_cookies=False, transport=httpx.MockTransport(gateway)))


def signed_in(gateway):
    c = client(gateway)
    r = c.post("/login", data={"username": "yavar", "password": "right"}, follow_redirects=False)
    assert r.status_code == 303 and "khadem" in r.cookies
    return c


def test_sign_in_refused_in_persian_and_pages_need_it():
    g = Gateway()
    c = client(g)
    r = c.post("/login", data={"username": "yavar", "password": "wrong"})
    assert r.status_code == 401 and "نام کاربری یا گذرواژه نادرست است" in r.text
    r = c.get("/reports/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    down = client(Gateway(down=True))
    r = down.post("/login", data={"username": "yavar", "password": "right"})
    assert r.status_code == 503 and "سامانه اکنون پاسخ نمی‌دهد" in r.text


def test_a_form_without_its_csrf_token_is_refused_and_sends_nothing():
    g = Gateway()
    c = signed_in(g)
    before = len(g.sent)
    r = c.post("/reports", data={"service_type": "food_packages", "day": "1405/09/01", "hours": "2",
                                 "beneficiaries": "3", "place": "مسجد", "description": "شرح", "key": "k1"})
    assert r.status_code == 403 and "فرم کهنه" in r.text
    assert not [q for q in g.sent[before:] if q.method == "POST"]


def test_a_report_form_sends_persian_digits_normalised_with_its_idempotency_key():
    g = Gateway()
    c = signed_in(g)
    page = c.get("/reports/new").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "key": key, "service_type": "food_packages", "day": "۱۴۰۵/۰۹/۰۱", "hours": "۲٫۵",
            "beneficiaries": "١٢", "place": "مسجد", "description": "توزیع"}
    r = c.post("/reports", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reports?done=report"
    sent = [q for q in g.sent if q.method == "POST" and q.url.path == "/api/activity-reports"][-1]
    assert sent.headers["Idempotency-Key"] == key and sent.headers["Authorization"] == "Bearer tok"
    body = json.loads(sent.content)
    assert body["day"] == "1405/09/01" and body["hours"] == 2.5 and body["beneficiaries"] == 12
    assert body["kanoon_id"] == "kn_1"
    # A refusal keeps what was typed, marks the field and keeps the key (a resubmission happens once).
    r = c.post("/reports", data={**form, "hours": "۳۰"})
    assert r.status_code == 422 and "ساعت" in r.text and 'aria-invalid="true"' in r.text
    assert f'name="key" value="{key}"' in r.text and "مسجد" in r.text


def test_the_gateway_believes_a_forwarded_address_only_from_the_web_app():
    from types import SimpleNamespace

    from starlette.requests import Request

    from gateway.deps import client_address

    def request(headers: dict, secret: str):
        app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(proxy_secret=secret)))
        return Request({"type": "http", "app": app, "client": ("10.0.0.5", 5000),
                        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]})
    forwarded = {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"}
    assert client_address(request({**forwarded, "X-Khadem-Proxy": "s3cret"}, "s3cret")) == "5.6.7.8"
    assert client_address(request({**forwarded, "X-Khadem-Proxy": "guess"}, "s3cret")) == "10.0.0.5"
    assert client_address(request(forwarded, "s3cret")) == "10.0.0.5"
    assert client_address(request({**forwarded, "X-Khadem-Proxy": ""}, "")) == "10.0.0.5"


@pytest.mark.parametrize("reason,field,expected", [
    ("not a valid national ID (10 digits with a correct check digit)", "national_id", "کد ملی"),
    ("no city IR-NOWHERE", "city", "«IR-NOWHERE» یافت نشد"),
    ("IR-09 is a province, not a city", "city", "شهرستان نیست"),
    ("the same as row 3", "national_id", "تکرار ردیف 3"),
    ("«مهمان» is not one of: khademyar, yavar", "kind", "«مهمان» پذیرفته نیست"),
    ("something new", "mobile", "«تلفن همراه» نادرست است"),
])
def test_an_imported_rows_reason_reads_in_persian(reason, field, expected):
    assert expected in fa.row_reason(reason, field)


def test_every_page_template_compiles_with_the_apps_filters():
    import os
    app = create_app("http://gateway", secure_cookies=False, transport=httpx.MockTransport(Gateway()))
    env = app.state.templates.env
    names = sorted(os.listdir(os.path.join(os.path.dirname(__import__("web").__file__), "templates")))
    assert len(names) >= 15
    for name in names:
        env.get_template(name)   # raises on a syntax error or an unknown filter


class NamedGateway(Gateway):
    """The stand-in with a person, a city and a kanoon with names, and a ranking."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        named = {
            "/api/people/p1": {"id": "p1", "first_name": "زهرا", "last_name": "احمدی", "kind": "yavar"},
            "/api/units/IR-09-MSH": {"id": "IR-09-MSH", "name": "مشهد", "kind": "city", "path": ["IR", "IR-09", "IR-09-MSH"]},
            "/api/kanoons/kn_1": {"id": "kn_1", "name": "کانون نور", "kind": "neighborhood", "status": "active",
                                  "unit_id": "IR-09-MSH", "city_id": "IR-09-MSH", "unit_path": ["IR", "IR-09", "IR-09-MSH"],
                                  "head_id": "p1", "member_count": 12},
            "/api/units/IR-09-MSH/aggregates": {"unit_id": "IR-09-MSH", "by_service_type": {}, "reports": 0, "hours": 0,
                                                 "beneficiaries": 0, "members_reporting": 0},
            "/api/evaluation/units/IR-09-MSH/ranking": {
                "unit_id": "IR-09-MSH", "level": "city", "year": 1405, "of": 2, "weights": {},
                "items": [{"kanoon_id": "kn_1", "name": "کانون نور", "score": 90.5, "rank": 1, "coefficient": 1},
                          {"kanoon_id": "kn_2", "name": "کانون مهر", "score": 80, "rank": 2, "coefficient": 1}]},
        }
        if request.method == "GET" and path in named:
            self.sent.append(request)
            return httpx.Response(200, json=named[path])
        return super().__call__(request)


def visible(html: str) -> str:
    """A page's text as read (no tags, so no links' addresses)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S))


def test_the_greeting_is_by_the_persons_name():
    page = signed_in(NamedGateway()).get("/").text
    assert "سلام، زهرا احمدی" in page and "سلام، yavar" not in page
    # no person record to be had: the username still greets
    assert "سلام، yavar" in signed_in(Gateway()).get("/").text


def test_a_unit_page_is_headed_by_its_name_with_persian_ranks_and_a_readable_period_hint():
    r = signed_in(NamedGateway()).get("/units/IR-09-MSH", params={"period": "1405-Q3"})
    assert r.status_code == 200, r.text
    text = visible(r.text)
    assert "مشهد" in text and "IR-09-MSH" not in text        # the code only in links
    assert "پاییز ۱۴۰۵" in text and "Q3" not in text and "H1" not in text
    assert not re.search(r"[0-9]", re.sub(r"\s+", " ", text)), re.findall(r".{20}[0-9].{20}", text)
    assert re.search(r'<bdi dir="ltr">۱۴۰۵-۰۷</bdi>', r.text)   # a dashed sample reads left to right
    assert re.search(r"۱\.</span>\s*کانون نور", r.text) and "۲.</span>" in r.text
    assert 'value="پاییز ۱۴۰۵"' in r.text


def test_a_period_is_typed_and_shown_in_persian_words():
    assert [fa.period_name(c) for c in ("1405", "1405-07", "1405-Q3", "1405-H2")] == \
        ["سال ۱۴۰۵", "مهر ۱۴۰۵", "پاییز ۱۴۰۵", "نیمهٔ دوم ۱۴۰۵"]
    assert fa.period_code("پاییز ۱۴۰۵") == "1405-Q3" and fa.period_code("نیمه‌ی اول 1405") == "1405-H1"
    assert fa.period_code("مهر ۱۴۰۵") == "1405-07" and fa.period_code("۱۴۰۵-۰۷") == "1405-07"
    assert fa.period_code("سال ۱۴۰۵") == "1405" and fa.period_code("abc") == "abc"
    assert fa.period_code(fa.period_name("1405-H2")) == "1405-H2"


def test_a_kanoons_page_names_its_unit_and_keeps_the_code_in_the_link():
    r = signed_in(NamedGateway()).get("/kanoons/kn_1")
    assert r.status_code == 200, r.text
    assert '<a href="/units/IR-09-MSH">مشهد</a>' in r.text
    assert "IR-09" not in visible(r.text)
