import json
import time
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange


class EventTap:
    """A private queue bound to a service's event exchange: every event published while it exists."""

    def __init__(self, amqp_uri: str, service: str):
        self.conn = Connection(amqp_uri)
        self.queue = Queue(f"test-{service}-events-{uuid.uuid4().hex[:6]}",
                           exchange=get_event_exchange(service, {}), routing_key="#",
                           auto_delete=True, durable=False)
        self.queue(self.conn.default_channel).declare()
        self.got: list[dict] = []

    def __call__(self, until=None, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.queue(self.conn.default_channel).get(no_ack=True)
            if msg is None:
                if until and until(self.got):
                    break
                time.sleep(0.05)
                continue
            self.got.append(json.loads(msg.body))
        return self.got

    def close(self) -> None:
        self.conn.close()


@pytest.fixture()
def events(amqp_uri):
    """Every registry event published while the test runs: `events(until=pred, timeout=s)`."""
    tap = EventTap(amqp_uri, "registry")
    yield tap
    tap.close()
