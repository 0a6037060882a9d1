"""Real parts, really started: a RabbitMQ (AMQP_URI, started or installed when missing) and a store
server: MongoDB at MONGO_URI when it is set (nothing local is started then), else the local store
(SecantusDB, in a temporary folder). Every test module uses databases of its own, under a prefix
unique to the run, so the suite can share a server with others. Services run as real `nameko run`
processes started by the tests that need them."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from devenv.ports import free_port  # noqa: F401  (the tests' and benchmarks' listening ports)

ROOT = Path(__file__).resolve().parent.parent
QUIET = "ignore::DeprecationWarning,ignore::UserWarning"
RUN = os.environ.get("KHADEM_TEST_RUN") or uuid.uuid4().hex[:6]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(scope="session")
def amqp_uri() -> str:
    """RabbitMQ (started, or installed, when it does not answer), on a virtual host of this run's own
    (deleted at the end), with every queue declared (ops/topology.py), as `make run` does: the
    broker's administrator there. The service tests connect as it (a development shortcut the README
    names); the system tests give it to the runner, which makes the production topology with it."""
    from urllib.parse import quote, unquote, urlparse
    from devenv import rabbit
    from ops import topology
    from ops.broker_users import ManagementApi
    admin = rabbit.ensure(os.environ.get("RABBITMQ_ADMIN_URI") or os.environ.get("AMQP_URI"))
    u = urlparse(admin)
    user, password = unquote(u.username or "guest"), unquote(u.password or "guest")
    api = ManagementApi(rabbit.management(admin), (user, password))
    vhost = f"khadem-tests-{RUN}"
    api.vhost(vhost, user)
    uri = f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{u.hostname}:{u.port or 5672}/{quote(vhost, safe='')}"
    topology.declare(uri)
    yield uri
    api.delete(f"/api/vhosts/{quote(vhost, safe='')}")


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> str:
    """MONGO_URI when given (a real MongoDB; the suite starts no store), else a local store."""
    given = os.environ.get("MONGO_URI")
    if given:
        yield given
        return
    from devenv import store
    data = tmp_path_factory.mktemp("store")
    port = free_port()
    proc = store.start(port, data / "data", log=data / "store.log")
    yield store.uri(port)
    store.stop(proc)


class ServiceProcess:
    """One service as `nameko run`, with its own database prefix so tests do not see each other."""

    def __init__(self, targets: list[str], config: str, env: dict, log: Path):
        self.log = log
        self.env = env
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "nameko"), "run", "--config", config, *targets],
            cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind, as a crash."""
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_service(target: str | list[str], env: dict, log: Path, rpc, ready: str,
                  config: str | None = None) -> ServiceProcess:
    """Start a service (one or more nameko service classes in one process) and wait until its RPC
    method `ready` answers."""
    targets = [target] if isinstance(target, str) else list(target)
    if config is None:
        owner = targets[0].split(".")[1] if targets[0].startswith("services.") else "registry"
        config = f"services/{owner}/config.yaml"
    svc = ServiceProcess(targets, config, env, log)
    service, method = ready.split(".")
    deadline = time.monotonic() + 60
    while True:
        try:
            getattr(rpc[service], method)()
            return svc
        except Exception:
            if time.monotonic() > deadline or svc.proc.poll() is not None:
                svc.stop()
                raise RuntimeError(log.read_text())
            time.sleep(0.3)


DELAYS_MS = (200, 400, 1000, 2000, 3000, 5000, 30000)


def fresh_queues(amqp_uri: str, *names: str) -> None:
    """Delete queues a test service will declare (and the delay queues of the event queues among
    them), so that nothing left by an earlier run (queue names do not carry the run's database
    prefix) reaches it; then declare the topology again (ops/topology.py), as `make run` does."""
    from kombu import Connection
    from ops import topology
    from nameko.standalone.events import get_event_exchange
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for name in names:
            channel.queue_delete(name)
            if name.startswith("evt-"):   # and the delay queues of its service (`<owner>.delay.<ms>`)
                owner = name.split("--", 1)[1].split(".", 1)[0]
                for ms in DELAYS_MS:
                    channel.queue_delete(f"{owner}.delay.{ms}")
        # The test probe's source: consumers bind to exchanges passively (they exist first).
        from kernel.messaging import replay_exchange
        get_event_exchange("probesrc", {})(conn.channel()).declare()
        replay_exchange("probesrc")(conn.channel()).declare()
    topology.declare(amqp_uri)


PROBE_QUEUES = ["rpc-probe", "evt-probesrc-probesrc.thing.happened.v1--probe.on_thing",
                "evt-probesrc-probesrc.batch.v1--probe.on_batch"]


def service_env(amqp_uri: str, mongo_uri: str, prefix: str, **extra) -> dict:
    env = dict(os.environ, AMQP_URI=amqp_uri, MONGO_URI=mongo_uri, MONGO_DB_PREFIX=prefix,
               PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT), OUTBOX_POLL_SECONDS="0.2")
    env.update(extra)
    return env


def gateway_signer(env: dict | None = None):
    """The gateway's signer (kernel.caller): its key from `env` (a system's), or the development key
    the service tests' processes verify with."""
    from kernel.caller import DEV_SIGNING_KEY, GATEWAY, Signer, private_key
    return Signer(GATEWAY, private_key((env or {}).get("CALLER_SIGNING_KEY") or DEV_SIGNING_KEY))


@pytest.fixture(scope="session")
def rpc(amqp_uri):
    """An anonymous caller, signed as the gateway signs (a service believes nothing unsigned)."""
    from kernel.caller import SignedClient
    import kernel.messaging  # noqa: F401  (error classes)
    with SignedClient(amqp_uri, gateway_signer(), timeout=30) as proxy:
        yield proxy


def caller(amqp_uri: str, user_id: str | None = None, person_id: str | None = None,
           request_id: str = "req-test", timeout: float = 30, signer=None, **context):
    """An RPC client that calls as the gateway does: who is calling (user and person id), the request
    id and anything else given (deadline, idempotency key …), signed; never roles. Keys that are not
    part of a caller's context (`actor=…`, a forged role) go unsigned beside the token."""
    from kernel.caller import SignedClient
    return SignedClient(amqp_uri, signer or gateway_signer(), timeout=timeout, request_id=request_id,
                        user_id=user_id, person_id=person_id, **context)



def unique(prefix: str) -> str:
    """A database prefix of this run's own: `<prefix><run>x<random>_`."""
    return f"{prefix}{RUN}x{uuid.uuid4().hex[:6]}_"
