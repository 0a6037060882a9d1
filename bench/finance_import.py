"""Receipts from a file into the ledger and the period figures, through the running system:
HTTP upload → gateway → finance service (rows checked) → the import runner (chunks of receipts,
postings and one event each) → the relay → the figures and balances folded from the events.

    python -m bench.finance_import                      # 100,000 receipts; starts what `make run` starts
    python -m bench.finance_import --receipts 20000 --terminals 50

It creates a city with a kanoon, the vows-system expert and the terminals, writes a CSV of receipts
spread over the current Jalali year's months so far, uploads it, and times: the upload's answer
(every row read and checked), the batch's recording (all receipts in the ledger), and the moment
the province × year figures count every receipt. It then reads the province × year and a city ×
month figure (read model) and prints their latency (median of repeated reads).

The baseline, in the same run on the same store: the same receipt and posting documents (built by
the domain, with the service's indexes) inserted by one bare pymongo client in transactions of the
import's chunk size, nothing else writing — the store's own ceiling for this work.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pymongo import MongoClient

from bench.reports_ingest import ADMIN_PASSWORD, QUIET
from devenv import rabbit
from devenv.launch import launch, stop
from kernel.clock import FixedClock
from kernel.documents import to_doc
from services.finance.domain.receipts import Channel, Receipt
from services.finance.domain.terminals import Terminal, TerminalKind
from services.finance.imports import CHUNK
from services.finance.repository import INDEXES
from kernel import jalali
from tests.system.helpers import form_kanoon, member, sign_in, staff

ROOT = Path(__file__).resolve().parent.parent


def run(base: str, receipts: int, terminals: int, finance_db=None) -> float:
    admin = sign_in(base, "admin", ADMIN_PASSWORD)
    tag = uuid.uuid4().hex[:4]
    city = f"IR-09-F{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-09"}).status_code == 201
    sec, _ = staff(admin, base, f"sec.{tag}", "city_secretary", city, city=city)
    head, deputy = member(admin, city=city), member(admin, city=city)
    kid = form_kanoon(admin, head, deputy, sec, "کانون سنجش مالی", unit=city)
    vows, _ = staff(admin, base, f"vows.{tag}", "vows_expert", "IR-09", city=city)
    ids = [f"B{tag.upper()}{n:04d}" for n in range(terminals)]
    deadline = time.monotonic() + 60
    for tid in ids:
        while (r := vows.post("/api/finance/terminals", json={"terminal_id": tid, "kind": "pos", "label": "کارتخوان",
                                                              "owner_id": kid})).status_code != 201:
            if time.monotonic() > deadline:
                raise SystemExit(f"the finance service never learnt the kanoon or the role: {r.text}")
            time.sleep(0.25)
    now = datetime.now(timezone.utc)
    year = jalali.period_of(now, "year")
    span = max(60.0, (now - year.start_utc).total_seconds() - 60)
    rng = random.Random(7)
    out = io.StringIO()
    out.write("terminal_id,rrn,at,amount,intent,channel\n")
    total = 0
    for n in range(receipts):
        at = now - timedelta(seconds=rng.uniform(60, span))
        amount = rng.choice((50_000, 100_000, 200_000, 500_000, 1_000_000))
        total += amount
        out.write(f"{ids[n % terminals]},{n:09d},{at.isoformat()},{amount},"
                  f"{rng.choice(('اطعام', 'عمومی', 'ایتام'))},{rng.choice(('vow', 'vow', 'gift', 'contribution'))}\n")
    content = out.getvalue().encode()

    t0 = time.perf_counter()
    r = vows.post("/api/finance/receipt-batches", files={"file": ("bench.csv", content, "text/csv")}, timeout=600)
    if r.status_code != 202:
        raise SystemExit(f"{r.status_code}: {r.text}")
    t_checked = time.perf_counter() - t0
    batch = r.json()["id"]
    while (b := vows.get(f"/api/finance/receipt-batches/{batch}", params={"limit": 1}).json())["status"] != "done":
        time.sleep(0.5)
    t_recorded = time.perf_counter() - t0
    if b["accepted"] != receipts:
        raise SystemExit(f"accepted {b['accepted']} of {receipts}: {b}")

    def counted() -> int:
        return vows.get("/api/finance/units/IR-09/figures", params={"period": str(year)}).json()["count"]
    while counted() < receipts:
        if time.perf_counter() - t0 > t_recorded + 1200:
            raise SystemExit(f"the figures count {counted()} of {receipts}")
        time.sleep(0.5)
    t_counted = time.perf_counter() - t0
    figures = vows.get("/api/finance/units/IR-09/figures", params={"period": str(year)}).json()
    assert figures["amount"] >= total

    def latency(path: str, params: dict, repeat: int = 30) -> float:
        times = []
        for _ in range(repeat):
            s = time.perf_counter()
            assert vows.get(path, params=params).status_code == 200
            times.append(time.perf_counter() - s)
        return statistics.median(times) * 1000

    province_year = latency("/api/finance/units/IR-09/figures", {"period": str(year)})
    city_month = latency(f"/api/finance/units/{city}/figures", {"period": str(jalali.period_of(now))})
    print(f"{receipts:,} receipts on {terminals} terminals in one file ({len(content) / 1e6:.1f} MB), "
          "the local store (SecantusDB on WiredTiger)")
    print(f"upload answered (every row read and checked): {t_checked:7.1f}s")
    print(f"recorded in the ledger:                       {t_recorded:7.1f}s  {receipts / t_recorded:8.0f} receipts/s")
    print(f"counted in the province x year figures:      {t_counted:7.1f}s  {receipts / t_counted:8.0f} receipts/s")
    print(f"read model over HTTP, median of 30, right after: province x year {province_year:.1f} ms, "
          f"city x month {city_month:.1f} ms")
    if finance_db is not None:
        # At rest: the relay has published everything and the folders have applied every delta.
        settle = time.perf_counter()
        while (finance_db.outbox.count_documents({"status": "pending"}) or finance_db.figure_deltas.find_one()
               or finance_db.balance_deltas.find_one()):
            time.sleep(1)
        province_year = latency("/api/finance/units/IR-09/figures", {"period": str(year)})
        city_month = latency(f"/api/finance/units/{city}/figures", {"period": str(jalali.period_of(now))})
        print(f"at rest ({time.perf_counter() - settle:.0f}s later), median of 30: province x year "
              f"{province_year:.1f} ms, city x month {city_month:.1f} ms")
    return receipts / t_recorded


def baseline(mongo_uri: str, receipts: int) -> float:
    """Receipts per second of bare inserts of the same documents on the same store (module doc)."""
    client = MongoClient(mongo_uri, tz_aware=True)
    db = client["bench_baseline"]
    for coll in ("receipts", "postings"):
        db[coll].drop()
        for keys in INDEXES[coll]:
            db[coll].create_index(keys)
    now = datetime.now(timezone.utc)
    clock = FixedClock(now)
    path = ["IR", "IR-R5", "IR-09", "IR-09-BASE", "kn_base"]
    t, _ = Terminal.register(terminal_id="BASE-1", kind=TerminalKind.pos, label="x", province_id="IR-09",
                             owner_id="kn_base", owner_path=path, clock=FixedClock(now - timedelta(days=1)))
    docs = []
    for n in range(receipts):
        r, p, _ = Receipt.record(terminal=t, rrn=f"{n:09d}", at=now - timedelta(seconds=n + 1), amount=100_000,
                                 channel=Channel.vow, intent="عمومی", donor=None, by="bench", clock=clock,
                                 batch_id="bt_base")
        docs.append((to_doc(r), to_doc(p)))
    t0 = time.perf_counter()
    for i in range(0, receipts, CHUNK):
        part = docs[i:i + CHUNK]
        with client.start_session() as session:
            with session.start_transaction():
                db.receipts.insert_many([r for r, _ in part], session=session)
                db.postings.insert_many([p for _, p in part], session=session)
    rate = receipts / (time.perf_counter() - t0)
    client.drop_database("bench_baseline")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--receipts", type=int, default=100_000)
    ap.add_argument("--terminals", type=int, default=20)
    ap.add_argument("--baseline", type=int, default=20_000, help="receipts in the bare-insert baseline (0: none)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="khadem-bench-") as data:
        env = dict(os.environ, RABBITMQ_ADMIN_URI=rabbit.ensure(), PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
                   KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD)
        for name in ("AMQP_URI", "MONGO_URI"):
            env.pop(name, None)
        proc = launch(Path(data), env)
        try:
            finance_db = proc.database("finance")   # its own store (the production topology)
            rate = run(proc.base, args.receipts, args.terminals, finance_db)
            if args.baseline:
                bare = baseline(proc.store_uri("finance"), args.baseline)
                print(f"baseline, bare pymongo inserts of the same documents ({args.baseline:,}, {CHUNK} per "
                      f"transaction): {bare:8.0f} receipts/s; the system reached {rate / bare:.0%} of it")
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
