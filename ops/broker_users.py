"""RabbitMQ users for Khadem, one per process kind, each allowed exactly what it does, a read-only
user for other Astan systems that subscribe to the events, and the limits on the subscribers' queues.

    python -m ops.broker_users show                               # the permission table
    python -m ops.broker_users apply --via rabbitmqctl             # on the broker's own host
    python -m ops.broker_users apply --via http://rabbitmq:15672 \\
        --admin-user "$RABBITMQ_USER" --admin-password "$RABBITMQ_PASSWORD"   # the management API

`apply` makes the virtual host (RABBITMQ_VHOST, `/` by default) when it is missing, gives the
administrator every right on it, sets every user's password and permissions (replacing what was
there) and the subscribers' queue policy; it is idempotent. Passwords come from the environment,
`RABBITMQ_<NAME>_PASSWORD` (REGISTRY, REPORTS, FINANCE, OVERSIGHT, FESTIVAL, SECRETARIAT, GATEWAY,
SUBSCRIBER); a user whose password is unset is skipped. Names are `<prefix><name>` (`khadem_registry`,
…; the subscriber is `astan_subscriber`).

The table is **derived from the code**, not remembered: each service's queues are its event
handlers as its classes declare them (`ops.topology.handlers`), so a new consumer gets its rights
with it; `tests/unit/test_broker_permissions.py` walks the nameko containers on its own and holds the
table to exactly what they use, and every system test runs each process as its own user.

Why these rights (RabbitMQ: declaring needs *configure*, publishing to an exchange and binding a
queue need *write* on it, consuming and binding from an exchange need *read*):
- a service declares and consumes its RPC queue `rpc-<service>` (bound to `nameko-rpc`, through
  which it also answers), declares and publishes its events to `<service>.events` and its replays to
  one consumer to `<service>.replay` (direct, by the consumer's queue name), declares and
  consumes each of its handlers' queues `evt-…--<service>.<handler>` — by name, no wildcard — bound
  to the event exchanges it consumes (passively: it cannot declare, nor delete, another's exchange),
  declares and publishes to its delay queues `<service>.delay.<ms>` (each behind a fanout exchange
  of the same name), which hand a message back to its queue through the default exchange when its
  delay is over (a parked message is replayed through them too); it may not publish to the default
  exchange (nobody's queue by name). Topic permissions narrow `nameko-rpc` by routing key: a service
  may publish there only answers (to reply queues' UUID keys; no service calls another) and bind
  only `<service>.*`, so it can neither call another service nor take another's requests; on its
  events' exchange it may publish only its own event types;
- the gateway declares its reply queues `rpc.reply-standalone_rpc_proxy-…` and publishes requests
  to `nameko-rpc` — by routing key, only the RPCs the services' classes answer, `<service>.<method>`
  (derived from the code, `ops.topology.rpc_methods`); it hears the registry's events (to forget who callers are) on a queue of its own
  `gateway-identities-…`, bound (passively) to `registry.events`;
- the subscriber declares, binds and reads only queues named `astan.…`, and may read (bind to) the
  event exchanges (and the replay exchanges, to be sent a replay by its queue's name); it can publish to nothing of Khadem's: not `nameko-rpc` (no commands), not the
  event exchanges (no forged events), not the default exchange (nobody's queue). Its queues are
  held to `RABBITMQ_SUBSCRIBER_MAX_LENGTH` messages, the oldest dropped first (a policy): a stalled
  subscriber loses its oldest events, it never fills the broker's memory and blocks Khadem.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ops import topology

SUBSCRIBER_POLICY = "khadem-subscriber-queues"


@dataclass(frozen=True)
class Topic:
    """RabbitMQ's topic permission on one topic exchange: the routing keys a user may publish with
    (write) and bind a queue with (read)."""
    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str
    topics: tuple[Topic, ...] = ()


def _any(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def _exchange(service: str) -> str:
    return rf"{re.escape(service)}\.events"


def _replay(service: str) -> str:
    """A service's replay exchange (direct): its replays to one consumer's queue, by the queue's name."""
    return rf"{re.escape(service)}\.replay"


# The routing key of a standalone proxy's reply queue, which a service answers to: a UUID (nameko).
REPLY_KEY = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def service_permissions(service: str) -> Permissions:
    """What `service` must configure, write and read: its RPC queue, its events' and its replays'
    exchanges, the exchanges it consumes and its handlers' queues (with their delay queues), all by
    name — and on `nameko-rpc`, by routing key, only answers (no service calls another) and its own
    requests' binding; on its events' exchange, only its own event types."""
    s = re.escape(service)
    rpc = f"rpc-{s}"
    own = [re.escape(h.queue) for h in topology.handlers(service)]
    consumed = [x for src in topology.sources(service) for x in (_exchange(src), _replay(src))]
    mine = [_exchange(service), _replay(service)]
    # Its delay queues and their fanout exchanges (one name each): declared, bound, published to.
    delays = [rf"{s}\.delay\.[0-9]+"] if own else []
    return Permissions(
        configure=_any(rpc, "nameko-rpc", _exchange(service), *own, *delays),
        write=_any(rpc, "nameko-rpc", *mine, *own, *delays),
        read=_any(rpc, "nameko-rpc", *consumed, *own, *delays),
        topics=(Topic("nameko-rpc", write=_any(REPLY_KEY), read=_any(rf"{s}\.\*")),
                Topic(f"{service}.events", write=rf"^{s}\.", read=rf"^{s}\.")),
    )


def gateway_calls() -> list[str]:
    """The routing keys `<service>.<method>` of every RPC the services answer (from their classes)."""
    return [f"{svc}.{method}" for name in topology.NAMES for svc, method in topology.rpc_methods(name)]


def gateway_permissions() -> Permissions:
    """The gateway's: its reply queues and its identity listener's queue, by name; on `nameko-rpc` it
    may publish only the services' RPCs (by routing key) and bind its reply queues only by UUID."""
    return Permissions(
        configure=_any("nameko-rpc", r"rpc\.reply-standalone_rpc_proxy-.*", "gateway-identities-.*"),
        write=_any("nameko-rpc", r"rpc\.reply-standalone_rpc_proxy-.*", "gateway-identities-.*"),
        read=_any("nameko-rpc", r"rpc\.reply-standalone_rpc_proxy-.*", "gateway-identities-.*", _exchange("registry")),
        topics=(Topic("nameko-rpc", write=_any(*[re.escape(k) for k in gateway_calls()]), read=_any(REPLY_KEY)),),
    )


def subscriber_permissions() -> Permissions:
    return Permissions(configure=_any(r"astan\..*"), write=_any(r"astan\..*"),
                       read=_any(r"astan\..*", *[x for p in topology.NAMES for x in (_exchange(p), _replay(p))]))


def table(prefix: str = "khadem_", subscriber: str = "astan_subscriber") -> dict[str, tuple[str, Permissions]]:
    """name → (user, permissions); the name is what RABBITMQ_<NAME>_PASSWORD refers to."""
    out = {s.name: (s.broker_user(prefix), service_permissions(s.name)) for s in topology.SERVICES}
    out["gateway"] = (f"{prefix}gateway", gateway_permissions())
    out["subscriber"] = (subscriber, subscriber_permissions())
    return out


def subscriber_policy(max_length: int) -> dict:
    """The policy on subscribers' queues: at most `max_length` messages, the oldest dropped first."""
    return {"pattern": r"^astan\.", "apply-to": "queues", "priority": 0,
            "definition": {"max-length": max_length, "overflow": "drop-head"}}


# ---------------------------------------------------------------- applying it

class Rabbitmqctl:
    """On the broker's own host."""

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=check, timeout=60)

    def vhost(self, vhost: str, admin: str) -> None:
        self._ctl("add_vhost", vhost, check=False)
        if admin:
            self._ctl("set_permissions", "-p", vhost, admin, ".*", ".*", ".*")

    def user(self, user: str, password: str, perms: Permissions, vhost: str) -> None:
        if self._ctl("add_user", user, password, check=False).returncode != 0:
            self._ctl("change_password", user, password)
        self._ctl("set_permissions", "-p", vhost, user, perms.configure, perms.write, perms.read)
        self._ctl("clear_topic_permissions", "-p", vhost, user, check=False)
        for t in perms.topics:
            self._ctl("set_topic_permissions", "-p", vhost, user, t.exchange, t.write, t.read)

    def policy(self, vhost: str, name: str, policy: dict) -> None:
        self._ctl("set_policy", "-p", vhost, "--apply-to", policy["apply-to"], "--priority", str(policy["priority"]),
                  name, policy["pattern"], json.dumps(policy["definition"]))


class ManagementApi:
    """Through the management plugin's HTTP API."""

    def __init__(self, api: str, admin: tuple[str, str]):
        self.api = api.rstrip("/")
        self.auth = base64.b64encode(f"{admin[0]}:{admin[1]}".encode()).decode()
        self.admin = admin[0]

    def _call(self, method: str, path: str, body: dict | None = None):
        req = urllib.request.Request(self.api + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Basic {self.auth}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def _put(self, path: str, body: dict) -> None:
        self._call("PUT", path, body)

    def get(self, path: str):
        return self._call("GET", path)

    def delete(self, path: str) -> None:
        try:
            self._call("DELETE", path)
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def vhost(self, vhost: str, admin: str) -> None:
        q = urllib.parse.quote
        self._put(f"/api/vhosts/{q(vhost, safe='')}", {})
        self._put(f"/api/permissions/{q(vhost, safe='')}/{q(admin or self.admin, safe='')}",
                  {"configure": ".*", "write": ".*", "read": ".*"})

    def user(self, user: str, password: str, perms: Permissions, vhost: str) -> None:
        q = urllib.parse.quote
        self._put(f"/api/users/{q(user, safe='')}", {"password": password, "tags": ""})
        self._put(f"/api/permissions/{q(vhost, safe='')}/{q(user, safe='')}",
                  {"configure": perms.configure, "write": perms.write, "read": perms.read})
        self.delete(f"/api/topic-permissions/{q(vhost, safe='')}/{q(user, safe='')}")
        for t in perms.topics:
            self._put(f"/api/topic-permissions/{q(vhost, safe='')}/{q(user, safe='')}",
                      {"exchange": t.exchange, "write": t.write, "read": t.read})

    def policy(self, vhost: str, name: str, policy: dict) -> None:
        q = urllib.parse.quote
        self._put(f"/api/policies/{q(vhost, safe='')}/{q(name, safe='')}", policy)


def apply(via, vhost: str, rows: dict, passwords: dict[str, str], max_length: int, admin: str = "",
          only: list[str] | None = None, log=print) -> None:
    """Make the virtual host, the users whose passwords are given and the subscribers' policy."""
    via.vhost(vhost, admin)
    for name, (user, perms) in rows.items():
        if only and name not in only:
            continue
        password = passwords.get(name)
        if not password:
            log(f"broker_users: RABBITMQ_{name.upper()}_PASSWORD is unset; {user} skipped")
            continue
        via.user(user, password, perms, vhost)
        log(f"broker_users: {user} ready on vhost {vhost}")
    via.policy(vhost, SUBSCRIBER_POLICY, subscriber_policy(max_length))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="broker_users", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["show", "apply"])
    ap.add_argument("--via", default="rabbitmqctl", help="rabbitmqctl, or the management API's URL")
    ap.add_argument("--vhost", default=os.environ.get("RABBITMQ_VHOST") or "/")
    ap.add_argument("--prefix", default=os.environ.get("RABBITMQ_USER_PREFIX", "khadem_"))
    ap.add_argument("--subscriber", default=os.environ.get("RABBITMQ_SUBSCRIBER_USER", "astan_subscriber"))
    ap.add_argument("--admin-user", default=os.environ.get("RABBITMQ_USER", ""))
    ap.add_argument("--admin-password", default=os.environ.get("RABBITMQ_PASSWORD", ""))
    ap.add_argument("--subscriber-max-length", type=int,
                    default=int(os.environ.get("RABBITMQ_SUBSCRIBER_MAX_LENGTH") or 100_000))
    ap.add_argument("--only", nargs="*", help="only these names (" + ", ".join([*topology.NAMES, "gateway", "subscriber"]) + ")")
    args = ap.parse_args(argv)
    rows = table(args.prefix, args.subscriber)
    if args.action == "show":
        for name, (user, p) in rows.items():
            print(f"{user}\n  configure {p.configure}\n  write     {p.write}\n  read      {p.read}")
            for t in p.topics:
                print(f"  topic {t.exchange}\n    write   {t.write}\n    read    {t.read}")
        print(f"policy {SUBSCRIBER_POLICY}: {json.dumps(subscriber_policy(args.subscriber_max_length))}")
        return 0
    via = Rabbitmqctl() if args.via == "rabbitmqctl" else ManagementApi(args.via, (args.admin_user, args.admin_password))
    passwords = {name: os.environ.get(f"RABBITMQ_{name.upper()}_PASSWORD", "") for name in rows}
    try:
        apply(via, args.vhost, rows, passwords, args.subscriber_max_length, args.admin_user, args.only)
    except (subprocess.CalledProcessError, urllib.error.URLError, OSError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        print(f"broker_users: could not apply the table: {detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
