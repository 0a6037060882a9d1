"""Who a token's user is, remembered between requests and forgotten as soon as it may have changed.

A signed-in request needs the caller's Actor (roles and the units they cover). Asking the registry
on every request costs one RPC per request (docs/performance.md); instead each gateway process keeps
the actors it has fetched and forgets **all of them**:

- on every event the registry publishes (roles assigned or revoked, accounts deactivated,
  memberships, kanoons, people: whatever it is, the cache is emptied), heard on a queue of this
  process's own (deleted when it stops listening; bound to the registry's event exchange with `#`);
- after every state-changing request this process forwards to the registry (so that a client sees
  its own change at once, before the event arrives);
- when the date changes (a role may start or end on a date), and after `ttl` seconds in any case;
- whenever the event queue is not being heard (not yet connected, connection lost): nothing is
  remembered or served from memory then, every request asks the registry. The listener is a managed
  loop (kernel.loops): it connects again after a back-off, and a listener failing persistently shows
  in the gateway's `/health` and `/metrics` (`gateway` `identities`).

Only the registry's events count: a message on the queue whose AMQP `user_id` is not the registry's
broker user (`kernel.events.publisher_refusal`, as every service's handlers apply it) is ignored and
logged, so that nobody else's messages make this process forget — or seem to have heard a change.

A fetch that was under way while something was forgotten is not kept (`ticket`/`put`): it may have
read the registry before the change. Services never rely on this: each resolves the caller's roles
from its own data (kernel.service); the gateway uses the actor for its own checks and for `/me`.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid

from kombu import Connection, Consumer, Queue
from nameko.standalone.events import get_event_exchange

from kernel import jalali, loops
from kernel.access import Actor
from kernel.events import publisher_refusal

log = logging.getLogger(__name__)


class Identities:
    def __init__(self, amqp_uri: str, ttl: float, max_entries: int = 100_000, failing_after: float | None = None):
        self.amqp_uri = amqp_uri
        conn = Connection(amqp_uri)   # (not connected: only the user it signs in as)
        self.own_user = conn.userid or conn.transport.default_connection_params.get("userid") or "guest"
        self.ignored = 0   # messages not published by the registry (for the tests and the logs)
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, object, Actor]] = {}
        self._epoch = 0
        self._listening = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.queue_name: str | None = None   # the queue heard now
        self.forgotten = 0   # how many times everything was forgotten (for the tests and the metrics)
        self.loop = loops.state("gateway", "identities", failing_after)

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    @property
    def listening(self) -> bool:
        return self._listening

    # -- life cycle

    def start(self, wait: float = 5.0) -> None:
        if not self.enabled:
            return
        self._thread = threading.Thread(target=self._run, name="gateway-identities", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + wait
        while not self._listening and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- use

    def ticket(self) -> int:
        """Take before fetching an actor; give back to `put`."""
        return self._epoch

    def get(self, user_id: str) -> Actor | None:
        if not self._listening:
            return None
        hit = self._entries.get(user_id)
        if hit is None:
            return None
        until, day, actor = hit
        if until < time.monotonic() or day != jalali.today():
            self._entries.pop(user_id, None)
            return None
        return actor

    def put(self, user_id: str, actor: Actor, ticket: int) -> None:
        """Remember `actor`, unless something was forgotten since `ticket` was taken (or nothing is heard)."""
        if not self.enabled:
            return
        with self._lock:
            if ticket != self._epoch or not self._listening:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[user_id] = (time.monotonic() + self.ttl, jalali.today(), actor)

    def forget_all(self) -> None:
        with self._lock:
            self._epoch += 1
            self._entries = {}
            self.forgotten += 1

    # -- the registry's events

    def _set_listening(self, on: bool) -> None:
        with self._lock:
            self._epoch += 1
            self._entries = {}
            self._listening = on

    def _on_message(self, message) -> None:
        refusal = publisher_refusal((message.properties or {}).get("user_id"), self.own_user, "gateway", "registry")
        if refusal is not None:
            self.ignored += 1
            log.warning("ignored a message on %s: %s", self.queue_name, refusal)
            return
        self.forget_all()

    def _run(self) -> None:
        # A managed loop (kernel.loops): whatever a session with the broker ends with, the listener
        # backs off (0.2 s doubling to 5 s) and connects again; its state is in /health and /metrics.
        loops.run(self.loop, self._listen, self._stopping, first=0.2, most=5.0)

    def _listen(self) -> None:
        """One session: connect, bind a queue of this process's own, hear events until stopped or
        until the connection fails (raised)."""
        exchange = get_event_exchange("registry", {})
        exchange.passive = True   # the registry's; bound to, never declared here (ops/topology.py declares it)
        try:
            with Connection(self.amqp_uri, heartbeat=10, connect_timeout=5) as conn:
                channel = conn.channel()
                self.queue_name = f"gateway-identities-{uuid.uuid4().hex[:12]}"
                queue = Queue(self.queue_name, exchange=exchange, routing_key="#",
                              auto_delete=True, durable=False, queue_arguments={"x-expires": 60_000})
                with Consumer(channel, [queue], on_message=self._on_message, no_ack=True):
                    self._set_listening(True)
                    self.loop.succeeded()
                    while not self._stopping.is_set():
                        try:
                            conn.drain_events(timeout=1.0)
                        except socket.timeout:
                            pass
                        conn.heartbeat_check()   # also while events keep coming (it paces itself)
        except Exception:
            if self._stopping.is_set():
                return   # the connection closed under a stopping gateway: no failure
            raise        # not heard until the next session: every request asks the registry meanwhile
        finally:
            self._set_listening(False)
