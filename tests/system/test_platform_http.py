"""The platform's promises over HTTP, on the running system: a command happens once whatever the client
and the network do (Idempotency-Key; a 504 says "outcome unknown" and a late request is dropped, not
run); digits in any form are understood and dates, only dates, come back Jalali; /health proves the
store takes writes; the gateway comes back by itself after the broker drops it or goes away."""
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from urllib.parse import urlparse

import httpx
import pytest

from kernel import jalali
from tests.system.helpers import account, form_kanoon, member, sign_in, staff

TODAY = jalali.today()
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture(scope="module")
def net(system, admin):
    """A kanoon in a city of its own, with a member who reports (a raw client: no automatic retries)."""
    tag = uuid.uuid4().hex[:4]
    city = f"IR-15-P{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-15"}).status_code == 201
    assert admin.put("/api/membership-policies", json={"province_id": "IR-15", "kanoon_type": "neighborhood",
                                                       "floor": 2, "ceiling": 100}).status_code == 200
    sec, _ = staff(admin, system.base, f"sec.plat.{tag}", "city_secretary", city, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.plat.{tag}")
    kid = form_kanoon(head_api, head, deputy, sec, "کانون سکو", unit=city,
                      founding_date=jalali.format_date(TODAY.replace(day=1) if TODAY.day > 1 else TODAY))
    yavar = member(admin, kind="yavar", city=city)
    assert head_api.post("/api/memberships", json={"person_id": yavar, "kanoon_id": kid}).status_code == 200
    account(admin, system.base, yavar, f"yavar.plat.{tag}")
    raw = sign_in(system.base, f"yavar.plat.{tag}", "password-123", retries=0)
    body = report(kid, "نخستین گزارش")
    deadline = time.monotonic() + 20
    while (r := raw.post("/api/activity-reports", json=body)).status_code != 201:  # the membership arrives
        assert time.monotonic() < deadline, r.text
        time.sleep(0.25)
    return {"city": city, "kanoon": kid, "me": raw, "head": head_api, "sec": sec}


def report(kid, description, **extra):
    return {"kanoon_id": kid, "service_type": "food_packages", "day": jalali.format_date(TODAY), "hours": 2,
            "place": "مسجد محل", "beneficiaries": 3, "description": description, **extra}


def reports_described(system, description) -> int:
    return system.db("reports").activity_reports.count_documents({"description": description})


def test_the_same_idempotency_key_gives_the_first_outcome_and_does_the_work_once(system, net):
    me, key = net["me"], uuid.uuid4().hex
    body = report(net["kanoon"], f"بسته {key[:6]}")
    first = me.post("/api/activity-reports", json=body, headers={"Idempotency-Key": key})
    again = me.post("/api/activity-reports", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert reports_described(system, body["description"]) == 1
    other = me.post("/api/activity-reports", json={**body, "hours": 5}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    # Without a key, two requests are two reports.
    for _ in range(2):
        assert me.post("/api/activity-reports", json={**body, "description": body["description"] + " ب"}).status_code == 201
    assert reports_described(system, body["description"] + " ب") == 2
    for bad in ("", "x" * 256, "کلید"):
        r = me.post("/api/activity-reports", json=body, headers={"Idempotency-Key": bad.encode()})
        assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", bad


def test_concurrent_retries_with_one_key_make_one_record(system, net):
    key = uuid.uuid4().hex
    body = report(net["kanoon"], f"همزمان {key[:6]}")
    answers = []

    def send():
        answers.append(net["me"].post("/api/activity-reports", json=body, headers={"Idempotency-Key": key}))
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    assert reports_described(system, body["description"]) == 1


def test_a_timeout_says_outcome_unknown_and_the_late_request_is_dropped(system, net):
    """The reports service (every instance of it) is frozen while a report is sent: the gateway
    answers 504 after its timeout; thawed, the service finds the request past its deadline and drops
    it; the client's retry with the same key makes the one report."""
    instances = system.running.processes("reports-")
    pids = [system.pid(name) for name in instances]
    key = uuid.uuid4().hex
    body = report(net["kanoon"], f"دیرکرد {key[:6]}")
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        r = net["me"].post("/api/activity-reports", json=body, headers={"Idempotency-Key": key})
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    assert r.status_code == 504, r.text
    assert r.json()["error"] == "outcome_unknown" and "Idempotency-Key" in r.json()["message"]
    deadline = time.monotonic() + 20
    while not any("dropped reports.submit_report" in system.log(name) for name in instances):
        assert time.monotonic() < deadline, "the late request was not dropped"
        time.sleep(0.2)
    assert reports_described(system, body["description"]) == 0
    retry = net["me"].post("/api/activity-reports", json=body, headers={"Idempotency-Key": key})
    assert retry.status_code == 201
    assert reports_described(system, body["description"]) == 1


def test_digits_in_any_form_and_dates_only_made_jalali(system, net):
    month = str(jalali.period_of(TODAY))
    persian_month = month.translate(PERSIAN)
    agg = net["sec"].get(f"/api/units/{net['city']}/aggregates", params={"period": persian_month})
    assert agg.status_code == 200 and agg.json()["period"] == month, agg.text
    listed = net["head"].get(f"/api/kanoons/{net['kanoon']}/activity-reports",
                             params={"month": persian_month, "limit": "۵", "skip": "٠"})
    assert listed.status_code == 200 and len(listed.json()) <= 5, listed.text
    monthly = net["sec"].get(f"/api/kanoons/{net['kanoon']}/monthly-reports/{persian_month}")
    assert monthly.status_code == 404 and monthly.json()["field"] == "month", monthly.text  # understood; none yet
    free = "2024-10-06"  # free text that looks like a date stays as typed
    r = net["me"].post("/api/activity-reports", json=report(net["kanoon"], free, hours="۱٫۵", beneficiaries="۷",
                                                            place=free))
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["description"] == free and got["place"] == free
    assert got["hours"] == 1.5 and got["beneficiaries"] == 7
    assert got["day"] == jalali.format_date(TODAY)          # a date: Jalali
    assert "/" in got["submitted_at"] and "T" not in got["submitted_at"]  # an instant: Jalali, Tehran
    bad = net["me"].post("/api/activity-reports", json=report(net["kanoon"], "متن\x1bبا کاراکتر کنترلی"))
    assert bad.status_code == 422 and bad.json()["field"] == "description"
    huge = net["head"].get(f"/api/kanoons/{net['kanoon']}/activity-reports", params={"skip": 2147483648})
    assert huge.status_code == 422 and huge.json()["field"] == "skip"


def test_health_proves_each_store_takes_a_write(system):
    h = httpx.get(f"{system.base}/health").json()
    assert h["status"] == "ok"
    for name in ("registry", "reports", "finance"):
        assert h["services"][name]["store"] == "ok" and h["services"][name]["store_write_ms"] > 0
    before = system.db("registry").heartbeats.find_one({"_id": "ping:registry"})["at"]
    time.sleep(0.05)
    httpx.get(f"{system.base}/health")
    assert system.db("registry").heartbeats.find_one({"_id": "ping:registry"})["at"] > before


def _local_broker(amqp_uri: str) -> bool:
    host = urlparse(amqp_uri).hostname
    return host in ("127.0.0.1", "localhost") and shutil.which("rabbitmqctl") is not None and \
        subprocess.run(["rabbitmqctl", "list_vhosts"], capture_output=True, timeout=60).returncode == 0


def wait_answering(api, path, timeout=30) -> float:
    t0 = time.monotonic()
    while True:
        try:
            if api.get(path).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        assert time.monotonic() - t0 < timeout, f"{path} did not answer again within {timeout}s"
        time.sleep(0.5)


def test_the_gateway_answers_again_after_the_broker_drops_every_connection(system, net, amqp_uri):
    if not _local_broker(amqp_uri):
        pytest.skip("needs rabbitmqctl on the local broker")
    path = f"/api/kanoons/{net['kanoon']}"
    assert net["head"].get(path).status_code == 200
    subprocess.run(["rabbitmqctl", "close_all_connections", "test: the broker drops everyone"],
                   check=True, capture_output=True, timeout=60)
    healed = wait_answering(net["head"], path, timeout=30)
    assert healed < 30
    # Commands too, end to end through the services' own reconnections.
    r = net["me"].post("/api/activity-reports", json=report(net["kanoon"], "پس از قطع اتصال"))
    assert r.status_code == 201, r.text


def test_health_says_degraded_while_the_broker_is_away_and_recovers_by_itself(system, net, amqp_uri):
    if not _local_broker(amqp_uri):
        pytest.skip("needs rabbitmqctl on the local broker")
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        deadline = time.monotonic() + 30
        while True:
            h = httpx.get(f"{system.base}/health", timeout=30)
            if h.status_code == 503:
                break
            assert time.monotonic() < deadline, h.text
            time.sleep(0.5)
        assert h.json()["status"] == "degraded"
        r = net["head"].get(f"/api/kanoons/{net['kanoon']}")
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/json")
        assert r.json()["request_id"]
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + 60
    while httpx.get(f"{system.base}/health", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the system did not recover by itself"
        time.sleep(1)
    assert net["head"].get(f"/api/kanoons/{net['kanoon']}").status_code == 200
    r = net["me"].post("/api/activity-reports", json=report(net["kanoon"], "پس از بازگشت کارگزار"))
    assert r.status_code == 201, r.text
