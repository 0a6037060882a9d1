"""The kernel's promises on a real broker and store: a failing handler is retried with back-off and
then parked (not dropped); a parked message can be replayed; a redelivered event changes nothing."""
import time
import uuid

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from tests.conftest import caller, service_env, start_service, unique

PROBE_ADMIN = "probe-admin"


@pytest.fixture(scope="module")
def probe(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    env = service_env(amqp_uri, mongo_uri, unique("probe_"), HANDLER_RETRY_DELAYS="0.2,0.4",
                      PROBE_ADMIN_USER=PROBE_ADMIN)
    svc = start_service("tests.service.probe_service:ProbeService", env, tmp_path_factory.mktemp("logs") / "probe.log", rpc,
                        "probe.ping")
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def operator(amqp_uri, probe):
    with caller(amqp_uri, PROBE_ADMIN) as proxy:
        yield proxy


def publish(amqp_uri, event_id, fail=False):
    body = {"specversion": "1.0", "id": event_id, "source": "/khadem/probesrc", "type": "probesrc.thing.happened.v1",
            "time": "2024-10-06T10:00:00Z", "data": {"fail": fail}}
    exchange = get_event_exchange("probesrc", {})
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(body, exchange=exchange, routing_key=body["type"], serializer="json",
                                declare=[exchange])


def wait_until(fn, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    return fn()


def test_redelivered_event_is_applied_once(probe, rpc, amqp_uri):
    before = rpc.probe.counts("none")["applied"]
    eid = uuid.uuid4().hex
    publish(amqp_uri, eid)
    publish(amqp_uri, eid)  # the same event again, as a redelivery would bring it
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] == 2)
    time.sleep(0.3)
    assert rpc.probe.counts(eid)["applied"] == before + 1


def test_failing_handler_is_retried_then_parked_and_can_be_replayed(probe, rpc, operator, amqp_uri):
    eid = uuid.uuid4().hex
    publish(amqp_uri, eid, fail=True)
    parked = wait_until(lambda: [p for p in operator.probe.parked_list() if p["event_id"] == eid])
    assert parked, "the failing message was not parked"
    assert rpc.probe.counts(eid)["attempts"] == 3  # the first try and two retries (0.2 s, 0.4 s)
    row = parked[0]
    assert row["attempts"] == 3 and "asked to fail" in row["error"] and row["handler"] == "probe.on_thing"
    assert operator.probe.outbox_status()["parked"] >= 1
    operator.probe.parked_replay(row["id"])
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] >= 4)
    assert all(p["id"] != row["id"] for p in operator.probe.parked_list())
