"""Make sure Debian's Chromium and its ChromeDriver are here for the browser tests: use them, else
install them from Debian's packages when running as root, else say how to provide them. Prints the
two paths. (A test tool's own browser download is not used: this machine reaches package registries
only, and the browser people use is the distribution's.)"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = ("chromium", "chromium-driver")


def paths() -> tuple[str | None, str | None]:
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return browser, driver


def ensure() -> tuple[str, str]:
    browser, driver = paths()
    if browser and driver:
        return browser, driver
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("Chromium and ChromeDriver are needed for the browser tests. Install them "
                         "(Debian/Ubuntu: sudo apt-get install -y chromium chromium-driver) or name them "
                         "with CHROMIUM=/path and CHROMEDRIVER=/path.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("browser: installing", " ".join(PACKAGES), file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", *PACKAGES], env=env, stdout=sys.stderr, timeout=900)
    browser, driver = paths()
    if not (browser and driver):   # the package lists may be stale on a new machine
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=sys.stderr, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-q", *PACKAGES], check=True, env=env, stdout=sys.stderr,
                       timeout=900)
        browser, driver = paths()
    if not (browser and driver):
        raise SystemExit("installing chromium and chromium-driver did not give both programs")
    return browser, driver


if __name__ == "__main__":
    print(*ensure())
