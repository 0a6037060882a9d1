"""RabbitMQ users for Khadem, one per process kind, each allowed only what it does, and a read-only
user for other Astan systems that subscribe to the events.

    python -m ops.broker_users show                               # the permission table
    python -m ops.broker_users apply --via rabbitmqctl             # on the broker's own host
    python -m ops.broker_users apply --via http://rabbitmq:15672 \\
        --admin-user "$RABBITMQ_USER" --admin-password "$RABBITMQ_PASSWORD"   # the management API

Passwords come from the environment, `RABBITMQ_<NAME>_PASSWORD` (REGISTRY, REPORTS, FINANCE, OVERSIGHT, FESTIVAL, SECRETARIAT, GATEWAY,
SUBSCRIBER); a user whose password is unset is skipped. Names are `<prefix><name>` (`khadem_registry`,
…; the subscriber is `astan_subscriber`).

Why these rights (RabbitMQ: declaring needs *configure*, publishing to an exchange and binding a
queue need *write* on it, consuming and binding from an exchange need *read*):
- a service declares and consumes its RPC queue `rpc-<service>` on the `nameko-rpc` exchange,
  replies through `nameko-rpc`, publishes its events to `<service>.events`, declares and consumes
  its handlers' queues `evt-…--<service>.<handler>` (and their delay queues, reached through the
  default exchange), bound to the event exchanges it consumes;
- the gateway declares its reply queues `rpc.reply-standalone_rpc_proxy-…` and publishes requests
  to `nameko-rpc`;
- the subscriber declares, binds and reads only queues named `astan.…`, and may read (bind to) the
  event exchanges; it can publish to nothing of Khadem's: not `nameko-rpc` (no commands), not the
  event exchanges (no forged events), not the default exchange (nobody's queue).
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

# Each service and the event exchanges it consumes.
SERVICES = {"registry": ["oversight", "festival"], "reports": ["registry", "reports", "oversight", "festival"],
            "finance": ["registry", "reports", "finance"], "oversight": ["registry", "finance"],
            "festival": ["registry", "reports", "oversight", "festival"], "secretariat": ["registry", "reports"]}
PUBLISHERS = sorted(SERVICES)


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str


def _any(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def service_permissions(service: str, sources: list[str]) -> Permissions:
    s = re.escape(service)
    own_queues = rf"evt-.*--{s}\..*"
    exchanges = [rf"{re.escape(src)}\.events" for src in sources]
    return Permissions(
        configure=_any(f"rpc-{s}", "nameko-rpc", rf"{s}\.events", *exchanges, own_queues),
        write=_any(f"rpc-{s}", "nameko-rpc", rf"{s}\.events", own_queues, r"amq\.default"),
        read=_any(f"rpc-{s}", "nameko-rpc", *exchanges, own_queues),
    )


GATEWAY = Permissions(*([_any("nameko-rpc", r"rpc\.reply-standalone_rpc_proxy-.*")] * 3))
SUBSCRIBER = Permissions(configure=_any(r"astan\..*"), write=_any(r"astan\..*"),
                         read=_any(r"astan\..*", *[rf"{re.escape(p)}\.events" for p in PUBLISHERS]))


def table(prefix: str = "khadem_", subscriber: str = "astan_subscriber") -> dict[str, tuple[str, Permissions]]:
    """name → (user, permissions); the name is what RABBITMQ_<NAME>_PASSWORD refers to."""
    out = {name: (f"{prefix}{name}", service_permissions(name, sources)) for name, sources in SERVICES.items()}
    out["gateway"] = (f"{prefix}gateway", GATEWAY)
    out["subscriber"] = (subscriber, SUBSCRIBER)
    return out


def via_rabbitmqctl(user: str, password: str, perms: Permissions, vhost: str) -> None:
    def ctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=check, timeout=60)
    if ctl("add_user", user, password, check=False).returncode != 0:
        ctl("change_password", user, password)
    ctl("set_permissions", "-p", vhost, user, perms.configure, perms.write, perms.read)


def via_http(api: str, admin: tuple[str, str], user: str, password: str, perms: Permissions, vhost: str) -> None:
    auth = base64.b64encode(f"{admin[0]}:{admin[1]}".encode()).decode()

    def put(path: str, body: dict) -> None:
        req = urllib.request.Request(api.rstrip("/") + path, data=json.dumps(body).encode(), method="PUT",
                                     headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30):
            pass
    q = urllib.parse.quote
    put(f"/api/users/{q(user, safe='')}", {"password": password, "tags": ""})
    put(f"/api/permissions/{q(vhost, safe='')}/{q(user, safe='')}",
        {"configure": perms.configure, "write": perms.write, "read": perms.read})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="broker_users", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["show", "apply"])
    ap.add_argument("--via", default="rabbitmqctl", help="rabbitmqctl, or the management API's URL")
    ap.add_argument("--vhost", default=os.environ.get("RABBITMQ_VHOST", "/"))
    ap.add_argument("--prefix", default=os.environ.get("RABBITMQ_USER_PREFIX", "khadem_"))
    ap.add_argument("--subscriber", default=os.environ.get("RABBITMQ_SUBSCRIBER_USER", "astan_subscriber"))
    ap.add_argument("--admin-user", default=os.environ.get("RABBITMQ_USER", ""))
    ap.add_argument("--admin-password", default=os.environ.get("RABBITMQ_PASSWORD", ""))
    ap.add_argument("--only", nargs="*", help="only these names (registry, reports, finance, oversight, festival, secretariat, gateway, subscriber)")
    args = ap.parse_args(argv)
    rows = table(args.prefix, args.subscriber)
    if args.action == "show":
        for name, (user, p) in rows.items():
            print(f"{user}\n  configure {p.configure}\n  write     {p.write}\n  read      {p.read}")
        return 0
    for name, (user, perms) in rows.items():
        if args.only and name not in args.only:
            continue
        password = os.environ.get(f"RABBITMQ_{name.upper()}_PASSWORD")
        if not password:
            print(f"broker_users: RABBITMQ_{name.upper()}_PASSWORD is unset; {user} skipped", file=sys.stderr)
            continue
        try:
            if args.via == "rabbitmqctl":
                via_rabbitmqctl(user, password, perms, args.vhost)
            else:
                via_http(args.via, (args.admin_user, args.admin_password), user, password, perms, args.vhost)
        except (subprocess.CalledProcessError, urllib.error.URLError) as exc:
            detail = getattr(exc, "stderr", None) or exc
            print(f"broker_users: could not set up {user}: {detail}", file=sys.stderr)
            return 1
        print(f"broker_users: {user} ready on vhost {args.vhost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
