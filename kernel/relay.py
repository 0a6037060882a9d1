"""Publishing what the outbox holds: the relay, and replay jobs for consumers that join later.

The relay publishes pending outbox rows with publisher confirms and marks them sent. What it
guarantees (docs/decisions.md, "Publication order"):

- every committed event is published at least once (a crash between publish and mark publishes it
  again; consumers dedupe on the event id);
- events of one subject (one aggregate: `kanoon/K1`, `report/R7`, …) are published in commit order:
  a row is taken only when no older row of its subject is pending, and rows of one transaction keep
  their order (`seq`);
- a row that fails to publish is leased away for a growing back-off (1 s doubling to 60 s) and the
  relay goes on with the rows of other subjects; only its own subject waits behind it.

Several instances of a service relay side by side: rows are leased (`OUTBOX_LEASE_SECONDS`), a batch
at a time, and a relay publishes a row only when no older pending row of its subject is another's.

Every event is published with the AMQP `user_id` property, the broker user the process signs in as
(RabbitMQ refuses a `user_id` that is not the connection's user, so it names the publisher; the
consumers park an event whose publisher is not its source's, `kernel.messaging`).

A replay job publishes again the sent events of a type prefix — those sent when it was asked for, up
to the newest then (what is sent later reaches the consumers' queues live, so a job never chases the
relay) —, in the relay's order — (created_at, seq), then the id: a subject's events in commit order —,
to every subscriber (`<service>.events`) or to one consumer's queue (`<service>.replay`, routing key
the queue's name; mandatory, so a queue not bound there fails the job, saying so, instead of losing
its events). It runs on a connection of its own, opened for a pass and closed after it (never the
relay's: two green threads reading one socket wedged both), publishes with confirms, one event at a
time, and saves its cursor with each confirm: a job resumed after a restart or on another instance
never sends again what was confirmed (at most the one event whose confirm came just before the
process died). Read in batches, it never holds the outbox; an operator follows it by its id.
"""
from __future__ import annotations

import hashlib
import logging
import re
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

from kombu import Connection, Exchange
from nameko.standalone.events import get_event_exchange
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from . import jalali
from .errors import Invalid, NotFound
from .messaging import broker_user, replay_exchange
from .store import Store, strip_ids

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Publisher:
    """One confirmed-publish connection, reopened after any failure; one green thread's at a time.
    Everything it publishes carries `user_id`, the user it signs in as."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.user = broker_user(amqp_uri)
        self._conn: Connection | None = None

    def publish(self, body: dict, exchange: Exchange | str, routing_key: str, headers: dict | None = None,
                declare=None, mandatory: bool = False) -> None:
        """Returns once the broker confirmed it. `mandatory`: a message no queue takes raises
        `Unroutable` (and the connection, whose confirms it would disorder, is closed)."""
        if self._conn is None:
            self._conn = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                    connect_timeout=5)
        try:
            self._conn.Producer().publish(
                body, exchange=exchange, routing_key=routing_key, serializer="json", delivery_mode=2,
                headers=headers or {}, declare=declare or [], retry=True, mandatory=mandatory,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
                user_id=self.user)
        except Exception as exc:
            self.close()
            if getattr(exc, "reply_code", None) == 312:   # NO_ROUTE: returned, not confirmed
                raise Unroutable(f"no queue takes {routing_key!r} on {getattr(exchange, 'name', exchange)!r}") from exc
            raise

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:
                pass
            self._conn = None


class Unroutable(Exception):
    """A mandatory message that no queue is bound to take."""


class OutboxRelay:
    def __init__(self, store: Store, service: str, amqp_uri: str, lease_seconds: float = 30.0):
        self.store = store
        self.service = service
        self.lease = timedelta(seconds=lease_seconds)
        self.exchange = get_event_exchange(service, {})
        self.publisher = Publisher(amqp_uri)
        self._lock = threading.Lock()
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    def close(self) -> None:
        self.publisher.close()

    def _claim(self, limit: int) -> list[dict]:
        """Lease the oldest free pending rows (up to `limit`) and return, in commit order, those this
        relay may publish now: a row whose subject has an older pending row that is not ours (in
        back-off, or leased by another relay) waits, and so do the rows behind it."""
        db = self.store.db
        now = _now()
        # Not leased, or its lease is over. Never as an `$or`: with one, the local store scans and
        # decodes every row ever sent for each claim (0.56 s at 3,500 rows, docs/performance.md);
        # `$not $gte` means the same (no lease, or one that ended) and leaves the `_id` lookup alone.
        free = {"status": "pending", "lease_until": {"$not": {"$gte": now}}}
        # The pending rows by the (status, created_at, seq) index alone, the lease checked here.
        pending = db.outbox.find({"status": "pending"}, sort=[("status", 1), ("created_at", 1), ("seq", 1)],
                                 limit=limit * 2)
        candidates = [c for c in pending if c.get("lease_until") is None or c["lease_until"] < now][:limit]
        if not candidates:
            return []
        until = now + self.lease
        leased = db.outbox.update_many({"_id": {"$in": [c["_id"] for c in candidates]}, **free},
                                       {"$set": {"lease_until": until, "lease_owner": self.owner},
                                        "$inc": {"attempts": 1}}).modified_count
        if leased == len(candidates):
            # Every one is ours (the usual case): they are the rows read, as the update left them.
            mine = [{**c, "lease_until": until, "lease_owner": self.owner, "attempts": c.get("attempts", 0) + 1}
                    for c in candidates]
        else:   # another relay took some meanwhile: read back which are ours
            mine = db.outbox.find({"_id": {"$in": [c["_id"] for c in candidates]}, "lease_owner": self.owner,
                                   "lease_until": until}, sort=[("created_at", 1), ("seq", 1)])
        subjects = list({r.get("subject") for r in mine})
        # Pending rows of the same subjects outside this claim: in back-off, or another relay's.
        # (Ours are left out here, not with `$nin`, which costs the local store a scan.)
        ours = {r["_id"] for r in mine}
        foreign = [f for f in db.outbox.find({"status": "pending", "subject": {"$in": subjects}},
                                             {"subject": 1, "created_at": 1, "seq": 1})
                   if f["_id"] not in ours]
        first_foreign: dict = {}
        for f in foreign:
            key = (f["created_at"], f.get("seq", 0))
            if f.get("subject") not in first_foreign or key < first_foreign[f.get("subject")]:
                first_foreign[f.get("subject")] = key
        ready, held_back = [], []
        for r in mine:
            limit_key = first_foreign.get(r.get("subject"))
            (held_back if limit_key is not None and limit_key < (r["created_at"], r.get("seq", 0)) else ready).append(r)
        if held_back:
            self._release([r["_id"] for r in held_back])
        return ready

    def _release(self, ids: list) -> None:
        if ids:
            self.store.db.outbox.update_many({"_id": {"$in": ids}, "lease_owner": self.owner},
                                             {"$set": {"lease_until": None}, "$inc": {"attempts": -1}})

    def publish(self, envelope: dict) -> None:
        headers = {"nameko.request_id": envelope["correlationid"]} if envelope.get("correlationid") else {}
        self.publisher.publish(envelope, self.exchange, envelope["type"], headers, declare=[self.exchange])

    def flush(self, limit: int = 1000, batch: int = 200) -> int:
        """Publish what is pending, a batch at a time; returns how many were sent. One flush at a
        time per process."""
        if not self._lock.acquire(blocking=False):
            return 0
        sent = 0
        try:
            while sent < limit:
                rows = self._claim(min(batch, limit - sent))
                if not rows:
                    break
                done, failures = self._publish_batch(rows)
                sent += done
                if failures >= 3:
                    break  # the broker is likely away; the next pass tries again
        finally:
            self._lock.release()
        return sent

    def _publish_batch(self, rows: list[dict]) -> tuple[int, int]:
        db = self.store.db
        published, failed_subjects, waiting, failures = [], set(), [], 0
        for row in rows:
            if row.get("subject") in failed_subjects:
                waiting.append(row["_id"])  # behind a row of its subject that failed
                continue
            try:
                self.publish(row["envelope"])
            except Exception as exc:
                failures += 1
                failed_subjects.add(row.get("subject"))
                backoff = min(2 ** (row["attempts"] - 1), MAX_BACKOFF_SECONDS)
                log.warning("outbox: publishing %s (%s) failed, attempt %d; again in %.0fs: %s",
                            row["_id"], row["type"], row["attempts"], backoff, exc)
                db.outbox.update_one({"_id": row["_id"], "lease_owner": self.owner},
                                     {"$set": {"lease_until": _now() + timedelta(seconds=backoff),
                                               "last_error": str(exc)[:500]}})
                if failures >= 3:
                    waiting += [r["_id"] for r in rows[rows.index(row) + 1:] if r["_id"] not in published]
                    break
                continue
            published.append(row["_id"])
        if published:
            db.outbox.update_many({"_id": {"$in": published}},
                                  {"$set": {"status": "sent", "sent_at": _now(), "lease_until": None}})
        self._release(waiting)
        return len(published), failures


# ---------------------------------------------------------------- replay jobs

REPLAY_JOBS = "replay_jobs"


def create_replay_job(store: Store, service: str, types: str, queue: str | None, by: str,
                      amqp_uri: str, idempotency=None, since: str | None = None, partial: bool = False,
                      retention_days: float = 0) -> dict:
    """A new replay job (or, for a repeated idempotency key, the job it created the first time).
    Refused (Invalid, `since`) when it would need events pruned from the outbox, unless `partial`."""
    prefix = (types or "").strip()
    if not prefix.startswith(f"{service}."):
        raise Invalid(f"give a prefix of this service's event types, e.g. '{service}.'", "types")
    since_at = None
    if since:
        try:
            since_at = jalali.parse_instant(since)
        except ValueError as exc:
            raise Invalid(str(exc), "since") from None
    horizon = store.outbox_horizon()
    if horizon is not None and (since_at is None or since_at <= horizon) and not partial:
        raise Invalid(f"events sent up to {horizon.isoformat()} were pruned from the outbox (they are kept "
                      f"{retention_days:g} days, OUTBOX_RETENTION_DAYS): this replay would miss them. Start it "
                      f"later (since), or say partial to replay what is kept", "since")
    if queue is not None:
        if not re.fullmatch(r"[A-Za-z0-9_.#\-]{1,200}", queue):
            raise Invalid("a queue name is letters, digits and . _ - #", "queue")
        try:
            with Connection(amqp_uri, connect_timeout=5) as conn:
                conn.default_channel.queue_declare(queue=queue, passive=True)
        except Exception:
            raise NotFound(f"no queue {queue} on the broker", "queue") from None
    job_id = uuid.uuid4().hex
    if idempotency is not None:
        job_id = hashlib.sha256(idempotency.key.encode()).hexdigest()[:32]
        prior = store.db.replay_jobs.find_one({"_id": job_id})
        if prior is not None:
            if prior.get("fingerprint") != idempotency.fingerprint:
                raise Invalid("this Idempotency-Key was used with a different request", "Idempotency-Key")
            return job_view(prior)
    match = {"status": "sent", "type": {"$regex": "^" + re.escape(prefix)}}
    if since_at is not None:
        match["created_at"] = {"$gte": since_at}
    # The newest event sent now is the job's last: what is sent later was published while the
    # consumers' queues existed (an event still pending now, too), so a job never chases the relay.
    last = store.db.outbox.find_one(match, {"created_at": 1, "seq": 1},
                                    sort=[(key, -1) for key, _ in REPLAY_ORDER])
    job = {"_id": job_id, "fingerprint": idempotency.fingerprint if idempotency else None,
           "types": prefix, "queue": queue, "status": "running", "since": since_at,
           "kept_since": horizon if partial else None,
           "total": store.db.outbox.count_documents(match), "replayed": 0, "cursor": None,
           "until": [last["created_at"], last.get("seq", 0), last["_id"]] if last else None,
           "created_at": _now(), "finished_at": None, "by": by, "lease_until": None, "error": None}
    try:
        store.db.replay_jobs.insert_one(job)
    except DuplicateKeyError:
        return job_view(store.db.replay_jobs.find_one({"_id": job_id}))
    return job_view(job)


def job_view(job: dict | None) -> dict:
    if job is None:
        raise NotFound("no such replay job", "job_id")
    out = strip_ids([job])[0]
    for key in ("lease_until", "lease_owner", "cursor", "until", "fingerprint"):
        out.pop(key, None)
    for key, value in list(out.items()):
        if isinstance(value, datetime):
            out[key] = value.isoformat()
    return out


# The relay's order (the outbox's index `status, created_at, seq, _id`): commit order within a subject.
REPLAY_ORDER = [("status", 1), ("created_at", 1), ("seq", 1), ("_id", 1)]


class ReplayRunner:
    """Runs replay jobs, on a connection of its own (a `Publisher` opened for a pass, closed after
    it), one event at a time with its confirm and its cursor saved; a job another instance leased is
    left to it until its lease ends, and a job whose lease was taken over stops here."""

    def __init__(self, relay: OutboxRelay, batch: int = 200, lease_seconds: float = 60.0):
        self.relay = relay
        self.store = relay.store
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.publisher = Publisher(relay.publisher.amqp_uri)
        self.replay_exchange = replay_exchange(relay.service)

    def run_once(self, stopping: threading.Event | None = None) -> int:
        """Take the oldest running job that no other instance holds and publish what it has left, a
        batch read at a time, until it is done, fails, or `stopping` is set (looked at between
        batches). Returns how many events were published."""
        db = self.store.db
        now = _now()
        job = db.replay_jobs.find_one_and_update(
            {"status": "running", "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"lease_until": now + self.lease, "lease_owner": self.relay.owner}},
            sort=[("created_at", 1)], return_document=ReturnDocument.AFTER)
        if job is None:
            return 0
        try:
            return self._run(job, stopping)
        finally:
            self.publisher.close()

    def _run(self, job: dict, stopping) -> int:
        db = self.store.db
        mine = {"_id": job["_id"], "lease_owner": self.relay.owner, "status": "running"}
        cursor = self._cursor(job)
        done = 0
        while not (stopping and stopping.is_set()):
            rows = self._next(job, cursor)
            if not rows:
                db.replay_jobs.update_one(mine, {"$set": {"status": "done", "finished_at": _now(),
                                                          "lease_until": None}})
                return done
            for row in rows:
                try:
                    self._publish(job, row["envelope"])
                except Unroutable as exc:
                    log.error("replay %s: %s; the job fails", job["_id"], exc)
                    db.replay_jobs.update_one(mine, {"$set": {
                        "status": "failed", "finished_at": _now(), "lease_until": None,
                        "error": f"the queue {job['queue']} is not bound to {self.replay_exchange.name} "
                                 f"(it does not consume this service's events): {exc}"[:500]}})
                    return done
                except Exception as exc:
                    log.warning("replay %s: publishing failed, resuming later: %s", job["_id"], exc)
                    db.replay_jobs.update_one(mine, {"$set": {"lease_until": None, "error": str(exc)[:500]}})
                    return done
                # Confirmed: the cursor moves past it now, so a resumed job never sends it again.
                cursor = [row["created_at"], row.get("seq", 0), row["_id"]]
                saved = db.replay_jobs.update_one(mine, {
                    "$set": {"cursor": cursor, "lease_until": _now() + self.lease, "error": None},
                    "$inc": {"replayed": 1}})
                done += 1
                if saved.matched_count == 0:
                    log.warning("replay %s: its lease went to another instance; stopping here", job["_id"])
                    return done
        db.replay_jobs.update_one(mine, {"$set": {"lease_until": None}})
        return done

    def _cursor(self, job: dict) -> list | None:
        """(created_at, seq, id) of the last event confirmed. A job saved by an older version kept
        (created_at, id): its row gives the seq."""
        cursor = job.get("cursor")
        if cursor and len(cursor) == 2:
            at, last = cursor
            row = self.store.db.outbox.find_one({"_id": last}, {"seq": 1})
            return [at, (row or {}).get("seq", 0), last]
        return cursor or None

    def _next(self, job: dict, cursor: list | None) -> list[dict]:
        """The next batch after `cursor` and up to the job's last event (`until`; a job of an older
        version has none), in the relay's order. Three plain range reads rather than one `$or`
        (which makes the local store scan every row): the rest of the cursor's (created_at, seq), the
        rest of its instant, then what comes after it."""
        db = self.store.db
        until = job.get("until", False)
        if until is None:
            return []     # nothing was sent when the job began
        base = {"status": "sent", "type": {"$regex": "^" + re.escape(job["types"])}}
        fields = {"envelope": 1, "created_at": 1, "seq": 1, "type": 1}

        def read(created_at: dict, limit: int, **more) -> list[dict]:
            if limit <= 0:
                return []
            if until:
                created_at = {**created_at, "$lte": until[0]}
            q = {**base, **more, **({"created_at": created_at} if created_at else {})}
            return list(db.outbox.find(q, fields, sort=REPLAY_ORDER, limit=limit))

        if cursor is None:
            rows = read({"$gte": job["since"]} if job.get("since") else {}, self.batch)
        else:
            at, seq, last = cursor
            rows = read({"$eq": at}, self.batch, seq=seq, _id={"$gt": last})
            rows += read({"$eq": at}, self.batch - len(rows), seq={"$gt": seq})
            rows += read({"$gt": at}, self.batch - len(rows))
        if until:
            end = tuple(until)
            rows = [r for r in rows if (r["created_at"], r.get("seq", 0), r["_id"]) <= end]
        return rows

    def _publish(self, job: dict, envelope: dict) -> None:
        headers = {"x-khadem-replay": job["_id"]}
        if envelope.get("correlationid"):
            headers["nameko.request_id"] = envelope["correlationid"]
        if job.get("queue"):
            self.publisher.publish(envelope, self.replay_exchange, job["queue"], headers, mandatory=True)
        else:
            self.publisher.publish(envelope, self.relay.exchange, envelope["type"], headers,
                                   declare=[self.relay.exchange])
