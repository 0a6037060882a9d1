"""Real parts, really started: a RabbitMQ (AMQP_URI, started or installed when missing) and the
store server (mongoeco over SQLite in a temporary folder). Services run as real `nameko run`
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

ROOT = Path(__file__).resolve().parent.parent
QUIET = "ignore::DeprecationWarning,ignore::UserWarning"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    from devenv import rabbit
    return rabbit.ensure()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> str:
    port = free_port()
    path = tmp_path_factory.mktemp("store") / "test.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "devenv.store_server", "--port", str(port),
                             "--path", str(path)], cwd=ROOT, env=dict(os.environ, PYTHONWARNINGS=QUIET))
    wait_port(port, proc)
    yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    proc.terminate()
    proc.wait(timeout=20)


class ServiceProcess:
    """One service as `nameko run`, with its own database prefix so tests do not see each other."""

    def __init__(self, target: str, config: str, env: dict, log: Path):
        self.log = log
        self.env = env
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "nameko"), "run", "--config", config, target],
            cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_service(target: str, env: dict, log: Path, rpc, ready: str, config: str | None = None) -> ServiceProcess:
    """Start a service and wait until its RPC method `ready` answers."""
    if config is None:
        owner = target.split(".")[1] if target.startswith("services.") else "registry"
        config = f"services/{owner}/config.yaml"
    svc = ServiceProcess(target, config, env, log)
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


def service_env(amqp_uri: str, mongo_uri: str, prefix: str, **extra) -> dict:
    env = dict(os.environ, AMQP_URI=amqp_uri, MONGO_URI=mongo_uri, MONGO_DB_PREFIX=prefix,
               PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT), OUTBOX_POLL_SECONDS="0.2")
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def rpc(amqp_uri):
    from nameko.standalone.rpc import ClusterRpcProxy
    import kernel.messaging  # noqa: F401  (error classes)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as proxy:
        yield proxy


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}_"
