"""A process killed inside a transaction leaves its documents locked until the store aborts the
transaction (60 s, as MongoDB). Meanwhile a command on those documents answers "unavailable, nothing
done" within its deadline, event handlers defer their messages instead of holding workers, the
service keeps answering, and once the lock is gone every event is applied once: nothing parked,
nothing lost, nothing applied that was refused. The request that was running when the process died
comes back to the next instance and, its deadline past, is dropped rather than run late."""
import time
import uuid

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from kernel.errors import Unavailable
from tests.conftest import PROBE_QUEUES, caller, fresh_queues, service_env, start_service, unique

ADMIN = "probe-admin"


def publish(amqp_uri, counter) -> str:
    body = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/khadem/probesrc",
            "type": "probesrc.thing.happened.v1", "time": "2026-11-20T10:00:00Z", "data": {"counter": counter}}
    exchange = get_event_exchange("probesrc", {})
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(body, exchange=exchange, routing_key=body["type"], serializer="json",
                                declare=[exchange], user_id=conn.userid)   # its publisher, as the relay sends it
    return body["id"]


def test_a_process_killed_inside_a_transaction_loses_and_parks_nothing(amqp_uri, mongo_uri, rpc, tmp_path):
    fresh_queues(amqp_uri, *PROBE_QUEUES)
    env = service_env(amqp_uri, mongo_uri, unique("held_"), PROBE_ADMIN_USER=ADMIN, HANDLER_BUSY_DELAY="3",
                      HANDLER_BUSY_SECONDS="150", HEARTBEAT_SECONDS="2")
    first = start_service("tests.service.probe_service:ProbeService", env, tmp_path / "first.log", rpc, "probe.ping")
    marker = tmp_path / "held"
    hold_deadline = time.time() + 3
    try:
        with caller(amqp_uri, timeout=5, deadline=hold_deadline) as c:
            c.probe.hold.call_async("c1", str(marker))
            while not marker.exists():
                assert time.time() < hold_deadline, "the transaction was never opened"
                time.sleep(0.05)
    finally:
        first.kill()  # kill -9 inside the transaction: the counter stays locked
    killed_at = time.monotonic()
    time.sleep(max(0.0, hold_deadline - time.time()))

    # A new instance starts although the lock is still held; the unanswered `hold` comes back to it.
    log = tmp_path / "second.log"
    second = start_service("tests.service.probe_service:ProbeService", env, log, rpc, "probe.ping")
    try:
        mine = {publish(amqp_uri, "c1") for _ in range(5)}
        # A command on the locked counter: refused within its deadline, nothing done.
        with caller(amqp_uri, ADMIN, timeout=10, deadline=time.time() + 3) as c:
            t0 = time.monotonic()
            with pytest.raises(Unavailable):
                c.probe.increment("c1")
            assert time.monotonic() - t0 < 4
        # The service keeps answering while its handlers wait for the lock.
        t0 = time.monotonic()
        assert rpc.probe.counts("none", "c1")["applied"] == 0
        assert time.monotonic() - t0 < 2
        assert time.monotonic() - killed_at < 50, "the checks above must run while the lock is held"

        deadline = time.monotonic() + 150
        while rpc.probe.counts("none", "c1")["applied"] < 5:
            assert time.monotonic() < deadline, "the deferred events were never applied"
            time.sleep(1)
        assert time.monotonic() - killed_at < 90, "the lock outlived the store's 60 s transaction lifetime"
        with caller(amqp_uri, ADMIN) as op:
            assert [p for p in op.probe.parked_list() if p["event_id"] in mine] == []
            assert op.probe.increment("c1") == 1
        time.sleep(2)
        # Five events once each, one command after the lock: the killed +1000, the refused +1 and the
        # late `hold` never landed.
        assert rpc.probe.counts("none", "c1")["applied"] == 6
        assert "dropped probe.hold" in log.read_text()
    finally:
        second.stop()
