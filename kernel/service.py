"""What every nameko service of Khadem is made of: its store (with the outbox relay, the heartbeat and
the housekeeping beside the workers), the request context, RPC entrypoints that honour deadlines,
and the operator's RPCs, which only an administrator may call.

A request carries who is calling (user and person id, as the gateway verified them from the bearer
token), its request id, its deadline and its idempotency key — never roles. Each service resolves
the caller's roles from its own data (`DomainService._caller_is_admin` and the services' own
`actor` helpers).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from functools import partial

import pymongo
from nameko.exceptions import ContainerBeingKilled, MalformedRequest
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

from .caller import HEADER as CALLER_HEADER, Verifier
from .errors import EXPECTED, Conflict, Forbidden, NotFound, Unauthenticated
from .messaging import (ATTEMPTS_HEADER, FIRST_FAILURE_HEADER, PARKED_BODY_LIMIT, ParkingLot, SafeQueueConsumer,
                        broker_user, delay_queue, owner_of, register_errors, rpc_queue, settle)
from .relay import OutboxRelay, ReplayRunner, create_replay_job, job_view
from .settings import cached_settings, load_settings
from . import logs, loops, metrics
from .clock import SYSTEM as clock
from .store import IdempotencyKey, Store, strip_ids

log = logging.getLogger(__name__)
register_errors()


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- RPC entrypoints with deadlines

def deadline_of(headers: dict) -> float | None:
    raw = (headers or {}).get("nameko.deadline")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return None
    try:
        return float(raw)
    except ValueError:
        return None


class SafeRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, which a malformed request cannot bring down, and which gives every
    message a verdict: one it cannot decode, or one without a reply address that is no request (not
    `{"args": [...], "kwargs": {...}}`, or for no method of the service), is parked with its raw bytes
    (`kernel.messaging.ParkingLot`, reason `undecodable` or `rpc`) instead of being dropped; a
    request without a reply address that runs has its answer logged and dropped (nowhere to go); a
    malformed one with a reply address is answered with nameko's error."""

    queue_consumer = SafeQueueConsumer()
    parking = ParkingLot()

    def setup(self):
        if self.queue is None:   # nameko's queue, declared as a quorum queue (ops/topology.py)
            self.queue = rpc_queue(self.container.service_name, get_rpc_exchange(self.container.config))
            self.queue_consumer.register_provider(self)
            self._registered = True

    def _park(self, message, error: str, reason: str) -> None:
        """Off the consumer's thread: parking backs off while the store is away."""
        service = self.container.service_name
        log.error("a message on %s (%s): %s; parking it", self.queue.name,
                  str(message.delivery_info.get("routing_key"))[:200], error)
        self.container.spawn_managed_thread(partial(
            settle, self.queue_consumer, message,
            lambda: self.parking.park(self.queue.name, f"{service}.rpc", message, error, 0, reason),
            f"{service}.rpc"), identifier="park-rpc")

    def handle_undecodable(self, message, exc) -> None:
        self._park(message, f"the request could not be decoded ({message.content_type}): {exc!r}", "undecodable")

    def handle_message(self, body, message):
        if not message.properties.get("reply_to"):
            routing_key = message.delivery_info.get("routing_key")
            if not (isinstance(body, dict) and isinstance(body.get("args"), (list, tuple))
                    and isinstance(body.get("kwargs"), dict)):
                self._park(message, "not a request (no args and kwargs) and no reply address", "rpc")
                return
            try:
                self.get_provider_for_method(routing_key)
            except Exception:
                self._park(message, f"no method {str(routing_key)[:200]!r} here, and no reply address", "rpc")
                return
        super().handle_message(body, message)

    def handle_result(self, message, result, exc_info):
        if not message.properties.get("reply_to"):
            log.error("dropped a request on %s with no reply address (%s)",
                      message.delivery_info.get("routing_key"), exc_info[1] if exc_info else "no error")
            self.queue_consumer.ack_message(message)
            return result, exc_info
        try:
            return super().handle_result(message, result, exc_info)
        except Exception:
            log.exception("could not answer a request on %s; dropped", message.delivery_info.get("routing_key"))
            self.queue_consumer.ack_message(message)
            return result, exc_info


class DeadlineRpc(Rpc):
    """An RPC entrypoint that believes only a signed caller (kernel.caller) and drops, without acting,
    a request picked up after its deadline.

    Before anything else, the request's token is verified (signed by a known key, untouched, for this
    service and method, not expired): a request without one, or with a bad one, is answered
    Unauthenticated and no rule runs. The worker's context is then built from the token's claims
    alone — headers that claim a user, a person, a deadline or an idempotency key are ignored.
    A request past its deadline is dropped: its caller has given up and been told the outcome is
    unknown, so doing the work now would only surprise it."""

    rpc_consumer = SafeRpcConsumer()

    def setup(self):
        super().setup()
        self.verifier = Verifier.from_settings(load_settings())

    def handle_message(self, body, message):
        headers = message.headers or {}
        claims = self.verifier.verify(headers.get(f"nameko.{CALLER_HEADER}"), self.container.service_name,
                                      self.method_name, expiry=False)   # Unauthenticated: answered, nothing run
        deadline = deadline_of({"nameko.deadline": claims.context.get("deadline")})
        deadline = claims.expires if deadline is None else min(deadline, claims.expires)
        if time.time() > deadline:
            log.warning("dropped %s (request %s): its deadline passed %.1fs ago",
                        message.delivery_info.get("routing_key"), claims.context.get("request_id"),
                        time.time() - deadline)
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        try:
            args, kwargs = body["args"], body["kwargs"]
        except (KeyError, TypeError):
            raise MalformedRequest("Message missing `args` or `kwargs`") from None
        self.check_signature(args, kwargs)
        context_data = dict(claims.context)
        if claims.service:
            context_data["caller_service"] = claims.service
        stack = headers.get("nameko.call_id_stack")
        if isinstance(stack, list):
            context_data["call_id_stack"] = stack
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.rpc_consumer.requeue_message(message)


def rpc(fn=None, **kwargs):
    """`@rpc` of Khadem: deadlines honoured, the kernel's errors expected (logged as warnings)."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    decorate = DeadlineRpc.decorator(**kwargs)
    return decorate(fn) if fn is not None else decorate


# ---------------------------------------------------------------- request context

class RequestContext:
    """Who is calling and under what terms: for an RPC, what the caller's signed token says (built by
    `DeadlineRpc` from nothing else: `signed`); for anything else (an event handler, a timer)
    nobody — headers on the wire never name a caller. Read defensively all the same."""

    def __init__(self, data: dict, margin: float, signed: bool = True):
        if not signed:
            data = {"request_id": data.get("request_id")}

        def text(key: str, limit: int = 200) -> str | None:
            v = data.get(key)
            return v[:limit] if isinstance(v, str) and v else None

        self.request_id = text("request_id", 64) or uuid.uuid4().hex
        self.user_id = text("user_id", 64)
        self.person_id = text("person_id", 64)
        # The service that called, when one called with its own identity (none does today).
        self.caller_service = text("caller_service", 64)
        # The caller's network address as the gateway saw it (the public routes' and sign-in's limits).
        self.client_address = text("client_address", 64)
        self.deadline = deadline_of({"nameko.deadline": data.get("deadline")})
        self.margin = margin
        key, fingerprint = text("idempotency_key", 300), text("request_fingerprint", 128)
        self.idempotency = (IdempotencyKey(f"{self.user_id or '-'}:{key}", fingerprint)
                            if key and fingerprint else None)
        self.cache: dict = {}

    @property
    def store_deadline(self) -> float | None:
        """Until when the store may be retried for this request (None: the store's default)."""
        return None if self.deadline is None else self.deadline - self.margin


class ContextProvider(DependencyProvider):
    def setup(self):
        self.margin = load_settings().rpc_deadline_margin

    def get_dependency(self, worker_ctx):
        return RequestContext(worker_ctx.data or {}, self.margin,
                              signed=isinstance(worker_ctx.entrypoint, DeadlineRpc))


# ---------------------------------------------------------------- the store, and what runs beside the workers

class StoreProvider(DependencyProvider):
    """The service's Store. Beside the workers it runs the outbox relay (`relay=False` for a
    companion container that emits nothing), the replay jobs, a heartbeat transaction every
    HEARTBEAT_SECONDS (which also writes HEALTH_FILE, the container's health check) and the
    service's periodic duties. `indexes(db)` creates the service's own indexes at start-up;
    `on_start(store)` loads what the service needs (both idempotent).

    `periodic` names duties `{name: (seconds, job(store))}`, each run **once per its interval across
    all instances of the service** (a number, or a function of the settings): an instance runs a duty
    only when it moves the duty's `due` time on in the store (`periodic_runs`, which counts the runs);
    the others see it moved and wait. Beside them every service has two duties of its own: the
    hourly purge of old inbox rows and idempotency keys, and the pruning of events sent longer ago
    than OUTBOX_RETENTION_DAYS. A duty must still be idempotent: one whose instance dies midway is
    run again at the next period.

    The relay, the replays and the housekeeping are managed loops (kernel.loops:
    `<container>.outbox-relay`, `.outbox-replay`, `.housekeeping`, and `.duty:<name>` for each duty):
    nothing the store or the broker raises ends them or the process; each failure is logged,
    counted and followed by a back-off, and `ping` reports their state."""

    def __init__(self, indexes=None, on_start=None, relay: bool = True, periodic: dict | None = None, **kwargs):
        self.indexes = indexes
        self.on_start = on_start
        self.periodic = dict(periodic or {})
        if relay:   # the service's own container (its companion would only repeat them)
            self.periodic.setdefault("purge-inbox-and-keys", (3600, lambda store: self.purge()))
            self.periodic.setdefault("prune-outbox", (600, lambda store: self.prune_outbox()))
        self.with_relay = relay
        super().__init__(**kwargs)

    def setup(self):
        self.settings = load_settings()
        self.service = owner_of(self.container)
        self.store = Store.connect(self.settings.mongo_uri, self.settings.database_name(self.service),
                                   inbox_retention=timedelta(days=self.settings.inbox_retention_days))
        self.relay = OutboxRelay(self.store, self.service, self.container.config["AMQP_URI"],
                                 self.settings.outbox_lease_seconds)
        self.replays = ReplayRunner(self.relay)
        self.kick = threading.Event()
        self.stopping = threading.Event()
        self.who = f"{self.container.service_name}@{socket.gethostname()}:{os.getpid()}"
        name, after = self.container.service_name, self.settings.loop_failing_seconds
        self.relay_loop = loops.state(self.service, f"{name}.outbox-relay", after)
        self.replay_loop = loops.state(self.service, f"{name}.outbox-replay", after)
        self.housekeeping_loop = loops.state(self.service, f"{name}.housekeeping", after)
        self.duty_states = {duty: loops.state(self.service, f"{name}.duty:{duty}", after) for duty in self.periodic}
        # Here, not in start(): nameko starts every extension at once, and no entrypoint may take a
        # request before the indexes and the service's own data are in place.
        self.store.ensure_kernel_indexes()
        if self.indexes is not None:
            self.indexes(self.store.db)
        if self.on_start is not None:
            self.on_start(self.store)

    def start(self):
        try:
            metrics.serve(self.settings.metrics_port)
        except OSError as exc:   # a port taken must not take the service down with it
            log.error("metrics cannot be served on port %s: %s", self.settings.metrics_port, exc)
        if self.with_relay:
            self.container.spawn_managed_thread(self._relay_loop, identifier="outbox-relay")
            self.container.spawn_managed_thread(self._replay_loop, identifier="outbox-replay")
        self.container.spawn_managed_thread(self._housekeeping_loop, identifier="store-housekeeping")

    def stop(self):
        self.stopping.set()
        self.kick.set()

    def kill(self):
        self.stop()

    def _relay_loop(self):
        def relay_pass():
            self.kick.wait(self.settings.outbox_poll_seconds)
            self.kick.clear()
            self.relay.flush()
        loops.run(self.relay_loop, relay_pass, self.stopping, first=self.settings.outbox_poll_seconds)
        self.relay.close()

    def _replay_loop(self):
        def replay_pass():
            if self.stopping.wait(2.0):
                return loops.STOP
            while self.replays.run_once(self.stopping):
                pass
        loops.run(self.replay_loop, replay_pass, self.stopping, first=2.0)

    def _housekeeping_loop(self):
        loops.run(self.housekeeping_loop, self._housekeeping_pass, self.stopping,
                  first=1.0, most=max(5.0, self.settings.heartbeat_seconds))

    def _housekeeping_pass(self):
        """The periodic duties that are due (each one's outcome in its own state), then the heartbeat
        transaction (its failure is the pass's), then a wait of HEARTBEAT_SECONDS."""
        for name, (every, job) in self.periodic.items():
            duty = self.duty_states[name]
            seconds = every(self.settings) if callable(every) else every
            try:
                if not self.store.claim_period(f"{self.service}:{name}", seconds, self.who):
                    continue
            except Exception as exc:
                duty.failed(exc)
                log.warning("periodic duty %s: could not claim its period: %s", name, exc)
                continue
            started = time.perf_counter()
            try:
                job(self.store)
                duty.succeeded()
                metrics.periodic_run(self.service, name, time.perf_counter() - started, failed=False)
            except Exception as exc:
                duty.failed(exc)
                metrics.periodic_run(self.service, name, time.perf_counter() - started, failed=True)
                log.exception("periodic duty %s failed; again in %s s", name, seconds)
        with pymongo.timeout(max(2.0, self.settings.heartbeat_seconds)):
            self.store.heartbeat(self.who)
            if self.with_relay:
                self._read_gauges()
        heartbeat(self.settings.health_file)
        self.stopping.wait(self.settings.heartbeat_seconds)

    def _read_gauges(self) -> None:
        db = self.store.db
        oldest = db.outbox.find_one({"status": "pending"}, {"created_at": 1},
                                    sort=[("status", 1), ("created_at", 1), ("seq", 1)])
        age = (_now() - oldest["created_at"]).total_seconds() if oldest else 0.0
        metrics.store_gauges(self.service, db.outbox.count_documents({"status": "pending"}), age,
                             db.parked_messages.count_documents({"status": "parked"}),
                             self.store.raw.inbox.estimated_document_count())

    def prune_outbox(self) -> int:
        """Forget the events sent longer ago than OUTBOX_RETENTION_DAYS (0: keep them all); a replay
        can then start no earlier than the newest pruned (`Store.outbox_horizon`)."""
        days = self.settings.outbox_retention_days
        if days <= 0:
            return 0
        pruned = self.store.prune_outbox(timedelta(days=days))
        if pruned:
            log.info("pruned %d events sent more than %g days ago", pruned, days)
        return pruned

    def purge(self) -> dict:
        inbox = sum(self.store.purge_inbox(c) for c in self.store.raw.inbox.distinct("consumer"))
        keys = self.store.purge_idempotency_keys(timedelta(hours=self.settings.idempotency_retention_hours))
        if inbox or keys:
            log.info("purged %d inbox rows and %d idempotency keys", inbox, keys)
        return {"inbox": inbox, "idempotency_keys": keys}

    def get_dependency(self, worker_ctx):
        return self.store

    # Every worker of the container passes here: its log lines carry its request and event ids
    # (kernel.logs), and its count and latency go to the metrics (kernel.metrics).

    def worker_setup(self, worker_ctx):
        worker_ctx._khadem_started = time.perf_counter()
        worker_ctx._khadem_log = logs.bind((worker_ctx.data or {}).get("request_id"), _event_ids(worker_ctx.args))

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = getattr(worker_ctx, "_khadem_started", None)
        if started is None:
            return
        ep = worker_ctx.entrypoint
        kind = "rpc" if isinstance(ep, Rpc) else "handler"
        if exc_info is None:
            outcome = "ok"
        else:
            outcome = "refused" if kind == "rpc" and isinstance(exc_info[1], EXPECTED) else "failed"
        metrics.entrypoint_done(self.service, kind, ep.method_name, time.perf_counter() - started, outcome)

    def worker_teardown(self, worker_ctx):
        # A worker may have committed events: let the relay publish them now, not at the next poll.
        self.kick.set()
        tokens = getattr(worker_ctx, "_khadem_log", None)
        if tokens is not None:
            logs.unbind(tokens)


def _event_ids(args) -> str | None:
    """The id of the event a handler was given (of the first few, for a batch)."""
    first = args[0] if args else None
    if isinstance(first, dict):
        return str(first.get("id")) if first.get("id") else None
    if isinstance(first, list) and first:
        ids = [str(e.get("id")) for e in first[:5] if isinstance(e, dict)]
        return ",".join(ids) + (f",…(+{len(first) - 5})" if len(first) > 5 else "")
    return None


def heartbeat(path: str) -> None:
    if path:
        try:
            with open(path, "w") as f:
                f.write(_now().isoformat())
        except OSError:
            log.warning("could not write the heartbeat file %s", path)


# ---------------------------------------------------------------- the operator's RPCs

def _jsonable(doc: dict) -> dict:
    def default(o):
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, bytes):
            return o.decode("utf-8", "replace")
        return str(o)
    return json.loads(json.dumps(doc, default=default))


def _listed(row: dict, preview: int = 4096) -> dict:
    """A parked row as the operator's list shows it: a raw body up to `preview` bytes (it may be a
    megabyte; `body_size` and `body_sha256` say what it was)."""
    raw = row.get("raw_body")
    if isinstance(raw, bytes) and len(raw) > preview:
        return {**row, "raw_body": raw[:preview], "raw_body_preview": True}
    return row


class OperatorRpc:
    """Mixed into every service: what an operator needs to see and replay stuck messages. Each call
    checks that the caller is an administrator in this service's own data."""

    def _caller_is_admin(self) -> bool:
        raise NotImplementedError

    def _require_admin(self) -> str:
        if not self.ctx.user_id:
            raise Unauthenticated("sign in first")
        if not self._caller_is_admin():
            raise Forbidden("only an administrator may do this")
        return self.ctx.person_id or self.ctx.user_id

    @rpc
    def parked_list(self, limit: int = 100) -> list[dict]:
        self._require_admin()
        limit = limit if isinstance(limit, int) and 1 <= limit <= 500 else 100
        rows = self.store.db.parked_messages.find({"status": "parked"}, sort=[("parked_at", 1)], limit=limit)
        return [_jsonable(_listed(r)) for r in strip_ids(rows)]

    @rpc
    def parked_replay(self, parked_id: str) -> dict:
        """Put a parked message back on its queue, its attempts counted afresh, through this service's
        own shortest delay queue (`<service>.delay.<ms>`, routing key: the queue; it dead-letters the
        message there when the delay ends): the service publishes on nothing but its own exchanges.
        Refused for a message kept truncated (its bytes are not all here) and for one parked because
        its publisher was not its source's (that would apply a forged event; a genuine one is replayed
        from its publisher's outbox)."""
        self._require_admin()
        row = self.store.db.parked_messages.find_one({"_id": str(parked_id), "status": "parked"})
        if row is None:
            raise NotFound(f"no parked message {parked_id}", "parked_id")
        if row.get("truncated"):
            raise Conflict(f"only the first {PARKED_BODY_LIMIT} of its {row.get('body_size')} bytes were kept "
                           f"(sha256 {row.get('body_sha256')}): it cannot be replayed", "parked_id")
        if row.get("reason") == "publisher":
            raise Conflict(f"it was parked because of who published it ({row.get('error', '')[:300]}): replaying "
                           f"it would apply a forged event; if it is genuine, replay it from its publisher's "
                           f"outbox (outbox_replay, to the queue {row.get('queue')})", "parked_id")
        from kombu import Connection
        headers = {h["name"]: h["value"] for h in row.get("headers") or []
                   if h["name"] not in (ATTEMPTS_HEADER, FIRST_FAILURE_HEADER)}
        headers[ATTEMPTS_HEADER] = 0
        settings = load_settings()
        owner = getattr(self, "owner", None) or self.name
        delay = delay_queue(owner, min([*settings.retry_delays, settings.handler_busy_delay]))
        with Connection(settings.amqp_uri, transport_options={"confirm_publish": True}) as conn:
            # Published as this service's own user, which its handlers accept (only it writes to its
            # delay queues).
            common = dict(exchange=delay.exchange, routing_key=row["queue"], delivery_mode=2, headers=headers,
                          declare=[delay], retry=True, user_id=broker_user(settings.amqp_uri))
            if row.get("body") is not None:
                conn.Producer().publish(row["body"], serializer="json", **common)
            else:
                conn.Producer().publish(bytes(row.get("raw_body") or b""),
                                        content_type=row.get("content_type") or "application/octet-stream",
                                        content_encoding=row.get("content_encoding") or "binary", **common)
        self.store.db.parked_messages.update_one(
            {"_id": row["_id"]}, {"$set": {"status": "replayed", "replayed_at": _now()}})
        return {"id": row["_id"], "status": "replayed"}

    @rpc
    def outbox_replay(self, types: str, queue: str | None = None, since: str | None = None,
                      partial: bool = False) -> dict:
        """Start a job that publishes again, oldest first, the sent events whose type starts with
        `types` (e.g. `registry.` or `registry.kanoon.`), to every subscriber or only to `queue`,
        from `since` (an ISO 8601 instant) or from the first: how a consumer deployed later builds its
        read model from this service's history, or a restored one catches up. Events pruned after
        OUTBOX_RETENTION_DAYS cannot be sent: a replay that would need them is refused, saying since
        when events are kept, unless `partial` accepts that it starts there. Returns the job at once;
        `outbox_replay_status` follows it."""
        by = self._require_admin()
        settings = load_settings()
        return create_replay_job(self.store, self.name, str(types or ""), queue, by, settings.amqp_uri,
                                 self.ctx.idempotency, since=since, partial=bool(partial),
                                 retention_days=settings.outbox_retention_days)

    @rpc
    def outbox_replay_status(self, job_id: str) -> dict:
        self._require_admin()
        return job_view(self.store.db.replay_jobs.find_one({"_id": str(job_id)}))

    @rpc
    def outbox_status(self) -> dict:
        self._require_admin()
        db = self.store.db
        horizon = self.store.outbox_horizon()
        return {"pending": db.outbox.count_documents({"status": "pending"}),
                "failing": db.outbox.count_documents({"status": "pending", "attempts": {"$gte": 3}}),
                "sent": db.outbox.count_documents({"status": "sent"}),
                "parked": db.parked_messages.count_documents({"status": "parked"}),
                "replays_running": db.replay_jobs.count_documents({"status": "running"}),
                "kept_since": horizon.isoformat() if horizon else None,
                "retention_days": load_settings().outbox_retention_days}

    @rpc
    def ping(self) -> dict:
        """Liveness of this service and of its store (a write transaction on a heartbeat document),
        the state of this process's managed loops (kernel.loops: `failing` once they have failed
        persistently) and the relay's staleness: the age of the oldest event still pending, `stalled`
        past RELAY_STALL_SECONDS (any instance's relay would have published it by then)."""
        settings = cached_settings()
        out = {"service": self.name, "store": False, "at": _now().isoformat()}
        t0 = time.perf_counter()
        try:
            with pymongo.timeout(3):
                self.store.heartbeat(f"ping:{self.name}")
            out["store"] = True
            out["store_write_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        except Exception as exc:
            out["store_error"] = loops.describe(exc)
        out["loops"] = {s.loop: s.view() for s in loops.states(getattr(self, "owner", None) or self.name)}
        relay = out["relay"] = {"stall_seconds": settings.relay_stall_seconds}
        try:
            with pymongo.timeout(3):
                oldest = self.store.db.outbox.find_one({"status": "pending"}, {"created_at": 1},
                                                       sort=[("status", 1), ("created_at", 1), ("seq", 1)])
            age = (_now() - oldest["created_at"]).total_seconds() if oldest else 0.0
            relay["oldest_pending_seconds"] = round(age, 1)
            relay["stalled"] = age > settings.relay_stall_seconds
        except Exception as exc:
            relay["error"] = loops.describe(exc)
        return out


class DomainService(OperatorRpc):
    """What every service's entrypoints share: reads through a repository, writes in one transaction
    with their events (the request id becomes the events' correlation id), bounded by the request's
    deadline and keyed by its idempotency key. A service sets `repository` to its Repository class
    and declares `store` and `ctx`."""

    repository: type

    def _caller_is_admin(self) -> bool:
        """From this service's own read model of the registry (kernel.registry_view); the registry
        overrides it with its own records."""
        actor = self._read().actor(self.ctx.user_id, self.ctx.person_id, clock.today())
        return actor is not None and actor.is_admin

    def _read(self):
        return self.repository(self.store.db)

    def _write(self, work):
        ctx = self.ctx
        result, _, _ = self.store.transaction(lambda tx: work(self.repository(tx.db), tx),
                                              correlation_id=ctx.request_id, idempotency=ctx.idempotency,
                                              deadline=ctx.store_deadline)
        return result


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What the gateway sends beside an idempotency key: the request it came with."""
    h = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body or b""):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()
