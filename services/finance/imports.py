"""Importing a file of receipts (DOMAIN §5.1) as a job: the request reads and checks every row and
answers at once with the batch's id; a runner beside the service's workers records the accepted
rows a chunk at a time, each chunk in one transaction with its receipts, postings, one event and the
batch's progress. A row is applied whole or not at all; a run cut short resumes where it stopped
(another instance takes the batch over when its lease lapses), and a file imported again finds its
rows recorded and reports them as duplicates."""
from __future__ import annotations

import logging
import os

from pymongo import ReturnDocument

from kernel import personal
from kernel.clock import SYSTEM as clock
from kernel.errors import Conflict, Invalid
from kernel.jobs import ChunkJobs
from kernel.sheets import rows_of
from kernel.store import Transaction

from .domain import rules
from .domain.batches import MAX_ROWS, Outcome, Row, chunk_event, header_map, read_row
from .domain.receipts import Receipt
from .events import BatchImported, PersonalDataAccessed
from .repository import DONOR_SEALED, Repository

log = logging.getLogger(__name__)
# Rows per transaction. Small: on the local store a long transaction stalls every other one
# (docs/decisions.md, Finance); a production MongoDB takes far more.
CHUNK = int(os.environ.get("FINANCE_IMPORT_CHUNK", "50"))


def prepare(repo: Repository, actor, batch_id: str, file_name: str, content: bytes, by: str) -> tuple[dict, list[dict]]:
    """Read and check every row (nothing is recorded yet): the batch document and its chunks of rows,
    each row either to record or already decided (refused, or a duplicate earlier in the file)."""
    fmt, header, raw = rows_of(content, MAX_ROWS)
    columns = header_map(header)
    parsed: list[Row | Outcome] = []
    for n, cells in enumerate(raw, start=1):
        try:
            parsed.append(read_row(n, list(cells), columns))
        except Invalid as exc:
            parsed.append(Outcome(row=n, status="refused", field=exc.field, reason=exc.message))
    terminals = repo.terminals(sorted({r.terminal_id for r in parsed if isinstance(r, Row)}))
    provinces: set[str] = set()
    seen: set[str] = set()
    rows: list[dict] = []
    for item in parsed:
        if isinstance(item, Outcome):
            rows.append({"row": item.row, "outcome": item.model_dump()})
            continue
        t = terminals.get(item.terminal_id)
        key = Receipt.key(item.terminal_id, item.rrn)
        refusal = None
        if t is None:
            refusal = ("terminal_id", f"no terminal {item.terminal_id}")
        elif t.retired:
            refusal = ("terminal_id", f"the terminal {t.id} is retired")
        elif not actor.covers(t.owner_path, rules.VOWS_STAFF):
            refusal = ("terminal_id", f"the terminal {t.id} is not in a province you cover")
        elif key in seen:
            rows.append({"row": item.row, "outcome": Outcome(row=item.row, status="duplicate", receipt_id=key,
                                                             reason="the same receipt earlier in this file").model_dump()})
            continue
        if refusal:
            rows.append({"row": item.row, "outcome": Outcome(row=item.row, status="refused", field=refusal[0],
                                                             reason=refusal[1]).model_dump()})
            continue
        seen.add(key)
        provinces.add(t.province_id)
        # A donor's name waits for the runner sealed, as it will be stored (kernel.personal).
        rows.append({"row": item.row, "data": personal.sealer().seal_doc(item.model_dump(mode="json"), DONOR_SEALED)})
    if not rows:
        raise Invalid("the file has a header but no receipts", "file")
    chunks = [{"_id": f"{batch_id}:{i // CHUNK:05d}", "batch_id": batch_id, "chunk": i // CHUNK,
               "rows": rows[i:i + CHUNK]} for i in range(0, len(rows), CHUNK)]
    now = clock.now()
    batch = {"_id": batch_id, "file_name": file_name[:200], "format": fmt, "status": "pending", "rows": len(rows),
             "chunks": len(chunks), "cursor": 0, "accepted": 0, "duplicates": 0, "refused": 0, "amount": 0,
             "province_ids": sorted(provinces), "imported_by": by, "created_at": now, "finished_at": None,
             "lease_owner": None, "lease_until": None}
    return batch, chunks


def record_chunk(tx: Transaction, batch_id: str, chunk: dict, expected_cursor: int) -> None:
    """Record one chunk's rows in the caller's transaction, with the batch's progress."""
    repo = Repository(tx.db)
    todo = [r for r in chunk["rows"] if "data" in r]
    keys = [Receipt.key(r["data"]["terminal_id"], r["data"]["rrn"]) for r in todo]
    already = repo.recorded(keys)
    terminals = repo.terminals(sorted({r["data"]["terminal_id"] for r in todo}))
    projects = repo.projects(sorted({r["data"]["project_id"] for r in todo if r["data"].get("project_id")}))
    recorded, outcomes = [], []
    counts = {"accepted": 0, "duplicates": 0, "refused": 0, "amount": 0}
    for r in chunk["rows"]:
        if "outcome" in r:
            o = Outcome(**r["outcome"])
        else:
            row = Row(**personal.sealer().open_doc(r["data"], DONOR_SEALED))
            key = Receipt.key(row.terminal_id, row.rrn)
            if key in already:
                o = Outcome(row=row.row, status="duplicate", receipt_id=key, reason="recorded before")
            else:
                try:
                    if row.project_id:
                        if row.project_id not in projects:
                            raise Invalid(f"no project {row.project_id}", "project_id")
                        projects[row.project_id].check_open_for(terminals[row.terminal_id].owner_path)
                    receipt, posting, _ = Receipt.record(
                        terminal=terminals[row.terminal_id], rrn=row.rrn, at=row.at, amount=row.amount,
                        channel=row.channel, intent=row.intent, donor=row.donor, project_id=row.project_id,
                        by=chunk.get("by", "import"), clock=clock, batch_id=batch_id)
                except (Invalid, Conflict) as exc:
                    o = Outcome(row=row.row, status="refused", field=exc.field, reason=exc.message)
                else:
                    recorded.append((receipt, posting))
                    o = Outcome(row=row.row, status="accepted", receipt_id=key)
                    counts["amount"] += row.amount
        outcomes.append(o.model_dump())
        counts[{"accepted": "accepted", "duplicate": "duplicates", "refused": "refused"}[o.status]] += 1
    if recorded:
        repo.add_receipts(recorded)
        tx.emit(chunk_event(batch_id, chunk["chunk"], recorded))
        donors: dict[tuple, list[str]] = {}
        for receipt, _ in recorded:
            if receipt.donor:
                donors.setdefault(tuple(receipt.owner_path), []).append(receipt.id)
        for path, ids in donors.items():   # the audit trail of the donors recorded (kernel.personal)
            tx.emit(personal.accessed(PersonalDataAccessed, None, "donor", "create", ids, list(path),
                                      person_id=chunk.get("by")))
    # The outcomes go in a document of their own: a chunk's rows are written once and never rewritten.
    tx.db.batch_outcomes.insert_one({"_id": chunk["_id"], "batch_id": batch_id, "chunk": chunk["chunk"],
                                     "outcomes": outcomes})
    done = expected_cursor + 1 >= chunk["of"]
    update = {"$inc": counts, "$set": {"cursor": expected_cursor + 1}}
    if done:
        update["$set"].update(status="done", finished_at=clock.now(), lease_owner=None, lease_until=None)
    res = tx.db.batches.find_one_and_update({"_id": batch_id, "cursor": expected_cursor}, update,
                                            return_document=ReturnDocument.AFTER)
    if res is None:
        raise Conflict("another runner recorded this chunk meanwhile", "batch_id")
    if done:
        tx.emit(BatchImported(batch_id=batch_id, province_id=",".join(res["province_ids"]), rows=res["rows"],
                              accepted=res["accepted"], duplicates=res["duplicates"], refused=res["refused"],
                              amount=res["amount"]))


class BatchRunner(ChunkJobs):
    """Beside the service's workers: takes pending batches (by lease, kernel.jobs) and records them
    chunk by chunk (their rows were read and checked by the request)."""
    JOBS = "batches"
    CHUNKS = "batch_chunks"

    def record(self, tx: Transaction, job: dict, chunk: dict, cursor: int) -> None:
        chunk.update(of=job["chunks"], by=job["imported_by"])
        record_chunk(tx, job["_id"], chunk, cursor)


def report(batch: dict, outcomes: list[dict]) -> dict:
    out = {k: batch[k] for k in ("file_name", "format", "status", "rows", "chunks", "accepted", "duplicates",
                                  "refused", "amount", "created_at", "finished_at")}
    out["id"] = batch["_id"]
    for k in ("created_at", "finished_at"):
        out[k] = out[k].isoformat() if out[k] is not None else None
    out["progress"] = round(batch["cursor"] / batch["chunks"], 4) if batch["chunks"] else 1.0
    out["outcomes"] = outcomes
    return out


