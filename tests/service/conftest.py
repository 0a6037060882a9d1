import json
import time
import uuid

import pytest
from kombu import Connection, Queue, binding
from nameko.standalone.events import get_event_exchange


class EventTap:
    """A private queue bound, as a handler's queue is, to a service's event exchange (every event
    published while it exists) and to its replay exchange (by its own name: replays to it alone).
    `messages` keeps each one's headers and publisher beside it."""

    def __init__(self, amqp_uri: str, service: str):
        from kernel.messaging import replay_exchange
        self.conn = Connection(amqp_uri)
        name = f"test-{service}-events-{uuid.uuid4().hex[:6]}"
        self.queue = Queue(name, bindings=[binding(get_event_exchange(service, {}), routing_key="#"),
                                           binding(replay_exchange(service), routing_key=name)],
                           auto_delete=True, durable=False)
        self.queue(self.conn.default_channel).declare()
        self.got: list[dict] = []
        self.messages: list[tuple[dict, dict, str | None]] = []   # (event, headers, user_id)

    def __call__(self, until=None, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.queue(self.conn.default_channel).get(no_ack=True)
            if msg is None:
                if until and until(self.got):
                    break
                time.sleep(0.05)
                continue
            event = json.loads(msg.body)
            self.got.append(event)
            self.messages.append((event, dict(msg.headers or {}), msg.properties.get("user_id")))
        return self.got

    def close(self) -> None:
        self.conn.close()


@pytest.fixture()
def events(amqp_uri):
    """Every registry event published while the test runs: `events(until=pred, timeout=s)`."""
    tap = EventTap(amqp_uri, "registry")
    yield tap
    tap.close()


class BrokerUsers:
    """Broker users of a test module's own, named as production names them (`<prefix><name>`,
    ops/topology.py `Service.broker_user`), each with every right on the tests' virtual host: what
    the services and the gateway check an event's publisher against. `uri(name)` makes one."""

    def __init__(self, amqp_uri: str):
        from urllib.parse import unquote, urlparse

        from devenv import rabbit
        from ops.broker_users import ManagementApi
        from tests.conftest import RUN
        u = urlparse(amqp_uri)
        self.amqp_uri = amqp_uri
        self.vhost = unquote(u.path.lstrip("/")) or "/"
        self.api = ManagementApi(rabbit.management(amqp_uri), (unquote(u.username), unquote(u.password)))
        self.prefix = f"t{RUN}x{uuid.uuid4().hex[:4]}_"
        self.password = uuid.uuid4().hex
        self.made: list[str] = []

    def user(self, name: str) -> str:
        return self.prefix + name

    def uri(self, name: str) -> str:
        from urllib.parse import quote, urlparse

        from ops.broker_users import Permissions
        user = self.user(name)
        if user not in self.made:
            self.api.user(user, self.password, Permissions(".*", ".*", ".*"), self.vhost)
            self.made.append(user)
        u = urlparse(self.amqp_uri)
        return f"amqp://{user}:{self.password}@{u.hostname}:{u.port or 5672}/{quote(self.vhost, safe='')}"

    def delete(self) -> None:
        from urllib.parse import quote
        for user in self.made:
            self.api.delete(f"/api/users/{quote(user, safe='')}")


@pytest.fixture(scope="module")
def broker_users(amqp_uri):
    users = BrokerUsers(amqp_uri)
    yield users
    users.delete()
