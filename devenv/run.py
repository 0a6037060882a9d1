"""Runs the whole system locally, in order, one log per process under <data>/log/:

1. RabbitMQ (AMQP_URI if it answers; else the installed server is started; else installed), and the
   queues of every event handler (ops/topology.py);
2. the store (MONGO_URI if given; else the local SecantusDB server, data under <data>/store/), with
   every service's collections and indexes built before any service starts (devenv/indexes.py);
3. every service as its own `nameko run` process;
4. the gateway (uvicorn) on GATEWAY_PORT (default 8000);
5. the web app (uvicorn) on WEB_PORT (default 8080), a client of the gateway.

A process that dies afterwards is started again after a back-off (1 s, doubling up to 30 s), the
reason printed; five deaths of one process within a minute is a crash loop, which stops everything.
Ctrl-C or SIGTERM stops them all, gateway first, store last.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ops import topology

from . import rabbit, store
from .restarts import RestartPolicy

# eventlet announces its deprecation and nameko imports pkg_resources: both known, both harmless here.
QUIET_WARNINGS = "ignore::DeprecationWarning,ignore::UserWarning"

ROOT = Path(__file__).resolve().parent.parent

# (name, nameko service classes, config) — one process each, started in this order. A service's
# event handlers run in a container of their own beside its RPC container (separate worker budgets).
SERVICES = topology.SERVICES


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class Runner:
    def __init__(self, data: Path, gateway_port: int, store_port: int, env: dict, web_port: int = 8080):
        self.data = data
        self.web_port = web_port
        self.logs = data / "log"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.gateway_port = gateway_port
        self.store_port = store_port
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.commands: dict[str, list[str]] = {}
        self.policies: dict[str, RestartPolicy] = {}
        self.pending: dict[str, float] = {}   # name → when to restart it

    def spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        p = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs = [(n, q) for n, q in self.procs if n != name] + [(name, p)]
        self.commands[name] = cmd
        print(f"run: {name} started (pid {p.pid}), log {self.logs / (name + '.log')}", flush=True)
        return p

    def check_alive(self) -> None:
        for name, p in self.procs:
            if p.poll() is not None:
                raise SystemExit(f"run: {name} exited with {p.returncode}; see {self.logs / (name + '.log')}")

    def wait_for(self, what: str, test, timeout: float = 90) -> None:
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

    def start(self) -> None:
        py = sys.executable
        self.env["AMQP_URI"] = rabbit.ensure(self.env.get("AMQP_URI"))
        print(f"run: RabbitMQ answers at {self.env['AMQP_URI']}", flush=True)
        # Every consumer's queue exists before any service publishes (ops/topology.py).
        subprocess.run([py, "-m", "ops.topology"], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)
        if not self.env.get("MONGO_URI"):
            if port_open("127.0.0.1", self.store_port):
                raise SystemExit(f"run: port {self.store_port} is taken; set STORE_PORT or MONGO_URI")
            (self.data / "store").mkdir(parents=True, exist_ok=True)
            self.spawn("store", store.command(self.store_port, self.data / "store"))
            self.env["MONGO_URI"] = store.uri(self.store_port)
            self.wait_for("the store", lambda: store.answers(self.env["MONGO_URI"]))
        print(f"run: store at {self.env['MONGO_URI']}", flush=True)
        # Every service's collections and indexes first, while no one else writes (devenv/indexes.py).
        subprocess.run([py, "-m", "devenv.indexes"], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)
        nameko = str(Path(py).parent / "nameko")
        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": self.env["AMQP_URI"]}, timeout=5) as rpc:
            # One at a time: each builds its indexes at start-up, and five processes doing so at
            # once once left the local store answering nothing for minutes.
            for name, classes, config in SERVICES:
                self.spawn(name, [nameko, "run", "--config", config, *classes])
                self.wait_for(name, lambda n=name: rpc[n].ping()["store"])
                print(f"run: {name} answers", flush=True)
        self.spawn("gateway", [py, "-m", "uvicorn", "gateway.app:create_app", "--factory",
                               "--host", self.env.get("GATEWAY_HOST", "127.0.0.1"),
                               "--port", str(self.gateway_port), "--no-access-log"])
        url = f"http://127.0.0.1:{self.gateway_port}"
        self.wait_for("the gateway", lambda: json.load(urllib.request.urlopen(url + "/health", timeout=3))["status"] == "ok")
        self.env.setdefault("GATEWAY_URL", url)
        self.spawn("web", [py, "-m", "uvicorn", "web.app:create_app", "--factory",
                           "--host", self.env.get("WEB_HOST", "127.0.0.1"), "--port", str(self.web_port),
                           "--no-access-log"])
        web = f"http://127.0.0.1:{self.web_port}"
        self.wait_for("the web app", lambda: json.load(urllib.request.urlopen(web + "/health", timeout=3))["status"] == "ok")
        print(f"run: web app: {web}/", flush=True)
        print(f"run: all up. API docs: {url}/docs   health: {url}/health   metrics: {url}/metrics", flush=True)
        print("run: create the first administrator with: make admin USERNAME=<name>", flush=True)

    def stop(self) -> None:
        # A second Ctrl-C or SIGTERM must not cut the shutdown short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            print(f"run: {name} stopped", flush=True)
        self.procs.clear()

    def supervise(self) -> None:
        """Like a supervisor: a process that dies is started again after a back-off, with why in the
        output; a crash loop (devenv/restarts.py) stops everything, so that someone looks."""
        while True:
            now = time.monotonic()
            for name, p in list(self.procs):
                if name in self.pending or p.poll() is None:
                    continue
                policy = self.policies.setdefault(name, RestartPolicy())
                delay = policy.died(now)
                how = f"killed by signal {-p.returncode}" if p.returncode < 0 else f"exited with {p.returncode}"
                if delay is None:
                    raise SystemExit(f"run: {name} {how}, its {policy.limit}th death within {policy.window:.0f}s: "
                                     f"a crash loop; stopping everything (see {self.logs / (name + '.log')})")
                print(f"run: {name} {how}; restarting it in {delay:.0f}s (see {self.logs / (name + '.log')})",
                      flush=True)
                self.pending[name] = now + delay
            for name, at in list(self.pending.items()):
                if now >= at:
                    del self.pending[name]
                    self.spawn(name, self.commands[name])
                    print(f"run: {name} restarted", flush=True)
            time.sleep(0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("KHADEM_DATA", str(ROOT / "var")))
    ap.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    ap.add_argument("--store-port", type=int, default=int(os.environ.get("STORE_PORT", "27017")))
    ap.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", QUIET_WARNINGS)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # The web app forwards the person's address to the gateway's public routes, proven by this secret.
    env.setdefault("PROXY_SECRET", secrets.token_urlsafe(32))
    runner = Runner(Path(args.data).resolve(), args.port, args.store_port, env, args.web_port)

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
