"""A fault never becomes an outage (kernel.loops), on a real broker and store: a folder whose pass
raises what the store raises while a killed process's transaction holds its documents
(`Unavailable`), what the broker raises when it goes away, or a fault of ours, keeps its process up,
backs off, says so in the service's `ping` (failing, the error, how many passes in a row) and, once
the fault is gone, folds every delta it was given and reports itself well again. The `ping` also
reports the relay's staleness: an event pending longer than RELAY_STALL_SECONDS is a stalled relay."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RpcTimeout

from kernel.settings import load_settings
from kernel.store import Store
from tests.conftest import PROBE_QUEUES, caller, fresh_queues, service_env, start_service, unique

FOLD = "probe.fold-probe"


@pytest.fixture(scope="module")
def probe(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    fresh_queues(amqp_uri, *PROBE_QUEUES)
    prefix = unique("loops_")
    env = service_env(amqp_uri, mongo_uri, prefix, LOOP_FAILING_SECONDS="2", RELAY_STALL_SECONDS="30")
    svc = start_service("tests.service.probe_service:ProbeService", env, tmp_path_factory.mktemp("logs") / "probe.log",
                        rpc, "probe.ping")
    svc.store = Store.connect(mongo_uri, load_settings().model_copy(
        update={"mongo_db_prefix": prefix}).database_name("probe"))
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def short(amqp_uri):
    """A client that gives up after 5 s (a process that died answers nothing)."""
    with caller(amqp_uri, timeout=5) as proxy:
        yield proxy


def wait_until(fn, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    return fn()


@pytest.mark.parametrize("kind,error", [("unavailable", "Unavailable"), ("broker", "OperationalError"),
                                        ("ours", "KeyError")])
def test_a_folder_that_keeps_failing_survives_reports_it_and_folds_everything_once_the_fault_is_gone(
        probe, rpc, short, kind, error):
    counter = f"c-{kind}"
    rpc.probe.inject_fold_fault(kind)
    try:
        for _ in range(3):
            rpc.probe.add_delta(counter, 2)

        def fold_failing():
            try:
                s = short.probe.ping().get("loops", {}).get(FOLD) or {}
            except RpcTimeout:
                return "exited" if probe.proc.poll() is not None else None
            return s if s.get("failing") and error in (s.get("last_error") or "") else None
        failing = wait_until(fold_failing)
        assert probe.proc.poll() is None, "the fault ended the service's process"
        assert failing, rpc.probe.ping().get("loops")
        assert failing["consecutive_failures"] >= 2 and failing["failing_since"]
        assert rpc.probe.folded(counter) == 0
    finally:
        if probe.proc.poll() is None:
            rpc.probe.inject_fold_fault(None)
    assert wait_until(lambda: rpc.probe.folded(counter) == 6), "the deltas were not folded once the fault was gone"
    well = wait_until(lambda: (lambda s: s if not s["failing"] and s["consecutive_failures"] == 0 else None)(
        rpc.probe.ping()["loops"][FOLD]))
    assert well and well["last_success_at"] > failing["failing_since"] and error in well["last_error"]
    assert well["failures_total"] >= failing["consecutive_failures"]
    assert probe.proc.poll() is None


def test_ping_reports_every_loop_of_the_process_and_the_relays_staleness(probe, rpc):
    ping = rpc.probe.ping()
    assert {"probe.outbox-relay", "probe.outbox-replay", "probe.housekeeping", "probe.duty:tick",
            "probe.jobs-runner", FOLD} <= set(ping["loops"])
    assert ping["relay"]["stalled"] is False and ping["relay"]["stall_seconds"] == 30
    # An event nobody may publish (leased far ahead, as by a relay that stopped), committed 45 s ago.
    row = {"_id": uuid.uuid4().hex, "status": "pending", "type": "probe.thing.stuck.v1", "subject": "stuck/1",
           "created_at": datetime.now(timezone.utc) - timedelta(seconds=45), "seq": 0, "attempts": 0,
           "lease_until": datetime.now(timezone.utc) + timedelta(hours=1), "lease_owner": "elsewhere",
           "envelope": {"id": "stuck", "type": "probe.thing.stuck.v1"}}
    probe.store.db.outbox.insert_one(row)
    try:
        relay = rpc.probe.ping()["relay"]
        assert relay["stalled"] is True and relay["oldest_pending_seconds"] >= 45
    finally:
        probe.store.db.outbox.delete_one({"_id": row["_id"]})
    assert rpc.probe.ping()["relay"]["stalled"] is False
