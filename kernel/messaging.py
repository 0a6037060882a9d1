"""Nothing lost, nothing applied twice: the outbox relay, reliable event handlers, parked messages.

- `StoreProvider` (a nameko dependency) hands a worker its service's `Store` and, after every worker
  that wrote events, kicks the relay; the relay also polls, so events left by a crash go out later.
- `OutboxRelay` publishes pending outbox rows with publisher confirms and marks them sent. Rows are
  leased, so several instances of a service can relay side by side; a consumer may still see an
  event twice (at-least-once) and dedupes by event id.
- `reliable_event_handler` replaces nameko's `event_handler`, which acks a message whose handler
  raised. Here a failing message is re-published to a delay queue (dead-lettered back after the
  delay) a bounded number of times, then parked in the service's `parked_messages` collection, from
  where an operator lists and replays it.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import threading
import traceback
import uuid
from datetime import datetime, timedelta, timezone

from kombu import Connection, Exchange, Queue
from nameko.events import EventHandler
from nameko.exceptions import deserialize_to_instance
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import rpc
from nameko.standalone.events import get_event_exchange
from pymongo import ReturnDocument

from .access import Actor
from .errors import EXPECTED, Invalid, NotFound
from .settings import load_settings
from .store import Store, retry_busy, strip_ids

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-khadem-attempts"


def register_errors() -> None:
    """Let RPC callers receive the kernel's errors as themselves, not as RemoteError."""
    for cls in EXPECTED:
        deserialize_to_instance(cls)


register_errors()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class OutboxRelay:
    def __init__(self, store: Store, service: str, amqp_uri: str, lease_seconds: float = 30.0):
        self.store = store
        self.service = service
        self.amqp_uri = amqp_uri
        self.lease = timedelta(seconds=lease_seconds)
        self.exchange = get_event_exchange(service, {})
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    def _producer(self):
        if self._conn is None:
            self._conn = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
        return self._conn.Producer()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.release()
            finally:
                self._conn = None

    def _claim(self) -> dict | None:
        now = _now()
        return self.store.db.outbox.find_one_and_update(
            {"status": "pending",
             "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"lease_until": now + self.lease, "lease_owner": self.owner},
             "$inc": {"attempts": 1}},
            sort=[("created_at", 1)],
            return_document=ReturnDocument.AFTER,
        )

    def publish(self, envelope: dict) -> None:
        headers = {}
        if envelope.get("correlationid"):
            headers["nameko.request_id"] = envelope["correlationid"]
        producer = self._producer()
        producer.publish(
            envelope,
            exchange=self.exchange,
            routing_key=envelope["type"],
            serializer="json",
            delivery_mode=2,
            headers=headers,
            declare=[self.exchange],
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
        )

    def flush(self, limit: int = 500) -> int:
        """Publish what is pending; returns how many were sent. One flush at a time per process."""
        if not self._lock.acquire(blocking=False):
            return 0
        sent = 0
        try:
            while sent < limit:
                row = self._claim()
                if row is None:
                    break
                try:
                    self.publish(row["envelope"])
                except Exception:
                    log.exception("outbox: publishing %s failed; it stays pending", row["_id"])
                    self.close()
                    self.store.db.outbox.update_one(
                        {"_id": row["_id"]}, {"$set": {"lease_until": None}})
                    break
                self.store.db.outbox.update_one(
                    {"_id": row["_id"]},
                    {"$set": {"status": "sent", "sent_at": _now(), "lease_until": None}})
                sent += 1
        finally:
            self._lock.release()
        return sent


class StoreProvider(DependencyProvider):
    """The service's Store, plus its outbox relay running beside the workers. `indexes(db)` creates
    the service's own indexes at start-up (idempotent)."""

    def __init__(self, indexes=None, **kwargs):
        self.indexes = indexes
        super().__init__(**kwargs)

    def setup(self):
        self.settings = load_settings()
        service = self.container.service_name
        self.store = Store.connect(self.settings.mongo_uri, self.settings.database_name(service))
        self.relay = OutboxRelay(self.store, service, self.container.config["AMQP_URI"],
                                 self.settings.outbox_lease_seconds)
        self.kick = threading.Event()
        self.stopping = threading.Event()

    def start(self):
        retry_busy(self.store.ensure_kernel_indexes)
        if self.indexes is not None:
            retry_busy(lambda: self.indexes(self.store.db))
        self.container.spawn_managed_thread(self._relay_loop, identifier="outbox-relay")

    def stop(self):
        self.stopping.set()
        self.kick.set()

    def kill(self):
        self.stop()

    def _relay_loop(self):
        while not self.stopping.is_set():
            self.kick.wait(self.settings.outbox_poll_seconds)
            self.kick.clear()
            try:
                self.relay.flush()
            except Exception:
                log.exception("outbox relay pass failed; retrying on the next pass")
            else:
                # The pass reached the store: this process is alive (the container health check).
                heartbeat(self.settings.health_file)
        self.relay.close()

    def get_dependency(self, worker_ctx):
        return self.store

    def worker_teardown(self, worker_ctx):
        # A worker may have committed events: let the relay publish them now, not at the next poll.
        self.kick.set()


def heartbeat(path: str) -> None:
    if path:
        try:
            with open(path, "w") as f:
                f.write(_now().isoformat())
        except OSError:
            log.warning("could not write the heartbeat file %s", path)


class RequestContext:
    def __init__(self, request_id: str, actor: Actor | None):
        self.request_id = request_id
        self.actor = actor


class ContextProvider(DependencyProvider):
    """The request id and the calling actor, from the nameko context headers the gateway sets."""

    def get_dependency(self, worker_ctx):
        data = worker_ctx.data
        raw_actor = data.get("actor")
        actor = Actor.model_validate_json(raw_actor) if raw_actor else None
        return RequestContext(data.get("request_id") or uuid.uuid4().hex, actor)


class ParkingLot(SharedExtension):
    """Where messages go after their last attempt: one collection per service database."""

    def setup(self):
        settings = load_settings()
        service = self.container.service_name
        self.store = Store.connect(settings.mongo_uri, settings.database_name(service))

    def park(self, queue: str, handler: str, body, headers: dict, error: str) -> None:
        body = body if isinstance(body, dict) else {"raw": body}
        self.store.db.parked_messages.insert_one({
            "_id": uuid.uuid4().hex,
            "queue": queue,
            "handler": handler,
            "event_id": body.get("id"),
            "event_type": body.get("type"),
            "body": body,
            "headers": {k: v for k, v in headers.items() if not k.startswith("x-death")},
            "attempts": headers.get(ATTEMPTS_HEADER, 0) + 1,
            "error": error,
            "status": "parked",
            "parked_at": _now(),
        })


class ReliableEventHandler(EventHandler):
    """An event handler whose failures are retried with back-off and then parked, never dropped."""

    parking = ParkingLot()

    def setup(self):
        super().setup()
        self.retry_queues = [
            Queue(f"{self.queue.name}.retry.{i + 1}", exchange=Exchange(""),
                  routing_key=f"{self.queue.name}.retry.{i + 1}", durable=True,
                  queue_arguments={"x-message-ttl": int(delay * 1000),
                                   "x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": self.queue.name})
            for i, delay in enumerate(load_settings().retry_delays)
        ]

    @property
    def handler_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        try:
            self._retry_or_park(message, exc_info)
        except Exception:
            log.exception("could not retry or park a failed message; requeueing it")
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)
        return result, exc_info

    def _retry_or_park(self, message, exc_info):
        headers = dict(message.headers or {})
        attempts = int(headers.get(ATTEMPTS_HEADER, 0))
        error = "".join(traceback.format_exception(*exc_info))
        expected = isinstance(exc_info[1], EXPECTED)
        if attempts < len(self.retry_queues) and not expected:
            target = self.retry_queues[attempts]
            headers[ATTEMPTS_HEADER] = attempts + 1
            headers = {k: v for k, v in headers.items() if k != "x-death"}
            with Connection(self.container.config["AMQP_URI"],
                            transport_options={"confirm_publish": True}) as conn:
                conn.Producer().publish(
                    message.payload, exchange="", routing_key=target.name,
                    serializer="json", delivery_mode=2, headers=headers,
                    declare=[target], retry=True, retry_policy={"max_retries": 3})
            log.warning("%s failed (attempt %d); retrying in %ss: %s", self.handler_name,
                        attempts + 1, target.queue_arguments["x-message-ttl"] / 1000, exc_info[1])
            return
        log.error("%s failed %d times; parking the message: %s", self.handler_name,
                  attempts + 1, exc_info[1])
        self.parking.park(self.queue.name, self.handler_name, message.payload, headers, error)


reliable_event_handler = ReliableEventHandler.decorator


class OperatorRpc:
    """Mixed into every service: what an operator needs to see and replay stuck messages."""

    @rpc
    def parked_list(self, limit: int = 100) -> list[dict]:
        rows = self.store.db.parked_messages.find(
            {"status": "parked"}, sort=[("parked_at", 1)], limit=int(limit))
        return [_jsonable(r) for r in strip_ids(rows)]

    @rpc(expected_exceptions=EXPECTED)
    def parked_replay(self, parked_id: str) -> dict:
        row = self.store.db.parked_messages.find_one({"_id": parked_id, "status": "parked"})
        if row is None:
            raise NotFound(f"no parked message {parked_id}", "parked_id")
        settings = load_settings()
        with Connection(settings.amqp_uri, transport_options={"confirm_publish": True}) as conn:
            conn.Producer().publish(row["body"], exchange="", routing_key=row["queue"],
                                    serializer="json", delivery_mode=2,
                                    headers={ATTEMPTS_HEADER: 0}, retry=True)
        self.store.db.parked_messages.update_one(
            {"_id": parked_id}, {"$set": {"status": "replayed", "replayed_at": _now()}})
        return {"id": parked_id, "status": "replayed"}

    @rpc(expected_exceptions=EXPECTED)
    def outbox_replay(self, types: str) -> dict:
        """Publish again, oldest first, the sent events whose type starts with `types` (e.g.
        `registry.` or `registry.kanoon.`): how a consumer deployed later builds its read model
        from this service's history. Every consumer dedupes on the event id, so those that had
        them already change nothing."""
        prefix = (types or "").strip()
        if not prefix.startswith(f"{self.name}."):
            raise Invalid(f"give a prefix of this service's event types, e.g. '{self.name}.'", "types")
        result = self.store.db.outbox.update_many(
            {"status": "sent", "type": {"$regex": "^" + re.escape(prefix)}},
            {"$set": {"status": "pending", "lease_until": None}})
        return {"types": prefix, "requeued": result.modified_count}

    @rpc
    def outbox_status(self) -> dict:
        db = self.store.db
        return {"pending": db.outbox.count_documents({"status": "pending"}),
                "sent": db.outbox.count_documents({"status": "sent"}),
                "parked": db.parked_messages.count_documents({"status": "parked"})}

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "store": self.store.ping()}


def _jsonable(doc: dict) -> dict:
    return json.loads(json.dumps(doc, default=lambda o: o.isoformat() if isinstance(o, datetime) else str(o)))


class DomainService(OperatorRpc):
    """What every service's entrypoints share: reads through a repository, writes in one transaction
    with their events (the request id becomes the events' correlation id), and a ping. A service
    sets `repository` to its Repository class and declares `store` and `ctx`."""

    repository: type

    def _read(self):
        return self.repository(self.store.db)

    def _write(self, work):
        result, _, _ = self.store.transaction(lambda tx: work(self.repository(tx.db), tx),
                                              correlation_id=self.ctx.request_id)
        return result

    @rpc
    def ping(self) -> dict:
        return {"service": self.name, "store": self.store.ping(), "at": _now().isoformat()}
