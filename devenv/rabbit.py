"""Make sure a RabbitMQ answers at AMQP_URI: use it, else start the installed server, else install
it from Debian's packages when running as root, else say how to provide one. `management()` makes
sure its management API answers too (the broker's users are applied through it, as in production)."""
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
    # Every quorum queue holds file handles of its own: a broker at the usual 1,024 runs out of them
    # (and stops accepting connections) with a few systems' queues on it.
    _run(["sh", "-c", "ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null; exec rabbitmq-server -detached"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if answers(uri):
            return uri
        time.sleep(2)
    raise SystemExit("RabbitMQ was started but does not answer at " + uri)


def api_answers(api: str, user: str, password: str) -> bool:
    import base64
    import urllib.request
    req = urllib.request.Request(api.rstrip("/") + "/api/overview", headers={
        "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            return r.status == 200
    except Exception:
        return False


def management(admin_uri: str, api: str | None = None) -> str:
    """The management API's URL (http://<broker host>:15672 unless given), enabling the plugin on
    the local broker when it is off."""
    from urllib.parse import unquote, urlparse
    u = urlparse(admin_uri)
    api = api or f"http://{u.hostname or '127.0.0.1'}:15672"
    user, password = unquote(u.username or "guest"), unquote(u.password or "guest")
    if api_answers(api, user, password):
        return api
    if not shutil.which("rabbitmq-plugins"):
        raise SystemExit(f"RabbitMQ's management API does not answer at {api}; enable the plugin "
                         "(rabbitmq-plugins enable rabbitmq_management) or set RABBITMQ_API")
    _run(["rabbitmq-plugins", "enable", "rabbitmq_management"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if api_answers(api, user, password):
            return api
        time.sleep(1)
    raise SystemExit(f"RabbitMQ's management plugin was enabled but {api} does not answer")


if __name__ == "__main__":
    print(ensure())
