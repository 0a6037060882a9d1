"""The gateway's RPC pool and its error answers, on the real broker with a real service: a request
that may have been carried out is 504 "outcome unknown", one that reached no service is 503 "nothing
was sent", a service's refusal of the call itself is a JSON 500; a proxy that fails is replaced, so
the pool never shrinks for good."""
import time

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from nameko.exceptions import MethodNotFound

from gateway.app import create_app
from gateway.rpc import NotSent, RpcPool
from kernel.errors import OutcomeUnknown
from kernel.settings import load_settings
from tests.conftest import PROBE_QUEUES, fresh_queues, service_env, start_service, unique


@pytest.fixture(scope="module")
def probe(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    fresh_queues(amqp_uri, *PROBE_QUEUES)
    env = service_env(amqp_uri, mongo_uri, unique("gw_"), PROBE_ADMIN_USER="x")
    svc = start_service("tests.service.probe_service:ProbeService", env, tmp_path_factory.mktemp("logs") / "probe.log",
                        rpc, "probe.ping")
    yield svc
    svc.stop()


def ctx():
    return {"request_id": "req-pool", "deadline": time.time() + 2}


def wait_full(pool, timeout=10):
    deadline = time.monotonic() + timeout
    while pool.live < pool.size:
        assert time.monotonic() < deadline, f"the pool stayed at {pool.live} of {pool.size}"
        time.sleep(0.05)


def test_the_pool_tells_what_may_have_happened_and_heals(probe, amqp_uri):
    pool = RpcPool(amqp_uri, 2, timeout=1.5)
    pool.start()
    try:
        wait_full(pool)
        assert pool.call(ctx(), "probe", "slow", 0) == "done"
        with pytest.raises(OutcomeUnknown) as exc:  # sent, and no answer in time
            pool.call(ctx(), "probe", "slow", 3)
        assert exc.value.status == 504 and "Idempotency-Key" in exc.value.message
        with pytest.raises(NotSent) as exc:  # nothing is listening
            pool.call(ctx(), "no_such_service", "anything")
        assert exc.value.status == 503
        with pytest.raises(MethodNotFound):
            pool.call(ctx(), "probe", "no_such_method")
        wait_full(pool)  # the timed-out proxy was replaced
        assert pool.call(ctx(), "probe", "slow", 0) == "done"
    finally:
        pool.stop()


def test_every_failure_answers_json_with_the_request_id(probe, amqp_uri):
    settings = load_settings().model_copy(update={"amqp_uri": amqp_uri, "rpc_timeout_seconds": 1.5,
                                                  "rpc_pool_size": 2})
    app = create_app(settings)

    def call(request: Request, service: str, method: str, *args):
        return request.app.state.rpc.call({"request_id": request.state.request_id, "deadline": time.time() + 2},
                                          service, method, *args)

    @app.get("/test/unknown-service")
    def unknown_service(request: Request):
        return call(request, "no_such_service", "x")

    @app.get("/test/unknown-method")
    def unknown_method(request: Request):
        return call(request, "probe", "no_such_method")

    @app.get("/test/slow")
    def slow(request: Request):
        return call(request, "probe", "slow", 3)

    @app.get("/test/crash")
    def crash():
        raise RuntimeError("a bug of ours")

    with TestClient(app, raise_server_exceptions=False) as client:
        wait_full(app.state.rpc)
        for path, status, code in [("/test/unknown-service", 503, "unavailable"),
                                   ("/test/unknown-method", 500, "internal"),
                                   ("/test/slow", 504, "outcome_unknown"),
                                   ("/test/crash", 500, "internal"),
                                   ("/no/such/route", 404, None)]:
            r = client.get(path, headers={"X-Request-ID": f"rid-{status}"})
            assert r.status_code == status, (path, r.text)
            assert r.headers["content-type"].startswith("application/json"), path
            body = r.json()
            assert body["request_id"] == f"rid-{status}" and body["message"], (path, body)
            if code:
                assert body["error"] == code, (path, body)
        assert client.get("/test/unknown-service").headers.get("Retry-After")
