"""The broker users of deploy (ops/broker_users.py), created on the local broker with rabbitmqctl:
the read-only subscriber can follow the events and can do nothing else; each process's own user is
enough for that process to work (the registry publishes, the reports service consumes the registry's
events and its own, the gateway calls both)."""
import shutil
import subprocess
import time
import uuid

import pytest
from amqp.exceptions import AccessRefused, ChannelError, NotAllowed
from kombu import Connection, Exchange, Queue

from ops import broker_users
from tests.conftest import RUN, caller, service_env, start_service, unique

PASSWORD = "broker-test-" + uuid.uuid4().hex[:10]
PREFIX = f"test{RUN}_"
SUBSCRIBER = f"astan_test{RUN}"


def _rabbitmqctl_works() -> bool:
    if not shutil.which("rabbitmqctl"):
        return False
    try:
        return subprocess.run(["rabbitmqctl", "list_vhosts"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(not _rabbitmqctl_works(),
                                reason="needs rabbitmqctl on the broker's host (the local RabbitMQ)")


def uri_as(amqp_uri: str, user: str) -> str:
    host = amqp_uri.split("@", 1)[1] if "@" in amqp_uri else amqp_uri.split("://", 1)[1]
    return f"amqp://{user}:{PASSWORD}@{host}"


@pytest.fixture(scope="module")
def users(monkeypatch_module):
    for name in ("registry", "reports", "gateway", "subscriber"):
        monkeypatch_module.setenv(f"RABBITMQ_{name.upper()}_PASSWORD", PASSWORD)
    assert broker_users.main(["apply", "--via", "rabbitmqctl", "--prefix", PREFIX, "--subscriber", SUBSCRIBER]) == 0
    table = broker_users.table(PREFIX, SUBSCRIBER)
    yield {name: user for name, (user, _) in table.items()}
    for user, _ in table.values():
        subprocess.run(["rabbitmqctl", "delete_user", user], capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def refused(action) -> bool:
    try:
        action()
    except (AccessRefused, NotAllowed, ChannelError) as exc:
        return "ACCESS_REFUSED" in str(exc) or getattr(exc, "code", None) == 403
    return False


def test_the_subscriber_reads_the_events_and_can_do_nothing_else(users, amqp_uri):
    registry_events = Exchange("registry.events", type="topic", durable=True)
    with Connection(amqp_uri) as admin:  # the exchange exists once the registry has run
        registry_events(admin.default_channel).declare()
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


def test_each_process_works_as_its_own_broker_user(users, amqp_uri, mongo_uri, tmp_path, rpc):
    prefix = unique("brk_")
    logs = tmp_path
    registry = start_service("services.registry.service:RegistryService",
                             service_env(uri_as(amqp_uri, users["registry"]), mongo_uri, prefix),
                             logs / "registry.log", rpc, "registry.ping")
    reports = start_service(["services.reports.service:ReportsService", "services.reports.service:ReportsProjections"],
                            service_env(uri_as(amqp_uri, users["reports"]), mongo_uri, prefix),
                            logs / "reports.log", rpc, "reports.ping")
    try:
        gateway_uri = uri_as(amqp_uri, users["gateway"])
        with caller(gateway_uri) as anonymous:
            root = anonymous.registry.bootstrap_admin("root", "service-tests-password-1", "مدیر", "سامانه")
        # The reports service learns the administrator's role from the registry's events.
        with caller(gateway_uri, root["id"], root["person_id"]) as admin:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status = admin.reports.outbox_status()
                    break
                except Exception:
                    assert time.monotonic() < deadline, (logs / "reports.log").read_text()[-3000:]
                    time.sleep(0.5)
            assert status["parked"] == 0
            assert admin.registry.outbox_status()["pending"] >= 0
        for log in ("registry.log", "reports.log"):
            assert "ACCESS_REFUSED" not in (logs / log).read_text(), log
    finally:
        reports.stop()
        registry.stop()
