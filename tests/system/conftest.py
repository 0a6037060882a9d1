"""One running system for all system tests: `python -m devenv.run` (what `make run` starts: every
service and the gateway) on the test RabbitMQ and the test store, which it can inspect."""
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymongo import MongoClient

from devenv.launch import launch, stop
from kernel.store import Db

from tests.conftest import QUIET, ROOT, free_port, unique

from tests.system.helpers import sign_in

ADMIN_PASSWORD = "system-tests-password-1"
# Shared with the gateway: the access matrix calls as if through the web app from an address of its own.
PROXY_SECRET = "system-tests-proxy-secret"


@dataclass
class System:
    base: str
    mongo_uri: str
    prefix: str
    data: Path
    web: str = ""

    def pid(self, process: str) -> int:
        """The pid of a process the runner started (`run: reports started (pid N)`)."""
        found = re.findall(rf"run: {process} started \(pid (\d+)\)", (self.data / "run.out").read_text())
        return int(found[-1])

    def log(self, process: str) -> str:
        return (self.data / "log" / f"{process}.log").read_text()

    def db(self, service: str) -> Db:
        """The service's database, read the way the service reads it."""
        client = MongoClient(self.mongo_uri, tz_aware=True)
        return Db(client[f"{self.prefix}{service}"])


@pytest.fixture(scope="session")
def system(tmp_path_factory, amqp_uri, mongo_uri):
    data = tmp_path_factory.mktemp("system")
    port = free_port()
    prefix = unique("sys")
    env = dict(os.environ, AMQP_URI=amqp_uri, MONGO_URI=mongo_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
               MONGO_DB_PREFIX=prefix, KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD,
               PUBLIC_COMPLAINTS_PER_10MIN="12",   # test_oversight_http's flood test counts on it
               DEADLINE_CHECK_SECONDS="1",         # test_secretariat_http waits for letters coming due
               SIGNIN_FAILURES_PER_ADDRESS="200",  # every test signs in from 127.0.0.1
               PROXY_SECRET=PROXY_SECRET)
    web_port = free_port()
    proc = launch(data, port, free_port(), env, web_port=web_port)
    yield System(f"http://127.0.0.1:{port}", mongo_uri, prefix, data, f"http://127.0.0.1:{web_port}")
    stop(proc)


@pytest.fixture(scope="session")
def admin(system):
    return sign_in(system.base, "admin", ADMIN_PASSWORD)
