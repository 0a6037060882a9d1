"""The web app in Debian's headless Chromium (through its chromedriver, by selenium): the browser
tests' driver, screenshots, waits and signing in."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from devenv import browser as chromium
from tests.conftest import ROOT

SHOTS = Path(os.environ.get("KHADEM_SCREENSHOTS", ROOT / "var" / "screenshots"))


@pytest.fixture(scope="module")
def driver():
    binary, driver_path = chromium.ensure()
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=fa-IR", "--window-size=1280,1000"):
        opts.add_argument(flag)
    d = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver_path))
    d.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield d
    d.quit()


def wait(d, css, timeout=15):
    return WebDriverWait(d, timeout).until(lambda x: x.find_element(By.CSS_SELECTOR, css))


def sign_in(d, web, username, password="password-123"):
    d.delete_all_cookies()
    d.get(f"{web}/login")
    d.find_element(By.ID, "username").send_keys(username)
    d.find_element(By.ID, "password").send_keys(password + Keys.ENTER)
    WebDriverWait(d, 15).until(lambda x: "/login" not in x.current_url)
