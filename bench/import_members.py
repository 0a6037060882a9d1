"""Members imported from one Excel file through the running system, end to end: upload over HTTP →
gateway → registry (file kept) → the import runner reads and checks every row → chunks recorded in
transactions with their events → the job says done.

    python -m bench.import_members                     # 100,000 members
    python -m bench.import_members --members 20000

It starts what `make run` starts (temporary data, free ports; `MONGO_URI`, when set, is used as the
store), writes an .xlsx of N members with plausible, valid rows spread over Khorasan Razavi's
counties (deterministic from --seed), times the import from the upload to `done` (and its two
phases), checks every row landed once, then measures a baseline in the same run on the same store:
bare pymongo `insert_many` of as many person documents, with the registry's own indexes, in the same
chunks per transaction. Goal: ≥ 2,000 members/s end to end."""
from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from pathlib import Path

import openpyxl
from pymongo import MongoClient

from bench.reports_ingest import ADMIN_PASSWORD, start_system
from devenv.launch import stop
from kernel.persian import is_valid_national_id
from tests.system.helpers import sign_in

FIRST = ("علی", "محمد", "حسین", "رضا", "مهدی", "زهرا", "فاطمه", "مریم", "سکینه", "معصومه", "حسن", "جواد", "نرگس", "سمیه")
LAST = ("رضایی", "محمدی", "حسینی", "کریمی", "احمدی", "موسوی", "جعفری", "صادقی", "رضوی", "قاسمی", "طاهری", "نوری")
EDUCATION = ("ابتدایی", "زیر دیپلم", "دیپلم", "کاردانی", "کارشناسی", "کارشناسی ارشد", "دکتری")
HEADER = ["کد ملی", "نام", "نام خانوادگی", "نوع", "جنسیت", "تاریخ تولد", "تحصیلات", "شغل", "شهرستان",
          "تلفن همراه", "کد خدمتی"]


def national_ids(rng: random.Random, n: int) -> list[str]:
    out, seen = [], set()
    while len(out) < n:
        body = f"{rng.randrange(1, 999_999_999):09d}"
        r = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
        nid = body + str(r if r < 2 else 11 - r)
        if nid not in seen and is_valid_national_id(nid):
            seen.add(nid)
            out.append(nid)
    return out


def members_file(n: int, cities: list[str], seed: int) -> bytes:
    rng = random.Random(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("اعضا")
    sheet.append(HEADER)
    for i, nid in enumerate(national_ids(rng, n)):
        khademyar = rng.random() < 0.4
        sheet.append([nid, rng.choice(FIRST), rng.choice(LAST), "خادمیار" if khademyar else "یاور",
                      rng.choice(("مرد", "زن")), f"{rng.randrange(1330, 1385)}/{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}",
                      rng.choice(EDUCATION), rng.choice(("معلم", "کارمند", "آزاد", "دانشجو", "خانه‌دار", "بازنشسته")),
                      rng.choice(cities), f"09{rng.randrange(10**8, 10**9)}", f"09-{nid}" if khademyar else None])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def baseline(mongo_uri: str, n: int, chunk: int) -> float:
    """Bare inserts of n person documents, the registry's indexes in place, `chunk` per transaction."""
    from services.registry.repository import ensure_indexes   # the registry's own indexes
    from kernel.store import Db
    client = MongoClient(mongo_uri, tz_aware=True)
    name = f"bench_baseline_{int(time.time())}"
    db = client[name]
    ensure_indexes(Db(db))
    rng = random.Random(7)
    docs = [{"_id": f"p_{i:016x}", "kind": "yavar", "national_id": nid, "first_name": "علی", "last_name": "رضایی",
             "gender": "male", "education": "diploma", "city_id": "IR-09-MSH", "city_path": ["IR", "IR-R5", "IR-09", "IR-09-MSH"],
             "mobile": "09151234567", "service_code": None, "kanoon_id": None, "kanoon_path": [], "name_tokens": ["علی", "رضایی"],
             "registered_at": None, "version": 0} for i, nid in enumerate(national_ids(rng, n))]
    started = time.perf_counter()
    for i in range(0, n, chunk):
        with client.start_session() as s:
            s.with_transaction(lambda s: db.people.insert_many(docs[i:i + chunk], session=s))
    elapsed = time.perf_counter() - started
    client.drop_database(name)
    return n / elapsed


def run(base: str, mongo_uri: str, n: int, seed: int) -> None:
    admin = sign_in(base, "admin", ADMIN_PASSWORD)
    cities = [u["id"] for u in admin.get("/api/units", params={"parent_id": "IR-09"}).json()]
    t0 = time.perf_counter()
    content = members_file(n, cities, seed)
    print(f"file: {n:,} members, {len(content) / 1e6:.1f} MB, written in {time.perf_counter() - t0:.1f}s")
    started = time.perf_counter()
    r = admin.post("/api/imports", data={"kind": "members"}, files={"file": ("members.xlsx", content)}, timeout=120)
    assert r.status_code == 202, r.text
    job = r.json()
    accepted_at = time.perf_counter()
    read_at = None
    while job["status"] not in ("done", "failed"):
        time.sleep(0.5)
        job = admin.get(f"/api/imports/{job['id']}", params={"limit": 1}).json()
        if read_at is None and job["status"] == "running":
            read_at = time.perf_counter()
        print(f"\r  {job['status']:8} {job['progress'] * 100:5.1f}%  {job['done_rows']:,}/{job['rows']:,}", end="", flush=True)
    done_at = time.perf_counter()
    print()
    if job["status"] != "done" or job["accepted"] != n:
        raise SystemExit(f"the import did not land every row: {job}")
    rate = n / (done_at - started)
    read_at = read_at or accepted_at
    print(f"upload answered in {accepted_at - started:.1f}s; reading and checking {read_at - accepted_at:.1f}s; "
          f"recording {done_at - read_at:.1f}s")
    print(f"members imported end to end: {rate:,.0f}/s ({n:,} in {done_at - started:.1f}s; goal ≥ 2,000/s)")
    # Every row once: the registry holds n people from this import.
    client = MongoClient(mongo_uri, tz_aware=True)
    prefix = [d for d in client.list_database_names() if d.endswith("registry")][0]
    assert client[prefix].people.count_documents({"kind": {"$in": ["khademyar", "yavar"]}}) >= n
    base_rate = baseline(mongo_uri, n, 500)
    print(f"baseline, bare inserts with the registry's indexes, 500 per transaction: {base_rate:,.0f}/s; "
          f"the import is {rate / base_rate:.0%} of it")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1405)
    args = ap.parse_args()
    import os
    with tempfile.TemporaryDirectory(prefix="khadem-bench-") as data:
        proc, base = start_system(Path(data))
        mongo = os.environ.get("MONGO_URI") or _store_uri(Path(data))
        try:
            run(base, mongo, args.members, args.seed)
        finally:
            stop(proc)


def _store_uri(data: Path) -> str:
    import re
    out = (data / "run.out").read_text()
    return re.findall(r"run: store at (\S+)", out)[-1]


if __name__ == "__main__":
    main()
