"""Managed loops (kernel.loops) without a broker or a store: a pass that raises what the store or the
broker raise is recorded and backed off from, and the loop goes on; a kill (a BaseException) still
ends it; the state says when the loop is failing persistently; the metrics and the gateway's /health
read it."""
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from kombu.exceptions import OperationalError
from prometheus_client import generate_latest
from pymongo.errors import AutoReconnect

from gateway.app import create_app, service_problems
from kernel import loops, metrics
from kernel.errors import Unavailable


class Stop(threading.Event):
    """A stopping event whose waits take no time and are remembered."""

    def __init__(self):
        super().__init__()
        self.waits = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return self.is_set()


def test_a_loop_survives_the_stores_and_the_brokers_errors_backs_off_and_goes_on():
    state = loops.LoopState("probe", "fold-test")
    stop = Stop()
    faults = [Unavailable("the store is busy"), AutoReconnect("the store went away"),
              OperationalError("the broker went away"), KeyError("a fault of ours")]
    passes = []

    def step():
        passes.append(len(passes))
        if faults:
            raise faults.pop(0)
        if len(passes) == 6:
            stop.set()
    loops.run(state, step, stop, first=0.5, most=2.0)
    assert len(passes) == 6                        # every fault was followed by another pass
    assert stop.waits == [0.5, 1.0, 2.0, 2.0]      # bounded exponential back-off
    assert state.failures_total == 4 and state.consecutive_failures == 0 and state.last_success_at
    assert state.last_error == "KeyError: 'a fault of ours'" and not state.failing()


@pytest.mark.parametrize("kill", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_a_kill_is_not_swallowed(kill):
    def step():
        raise kill()
    with pytest.raises(kill):
        loops.run(loops.LoopState("probe", "killed"), step, Stop())


def test_a_loop_is_failing_persistently_after_two_failures_in_a_row_for_its_time():
    state = loops.LoopState("probe", "persistent", failing_after=30)
    state.failed(Unavailable("busy"))
    assert not state.failing(state.failing_since + timedelta(seconds=100))   # once is not persistent
    state.failed(Unavailable("busy"))
    assert not state.failing(state.failing_since + timedelta(seconds=29))
    assert state.failing(state.failing_since + timedelta(seconds=30))
    view = state.view()
    assert view["consecutive_failures"] == 2 and view["last_error"] == "Unavailable: busy"
    state.succeeded()
    assert not state.failing(state.last_success_at + timedelta(seconds=100)) and state.failures_total == 2


def test_a_step_may_end_its_loop():
    state = loops.LoopState("probe", "once")
    loops.run(state, lambda: loops.STOP, Stop())
    assert state.last_success_at is not None


def test_the_metrics_carry_every_loops_state():
    state = loops.state("metrics-probe", "probe.fold-x", failing_after=0)
    state.failed(OperationalError("away"))
    state.failed(OperationalError("away"))
    text = generate_latest(metrics.REGISTRY).decode()
    assert 'khadem_loop_failures_total{loop="probe.fold-x",service="metrics-probe"} 2.0' in text
    assert 'khadem_loop_consecutive_failures{loop="probe.fold-x",service="metrics-probe"} 2.0' in text
    assert 'khadem_loop_failing{loop="probe.fold-x",service="metrics-probe"} 1.0' in text
    assert 'khadem_loop_last_success_timestamp_seconds{loop="probe.fold-x",service="metrics-probe"} 0.0' in text


# ---------------------------------------------------------------- the gateway's /health

def ping(service, loops_=None, stalled=False):
    return {"service": service, "store": True, "store_write_ms": 2.0, "loops": loops_ or {},
            "relay": {"stall_seconds": 60, "oldest_pending_seconds": 75.0 if stalled else 0.0, "stalled": stalled}}


FAILING = {"failing": True, "consecutive_failures": 7, "last_error": "Unavailable: the store is busy",
           "failing_since": "2026-01-01T00:00:00+00:00"}


def test_a_service_with_a_loop_failing_or_a_stalled_relay_is_degraded_and_says_why():
    assert service_problems(ping("reports")) == []
    assert service_problems(ping("reports", {"reports.outbox-relay": {"failing": False}})) == []
    [loop] = service_problems(ping("reports", {"reports_projections.fold-aggregates": FAILING}))
    assert loop.startswith("loop reports_projections.fold-aggregates failing for ")
    assert "(7 passes in a row): Unavailable: the store is busy" in loop
    assert service_problems(ping("registry", stalled=True)) == [
        "relay stalled: an event has been pending for 75s (RELAY_STALL_SECONDS 60)"]


class FakePool:
    live = 8
    last_error = None

    def __init__(self, pings):
        self.pings = pings

    def call(self, context, service, method):
        assert method == "ping"
        return self.pings.get(service) or ping(service)

    def stop(self):
        pass


def health(pings):
    app = create_app(start_pool=False)
    with TestClient(app) as client:
        app.state.rpc = FakePool(pings)
        return client.get("/health")


def test_health_is_503_degraded_naming_the_service_and_the_reason():
    assert health({}).status_code == 200 and health({}).json()["reasons"] == []
    r = health({"reports": ping("reports", {"reports_projections.fold-aggregates": FAILING}),
                "registry": ping("registry", stalled=True)})
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "degraded"
    assert body["services"]["reports"]["status"] == "degraded" and body["services"]["finance"]["status"] == "ok"
    assert body["services"]["registry"]["relay_oldest_pending_seconds"] == 75.0
    assert any(x.startswith("reports: loop reports_projections.fold-aggregates failing") for x in body["reasons"])
    assert "registry: relay stalled: an event has been pending for 75s (RELAY_STALL_SECONDS 60)" in body["reasons"]
