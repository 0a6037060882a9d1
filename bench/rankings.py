"""Rankings at the real network's size: 6,000 kanoons and 200,000 members across 31 provinces.

Starts its own local store (throw-away data folder), writes the festival service's read model of
the network (units, kanoons, memberships) and a year's points ledger through the service's own
projection code (`apply_points_event`: the lines of approved reports, programs, inspections and
violations, folded into scores by `fold_scores`, as the running service does), then times:

  from ledger the country ranking recomputed from the ledger alone (every kanoon's lines summed by
              index, weighted, ranked), goal < 10 s;
  check       every subject's figures recomputed from the ledger and compared with the folded
              scores (the operator's `check_ledger`);
  rank        the country ranking read from the folded scores (what the route serves);
  one event   one more approved report applied, folded and seen in the country ranking, goal < 1 s.

    python -m bench.rankings                               # 6,000 kanoons, 200,000 members
    python -m bench.rankings --kanoons 600 --members 20000 # a tenth
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from pymongo import MongoClient

from devenv import store
from kernel import jalali
from kernel.store import Db
from services.festival.domain import points
from services.festival.projections import apply_points_event, fold_scores, ranking_from_ledger, recompute
from services.festival.repository import Repository, delta_of, ensure_indexes, line_doc
from tests.conftest import free_port, wait_port

BATCH = 2000


def build(db, kanoons: int, members: int, year: int, rng: random.Random) -> tuple[list, int]:
    raw = db.raw
    raw.units.insert_one({"_id": "IR", "path": ["IR"], "kind": "country", "name": "ایران"})
    units, kpaths = [], []
    for p in range(31):
        region, province = f"IR-R{p % 5}", f"IR-{p:02d}"
        units += [{"_id": region, "path": ["IR", region], "kind": "region", "name": region}] if p < 5 else []
        units.append({"_id": province, "path": ["IR", region, province], "kind": "province", "name": province})
        for c in range(8):
            city = f"{province}-C{c}"
            units.append({"_id": city, "path": ["IR", region, province, city], "kind": "city", "name": city})
    raw.units.insert_many(units)
    cities = [u for u in units if u["kind"] == "city"]
    docs = []
    for n in range(kanoons):
        city = cities[n % len(cities)]
        kid = f"kn_{n:05d}"
        docs.append({"_id": kid, "unit_path": city["path"], "status": "active", "name": f"کانون {n}",
                     "head_id": f"p_h{n}", "deputy_id": f"p_d{n}"})
        kpaths.append([*city["path"], kid])
    for i in range(0, len(docs), BATCH):
        raw.kanoons.insert_many(docs[i:i + BATCH])
    mem = [{"_id": f"p_{m:06d}", "kanoon_id": kpaths[m % kanoons][-1], "kind": "khademyar" if m % 3 else "yavar",
            "since": datetime.now(timezone.utc)} for m in range(members)]
    for i in range(0, len(mem), BATCH):
        raw.members.insert_many(mem[i:i + BATCH])
    # A year's events: an approved report per member, a program and an inspection per kanoon, some violations.
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    events = []
    for m in range(members):
        kp = kpaths[m % kanoons]
        events.append(("reports.report.approved.v1", {
            "report_id": f"r{m}", "kanoon_id": kp[-1], "kanoon_path": kp, "month": rng.choice(months),
            "service_type": "x", "hours": 2, "beneficiaries": 3, "reporter_id": f"p_{m:06d}", "by": "p_h",
            "campaign_id": "cp" if m % 4 == 0 else None}))
    for n, kp in enumerate(kpaths):
        events.append(("reports.program.held.v1", {"program_id": f"pg{n}", "kanoon_id": kp[-1], "kanoon_path": kp,
                                                   "month": rng.choice(months), "held_on": "2026-01-01",
                                                   "attendance": 10, "partner_kanoon_ids": []}))
        events.append(("oversight.inspection.done.v1", {"inspection_id": f"in{n}", "kind": "periodic",
                                                        "target_id": kp[-1], "province_id": kp[2],
                                                        "season": f"{year}-Q1", "checklist_id": "c:v1",
                                                        "score": float(rng.randint(40, 100)),
                                                        "visitor_role": "oversight_head"}))
    for m in range(0, members, 97):
        events.append(("oversight.violation.recorded.v1", {"violation_id": f"vl{m}", "person_id": f"p_{m:06d}",
                                                           "province_id": "IR-00", "source": "report"}))
    return kpaths, _bulk(db, events, year)


def _bulk(db, events, year: int) -> int:
    """The ledger as the projection writes it — each event's lines from the same `lines_of`, its
    delta from the same `delta_of` — inserted in bulk (the projection's one event per transaction
    would take the store far longer at this size), the deltas folded by `fold_scores` directly."""
    repo = Repository(db)
    lines = 0
    at = datetime.now(timezone.utc)
    for i in range(0, len(events), BATCH):
        docs, deltas = [], []
        for etype, data in events[i:i + BATCH]:
            new = points.lines_of(etype, data, f"ev-{uuid.uuid4().hex}", at, year, repo)
            if new:
                docs += [line_doc(ln) for ln in new]
                deltas.append(delta_of(new))
        db.raw.points.insert_many(docs, ordered=False)
        fold_scores(db, deltas)   # what the folder does with these deltas, without queueing them
        lines += len(docs)
    return lines


def _apply(db, events) -> int:
    """Each event through the service's projection, lines and deltas in one transaction per batch of
    events, then folded — as the running service does, without the bus."""
    client = db.raw.client
    lines = 0
    at = datetime.now(timezone.utc).isoformat()
    for i in range(0, len(events), 500):
        with client.start_session() as s, s.start_transaction():
            tx_db = Db(db.raw, s)
            for etype, data in events[i:i + 500]:
                lines += apply_points_event(tx_db, {"id": f"ev-{uuid.uuid4().hex}", "type": etype, "time": at,
                                                    "data": data})
        _fold(db)
    return lines


def _fold(db) -> None:
    while True:
        with db.raw.client.start_session() as s, s.start_transaction():
            tx_db = Db(db.raw, s)
            rows = tx_db.score_deltas.find({}, sort=[("at", 1)], limit=2000)
            if not rows:
                return
            fold_scores(tx_db, rows)
            tx_db.score_deltas.delete_many({"_id": {"$in": [r["_id"] for r in rows]}})


def country_ranking(repo: Repository, year: int) -> list[points.Ranked]:
    scores = repo.kanoon_scores_under("IR", year)
    weights = repo.weights("IR", year)
    return points.rank([(k, points.weighted(scores.get(k, {}), weights)) for k, _, _ in repo.active_kanoons_under("IR")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kanoons", type=int, default=6000)
    ap.add_argument("--members", type=int, default=200_000)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="khadem-rankings-"))
    port = free_port()
    proc = subprocess.Popen(store.command(port, data / "store"), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc)
        client = MongoClient(store.uri(port), tz_aware=True)
        db = Db(client["bench_festival"])
        ensure_indexes(db)
        year = jalali.period_of(datetime.now(timezone.utc), "year").year
        t0 = time.perf_counter()
        kpaths, lines = build(db, args.kanoons, args.members, year, random.Random(7))
        built = time.perf_counter() - t0
        repo = Repository(db)
        t0 = time.perf_counter()
        ids = [k for k, _, _ in repo.active_kanoons_under("IR")]
        from_ledger = ranking_from_ledger(repo, ids, year, repo.weights("IR", year))
        t_ledger = time.perf_counter() - t0
        t0 = time.perf_counter()
        check = recompute(repo, year)
        t_recompute = time.perf_counter() - t0
        assert check["differences"] == [], check["differences"][:3]
        t0 = time.perf_counter()
        ranked = country_ranking(repo, year)
        t_rank = time.perf_counter() - t0
        assert [(r.id, r.rank) for r in ranked] == [(r.id, r.rank) for r in from_ledger]
        last = ranked[-1]
        kp = next(p for p in kpaths if p[-1] == last.id)
        t0 = time.perf_counter()
        _apply(db, [("reports.report.approved.v1", {
            "report_id": "r-new", "kanoon_id": last.id, "kanoon_path": kp, "month": f"{year}-01", "service_type": "x",
            "hours": 1, "beneficiaries": 1, "reporter_id": "p_000000", "by": "p_h", "campaign_id": None})])
        after = {r.id: r for r in country_ranking(repo, year)}
        t_event = time.perf_counter() - t0
        assert after[last.id].score == last.score + 1, (after[last.id], last)   # the kanoon's line of the report
        print(f"{args.kanoons:,} kanoons, {args.members:,} members in 31 provinces; {lines:,} ledger lines "
              f"(built in {built:.0f}s), the local store (SecantusDB on WiredTiger)")
        print(f"country ranking recomputed from the ledger:          {t_ledger:6.2f}s  (goal < 10 s)  "
              "the same ranks as the folded scores'")
        print(f"every subject checked against the ledger:            {t_recompute:6.2f}s  "
              f"{check['subjects']:,} subjects, 0 differences")
        print(f"country ranking read from the scores ({len(ranked):,} kanoons): {t_rank:6.2f}s")
        print(f"one new event applied, folded and seen in the ranks: {t_event:6.2f}s  (goal < 1 s)  "
              f"rank {last.rank} → {after[last.id].rank}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
