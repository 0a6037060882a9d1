"""The broker users' table (ops/broker_users.py) holds exactly what the code uses, found here on another
road: the nameko containers of every service are built (not started) and their extensions walked —
each RPC entrypoint's queue, each event handler's queue, the exchanges it is bound to (its source's
events and replay exchanges) and its delay queues, the relay's exchange and the replay exchange its
targeted replays publish through (nothing through the default exchange: parked messages go back
through the service's own delay queues) —, and the gateway's standalone proxy and identity listener
added. Then, over every name the code uses (and names it must
not reach), each user's configure, write and read rights match exactly the names it needs: nothing
missing, nothing more. A consumer added without its rights, or a right nobody uses, fails here."""
from __future__ import annotations

import importlib
import re
from collections import defaultdict

from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.rpc import Rpc

from kernel.service import StoreProvider
from kernel.settings import load_settings
from ops import broker_users, topology

DEFAULT = "amq.default"
REPLY = "rpc.reply-standalone_rpc_proxy-6f1c2a"       # a standalone proxy's reply queue, as nameko names it
IDENTITIES = "gateway-identities-0a1b2c3d4e5f"        # the gateway's listener (gateway/identity.py)


def _containers(service: topology.Service):
    for path in service.classes:
        module, name = path.split(":")
        cls = getattr(importlib.import_module(module), name)
        yield ServiceContainer(cls, config={"AMQP_URI": "memory://"})


def required(service: topology.Service) -> dict[str, set[str]]:
    """configure / write / read: the names `service`'s process uses, from its containers' extensions."""
    need: dict[str, set[str]] = defaultdict(set)
    for container in _containers(service):
        for ep in container.entrypoints:
            if isinstance(ep, Rpc):
                queue = f"rpc-{container.service_name}"
                need["configure"] |= {queue, "nameko-rpc"}
                need["write"] |= {queue, "nameko-rpc"}          # bind; answer through the exchange
                need["read"] |= {queue, "nameko-rpc"}           # consume; bind from the exchange
            elif isinstance(ep, EventHandler):
                ep.setup()
                delays = {q.name for q in (*ep.retry_queues, ep.busy_queue)}
                assert all(q.exchange.name == q.name for q in (*ep.retry_queues, ep.busy_queue))
                bound = {b.exchange.name for b in ep.queue.bindings}
                assert bound == {f"{ep.source_service}.events", f"{ep.source_service}.replay"}
                assert all(b.exchange.passive for b in ep.queue.bindings), \
                    "a consumer binds to another's exchange, never declares it"
                # its queue: declared, bound, consumed; its delay queues and their exchanges (one name
                # each): declared, bound (write on the queue, read on the exchange), published to
                need["configure"] |= {ep.queue.name, *delays}
                need["write"] |= {ep.queue.name, *delays}
                need["read"] |= {ep.queue.name, *bound, *delays}
        for dep in container.dependencies:
            if isinstance(dep, StoreProvider) and dep.with_relay:
                name = topology.service(service.name).name
                need["configure"].add(f"{name}.events")         # the relay declares its own exchange
                # events, and replays to one queue (`<service>.replay`, declared by ops/topology.py)
                need["write"] |= {f"{name}.events", f"{name}.replay"}
    return need



GATEWAY_NEEDS = {"configure": {"nameko-rpc", REPLY, IDENTITIES},
                 "write": {"nameko-rpc", REPLY, IDENTITIES},
                 "read": {"nameko-rpc", REPLY, IDENTITIES, "registry.events"}}


def universe() -> set[str]:
    """Every name of Khadem's on the broker, and a few a user must not reach."""
    names = {"nameko-rpc", DEFAULT, REPLY, IDENTITIES, "astan.crm.members", "amq.topic", "amq.direct"}
    settings = load_settings(require_secrets=False)
    for s in topology.SERVICES:
        names |= {f"rpc-{s.name}", f"{s.name}.events", f"{s.name}.replay"}
    names |= {q.name for q in topology.queues(settings)}
    return names


def test_each_service_may_do_exactly_what_its_code_does():
    rows = broker_users.table()
    everything = universe()
    for service in topology.SERVICES:
        need = required(service)
        _, perms = rows[service.name]
        for right in ("configure", "write", "read"):
            allowed = {n for n in everything if re.match(getattr(perms, right), n)}
            assert allowed == need[right], (service.name, right, "missing", need[right] - allowed,
                                            "more than needed", allowed - need[right])


def test_the_gateway_and_the_subscriber_may_do_exactly_their_part():
    rows = broker_users.table()
    everything = universe()
    _, gateway = rows["gateway"]
    for right, need in GATEWAY_NEEDS.items():
        allowed = {n for n in everything if re.match(getattr(gateway, right), n)}
        assert allowed == need, (right, allowed ^ need)
    _, subscriber = rows["subscriber"]
    exchanges = {f"{s}.{kind}" for s in topology.NAMES for kind in ("events", "replay")}
    assert {n for n in everything if re.match(subscriber.read, n)} == {"astan.crm.members", *exchanges}
    for right in ("configure", "write"):
        assert {n for n in everything if re.match(getattr(subscriber, right), n)} == {"astan.crm.members"}


def test_a_consumer_the_table_does_not_know_is_found():
    """The derivation is not circular: a handler added to a service's class shows in its needs, and
    the table (read from the same classes) gives it exactly its queue."""
    from kernel.messaging import reliable_event_handler
    from services.secretariat.service import SecretariatProjections

    def on_test(self, envelope):
        pass
    on_test = reliable_event_handler("finance", "finance.test.v1")(on_test)
    SecretariatProjections.on_test = on_test
    topology.handlers.cache_clear()
    try:
        need = required(topology.service("secretariat"))
        queue = "evt-finance-finance.test.v1--secretariat.on_test"
        assert queue in need["read"] and "finance.events" in need["read"]
        _, perms = broker_users.table()["secretariat"]
        assert re.match(perms.read, queue) and re.match(perms.read, "finance.events")
    finally:
        del SecretariatProjections.on_test
        topology.handlers.cache_clear()
    _, perms = broker_users.table()["secretariat"]
    assert not re.match(perms.read, "finance.events"), "the secretariat consumes nothing of finance's"


def rpc_keys() -> set[str]:
    """Every `<service>.<method>` an RPC entrypoint of a service's containers answers."""
    return {f"{c.service_name}.{ep.method_name}" for s in topology.SERVICES for c in _containers(s)
            for ep in c.entrypoints if isinstance(ep, Rpc)}


def test_on_the_rpc_exchange_the_gateway_calls_and_a_service_only_answers():
    """Topic permissions by routing key: the gateway may publish every RPC the services answer and
    nothing else; a service may publish only answers (a reply queue's UUID) — so festival's user can
    call no registry method — and may bind its queue only for its own requests (it cannot take the
    registry's, and the tokens they carry)."""
    rows = broker_users.table()
    keys = rpc_keys()
    reply = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert {"registry.create_unit", "oversight.outbox_status", "registry.bootstrap_admin"} <= keys
    _, gateway = rows["gateway"]
    (rpc_topic,) = [t for t in gateway.topics if t.exchange == "nameko-rpc"]
    assert all(re.match(rpc_topic.write, k) for k in keys)
    assert not any(re.match(rpc_topic.write, k) for k in ("registry.no_such_method", "registry.*", reply, "x.ping"))
    assert re.match(rpc_topic.read, reply) and not re.match(rpc_topic.read, "registry.*")
    for service in topology.NAMES:
        _, perms = rows[service]
        (topic,) = [t for t in perms.topics if t.exchange == "nameko-rpc"]
        assert re.match(topic.write, reply), service
        assert not any(re.match(topic.write, k) for k in keys), service
        assert re.match(topic.read, f"{service}.*")
        assert not any(re.match(topic.read, f"{other}.*") for other in topology.NAMES if other != service)
        (events,) = [t for t in perms.topics if t.exchange == f"{service}.events"]
        own = [h.event_type for h in topology.handlers(service) if h.source == service]
        assert all(re.match(events.write, t) for t in own)
        assert not any(re.match(events.write, f"{other}.ruling.issued.v1") for other in topology.NAMES
                       if other != service)
