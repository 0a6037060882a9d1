"""Aggregates from the read model versus from the raw reports, on a province of 1,000 kanoons and
1,000,000 approved reports; and the rate at which reports go through the service's write path.

    python -m bench.reports_aggregates                       # the local store, started for the run
    python -m bench.reports_aggregates --reports 100000      # smaller
    MONGO_URI=mongodb://host:27017/?replicaSet=rs0 python -m bench.reports_aggregates   # a real MongoDB

The volume is loaded over the wire into a store server with the service's own indexes: the local
store (SecantusDB, started on a free port with its data in a temporary folder) or the MongoDB that
MONGO_URI names; the output says which. The raw computation is the service's own query
(`Repository.raw_totals`: a `$match` on the indexed unit path and day, then a `$group`), so the
ratio is what the read model saves a real query, not a scan.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kernel import buckets
from kernel.documents import to_doc
from kernel.events import Envelope
from kernel.jalali import parse_period
from kernel.store import Db
from services.reports.domain import aggregates
from services.reports.domain.kanoons import KanoonView
from services.reports.domain.reports import ActivityReport
from services.reports.domain.service_types import ServiceType
from services.reports.projections import apply_own_event, fold_deltas
from services.reports.repository import Repository, ensure_indexes

ROOT = Path(__file__).resolve().parent.parent
YEAR = 1404


def connect():
    """(client, description, cleanup): MONGO_URI when set, else a local store of the run's own."""
    from pymongo import MongoClient
    uri = os.environ.get("MONGO_URI")
    if uri:
        return MongoClient(uri, tz_aware=True), f"MongoDB at {uri}", lambda: None
    from devenv import store
    from tests.conftest import free_port
    data = Path(tempfile.mkdtemp(prefix="khadem-bench-store-"))
    port = free_port()
    proc = store.start(port, data / "data", log=data / "store.log")

    def cleanup():
        store.stop(proc)
        shutil.rmtree(data, ignore_errors=True)
    return MongoClient(store.uri(port), tz_aware=True), "the local store (SecantusDB on WiredTiger, over the wire)", cleanup


def province(kanoon_count: int) -> tuple[list[str], list[KanoonView]]:
    units = json.loads((ROOT / "services/registry/data/units.json").read_text("utf-8"))["units"]
    cities = [u["id"] for u in units if u.get("parent_id") == "IR-09"]
    founded = parse_period(f"{YEAR - 1}").first_day
    kanoons = [KanoonView(id=f"kn_{i:05d}", name=f"کانون {i}", kind="neighborhood",
                          unit_path=["IR", "IR-R5", "IR-09", cities[i % len(cities)]], status="active",
                          founding_date=founded) for i in range(kanoon_count)]
    return cities, kanoons


def types() -> list[ServiceType]:
    rows = json.loads((ROOT / "services/reports/data/service_types.json").read_text("utf-8"))["service_types"]
    return [ServiceType(id=r["id"], name=r["name"]) for r in rows if not r.get("field")]


def generate(db, kanoons: list[KanoonView], n: int, rnd: random.Random) -> tuple[float, float]:
    """Approved reports spread over the year, and their aggregate buckets made by the same deltas
    the service applies per event, summed per bucket before writing (one write per bucket)."""
    year = parse_period(str(YEAR))
    days = (year.end_day - year.first_day).days
    kinds = types()
    at = datetime(2025, 4, 1, tzinfo=timezone.utc)
    merged: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    batch, t0 = [], time.perf_counter()
    for i in range(n):
        k = kanoons[rnd.randrange(len(kanoons))]
        r = ActivityReport(id=f"ar_{i:08d}", reporter_id=f"p_{rnd.randrange(40_000)}", reporter_kind="yavar",
                           kanoon_id=k.id, kanoon_path=k.path, service_type=rnd.choice(kinds).id,
                           day=year.first_day + timedelta(days=rnd.randrange(days)), hours=rnd.choice([1, 1.5, 2, 3, 4]),
                           place="مسجد", beneficiaries=rnd.randrange(0, 20), description="گزارش",
                           status="approved", submitted_at=at)
        batch.append(to_doc(r))
        facts = r.facts()
        for event_type, extra in (("reports.report.submitted.v1", {"previous": None}),
                                  ("reports.report.approved.v1", {"by": "h"})):
            for key, v in aggregates.deltas(event_type, {**facts, **extra}).items():
                for unit in r.kanoon_path:
                    merged[(unit, r.month)][key] += v
        if len(batch) == 20_000:
            db.activity_reports.insert_many(batch)
            batch = []
    if batch:
        db.activity_reports.insert_many(batch)
    t_reports = time.perf_counter() - t0
    t0 = time.perf_counter()
    buckets.fold(Db(db), "aggregates", [{"path": [unit], "month": month, "inc": list(inc.items())}
                                        for (unit, month), inc in merged.items()])
    return t_reports, time.perf_counter() - t0


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def ingest(db, kanoons: list[KanoonView], n: int, rnd: random.Random) -> float:
    """The service's write path per report, without the bus: submit (domain, repository, event),
    approve (domain, versioned save, event), and the aggregate projection of both events."""
    repo = Repository(Db(db))
    kinds = types()
    today = parse_period(str(YEAR)).end_day - timedelta(days=1)
    t0 = time.perf_counter()
    for i in range(n):
        k = kanoons[rnd.randrange(len(kanoons))]
        r, events = ActivityReport.submit(reporter_id=f"p_{i}", reporter_kind="yavar", kanoon=k,
                                          service_type=rnd.choice(kinds), day=today - timedelta(days=rnd.randrange(30)),
                                          today=today, hours=2, place="مسجد", beneficiaries=3, description="گزارش",
                                          media=[])
        repo.add_report(r)
        events += r.approve("head")
        repo.save_report(r)
        for e in events:
            apply_own_event(repo.db, Envelope.wrap(e).to_message())
    # The folder's share: the recorded deltas added to the buckets, a batch at a time.
    while rows := repo.db.aggregate_deltas.find({}, limit=500):
        fold_deltas(repo.db, rows)
        repo.db.aggregate_deltas.delete_many({"_id": {"$in": [r["_id"] for r in rows]}})
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--kanoons", type=int, default=1_000)
    ap.add_argument("--ingest", type=int, default=2_000, help="reports sent through the write path")
    ap.add_argument("--seed", type=int, default=1404)
    args = ap.parse_args()
    rnd = random.Random(args.seed)

    client, store, cleanup = connect()
    try:
        run(client, store, args, rnd)
    finally:
        cleanup()


def run(client, store: str, args, rnd: random.Random) -> None:
    cities, kanoons = province(args.kanoons)
    print(f"store: {store}")
    if args.ingest:  # first, on an empty store
        fresh = client[f"bench_ingest_{os.getpid()}"]
        ensure_indexes(Db(fresh))
        rate = ingest(fresh, kanoons, args.ingest, rnd)
        print(f"ingestion through the service's write path: {rate:,.0f} reports/s "
              f"({args.ingest:,} reports submitted, approved and projected; no bus, no transactions)")
        client.drop_database(fresh.name)
    db = client[f"bench_reports_{os.getpid()}"]
    ensure_indexes(Db(db))
    print(f"province IR-09: {len(cities)} cities, {len(kanoons)} kanoons; {args.reports:,} approved reports in {YEAR}")
    t_reports, t_buckets = generate(db, kanoons, args.reports, rnd)
    print(f"generated: reports {t_reports:.1f}s ({args.reports / t_reports:,.0f}/s), "
          f"read model {db.aggregates.count_documents({}):,} buckets {t_buckets:.1f}s")

    repo = Repository(Db(db))
    city = max(cities, key=lambda c: sum(1 for k in kanoons if k.unit_path[-1] == c))
    cases = [("province x year", "IR-09", parse_period(str(YEAR))),
             ("city x month", city, parse_period(f"{YEAR}-07"))]
    print(f"{'aggregate':<16} {'read model':>11} {'raw query':>11} {'ratio':>7}  reports")
    for label, unit, period in cases:
        t_model, model = timed(lambda: aggregates.summarize(unit, period, repo.buckets(unit, period)), 20)
        t_raw, raw = timed(lambda: repo.raw_totals(unit, period), 1 if period.kind == "year" else 3)
        assert model["reports"]["approved"] == raw["reports"], (model["reports"], raw["reports"])
        assert abs(model["hours"] - raw["hours"]) < 0.01 and model["beneficiaries"] == raw["beneficiaries"]
        print(f"{label:<16} {t_model * 1000:>8.2f} ms {t_raw * 1000:>8.0f} ms {t_raw / t_model:>6.0f}x  "
              f"{raw['reports']:,} (both agree)")
    client.drop_database(db.name)


if __name__ == "__main__":
    main()
