"""One running system for all system tests: `python -m devenv.run` (what `make run` starts, the
production topology: a broker user per process on a virtual host of the run's own, a store per
service with its own user, production settings) with **two of every service and two gateways**; the
tests' clients send each request to the other gateway in turn (tests/system/helpers.py)."""
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from devenv.launch import Running, launch, stop
from kernel.store import Db

from tests.conftest import QUIET, ROOT, free_port
from tests.system import helpers
from tests.system.browser import driver  # noqa: F401  (the browser tests' fixture)
from tests.system.helpers import sign_in

ADMIN_PASSWORD = "system-tests-password-1"
# Shared with the gateway: the access matrix calls as if through the web app from an address of its own.
PROXY_SECRET = "system-tests-proxy-secret-of-32-characters-or-more"
REPLICAS = 2


@dataclass
class System:
    running: Running

    @property
    def base(self) -> str:
        return self.running.base

    @property
    def gateways(self) -> list[str]:
        return self.running.gateways

    @property
    def web(self) -> str:
        return self.running.web

    @property
    def data(self) -> Path:
        return self.running.data

    def pid(self, process: str) -> int:
        """The pid of a process the runner started last (`reports-1`, `gateway-2`, `web`)."""
        return self.running.pid(process)

    def log(self, process: str) -> str:
        return self.running.log(process)

    def db(self, service: str) -> Db:
        """The service's database in its own store (as the store's administrator), read the way the
        service reads it."""
        return Db(self.running.database(service))


@pytest.fixture(scope="session")
def system(tmp_path_factory, amqp_uri):
    data = tmp_path_factory.mktemp("system")
    env = dict(os.environ, RABBITMQ_ADMIN_URI=amqp_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD,
               PUBLIC_COMPLAINTS_PER_10MIN="12",   # test_oversight_http's flood test counts on it
               DEADLINE_CHECK_SECONDS="1",         # test_secretariat_http waits for letters coming due
               SIGNIN_FAILURES_PER_ADDRESS="200",  # every test signs in from 127.0.0.1
               PROXY_SECRET=PROXY_SECRET)
    for name in ("AMQP_URI", "MONGO_URI", "MONGO_DB_PREFIX"):
        env.pop(name, None)
    running = launch(data, env, replicas=REPLICAS, port=free_port(), web_port=free_port())
    helpers.GATEWAYS[running.base] = running.gateways
    yield System(running)
    stop(running)


def pytest_collection_modifyitems(config, items):
    """A test marked `last` (the chaos run, which kills processes of the shared system) runs after
    every other."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


@pytest.fixture(scope="session")
def admin(system):
    return sign_in(system.base, "admin", ADMIN_PASSWORD)
