"""The gateway's memory of who callers are, on the real broker: a registry event empties it within
moments, and a lost subscription (its queue deleted) stops it serving anything until it hears the
registry's events again on a new queue. The gateway signs in as `<prefix>gateway` and hears only what
`<prefix>registry` published: a message on its queue from anyone else changes nothing."""
import time

from kombu import Connection
from nameko.standalone.events import get_event_exchange

from gateway.identity import Identities
from kernel.access import Actor

ACTOR = Actor(user_id="u1", person_id="p1", username="u1", grants=[], kanoon_id=None)


def until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def dispatch(uri: str, service: str, event_type: str, data: dict, user_id=True) -> None:
    """An event on `service`'s exchange, published as the user of `uri` (with its `user_id` unless None)."""
    exchange = get_event_exchange(service, {})
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        who = {"user_id": conn.userid} if user_id else {}
        conn.Producer().publish({"id": data["id"], "type": event_type, "data": data}, exchange=exchange,
                                routing_key=event_type, serializer="json", declare=[exchange], **who)


def test_a_registry_event_empties_the_memory_and_a_lost_queue_stops_it(amqp_uri, broker_users):
    registry = broker_users.uri("registry")
    ids = Identities(broker_users.uri("gateway"), ttl=300)
    ids.start()
    try:
        until(lambda: ids.listening)
        ids.put("u1", ACTOR, ids.ticket())
        assert ids.get("u1") == ACTOR
        # An event of another service changes nothing.
        dispatch(broker_users.uri("reports"), "reports", "reports.report.approved.v1", {"id": "x"})
        time.sleep(0.3)
        assert ids.get("u1") == ACTOR
        # Nor does a message on the registry's exchange that the registry did not publish.
        dispatch(broker_users.uri("festival"), "registry", "registry.role.revoked.v1", {"id": "f1"})
        dispatch(amqp_uri, "registry", "registry.role.revoked.v1", {"id": "f2"})
        dispatch(registry, "registry", "registry.role.revoked.v1", {"id": "f3"}, user_id=None)
        until(lambda: ids.ignored == 3, timeout=3)
        assert ids.get("u1") == ACTOR
        dispatch(registry, "registry", "registry.role.revoked.v1", {"id": "e1"})
        until(lambda: ids.get("u1") is None, timeout=3)

        ids.put("u1", ACTOR, ids.ticket())
        first = ids.queue_name
        with Connection(amqp_uri) as conn:
            conn.default_channel.queue_delete(first)
        until(lambda: ids.queue_name != first and ids.listening)
        assert ids.get("u1") is None   # nothing from before the loss is trusted
        ids.put("u1", ACTOR, ids.ticket())
        dispatch(registry, "registry", "registry.user.deactivated.v1", {"id": "e2"})
        until(lambda: ids.get("u1") is None, timeout=3)
    finally:
        ids.stop()
    assert not ids.listening and ids.get("u1") is None
