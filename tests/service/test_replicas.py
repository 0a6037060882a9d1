"""Two instances of a service side by side (the probe service, tests/service/probe_service.py), as the
ops team scales one: they compete for its RPC queue, a periodic duty runs once per period across
both (leased in the store: `periodic_runs` counts it), and a job whose preparation outlasts its
lease is prepared once and its chunks recorded once — the lease is renewed while it is alive."""
import time

import pytest

from kernel.settings import load_settings
from kernel.store import Store
from tests.conftest import PROBE_QUEUES, fresh_queues, service_env, start_service, unique

TICK = 2.0


@pytest.fixture(scope="module")
def two(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    fresh_queues(amqp_uri, *PROBE_QUEUES)
    prefix = unique("replicas_")
    env = service_env(amqp_uri, mongo_uri, prefix, PROBE_TICK_SECONDS=str(TICK), HEARTBEAT_SECONDS="0.3",
                      JOB_LEASE_SECONDS="1")
    logs = tmp_path_factory.mktemp("replicas")
    first = start_service("tests.service.probe_service:ProbeService", env, logs / "probe-1.log", rpc, "probe.ping")
    second = start_service("tests.service.probe_service:ProbeService", env, logs / "probe-2.log", rpc, "probe.ping")
    store = Store.connect(mongo_uri, load_settings().model_copy(update={"mongo_db_prefix": prefix}).database_name("probe"))
    yield first, second, store
    first.stop()
    second.stop()


def test_both_instances_take_calls_from_the_one_queue(two, rpc):
    first, second, _ = two
    pids: set = set()
    deadline = time.monotonic() + 20    # (the second may still be joining the queue)
    while pids != {first.proc.pid, second.proc.pid} and time.monotonic() < deadline:
        pids |= {rpc.probe.whoami() for _ in range(20)}
    assert pids == {first.proc.pid, second.proc.pid}


def test_a_periodic_duty_runs_once_per_period_across_instances(two):
    first, second, store = two
    time.sleep(1.0)   # both are up and ticking (every HEARTBEAT_SECONDS, each of them)
    start = time.time()
    before = store.db.ticks.count_documents({})
    time.sleep(TICK * 4)
    ran = store.db.ticks.count_documents({})
    elapsed = time.time() - start
    # Once per period at most (and at least once in every period but the first, whichever instance):
    # unleased, each instance would run it every period, about twice as often.
    assert elapsed / TICK - 2 <= ran - before <= elapsed / TICK + 1, (ran - before, elapsed)
    runs = store.db.periodic_runs.find_one({"_id": "probe:tick"})
    assert runs["runs"] == ran, "the store counts every run"
    assert {t["pid"] for t in store.db.ticks.find({})} <= {first.proc.pid, second.proc.pid}


def test_a_job_that_outlasts_its_lease_is_prepared_once_and_recorded_once(two, rpc):
    _, _, store = two
    job_id = rpc.probe.start_job(4.0, 3)     # four seconds of preparation; the lease is one
    deadline = time.monotonic() + 40
    while (job := store.db.jobs.find_one({"_id": job_id}))["status"] != "done":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["preparations"] == 1
    assert store.db.preparations.count_documents({"job_id": job_id}) == 1
    recorded = [r["chunk"] for r in store.db.recorded.find({"chunk": {"$regex": f"^{job_id}:"}})]
    assert sorted(recorded) == [f"{job_id}:{n:05d}" for n in range(3)]
