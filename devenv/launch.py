"""The whole system as `make run` starts it (the production topology: a broker user per process, a
store per service, production settings), in a child process on free ports with its own data folder,
virtual host and broker users, for the system tests and the benchmarks: `launch(...)` waits until
everything answers, creates the first administrator and answers a `Running` that knows where
everything is (the runner's topology.json)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from devenv.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Running:
    proc: subprocess.Popen
    data: Path

    @property
    def topology(self) -> dict:
        return json.loads((self.data / "topology.json").read_text())

    def _client(self, uri: str):
        """One client per store for the life of this object: each new one signs in (SCRAM), which
        the local store makes cost tens of milliseconds."""
        from pymongo import MongoClient
        clients = self.__dict__.setdefault("_clients", {})
        if uri not in clients:
            clients[uri] = MongoClient(uri, tz_aware=True)
        return clients[uri]

    @property
    def gateways(self) -> list[str]:
        return self.topology["gateways"]

    @property
    def base(self) -> str:
        return self.gateways[0]

    @property
    def web(self) -> str:
        return self.topology["web"]

    def store_uri(self, service: str) -> str:
        """The service's store, as its administrator."""
        return self.topology["services"][service]["admin_uri"]

    def database(self, service: str):
        info = self.topology["services"][service]
        return self._client(info["admin_uri"])[info["database"]]

    def amqp_uri(self, who: str) -> str:
        """The broker as `who` (a service, `gateway`) on the run's virtual host."""
        return self.topology["broker"]["uris"][who]

    @property
    def admin_amqp_uri(self) -> str:
        return self.topology["broker"]["admin_uri"]

    def pid(self, process: str) -> int | None:
        """The pid of a process the runner started last (`run: reports-1 started (pid N)`)."""
        found = re.findall(rf"run: {re.escape(process)} started \(pid (\d+)\)", (self.data / "run.out").read_text())
        return int(found[-1]) if found else None

    def processes(self, prefix: str = "") -> list[str]:
        names = re.findall(r"run: (\S+) started \(pid \d+\)", (self.data / "run.out").read_text())
        return sorted({n for n in names if n.startswith(prefix)})

    def log(self, process: str) -> str:
        return (self.data / "log" / f"{process}.log").read_text(errors="replace")


def launch(data: Path, env: dict, username: str = "admin", timeout: float = 300, replicas: int = 1,
           port: int | None = None, web_port: int | None = None) -> Running:
    """Start `python -m devenv.run --throwaway` (its output in `data/run.out`) on a virtual host and
    broker users of its own; `env` must carry KHADEM_ADMIN_PASSWORD for the administrator
    `username`. RABBITMQ_ADMIN_URI (or AMQP_URI) names the broker's administrator."""
    env = dict(env)
    tag = uuid.uuid4().hex[:8]
    env.setdefault("RABBITMQ_VHOST", f"khadem-{tag}")
    env.setdefault("RABBITMQ_USER_PREFIX", f"k{tag}_")
    out = data / "run.out"
    proc = subprocess.Popen([sys.executable, "-m", "devenv.run", "--data", str(data),
                             "--port", str(port or free_port()), "--store-port", "0",
                             "--web-port", str(web_port or free_port()), "--replicas", str(replicas),
                             "--throwaway"], cwd=ROOT, env=env,
                            stdout=open(out, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while "all up" not in out.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise RuntimeError(out.read_text())
        time.sleep(0.5)
    running = Running(proc, data)
    try:
        admin(running, username, env["KHADEM_ADMIN_PASSWORD"])
    except BaseException:
        stop(running)   # never leave a system running behind a failed start: its services would share the queues
        raise
    return running


def admin(running: Running, username: str, password: str | None, quiet: bool = True) -> None:
    """The first administrator, as the README has an operator make it (as the gateway: its broker user
    and its signing key);
    the password is asked for when None."""
    from devenv import secrets
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore",
           "AMQP_URI": running.amqp_uri("gateway"), "ENVIRONMENT": "production",
           "CALLER_SIGNING_KEY": secrets.read(running.data / secrets.FILE)["CALLER_SIGNING_KEY"]}
    if password:
        env["KHADEM_ADMIN_PASSWORD"] = password
    subprocess.run([sys.executable, "-m", "services.registry.cli", "create-admin", "--username", username],
                   cwd=ROOT, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL if quiet else None)


def stop(running: Running | subprocess.Popen) -> None:
    proc = running.proc if isinstance(running, Running) else running
    proc.terminate()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> int:
    """`make admin USERNAME=…`: the first administrator of the system `make run` is running."""
    import argparse
    import os
    ap = argparse.ArgumentParser(prog="devenv.launch")
    ap.add_argument("action", choices=["admin"])
    ap.add_argument("--username", required=True)
    ap.add_argument("--data", default=os.environ.get("KHADEM_DATA", str(ROOT / "var")))
    args = ap.parse_args()
    data = Path(args.data).resolve()
    if not (data / "topology.json").exists():
        print(f"no running system in {data}: start it with `make run`", file=sys.stderr)
        return 2
    try:
        admin(Running(None, data), args.username, os.environ.get("KHADEM_ADMIN_PASSWORD"), quiet=False)
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
