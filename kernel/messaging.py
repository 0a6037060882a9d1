"""Events in, nothing lost and nothing looping: reliable event handlers and the parking lot.

nameko's `event_handler` acks a message whose handler raised, and kombu drops (or chokes on) a message
it cannot decode before any handler sees it. Here every message reaches a verdict — applied, retried
or parked — and the verdict on a message that can never be applied is given the first time:

- a message that cannot be decoded (bad JSON, invalid UTF-8, a pickle, an unknown content type, a
  body of any type and encoding) is parked with its raw bytes and headers, then acked;
- a message that decodes but is not an event of the handler's source (a JSON string, list, number or
  null, an object without `id` and `type`, a type of another service) is parked at once, unapplied;
- a message whose publisher is not the broker user of the service that owns its source's exchange
  is parked at once, unapplied (`kernel.events.publisher_refusal`: RabbitMQ refuses a `user_id`
  property that is not the publishing connection's user, so the property names who published; a
  ruling comes only from oversight, a membership only from the registry). The consumer's own user is
  accepted too: its process alone puts messages back through its delay queues;
- a handler that raises is re-published to a delay queue (dead-lettered back to its queue after the
  delay) `HANDLER_RETRY_DELAYS` times, then parked;
- a handler that meets a busy store (a write conflict: documents held by another transaction, for up
  to 60 s when its client died) is deferred through a delay queue every `HANDLER_BUSY_DELAY`
  seconds without spending those attempts, for at most `HANDLER_BUSY_SECONDS`, then parked; a worker
  never waits out the lock;
- headers are read defensively: a malformed attempt counter or first-failure time counts as spent,
  so the message is parked, not retried forever;
- a body larger than `PARKED_BODY_LIMIT` is parked as its first bytes, its size and its sha256,
  marked truncated (the store's documents are limited to 16 MB); such a message cannot be replayed
  from the parking lot;
- when parking itself fails (the store is away), the worker backs off and tries again, and only then
  gives the message back to the broker: never an immediate requeue in a hot loop.

Every handler queue is bound to its source's event exchange (the event type) and to its source's
replay exchange `<source>.replay` (its own name: a replay for this queue alone, `kernel.relay`), both
passively: the exchanges are their owners', declared by ops/topology.py.

An operator lists parked messages and replays them (`OperatorRpc` in `kernel.service`); RPC queues
park what they cannot read the same way (`SafeRpcConsumer`).
"""
from __future__ import annotations

import hashlib
import logging
import time
import traceback
import uuid
from datetime import datetime, timezone
from functools import partial

from bson.errors import InvalidDocument
from kombu import Connection, Exchange, Queue, binding
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled, deserialize_to_instance
from nameko.extensions import SharedExtension
from nameko.messaging import QueueConsumer
from nameko.standalone.events import get_event_exchange
from pymongo.errors import DocumentTooLarge

from . import logs, metrics
from .errors import EXPECTED, Unavailable
from .events import publisher_refusal, replay_exchange_name
from .settings import load_settings
from .store import Store, event_time

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-khadem-attempts"
# Every service queue is a quorum queue (replicated across a RabbitMQ cluster; declared so on one node).
QUORUM = {"x-queue-type": "quorum"}
FIRST_FAILURE_HEADER = "x-khadem-first-failure"
PARK_BACKOFF = (0.5, 1, 2, 4, 8, 15)
# A parked body is kept whole up to this size; beyond it, its first bytes, its size and its sha256.
# (Events are tens of kB at most; the store's documents are limited to 16 MB.)
PARKED_BODY_LIMIT = 1024 * 1024


def register_errors() -> None:
    """Let RPC callers receive the kernel's errors as themselves, not as RemoteError."""
    for cls in EXPECTED:
        deserialize_to_instance(cls)


register_errors()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def owner_of(container) -> str:
    """The service whose database, exchange and queues a container uses: its own name, or the
    `owner` of a companion container (e.g. the reports service's projections)."""
    return getattr(container.service_cls, "owner", None) or container.service_name


def attempts_of(headers: dict, limit: int) -> int:
    """The attempts a message has had; anything malformed counts as all of them spent."""
    raw = headers.get(ATTEMPTS_HEADER, 0)
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return limit
    try:
        n = int(raw)
    except ValueError:
        return limit
    return n if 0 <= n <= limit else limit


def first_failure_of(headers: dict, now: float) -> float | None:
    """When the message first met a busy store (epoch seconds); malformed counts as long ago."""
    raw = headers.get(FIRST_FAILURE_HEADER)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return 0.0
    return float(raw) if 0 <= raw <= now + 60 else 0.0


def broker_user(amqp_uri: str) -> str:
    """The user a connection to `amqp_uri` signs in as (the transport's default when the URI names none)."""
    conn = Connection(amqp_uri)
    return conn.userid or conn.transport.default_connection_params.get("userid") or "guest"


def raw_body_of(message) -> bytes:
    """The bytes that came on the wire. The AMQP client decodes a body whose content encoding it knows
    (`utf-8`…) into text; encoded again with that encoding it gives the same bytes back."""
    body = message.body
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        try:
            return body.encode(message.content_encoding or "utf-8")
        except (LookupError, UnicodeError):
            return body.encode("utf-8", "surrogatepass")
    return repr(body).encode()


_JSON_KINDS = {str: "string", list: "array", int: "number", float: "number", bool: "boolean", type(None): "null",
               bytes: "raw body", bytearray: "raw body"}


def event_refusal(body, source: str) -> str | None:
    """Why a decoded body is not an event of `source` (None: it is one, as far as its envelope goes)."""
    if not isinstance(body, dict):
        return f"not an event: {_JSON_KINDS.get(type(body), type(body).__name__)}, not an object"
    missing = [k for k in ("id", "type") if not isinstance(body.get(k), str) or not body.get(k)]
    if missing:
        return f"not an event: no {' and no '.join(missing)}"
    if not body["type"].startswith(f"{source}."):
        return f"not an event of {source}: its type is {body['type'][:200]!r}"
    return None


def _short(value, limit: int = 200) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _event_time(body: dict):
    try:
        return event_time(body) if body.get("time") else None
    except Exception:   # a time no one can read orders nothing
        return None


def _header_rows(headers: dict) -> list[dict]:
    """Headers as name/value rows: names carry dots (`nameko.request_id`) that a document key should not."""
    rows = []
    for k, v in (headers or {}).items():
        if str(k).startswith("x-death"):
            continue
        rows.append({"name": str(k), "value": v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)})
    return rows


class ParkingLot(SharedExtension):
    """Where messages go after their last attempt: `parked_messages` in the service's database."""

    def setup(self):
        settings = load_settings()
        self.store = Store.connect(settings.mongo_uri, settings.database_name(owner_of(self.container)))

    def park(self, queue: str, handler: str, message, error: str, attempts: int, reason: str = "failed") -> None:
        """Keep `message` where an operator sees it. `reason`: `failed` (its attempts spent),
        `undecodable`, `not-an-event`, `publisher` (not its source's publisher; never replayed from here),
        `rpc` (a request nothing can answer). Its event time (which holds the inbox's horizon below it,
        `Store.purge_inbox`) only for `failed`: a replay of the others applies nothing."""
        body = None
        if not getattr(message, "_khadem_undecodable", False):
            try:
                body = message.payload
            except Exception:
                body = None
        raw = raw_body_of(message)
        event = body if isinstance(body, dict) else {}
        # An event whose attempts were spent is kept as the object it decoded to (what an operator
        # reads, and replays); anything else as the bytes that came.
        whole = reason == "failed" and isinstance(body, dict) and len(raw) <= PARKED_BODY_LIMIT
        properties = getattr(message, "properties", None) or {}
        delivery = getattr(message, "delivery_info", None) or {}
        row = {
            "_id": uuid.uuid4().hex,
            "queue": queue,
            "handler": handler,
            "reason": reason,
            "event_id": _short(event.get("id")),
            "event_type": _short(event.get("type")),
            "event_time": _event_time(event) if reason == "failed" else None,
            "body": body if whole else None,
            "raw_body": None if whole else raw[:PARKED_BODY_LIMIT],
            "body_size": len(raw),
            "body_sha256": hashlib.sha256(raw).hexdigest(),
            "truncated": len(raw) > PARKED_BODY_LIMIT,
            "content_type": _short(message.content_type),
            "content_encoding": _short(message.content_encoding),
            "routing_key": _short(delivery.get("routing_key")),
            "user_id": _short(properties.get("user_id")),
            "headers": _header_rows(message.headers),
            "attempts": attempts,
            "error": error[-8000:],
            "status": "parked",
            "parked_at": _now(),
        }
        try:
            self.store.db.parked_messages.insert_one(row)
        except (InvalidDocument, DocumentTooLarge):
            if row["body"] is None:
                raise
            # A decoded body the store will not take as a document (its BSON is larger than its JSON,
            # or a key it refuses): its bytes, then.
            row.update(body=None, raw_body=raw[:PARKED_BODY_LIMIT])
            self.store.db.parked_messages.insert_one(row)
        metrics.parked(owner_of(self.container), handler)


def settle(queue_consumer, message, action, who: str) -> None:
    """Do `action` (retry or park `message`), backing off while it fails; ack once done. If it never
    succeeds, give the message back to the broker, after the back-off."""
    for pause in PARK_BACKOFF:
        try:
            action()
        except Exception:
            log.exception("%s: could not retry or park a message; trying again in %ss", who, pause)
            time.sleep(pause)
            continue
        queue_consumer.ack_message(message)
        return
    log.error("%s: giving the message back to the broker after %.0fs of failures to park it",
              who, sum(PARK_BACKOFF))
    queue_consumer.requeue_message(message)


class SafeQueueConsumer(QueueConsumer):
    """nameko's queue consumer, with a hook for messages kombu cannot decode: each provider decides
    (event handlers park them); nothing is dropped silently and nothing crashes the consumer."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._on_decode_error, provider)
        return consumers

    def _on_decode_error(self, provider, message, exc) -> None:
        handler = getattr(provider, "handle_undecodable", None)
        if handler is None:
            log.error("a message on %s could not be decoded and was dropped: %s", provider, exc)
            self.ack_message(message)
            return
        message._khadem_undecodable = True
        self.container.spawn_managed_thread(partial(handler, message, exc), identifier="park-undecodable")


def handler_queues(source: str, event_type: str, owner: str, method: str, retry_delays: list[float],
                   busy_delay: float) -> tuple[Queue, list[Queue], Queue]:
    """A reliable handler's queue — bound to its source's event exchange (its event type) and to its
    source's replay exchange (its own name) —, and the delay queues its retries and a busy store's
    deferrals go through — the service's own, shared by all its handlers (`delay_queue`)."""
    name = f"evt-{source}-{event_type}--{owner}.{method}"
    main = Queue(name, bindings=[binding(consumed_exchange(source), routing_key=event_type),
                                 binding(consumed_replay_exchange(source), routing_key=name)],
                 durable=True, queue_arguments=dict(QUORUM))
    return main, [delay_queue(owner, d) for d in retry_delays], delay_queue(owner, busy_delay)


def consumed_exchange(source: str) -> Exchange:
    """Another service's event exchange as a consumer binds to it: passively, for it exists already
    (ops/topology.py declares every exchange before any service starts), so no consumer needs the
    right to declare — or delete — an exchange it does not own."""
    exchange = get_event_exchange(source, {})
    exchange.passive = True
    return exchange


def replay_exchange(service: str) -> Exchange:
    """`<service>.replay`: a direct exchange through which the service's replay jobs reach one
    consumer's queue (routing key: the queue's name) without the default exchange, on which no service
    may publish (it would reach any queue by name)."""
    return Exchange(replay_exchange_name(service), type="direct", durable=True)


def consumed_replay_exchange(source: str) -> Exchange:
    """Another service's replay exchange as a consumer binds to it: passively, as `consumed_exchange`."""
    exchange = replay_exchange(source)
    exchange.passive = True
    return exchange


def rpc_queue(service: str, exchange: Exchange | None = None) -> Queue:
    """A service's RPC queue as nameko binds it (`rpc-<service>`, keys `<service>.*`), a quorum queue."""
    return Queue(f"rpc-{service}", exchange=exchange or Exchange("nameko-rpc", type="topic", durable=True),
                 routing_key=f"{service}.*", durable=True, queue_arguments=dict(QUORUM))


def delay_queue(owner: str, seconds: float) -> Queue:
    """A service's queue that holds a message for `seconds`, then dead-letters it, through the default
    exchange, to the queue its routing key names: a handler defers a message by publishing it to the
    fanout exchange of the same name with its own queue's name as the routing key. One per delay
    and service (its name carries the delay, `<service>.delay.<ms>`, since RabbitMQ fixes a queue's
    arguments when it is first declared), shared by all of the service's handlers: a quorum queue
    costs the broker a file handle or more, and a handler of its own each would be 5 of them.
    A quorum queue like those it feeds; at-least-once dead-lettering (which needs reject-publish on
    overflow) so that the broker moves a message on only once the target queue took it."""
    ms = int(seconds * 1000)
    name = f"{owner}.delay.{ms}"
    return Queue(name, exchange=Exchange(name, type="fanout", durable=True), routing_key="", durable=True,
                 queue_arguments={**QUORUM, "x-message-ttl": ms, "x-dead-letter-exchange": "",
                                  "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})


class ReliableEventHandler(EventHandler):
    """An event handler whose failures are retried with back-off and then parked, never dropped."""

    queue_consumer = SafeQueueConsumer()
    parking = ParkingLot()

    def __init__(self, source_service, event_type, **kwargs):
        # A busy store is expected (the message is deferred): logged as a warning, not an error.
        kwargs.setdefault("expected_exceptions", (Unavailable,))
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL, **kwargs)

    def setup(self):
        settings = load_settings()
        self.owner = owner_of(self.container)
        self.queue, self.retry_queues, self.busy_queue = handler_queues(
            self.source_service, self.event_type, self.owner, self.method_name, settings.retry_delays,
            settings.handler_busy_delay)
        self.busy_budget = settings.handler_busy_seconds
        self.own_user = broker_user(self.container.config["AMQP_URI"])
        self.queue_consumer.register_provider(self)

    @property
    def handler_name(self) -> str:
        return f"{self.owner}.{self.method_name}"

    # -- what may be applied at all

    def handle_message(self, body, message):
        if self._refused(body, message):
            return
        super().handle_message(body, message)

    def refusal(self, body, message) -> tuple[str, str] | None:
        """(reason, error) when the message must be parked unapplied, before any attempt: it was not
        published by its source's publisher, or it is not an event of that source."""
        error = publisher_refusal((message.properties or {}).get("user_id"), self.own_user, self.owner,
                                  self.source_service)
        if error is not None:
            return "publisher", error
        error = event_refusal(body, self.source_service)
        return None if error is None else ("not-an-event", error)

    def _refused(self, body, message) -> bool:
        verdict = self.refusal(body, message)
        if verdict is None:
            return False
        reason, error = verdict
        event_id = _short(body.get("id"), 64) if isinstance(body, dict) else None
        tokens = logs.bind(_short((message.headers or {}).get("nameko.request_id"), 64), event_id)
        try:
            log.error("%s: %s; parking it unapplied", self.handler_name, error)
        finally:
            logs.unbind(tokens)
        self.container.spawn_managed_thread(
            partial(self._settle, message,
                    lambda: self.parking.park(self.queue.name, self.handler_name, message, error, 0, reason)),
            identifier="park-refused")
        return True

    # -- results

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        self._settle(message, lambda: self._retry_or_park(message, exc_info))
        return result, exc_info

    def handle_undecodable(self, message, exc) -> None:
        error = f"the message could not be decoded ({message.content_type}): {exc!r}"
        forged = publisher_refusal((message.properties or {}).get("user_id"), self.own_user, self.owner,
                                   self.source_service)
        if forged is not None:
            error += f"; and it was {forged}"
        log.error("%s: %s; parking it", self.handler_name, error)
        self._settle(message, lambda: self.parking.park(self.queue.name, self.handler_name, message, error, 0,
                                                        "undecodable"))

    def _settle(self, message, action) -> None:
        settle(self.queue_consumer, message, action, self.handler_name)

    def _retry_or_park(self, message, exc_info) -> None:
        headers = dict(message.headers or {})
        limit = len(self.retry_queues)
        attempts = attempts_of(headers, limit)
        exc = exc_info[1]
        now = time.time()
        if isinstance(exc, Unavailable):
            first = first_failure_of(headers, now)
            first = now if first is None else first
            if now - first < self.busy_budget:
                headers[FIRST_FAILURE_HEADER] = first
                self._republish(message, self.busy_queue, headers)
                log.info("%s: the store is busy; trying again in %ss", self.handler_name,
                         self.busy_queue.queue_arguments["x-message-ttl"] / 1000)
                return
        elif attempts < limit and not isinstance(exc, EXPECTED):
            headers[ATTEMPTS_HEADER] = attempts + 1
            target = self.retry_queues[attempts]
            self._republish(message, target, headers)
            log.warning("%s failed (attempt %d); retrying in %ss: %s", self.handler_name, attempts + 1,
                        target.queue_arguments["x-message-ttl"] / 1000, exc)
            return
        error = "".join(traceback.format_exception(*exc_info))
        log.error("%s failed %d times; parking the message: %s", self.handler_name, attempts + 1, exc)
        self.parking.park(self.queue.name, self.handler_name, message, error, attempts + 1)

    def _republish(self, message, target: Queue, headers: dict) -> None:
        """Into the delay queue `target`, to come back to this handler's queue after the delay."""
        headers = {k: v for k, v in headers.items() if not str(k).startswith("x-death")}
        with Connection(self.container.config["AMQP_URI"], transport_options={"confirm_publish": True},
                        connect_timeout=5) as conn:
            # Published by this process's own user (the broker refuses any other `user_id`): the
            # publisher was checked when it first came, and only this user may write to the delay queue.
            conn.Producer().publish(raw_body_of(message), exchange=target.exchange, routing_key=self.queue.name,
                                    content_type=message.content_type,
                                    content_encoding=message.content_encoding, delivery_mode=2,
                                    headers=headers, declare=[target], retry=True,
                                    retry_policy={"max_retries": 2}, user_id=self.own_user)


class BatchQueueConsumer(SafeQueueConsumer):
    """The queue consumer of batching handlers: it lets the broker send more messages than there
    are workers (`HANDLER_BATCH_PREFETCH` per queue), so that a burst can be gathered into batches."""

    @property
    def prefetch_count(self):
        return max(self.container.max_workers, load_settings().handler_batch_prefetch)


class BatchEventHandler(ReliableEventHandler):
    """A reliable event handler that is given its events in batches: the method receives a list of
    envelopes, gathered while they arrive (up to `HANDLER_BATCH_SIZE`, waiting at most
    `HANDLER_BATCH_LINGER_MS` after the first, and while `HANDLER_BATCH_CONCURRENCY` batches of this
    handler are running), and applies them in one transaction (`Store.apply_batch`); the messages
    are acked once it has committed. A batch that fails is not
    retried as a whole: each of its events goes again on its own, through the usual
    retry-then-park path, so one bad event never holds back the others (docs/performance.md)."""

    queue_consumer = BatchQueueConsumer()

    def setup(self):
        super().setup()
        settings = load_settings()
        self.batch_size = max(1, settings.handler_batch_size)
        self.linger = max(0.0, settings.handler_batch_linger_ms / 1000)
        self.concurrency = max(1, settings.handler_batch_concurrency)
        self._gathered: list = []
        self._waiting = False
        self._running = 0

    def handle_message(self, body, message):
        if self._refused(body, message):
            return
        self._gathered.append((body, message))
        if len(self._gathered) >= self.batch_size:
            self._spawn_batch()
        elif not self._waiting:
            self._waiting = True
            self.container.spawn_managed_thread(self._after_linger, identifier=f"{self.handler_name}.linger")

    def _after_linger(self) -> None:
        time.sleep(self.linger)
        self._waiting = False
        self._spawn_batch()

    def _spawn_batch(self) -> None:
        """Start a batch of what has gathered, unless `concurrency` batches are running: then what
        arrives meanwhile waits for one of them to end, and goes as a larger batch."""
        if self._running >= self.concurrency or not self._gathered:
            return
        batch, self._gathered = self._gathered[:self.batch_size], self._gathered[self.batch_size:]
        self._running += 1
        try:
            self.container.spawn_worker(self, ([body for body, _ in batch],), {}, context_data={},
                                        handle_result=partial(self._batch_done, batch))
        except ContainerBeingKilled:
            self._running -= 1
            for _, message in batch:
                self.queue_consumer.requeue_message(message)

    def _batch_done(self, batch, worker_ctx, result=None, exc_info=None):
        self._running -= 1
        try:
            return self._settle_batch(batch, worker_ctx, result, exc_info)
        finally:
            self._spawn_batch()

    def _settle_batch(self, batch, worker_ctx, result, exc_info):
        if exc_info is None:
            for _, message in batch:
                self.queue_consumer.ack_message(message)
            return result, exc_info
        if len(batch) == 1:
            return self.handle_result(batch[0][1], worker_ctx, result, exc_info)
        log.warning("%s: a batch of %d failed (%s); each of its events again on its own", self.handler_name,
                    len(batch), exc_info[1])
        for body, message in batch:
            try:
                self.container.spawn_worker(self, ([body],), {}, context_data=self.unpack_message_headers(message),
                                            handle_result=partial(self.handle_result, message))
            except ContainerBeingKilled:
                self.queue_consumer.requeue_message(message)
        return result, exc_info


reliable_event_handler = ReliableEventHandler.decorator
batch_event_handler = BatchEventHandler.decorator
