"""MongoDB access for a service: transactions that carry their events (outbox) and the ids of the
events they applied (inbox), with retries for what the store says is worth retrying.

Repositories receive a `Db`: collections whose calls either run inside a transaction (the session is
passed for them) or, outside one, are retried while the store is busy.

The local store (mongoeco on SQLite) runs one transaction at a time and refuses every other
operation meanwhile with "active transaction bound to another session"; MongoDB reports write
conflicts with the TransientTransactionError label. Both mean "try again shortly".
"""
from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, TypeVar

from pymongo import ASCENDING, MongoClient
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError, InvalidOperation, OperationFailure, PyMongoError

from .events import Envelope, EventData

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTBOX = "outbox"
INBOX = "inbox"
PARKED = "parked_messages"

_BUSY_MARKS = ("active transaction bound to another session", "Write conflict", "WriteConflict",
               "database is locked")


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DuplicateKeyError):
        return False
    if isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError"):
        return True
    if isinstance(exc, (OperationFailure, InvalidOperation)):
        return any(mark in str(exc) for mark in _BUSY_MARKS)
    return False


def retry_busy(fn: Callable[[], T], deadline_seconds: float = 20.0) -> T:
    """Run fn, retrying with jittered back-off while the store reports itself busy."""
    start = time.monotonic()
    delay = 0.002
    while True:
        try:
            return fn()
        except PyMongoError as exc:
            if not is_retryable(exc) or time.monotonic() - start > deadline_seconds:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.1)


class Collection:
    """A pymongo collection bound to a session (inside a transaction) or retried when busy."""

    def __init__(self, raw, session: ClientSession | None):
        self.raw = raw
        self.session = session

    def _call(self, name: str, *args, **kwargs):
        method = getattr(self.raw, name)
        if self.session is not None:
            return method(*args, session=self.session, **kwargs)
        return retry_busy(lambda: method(*args, **kwargs))

    def find(self, *args, **kwargs) -> list[dict]:
        """Always a list: a cursor read lazily would escape the transaction and the retry."""
        if self.session is not None:
            return list(self.raw.find(*args, session=self.session, **kwargs))
        return retry_busy(lambda: list(self.raw.find(*args, **kwargs)))

    def aggregate(self, pipeline, **kwargs) -> list[dict]:
        if self.session is not None:
            return list(self.raw.aggregate(pipeline, session=self.session, **kwargs))
        return retry_busy(lambda: list(self.raw.aggregate(pipeline, **kwargs)))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **k: self._call(name, *a, **k)


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


class Store:
    """One service's database. Thread/greenlet safe: pymongo's client is."""

    def __init__(self, client: MongoClient, database: str):
        self.client = client
        self.raw = client[database]
        self.db = Db(self.raw)

    @classmethod
    def connect(cls, uri: str, database: str) -> "Store":
        client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
        return cls(client, database)

    def ensure_kernel_indexes(self) -> None:
        self.db.outbox.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
        self.db.parked_messages.create_index([("status", ASCENDING), ("parked_at", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.client.admin.command("ping").get("ok"))

    def transaction(self, work: Callable[[Transaction], T], *, correlation_id: str | None = None,
                    inbox_key: str | None = None) -> tuple[T | None, list[Envelope], bool]:
        """Run `work` in one transaction together with its outbox rows (and its inbox row).

        Returns (result, events written, applied). With `inbox_key`, a key already in the inbox
        means the work was done before: nothing runs and applied is False.
        """
        start = time.monotonic()
        delay = 0.002
        while True:
            tx = Transaction(Db(self.raw), correlation_id)
            try:
                with self.client.start_session() as session:
                    tx.db.session = session
                    with session.start_transaction():
                        if inbox_key is not None:
                            try:
                                tx.db.inbox.insert_one({"_id": inbox_key, "at": _now()})
                            except DuplicateKeyError:
                                session.abort_transaction()
                                return None, [], False
                        result = work(tx)
                        if tx.events:
                            tx.db.outbox.insert_many([_outbox_row(e) for e in tx.events])
                return result, tx.events, True
            except PyMongoError as exc:
                if not is_retryable(exc) or time.monotonic() - start > 20.0:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _outbox_row(envelope: Envelope) -> dict[str, Any]:
    return {
        "_id": envelope.id,
        "type": envelope.type,
        "envelope": envelope.to_message(),
        "status": "pending",
        "created_at": _now(),
        "attempts": 0,
        "lease_until": None,
        "sent_at": None,
    }


def strip_ids(docs: Iterable[dict]) -> list[dict]:
    return [{("id" if k == "_id" else k): v for k, v in d.items()} for d in docs]
