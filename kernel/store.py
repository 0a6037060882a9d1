"""MongoDB access for a service: transactions that carry their events (outbox), the ids of the events
they applied (inbox) and the outcome of the client's command (idempotency keys).

Repositories receive a `Db`: collections whose calls run inside the transaction (the session is passed
for them) or, outside one, directly.

What is retried: a transaction that fails with MongoDB's `TransientTransactionError` label (a write
conflict: another transaction holds a document it writes) runs again from the start, with jittered
back-off, until its deadline; then `Unavailable` says nothing was done. A commit whose result is
unknown (`UnknownTransactionCommitResult`) is committed again until the deadline; then
`OutcomeUnknown` says so. Nothing else is retried.

A transaction whose client died keeps the documents it wrote locked until the store aborts it
(MongoDB's `transactionLifetimeLimitSeconds`, 60 s; the local store the same). Commands therefore
answer 503 within their deadline while that lasts, and event handlers defer the message (see
`kernel.messaging`), so that nobody waits 60 s holding a worker.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, TypeVar

from pymongo import ASCENDING, MongoClient
from pymongo.client_session import ClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from .errors import Invalid, OutcomeUnknown, Unavailable
from .events import Envelope, EventData

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTBOX = "outbox"
INBOX = "inbox"
INBOX_HORIZONS = "inbox_horizons"
IDEMPOTENCY = "idempotency_keys"
PARKED = "parked_messages"
HEARTBEATS = "heartbeats"
PERIODIC = "periodic_runs"
OUTBOX_HORIZON = "outbox_horizon"

# How long a transaction may keep retrying when its caller gave no deadline.
DEFAULT_BUDGET_SECONDS = 10.0


def is_transient(exc: BaseException) -> bool:
    """MongoDB's own word that the whole transaction may be tried again (a write conflict)."""
    return isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")


def _commit_unknown(exc: BaseException) -> bool:
    return isinstance(exc, PyMongoError) and exc.has_error_label("UnknownTransactionCommitResult")


class Collection:
    """A pymongo collection, bound to the session when used inside a transaction."""

    def __init__(self, raw, session: ClientSession | None):
        self.raw = raw
        self.session = session

    def _kw(self, kwargs: dict) -> dict:
        if self.session is not None:
            kwargs["session"] = self.session
        return kwargs

    def find(self, *args, **kwargs) -> list[dict]:
        """Always a list: a cursor read lazily would escape the transaction."""
        return list(self.raw.find(*args, **self._kw(kwargs)))

    def aggregate(self, pipeline, **kwargs) -> list[dict]:
        return list(self.raw.aggregate(pipeline, **self._kw(kwargs)))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self.raw, name)
        return lambda *a, **k: method(*a, **self._kw(k))


class Db:
    def __init__(self, raw_db, session: ClientSession | None = None):
        self.raw = raw_db
        self.session = session

    def __getattr__(self, name: str) -> Collection:
        if name.startswith("_"):
            raise AttributeError(name)
        return Collection(self.raw[name], self.session)

    def __getitem__(self, name: str) -> Collection:
        return Collection(self.raw[name], self.session)


class Transaction:
    """What a unit of work sees: the session-bound Db and a way to record events."""

    def __init__(self, db: Db, correlation_id: str | None):
        self.db = db
        self.correlation_id = correlation_id
        self.events: list[Envelope] = []

    def emit(self, *payloads: EventData) -> None:
        for payload in payloads:
            self.events.append(Envelope.wrap(payload, self.correlation_id))


@dataclass(frozen=True)
class InboxEntry:
    """The event a handler applies, remembered under `consumer` so that it is applied once."""
    consumer: str
    event_id: str
    event_time: datetime

    @classmethod
    def of(cls, consumer: str, envelope: dict) -> "InboxEntry":
        return cls(consumer, str(envelope["id"]), event_time(envelope))

    @property
    def key(self) -> str:
        return f"{self.consumer}:{self.event_id}"


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key for one command (`Idempotency-Key`, scoped to the caller) and the fingerprint
    of the request it came with (method, path and body)."""
    key: str
    fingerprint: str


def event_time(envelope: dict) -> datetime:
    raw = envelope.get("time")
    if isinstance(raw, datetime):
        t = raw
    else:
        try:
            t = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            t = datetime.now(timezone.utc)
    t = t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    # As the store keeps it (BSON dates are milliseconds), so that comparisons with stored times hold.
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def _duplicate_inbox_key(exc: BaseException) -> bool:
    """The write failed only because an inbox row exists already (another worker's, just committed)."""
    if isinstance(exc, BulkWriteError):
        errors = (exc.details or {}).get("writeErrors") or []
        return bool(errors) and all(e.get("code") == 11000 for e in errors)
    return isinstance(exc, DuplicateKeyError)


class _Again(Exception):
    """Run the transaction again (another one committed the same idempotency key meanwhile)."""


HELD_WARNING_SECONDS = 2.0


class Store:
    """One service's database. Thread/greenlet safe: pymongo's client is."""

    def __init__(self, client: MongoClient, database: str, inbox_retention: timedelta = timedelta(days=30)):
        self.client = client
        self.raw = client[database]
        self.db = Db(self.raw)
        self.inbox_retention = inbox_retention

    @classmethod
    def connect(cls, uri: str, database: str, **kwargs) -> "Store":
        client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
        return cls(client, database, **kwargs)

    def ensure_kernel_indexes(self) -> None:
        db = self.db
        # The relay's order, and the replays' (kernel.relay.REPLAY_ORDER: the id breaks ties, so that a
        # replay's cursor is exact).
        db.outbox.create_index([("status", ASCENDING), ("created_at", ASCENDING), ("seq", ASCENDING),
                                ("_id", ASCENDING)])
        db.outbox.create_index([("subject", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)])
        db.outbox.create_index([("type", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
        db.parked_messages.create_index([("status", ASCENDING), ("parked_at", ASCENDING)])
        db.parked_messages.create_index([("status", ASCENDING), ("event_time", ASCENDING)])
        db.inbox.create_index([("consumer", ASCENDING), ("at", ASCENDING)])
        db.idempotency_keys.create_index([("at", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.client.admin.command("ping").get("ok"))

    def heartbeat(self, who: str, deadline: float | None = None) -> datetime:
        """A write transaction on a heartbeat document: proves the store takes writes (a `ping`
        would not), and on the local store lets it reap transactions abandoned by dead clients,
        which it does only when another transaction arrives."""
        at = _now()
        self.transaction(lambda tx: tx.db.heartbeats.update_one(
            {"_id": who}, {"$set": {"at": at}}, upsert=True), deadline=deadline or time.time() + 3)
        return at

    # ------------------------------------------------------------ transactions

    def transaction(self, work: Callable[[Transaction], T], *, correlation_id: str | None = None,
                    inbox: InboxEntry | None = None, idempotency: IdempotencyKey | None = None,
                    deadline: float | None = None) -> tuple[T | None, list[Envelope], bool]:
        """Run `work` in one transaction together with its outbox rows, its inbox row and its
        idempotency key. `deadline` (epoch seconds) bounds the retries.

        Returns (result, events written, applied). With `inbox`, an event already applied (or older
        than what the inbox remembers) runs nothing: applied is False. With `idempotency`, a key
        already used returns the first outcome without running `work` (applied False); the same key
        with another request is Invalid.
        """
        deadline = deadline if deadline is not None else time.time() + DEFAULT_BUDGET_SECONDS
        if time.time() >= deadline:
            raise Unavailable("the request's deadline passed before the store was reached; nothing was done")
        delay = 0.005
        started, attempts, told = time.monotonic(), 0, False
        while True:
            tx = Transaction(Db(self.raw), correlation_id)
            try:
                return self._attempt(tx, work, inbox, idempotency, deadline)
            except _Again:
                pass
            except PyMongoError as exc:
                if not is_transient(exc):
                    raise
                attempts += 1
                if not told and time.monotonic() - started > 1.0:
                    told = True  # once per transaction: what keeps conflicting, for the operator
                    log.warning("transaction %s retried %d times over %.1fs: %s", correlation_id, attempts,
                                time.monotonic() - started, exc)
                if time.time() + delay >= deadline:
                    raise Unavailable("the store is busy with a conflicting change; nothing was done, "
                                      "try again shortly") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)

    def _attempt(self, tx: Transaction, work, inbox, idempotency, deadline):
        opened = time.monotonic()
        try:
            return self._attempt_in_session(tx, work, inbox, idempotency, deadline)
        finally:
            held = time.monotonic() - opened
            if held > HELD_WARNING_SECONDS:
                # An open transaction pins the store's snapshot: every other writer slows while it lasts.
                log.warning("transaction %s (%s) was held open %.1fs", tx.correlation_id,
                            getattr(work, "__qualname__", "?"), held)

    def _attempt_in_session(self, tx: Transaction, work, inbox, idempotency, deadline):
        with self.client.start_session() as session:
            tx.db.session = session
            session.start_transaction()
            try:
                if inbox is not None and not self._remember(tx.db, inbox):
                    session.abort_transaction()
                    return None, [], False
                if idempotency is not None:
                    prior = tx.db.idempotency_keys.find_one({"_id": idempotency.key})
                    if prior is not None:
                        session.abort_transaction()
                        if prior["fingerprint"] != idempotency.fingerprint:
                            raise Invalid("this Idempotency-Key was used with a different request; "
                                          "use a new key for a new request", "Idempotency-Key")
                        return prior.get("result"), [], False
                result = work(tx)
                if idempotency is not None:
                    try:
                        tx.db.idempotency_keys.insert_one({"_id": idempotency.key, "result": result,
                                                           "fingerprint": idempotency.fingerprint,
                                                           "at": _now()})
                    except DuplicateKeyError:
                        raise _Again() from None
                if tx.events:
                    tx.db.outbox.insert_many([_outbox_row(e, i) for i, e in enumerate(tx.events)])
            except BaseException:
                if session.in_transaction:
                    try:
                        session.abort_transaction()
                    except PyMongoError:
                        log.debug("aborting a failed transaction failed", exc_info=True)
                raise
            self._commit(session, deadline)
            return result, tx.events, True

    @staticmethod
    def _commit(session: ClientSession, deadline: float) -> None:
        delay = 0.01
        while True:
            try:
                session.commit_transaction()
                return
            except PyMongoError as exc:
                if not _commit_unknown(exc):
                    raise
                if time.time() + delay >= deadline:
                    raise OutcomeUnknown("the store did not confirm the change before the deadline; "
                                         "retry with the same Idempotency-Key to learn the outcome") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def apply(self, consumer: str, envelope: dict, work: Callable[[Transaction], Any],
              budget_seconds: float = 2.0) -> bool:
        """Apply an event once (an event handler's transaction): True when it ran now. A busy store
        raises `Unavailable` after `budget_seconds`, so that the handler defers the message instead
        of holding a worker (`kernel.messaging`)."""
        _, _, applied = self.transaction(work, inbox=InboxEntry.of(consumer, envelope),
                                         correlation_id=envelope.get("correlationid"),
                                         deadline=time.time() + budget_seconds)
        return applied

    def apply_batch(self, consumer: str, envelopes: list[dict], apply: Callable[[Db, dict], Any],
                    budget_seconds: float = 2.0) -> int:
        """Apply many events once each in **one** transaction (a batching handler's,
        `kernel.messaging.BatchEventHandler`): the events this consumer's inbox already holds (or
        that are older than what it remembers) are left out, the others get their inbox rows in one
        write and `apply(db, envelope)` each, in the order given. Returns how many ran now.

        A transaction costs the store far more than the small writes inside it, so this is how a
        burst of events is absorbed (docs/performance.md). Another worker applying one of the same
        events at the same moment makes the transaction fail on the inbox's unique key: it is run
        again, without that event. A busy store raises `Unavailable` after `budget_seconds`."""
        entries: dict[str, tuple[InboxEntry, dict]] = {}
        for envelope in envelopes:
            entry = InboxEntry.of(consumer, envelope)
            entries.setdefault(entry.key, (entry, envelope))

        def work(tx: Transaction) -> int:
            held = {r["_id"] for r in tx.db.inbox.find({"_id": {"$in": list(entries)}}, {"_id": 1})}
            fresh = [(e, env) for key, (e, env) in entries.items()
                     if key not in held and not self._forgotten(tx.db, e)]
            if not fresh:
                return 0
            at = _now()
            tx.db.inbox.insert_many([{"_id": e.key, "consumer": e.consumer, "event_time": e.event_time, "at": at}
                                     for e, _ in fresh])
            for _, env in fresh:
                apply(tx.db, env)
            return len(fresh)

        deadline = time.time() + budget_seconds
        for _ in range(5):
            try:
                ran, _, _ = self.transaction(work, deadline=deadline)
                return ran
            except (DuplicateKeyError, BulkWriteError) as exc:
                if not _duplicate_inbox_key(exc):
                    raise
        raise Unavailable("other workers kept applying the same events; nothing was done, try again shortly")

    # ------------------------------------------------------------ inbox

    def _forgotten(self, db: Db, entry: InboxEntry) -> bool:
        """An event older than what the inbox remembers (see `purge_inbox`): skipped as applied."""
        if entry.event_time > _now() - self.inbox_retention:
            return False
        h = db.inbox_horizons.find_one({"_id": entry.consumer})
        if h is not None and entry.event_time <= h["horizon"]:
            log.warning("%s: event %s of %s is older than what the inbox remembers (%s); skipped as applied",
                        entry.consumer, entry.event_id, entry.event_time.isoformat(), h["horizon"].isoformat())
            return True
        return False

    def _remember(self, db: Db, entry: InboxEntry) -> bool:
        """Insert the inbox row; False when the event was applied before, or is older than the
        horizon below which applied ids have been forgotten (see `purge_inbox`)."""
        if self._forgotten(db, entry):
            return False
        try:
            db.inbox.insert_one({"_id": entry.key, "consumer": entry.consumer, "event_time": entry.event_time,
                                 "at": _now()})
        except DuplicateKeyError:
            return False
        return True

    def purge_inbox(self, consumer: str, batch: int = 1000) -> int:
        """Forget the ids applied more than the retention ago, in small transactions, and raise the
        consumer's horizon to the newest event time forgotten: an event at or below the horizon
        (a replay of old history) is skipped, never applied twice. The horizon stays below the
        oldest parked message, so a parked message replayed later is still applied."""
        cutoff = _now() - self.inbox_retention
        parked = self.db.parked_messages.find_one({"status": "parked", "event_time": {"$ne": None}},
                                                  sort=[("event_time", 1)])
        below = cutoff if parked is None else min(cutoff, parked["event_time"])
        q: dict = {"consumer": consumer, "at": {"$lt": cutoff}, "event_time": {"$lt": below}}
        removed = 0
        while True:
            rows = self.db.inbox.find(q, {"event_time": 1}, limit=batch)
            if not rows:
                return removed
            newest = max(r["event_time"] for r in rows)

            def forget(tx: Transaction, rows=rows, newest=newest):
                tx.db.inbox_horizons.update_one({"_id": consumer}, {"$max": {"horizon": newest}}, upsert=True)
                tx.db.inbox.delete_many({"_id": {"$in": [r["_id"] for r in rows]}})
            self.transaction(forget)
            removed += len(rows)

    def purge_idempotency_keys(self, older_than: timedelta) -> int:
        return self.db.idempotency_keys.delete_many({"at": {"$lt": _now() - older_than}}).deleted_count

    # ------------------------------------------------------------ periodic duties and the outbox's past

    def claim_period(self, duty: str, seconds: float, who: str) -> bool:
        """True for the one caller (of every instance of the service) that moves the duty's due time
        on by `seconds` now; it then runs the duty. `runs` counts how often it was claimed."""
        now = _now()
        try:
            done = self.db[PERIODIC].update_one(
                {"_id": duty, "due": {"$lte": now}},
                {"$set": {"due": now + timedelta(seconds=seconds), "last_by": who, "last_at": now}, "$inc": {"runs": 1}},
                upsert=True)
        except DuplicateKeyError:
            return False   # not due: another instance moved it on
        return done.modified_count == 1 or done.upserted_id is not None

    def prune_outbox(self, retention: timedelta, batch: int = 1000) -> int:
        """Delete the events sent before now − `retention`, a batch at a time, and raise the outbox's
        horizon to the newest of them: a replay can start no earlier (`outbox_horizon`). Pending
        rows are never pruned."""
        cutoff = _now() - retention
        removed = 0
        while True:
            rows = self.db.outbox.find({"status": "sent", "created_at": {"$lt": cutoff}}, {"created_at": 1},
                                       sort=[("status", 1), ("created_at", 1), ("seq", 1)], limit=batch)
            if not rows:
                return removed
            newest = max(r["created_at"] for r in rows)

            def forget(tx: Transaction, rows=rows, newest=newest):
                tx.db[OUTBOX_HORIZON].update_one({"_id": "outbox"}, {"$max": {"pruned_before": newest}}, upsert=True)
                tx.db.outbox.delete_many({"_id": {"$in": [r["_id"] for r in rows]}})
            self.transaction(forget)
            removed += len(rows)

    def outbox_horizon(self) -> datetime | None:
        """The newest creation time of an event pruned from the outbox (None: nothing was): the
        outbox holds every event created after it."""
        doc = self.db[OUTBOX_HORIZON].find_one({"_id": "outbox"})
        return doc["pruned_before"] if doc else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _outbox_row(envelope: Envelope, seq: int) -> dict[str, Any]:
    return {
        "_id": envelope.id,
        "type": envelope.type,
        "subject": envelope.subject,
        "envelope": envelope.to_message(),
        "status": "pending",
        "created_at": _now(),
        "seq": seq,
        "attempts": 0,
        "lease_until": None,
        "sent_at": None,
    }


def strip_ids(docs: Iterable[dict]) -> list[dict]:
    return [{("id" if k == "_id" else k): v for k, v in d.items()} for d in docs]
