"""The web app in a real headless Chromium (Debian's chromium, driven through its chromedriver by
selenium) against the running system: a member signs in and logs an activity report with the Jalali
date picker, a refusal reads in Persian, the kanoon's head approves it from their desk, and the
province HQ's chart of service types counts it; the public files a complaint and tracks it by its
code. Screenshots go to $KHADEM_SCREENSHOTS (var/screenshots) for the reader; the assertions are on
the pages' content, never on pixels."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from kernel import jalali
from tests.system.browser import SHOTS, sign_in, wait
from tests.system.helpers import account, eventually, form_kanoon, member, staff

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


@pytest.fixture(scope="module")
def province(system, admin):
    """A province of its own (so its figures start at zero), a city, a kanoon founded last month with
    its head, a yavar member with an account, the city's secretary and a province HQ manager."""
    tag = uuid.uuid4().hex[:5].upper()
    prov, city = f"IR-W{tag}", f"IR-W{tag}-C"
    assert admin.post("/api/units", json={"id": prov, "name": "استان آزمون", "kind": "province",
                                          "parent_id": "IR-R2"}).status_code == 201
    assert admin.post("/api/units", json={"id": city, "name": "شهرستان آزمون", "kind": "city",
                                          "parent_id": prov}).status_code == 201
    sec, _ = staff(admin, system.base, f"web.sec.{tag.lower()}", "city_secretary", city, city=city)
    hq, _ = staff(admin, system.base, f"web.hq.{tag.lower()}", "province_manager", prov, city=city)
    staff(admin, system.base, f"web.sh.{tag.lower()}", "secretariat_head", prov, city=city)
    staff(admin, system.base, f"web.desk.{tag.lower()}", "support_expert", prov, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"web.head.{tag.lower()}")
    first_of_last = jalali.period_of(jalali.period_of(jalali.today()).first_day - timedelta(days=1)).first_day
    kid = form_kanoon(head_api, head, deputy, sec, "کانون نور", unit=city,
                      founding_date=jalali.format_date(first_of_last))
    yavar = member(admin, kind="yavar", city=city)
    assert head_api.post("/api/memberships", json={"person_id": yavar, "kanoon_id": kid}).status_code == 200
    account(admin, system.base, yavar, f"web.yavar.{tag.lower()}")
    return {"tag": tag, "province": prov, "city": city, "kanoon": kid,
            "hq": f"web.hq.{tag.lower()}", "sec": f"web.sec.{tag.lower()}",
            "secretariat": f"web.sh.{tag.lower()}", "desk": f"web.desk.{tag.lower()}", "head": f"web.head.{tag.lower()}", "yavar": f"web.yavar.{tag.lower()}"}


def click_and_load(d, element):
    """Click what submits a form or follows a link, and wait for the next page (never reading the
    old page's notices as the new one's)."""
    old = d.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(d, 20).until(lambda _: gone(old))


def gone(element) -> bool:
    """The element's page has been left (Chromium answers a stale element or, mid-navigation, an
    inspector error: both mean it is gone)."""
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


def shot(d, name):
    d.save_screenshot(str(SHOTS / f"{name}.png"))


def service_count(d, web, province, service="food_packages") -> int | None:
    """The HQ chart's count for a service type: from the chart Chart.js drew and from its table,
    which must agree."""
    d.get(f"{web}/units/{province}")
    wait(d, "#service-types")
    WebDriverWait(d, 10).until(lambda x: x.find_element(By.ID, "service-types").get_attribute("data-drawn") == "1")
    drawn = d.execute_script("""
        const fig = document.getElementById('service-types');
        const chart = Chart.getChart(fig.querySelector('canvas'));
        const keys = JSON.parse(fig.querySelector('script.chart-data').textContent).keys;
        const i = keys.indexOf(arguments[0]);
        return i < 0 ? null : chart.data.datasets[0].data[i];""", service)
    cells = d.find_elements(By.CSS_SELECTOR, f'#service-types tr[data-key="{service}"] td')
    shown = int(cells[0].get_attribute("textContent").translate(LATIN)) if cells else None
    assert drawn == shown, (drawn, shown)
    return drawn


def test_a_report_logged_approved_and_counted_through_the_pages(system, driver, province):
    d, web = driver, system.web
    # The HQ's view before: the province's own figures start at nothing.
    sign_in(d, web, province["hq"])
    assert d.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fa"
    before = service_count(d, web, province["province"]) or 0
    composition = d.find_elements(By.CSS_SELECTOR, "#composition-education tbody tr")
    assert composition, "the HQ page has no composition chart"
    shot(d, "1-hq-before")

    # The member: a refusal first (hours out of range), said in Persian, with nothing written.
    sign_in(d, web, province["yavar"])
    d.get(f"{web}/reports/new")
    Select(wait(d, "#service_type")).select_by_value("food_packages")
    d.find_element(By.ID, "hours").send_keys("۳۰")
    d.find_element(By.ID, "beneficiaries").send_keys("۱۲")
    d.find_element(By.ID, "place").send_keys("مسجد محل")
    d.find_element(By.ID, "description").send_keys("توزیع بسته‌های معیشتی میان خانواده‌ها")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]"))
    error = wait(d, "#error").text
    assert re.search(r"[\u0600-\u06FF]", error) and "ساعت" in error, error
    assert not re.search(r"[A-Za-z]{4,}", error), f"the refusal is not in Persian: {error}"
    assert d.find_element(By.ID, "hours").get_attribute("aria-invalid") == "true"
    assert d.find_element(By.ID, "place").get_attribute("value") == "مسجد محل"   # what they typed is kept
    shot(d, "2-member-refused")

    # The Jalali date picker: it opens on this Jalali month, in Persian digits; day 1 is picked.
    today = jalali.today()
    jy, jm = jalali.jalali_year_month(today)
    d.find_element(By.CSS_SELECTOR, "button.jdp-open").click()
    title = wait(d, ".jdp .jdp-title").text
    assert title == f"{MONTHS[jm - 1]} {str(jy).translate(FA)}", title
    d.find_element(By.CSS_SELECTOR, '.jdp button[data-day="1"]').click()
    assert d.find_element(By.ID, "day").get_attribute("value") == f"{jy}/{jm:02d}/01".translate(FA)
    hours = d.find_element(By.ID, "hours")
    hours.clear()
    hours.send_keys("۲٫۵")
    shot(d, "3-member-form")

    def submitted():
        click_and_load(d, d.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]"))
        WebDriverWait(d, 15).until(lambda x: x.find_elements(By.CSS_SELECTOR, ".notice"))
        return "/reports" in d.current_url and not d.find_elements(By.ID, "error")
    # The reports service learns the membership from the registry's events: soon, maybe not at once.
    assert eventually(submitted, timeout=30), d.find_element(By.ID, "error").text
    assert "ثبت شد" in d.find_element(By.CSS_SELECTOR, ".notice.ok").text
    row = d.find_element(By.CSS_SELECTOR, "#my-reports tbody tr")
    assert "در انتظار بررسی" in row.text and f"{jy}/{jm:02d}/01".translate(FA) in row.text
    shot(d, "4-member-reports")

    # The head: the report waits on their desk; they approve it.
    sign_in(d, web, province["head"])
    click_and_load(d, d.find_element(By.LINK_TEXT, "میز کانون"))
    assert wait(d, "#todo-reports").text == "۱"
    shot(d, "5-head-desk")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "#review button.approve"))
    assert "گزارش تأیید شد" in wait(d, ".notice.ok").text
    assert wait(d, "#todo-reports").text == "۰"
    # The head compiles and sends last month's report from the desk.
    d.find_element(By.ID, "clients").send_keys("۱۲۰")
    d.find_element(By.ID, "public_requests").send_keys("۱۰")
    d.find_element(By.ID, "public_requests_answered").send_keys("۸")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "#monthly button[type=submit]"))
    assert "گزارش ماهانه ثبت شد" in wait(d, ".notice.ok").text
    assert "در انتظار بررسی" in wait(d, "#monthly").text

    # The HQ's chart counts it once the aggregate has it.
    sign_in(d, web, province["hq"])
    after = eventually(lambda: (lambda n: n if n == before + 1 else None)(service_count(d, web, province["province"])),
                       timeout=30)
    assert after == before + 1, service_count(d, web, province["province"])
    assert d.find_element(By.ID, "approved-count").text == str(before + 1).translate(FA)
    shot(d, "6-hq-after")


def test_the_pages_fit_a_phone_and_refuse_what_a_role_may_not_see(system, driver, province):
    d, web = driver, system.web
    sign_in(d, web, province["yavar"])
    d.set_window_size(390, 844)
    try:
        d.get(f"{web}/reports/new")
        wait(d, "#report-form")
        assert d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(d, "7-phone-report-form")
        # A member opening the province's page sees a Persian refusal, not the province's figures.
        d.get(f"{web}/units/{province['province']}")
        assert "اجازه" in wait(d, "#error").text
        assert not d.find_elements(By.ID, "service-types")
    finally:
        d.set_window_size(1280, 1000)
    d.delete_all_cookies()
    d.get(f"{web}/units/{province['province']}")
    assert "/login" in d.current_url
    # The city's secretary: their desk lists the city's kanoons below their floor and the month's completeness.
    sign_in(d, web, province["sec"])
    click_and_load(d, d.find_element(By.LINK_TEXT, "میز شهرستان"))
    low = wait(d, "#below-floor").text
    assert "کانون نور" in low    # three members against the province's floor
    assert "کانون" in wait(d, "#completeness-now").text
    assert wait(d, "#formation").text
    review = wait(d, "#monthly-review").text
    assert "کانون نور" in review, review
    shot(d, "8-city-desk")
    click_and_load(d, d.find_element(By.XPATH, "//section[@id='monthly-review']//button[text()='پذیرش']"))
    assert "تصمیم ثبت شد" in wait(d, ".notice.ok").text
    assert "کانون نور" not in wait(d, "#monthly-review").text


def test_the_public_files_a_complaint_and_tracks_it(system, driver, province):
    d, web = driver, system.web
    d.delete_all_cookies()
    # The person comes through a reverse proxy in front of the web app with an address of their own
    # (the public routes are limited per address, and test_oversight_http's flood used up 127.0.0.1's).
    person = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Forwarded-For": person}})
    d.get(f"{web}/public/complaint")
    Select(wait(d, "#subject_kind")).select_by_value("kanoon")
    d.find_element(By.ID, "subject_id").send_keys(province["kanoon"])
    d.find_element(By.ID, "text").send_keys("در توزیع بسته‌ها به چند خانواده چیزی نرسید")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    code = wait(d, "#tracking-code").text.strip()
    assert re.fullmatch(r"[A-Z0-9-]{8,}", code), code
    shot(d, "9-complaint-filed")
    d.get(f"{web}/public/track")
    d.find_element(By.ID, "code").send_keys(code.lower() + Keys.ENTER)
    assert "دریافت‌شده" in wait(d, "#complaint-status").text
    d.get(f"{web}/public/track?code=XXXX-XXXX-XXXX")
    assert "یافت نشد" in wait(d, "#error").text
    d.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})


def test_the_secretariat_numbers_a_letter_and_the_desk_answers_a_member(system, driver, province):
    d, web = driver, system.web
    sign_in(d, web, province["secretariat"])
    click_and_load(d, d.find_element(By.LINK_TEXT, "دبیرخانه"))
    wait(d, "#letter-form")
    deadline = jalali.format_date(jalali.today() + timedelta(days=10))
    d.find_element(By.ID, "subject").send_keys("درخواست آمار پویش زمستانه")
    d.find_element(By.ID, "parties").send_keys("ستاد مرکزی کانون‌ها")
    d.find_element(By.ID, "deadline").send_keys(deadline.translate(FA))
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "#letter-form button[type=submit]"))
    waiting = wait(d, "#waiting tbody tr").text
    year = jalali.jalali_year_month(jalali.today())[0]
    assert f"{year}/و/1".translate(FA) in waiting and "درخواست آمار پویش زمستانه" in waiting
    assert deadline.translate(FA) in waiting
    shot(d, "10-secretariat")

    # A member asks the service desk; the desk answers; the member reads the answer.
    sign_in(d, web, province["yavar"])
    click_and_load(d, d.find_element(By.LINK_TEXT, "میز خدمت"))
    Select(wait(d, "#category")).select_by_value("reporting")
    d.find_element(By.ID, "subject").send_keys("خطا در ثبت گزارش")
    d.find_element(By.ID, "text").send_keys("هنگام ثبت گزارش خطا می‌بینم")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "#ticket-form button[type=submit]"))
    assert "خطا در ثبت گزارش" in wait(d, "article.ticket").text
    sign_in(d, web, province["desk"])
    click_and_load(d, d.find_element(By.LINK_TEXT, "میز خدمت"))
    ticket = [t for t in d.find_elements(By.CSS_SELECTOR, "article.ticket") if "خطا در ثبت گزارش" in t.text][-1]
    old = d.find_element(By.TAG_NAME, "html")
    ticket.find_element(By.NAME, "text").send_keys("تاریخ را شمسی وارد کنید" + Keys.ENTER)
    WebDriverWait(d, 20).until(lambda _: gone(old))
    wait(d, ".notice.ok")
    sign_in(d, web, province["yavar"])
    d.get(f"{web}/desk")
    mine = wait(d, "article.ticket").text
    assert "پشتیبانی: تاریخ را شمسی وارد کنید" in mine and "پاسخ‌داده" in mine
    shot(d, "11-desk")


def test_a_member_asks_for_a_slot_and_the_head_confirms_it(system, driver, province):
    d, web = driver, system.web
    sign_in(d, web, province["yavar"])
    d.get(f"{web}/me/activities")
    tomorrow = jalali.format_date(jalali.today() + timedelta(days=1))
    Select(wait(d, "#r-type")).select_by_value("food_packages")
    d.find_element(By.ID, "r-day").send_keys(tomorrow.translate(FA))
    d.find_element(By.ID, "r-from").send_keys("۱۶")
    d.find_element(By.ID, "r-to").send_keys("۱۸")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "#reservation-form button[type=submit]"))
    assert "نوبت" in wait(d, ".notice").text and not d.find_elements(By.ID, "error")
    sign_in(d, web, province["head"])
    click_and_load(d, d.find_element(By.LINK_TEXT, "میز کانون"))
    row = [r for r in d.find_elements(By.CSS_SELECTOR, "table.data tr") if tomorrow.translate(FA) in r.text]
    assert row and "۱۶–۱۸" in row[0].text
    click_and_load(d, row[0].find_element(By.XPATH, ".//button[text()='پذیرش']"))
    assert "تصمیم ثبت شد" in wait(d, ".notice.ok").text
    assert "تأییدشده" in [r for r in d.find_elements(By.CSS_SELECTOR, "table.data tr")
                          if tomorrow.translate(FA) in r.text][0].text


def test_the_oversight_head_sees_who_read_a_beneficiarys_record(system, admin, driver, province):
    d, web, tag = driver, system.web, province["tag"].lower()
    from tests.system.helpers import sign_in as api_sign_in
    _, oversight_id = staff(admin, system.base, f"web.ov.{tag}", "oversight_head", province["province"],
                            city=province["city"])
    head = api_sign_in(system.base, province["head"], "password-123")
    r = head.post("/api/beneficiaries", json={"kanoon_id": province["kanoon"], "full_name": "خانواده صالحی",
                                              "mobile": "09150001122", "household_size": 3})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    ov = api_sign_in(system.base, f"web.ov.{tag}", "password-123")
    assert ov.get(f"/api/beneficiaries/{bid}").status_code == 200
    assert eventually(lambda: len(ov.get(f"/api/units/{province['province']}/personal-data-audit",
                                         params={"record_id": bid}).json()["items"]) >= 2)

    sign_in(d, web, f"web.ov.{tag}")
    click_and_load(d, d.find_element(By.CSS_SELECTOR, f'a[href="/audit/{province["province"]}"]'))
    Select(wait(d, "#record_kind")).select_by_value("beneficiary")
    d.find_element(By.ID, "record").send_keys(bid)
    click_and_load(d, d.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    rows = d.find_elements(By.CSS_SELECTOR, "#audit tbody tr[data-action]")
    assert sorted(r.get_attribute("data-action") for r in rows) == ["create", "read"]
    read = next(r for r in rows if r.get_attribute("data-action") == "read")
    cells = [c.text for c in read.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == oversight_id and cells[2] == "دیدن" and cells[3] == "مددجو"
    assert re.match(r"^[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", cells[0]), cells[0]   # Jalali, Persian digits
    assert d.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    shot(d, "12-audit-trail")
    # A member is refused the page in Persian.
    sign_in(d, web, province["yavar"])
    d.get(f"{web}/audit/{province['province']}")
    assert "اجازه" in d.find_element(By.TAG_NAME, "main").text
