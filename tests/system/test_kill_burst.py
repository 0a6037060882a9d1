"""A burst of kills never stops the system (issue 25, "a fault never becomes an outage"), on a system
of its own (it kills things; the production topology, two of every service): while members submit
activity reports and their head approves them, three SIGKILLs of the reports service's processes
within 5 s, then ten more within about a minute (each of whichever reports process has been up the
longest; a process the runner is still backing off is not there to kill). Then:

- the runner never stopped: every kill was answered by a restart, nothing else was restarted (the
  stores, the other services, the gateways), no crash loop was declared, and no reports process died
  by itself (a folder meeting the aggregates a killed transaction still held used to end its process);
- the system answers again within 90 s of the last kill (a read and a new report);
- nothing is lost: every report a member was told was accepted is there, every request whose answer
  was lost is settled by sending it again with its Idempotency-Key, and the city's aggregates count
  exactly what was submitted and approved;
- `/health` is "ok" again (no loop failing, no relay stalled)."""
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bench.reports_ingest import prepare
from devenv.launch import launch, stop
from tests.conftest import QUIET, ROOT, free_port
from tests.system import helpers

ADMIN_PASSWORD = "burst-tests-password-1"
REPORTS = ("reports-1", "reports-2")
UNTOUCHED = ("store-reports", "store-registry", "registry-1", "registry-2", "finance-1", "festival-1",
             "gateway-1", "gateway-2", "web")


@pytest.fixture(scope="module")
def running(tmp_path_factory, amqp_uri):
    data = tmp_path_factory.mktemp("burst-system")
    env = dict(os.environ, RABBITMQ_ADMIN_URI=amqp_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD, SIGNIN_FAILURES_PER_ADDRESS="200")
    for name in ("AMQP_URI", "MONGO_URI", "MONGO_DB_PREFIX"):
        env.pop(name, None)
    r = launch(data, env, replicas=2, port=free_port(), web_port=free_port())
    helpers.GATEWAYS[r.base] = r.gateways
    yield r
    helpers.GATEWAYS.pop(r.base, None)
    stop(r)


def alive(pid: int | None) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError, TypeError):
        return False
    return state not in ("Z", "X")


class Killer:
    """SIGKILLs of the reports processes, each of a pid not killed before."""

    def __init__(self, running):
        self.running = running
        self.killed: list[tuple[str, int, float]] = []
        self.started_at: dict[int, float] = {}

    def candidates(self) -> list[tuple[float, str, int]]:
        out = []
        done = {pid for _, pid, _ in self.killed}
        for name in REPORTS:
            pid = self.running.pid(name)
            if pid and pid not in done and alive(pid):
                out.append((self.started_at.setdefault(pid, time.monotonic()), name, pid))
        return sorted(out)

    def kill_one(self, timeout: float = 60) -> None:
        """Kill the reports process up the longest, waiting for one when none is."""
        deadline = time.monotonic() + timeout
        while not (c := self.candidates()):
            assert time.monotonic() < deadline, "no reports process came back to kill"
            time.sleep(0.1)
        _, name, pid = c[0]
        os.kill(pid, signal.SIGKILL)
        self.killed.append((name, pid, time.monotonic()))


class Traffic:
    """Members submitting reports and their head approving them, each request with an Idempotency-Key;
    a request whose outcome this client did not learn is kept, to be settled afterwards."""

    def __init__(self, k):
        self.k = k
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.submitted: list[str] = []     # report ids the service confirmed (201)
        self.to_approve: list[str] = []
        self.approved: list[str] = []
        self.unsettled: list[tuple] = []   # (kind, client, path, body, key)
        self.threads = [threading.Thread(target=self.submit, args=(m,), daemon=True) for m in k.members[:2]]
        self.threads.append(threading.Thread(target=self.approve, daemon=True))

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=180)

    def send(self, kind, client, path, body, key) -> httpx.Response | None:
        try:
            r = client.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.HTTPError:
            r = None
        if r is None or r.status_code not in (200, 201):
            with self.lock:
                self.unsettled.append((kind, client, path, body, key))
            return None
        return r

    def submit(self, member):
        while not self.stop.is_set():
            r = self.send("submit", member, "/api/activity-reports", self.k.body, uuid.uuid4().hex)
            if r is not None:
                with self.lock:
                    self.submitted.append(r.json()["id"])
                    self.to_approve.append(r.json()["id"])
            time.sleep(0.3)

    def approve(self):
        """Every other confirmed report is approved; the others stay submitted."""
        turn = 0
        while not self.stop.is_set():
            with self.lock:
                rid = self.to_approve.pop(0) if self.to_approve else None
            if rid is None:
                time.sleep(0.3)
                continue
            turn += 1
            if turn % 2 and self.send(("approve", rid), self.k.head, f"/api/activity-reports/{rid}/review",
                                      {"approve": True}, uuid.uuid4().hex) is not None:
                self.approved.append(rid)

    def settle(self, timeout: float = 180) -> None:
        """Send every request whose outcome is unknown again, with its key, until it has one."""
        deadline = time.monotonic() + timeout
        for kind, client, path, body, key in self.unsettled:
            while True:
                try:
                    r = client.post(path, json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    r = None
                if r is not None and r.status_code in (200, 201):
                    break
                assert time.monotonic() < deadline, f"{path} could not be settled: {r and r.text}"
                time.sleep(1)
            if kind == "submit":
                self.submitted.append(r.json()["id"])
            else:
                self.approved.append(kind[1])


ANSWERS_KEY = uuid.uuid4().hex


def answers(k) -> bool:
    """A read and a new report (one report, however often asked: always the same Idempotency-Key)."""
    try:
        return (k.head.get(f"/api/kanoons/{k.kanoon_id}/activity-reports", params={"limit": 1}).status_code == 200
                and k.members[-1].post("/api/activity-reports", json=k.body,
                                       headers={"Idempotency-Key": ANSWERS_KEY}).status_code == 201)
    except httpx.HTTPError:
        return False


def all_reports(k) -> dict[str, str]:
    out, skip = {}, 0
    while True:
        page = k.head.get(f"/api/kanoons/{k.kanoon_id}/activity-reports", params={"limit": 100, "skip": skip})
        assert page.status_code == 200, page.text
        out.update({r["id"]: r["status"] for r in page.json()})
        if len(page.json()) < 100:
            return out
        skip += 100


@pytest.mark.last
def test_a_burst_of_kills_of_the_reports_service_stops_nothing_and_loses_nothing(running):
    k = prepare(running.base, members=3, password=ADMIN_PASSWORD)
    untouched = {name: running.pid(name) for name in UNTOUCHED}
    traffic = Traffic(k)
    traffic.start()
    killer = Killer(running)
    try:
        time.sleep(5)
        t0 = time.monotonic()
        for _ in range(3):                                 # three kills within 5 s
            killer.kill_one(timeout=5)
        assert killer.killed[-1][2] - t0 < 5
        for _ in range(10):                                # then ten in about a minute
            time.sleep(max(0.0, killer.killed[-1][2] + 6 - time.monotonic()))
            killer.kill_one()
        last_kill = killer.killed[-1][2]
        burst = last_kill - t0
        while not answers(k):
            assert time.monotonic() - last_kill < 90, "the system did not answer again within 90 s of the last kill"
            time.sleep(0.5)
        healed = time.monotonic() - last_kill
    finally:
        traffic.finish()
    out = (running.data / "run.out").read_text()
    print(f"13 kills in {burst:.0f}s; answering again {healed:.0f}s after the last; "
          f"{len(traffic.submitted)} reports submitted, {len(traffic.unsettled)} requests to settle")

    # The runner stopped nothing: every kill restarted, nothing else touched, no crash loop, no self-death.
    assert running.proc.poll() is None, out[-3000:]
    assert "CRASH LOOP" not in out and "stopping everything" not in out
    assert not re.search(r"run: reports-\d exited with", out), out[-3000:]
    assert len(re.findall(r"run: reports-\d killed by signal 9; restarting it", out)) == 13
    assert {name: running.pid(name) for name in UNTOUCHED} == untouched

    # Nothing lost: every accepted report is there, every unknown outcome settles once.
    traffic.settle()
    approved = traffic.approved
    assert len(set(traffic.submitted)) == len(traffic.submitted) and len(set(approved)) == len(approved)
    reports = all_reports(k)
    assert set(traffic.submitted) <= set(reports)
    assert all(reports[rid] == "approved" for rid in approved)
    mine = set(traffic.submitted) | {k.first_report}
    submitted_now = sum(1 for rid in mine if reports[rid] == "submitted")
    assert len(reports) == len(mine) + 1   # the one `answers` submitted last
    # ... and their effects arrive: the city's aggregates count exactly them.
    want = {"approved": len(approved), "submitted": submitted_now + 1}

    def counted():
        got = k.sec.get(f"/api/units/{k.city}/aggregates", params={"period": k.month}).json()["reports"]
        return got if {s: got[s] for s in want} == want else None
    assert helpers.eventually(counted, timeout=120), (
        k.sec.get(f"/api/units/{k.city}/aggregates", params={"period": k.month}).json()["reports"], want)
    # And /health says so again.
    assert helpers.eventually(lambda: httpx.get(f"{running.base}/health", timeout=30).status_code == 200,
                              timeout=120), httpx.get(f"{running.base}/health", timeout=30).text
