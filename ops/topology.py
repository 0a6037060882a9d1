"""What runs, in one place, and the broker's topology.

**The catalogue.** Every per-process setting that the local runner (`devenv/run.py`), the compose
file (`docker-compose.yml`) and the Kubernetes manifests (`deploy/kubernetes/`) need — which nameko
classes a service runs, its database, its broker user, its metrics port, its resources and how far it
scales — is written here once; `python -m ops.render` writes the compose file and the manifests from
it, and a test holds the committed files to what it renders.

**The broker's topology**, declared before any service starts: every service's event exchange
`<service>.events` and replay exchange `<service>.replay`, every service's RPC queue and every event
handler's durable queue, bound to the event exchange it consumes (its event type) and to that
service's replay exchange (its own name), with its delay queues. All the queues are quorum queues
(replicated on a RabbitMQ cluster, and declared so on a single node too).

Why first: RabbitMQ discards an event that no queue is bound to, and a service declares its queues
only when it starts. A consumer that starts after its publisher (the registry loads the unit tree
and publishes it as soon as it starts) would otherwise never see what came before. Declaring is
idempotent; the services declare the same queues again when they start. A queue declared earlier as
a classic queue is moved to a quorum queue of the same name, its messages with it (`migrate`).

    python -m ops.topology                 # AMQP_URI, as a user allowed to declare them
"""
from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass, field
from functools import lru_cache

from kombu import Connection, Queue

# Every container's metrics (Prometheus) listen here; a local run gives each process a port of its own.
METRICS_PORT = 9100


@dataclass(frozen=True)
class Service:
    """One nameko service: its classes run in one process (its RPC container and its event handlers'
    container, each with its own workers)."""
    name: str
    classes: tuple[str, ...]
    cpu: str = "250m"              # requested
    cpu_limit: str = "1"
    memory: str = "256Mi"          # requested
    memory_limit: str = "768Mi"
    replicas: int = 2              # at least (the autoscaler's floor; a disruption leaves one)
    max_replicas: int = 6
    # Settings of this service alone (name → value), the same in every place it runs.
    env: dict = field(default_factory=dict)

    @property
    def config(self) -> str:
        return f"services/{self.name}/config.yaml"

    @property
    def command(self) -> list[str]:
        return ["nameko", "run", "--config", self.config, *self.classes]

    def database(self, prefix: str = "khadem_") -> str:
        return f"{prefix}{self.name}"

    def broker_user(self, prefix: str = "khadem_") -> str:
        return f"{prefix}{self.name}"


@dataclass(frozen=True)
class Edge:
    """A process in front of the services (the gateway, the web app): HTTP, no database."""
    name: str
    port: int
    command: tuple[str, ...]
    live: str                      # liveness path
    ready: str                     # readiness path
    cpu: str = "250m"
    cpu_limit: str = "1"
    memory: str = "256Mi"
    memory_limit: str = "512Mi"
    replicas: int = 2
    max_replicas: int = 6
    env: dict = field(default_factory=dict)

    def broker_user(self, prefix: str = "khadem_") -> str:
        return f"{prefix}{self.name}"


def _classes(name: str, service: str, projections: str) -> tuple[str, ...]:
    return (f"services.{name}.service:{service}", f"services.{name}.service:{projections}")


SERVICES: tuple[Service, ...] = (
    Service("registry", _classes("registry", "RegistryService", "RegistryProjections"), memory="384Mi"),
    Service("reports", _classes("reports", "ReportsService", "ReportsProjections"), memory="384Mi", max_replicas=8),
    Service("finance", _classes("finance", "FinanceService", "FinanceProjections")),
    Service("oversight", _classes("oversight", "OversightService", "OversightProjections")),
    Service("festival", _classes("festival", "FestivalService", "FestivalProjections")),
    Service("secretariat", _classes("secretariat", "SecretariatService", "SecretariatProjections")),
)
NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)

# Readiness is the gateway's own connection to the bus, not every service's health (/health): one
# service down must not take every gateway out of its load balancer.
GATEWAY = Edge("gateway", 8000, ("uvicorn", "gateway.app:create_app", "--factory", "--host", "0.0.0.0",
                                 "--port", "8000", "--no-access-log"), live="/health/live", ready="/health/ready",
               cpu="500m", cpu_limit="2", max_replicas=8)
WEB = Edge("web", 8080, ("uvicorn", "web.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8080",
                         "--no-access-log"), live="/health", ready="/health")


def service(name: str) -> Service:
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(name)


# ---------------------------------------------------------------- what the code consumes

def _load(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Handler:
    """An event handler of a service, as its code declares it."""
    service: str       # whose database and queues (the container's owner)
    source: str        # the service whose exchange it consumes
    event_type: str    # the binding key
    method: str

    @property
    def queue(self) -> str:
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"


@lru_cache(maxsize=None)
def handlers(name: str) -> tuple[Handler, ...]:
    """Every event handler the service's classes declare (read from the code, not remembered)."""
    from nameko.events import EventHandler
    out: list[Handler] = []
    for path in service(name).classes:
        cls = _load(path)
        owner = getattr(cls, "owner", None) or cls.name
        for method, member in inspect.getmembers(cls, inspect.isfunction):
            for ep in getattr(member, "nameko_entrypoints", ()):
                if isinstance(ep, EventHandler):
                    out.append(Handler(owner, ep.source_service, ep.event_type, method))
    return tuple(sorted(out, key=lambda h: h.queue))


@lru_cache(maxsize=None)
def rpc_methods(name: str) -> tuple[tuple[str, str], ...]:
    """Every (service, method) RPC the service's classes answer (read from the code): the routing keys
    `<service>.<method>` a caller may publish to `nameko-rpc`."""
    from nameko.rpc import Rpc
    out = set()
    for path in service(name).classes:
        cls = _load(path)
        for method, member in inspect.getmembers(cls, inspect.isfunction):
            if any(isinstance(ep, Rpc) for ep in getattr(member, "nameko_entrypoints", ())):
                out.add((cls.name, method))
    return tuple(sorted(out))


def sources(name: str) -> list[str]:
    """The services whose event exchanges this one consumes."""
    return sorted({h.source for h in handlers(name)})


# ---------------------------------------------------------------- the broker's topology

def queues(settings=None) -> list[Queue]:
    from kernel.messaging import handler_queues, rpc_queue
    from kernel.settings import load_settings
    settings = settings or load_settings(require_secrets=False)
    out: dict[str, Queue] = {}
    for s in SERVICES:
        out[f"rpc-{s.name}"] = rpc_queue(s.name)
        for h in handlers(s.name):
            main, retries, busy = handler_queues(h.source, h.event_type, h.service, h.method,
                                                 settings.retry_delays, settings.handler_busy_delay)
            for q in (main, *retries, busy):   # the delay queues are the service's, shared
                out.setdefault(q.name, q)
    return list(out.values())


def exchanges() -> list:
    """Every service's event exchange, `<service>.events` (topic, durable), and its replay exchange,
    `<service>.replay` (direct, durable: a replay to one consumer's queue, routing key its name)."""
    from kernel.messaging import replay_exchange
    from nameko.standalone.events import get_event_exchange
    return [e for name in NAMES for e in (get_event_exchange(name, {}), replay_exchange(name))]


def declare(amqp_uri: str, settings=None) -> int:
    """Declare every event and replay exchange, then every queue (moving a classic queue of the same
    name to a quorum queue first). Consumers bind to the exchanges passively: they must exist first."""
    found = queues(settings)
    with Connection(amqp_uri, connect_timeout=10) as conn:
        for exchange in exchanges():
            exchange(conn.channel()).declare()
        for q in found:
            declare_one(conn, q)
    return len(found)


def declare_one(conn: Connection, q: Queue) -> None:
    from amqp.exceptions import PreconditionFailed
    try:
        q(conn.channel()).declare()
    except PreconditionFailed as exc:
        if "x-queue-type" not in str(exc):
            raise
        moved = migrate(conn, q)
        print(f"topology: {q.name} was a classic queue; now a quorum queue ({moved} messages moved)",
              file=sys.stderr)


def migrate(conn: Connection, q: Queue) -> int:
    """Move the classic queue `q.name` to a quorum queue of the same name, its messages with it:
    into a holding quorum queue, the old one deleted, the new one declared, then back. Messages
    are moved with publisher confirms and acked only once confirmed: nothing is lost (a crash
    midway leaves them in one of the two queues; running it again finishes the move)."""
    from kernel.messaging import QUORUM
    hold = Queue(f"{q.name}.migrating", durable=True, queue_arguments=dict(QUORUM))
    channel = conn.channel()
    hold(channel).declare()
    moved = _move(conn, q.name, hold.name)
    conn.channel().queue_delete(q.name)
    q(conn.channel()).declare()
    _move(conn, hold.name, q.name)
    conn.channel().queue_delete(hold.name)
    return moved


def _move(conn: Connection, source: str, target: str) -> int:
    producer = Connection(conn.as_uri(include_password=True), transport_options={"confirm_publish": True})
    moved = 0
    try:
        queue = Queue(source, no_declare=True)(conn.channel())
        while True:
            message = queue.get(no_ack=False, accept=None)
            if message is None:
                return moved
            producer.Producer().publish(message.body, exchange="", routing_key=target,
                                        headers=message.headers or {}, delivery_mode=2,
                                        content_type=message.content_type,
                                        content_encoding=message.content_encoding, retry=True)
            message.ack()
            moved += 1
    finally:
        producer.release()


def main() -> int:
    from kernel.settings import load_settings
    settings = load_settings(require_secrets=False)
    print(f"topology: {declare(settings.amqp_uri, settings)} queues declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
