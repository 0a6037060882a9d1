"""Runs the whole system locally the way production runs it, in order, one log per process under
<data>/log/:

1. the secrets, made once into <data>/secrets.env (devenv/secrets.py); production settings
   (`ENVIRONMENT=production`) for every process;
2. RabbitMQ (started, or installed, when it does not answer; its management API enabled): a virtual
   host of the run's own (RABBITMQ_VHOST, `khadem`), one user per process kind with exactly the
   rights of `ops/broker_users.py` (applied through the management API, as compose's `broker-users`
   does), the subscribers' queue policy, then every queue (ops/topology.py, quorum queues). No
   process of Khadem connects as the broker's administrator (RABBITMQ_ADMIN_URI, guest on
   localhost by default), which only sets this up;
3. a store per service (SecantusDB, data under <data>/store/<service>/), started with authentication:
   its administrator and the service's own user, who may read and write that service's database and
   nothing else; every service's collections and indexes built before any service starts;
4. every service, REPLICAS instances of each (`nameko run`), each with its own broker user, its own
   database's address and nothing else's, a metrics port of its own;
5. REPLICAS gateways (uvicorn) on GATEWAY_PORT (8000), 8001, …;
6. the web app (uvicorn) on WEB_PORT (8080), a client of the first gateway.

What it started is written to <data>/topology.json (addresses, ports, pids' names; readable by its
owner only: it holds the stores' administrator's address), for the tests, the benchmarks and
operators' tools. A process that dies afterwards (a service, a gateway, a store alike) is started
again after a back-off (1 s, doubling up to 30 s), the reason printed; five deaths of its own making
(not kills from outside) of one process within a minute is a crash loop: that process alone is left
stopped for CRASH_LOOP_PAUSE_SECONDS (300), said loudly, then tried again; nothing else is stopped
(devenv/restarts.py). Ctrl-C or SIGTERM stops them all, gateways first, stores last; with
`--throwaway` the run's virtual host and broker users are deleted too (the tests' runs).

Development shortcut (named in the README): MONGO_URI set runs every service on that one MongoDB.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from ops import topology

from . import rabbit, secrets, store
from .indexes import each_in_a_thread
from .ports import bindable, free_port
from .restarts import RestartPolicy, killed_from_outside

# eventlet announces its deprecation and nameko imports pkg_resources: both known, both harmless here.
QUIET_WARNINGS = "ignore::DeprecationWarning,ignore::UserWarning"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URI = "amqp://guest:guest@127.0.0.1:5672/"
# What the runner itself reads; never handed to a process as is.
RUNNER_ONLY = {"AMQP_URI", "MONGO_URI", "RABBITMQ_ADMIN_URI", "RABBITMQ_API", "RABBITMQ_VHOST",
               "RABBITMQ_USER_PREFIX", "RABBITMQ_USER", "RABBITMQ_PASSWORD", "KHADEM_ADMIN_PASSWORD",
               "MONGO_ADMIN_PASSWORD", "CRASH_LOOP_PAUSE_SECONDS"}


def amqp_uri(admin_uri: str, user: str, password: str, vhost: str) -> str:
    u = urlparse(admin_uri)
    host = f"{u.hostname or '127.0.0.1'}:{u.port or 5672}"
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{host}/{quote(vhost, safe='')}"


class Runner:
    def __init__(self, data: Path, gateway_port: int, store_port: int, env: dict, web_port: int = 8080,
                 replicas: int = 1, throwaway: bool = False):
        self.data = data
        self.web_port = web_port
        self.logs = data / "log"
        self.logs.mkdir(parents=True, exist_ok=True)
        (data / "health").mkdir(exist_ok=True)
        self.gateway_port = gateway_port
        self.store_port = store_port
        self.env = env
        self.replicas = max(1, replicas)
        self.throwaway = throwaway
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.commands: dict[str, tuple[list[str], dict]] = {}
        self.policies: dict[str, RestartPolicy] = {}
        self.pending: dict[str, float] = {}   # name → when to restart it
        self.held: dict[str, bool] = {}       # name → waiting out a crash loop's pause
        # How long a crash-looping process is left stopped before it is tried again (devenv/restarts.py).
        self.crash_loop_pause = float(env.get("CRASH_LOOP_PAUSE_SECONDS") or 300)
        self.topology: dict = {}
        self.broker_ready = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------ processes

    def spawn(self, name: str, cmd: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        with self._lock:
            self.procs = [(n, q) for n, q in self.procs if n != name] + [(name, p)]
            self.commands[name] = (cmd, env)
        print(f"run: {name} started (pid {p.pid}), log {self.logs / (name + '.log')}", flush=True)
        return p

    def check_alive(self) -> None:
        for name, p in list(self.procs):
            if p.poll() is not None:
                raise SystemExit(f"run: {name} exited with {p.returncode}; see {self.logs / (name + '.log')}")

    def wait_for(self, what: str, test, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if test():
                    return
            except Exception:
                pass
            time.sleep(0.3)
        raise SystemExit(f"run: {what} did not become ready in {timeout:.0f}s; see {self.logs}")

    def base_env(self) -> dict:
        """What every process shares: the environment without the runner's own settings and
        without any secret, production unless ENVIRONMENT says otherwise."""
        names = set(secrets.names()) | RUNNER_ONLY
        env = {k: v for k, v in self.env.items() if k not in names}
        env.setdefault("ENVIRONMENT", "production")
        env.setdefault("PYTHONWARNINGS", QUIET_WARNINGS)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", "")
        return env

    # ------------------------------------------------------------ the broker

    def setup_broker(self) -> None:
        env = self.env
        admin_uri = env.get("RABBITMQ_ADMIN_URI") or env.get("AMQP_URI") or DEFAULT_ADMIN_URI
        admin_uri = rabbit.ensure(admin_uri)
        api = rabbit.management(admin_uri, env.get("RABBITMQ_API"))
        vhost = env.get("RABBITMQ_VHOST") or "khadem"
        prefix = env.get("RABBITMQ_USER_PREFIX") or "khadem_"
        u = urlparse(admin_uri)
        admin_user, admin_password = unquote(u.username or "guest"), unquote(u.password or "guest")
        py = sys.executable
        # The same commands as compose's one-off `broker-users` (docker-compose.yml).
        # Other systems' read-only user: astan_subscriber, or one of the run's own for a throw-away run.
        subscriber = f"{prefix}subscriber" if self.throwaway else (env.get("RABBITMQ_SUBSCRIBER_USER") or
                                                                   "astan_subscriber")
        tool_env = {**self.base_env(), **{k: v for k, v in self.secrets.items() if k.startswith("RABBITMQ_")},
                    "RABBITMQ_VHOST": vhost, "RABBITMQ_USER_PREFIX": prefix, "RABBITMQ_USER": admin_user,
                    "RABBITMQ_PASSWORD": admin_password, "RABBITMQ_SUBSCRIBER_USER": subscriber}
        subprocess.run([py, "-m", "ops.broker_users", "apply", "--via", api], cwd=ROOT, env=tool_env, check=True,
                       stdout=subprocess.DEVNULL)
        self.broker_ready = True
        admin_vhost = amqp_uri(admin_uri, admin_user, admin_password, vhost)
        subprocess.run([py, "-m", "ops.topology"], cwd=ROOT, env={**tool_env, "AMQP_URI": admin_vhost}, check=True,
                       stdout=subprocess.DEVNULL)
        self.topology["broker"] = {"vhost": vhost, "user_prefix": prefix, "api": api, "admin_uri": admin_vhost,
                                   "admin_user": admin_user, "admin_password": admin_password,
                                   "subscriber": amqp_uri(admin_uri, subscriber,
                                                          self.secrets["RABBITMQ_SUBSCRIBER_PASSWORD"], vhost)}
        self.broker_uris = {name: amqp_uri(admin_uri, f"{prefix}{name}", self.secrets[f"RABBITMQ_{name.upper()}_PASSWORD"],
                                           vhost) for name in (*topology.NAMES, "gateway")}
        self.topology["broker"]["uris"] = self.broker_uris
        print(f"run: RabbitMQ answers; virtual host {vhost}, a user for each process ({prefix}…)", flush=True)

    def teardown_broker(self) -> None:
        """A throw-away run's virtual host and users (the tests'), deleted through the management API."""
        b = self.topology.get("broker")
        if not (self.throwaway and self.broker_ready and b):
            return
        from ops.broker_users import ManagementApi
        api = ManagementApi(b["api"], (b["admin_user"], b["admin_password"]))

        def delete(path: str) -> None:
            try:
                api.delete(path)
            except Exception as exc:
                print(f"run: could not delete {path}: {exc}", flush=True)
        for name in (*topology.NAMES, "gateway", "subscriber"):
            delete(f"/api/users/{quote(b['user_prefix'] + name, safe='')}")   # (the subscriber is <prefix>subscriber)
        delete(f"/api/vhosts/{quote(b['vhost'], safe='')}")

    # ------------------------------------------------------------ the stores

    def setup_stores(self) -> None:
        prefix = self.env.get("MONGO_DB_PREFIX") or "khadem_"
        services = {}
        shared = self.env.get("MONGO_URI")
        if shared:   # the development shortcut: one MongoDB for every service (README)
            for s in topology.SERVICES:
                services[s.name] = {"database": s.database(prefix), "uri": shared, "admin_uri": shared}
            self.topology["services"] = services
            print(f"run: every service on MONGO_URI={shared} (one store: a development shortcut)", flush=True)
            return
        ports, taken = {}, set()
        for i, s in enumerate(topology.SERVICES):
            port = self.store_port + i if self.store_port else 0
            if not port or not bindable(port):
                if self.store_port:
                    raise SystemExit(f"run: port {port} (the {s.name} store) is taken; set STORE_PORT or MONGO_URI")
                while not port or port in taken:
                    port = free_port()
            ports[s.name] = port
            taken.add(port)
        admin_password = self.secrets["MONGO_ADMIN_PASSWORD"]

        def provision(name: str) -> None:
            s = topology.service(name)
            store.provision(ports[name], self.data / "store" / name, admin_password, {
                s.database(prefix): (f"khadem_{name}", self.secrets[f"MONGO_{name.upper()}_PASSWORD"])},
                log=self.logs / f"store-{name}.log")
        errors = each_in_a_thread(provision, list(topology.NAMES))
        if errors:
            raise SystemExit("run: could not prepare the stores: " + "; ".join(errors))
        for s in topology.SERVICES:
            path = self.data / "store" / s.name
            self.spawn(f"store-{s.name}", store.command(ports[s.name], path, auth=True), self.base_env())
            database = s.database(prefix)
            services[s.name] = {
                "database": database, "store_port": ports[s.name],
                "uri": store.uri(ports[s.name], user=f"khadem_{s.name}",
                                 password=self.secrets[f"MONGO_{s.name.upper()}_PASSWORD"], database=database),
                "admin_uri": store.uri(ports[s.name], user=store.ADMIN, password=admin_password)}
        for s in topology.SERVICES:
            self.wait_for(f"the {s.name} store", lambda s=s: store.answers(services[s.name]["admin_uri"]))
        self.topology["services"] = services
        print("run: a store for each service: " + ", ".join(f"{n} :{v['store_port']}" for n, v in services.items()),
              flush=True)

    # ------------------------------------------------------------ start

    def start(self) -> None:
        py = sys.executable
        self.secrets = secrets.load(self.data, self.env)
        self.setup_broker()
        self.setup_stores()
        self.write_topology()
        # Every service's collections and indexes first, while no one else writes (devenv/indexes.py).
        # (It seals personal data written before sealing existed, so it holds the key that seals.)
        subprocess.run([py, "-m", "devenv.indexes", "--topology", str(self.data / "topology.json")], cwd=ROOT,
                       env={**self.base_env(), "JWT_SECRET": self.secrets["JWT_SECRET"],
                            "DATA_KEYS": self.secrets["DATA_KEYS"]}, check=True, stdout=subprocess.DEVNULL)
        nameko = str(Path(py).parent / "nameko")
        instances = []
        for s in topology.SERVICES:
            info = self.topology["services"][s.name]
            info["instances"] = []
            for i in range(1, self.replicas + 1):
                name = f"{s.name}-{i}"
                health = self.data / "health" / name
                health.unlink(missing_ok=True)
                metrics = free_port()
                env = {**self.base_env(), **s.env, "AMQP_URI": self.broker_uris[s.name], "MONGO_URI": info["uri"],
                       "JWT_SECRET": self.secrets["JWT_SECRET"], "DATA_KEYS": self.secrets["DATA_KEYS"],
                       "CALLER_VERIFY_KEYS": secrets.verify_keys(self.secrets),
                       "METRICS_PORT": str(metrics), "HEALTH_FILE": str(health), "KHADEM_INSTANCE": name}
                self.spawn(name, [nameko, "run", "--config", s.config, *s.classes], env)
                info["instances"].append({"name": name, "metrics_port": metrics, "health_file": str(health)})
                instances.append((name, health))
        self.write_topology()
        for name, health in instances:
            self.wait_for(name, lambda h=health: h.exists(), timeout=180)
        for s in topology.SERVICES:
            self.wait_for(s.name, lambda n=s.name: self._ping(n))
        self._ping(None)
        print(f"run: every service answers ({self.replicas} of each)", flush=True)
        gateways = []
        host = self.env.get("GATEWAY_HOST", "127.0.0.1")
        for i in range(1, self.replicas + 1):
            port = self.gateway_port + i - 1
            if i > 1 and not bindable(port):
                port = free_port()
            env = {**self.base_env(), **topology.GATEWAY.env, "AMQP_URI": self.broker_uris["gateway"],
                   "JWT_SECRET": self.secrets["JWT_SECRET"], "DATA_KEYS": self.secrets["DATA_KEYS"],
                   "PROXY_SECRET": self.secrets["PROXY_SECRET"], "KHADEM_INSTANCE": f"gateway-{i}",
                   "CALLER_SIGNING_KEY": self.secrets["CALLER_SIGNING_KEY"]}
            self.spawn(f"gateway-{i}", [py, "-m", "uvicorn", "gateway.app:create_app", "--factory", "--host", host,
                                        "--port", str(port), "--no-access-log"], env)
            gateways.append(f"http://127.0.0.1:{port}")
        for url in gateways:
            self.wait_for(f"the gateway at {url}", lambda u=url: json.load(
                urllib.request.urlopen(u + "/health", timeout=3))["status"] == "ok")
        self.topology["gateways"] = gateways
        env = {**self.base_env(), **topology.WEB.env, "GATEWAY_URL": self.env.get("GATEWAY_URL") or gateways[0],
               "PROXY_SECRET": self.secrets["PROXY_SECRET"], "KHADEM_INSTANCE": "web-1"}
        self.spawn("web", [py, "-m", "uvicorn", "web.app:create_app", "--factory",
                           "--host", self.env.get("WEB_HOST", "127.0.0.1"), "--port", str(self.web_port),
                           "--no-access-log"], env)
        web = f"http://127.0.0.1:{self.web_port}"
        self.wait_for("the web app", lambda: json.load(urllib.request.urlopen(web + "/health", timeout=3))["status"] == "ok")
        self.topology["web"] = web
        self.write_topology()
        url = gateways[0]
        print(f"run: web app: {web}/", flush=True)
        print(f"run: gateways: {' '.join(gateways)}", flush=True)
        print(f"run: all up. API docs: {url}/docs   health: {url}/health   metrics: {url}/metrics", flush=True)
        print("run: create the first administrator with: make admin USERNAME=<name>", flush=True)

    def _ping(self, service: str | None) -> bool:
        """The service answers and takes a write (as the gateway: its broker user, its signature); a proxy that failed is
        replaced on the next try (a busy machine may time out a connection). None: close it."""
        from kernel.caller import GATEWAY, SignedClient, Signer, private_key
        proxy = getattr(self, "_rpc", None)
        if service is None or proxy is None:
            if proxy is not None:
                proxy[0].stop()
                self._rpc = None
            if service is None:
                return True
            signer = Signer(GATEWAY, private_key(self.secrets["CALLER_SIGNING_KEY"]))
            cluster = SignedClient(self.broker_uris["gateway"], signer, timeout=5)
            self._rpc = proxy = (cluster, cluster.start())
        try:
            return bool(proxy[1][service].ping()["store"])
        except Exception:
            try:
                proxy[0].stop()
            finally:
                self._rpc = None
            raise

    def write_topology(self) -> None:
        path = self.data / "topology.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({**self.topology, "replicas": self.replicas}, f, indent=1)

    def stop(self) -> None:
        # A second Ctrl-C or SIGTERM must not cut the shutdown short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # In tiers, each tier at once: the web app and the gateways, then the services, then the stores.
        def tier(name: str) -> int:
            return 0 if name == "web" or name.startswith("gateway-") else 2 if name.startswith("store-") else 1
        for level in (0, 1, 2):
            procs = [(n, p) for n, p in reversed(self.procs) if tier(n) == level]
            for _, p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for name, p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                print(f"run: {name} stopped", flush=True)
        self.procs.clear()
        self.teardown_broker()

    def supervise(self) -> None:
        """Like a supervisor, for as long as the run lasts: a process that dies is started again after
        its back-off, with why in the output; a crash loop (devenv/restarts.py) holds that process
        alone for the pause, loudly, and tries it again after; nothing else is ever stopped."""
        while True:
            self.supervise_once(time.monotonic())
            time.sleep(0.5)

    def supervise_once(self, now: float) -> None:
        for name, p in list(self.procs):
            if name in self.pending or p.poll() is None:
                continue
            policy = self.policies.setdefault(name, RestartPolicy(pause=self.crash_loop_pause))
            restart = policy.died(now, killed=killed_from_outside(p.returncode))
            how = f"killed by signal {-p.returncode}" if p.returncode < 0 else f"exited with {p.returncode}"
            log = self.logs / (name + ".log")
            if restart.crash_loop:
                bar = "!" * 100
                print(f"{bar}\nrun: CRASH LOOP: {name} {how}, its {policy.limit}th death of its own within "
                      f"{policy.window:.0f}s. It is NOT restarted for {restart.delay:.0f}s (then tried again); "
                      f"every other process keeps running. Its log: {log}\n{bar}", flush=True)
            else:
                print(f"run: {name} {how}; restarting it in {restart.delay:.0f}s (see {log})", flush=True)
            self.pending[name] = now + restart.delay
            self.held[name] = restart.crash_loop
        for name, at in list(self.pending.items()):
            if now >= at:
                del self.pending[name]
                cmd, env = self.commands[name]
                self.spawn(name, cmd, env)
                print(f"run: {name} restarted" + (" after its crash-loop pause" if self.held.pop(name, False) else ""),
                      flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("KHADEM_DATA", str(ROOT / "var")))
    ap.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")),
                    help="the first gateway's port (the others follow it)")
    ap.add_argument("--store-port", type=int, default=int(os.environ.get("STORE_PORT", "27017")),
                    help="the first store's port (one per service, in a row); 0: any free ports")
    ap.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    ap.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS") or 1),
                    help="instances of every service, and gateways")
    ap.add_argument("--throwaway", action="store_true",
                    help="delete the run's virtual host and broker users when it stops (the tests' runs)")
    args = ap.parse_args()
    env = dict(os.environ)
    runner = Runner(Path(args.data).resolve(), args.port, args.store_port, env, args.web_port,
                    args.replicas, args.throwaway)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        runner.start()
        runner.supervise()
    except KeyboardInterrupt:
        print("run: stopping", flush=True)
    finally:
        runner.stop()


if __name__ == "__main__":
    main()
