"""Jobs too big for one request (a file of thousands of rows), run beside a service's workers.

A job document (in `JOBS`) is claimed by lease (JOB_LEASE_SECONDS), so one instance runs it and
another takes it over when the lease lapses (a crash, a `kill -9`); the lease is renewed while the
job is prepared (however long a file takes to read) and after every chunk, so a job that is alive is
never prepared twice (`preparations` counts it); its work is a list of chunk documents (in `CHUNKS`),
each recorded in one transaction together with the job's `cursor`, which a chunk's transaction
moves on only from the value it read — so a chunk is recorded once, whoever runs it and however
often a run is cut short. A service subclasses `ChunkJobs` with:

- `prepare(job) -> int | None`: an optional first phase outside any transaction that writes the
  job's chunks (idempotently: deterministic ids) and answers how many there are; None when the job
  had its chunks from the start;
- `record(tx, job, chunk, cursor)`: one chunk, in the caller's transaction, which must move the job's
  cursor from `cursor` (see `advance`).

The runner and each job's lease keeper are managed loops (kernel.loops: `<container>.<JOBS>-runner`,
`<container>.<JOBS>-lease`): whatever a pass raises (the store busy or away, the broker, a fault of
ours) is reported in health and metrics and tried again after a back-off, never the end of the
service's process; a job cut short by it is claimed again, from its cursor, at the next pass.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.errors import PyMongoError

from . import loops
from .errors import Conflict, DomainError
from .messaging import owner_of
from .settings import load_settings
from .store import Store, Transaction

log = logging.getLogger(__name__)


class ChunkJobs(DependencyProvider):
    JOBS = "jobs"
    CHUNKS = "job_chunks"
    POLL_SECONDS = 2.0

    def setup(self):
        settings = load_settings()
        self.lease = timedelta(seconds=settings.job_lease_seconds)
        self.service = owner_of(self.container)
        self.store = Store.connect(settings.mongo_uri, settings.database_name(self.service))
        self.me = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.kicked = threading.Event()
        self.stopping = threading.Event()
        name = f"{self.container.service_name}.{self.JOBS}"
        self.runner_loop = loops.state(self.service, f"{name}-runner", settings.loop_failing_seconds)
        self.lease_loop = loops.state(self.service, f"{name}-lease", settings.loop_failing_seconds)

    def start(self):
        self.container.spawn_managed_thread(self._loop, identifier=f"{self.JOBS}-runner")

    def stop(self):
        self.stopping.set()
        self.kicked.set()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self

    def kick(self) -> None:
        """Start at once rather than at the next poll (a worker that created a job calls it)."""
        self.kicked.set()

    # -- the hooks

    def prepare(self, job: dict) -> int | None:
        return None

    def record(self, tx: Transaction, job: dict, chunk: dict, cursor: int) -> None:
        raise NotImplementedError

    def failed(self, job: dict, exc: DomainError) -> None:
        """A job its prepare phase refused as a whole (an unreadable file): ends it, saying why."""
        self.store.db[self.JOBS].update_one({"_id": job["_id"]}, {"$set": {
            "status": "failed", "error": {"field": exc.field, "message": exc.message},
            "finished_at": datetime.now(timezone.utc), "lease_owner": None, "lease_until": None}})

    # -- the loop

    def _loop(self) -> None:
        loops.run(self.runner_loop, self._pass, self.stopping, first=self.POLL_SECONDS, most=60.0)

    def _pass(self) -> None:
        self.kicked.wait(self.POLL_SECONDS)
        self.kicked.clear()
        while not self.stopping.is_set() and self.run_once():
            pass

    def _claim(self) -> dict | None:
        now = datetime.now(timezone.utc)
        return self.store.db[self.JOBS].find_one_and_update(
            {"status": {"$in": ["pending", "reading", "running"]},
             "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}, {"lease_owner": self.me}]},
            {"$set": {"lease_owner": self.me, "lease_until": now + self.lease}},
            sort=[("created_at", 1)], return_document=ReturnDocument.AFTER)

    def _renew(self, job_id: str, inc: dict | None = None, **fields) -> dict | None:
        update: dict = {"$set": {"lease_until": datetime.now(timezone.utc) + self.lease, **fields}}
        if inc:
            update["$inc"] = inc
        return self.store.db[self.JOBS].find_one_and_update(
            {"_id": job_id, "lease_owner": self.me}, update, return_document=ReturnDocument.AFTER)

    def _keep_lease(self, job_id: str, done: threading.Event, lost: threading.Event) -> None:
        """Renew the job's lease every third of it until `done` (or until it was lost)."""
        every = self.lease.total_seconds() / 3

        def renew():
            if done.wait(0 if self.lease_loop.consecutive_failures else every):
                return loops.STOP
            if self._renew(job_id) is None:
                lost.set()
                return loops.STOP
        # A failed renewal is tried again sooner than the next third (1 s doubling, at most a third).
        loops.run(self.lease_loop, renew, done, first=min(1.0, every), most=every)
        self.lease_loop.ended()

    def run_once(self) -> bool:
        job = self._claim()
        if job is None:
            return False
        # The lease is renewed every third of it for as long as this runner works on the job.
        done, lost = threading.Event(), threading.Event()
        self.container.spawn_managed_thread(lambda: self._keep_lease(job["_id"], done, lost),
                                            identifier=f"{self.JOBS}-lease")
        try:
            self._run(job, lost)
        finally:
            done.set()
        return True

    def _run(self, job: dict, lost: threading.Event) -> None:
        if job["status"] in ("pending", "reading"):
            job = self._renew(job["_id"], inc={"preparations": 1}, status="reading")
            if job is None:
                return
            try:
                chunks = self.prepare(job)
            except DomainError as exc:
                self.failed(job, exc)
                return
            except PyMongoError:
                raise
            except Exception:
                log.exception("%s %s: reading failed", self.JOBS, job["_id"])
                self.failed(job, DomainError("the file could not be read (a fault of ours: quote the job's id)",
                                             "file"))
                return
            if lost.is_set():
                return   # another instance took the job over meanwhile: it prepares it
            job = self._renew(job["_id"], status="running", **({"chunks": chunks} if chunks is not None else {}))
            if job is None:
                return
        elif job["status"] != "running":
            return
        while job["cursor"] < job["chunks"] and not self.stopping.is_set() and not lost.is_set():
            cursor = job["cursor"]
            chunk = self.store.db[self.CHUNKS].find_one({"_id": chunk_id(job["_id"], cursor)})
            started = time.monotonic()
            try:
                self.store.transaction(lambda tx: self.record(tx, job, chunk, cursor),
                                       correlation_id=f"{self.JOBS}-{job['_id']}-{cursor}")
            except Conflict:
                return   # another runner moved on: claim again
            log.info("%s %s: chunk %d of %d recorded in %.2fs", self.JOBS, job["_id"], cursor + 1, job["chunks"],
                     time.monotonic() - started)
            job = self._renew(job["_id"])
            if job is None:
                return   # the lease was lost

    def advance(self, tx: Transaction, job: dict, cursor: int, inc: dict, done_fields: dict | None = None) -> dict:
        """Move the job's cursor past chunk `cursor` with its counts (`inc`), in the chunk's
        transaction; at the last chunk the job is done. Conflict when another runner moved it."""
        done = cursor + 1 >= job["chunks"]
        update: dict = {"$inc": inc, "$set": {"cursor": cursor + 1}}
        if done:
            update["$set"].update(status="done", finished_at=datetime.now(timezone.utc), lease_owner=None,
                                  lease_until=None, **(done_fields or {}))
        res = tx.db[self.JOBS].find_one_and_update({"_id": job["_id"], "cursor": cursor}, update,
                                                   return_document=ReturnDocument.AFTER)
        if res is None:
            raise Conflict("another runner recorded this chunk meanwhile", "job_id")
        return res


def chunk_id(job_id: str, n: int) -> str:
    return f"{job_id}:{n:05d}"
