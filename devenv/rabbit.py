"""Make sure a RabbitMQ answers at AMQP_URI: use it, else start the installed server, else install
it from Debian's packages when running as root, else say how to provide one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from kombu import Connection

DEFAULT = "amqp://guest:guest@127.0.0.1:5672/"


def answers(uri: str, timeout: float = 3.0) -> bool:
    try:
        with Connection(uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _run(cmd: list[str], timeout: int = 600) -> None:
    print("rabbitmq:", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, timeout=timeout, stdout=sys.stderr, stderr=sys.stderr)


def ensure(uri: str | None = None) -> str:
    uri = uri or os.environ.get("AMQP_URI") or DEFAULT
    if answers(uri):
        return uri
    if os.environ.get("AMQP_URI") and os.environ["AMQP_URI"] != DEFAULT:
        raise SystemExit(f"RabbitMQ at AMQP_URI={uri} does not answer; start it or unset AMQP_URI")
    if not shutil.which("rabbitmq-server"):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise SystemExit("RabbitMQ is not running and not installed. Install it "
                             "(Debian/Ubuntu: sudo apt-get install -y rabbitmq-server) or set AMQP_URI "
                             "to a running broker.")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=sys.stderr, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-q", "rabbitmq-server"], check=True, env=env,
                       stdout=sys.stderr, timeout=900)
    _run(["rabbitmq-server", "-detached"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if answers(uri):
            return uri
        time.sleep(2)
    raise SystemExit("RabbitMQ was started but does not answer at " + uri)


if __name__ == "__main__":
    print(ensure())
