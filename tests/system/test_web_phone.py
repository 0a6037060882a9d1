"""The web app on a phone (390×844) and on a desktop (1366×900), in Debian's headless Chromium: a
member, a kanoon's head, the city's secretary, the province HQ and the oversight head each open their
home page and every page it or the menu links to. No page answers 5xx, none is wider than the screen
(`document.documentElement.scrollWidth > innerWidth`), the review queue's approve and reject buttons
lie within the screen's width, and on a phone the menu folds into a button that opens it. Screenshots
of every page go to $KHADEM_SCREENSHOTS (var/screenshots)."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from kernel import jalali
from tests.system.browser import SHOTS, sign_in, wait
from tests.system.helpers import account, eventually, form_kanoon, member, staff

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
ROLES = ("yavar", "head", "sec", "hq", "oversight")
# Links that leave the pages: downloads, signing out, the public side.
SKIP = ("/export", "/logout", "/static/", "/public/", "/login")


@pytest.fixture(scope="module")
def province(system, admin):
    """A province of its own with a city and a kanoon: its head, a yavar member with a report waiting
    for the head, the city's secretary, the province HQ (with an import whose refused rows are listed)
    and the oversight head (who reads the audit trail)."""
    tag = uuid.uuid4().hex[:5].upper()
    low = tag.lower()
    prov, city = f"IR-P{tag}", f"IR-P{tag}-C"
    assert admin.post("/api/units", json={"id": prov, "name": "استان گوشی", "kind": "province",
                                          "parent_id": "IR-R2"}).status_code == 201
    assert admin.post("/api/units", json={"id": city, "name": "شهرستان گوشی", "kind": "city",
                                          "parent_id": prov}).status_code == 201
    sec, _ = staff(admin, system.base, f"ph.sec.{low}", "city_secretary", city, city=city)
    hq, _ = staff(admin, system.base, f"ph.hq.{low}", "province_manager", prov, city=city)
    oversight, _ = staff(admin, system.base, f"ph.ov.{low}", "oversight_head", prov, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"ph.head.{low}")
    first_of_last = jalali.period_of(jalali.period_of(jalali.today()).first_day - timedelta(days=1)).first_day
    kid = form_kanoon(head_api, head, deputy, sec, "کانون شکوفه‌های محلهٔ سناباد", unit=city,
                      founding_date=jalali.format_date(first_of_last))
    yavar = member(admin, kind="yavar", city=city)
    assert head_api.post("/api/memberships", json={"person_id": yavar, "kanoon_id": kid}).status_code == 200
    yavar_api = account(admin, system.base, yavar, f"ph.yavar.{low}")
    day = jalali.format_date(jalali.today())
    report = {"kanoon_id": kid, "service_type": "food_packages", "day": day, "hours": 3, "place": "مسجد محل",
              "beneficiaries": 9, "description": "توزیع بسته‌های معیشتی میان خانواده‌های نیازمند محله"}
    # The reports service learns the membership from the registry's events: soon, maybe not at once.
    sent = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        yavar_api.post("/api/activity-reports", json=report)), timeout=30)
    assert sent, yavar_api.post("/api/activity-reports", json=report).text
    # A beneficiary's record the oversight head reads: the audit trail has rows (with their ids).
    r = head_api.post("/api/beneficiaries", json={"kanoon_id": kid, "full_name": "خانواده صالحی",
                                                  "mobile": "09150001122", "household_size": 3})
    assert r.status_code == 201, r.text
    assert oversight.get(f"/api/beneficiaries/{r.json()['id']}").status_code == 200
    header = "کد ملی,نام,نام خانوادگی,نوع,جنسیت,تاریخ تولد,تحصیلات,شهرستان,تلفن همراه"
    rows = "\r\n".join([header, "0000000000,علی,رضایی,یاور,مرد,1365/02/10,دیپلم,IR-NOWHERE,09151234567"])
    r = hq.post("/api/imports", data={"kind": "members"},
                files={"file": ("فهرست اعضای شهرستان.csv", rows.encode())})
    assert r.status_code == 202, r.text
    return {"province": prov, "city": city, "kanoon": kid,
            **{role: f"ph.{role}.{low}" for role in ("yavar", "head", "sec", "hq")}, "oversight": f"ph.ov.{low}"}


def status(d) -> int:
    """The HTTP status of the page the browser shows (Chromium keeps it with the navigation)."""
    return d.execute_script("const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0")


def overflow(d) -> int:
    """How many pixels the page is wider than the screen."""
    return d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")


def reachable(d, web) -> list[str]:
    """The pages the home page and its menu link to, in the order they appear."""
    hrefs = d.execute_script("return Array.from(document.querySelectorAll('header a[href], main a[href]'), a => a.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if href.startswith(web) and not path.startswith(SKIP) and path not in out:
            out.append(path)
    return out


def page_name(path: str, province: dict) -> str:
    """A screenshot's name for a page, the same from run to run (the ids named by what they are)."""
    for key in ("kanoon", "city", "province"):
        path = path.replace(province[key], key)
    path = re.sub(r"/im_[0-9a-f]+", "/import", path)
    return path.strip("/").replace("/", "-").replace("?", "-") or "home"


def test_every_page_fits_a_phone_and_a_desktop(system, driver, province):
    d, web = driver, system.web
    problems = []
    seen = 0
    try:
        for role in ROLES:
            sign_in(d, web, province[role])
            d.get(f"{web}/")
            wait(d, "main")
            pages = reachable(d, web)
            if role == "hq":   # the import's own page, with its refused rows
                d.get(f"{web}/imports")
                pages += [p for p in reachable(d, web) if p.startswith("/imports/") and p not in pages]
            assert len(pages) > 3, (role, pages)
            for size, (width, height) in SIZES.items():
                d.set_window_size(width, height)
                for path in pages:
                    d.get(f"{web}{path}")
                    wait(d, "footer")
                    seen += 1
                    name = f"phone-{role}-{size}-{page_name(path, province)}"
                    d.save_screenshot(str(SHOTS / f"{name}.png"))
                    code = status(d)
                    if code >= 500:
                        problems.append(f"{role} {size} {path}: answered {code}")
                    wider = overflow(d)
                    if wider > 0:
                        problems.append(f"{role} {size} {path}: {wider}px wider than the screen")
                    for button in d.find_elements(By.CSS_SELECTOR, "#review button"):
                        box = d.execute_script("const r = arguments[0].getBoundingClientRect(); "
                                               "return [r.left, r.right, window.innerWidth]", button)
                        if box[0] < 0 or box[1] > box[2]:
                            problems.append(f"{role} {size} {path}: «{button.get_attribute('textContent')}» "
                                            f"is outside the screen ({box[0]:.0f}–{box[1]:.0f} of {box[2]})")
        assert seen, "no page was opened"
    finally:
        d.set_window_size(1280, 1000)
    assert not problems, "\n".join(problems)


def test_the_review_queue_and_my_reports_read_as_cards_on_a_phone(system, driver, province):
    """Each row a card, each cell named by its column, the head's buttons on the screen."""
    d, web = driver, system.web
    try:
        d.set_window_size(*SIZES["phone"])
        sign_in(d, web, province["head"])
        d.get(f"{web}/kanoons/{province['kanoon']}")
        row = wait(d, "#review tbody tr")
        cells = row.find_elements(By.TAG_NAME, "td")
        labels = [c.get_attribute("data-label") for c in cells]
        assert labels == ["تاریخ", "مصداق", "ساعت", "مخدومین", "شرح", "تصمیم"], labels
        assert d.execute_script("return getComputedStyle(arguments[0]).display", row) == "block"
        assert "تاریخ" in d.execute_script("return getComputedStyle(arguments[0], '::before').content", cells[0])
        for button in row.find_elements(By.TAG_NAME, "button"):
            assert button.is_displayed()
            left, right = d.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]",
                                           button)
            assert 0 <= left and right <= SIZES["phone"][0], (button.text, left, right)
        d.execute_script("document.getElementById('review').scrollIntoView()")
        d.save_screenshot(str(SHOTS / "phone-review-cards.png"))

        sign_in(d, web, province["yavar"])
        d.get(f"{web}/reports")
        status_cell = wait(d, "#my-reports tbody td.status")
        assert status_cell.get_attribute("data-label") == "وضعیت"
        box = d.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", status_cell)
        assert 0 <= box[0] and box[1] <= SIZES["phone"][0], box
        assert "در انتظار بررسی" in status_cell.text   # seen, not cut off
    finally:
        d.set_window_size(1280, 1000)


def test_the_menu_folds_into_a_button_on_a_phone(system, driver, province):
    d, web = driver, system.web
    sign_in(d, web, province["hq"])
    try:
        d.set_window_size(*SIZES["phone"])
        d.get(f"{web}/")
        toggle = wait(d, "header button.menu-toggle")
        menu = d.find_element(By.ID, toggle.get_attribute("aria-controls"))
        assert toggle.is_displayed() and toggle.get_attribute("aria-expanded") == "false"
        assert not menu.is_displayed()
        header = d.find_element(By.CSS_SELECTOR, "header.top").size["height"]
        assert header < 90, f"the folded header is {header}px tall"
        # By keyboard: focus the button and press Enter (a real button, so Space works as well).
        d.execute_script("arguments[0].focus()", toggle)
        d.switch_to.active_element.send_keys("\n")
        WebDriverWait(d, 5).until(lambda _: toggle.get_attribute("aria-expanded") == "true")
        assert menu.is_displayed()
        assert d.find_element(By.LINK_TEXT, "ورود از اکسل").is_displayed()
        assert overflow(d) <= 0
        d.save_screenshot(str(SHOTS / "phone-menu-open.png"))
        d.switch_to.active_element.send_keys("\n")
        WebDriverWait(d, 5).until(lambda _: toggle.get_attribute("aria-expanded") == "false")
        assert not menu.is_displayed()

        # On a desktop the menu is always there and the button is not.
        d.set_window_size(*SIZES["desktop"])
        d.get(f"{web}/")
        assert not d.find_element(By.CSS_SELECTOR, "header button.menu-toggle").is_displayed()
        assert d.find_element(By.LINK_TEXT, "ورود از اکسل").is_displayed()
        header = d.find_element(By.CSS_SELECTOR, "header.top").size["height"]
        assert header < 90, f"the desktop header is {header}px tall"
    finally:
        d.set_window_size(1280, 1000)
