"""A service used only by the kernel's tests: a reliable handler that applies each event once and
fails on demand, a command that increments a counter, and a command that holds a transaction open
until its process is killed — so retries, parking, redelivery, deadlines and abandoned transactions
can be observed; and, for several instances side by side, a periodic duty (`tick`, every
PROBE_TICK_SECONDS) and a job whose preparation takes as long as it is told; and a folder whose
`apply` raises, while a `faults` document says so, what the store or the broker may raise. Its
administrator is the user named by PROBE_ADMIN_USER."""
import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from kombu.exceptions import OperationalError

from kernel.errors import Unavailable
from kernel.fold import Folder
from kernel.jobs import ChunkJobs, chunk_id
from kernel.messaging import batch_event_handler, reliable_event_handler
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc


def tick(store) -> None:
    store.db.ticks.insert_one({"pid": os.getpid(), "at": datetime.now(timezone.utc)})


FAULTS = {"unavailable": lambda: Unavailable("injected: the store is busy with a conflicting change"),
          "broker": lambda: OperationalError("injected: the broker closed the connection"),
          "ours": lambda: KeyError("injected: a fault of ours")}


def fold_probe(db, rows) -> None:
    """Adds each delta to its counter, unless the `faults` document asks for a failure."""
    fault = db.faults.find_one({"_id": "fold"})
    if fault is not None:
        raise FAULTS[fault["kind"]]()
    for r in rows:
        db.folded.update_one({"_id": r["counter"]}, {"$inc": {"n": r["n"]}}, upsert=True)


class SlowJobs(ChunkJobs):
    """A job whose preparation takes `seconds` (in small sleeps, as a long read yields) and makes
    `chunks` chunks; each chunk's recording is counted."""

    def prepare(self, job: dict) -> int:
        self.store.db.preparations.insert_one({"job_id": job["_id"], "pid": os.getpid()})
        until = time.monotonic() + job["seconds"]
        while time.monotonic() < until:
            time.sleep(0.05)
        self.store.db[self.CHUNKS].delete_many({"job_id": job["_id"]})
        self.store.db[self.CHUNKS].insert_many([{"_id": chunk_id(job["_id"], i), "job_id": job["_id"]}
                                                for i in range(job["chunks_wanted"])])
        return job["chunks_wanted"]

    def record(self, tx, job, chunk, cursor):
        tx.db.recorded.insert_one({"chunk": chunk["_id"], "pid": os.getpid()})
        self.advance(tx, job, cursor, {})


class _Repo:
    def __init__(self, db):
        self.db = db


class ProbeService(DomainService):
    name = "probe"
    repository = _Repo
    store = StoreProvider(periodic={"tick": (lambda st: float(os.environ.get("PROBE_TICK_SECONDS") or 3600), tick)})
    ctx = ContextProvider()
    jobs = SlowJobs()
    folder = Folder("probe", "probe_deltas", fold_probe, interval=0.1)

    @rpc
    def whoami(self):
        return os.getpid()

    @rpc
    def start_job(self, seconds: float, chunks: int) -> str:
        job_id = uuid.uuid4().hex
        self.store.db.jobs.insert_one({"_id": job_id, "status": "pending", "seconds": seconds, "chunks_wanted": chunks,
                                       "cursor": 0, "chunks": 0, "created_at": datetime.now(timezone.utc),
                                       "lease_owner": None, "lease_until": None})
        return job_id

    def _caller_is_admin(self) -> bool:
        return bool(self.ctx.user_id) and self.ctx.user_id == os.environ.get("PROBE_ADMIN_USER")

    @reliable_event_handler("probesrc", "probesrc.thing.happened.v1")
    def on_thing(self, event):
        self.store.db.attempts.update_one({"_id": event["id"]}, {"$inc": {"n": 1}}, upsert=True)
        if event["data"].get("fail"):
            raise RuntimeError("asked to fail")
        counter = event["data"].get("counter", "count")
        self.store.apply("on_thing", event, lambda tx: tx.db.applied.update_one(
            {"_id": counter}, {"$inc": {"n": 1}}, upsert=True), budget_seconds=1.0)

    @batch_event_handler("probesrc", "probesrc.batch.v1")
    def on_batch(self, events):
        """Batches: records each batch's size, fails the whole batch when any event asks to, else
        applies each event once to its counter, all in one transaction."""
        self.store.db.batches.insert_one({"size": len(events), "ids": [e["id"] for e in events]})
        for e in events:
            self.store.db.attempts.update_one({"_id": e["id"]}, {"$inc": {"n": 1}}, upsert=True)
        if any(e["data"].get("fail") for e in events):
            raise RuntimeError("asked to fail")
        self.store.apply_batch("on_batch", events, lambda db, e: db.applied.update_one(
            {"_id": e["data"].get("counter", "count")}, {"$inc": {"n": 1}}, upsert=True), budget_seconds=2.0)

    @rpc
    def batch_sizes(self):
        return [b["size"] for b in self.store.db.batches.find({}, {"size": 1})]

    @rpc
    def counts(self, event_id, counter="count"):
        a = self.store.db.attempts.find_one({"_id": event_id}) or {}
        c = self.store.db.applied.find_one({"_id": counter}) or {}
        return {"attempts": a.get("n", 0), "applied": c.get("n", 0)}

    @rpc
    def increment(self, counter):
        """A command: one more on the counter, in a transaction bounded by the request's deadline."""
        return self._write(lambda repo, tx: repo.db.applied.update_one(
            {"_id": counter}, {"$inc": {"n": 1}}, upsert=True).modified_count)

    @rpc
    def hold(self, counter, marker):
        """Writes the counter inside a transaction, says so in the file `marker`, and never commits."""
        def work(tx):
            tx.db.applied.update_one({"_id": counter}, {"$inc": {"n": 1000}}, upsert=True)
            Path(marker).write_text("held")
            time.sleep(3600)
        self.store.transaction(work, deadline=time.time() + 3600)

    @rpc
    def add_delta(self, counter: str, n: int) -> None:
        self.store.db.probe_deltas.insert_one({"_id": uuid.uuid4().hex, "counter": counter, "n": n,
                                               "at": datetime.now(timezone.utc)})

    @rpc
    def folded(self, counter: str) -> int:
        return (self.store.db.folded.find_one({"_id": counter}) or {}).get("n", 0)

    @rpc
    def inject_fold_fault(self, kind: str | None) -> None:
        """The folder's `apply` raises this kind of error (FAULTS) from now on; None: no more."""
        if kind is None:
            self.store.db.faults.delete_one({"_id": "fold"})
        else:
            self.store.db.faults.replace_one({"_id": "fold"}, {"kind": kind}, upsert=True)

    @rpc
    def slow(self, seconds):
        time.sleep(float(seconds))
        return "done"
