"""The broker as production sets it up (ops/broker_users.py, ops/topology.py), on the local RabbitMQ:
the read-only subscriber follows the events and can do nothing else, its queue holds at most the
policy's length (the oldest dropped, the publishers never blocked), every service queue is a quorum
queue, and a classic queue left by an older version becomes one without losing its messages. (That
each process works as its own user is what every system test runs on: tests/system.)"""
import time
import uuid
from urllib.parse import quote, unquote, urlparse

import pytest
from amqp.exceptions import AccessRefused, ChannelError, NotAllowed
from kombu import Connection, Exchange, Queue

from devenv import rabbit
from ops import broker_users, topology
from tests.conftest import RUN

PASSWORD = "broker-test-" + uuid.uuid4().hex[:10]
PREFIX = f"test{RUN}_"
SUBSCRIBER = f"astan_test{RUN}"
MAX_LENGTH = 5


def _vhost(amqp_uri: str) -> str:
    return unquote(urlparse(amqp_uri).path.lstrip("/")) or "/"


def _api(amqp_uri: str) -> broker_users.ManagementApi:
    u = urlparse(amqp_uri)
    return broker_users.ManagementApi(rabbit.management(amqp_uri), (unquote(u.username), unquote(u.password)))


def uri_as(amqp_uri: str, user: str) -> str:
    u = urlparse(amqp_uri)
    return f"amqp://{user}:{PASSWORD}@{u.hostname}:{u.port or 5672}/{quote(_vhost(amqp_uri), safe='')}"


@pytest.fixture(scope="module")
def users(amqp_uri):
    """Every user of the table on the tests' virtual host, with the subscribers' policy, as compose's
    one-off `broker-users` makes them (through the management API)."""
    api = _api(amqp_uri)
    rows = broker_users.table(PREFIX, SUBSCRIBER)
    broker_users.apply(api, _vhost(amqp_uri), rows, {name: PASSWORD for name in rows}, MAX_LENGTH,
                       admin=unquote(urlparse(amqp_uri).username))
    yield {name: user for name, (user, _) in rows.items()}
    for user, _ in rows.values():
        api.delete(f"/api/users/{quote(user, safe='')}")


def refused(action) -> bool:
    try:
        action()
    except (AccessRefused, NotAllowed, ChannelError) as exc:
        return "ACCESS_REFUSED" in str(exc) or getattr(exc, "code", None) == 403
    return False


def test_the_subscriber_reads_the_events_and_can_do_nothing_else(users, amqp_uri):
    registry_events = Exchange("registry.events", type="topic", durable=True)
    name = f"astan.test-{uuid.uuid4().hex[:6]}"
    with Connection(uri_as(amqp_uri, users["subscriber"])) as conn:
        # As deploy/README.md shows: its own queue, bound to the exchange it reads, which it does not declare.
        # (A key no Khadem consumer binds: this test must not feed the services' own queues.)
        queue = Queue(name, Exchange("registry.events", type="topic", passive=True), routing_key="broker-test.#",
                      durable=False, auto_delete=True)
        queue(conn.default_channel).declare()
        with Connection(amqp_uri, transport_options={"confirm_publish": True}) as publisher:
            publisher.Producer().publish({"id": "e1", "type": "broker-test.ping"}, exchange=registry_events,
                                         routing_key="broker-test.ping", serializer="json")
        deadline = time.monotonic() + 10
        got = None
        while got is None and time.monotonic() < deadline:
            got = queue(conn.default_channel).get(no_ack=True)
            time.sleep(0.05) if got is None else None
        assert got is not None and got.payload["id"] == "e1", "the subscriber receives the events"

    subscriber = uri_as(amqp_uri, users["subscriber"])

    def publish(exchange, routing_key):
        with Connection(subscriber, transport_options={"confirm_publish": True}) as c:
            c.Producer().publish({"id": "forged"}, exchange=exchange, routing_key=routing_key,
                                 serializer="json", retry=False)

    def declare(queue):
        with Connection(subscriber) as c:
            queue(c.default_channel).declare()
    # No commands: nothing published to the RPC exchange.
    assert refused(lambda: publish(Exchange("nameko-rpc", type="topic", durable=True), "registry.bootstrap_admin"))
    # No forged events.
    assert refused(lambda: publish(registry_events, "broker-test.forged"))
    # Nobody's queue through the default exchange, and no queue not its own.
    assert refused(lambda: publish("", "rpc-registry"))
    assert refused(lambda: declare(Queue("rpc-registry-copy", durable=False)))
    # Nor may it bind its own queue to the RPC exchange (to read commands and replies).
    assert refused(lambda: declare(Queue(f"astan.spy-{uuid.uuid4().hex[:4]}",
                                         Exchange("nameko-rpc", type="topic", passive=True),
                                         routing_key="#", auto_delete=True)))


def test_a_stalled_subscriber_keeps_only_its_newest_events_and_blocks_nobody(users, amqp_uri):
    """The policy on `astan.*` queues: past its length the oldest messages are dropped, so the
    publisher's confirms keep coming (a reject-publish or a full memory would stop them)."""
    name = f"astan.stalled-{uuid.uuid4().hex[:6]}"
    events = Exchange("registry.events", type="topic", passive=True)
    with Connection(uri_as(amqp_uri, users["subscriber"])) as conn:
        Queue(name, events, routing_key="broker-test.stalled.#", durable=True)(conn.default_channel).declare()
        try:
            # (As the broker's administrator: the registry's user may publish only `registry.…` keys,
            # which the finance service's queue on this virtual host would take too.)
            with Connection(amqp_uri, transport_options={"confirm_publish": True}) as pub:
                producer = pub.Producer()
                for n in range(MAX_LENGTH * 4):
                    producer.publish({"n": n}, exchange=Exchange("registry.events", type="topic", durable=True),
                                     routing_key="broker-test.stalled.x", serializer="json", retry=False)
            kept = []
            while (m := Queue(name, no_declare=True)(conn.default_channel).get(no_ack=True)) is not None:
                kept.append(m.payload["n"])
            assert kept == list(range(MAX_LENGTH * 3, MAX_LENGTH * 4)), kept
        finally:
            conn.default_channel.queue_delete(name)


def test_every_service_queue_is_a_quorum_queue(users, amqp_uri):
    api = _api(amqp_uri)
    queues = {q["name"]: q for q in api.get(f"/api/queues/{quote(_vhost(amqp_uri), safe='')}")}
    wanted = [q.name for q in topology.queues()]
    assert wanted and all(name in queues for name in wanted), set(wanted) - set(queues)
    for name in wanted:
        assert queues[name]["type"] == "quorum", (name, queues[name]["type"])
    delay = next(n for n in wanted if ".delay." in n)
    assert queues[delay]["arguments"]["x-dead-letter-strategy"] == "at-least-once"


def test_a_classic_queue_of_an_older_version_becomes_a_quorum_queue_with_its_messages(amqp_uri):
    name = f"evt-test-{uuid.uuid4().hex[:6]}"
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        Queue(name, durable=True)(conn.channel()).declare()     # as declared before: classic
        for n in range(7):
            conn.Producer().publish({"n": n}, exchange="", routing_key=name, serializer="json", delivery_mode=2)
        quorum = Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})
        try:
            topology.declare_one(conn, quorum)
            queue = _api(amqp_uri).get(f"/api/queues/{quote(_vhost(amqp_uri), safe='')}/{quote(name, safe='')}")
            assert queue["type"] == "quorum"
            got = []
            while (m := Queue(name, no_declare=True)(conn.channel()).get(no_ack=True)) is not None:
                got.append(m.payload["n"])
            assert got == list(range(7))
        finally:
            conn.channel().queue_delete(name)
