"""Activity reports through the running system: HTTP → gateway → RPC → reports service → store, and
the service's own events back into its aggregate buckets.

    python -m bench.reports_ingest                  # starts RabbitMQ if needed, the store, every service, the gateway
    python -m bench.reports_ingest --reports 1000 --clients 8

It starts what `make run` starts (in a temporary data folder, on free ports; `MONGO_URI`, when
set, is used as the store instead of the local one), creates a city, one kanoon and its members,
then times three things: members submitting reports (concurrent clients), the head approving them,
and the moment the city's aggregate for the month counts every approval (the events have gone
through the outbox, RabbitMQ and the aggregate handler). The figures are for the store it names:
the local store is a server written in Python, so they say little about a production MongoDB.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from devenv import rabbit
from devenv.launch import launch, stop
from kernel import jalali
from tests.conftest import QUIET
from tests.system.helpers import Api, account, form_kanoon, member, sign_in, staff

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "bench-password-1405"


def start_system(data: Path):
    """What `make run` starts (the production topology), on a virtual host and ports of its own."""
    env = dict(os.environ, RABBITMQ_ADMIN_URI=rabbit.ensure(), PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD)
    for name in ("AMQP_URI", "MONGO_URI"):
        env.pop(name, None)
    running = launch(data, env)
    return running, running.base


def call(fn, expected: int) -> dict:
    """One request; the client (tests.system.helpers.Api) has already retried a 503 or 504 with the
    same Idempotency-Key, so anything else than `expected` is a failure."""
    r = fn()
    if r.status_code != expected:
        raise SystemExit(f"{r.status_code}: {r.text}")
    return r.json()


@dataclass
class Kanoon:
    """One city, one active kanoon, its members signed in: what the ingest needs."""
    admin: Api
    sec: Api
    head: Api
    members: list[Api]
    city: str
    kanoon_id: str
    reporter_ids: list[str]
    body: dict
    month: str
    first_report: str

    def approved(self) -> int:
        a = self.sec.get(f"/api/units/{self.city}/aggregates", params={"period": self.month}).json()
        return a["reports"]["approved"]


def prepare(base: str, members: int = 10, password: str = ADMIN_PASSWORD) -> Kanoon:
    admin = sign_in(base, "admin", password)
    tag = uuid.uuid4().hex[:4]
    city = f"IR-09-B{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city",
                                          "parent_id": "IR-09"}).status_code == 201
    sec, _ = staff(admin, base, f"sec.{tag}", "city_secretary", city, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, base, head, f"head.{tag}")
    today = jalali.today()
    kid = form_kanoon(head_api, head, deputy, sec, "کانون سنجش", unit=city,
                      founding_date=jalali.format_date(today - timedelta(days=40)))
    apis, pids = [], []
    for i in range(members):
        pid = member(admin, kind="yavar", city=city)
        assert head_api.post("/api/memberships", json={"person_id": pid, "kanoon_id": kid}).status_code == 200
        apis.append(account(admin, base, pid, f"yavar.{tag}.{i}"))
        pids.append(pid)
    body = {"kanoon_id": kid, "service_type": "food_packages", "day": jalali.format_date(today), "hours": 2,
            "place": "مسجد محل", "beneficiaries": 3, "description": "توزیع بسته‌های معیشتی"}
    # The reports service learns memberships from the registry's events: wait until the last member is known.
    deadline = time.monotonic() + 60
    while (probe := apis[-1].post("/api/activity-reports", json=body)).status_code != 201:
        if time.monotonic() > deadline:
            raise SystemExit(f"the reports service never learnt the memberships: {probe.text}")
        time.sleep(0.25)
    return Kanoon(admin, sec, head_api, apis, city, kid, pids, body, str(jalali.period_of(today)),
                  probe.json()["id"])


def _timed(fn, expected: int) -> tuple[dict, float]:
    t = time.perf_counter()
    out = call(fn, expected)
    return out, time.perf_counter() - t


def ingest(k: Kanoon, reports: int, clients: int) -> dict:
    """`reports` reports submitted by `clients` concurrent clients, then approved by the head (as
    many clients), then the wait until the city's aggregate counts every approval. Returns the
    figures and every request's latency."""
    before = k.approved()
    members = len(k.members)
    with ThreadPoolExecutor(clients) as pool:
        t0 = time.perf_counter()
        submitted = list(pool.map(lambda i: _timed(lambda: k.members[i % members].post(
            "/api/activity-reports", json=k.body), 201), range(reports)))
        t_submit = time.perf_counter() - t0
        ids = [out["id"] for out, _ in submitted]
        if k.first_report:
            ids.append(k.first_report)
            k.first_report = ""
        t0 = time.perf_counter()
        approved = list(pool.map(lambda rid: _timed(lambda: k.head.post(
            f"/api/activity-reports/{rid}/review", json={"approve": True}), 200), ids))
        t_approve = time.perf_counter() - t0
    while k.approved() < before + len(ids):
        if time.perf_counter() - t0 > t_approve + 300:
            raise SystemExit(f"the aggregate counts {k.approved() - before} of {len(ids)} approvals")
        time.sleep(0.05)
    t_counted = time.perf_counter() - t0
    return {"submitted": reports, "submit_seconds": t_submit, "approved": len(ids), "approve_seconds": t_approve,
            "lag_seconds": t_counted - t_approve, "submit_latencies": [t for _, t in submitted],
            "approve_latencies": [t for _, t in approved], "report_ids": ids}


def run(base: str, reports: int, clients: int, members: int) -> None:
    k = prepare(base, members)
    f = ingest(k, reports - 1, clients)
    t_submit, t_approve = f["submit_seconds"], f["approve_seconds"]
    store = os.environ.get("MONGO_URI") and "MongoDB at MONGO_URI" or "the local store (SecantusDB on WiredTiger)"
    print(f"store: {store}; {clients} concurrent clients, {members} members of one kanoon")
    print(f"submitted  {reports - 1:>6,} reports in {t_submit:6.1f}s: {(reports - 1) / t_submit:6.1f} reports/s")
    print(f"approved   {f['approved']:>6,} reports in {t_approve:6.1f}s: {f['approved'] / t_approve:6.1f} reports/s")
    print(f"counted in the city's aggregate {f['lag_seconds']:.2f}s after the last approval answered "
          f"({f['approved'] / (t_approve + f['lag_seconds']):.1f} approvals/s from first approval to all counted)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=500)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--members", type=int, default=10)
    args = ap.parse_args()
    if args.reports > 1000:
        raise SystemExit("at most 1,000 reports: the local store slows with volume (docs/decisions.md)")
    with tempfile.TemporaryDirectory(prefix="khadem-bench-") as data:
        proc, base = start_system(Path(data))
        try:
            run(base, args.reports, args.clients, args.members)
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
