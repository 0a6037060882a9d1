"""Hot read-model documents written by one writer: handlers record deltas, a folder applies them.

A read model that many events update at once (a province's monthly counters: every report in the
province adds to the same few documents) would make every handler's transaction conflict with every
other's, and a process killed inside one would lock those documents for the store's 60 s. Instead a
handler only inserts its delta (a document of its own, keyed by the event id, beside its inbox row:
nothing to conflict on), and a folder — one per service at a time, by lease — takes the pending
deltas in batches, sums them per target document and applies each batch in one short transaction.
The read model lags by a fold (a fraction of a second); a crash between folds loses nothing (the
deltas stay until the transaction that applied them deletes them).

The fold is a managed loop (kernel.loops): a pass that fails — the store busy with the documents a
killed process's transaction still holds (`Unavailable`, up to the store's 60 s), the store or the
broker away, a fault in `apply` — is reported in the loop's state (`<container>.fold-<name>`: the
service's `ping`, /health, `khadem_loop_*`) and tried again after a back-off; the deltas wait, none
is lost, and the process goes on (before, such a fault ended the fold's thread, and nameko the
process with it).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError

from . import loops
from .messaging import owner_of
from .settings import load_settings
from .store import Db, Store

log = logging.getLogger(__name__)
IDLE_MAX = 5.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Folder(DependencyProvider):
    """Runs beside a service's workers: folds `deltas` into the read model with `apply(db, rows)`
    (inside one transaction per batch). Workers get a `kick()` to fold without waiting."""

    def __init__(self, name: str, deltas: str, apply: Callable[[Db, list[dict]], None], batch: int = 500,
                 interval: float = 0.25, lease_seconds: float = 15.0, **kwargs):
        self.name = name
        self.deltas = deltas
        self.apply = apply
        self.batch = batch
        self.interval = interval
        self.lease = timedelta(seconds=lease_seconds)
        super().__init__(**kwargs)

    def setup(self):
        settings = load_settings()
        self.store = Store.connect(settings.mongo_uri, settings.database_name(owner_of(self.container)))
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.kicked = threading.Event()
        self.stopping = threading.Event()
        self.store.db[self.deltas].create_index("at")
        self.loop = loops.state(owner_of(self.container), f"{self.container.service_name}.fold-{self.name}",
                                settings.loop_failing_seconds)
        self._wait = self.interval

    def start(self):
        self.container.spawn_managed_thread(self._loop, identifier=f"fold-{self.name}")

    def stop(self):
        self.stopping.set()
        self.kicked.set()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self

    def kick(self) -> None:
        self.kicked.set()

    def worker_teardown(self, worker_ctx):
        self.kick()  # a handler may have recorded a delta: fold it now, not at the next tick

    def _loop(self) -> None:
        loops.run(self.loop, self._pass, self.stopping)

    def _pass(self) -> None:
        # Idle, the folder looks less and less often (up to IDLE_MAX seconds): asking an empty but
        # much-written collection for its first document costs the local store a scan of what was
        # deleted. A handler of this process kicks it at once; another instance's deltas wait at
        # most IDLE_MAX.
        kicked = self.kicked.wait(self._wait)
        self.kicked.clear()
        folded = False
        while (not self.stopping.is_set() and self.pending()
               and self._holds_lease() and self.fold_once()):
            folded = True
        self._wait = self.interval if (folded or kicked) else min(self._wait * 2, IDLE_MAX)

    def pending(self) -> bool:
        """A read first, so that an idle folder writes nothing (not even its lease)."""
        return self.store.db[self.deltas].find_one({}, {"_id": 1}) is not None

    def _holds_lease(self) -> bool:
        now = _now()
        try:
            self.store.db.leases.find_one_and_update(
                {"_id": self.name, "$or": [{"until": {"$lt": now}}, {"owner": self.owner}]},
                {"$set": {"owner": self.owner, "until": now + self.lease}}, upsert=True)
        except DuplicateKeyError:
            return False  # another instance folds
        return True

    def fold_once(self) -> int:
        """Apply one batch of pending deltas; returns how many."""
        def work(tx):
            rows = tx.db[self.deltas].find({}, sort=[("at", 1)], limit=self.batch)
            if rows:
                self.apply(tx.db, rows)
                tx.db[self.deltas].delete_many({"_id": {"$in": [r["_id"] for r in rows]}})
            return len(rows)
        t0 = time.perf_counter()
        n, _, _ = self.store.transaction(work, deadline=time.time() + 10)
        if n:
            log.debug("%s: folded %d deltas in %.0f ms", self.name, n, (time.perf_counter() - t0) * 1000)
        return n or 0
