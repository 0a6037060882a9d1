"""The chaos run: a mixed workload over HTTP while processes are killed, the broker's connections are
closed and the store is paused, then a checker that compares what every client was told with what
the stores and the read models hold.

    python -m bench.chaos                      # 10 minutes (make chaos), two of everything
    python -m bench.chaos --minutes 2          # the version in make test (tests/system/test_chaos.py)

It starts what `make run REPLICAS=2` starts — the production topology, two instances of every
service and two gateways, on a RabbitMQ virtual host of its own, so that closing every connection
touches nobody else —, builds a city with two kanoons, their heads, members, a vows expert and a
card reader, and runs `--clients` clients, each sending one command at a time: registrations, joins,
transfers, activity reports and their approval, receipts and complaints. A client behaves as a real
one behind a load balancer should: each request goes to the next gateway in turn, and a 502, 503 or
504, or a connection that fails, is retried with the same Idempotency-Key (so on the other gateway),
for up to a minute; then its outcome is "unknown".

Meanwhile, in turn (as many rounds as fit, a fault every 20 s at the most), it kill -9s an instance
of every service and a gateway (the runner starts them again with its back-off; a round later, the
other instance), every instance of one service at once, closes every broker connection of the run
(`rabbitmqctl close_all_connections`), pauses every store (SIGSTOP for 10 s, then SIGCONT) and, when
it started RabbitMQ itself, restarts it. After each fault it measures how long until every service
answers again.

The checker then waits for the outboxes to drain and says, per kind of command, how many were
**ok** (answered 2xx and applied once), **lost** (answered 2xx, not applied), **duplicated**
(applied twice), **phantom** (refused, yet applied) or unknown (no answer; applied or not, never
twice); and per consumer of events, whether each took effect exactly once: every other service's
read model of memberships agrees with the registry, the reports aggregate counts every approved
report once, finance's figures add up the receipts once, and the oversight service's audit trail
holds every personal-data event once. It prints the tables and exits non-zero on any loss,
duplicate or phantom, any event not in effect exactly once, or any fault not healed within 30 s.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from devenv import rabbit
from devenv.launch import Running, launch, stop
from kernel import jalali
from ops import topology
from tests.conftest import QUIET
from tests.system import helpers
from tests.system.helpers import account, form_kanoon, member, person_body, sign_in, staff

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "chaos-password-1405"
HEAL_GOAL = 30.0
MIN_GAP = 20.0   # seconds between two faults, at the least, in a long run
SERVICES = list(topology.NAMES)


# ---------------------------------------------------------------- the broker and the system

def rabbitmqctl(*args: str, timeout: int = 60) -> subprocess.CompletedProcess | None:
    if not shutil.which("rabbitmqctl"):
        return None
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=timeout)


class System(Running):
    """The running system (devenv.launch.Running) as the checker reads it."""

    def db(self, service: str):
        return self.database(service)


def start(admin_uri: str, replicas: int) -> System:
    data = Path(tempfile.mkdtemp(prefix="khadem-chaos-"))
    env = dict(os.environ, RABBITMQ_ADMIN_URI=admin_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD, SIGNIN_FAILURES_PER_ADDRESS="1000",
               PUBLIC_COMPLAINTS_PER_10MIN="1000")
    for name in ("AMQP_URI", "MONGO_URI", "MONGO_DB_PREFIX"):
        env.pop(name, None)
    running = launch(data, env, replicas=replicas)
    helpers.GATEWAYS[running.base] = running.gateways
    return System(running.proc, running.data)


# ---------------------------------------------------------------- clients that behave

@dataclass
class Outcome:
    kind: str
    key: str            # what the checker looks the command up by
    status: int | None  # the last answer; None: no answer (unknown)
    attempts: int
    data: dict = field(default_factory=dict)

    @property
    def told(self) -> str:
        if self.status is None or self.status in (502, 503, 504):
            return "unknown"
        return "ok" if self.status < 300 else "refused"


class Client:
    """One person's client: one command at a time, each request to the next gateway in turn (a load
    balancer's round robin); a 502/503/504 or a failed connection is retried with the same
    Idempotency-Key (after Retry-After, at most 2 s) for up to `patience` seconds."""

    def __init__(self, base: str, token: str, patience: float = 60.0):
        self.http = httpx.Client(base_url=base, timeout=15, headers={"Authorization": f"Bearer {token}"},
                                 **helpers.balanced(base))
        self.patience = patience

    def command(self, method: str, url: str, body: dict | None = None) -> tuple[int | None, dict, int]:
        key = uuid.uuid4().hex
        deadline = time.monotonic() + self.patience
        attempts, last = 0, None
        while True:
            attempts += 1
            try:
                r = self.http.request(method, url, json=body, headers={"Idempotency-Key": key})
                last = r.status_code
                if r.status_code not in (502, 503, 504):
                    try:
                        return r.status_code, r.json(), attempts
                    except ValueError:
                        return r.status_code, {}, attempts
                wait = min(float(r.headers.get("Retry-After") or 1), 2.0)
            except httpx.HTTPError:
                last, wait = None, 1.0
            if time.monotonic() + wait > deadline:
                return last, {}, attempts
            time.sleep(wait)

    def get(self, url: str, **params) -> httpx.Response | None:
        try:
            return self.http.get(url, params=params)
        except httpx.HTTPError:
            return None


# ---------------------------------------------------------------- the world and the workload

class World:
    def __init__(self, base: str, admin_password: str = ADMIN_PASSWORD):
        self.base = base
        admin = sign_in(base, "admin", admin_password)
        self.admin = admin
        tag = uuid.uuid4().hex[:4].upper()
        self.city = f"IR-09-Q{tag}"
        assert admin.post("/api/units", json={"id": self.city, "name": "شهر آشوب", "kind": "city",
                                              "parent_id": "IR-09"}).status_code == 201
        r = admin.put("/api/membership-policies", json={"province_id": "IR-09", "kanoon_type": "neighborhood",
                                                         "floor": 2, "ceiling": 1000})
        assert r.status_code == 200, r.text
        sec, _ = staff(admin, base, f"sec.q{tag.lower()}", "city_secretary", self.city, city=self.city)
        self.kanoons, self.heads = [], []
        founded = jalali.format_date(jalali.today() - timedelta(days=200))
        for n in (1, 2):
            h, d = member(admin, city=self.city), member(admin, city=self.city)
            head = account(admin, base, h, f"head{n}.q{tag.lower()}")
            self.kanoons.append(form_kanoon(head, h, d, sec, f"کانون {n}", unit=self.city, founding_date=founded))
            self.heads.append(Client(base, head.headers["Authorization"].split()[1]))
        self.members = []
        for n in range(6):
            pid = member(admin, kind="yavar", city=self.city)
            assert admin.post("/api/memberships", json={"person_id": pid, "kanoon_id": self.kanoons[0]}).status_code == 200
            self.members.append(Client(base, account(admin, base, pid, f"m{n}.q{tag.lower()}").headers["Authorization"].split()[1]))
        vows, _ = staff(admin, base, f"vows.q{tag.lower()}", "vows_expert", "IR-09", city=self.city)
        self.vows = Client(base, vows.headers["Authorization"].split()[1])
        self.terminal = f"POS-Q{tag}"
        r = vows.post("/api/finance/terminals", json={"terminal_id": self.terminal, "kind": "pos", "label": "کارتخوان",
                                                       "owner_id": self.kanoons[0]})
        for _ in range(40):   # the finance service learns the kanoon from the registry's events
            if r.status_code == 201:
                break
            time.sleep(0.5)
            r = vows.post("/api/finance/terminals", json={"terminal_id": self.terminal, "kind": "pos",
                                                           "label": "کارتخوان", "owner_id": self.kanoons[0]})
        assert r.status_code == 201, r.text
        oversight, _ = staff(admin, base, f"oh.q{tag.lower()}", "oversight_head", "IR-09", city=self.city)
        self.oversight = Client(base, oversight.headers["Authorization"].split()[1])
        self.admin_client = Client(base, admin.headers["Authorization"].split()[1])
        self.unplaced: list[str] = []       # registered, not yet in a kanoon
        self.joined: list[str] = []         # joined the first kanoon, may be moved
        self.submitted: list[str] = []      # reports waiting for the head
        self.lock = threading.Lock()
        self.rrn = 0


class Workload:
    def __init__(self, world: World, seed: int):
        self.w = world
        self.random = random.Random(seed)
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()

    def record(self, o: Outcome) -> None:
        with self.lock:
            self.outcomes.append(o)

    def one(self, rnd: random.Random) -> None:
        w = self.w
        kind = rnd.choices(["register", "join", "transfer", "report", "approve", "receipt", "complaint"],
                           [3, 2, 1, 4, 3, 3, 1])[0]
        if kind == "register":
            body = person_body(kind="yavar", city=w.city)
            status, data, n = w.admin_client.command("POST", "/api/members", body)
            self.record(Outcome(kind, body["national_id"], status, n))
            if status == 201:
                with w.lock:
                    w.unplaced.append(data["id"])
        elif kind == "join":
            with w.lock:
                pid = w.unplaced.pop() if w.unplaced else None
            if pid is None:
                return
            status, _, n = w.heads[0].command("POST", "/api/memberships", {"person_id": pid, "kanoon_id": w.kanoons[0]})
            self.record(Outcome(kind, pid, status, n, {"kanoon_id": w.kanoons[0]}))
            if status == 200:
                with w.lock:
                    w.joined.append(pid)
        elif kind == "transfer":
            with w.lock:
                pid = w.joined.pop(0) if w.joined else None
            if pid is None:
                return
            status, _, n = w.heads[0].command("POST", "/api/transfers", {"person_id": pid, "to_kanoon_id": w.kanoons[1]})
            self.record(Outcome(kind, pid, status, n))
        elif kind == "report":
            tag = f"chaos-{uuid.uuid4().hex}"
            body = {"kanoon_id": w.kanoons[0], "service_type": "food_packages",
                    "day": jalali.format_date(jalali.today() - timedelta(days=1)), "hours": 2, "place": "مسجد",
                    "beneficiaries": 3, "description": tag}
            status, data, n = rnd.choice(w.members).command("POST", "/api/activity-reports", body)
            self.record(Outcome(kind, tag, status, n))
            if status == 201:
                with w.lock:
                    w.submitted.append(data["id"])
        elif kind == "approve":
            with w.lock:
                rid = w.submitted.pop(0) if w.submitted else None
            if rid is None:
                return
            status, _, n = w.heads[0].command("POST", f"/api/activity-reports/{rid}/review", {"approve": True})
            self.record(Outcome(kind, rid, status, n))
        elif kind == "receipt":
            with w.lock:
                w.rrn += 1
                rrn = f"{w.rrn:06d}{rnd.randrange(1000):03d}"
            amount = rnd.randrange(1, 500) * 1000
            at = jalali.format_datetime(datetime.now(timezone.utc) - timedelta(minutes=2))
            status, _, n = w.vows.command("POST", "/api/finance/receipts", {
                "terminal_id": w.terminal, "rrn": rrn, "at": at, "amount": amount, "donor": "نیکوکار"})
            self.record(Outcome(kind, rrn, status, n, {"amount": amount}))
        elif kind == "complaint":
            text = f"شکایت آزمون آشوب {uuid.uuid4().hex}"
            status, _, n = rnd.choice(w.members).command("POST", "/api/complaints", {
                "subject_kind": "kanoon", "subject_id": w.kanoons[1], "channel": "web", "anonymous": False,
                "text": text})
            self.record(Outcome(kind, text, status, n))

    def run(self, clients: int, until: float) -> None:
        def loop(seed: int) -> None:
            rnd = random.Random(seed)
            while time.monotonic() < until:
                try:
                    self.one(rnd)
                except Exception as exc:   # a bug in the harness must not pass for a loss
                    print(f"chaos: client error {exc!r}", file=sys.stderr)
                    raise
        threads = [threading.Thread(target=loop, args=(self.random.randrange(1 << 30),), daemon=True)
                   for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


# ---------------------------------------------------------------- faults

@dataclass
class Fault:
    name: str
    started: float
    healed_after: float | None = None


def probes(world: World) -> dict[str, callable]:
    """A read that goes through each service (and the gateway, and the registry for the caller)."""
    year = jalali.jalali_year_month(jalali.today())[0]
    w = world
    return {
        "registry": lambda: w.heads[0].get(f"/api/kanoons/{w.kanoons[0]}"),
        "reports": lambda: w.heads[0].get(f"/api/kanoons/{w.kanoons[0]}/activity-reports", limit=1),
        "finance": lambda: w.vows.get(f"/api/finance/units/{w.kanoons[0]}/figures", period=str(year)),
        "oversight": lambda: w.oversight.get(f"/api/units/{w.city}/complaints", limit=1),
        "festival": lambda: w.heads[0].get("/api/training/courses", province_id="IR-09"),
        "secretariat": lambda: w.heads[0].get("/api/tickets/mine"),
    }


def healed_after(world: World, since: float, limit: float = 120.0) -> float | None:
    """Seconds from `since` until every probe answers 200 (None: not within `limit`)."""
    checks = probes(world)
    while time.monotonic() - since < limit:
        if all((r := probe()) is not None and r.status_code == 200 for probe in checks.values()):
            return time.monotonic() - since
        time.sleep(0.25)
    return None


def inject(system: System, world: World, vhost: str | None, restart_broker: bool, until: float,
           replicas: int) -> list[Fault]:
    plan: list[tuple[str, callable]] = []

    def kill(*names: str):
        def go():
            for name in names:
                pid = system.pid(name)
                if pid:
                    os.kill(pid, signal.SIGKILL)
        return go

    def instance(name: str, n: int) -> str:
        return f"{name}-{n % replicas + 1}"
    for name in SERVICES + ["gateway"]:
        plan.append((f"kill -9 {name} (an instance)", lambda name=name, n=iter(range(10**6)): kill(instance(name, next(n)))()))
    if replicas > 1:
        plan.append(("kill -9 every reports instance", kill(*[f"reports-{i}" for i in range(1, replicas + 1)])))

    def close_connections():
        where = ["--vhost", vhost, "--limit", "100000"] if vhost else ["--global"]
        done = rabbitmqctl("close_all_connections", *where, "chaos: closing every connection")
        if done is not None and done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl close_all_connections failed: {done.stderr.strip()}")
    if shutil.which("rabbitmqctl"):
        plan.append(("close all broker connections", close_connections))

    def pause_stores():
        pids = [system.pid(f"store-{s}") for s in SERVICES]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(10)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    plan.append(("pause every store 10 s", pause_stores))
    if restart_broker:
        plan.append(("restart RabbitMQ", lambda: (rabbitmqctl("stop_app"), rabbitmqctl("start_app"))))

    # As many rounds of the plan as fit with at least MIN_GAP seconds from one fault to the next.
    available = until - time.monotonic() - 5
    rounds = max(1, int(available // (len(plan) * MIN_GAP)))
    gap = max(2.0, available / (rounds * len(plan)))
    faults = []
    for name, action in plan * rounds:
        if time.monotonic() + 2 > until:
            print(f"chaos: no time left for: {name}", file=sys.stderr)
            break
        time.sleep(min(gap / 2, max(0.0, until - time.monotonic() - 1)))
        t0 = time.monotonic()
        action()
        fault = Fault(name, t0)
        fault.healed_after = healed_after(world, t0)
        print(f"chaos: {name}: healed in {fault.healed_after if fault.healed_after is None else round(fault.healed_after, 1)} s",
              file=sys.stderr, flush=True)
        faults.append(fault)
        rest = gap - (time.monotonic() - t0) - gap / 2
        if rest > 0:
            time.sleep(min(rest, max(0.0, until - time.monotonic())))
    return faults


# ---------------------------------------------------------------- the checker

def drained(system: System, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(system.db(s).outbox.count_documents({"status": "pending"}) == 0 for s in SERVICES):
            return True
        time.sleep(1)
    return False


class Stores:
    """What the owning stores hold of the run's commands, read once per kind (a query per command
    would scan the reports by their text thousands of times), by the natural key each is looked up by."""

    def __init__(self, system: System, world: World):
        registry, reports = system.db("registry"), system.db("reports")
        self.people = Counter(d["national_id"] for d in registry.people.find({"city_id": world.city}, {"national_id": 1}))
        self.placed = {d["_id"]: d.get("kanoon_id") for d in registry.people.find({"city_id": world.city}, {"kanoon_id": 1})}
        self.transfers = Counter(d["person_id"] for d in registry.transfers.find(
            {"person_id": {"$in": list(self.placed)}}, {"person_id": 1}))
        self.reports = Counter(d["description"] for d in reports.activity_reports.find(
            {"kanoon_id": world.kanoons[0]}, {"description": 1}))
        self.status = {d["_id"]: d.get("status") for d in reports.activity_reports.find(
            {"kanoon_id": world.kanoons[0]}, {"status": 1})}
        self.receipts = Counter(d["rrn"] for d in system.db("finance").receipts.find(
            {"terminal_id": world.terminal}, {"rrn": 1}))
        self.complaints = Counter(d["text"] for d in system.db("oversight").complaints.find(
            {"subject.id": world.kanoons[1]}, {"text": 1}))


def applied(stores: Stores, o: Outcome) -> int:
    """How many times the command is in the store (0, 1, 2 …)."""
    if o.kind == "register":
        return stores.people[o.key]
    if o.kind == "join":
        # (a transfer asked meanwhile stays pending: nobody decides it in the run)
        return int(stores.placed.get(o.key) == o.data["kanoon_id"])
    if o.kind == "transfer":
        return stores.transfers[o.key]
    if o.kind == "report":
        return stores.reports[o.key]
    if o.kind == "approve":
        return int(stores.status.get(o.key) == "approved")
    if o.kind == "receipt":
        return stores.receipts[o.key]
    if o.kind == "complaint":
        return stores.complaints[o.key]
    raise ValueError(o.kind)


def classify(told: str, times: int) -> str:
    """What the client was told ("ok", "refused", "unknown") against how many times the store holds
    the command: ok, lost, duplicated, phantom, refused, or unknown (applied or not)."""
    if times > 1:
        return "duplicated"
    if told == "ok":
        return "ok" if times == 1 else "lost"
    if told == "refused":
        return "refused" if times == 0 else "phantom"
    return "unknown, applied" if times == 1 else "unknown, not applied"


def check_commands(system: System, world: World, outcomes: list[Outcome]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    stores = Stores(system, world)
    for o in outcomes:
        row = table[o.kind]
        row["sent"] += 1
        row["retried"] += o.attempts > 1
        row[classify(o.told, applied(stores, o))] += 1
    return table


def check_events(system: System, world: World, timeout: float = 90.0) -> dict[str, tuple[int, int]]:
    """Per consumer: (what the source holds, what the consumer has in effect); polled until they agree
    or `timeout` passes (the last handlers may still be at work)."""
    deadline = time.monotonic() + timeout
    month = str(jalali.period_of(jalali.today() - timedelta(days=1)))
    while True:
        out: dict[str, tuple[int, int]] = {}
        registry = system.db("registry")
        members = {d["_id"]: d.get("kanoon_id") for d in registry.people.find({"city_id": world.city}, {"kanoon_id": 1})}
        for s in SERVICES:
            if s == "registry":
                continue
            view = {d["_id"]: d.get("kanoon_id") for d in system.db(s).members.find({"_id": {"$in": list(members)}})}
            agree = sum(1 for pid, k in members.items() if view.get(pid) == k)
            out[f"{s}: memberships of the city's people"] = (len(members), agree)
        approved = system.db("reports").activity_reports.count_documents({"kanoon_id": world.kanoons[0],
                                                                          "status": "approved"})
        agg = world.heads[0].get(f"/api/units/{world.kanoons[0]}/aggregates", period=month)
        counted = agg.json()["reports"]["approved"] if agg is not None and agg.status_code == 200 else -1
        out["reports: aggregate of approvals"] = (approved, counted)
        receipts = list(system.db("finance").receipts.find({"terminal_id": world.terminal}, {"amount": 1}))
        year = jalali.jalali_year_month(jalali.today())[0]
        fig = world.vows.get(f"/api/finance/units/{world.kanoons[0]}/figures", period=str(year))
        out["finance: figures of receipts (rials)"] = (sum(r["amount"] for r in receipts),
                                                       fig.json()["amount"] if fig is not None and fig.status_code == 200 else -1)
        events = sum(system.db(s).outbox.count_documents({"type": {"$regex": r"\.personal_data\.accessed\."}})
                     for s in ("reports", "finance", "oversight"))
        out["oversight: audit trail of personal data"] = (events, system.db("oversight").audit.count_documents({}))
        if all(a == b for a, b in out.values()) or time.monotonic() > deadline:
            return out
        time.sleep(2)


def report(table: dict[str, Counter], events: dict, faults: list[Fault], minutes: float) -> bool:
    cols = ["sent", "ok", "refused", "unknown, applied", "unknown, not applied", "lost", "duplicated", "phantom",
            "retried"]
    print(f"\n## Commands ({minutes:g} min of chaos)\n")
    print("| command | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for kind in sorted(table):
        print(f"| {kind} | " + " | ".join(str(table[kind][c]) for c in cols) + " |")
    total = sum(table.values(), Counter())
    print("| **all** | " + " | ".join(f"**{total[c]}**" for c in cols) + " |")
    print("\n## Events, in effect once per consumer\n")
    print("| consumer | expected | in effect | |")
    print("|---|---:|---:|---|")
    for name, (want, got) in events.items():
        print(f"| {name} | {want} | {got} | {'ok' if want == got else 'DIFFERS'} |")
    print("\n## Faults\n")
    print("| fault | healed in (s) |")
    print("|---|---:|")
    for f in faults:
        print(f"| {f.name} | {'never' if f.healed_after is None else f'{f.healed_after:.1f}'} |")
    bad = total["lost"] + total["duplicated"] + total["phantom"]
    unhealed = [f for f in faults if f.healed_after is None or f.healed_after > HEAL_GOAL]
    differs = [n for n, (a, b) in events.items() if a != b]
    ok = bad == 0 and not unhealed and not differs and total["ok"] > 0
    print(f"\n{'PASS' if ok else 'FAIL'}: lost {total['lost']}, duplicated {total['duplicated']}, phantom "
          f"{total['phantom']}; consumers differing {len(differs)}; faults healed within {HEAL_GOAL:.0f} s "
          f"{len(faults) - len(unhealed)}/{len(faults)}")
    return ok


def chaos(minutes: float, clients: int, seed: int, replicas: int = 2, running: Running | None = None,
          admin_password: str = ADMIN_PASSWORD) -> bool:
    """The run; on `running` (a system already up, e.g. the system tests', left running after it)
    or on one of its own."""
    started_broker = False
    if running is None:
        admin = os.environ.get("RABBITMQ_ADMIN_URI") or os.environ.get("AMQP_URI") or rabbit.DEFAULT
        started_broker = not rabbit.answers(admin)
        system = start(rabbit.ensure(admin), replicas)
    else:
        system = System(running.proc, running.data)
        helpers.GATEWAYS[system.base] = system.gateways
        replicas = system.topology["replicas"]
    vhost = system.topology["broker"]["vhost"]
    print(f"chaos: broker {'started here' if started_broker else 'already running'}; virtual host {vhost}; "
          f"{replicas} of every service and gateway", file=sys.stderr, flush=True)
    try:
        world = World(system.base, admin_password)
        work = Workload(world, seed)
        until = time.monotonic() + minutes * 60
        faults: list[Fault] = []
        injector = threading.Thread(target=lambda: faults.extend(
            inject(system, world, vhost, started_broker, until, replicas)), daemon=True)
        injector.start()
        work.run(clients, until)
        injector.join()
        if not drained(system):
            print("chaos: the outboxes did not drain within 120 s", file=sys.stderr)
        table = check_commands(system, world, work.outcomes)
        events = check_events(system, world)
        return report(table, events, faults, minutes)
    finally:
        if running is None:
            stop(system)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1405)
    ap.add_argument("--replicas", type=int, default=2, help="instances of every service, and gateways")
    args = ap.parse_args(argv)
    return 0 if chaos(args.minutes, args.clients, args.seed, args.replicas) else 1


if __name__ == "__main__":
    sys.exit(main())
