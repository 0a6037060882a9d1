"""Import a list HQ keeps (members, units or kanoons; .xlsx or .csv) from the command line, through
the gateway like any client, with a progress bar; the refused rows are printed and can be saved.

    python -m web.importer --kind members --username admin members.xlsx [--report refused.csv]

The password is asked for (or taken from KHADEM_PASSWORD); the gateway is GATEWAY_URL
(http://127.0.0.1:8000). `make import KIND=members FILE=members.xlsx USERNAME=admin` runs it."""
from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
import time
import uuid
from pathlib import Path

import httpx

WIDTH = 30


def bar(job: dict) -> str:
    done = int(WIDTH * job["progress"])
    phase = {"pending": "queued", "reading": "reading the file", "running": "recording"}.get(job["status"], job["status"])
    return (f"\r[{'#' * done}{'.' * (WIDTH - done)}] {job['progress'] * 100:5.1f}%  "
            f"{job['done_rows']:,}/{job['rows']:,} rows  accepted {job['accepted']:,}  "
            f"duplicate {job['duplicates']:,}  refused {job['refused']:,}  ({phase})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--kind", required=True, choices=("members", "units", "kanoons"))
    ap.add_argument("--username", required=True)
    ap.add_argument("--url", default=os.environ.get("GATEWAY_URL") or "http://127.0.0.1:8000")
    ap.add_argument("--report", type=Path, help="write the refused rows (row, field, reason) to this CSV")
    args = ap.parse_args(argv)
    password = os.environ.get("KHADEM_PASSWORD") or getpass.getpass(f"password of {args.username}: ")
    with httpx.Client(base_url=args.url, timeout=120) as http:
        r = http.post("/token", data={"username": args.username, "password": password})
        if r.status_code != 200:
            print(f"sign-in refused: {r.json().get('message')}", file=sys.stderr)
            return 2
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        key = uuid.uuid4().hex   # the same key on a retry: the same job, never two
        for attempt in range(5):
            r = http.post("/api/imports", data={"kind": args.kind}, headers={"Idempotency-Key": key},
                          files={"file": (args.file.name, args.file.read_bytes())})
            if r.status_code not in (503, 504):
                break
            time.sleep(float(r.headers.get("Retry-After") or 2))
        if r.status_code != 202:
            body = r.json()
            print(f"refused ({r.status_code}): {body.get('field') or ''} {body.get('message')}", file=sys.stderr)
            return 2
        job = r.json()
        print(f"import {job['id']} of {args.file.name}", file=sys.stderr)
        while job["status"] not in ("done", "failed"):
            print(bar(job), end="", file=sys.stderr, flush=True)
            time.sleep(0.5)
            r = http.get(f"/api/imports/{job['id']}", params={"limit": 1})
            if r.status_code == 200:
                job = r.json()
        print(bar(job), file=sys.stderr)
        if job["status"] == "failed":
            print(f"the file was refused: {job['error']['message']}", file=sys.stderr)
            return 1
        refused = []
        while len(refused) < job["refused"]:
            page = http.get(f"/api/imports/{job['id']}", params={"status": "refused", "limit": 500,
                                                                  "skip": len(refused)}).json()["outcomes"]
            if not page:
                break
            refused += page
        for o in refused[:20]:
            print(f"  row {o['row']}: {o.get('field') or ''}: {o.get('reason')}", file=sys.stderr)
        if len(refused) > 20:
            print(f"  … and {len(refused) - 20:,} more", file=sys.stderr)
        if args.report:
            with args.report.open("w", newline="", encoding="utf-8-sig") as f:
                w = csv.writer(f)
                w.writerow(["row", "field", "reason"])
                w.writerows([o["row"], o.get("field") or "", o.get("reason") or ""] for o in refused)
            print(f"refused rows written to {args.report}", file=sys.stderr)
        print(f"{job['accepted']} accepted, {job['duplicates']} duplicates, {job['refused']} refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
