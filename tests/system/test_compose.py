"""docker-compose.yml, run as the ops team runs it — without a Docker engine (none runs here): its
file is read, every variable interpolated from an `.env` made from deploy/env.example with real
secrets, and each of its services' commands started with its environment (the image's ENV from the
Dockerfile under the compose file's), as a container would, but on this machine:

- hosts are mapped to this machine (`rabbitmq` → the local RabbitMQ, on a virtual host of the test's
  own; `mongo` → a local store started with authentication and the root user the mongo image makes
  from MONGO_INITDB_ROOT_*; its replica set `rs0` → the store's own, by a direct connection;
  `gateway` → the gateway's port), and the images' paths to the checkout (`/app`, `/opt/venv/bin`,
  each container's own `/tmp`);
- the one-offs run first, in compose's order (`broker-users`, `store-users`), then every service,
  healthy by the image's own health check, then the gateway and the web app;
- and then an administrator is made as deploy/README.md says, and a command goes through the gateway
  and its events reach another service.
Nothing in the compose file is changed to run it; if it cannot come up, this fails."""
from __future__ import annotations

import re
import secrets
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import httpx
import pytest
import yaml

from devenv import rabbit, store
from kernel import jalali
from ops import topology
from ops.broker_users import ManagementApi
from tests.conftest import ROOT, free_port
from tests.system.helpers import sign_in

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ONE_OFFS = ["broker-users", "store-users"]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable syntax: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
    `${NAME:?error}`, `${NAME?error}`."""
    def one(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("braced") or m.group("bare")
        op, arg = m.group("op"), m.group("arg") or ""
        given = env.get(name)
        if op in (":-", "-"):
            return given if (given if op == ":-" else given is not None) else arg
        if op in (":?", "?") and not (given if op == ":?" else given is not None):
            raise AssertionError(f"compose refuses: {name}: {arg}")
        return given or ""
    pattern = r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?)(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    return re.sub(pattern, one, value)


def image_env(target: str) -> dict[str, str]:
    """The ENV of the Dockerfile's `runtime` stage and of `target`, as the image sets them."""
    env: dict[str, str] = {}
    stage = None
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        m = re.match(r"^FROM\s+\S+\s+AS\s+(\S+)", line)
        if m:
            stage = m.group(1)
        elif line.startswith("ENV ") and stage in ("runtime", target):
            for token in shlex.split(line[4:]):
                k, v = token.split("=", 1)
                env[k] = v.replace("$PATH", "/usr/bin:/bin")
    return env


class Container:
    """One compose service's command, run here with its environment, mapped."""

    def __init__(self, name: str, spec: dict, env_file: dict, maps: dict[str, str], tmp: Path, ports: dict):
        self.name = name
        target = (spec.get("build") or {}).get("target", "service")
        env = image_env(target)
        for k, v in (spec.get("environment") or {}).items():
            env[k] = interpolate(str(v), env_file)
        self.tmp = tmp / name
        self.tmp.mkdir(parents=True, exist_ok=True)
        for k, v in list(env.items()):
            for old, new in maps.items():
                v = v.replace(old, new)
            env[k] = v.replace("/tmp/", f"{self.tmp}/").replace("/opt/venv/bin", str(Path(sys.executable).parent))
        if env.get("PYTHONPATH") == "/app":
            env["PYTHONPATH"] = str(ROOT)
        if "METRICS_PORT" in env:
            env["METRICS_PORT"] = str(ports.setdefault(f"{name}-metrics", free_port()))
        self.env = env
        self.command = []
        for c in spec["command"]:
            c = interpolate(str(c), env_file)
            for old, new in maps.items():
                c = c.replace(old, new)
            self.command.append(c)
        if "--port" in self.command:   # the container's port, published on a free one of this machine
            i = self.command.index("--port") + 1
            self.command[i] = str(ports[name])
            self.command[self.command.index("--host") + 1] = "127.0.0.1"
        self.log = tmp / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def run(self, timeout: float = 120) -> None:
        done = subprocess.run(self.command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        self.log.write_text(done.stdout + done.stderr)
        assert done.returncode == 0, f"{self.name} failed:\n{done.stdout}\n{done.stderr}"

    def healthy(self) -> bool:
        """The image's own HEALTHCHECK (Dockerfile), in the container's environment."""
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} exited:\n{self.log.read_text()[-3000:]}"
        check = [sys.executable, "-m", "kernel.healthcheck", "--max-age", "30"]
        return subprocess.run(check, cwd=ROOT, env=self.env, capture_output=True).returncode == 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def env_file(tag: str, vhost: str) -> dict[str, str]:
    """deploy/env.example with every placeholder secret replaced, as an operator's `.env`."""
    from cryptography.fernet import Fernet
    env = {}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    for k, v in list(env.items()):
        if v.startswith("change-me"):
            env[k] = secrets.token_urlsafe(36)
    from kernel.caller import new_key
    signing, public = new_key()
    env.update(DATA_KEYS=Fernet.generate_key().decode(), CALLER_SIGNING_KEY=signing,
               CALLER_VERIFY_KEYS=f"gateway:{public}", RABBITMQ_USER=f"compose{tag}_admin",
               RABBITMQ_VHOST=vhost, RABBITMQ_USER_PREFIX=f"c{tag}_", RABBITMQ_SUBSCRIBER_PASSWORD="")
    return env


@pytest.fixture(scope="module")
def compose(tmp_path_factory, amqp_uri):
    tmp = tmp_path_factory.mktemp("compose")
    tag = uuid.uuid4().hex[:6]
    vhost = f"khadem-compose-{tag}"
    dot_env = env_file(tag, vhost)
    admin = urlparse(amqp_uri)
    api = ManagementApi(rabbit.management(amqp_uri), (unquote(admin.username), unquote(admin.password)))
    # What the rabbitmq image does with RABBITMQ_DEFAULT_USER/PASS: an administrator.
    api._put(f"/api/users/{quote(dot_env['RABBITMQ_USER'], safe='')}",
             {"password": dot_env["RABBITMQ_PASSWORD"], "tags": "administrator"})
    # What the mongo image does with MONGO_INITDB_ROOT_*: a root user, then authentication on.
    store_port = free_port()
    store.provision(store_port, tmp / "mongo-data", dot_env["MONGO_ADMIN_PASSWORD"], {}, log=tmp / "mongo.log")
    mongo = store.start(store_port, tmp / "mongo-data", log=tmp / "mongo.log", auth=True)
    ports = {"gateway": free_port(), "web": free_port()}
    maps = {"@rabbitmq:5672/": f"@{admin.hostname}:{admin.port or 5672}/", "http://rabbitmq:15672": api.api,
            "@mongo:27017/": f"@127.0.0.1:{store_port}/", "replicaSet=rs0": "directConnection=true",
            "http://gateway:8000": f"http://127.0.0.1:{ports['gateway']}"}
    containers = {name: Container(name, spec, dot_env, maps, tmp, ports)
                  for name, spec in COMPOSE["services"].items() if name not in ("rabbitmq", "mongo")}
    try:
        for name in ONE_OFFS:
            containers[name].run()
        for name in topology.NAMES:
            containers[name].start()
        deadline = time.monotonic() + 240
        for name in topology.NAMES:
            while not containers[name].healthy():
                assert time.monotonic() < deadline, f"{name} never became healthy:\n{containers[name].log.read_text()[-3000:]}"
                time.sleep(1)
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        for name, url in (("gateway", gateway + "/health/live"), ("web", f"http://127.0.0.1:{ports['web']}/health")):
            containers[name].start()
            while True:
                try:
                    if httpx.get(url, timeout=3).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert containers[name].proc.poll() is None, containers[name].log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"{name} never answered"
                time.sleep(0.5)
        yield {"gateway": gateway, "web": f"http://127.0.0.1:{ports['web']}", "containers": containers, "env": dot_env}
    finally:
        for c in reversed(list(containers.values())):
            c.stop()
        store.stop(mongo)
        api.delete(f"/api/vhosts/{quote(vhost, safe='')}")
        for user in [dot_env["RABBITMQ_USER"], *(f"c{tag}_{n}" for n in (*topology.NAMES, "gateway"))]:
            api.delete(f"/api/users/{quote(user, safe='')}")


def test_every_compose_service_comes_up_healthy_as_itself(compose):
    health = httpx.get(compose["gateway"] + "/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    assert set(health.json()["services"]) == set(topology.NAMES)
    for name, c in compose["containers"].items():
        text = c.log.read_text(errors="replace")
        assert "ACCESS_REFUSED" not in text and "not authorized" not in text, (name, text[-2000:])
    for name in topology.NAMES:   # production settings: JSON lines, the metrics port served
        lines = [line for line in compose["containers"][name].log.read_text().splitlines() if line.startswith("{")]
        assert lines, name
        port = compose["containers"][name].env["METRICS_PORT"]
        assert "khadem_rpc_seconds" in httpx.get(f"http://127.0.0.1:{port}/metrics").text


def test_an_administrator_made_as_the_guide_says_runs_a_command_through_the_gateway(compose):
    gateway = compose["containers"]["gateway"]
    password = "compose-operator-pw-1405"
    # deploy/README.md: `docker compose run --rm -e KHADEM_ADMIN_PASSWORD gateway python -m services.registry.cli …`
    done = subprocess.run(["python", "-m", "services.registry.cli", "create-admin", "--username", "admin"], cwd=ROOT,
                          env={**gateway.env, "KHADEM_ADMIN_PASSWORD": password}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    admin = sign_in(compose["gateway"], "admin", password)
    city = f"IR-09-C{uuid.uuid4().hex[:4].upper()}"
    r = admin.post("/api/units", json={"id": city, "name": "شهر نمونه", "kind": "city", "parent_id": "IR-09"})
    assert r.status_code == 201, r.text
    # The registry's event reaches the reports service (its own user, its own queue, its own store).
    deadline = time.monotonic() + 30
    month = str(jalali.period_of(jalali.today()))
    while (r := admin.get(f"/api/units/{city}/aggregates", params={"period": month})).status_code != 200:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.5)
    # And the web app, a client of the gateway, serves its sign-in page.
    page = httpx.get(compose["web"] + "/", follow_redirects=True)
    assert page.status_code == 200 and 'dir="rtl"' in page.text


def test_a_missing_secret_stops_a_service_with_its_name(compose, tmp_path):
    """Production settings: a service without DATA_KEYS refuses to start and says which."""
    spec = COMPOSE["services"]["finance"]
    broken = dict(compose["env"], DATA_KEYS="not-a-key")
    c = Container("finance-broken", spec, broken, {}, tmp_path, {})
    done = subprocess.run(c.command, cwd=ROOT, env=c.env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "DATA_KEYS" in done.stdout + done.stderr, (done.stdout + done.stderr)[-2000:]
