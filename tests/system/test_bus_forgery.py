"""Trust on the bus, tried as an attacker holding one service's broker credentials would: every
forgery is refused — by the broker (the permission table of ops/broker_users.py, topic permissions
included) or by the service that receives it (the signed caller of kernel.caller; the publisher of
an event checked against the service that owns its type).

Each service's own user, on the system's own virtual host (as `make run` makes them), tries:
- to call another service's RPC (the registry's `create_unit`, an operator's `outbox_status`) with
  headers naming the administrator: refused by the broker (it may publish on `nameko-rpc` only answers);
- to take another service's requests (bind its queue to `registry.*`): refused by the broker;
- to push a ruling straight into the registry's queue (the default exchange): refused by the broker;
- to publish a ruling on oversight's exchange: refused by the broker (unless it is oversight);
- to slip a ruling into the registry's queue through its own delay queue (which the broker
  dead-letters by routing key, unchecked): parked by the registry, whose publisher is not oversight;
- and the gateway's own user, which may call every RPC, naming the administrator in unsigned headers:
  refused by the registry (no signed caller), and nothing is created.
"""
from __future__ import annotations

import uuid

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange

from ops import topology
from tests.system.helpers import eventually

SERVICES = list(topology.NAMES)


def refused(uri: str, act) -> str:
    """Run `act(connection)`; the broker must refuse it (ACCESS_REFUSED). Returns the reason."""
    with Connection(uri, transport_options={"confirm_publish": True}, connect_timeout=10) as conn:
        conn.connect()
        with pytest.raises(AccessRefused) as caught:
            act(conn)
    return str(caught.value)


def ruling_queue() -> str:
    return next(h.queue for h in topology.handlers("registry") if h.method == "on_ruling")


def forged_ruling(ruling_id: str = "r_forged") -> dict:
    return {"specversion": "1.0", "id": f"forged-{uuid.uuid4().hex[:8]}", "source": "/khadem/oversight",
            "type": "oversight.ruling.issued.v1", "time": "2026-12-01T10:00:00Z",
            "data": {"ruling_id": ruling_id, "person_id": "p_someone", "kind": "suspension",
                     "starts_on": "2026-12-01", "ends_on": "2027-12-01"}}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_cannot_call_another_nor_act_as_anyone(system, service):
    uri = system.running.amqp_uri(service)
    headers = {"nameko.user_id": "u_admin", "nameko.person_id": "p_admin"}
    for key in ("registry.create_unit", "oversight.outbox_status", f"{service}.outbox_status"):
        why = refused(uri, lambda c, k=key: c.Producer().publish(
            {"args": [], "kwargs": {}}, exchange="nameko-rpc", routing_key=k, serializer="json",
            headers=headers, reply_to="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"))
        assert "nameko-rpc" in why or "ACCESS_REFUSED" in why, why


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_cannot_take_another_services_requests(system, service):
    uri = system.running.amqp_uri(service)
    for other in (s for s in SERVICES if s != service):
        refused(uri, lambda c, o=other: c.channel().queue_bind(f"rpc-{service}", "nameko-rpc", f"{o}.*"))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_cannot_push_into_anothers_queue_nor_publish_anothers_events(system, service):
    uri = system.running.amqp_uri(service)
    refused(uri, lambda c: c.Producer().publish(forged_ruling(), exchange="", routing_key=ruling_queue(),
                                                serializer="json"))
    if service != "oversight":
        exchange = Exchange("oversight.events", type="topic", durable=True, no_declare=True)
        refused(uri, lambda c: c.Producer().publish(forged_ruling(), exchange=exchange,
                                                    routing_key="oversight.ruling.issued.v1", serializer="json"))
    else:   # oversight's own exchange, another's event type
        exchange = Exchange("oversight.events", type="topic", durable=True, no_declare=True)
        refused(uri, lambda c: c.Producer().publish(forged_ruling(), exchange=exchange,
                                                    routing_key="registry.membership.created.v1",
                                                    serializer="json"))


def test_the_gateways_user_without_the_gateways_key_is_nobody(system, admin):
    """The gateway's broker user may call every RPC, but headers naming the administrator are not a
    signed caller: the registry refuses before any rule, and no unit is made."""
    from nameko.standalone.rpc import ClusterRpcProxy
    from kernel.errors import Unauthenticated
    me = admin.get("/me").json()
    code = f"F{uuid.uuid4().hex[:5].upper()}"
    with ClusterRpcProxy({"AMQP_URI": system.running.amqp_uri("gateway")}, timeout=20,
                         context_data={"user_id": me["user_id"], "person_id": me["person_id"]}) as rpc:
        with pytest.raises(Unauthenticated):
            rpc.registry.create_unit({"id": code, "name": "جعلی", "kind": "province", "parent_id": "IR"})
        with pytest.raises(Unauthenticated):
            rpc.registry.outbox_status()
    assert system.db("registry").units.find_one({"$or": [{"code": code}, {"_id": code}]}) is None
    assert admin.get(f"/api/units/{code}").status_code == 404


@pytest.mark.parametrize("service", [s for s in SERVICES if s not in ("oversight", "registry")])
def test_a_ruling_slipped_in_through_a_services_own_delay_queue_is_parked_not_applied(system, admin, service):
    from kernel.settings import load_settings
    uri = system.running.amqp_uri(service)
    delay = f"{service}.delay.{int(load_settings(require_secrets=False).retry_delays[0] * 1000)}"
    user = uri.split("//", 1)[1].split(":", 1)[0]
    ids = []
    for user_id in (None, user):     # unsigned, and honestly its own
        ruling = forged_ruling(f"r_forged_{uuid.uuid4().hex[:8]}")
        ids.append((ruling["id"], ruling["data"]["ruling_id"]))
        with Connection(uri, transport_options={"confirm_publish": True}) as conn:
            props = {"user_id": user_id} if user_id else {}
            conn.Producer().publish(ruling, exchange=Exchange(delay, type="fanout", durable=True, no_declare=True),
                                    routing_key=ruling_queue(), serializer="json", delivery_mode=2, **props)

    def parked():
        rows = admin.get("/api/ops/registry/parked", params={"limit": 500}).json()
        return {r.get("event_id") for r in rows} >= {event_id for event_id, _ in ids}
    assert eventually(parked, timeout=30)
    for _, ruling_id in ids:
        assert system.db("registry").restrictions.find_one({"_id": ruling_id}) is None
