"""What slows writes on the local store: a transaction held open while others write.

Starts its own SecantusDB (throw-away data folder) and inserts receipt-shaped documents and their
postings, `--chunk` per transaction, the way the finance import does, in three settings measured in
the same run:

  alone      nothing else on the store;
  busy       another client commits a small transaction every 10 ms (an update and an insert, as the
             relay, heartbeats and handlers do);
  held       the same, and a third client keeps a read transaction open for 5 s at a time (as a
             transaction does when its client stalls).

It prints receipts per second, the ratio of each to `alone`, and how many chunks took longer than
0.3 s. The finance import's own figures are in `bench.finance_import`; this isolates the store.

    python -m bench.store_contention                  # 30,000 receipts per setting, 50 per transaction
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pymongo import MongoClient

from devenv import store
from services.finance.repository import INDEXES
from tests.conftest import free_port, wait_port

PATH = ["IR", "IR-R5", "IR-09", "IR-09-X", "kn_a"]


def receipt(i: int, now: datetime) -> tuple[dict, dict]:
    rid = f"T{i % 10}:{i}"
    return ({"_id": rid, "terminal_id": f"T{i % 10}", "rrn": str(i), "at": now - timedelta(seconds=i), "amount": 1000,
             "channel": "vow", "intent": "عمومی", "donor": None, "owner_id": "kn_a", "owner_path": PATH,
             "province_id": "IR-09", "project_id": None, "posting_id": f"pt_{i}", "batch_id": "b1",
             "reversed": False, "reversal_reason": None, "recorded_at": now, "version": 0},
            {"_id": f"pt_{i}", "kind": "receipt", "ref": rid, "reverses": None, "reversed_by": None, "at": now,
             "by": "bench", "lines": [{"account": f"terminal:T{i % 10}", "amount": 1000},
                                      {"account": "income:vow:kn_a", "amount": -1000}]})


def run(client: MongoClient, setting: str, n: int, chunk: int) -> tuple[float, int]:
    db = client[f"contention_{setting}"]
    for coll in ("receipts", "postings"):
        for keys in INDEXES[coll]:
            db[coll].create_index(keys)
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            with client.start_session() as s, s.start_transaction():
                db.heartbeat.update_one({"_id": "x"}, {"$inc": {"n": 1}}, upsert=True, session=s)
                db.outbox.insert_one({"_id": uuid.uuid4().hex, "x": "y" * 200}, session=s)
            time.sleep(0.01)

    def held():
        while not stop.is_set():
            with client.start_session() as s, s.start_transaction():
                db.heartbeat.find_one({"_id": "x"}, session=s)
                stop.wait(5)

    threads = [threading.Thread(target=f, daemon=True) for f in
               {"alone": [], "busy": [busy], "held": [busy, held]}[setting]]
    for t in threads:
        t.start()
    now = datetime.now(timezone.utc)
    slow = 0
    t0 = time.perf_counter()
    for start in range(0, n, chunk):
        docs = [receipt(i, now) for i in range(start, min(n, start + chunk))]
        c0 = time.perf_counter()
        with client.start_session() as s, s.start_transaction():
            db.receipts.insert_many([r for r, _ in docs], session=s)
            db.postings.insert_many([p for _, p in docs], session=s)
        slow += time.perf_counter() - c0 > 0.3
    rate = n / (time.perf_counter() - t0)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    return rate, slow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--receipts", type=int, default=30_000)
    ap.add_argument("--chunk", type=int, default=50)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="khadem-contention-"))
    port = free_port()
    proc = subprocess.Popen(store.command(port, data / "store"), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc)
        client = MongoClient(store.uri(port), tz_aware=True)
        results = {s: run(client, s, args.receipts, args.chunk) for s in ("alone", "busy", "held")}
        print(f"{args.receipts:,} receipts per setting, {args.chunk} per transaction, the local store "
              "(SecantusDB on WiredTiger)")
        for setting, (rate, slow) in results.items():
            print(f"{setting:6s} {rate:8.0f} receipts/s  {rate / results['alone'][0]:5.0%} of alone  "
                  f"{slow} chunks over 0.3 s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
