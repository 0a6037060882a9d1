"""The gateway's memory of who callers are, on the real broker: a registry event empties it within
moments, and a lost subscription (its queue deleted) stops it serving anything until it hears the
registry's events again on a new queue."""
import time

from kombu import Connection
from nameko.standalone.events import event_dispatcher

from gateway.identity import Identities
from kernel.access import Actor

ACTOR = Actor(user_id="u1", person_id="p1", username="u1", grants=[], kanoon_id=None)


def until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def test_a_registry_event_empties_the_memory_and_a_lost_queue_stops_it(amqp_uri):
    ids = Identities(amqp_uri, ttl=300)
    ids.start()
    try:
        until(lambda: ids.listening)
        ids.put("u1", ACTOR, ids.ticket())
        assert ids.get("u1") == ACTOR
        # An event of another service changes nothing.
        event_dispatcher({"AMQP_URI": amqp_uri})("reports", "reports.report.approved.v1", {"id": "x"})
        time.sleep(0.3)
        assert ids.get("u1") == ACTOR
        event_dispatcher({"AMQP_URI": amqp_uri})("registry", "registry.role.revoked.v1", {"id": "e1"})
        until(lambda: ids.get("u1") is None, timeout=3)

        ids.put("u1", ACTOR, ids.ticket())
        first = ids.queue_name
        with Connection(amqp_uri) as conn:
            conn.default_channel.queue_delete(first)
        until(lambda: ids.queue_name != first and ids.listening)
        assert ids.get("u1") is None   # nothing from before the loss is trusted
        ids.put("u1", ACTOR, ids.ticket())
        event_dispatcher({"AMQP_URI": amqp_uri})("registry", "registry.user.deactivated.v1", {"id": "e2"})
        until(lambda: ids.get("u1") is None, timeout=3)
    finally:
        ids.stop()
    assert not ids.listening and ids.get("u1") is None
