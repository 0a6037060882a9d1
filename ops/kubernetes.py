"""Kubernetes manifests for Khadem, written from the one catalogue (ops/topology.py) into
deploy/kubernetes/ by `python -m ops.render`; deploy/kubernetes/README.md says how to apply them.

Every per-process value (names, commands, resources, the autoscaler's floor and ceiling, the metrics
port, settings) comes from the catalogue, and the common settings' defaults from the compose file's
(ops/render.py): what is decided here is how Kubernetes runs any process of a kind.

Passwords and keys live in Secrets only, each in one place: a process's Secret holds its own broker
and store passwords (plus the keys it shares), its URIs are put together in the pod from them
(`$(AMQP_PASSWORD)`), and the setup jobs that make the users read the same Secrets, so that the
user a job makes and the process that signs in as it cannot disagree.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from ops import render, topology
from ops.store_users import users as store_users

ROOT = Path(__file__).resolve().parent.parent
OUT = Path("deploy/kubernetes")
HEADER = ("# Written by `python -m ops.render` from ops/topology.py: edit there (or in ops/kubernetes.py), "
          "then render.\n")

NAMESPACE = "khadem"
CLUSTER_DOMAIN = "cluster.local"
NAME = "app.kubernetes.io/name"

# The images' own users (Dockerfile's `khadem`; the rabbitmq and mongo images' 999).
KHADEM_UID = 10001
INFRA_UID = 999
RABBITMQ_IMAGE = "rabbitmq:3.13-management"
MONGO_IMAGE = "mongo:7.0"

BROKER = "rabbitmq"              # the client Service: every process's AMQP_URI names it
BROKER_NODES = "rabbitmq-nodes"  # the headless Service that names each node for clustering
BROKER_REPLICAS = 3
BROKER_PREFIX = "khadem_"        # RABBITMQ_USER_PREFIX's default, as in compose
STORE = "mongo"                  # the headless Service: mongo-0.mongo, …
STORE_REPLICAS = 3
REPLICA_SET = "rs0"

# Names ending so hold a password or a key: only ever from a Secret.
SECRET_NAME = re.compile(r"(PASS|PASSWORD|SECRET|KEYS|KEYFILE|COOKIE)$")
HEALTHCHECK = ("python", "-m", "kernel.healthcheck", "--max-age")
CPU_UTILISATION = 70

# Who may reach the processes from outside the namespace, by the label Kubernetes gives every namespace.
MONITORING = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
              "podSelector": {"matchLabels": {NAME: "prometheus"}}}
INGRESS_CONTROLLER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
CLUSTER_DNS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}


# ---------------------------------------------------------------- YAML with comments

class Block(str):
    """A string written as a literal block (a script, a configuration file)."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data):
        return True   # a rule used twice is written twice, not as a YAML anchor a reader must chase


_Dumper.add_representer(Block, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|"))


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.strip("\n").splitlines())


def _doc(obj: dict, why: str = "") -> str:
    return "---\n" + (_comment(why) if why else "") + yaml.dump(
        obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=110)


def _file(about: str, *docs: str) -> str:
    return HEADER + _comment(about) + "".join(docs)


# ---------------------------------------------------------------- small pieces

def version() -> str:
    """The images' tag: the project's version (pyproject.toml)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _labels(name: str, component: str) -> dict:
    return {NAME: name, "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": "khadem"}


def _meta(name: str, component: str) -> dict:
    return {"name": name, "namespace": NAMESPACE, "labels": _labels(name, component)}


def _pods(*names: str) -> dict:
    if len(names) == 1:
        return {"podSelector": {"matchLabels": {NAME: names[0]}}}
    return {"podSelector": {"matchExpressions": [{"key": NAME, "operator": "In", "values": list(names)}]}}


def _ports(*ports: int, protocol: str = "TCP") -> list[dict]:
    return [{"protocol": protocol, "port": p} for p in ports]


def _value(name: str, value) -> dict:
    if SECRET_NAME.search(name):
        raise ValueError(f"{name} holds a secret: it belongs in a Secret, not in a manifest")
    return {"name": name, "value": str(value)}


def _from_secret(name: str, secret: str, key: str, optional: bool = False) -> dict:
    ref = {"name": secret, "key": key, **({"optional": True} if optional else {})}
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def _field(name: str, path: str) -> dict:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _resources(p) -> dict:
    return {"requests": {"cpu": p.cpu, "memory": p.memory}, "limits": {"cpu": p.cpu_limit, "memory": p.memory_limit}}


def _exec(*command: str, **timing) -> dict:
    return {"exec": {"command": list(command)}, **timing}


def _http(path: str, **timing) -> dict:
    return {"httpGet": {"path": path, "port": "http"}, **timing}


def _pod_security(uid: int) -> dict:
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"}}


def _container_security(read_only: bool) -> dict:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": read_only, "capabilities": {"drop": ["ALL"]}}


SMALL = {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}}


def _private_copy(name: str, image: str, command: str, mounts: list[dict]) -> dict:
    """An init container that copies a file from a Secret to where its program wants it, readable
    by its owner alone (0400: the Erlang cookie, the replica set's key file)."""
    return {"name": name, "image": image, "command": ["sh", "-c", command],
            "securityContext": _container_security(read_only=True), "resources": SMALL, "volumeMounts": mounts}


def _statefulset(name: str, component: str, service: str, replicas: int, pod: dict, size: str) -> dict:
    """Infrastructure's members, named through a headless Service, started together, each with its
    data volume."""
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta(name, component), "spec": {
        "serviceName": service, "replicas": replicas, "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": {NAME: name}}, "template": pod,
        "volumeClaimTemplates": [_claim("data", size)]}}


def _spread(name: str) -> list[dict]:
    return [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": {NAME: name}}}]


def _pdb(name: str, component: str) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(name, component),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {NAME: name}}}}


def _fqdn(host: str) -> str:
    return f"{host}.{NAMESPACE}.svc.{CLUSTER_DOMAIN}"


# ---------------------------------------------------------------- addresses

def amqp_uri(user: str, password: str = "AMQP_PASSWORD") -> str:
    """`password` names the variable (from a Secret) the kubelet puts in the URI."""
    return f"amqp://{user}:$({password})@{BROKER}:5672/"


def store_hosts() -> str:
    return ",".join(f"{STORE}-{i}.{STORE}" for i in range(STORE_REPLICAS)) + ":27017"


def mongo_uri(user: str, database: str, password: str = "MONGO_PASSWORD") -> str:
    return (f"mongodb://{user}:$({password})@{store_hosts()}/{database}"
            f"?replicaSet={REPLICA_SET}&authSource={database}")


# ---------------------------------------------------------------- Secrets and settings

def secret_name(process: str) -> str:
    return f"khadem-{process}"


def secrets() -> dict[str, dict[str, str]]:
    """Secret → key → what it holds: `password`, `jwt`, `data-keys`, `proxy`, `caller-key` (the
    gateway's key that signs who is calling), `caller-verify` (its public half, `gateway:<key>`),
    `cookie`, `keyfile`, or `=<value>` (a value that is no secret, or empty)."""
    keys = {"JWT_SECRET": "jwt", "DATA_KEYS": "data-keys", "CALLER_VERIFY_KEYS": "caller-verify"}
    out = {secret_name(s.name): {"AMQP_PASSWORD": "password", "MONGO_PASSWORD": "password", **keys}
           for s in topology.SERVICES}
    out[secret_name(topology.GATEWAY.name)] = {"AMQP_PASSWORD": "password", **keys, "PROXY_SECRET": "proxy",
                                               "CALLER_SIGNING_KEY": "caller-key"}
    out[secret_name(topology.WEB.name)] = {"PROXY_SECRET": "proxy"}
    out["rabbitmq-admin"] = {"RABBITMQ_USER": "=khadem", "RABBITMQ_PASSWORD": "password"}
    out["rabbitmq-erlang-cookie"] = {"cookie": "cookie"}
    out["mongo-admin"] = {"MONGO_ADMIN_USER": "=khadem_admin", "MONGO_ADMIN_PASSWORD": "password"}
    out["mongo-keyfile"] = {"keyfile": "keyfile"}
    out["astan-subscriber"] = {"RABBITMQ_SUBSCRIBER_PASSWORD": "="}
    return out


# The shared keys' placeholders are refused by the processes in production (JWT_SECRET and PROXY_SECRET
# under 32 characters, DATA_KEYS no Fernet key, CALLER_SIGNING_KEY and CALLER_VERIFY_KEYS no Ed25519
# key), and the keyfile's by mongod (not base64): forgotten,
# they stop a process instead of running it with a value anyone can read here.
PLACEHOLDERS = {"jwt": "change-me-jwt", "data-keys": "change-me-data-keys", "proxy": "change-me-proxy",
                "caller-key": "change-me-caller-key", "caller-verify": "change-me-caller-verify",
                "cookie": "change-me-erlang-cookie", "keyfile": "change-me-keyfile"}


def placeholder(secret: str, key: str, kind: str) -> str:
    if kind.startswith("="):
        return kind[1:]
    return PLACEHOLDERS.get(kind) or f"change-me-{secret}-{key.lower().replace('_', '-')}"


def settings() -> dict[str, str]:
    """The common settings that are no secret, with compose's defaults (ops/render.py); the ones compose
    requires (JWT_SECRET, DATA_KEYS) are the processes' Secrets'."""
    out = {}
    for name, value in render.COMMON_ENV:
        default = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
        if default:
            out[name] = default.group(1)
    out["METRICS_PORT"] = str(topology.METRICS_PORT)
    return out


# ---------------------------------------------------------------- the processes

def _workload_pod(name: str, component: str, container: dict, annotations: dict | None = None,
                  grace: int = 30) -> dict:
    meta = {"labels": _labels(name, component), **({"annotations": annotations} if annotations else {})}
    return {"metadata": meta, "spec": {
        # Kubernetes would otherwise give every pod GATEWAY_PORT=tcp://…, which the settings read as a port.
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": _pod_security(KHADEM_UID),
        "terminationGracePeriodSeconds": grace,
        "topologySpreadConstraints": _spread(name),
        "containers": [container],
        # The root filesystem is read-only; the heartbeat file and temporary files go here.
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
    }}


def _container(name: str, image: str, command, env_from: list[dict], env: list[dict], ports: list[dict],
               resources: dict, probes: dict, lifecycle: dict | None = None) -> dict:
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "command": list(command),
            "envFrom": env_from, "env": env, "ports": ports, **probes, "resources": resources,
            **({"lifecycle": lifecycle} if lifecycle else {}),
            "securityContext": _container_security(read_only=True),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}


def _deployment(name: str, component: str, pod: dict) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(name, component), "spec": {
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": {NAME: name}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": pod,
    }}


def _hpa(p, component: str) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(p.name, component),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": p.name},
                "minReplicas": p.replicas,
                "maxReplicas": p.max_replicas,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": CPU_UTILISATION}}}],
            }}


def _service(name: str, component: str, port: int) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, component), "spec": {
        "type": "ClusterIP", "selector": {NAME: name},
        "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]}}


def _settings_and(secret: str) -> list[dict]:
    return [{"configMapRef": {"name": "khadem-settings"}}, {"secretRef": {"name": secret}}]


def _scrape(port: int) -> dict:
    return {"prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics"}


def service_manifests(s: topology.Service) -> str:
    user, database = store_users("$(MONGO_DB_PREFIX)")[s.name]
    env = [_value("HEALTH_FILE", "/tmp/khadem.alive"),
           _value("AMQP_URI", amqp_uri(s.broker_user(BROKER_PREFIX))),
           _value("MONGO_URI", mongo_uri(user, database)),
           *(_value(k, v) for k, v in s.env.items())]
    heartbeat = HEALTHCHECK + ("30",)
    probes = {
        # The first heartbeat follows the service's start (the registry loads the unit data set first).
        "startupProbe": _exec(*heartbeat, periodSeconds=5, timeoutSeconds=5, failureThreshold=60),
        "readinessProbe": _exec(*heartbeat, periodSeconds=10, timeoutSeconds=5, failureThreshold=3),
        # Longer than a store's failover: a process whose heartbeat is this old is hung, not waiting.
        "livenessProbe": _exec(*HEALTHCHECK, "120", periodSeconds=20, timeoutSeconds=5, failureThreshold=3),
    }
    container = _container(s.name, f"khadem/service:{version()}", s.command, _settings_and(secret_name(s.name)), env,
                           [{"name": "metrics", "containerPort": topology.METRICS_PORT, "protocol": "TCP"}],
                           _resources(s), probes)
    # SIGTERM lets the running workers finish; their unacknowledged messages go back to the queues.
    pod = _workload_pod(s.name, "service", container, _scrape(topology.METRICS_PORT), grace=60)
    return _file(
        f"The {s.name} service: its Deployment, autoscaler and disruption budget. Every instance consumes\n"
        f"the same queues (rpc-{s.name} and its handlers'), so instances add throughput; none is reached\n"
        "through a Service.",
        _doc(_deployment(s.name, "service", pod),
             "No `replicas`: the autoscaler owns the count (an apply would otherwise reset it).\n"
             "Readiness holds a rollout until the new instance commits heartbeats to its store."),
        _doc(_hpa(s, "service")),
        _doc(_pdb(s.name, "service"), "A drained node takes one instance at a time."))


def _edge_probes(edge: topology.Edge, ready_timeout: int) -> dict:
    return {"startupProbe": _http(edge.live, periodSeconds=5, timeoutSeconds=4, failureThreshold=24),
            "readinessProbe": _http(edge.ready, periodSeconds=10, timeoutSeconds=ready_timeout, failureThreshold=3),
            "livenessProbe": _http(edge.live, periodSeconds=10, timeoutSeconds=4, failureThreshold=3)}


# Endpoints are removed from the Service while a terminating pod still answers: no request is cut.
DRAIN = {"preStop": {"exec": {"command": ["sleep", "5"]}}}


def gateway_manifests() -> str:
    gw = topology.GATEWAY
    env = [_value("AMQP_URI", amqp_uri(gw.broker_user(BROKER_PREFIX))), *(_value(k, v) for k, v in gw.env.items())]
    container = _container(gw.name, f"khadem/gateway:{version()}", gw.command, _settings_and(secret_name(gw.name)),
                           env, [{"name": "http", "containerPort": gw.port, "protocol": "TCP"}], _resources(gw),
                           _edge_probes(gw, ready_timeout=4), DRAIN)
    pod = _workload_pod(gw.name, "edge", container, _scrape(gw.port))
    return _file(
        "The gateway: REST and sign-in in front of the services, over RPC. Its Service is what the web app\n"
        "and an ingress reach; it serves its own metrics on its HTTP port.",
        _doc(_deployment(gw.name, "edge", pod),
             f"Liveness: {gw.live} (the process answers). Readiness: {gw.ready} (it holds connections to the\n"
             "bus): a gateway that cannot reach RabbitMQ takes no requests, while one service down (see /health)\n"
             "takes no gateway out of service."),
        _doc(_service(gw.name, "edge", gw.port)),
        _doc(_hpa(gw, "edge")),
        _doc(_pdb(gw.name, "edge")))


def web_manifests() -> str:
    web, gw = topology.WEB, topology.GATEWAY
    env = [_value("GATEWAY_URL", f"http://{gw.name}:{gw.port}"), *(_value(k, v) for k, v in web.env.items())]
    container = _container(web.name, f"khadem/web:{version()}", web.command, _settings_and(secret_name(web.name)),
                           env, [{"name": "http", "containerPort": web.port, "protocol": "TCP"}], _resources(web),
                           _edge_probes(web, ready_timeout=4), DRAIN)
    pod = _workload_pod(web.name, "edge", container)
    return _file(
        "The web app people use: a client of the gateway only (no broker, no database). It keeps no state:\n"
        "any instance serves anyone. It serves no metrics (the gateway counts its requests).",
        _doc(_deployment(web.name, "edge", pod)),
        _doc(_service(web.name, "edge", web.port)),
        _doc(_hpa(web, "edge")),
        _doc(_pdb(web.name, "edge")))


# ---------------------------------------------------------------- the cluster's own

def namespace_manifest() -> str:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": {
        "app.kubernetes.io/part-of": "khadem",
        "pod-security.kubernetes.io/enforce": "restricted",
    }}}
    return _file("Khadem's namespace.",
                 _doc(ns, "Every pod here runs as a user of its own, without privileges or capabilities\n"
                          "(Pod Security Standard `restricted`): one that does not is refused."))


def settings_manifest() -> str:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("khadem-settings", "settings"),
          "data": settings()}
    return _file("The settings every Khadem process reads that are no secret, with compose's defaults\n"
                 "(deploy/env.example explains each). Passwords and keys are in Secrets, never here.",
                 _doc(cm))


def secrets_manifest() -> str:
    docs = []
    for name, keys in secrets().items():
        docs.append(_doc({"apiVersion": "v1", "kind": "Secret",
                          "metadata": _meta(name, "secret"), "type": "Opaque",
                          "stringData": {k: placeholder(name, k, kind) for k, kind in keys.items()}}))
    return _file(
        "PLACEHOLDERS: every value below must be replaced before Khadem holds anything real. Make the\n"
        "Secrets with random values by `sh deploy/kubernetes/secrets.sh` (README.md, \"Secrets\"), or one by\n"
        "one: kubectl -n khadem create secret generic NAME --from-literal=KEY=VALUE … \\\n"
        "    --dry-run=client -o yaml | kubectl apply -f -\n"
        "Not named .yaml, so that `kubectl apply -f deploy/kubernetes/` never puts these back over real ones.\n"
        "\n"
        "khadem-<process>: what that process alone needs (its broker and store passwords, the keys it\n"
        "shares); the setup jobs read the passwords from here too. rabbitmq-admin and mongo-admin: the\n"
        "administrators (operators and the setup jobs only). astan-subscriber: empty, no subscriber user.",
        *docs)


def secrets_script() -> str:
    """A shell script that makes every Secret with random values, once."""
    made = {"password": '"$(password)"', "jwt": '"$JWT_SECRET"', "data-keys": '"$DATA_KEYS"',
            "proxy": '"$PROXY_SECRET"', "caller-key": '"$CALLER_SIGNING_KEY"',
            "caller-verify": '"$CALLER_VERIFY_KEYS"', "cookie": '"$(openssl rand -hex 32)"',
            "keyfile": '"$(openssl rand -base64 756 | tr -d \'\\n\')"'}
    lines = []
    for name, keys in secrets().items():
        literals = " ".join(f"--from-literal={k}={kind[1:] if kind.startswith('=') else made[kind]}"
                            for k, kind in keys.items())
        lines.append(f"secret {name} {literals}\n")
    names = " ".join(secrets())
    return f"""#!/bin/sh
{HEADER}# Makes Khadem's Secrets in the namespace with random values (openssl), once: it refuses to run when
# any of them exists, so it never changes a password a running user has. To change one value later:
#   kubectl -n {NAMESPACE} create secret generic NAME --from-literal=KEY=VALUE … \\
#       --dry-run=client -o yaml | kubectl apply -f -
# then run the setup jobs again and restart the processes that read it (README.md, "Secrets").
set -eu
ns=${{NAMESPACE:-{NAMESPACE}}}
for name in {names}; do
    if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
        echo "secrets.sh: the Secret $name exists already; nothing made" >&2
        exit 1
    fi
done
# URL-safe (- and _): the passwords go into URIs.
password() {{ openssl rand -base64 36 | tr '+/' '-_'; }}
JWT_SECRET=$(password)
# A Fernet key: 32 random bytes in URL-safe base64 (what `python -m kernel.personal new-key` prints).
DATA_KEYS=$(openssl rand -base64 32 | tr '+/' '-_')
PROXY_SECRET=$(password)
# The gateway's Ed25519 key that signs who is calling, raw and URL-safe base64 (what
# `python -m kernel.caller new-key` prints), and its public half for the services.
b64url() {{ base64 | tr '+/' '-_' | tr -d '=\n'; }}
caller_key=$(mktemp)
openssl genpkey -algorithm ed25519 -out "$caller_key"
CALLER_SIGNING_KEY=$(openssl pkey -in "$caller_key" -outform DER | tail -c 32 | b64url)
CALLER_VERIFY_KEYS=gateway:$(openssl pkey -in "$caller_key" -pubout -outform DER | tail -c 32 | b64url)
rm -f "$caller_key"
secret() {{
    name=$1
    shift
    kubectl -n "$ns" create secret generic "$name" "$@" --dry-run=client -o yaml | kubectl apply -f -
}}
{"".join(lines)}"""


def _rabbitmq_conf() -> Block:
    return Block(f"""cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s
cluster_formation.k8s.host = kubernetes.default.svc.{CLUSTER_DOMAIN}
cluster_formation.k8s.address_type = hostname
cluster_formation.k8s.service_name = {BROKER_NODES}
cluster_formation.k8s.hostname_suffix = .{_fqdn(BROKER_NODES)}
cluster_formation.node_cleanup.only_log_warning = true
# Quorum queues need a majority: a node cut off from the others pauses instead of going its own way.
cluster_partition_handling = pause_minority
""")


def rabbitmq_manifests() -> str:
    component = "broker"
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(BROKER, component)}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta(BROKER, component),
            "rules": [{"apiGroups": [""], "resources": ["endpoints"], "verbs": ["get", "list"]},
                      {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": _meta(BROKER, component),
               "subjects": [{"kind": "ServiceAccount", "name": BROKER, "namespace": NAMESPACE}],
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": BROKER}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("rabbitmq-config", component), "data": {
        "enabled_plugins": Block("[rabbitmq_management,rabbitmq_peer_discovery_k8s,rabbitmq_prometheus].\n"),
        "khadem.conf": _rabbitmq_conf()}}
    nodes = {"apiVersion": "v1", "kind": "Service", "metadata": _meta(BROKER_NODES, component), "spec": {
        "clusterIP": "None", "publishNotReadyAddresses": True, "selector": {NAME: BROKER},
        "ports": [{"name": "epmd", "port": 4369, "targetPort": 4369, "protocol": "TCP"},
                  {"name": "dist", "port": 25672, "targetPort": 25672, "protocol": "TCP"}]}}
    client = {"apiVersion": "v1", "kind": "Service", "metadata": _meta(BROKER, component), "spec": {
        "type": "ClusterIP", "selector": {NAME: BROKER},
        "ports": [{"name": "amqp", "port": 5672, "targetPort": "amqp", "protocol": "TCP"},
                  {"name": "management", "port": 15672, "targetPort": "management", "protocol": "TCP"}]}}
    diagnostics = ("rabbitmq-diagnostics", "-q")
    cookie = "/var/lib/rabbitmq/.erlang.cookie"
    pod = {"metadata": {"labels": _labels(BROKER, component), "annotations": _scrape(15692)}, "spec": {
        "serviceAccountName": BROKER,
        "enableServiceLinks": False,
        "securityContext": _pod_security(INFRA_UID),
        # A node leaves only once every quorum queue keeps its majority without it.
        "terminationGracePeriodSeconds": 600,
        "topologySpreadConstraints": _spread(BROKER),
        "initContainers": [_private_copy(
            "erlang-cookie", RABBITMQ_IMAGE, f"rm -f {cookie} && cp /run/cookie/cookie {cookie} && chmod 0400 {cookie}",
            [{"name": "data", "mountPath": "/var/lib/rabbitmq"},
             {"name": "erlang-cookie", "mountPath": "/run/cookie", "readOnly": True}])],
        "containers": [{
            "name": BROKER, "image": RABBITMQ_IMAGE, "imagePullPolicy": "IfNotPresent",
            "env": [_field("POD_NAME", "metadata.name"),
                    _value("RABBITMQ_USE_LONGNAME", "true"),
                    _value("RABBITMQ_NODENAME", f"rabbit@$(POD_NAME).{_fqdn(BROKER_NODES)}"),
                    _from_secret("RABBITMQ_DEFAULT_USER", "rabbitmq-admin", "RABBITMQ_USER"),
                    _from_secret("RABBITMQ_DEFAULT_PASS", "rabbitmq-admin", "RABBITMQ_PASSWORD")],
            "ports": [{"name": "amqp", "containerPort": 5672, "protocol": "TCP"},
                      {"name": "management", "containerPort": 15672, "protocol": "TCP"},
                      {"name": "prometheus", "containerPort": 15692, "protocol": "TCP"},
                      {"name": "epmd", "containerPort": 4369, "protocol": "TCP"},
                      {"name": "dist", "containerPort": 25672, "protocol": "TCP"}],
            "startupProbe": _exec(*diagnostics, "ping", periodSeconds=10, timeoutSeconds=10, failureThreshold=30),
            "readinessProbe": _exec(*diagnostics, "check_port_connectivity", periodSeconds=10, timeoutSeconds=10,
                                    failureThreshold=3),
            "livenessProbe": _exec(*diagnostics, "ping", periodSeconds=30, timeoutSeconds=15, failureThreshold=5),
            "lifecycle": {"preStop": {"exec": {"command": [
                "rabbitmq-upgrade", "await_online_quorum_plus_one", "-t", "540"]}}},
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
            "securityContext": _container_security(read_only=False),
            "volumeMounts": [{"name": "data", "mountPath": "/var/lib/rabbitmq"},
                             {"name": "config", "mountPath": "/etc/rabbitmq/conf.d/20-khadem.conf",
                              "subPath": "khadem.conf"},
                             {"name": "config", "mountPath": "/etc/rabbitmq/enabled_plugins",
                              "subPath": "enabled_plugins"}]}],
        "volumes": [{"name": "config", "configMap": {"name": "rabbitmq-config"}},
                    {"name": "erlang-cookie",
                     "secret": {"secretName": "rabbitmq-erlang-cookie", "defaultMode": 0o440}}],
    }}
    statefulset = _statefulset(BROKER, component, BROKER_NODES, BROKER_REPLICAS, pod, "10Gi")
    return _file(
        f"RabbitMQ: a cluster of {BROKER_REPLICAS} nodes. Every queue of Khadem's is a quorum queue, declared so by\n"
        "the code itself (kernel/messaging.py QUORUM; ops/topology.py declares them all before any service\n"
        "starts): each is replicated on the nodes and survives the loss of one.",
        _doc(account, "Peer discovery asks the Kubernetes API for the nodes behind the headless Service."),
        _doc(role), _doc(binding),
        _doc(config),
        _doc(nodes, "Names each node (rabbitmq-0.rabbitmq-nodes…) before it is ready, so that nodes find\n"
                    "each other as they start."),
        _doc(client, "What the processes and the setup job reach: AMQP and the management API."),
        _doc(statefulset,
             "The Erlang cookie the nodes share is copied from its Secret into the node's home, readable by\n"
             "its owner alone (Erlang refuses it otherwise). The administrator (rabbitmq-admin) is made\n"
             "when the cluster first starts; Khadem's users are made by the broker-users job."),
        _doc(_pdb(BROKER, component), "Two nodes of three keep every quorum queue's majority."))


def _claim(name: str, size: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                  "resources": {"requests": {"storage": size}}}}


def _mongosh(*args: str) -> list[str]:
    return ["mongosh", "--quiet", *args]


def _replica_set_script() -> Block:
    members = ", ".join(f'{{_id: {i}, host: "{STORE}-{i}.{STORE}:27017"}}' for i in range(STORE_REPLICAS))
    login = (f'--host {STORE}-0.{STORE} --port 27017 -u "$MONGO_ADMIN_USER" -p "$MONGO_ADMIN_PASSWORD" '
             "--authenticationDatabase admin")
    return Block(f"""set -eu
until mongosh --quiet {login} --eval 'db.adminCommand({{ping: 1}})' >/dev/null 2>&1; do
  echo "waiting for {STORE}-0"
  sleep 5
done
mongosh --quiet {login} --eval '
const primary = () => rs.status().members.some((m) => m.stateStr === "PRIMARY");
try {{
  rs.status();
  print("{REPLICA_SET} is initiated already");
}} catch (e) {{
  if (e.codeName !== "NotYetInitialized") throw e;
  rs.initiate({{_id: "{REPLICA_SET}", members: [{members}]}});
  print("{REPLICA_SET} initiated");
}}
for (let i = 0; i < 120 && !primary(); i++) sleep(1000);
if (!primary()) {{ print("{REPLICA_SET} has no primary yet"); quit(1); }}
'
""")


def mongo_manifests() -> str:
    component = "store"
    keyfile = "/etc/mongo-keyfile/keyfile"
    headless = {"apiVersion": "v1", "kind": "Service", "metadata": _meta(STORE, component), "spec": {
        "clusterIP": "None", "publishNotReadyAddresses": True, "selector": {NAME: STORE},
        "ports": [{"name": "mongo", "port": 27017, "targetPort": 27017, "protocol": "TCP"}]}}
    admin = [_from_secret("MONGO_INITDB_ROOT_USERNAME", "mongo-admin", "MONGO_ADMIN_USER"),
             _from_secret("MONGO_INITDB_ROOT_PASSWORD", "mongo-admin", "MONGO_ADMIN_PASSWORD")]
    pod = {"metadata": {"labels": _labels(STORE, component)}, "spec": {
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": _pod_security(INFRA_UID),
        "terminationGracePeriodSeconds": 60,
        "topologySpreadConstraints": _spread(STORE),
        "initContainers": [_private_copy(
            "keyfile", MONGO_IMAGE, f"cp /run/keyfile/keyfile {keyfile} && chmod 0400 {keyfile}",
            [{"name": "keyfile-secret", "mountPath": "/run/keyfile", "readOnly": True},
             {"name": "keyfile", "mountPath": "/etc/mongo-keyfile"}])],
        "containers": [{
            "name": STORE, "image": MONGO_IMAGE, "imagePullPolicy": "IfNotPresent",
            "args": ["mongod", "--replSet", REPLICA_SET, "--bind_ip_all", "--auth", "--keyFile", keyfile],
            # mongosh (the probes) keeps its logs under HOME, which is the data directory otherwise.
            "env": [*admin, _value("HOME", "/tmp")],
            "ports": [{"name": "mongo", "containerPort": 27017, "protocol": "TCP"}],
            "startupProbe": _exec(*_mongosh("--eval", "db.adminCommand('ping')"), periodSeconds=10,
                                  timeoutSeconds=10, failureThreshold=30),
            "readinessProbe": _exec(*_mongosh("--eval", "const h = db.hello(); "
                                              "if (!(h.isWritablePrimary || h.secondary)) quit(1)"),
                                    periodSeconds=10, timeoutSeconds=10, failureThreshold=3),
            "livenessProbe": _exec(*_mongosh("--eval", "db.adminCommand('ping')"), periodSeconds=30,
                                   timeoutSeconds=10, failureThreshold=5),
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
            "securityContext": _container_security(read_only=False),
            "volumeMounts": [{"name": "data", "mountPath": "/data/db"},
                             {"name": "keyfile", "mountPath": "/etc/mongo-keyfile", "readOnly": True}]}],
        "volumes": [
            # Group-readable (the pod's group), for the init step to copy; mongod refuses a key file
            # anyone but its owner may read, so it reads the copy (0400).
            {"name": "keyfile-secret", "secret": {"secretName": "mongo-keyfile", "defaultMode": 0o440}},
            {"name": "keyfile", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}],
    }}
    statefulset = _statefulset(STORE, component, STORE, STORE_REPLICAS, pod, "20Gi")
    job = _job("mongo-replica-set", MONGO_IMAGE, ["sh", "-c", _replica_set_script()],
               [_from_secret("MONGO_ADMIN_USER", "mongo-admin", "MONGO_ADMIN_USER"),
                _from_secret("MONGO_ADMIN_PASSWORD", "mongo-admin", "MONGO_ADMIN_PASSWORD"),
                _value("HOME", "/tmp")], INFRA_UID)
    return _file(
        f"MongoDB: the replica set {REPLICA_SET} of {STORE_REPLICAS} members (transactions need a replica set), with\n"
        "authentication: clients by password, the members among themselves by the key file they share.",
        _doc(headless, "Names each member (mongo-0.mongo, …), the hosts in every MONGO_URI, before it is ready."),
        _doc(statefulset,
             f"Each member makes the root user (mongo-admin) on its first start, as compose's does; the job\n"
             f"below joins the members into {REPLICA_SET}. A member is ready once it is primary or secondary."),
        _doc(_pdb(STORE, component), "Two members of three keep a primary."),
        _doc(job, f"Initiates {REPLICA_SET} with the {STORE_REPLICAS} members once they answer; idempotent\n"
                  "(an initiated set is left as it is)."))


def _job(name: str, image: str, command: list, env: list[dict], uid: int = KHADEM_UID,
         env_from: list[dict] | None = None) -> dict:
    container = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "command": command,
                 **({"envFrom": env_from} if env_from else {}), "env": env,
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                               "limits": {"cpu": "500m", "memory": "512Mi"}},
                 "securityContext": _container_security(read_only=True),
                 "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(name, "setup"), "spec": {
        # Until the infrastructure answers: a retry every so often, for a while.
        "backoffLimit": 10,
        "template": {"metadata": {"labels": _labels(name, "setup")}, "spec": {
            "restartPolicy": "OnFailure",
            "enableServiceLinks": False,
            "automountServiceAccountToken": False,
            "securityContext": _pod_security(uid),
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]}}}}


def broker_users_job() -> dict:
    passwords = [_from_secret(f"RABBITMQ_{p.upper()}_PASSWORD", secret_name(p), "AMQP_PASSWORD")
                 for p in (*topology.NAMES, topology.GATEWAY.name)]
    env = [_from_secret("RABBITMQ_USER", "rabbitmq-admin", "RABBITMQ_USER"),
           _from_secret("RABBITMQ_PASSWORD", "rabbitmq-admin", "RABBITMQ_PASSWORD"),
           _value("RABBITMQ_VHOST", "/"),
           _value("RABBITMQ_USER_PREFIX", BROKER_PREFIX),
           *passwords,
           _from_secret("RABBITMQ_SUBSCRIBER_PASSWORD", "astan-subscriber", "RABBITMQ_SUBSCRIBER_PASSWORD",
                        optional=True),
           _value("RABBITMQ_SUBSCRIBER_MAX_LENGTH", 100_000),
           _value("AMQP_URI", amqp_uri("$(RABBITMQ_USER)", "RABBITMQ_PASSWORD"))]
    # The settings too: the handlers' delay queues it declares follow HANDLER_RETRY_DELAYS.
    return _job("broker-users", f"khadem/service:{version()}",
                ["sh", "-c", f"python -m ops.broker_users apply --via http://{BROKER}:15672 && python -m ops.topology"],
                env, env_from=[{"configMapRef": {"name": "khadem-settings"}}])


def store_users_job() -> dict:
    env = [_from_secret("MONGO_ADMIN_USER", "mongo-admin", "MONGO_ADMIN_USER"),
           _from_secret("MONGO_ADMIN_PASSWORD", "mongo-admin", "MONGO_ADMIN_PASSWORD"),
           _value("MONGO_ADMIN_URI", mongo_uri("$(MONGO_ADMIN_USER)", "admin", "MONGO_ADMIN_PASSWORD")),
           *(_from_secret(f"MONGO_{s.name.upper()}_PASSWORD", secret_name(s.name), "MONGO_PASSWORD")
             for s in topology.SERVICES)]
    # MONGO_DB_PREFIX from the settings: the databases it grants are the ones the services open.
    return _job("store-users", f"khadem/service:{version()}", ["python", "-m", "ops.store_users", "apply"], env,
                env_from=[{"configMapRef": {"name": "khadem-settings"}}])


def setup_manifests() -> str:
    return _file(
        "The setup jobs: run them at every deployment, before the processes start (they are idempotent:\n"
        "passwords are set again, permissions replaced). A Job runs once, so delete the finished ones first:\n"
        "  kubectl -n khadem delete job broker-users store-users --ignore-not-found\n"
        "  kubectl apply -f deploy/kubernetes/30-setup-jobs.yaml\n"
        "  kubectl -n khadem wait --for=condition=complete job/broker-users job/store-users --timeout=10m",
        _doc(broker_users_job(),
             "The broker's virtual host, a user per process allowed exactly what it does (ops/broker_users.py),\n"
             "the subscribers' queue policy, then every queue (ops/topology.py), so that no event is\n"
             "published before its consumers' queues exist."),
        _doc(store_users_job(),
             "A MongoDB user per service, who may read and write its own database alone (ops/store_users.py)."))


# ---------------------------------------------------------------- who may reach whom

def _policy(name: str, pods: dict, ingress: list[dict] | None = None, egress: list[dict] | None = None) -> dict:
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec = {"podSelector": pods, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(name, "network"),
            "spec": spec}


def network_manifests() -> str:
    services = list(topology.NAMES)
    gw, web = topology.GATEWAY, topology.WEB
    to_broker = {"to": [_pods(BROKER)], "ports": _ports(5672)}
    to_store = {"to": [_pods(STORE)], "ports": _ports(27017)}
    peers = (4369, 25672, 5672, 15672)
    docs = [
        _doc(_policy("default-deny", {}, ingress=[], egress=[]),
             "Nothing reaches a pod here, and no pod reaches anything, unless a policy below says so."),
        _doc(_policy("cluster-dns", {}, egress=[{"to": [CLUSTER_DNS], "ports": [
            *_ports(53, protocol="UDP"), *_ports(53)]}]), "Every pod may look names up."),
    ]
    for s in topology.SERVICES:
        docs.append(_doc(_policy(s.name, {"matchLabels": {NAME: s.name}},
                                 ingress=[{"from": [MONITORING], "ports": _ports(topology.METRICS_PORT)}],
                                 egress=[to_broker, to_store])))
    docs += [
        _doc(_policy(gw.name, {"matchLabels": {NAME: gw.name}},
                     ingress=[{"from": [_pods(web.name), INGRESS_CONTROLLER], "ports": _ports(gw.port)},
                              {"from": [MONITORING], "ports": _ports(gw.port)}],
                     egress=[to_broker]),
             "REST clients come through the ingress controller; Prometheus scrapes /metrics on the same port."),
        _doc(_policy(web.name, {"matchLabels": {NAME: web.name}},
                     ingress=[{"from": [INGRESS_CONTROLLER], "ports": _ports(web.port)}],
                     egress=[{"to": [_pods(gw.name)], "ports": _ports(gw.port)}])),
        _doc(_policy(BROKER, {"matchLabels": {NAME: BROKER}},
                     ingress=[{"from": [_pods(*services, gw.name, "broker-users")], "ports": _ports(5672)},
                              {"from": [_pods("broker-users")], "ports": _ports(15672)},
                              {"from": [_pods(BROKER)], "ports": _ports(*peers)},
                              {"from": [MONITORING], "ports": _ports(15692)}],
                     egress=[{"to": [_pods(BROKER)], "ports": _ports(*peers)},
                             {"ports": _ports(443, 6443)}]),
             "The processes and the broker-users job; the nodes among themselves (epmd, distribution).\n"
             "Peer discovery asks the Kubernetes API, whose address differs from cluster to cluster: narrow\n"
             "the last rule to it (an ipBlock) where it is known."),
        _doc(_policy(STORE, {"matchLabels": {NAME: STORE}},
                     ingress=[{"from": [_pods(*services, "store-users", "mongo-replica-set")], "ports": _ports(27017)},
                              {"from": [_pods(STORE)], "ports": _ports(27017)}],
                     egress=[{"to": [_pods(STORE)], "ports": _ports(27017)}]),
             "The services, the setup jobs, and the members among themselves. A policy cannot tell databases\n"
             "apart inside one MongoDB: each service reaches its own database alone because its user may read\n"
             "and write that database and nothing else (ops/store_users.py, the store-users job)."),
        _doc(_policy("broker-users", {"matchLabels": {NAME: "broker-users"}},
                     egress=[{"to": [_pods(BROKER)], "ports": _ports(5672, 15672)}])),
        _doc(_policy("store-users", {"matchLabels": {NAME: "store-users"}}, egress=[to_store])),
        _doc(_policy("mongo-replica-set", {"matchLabels": {NAME: "mongo-replica-set"}}, egress=[to_store])),
    ]
    return _file(
        "Who may reach whom. Each service reaches RabbitMQ and MongoDB alone; the gateway, RabbitMQ alone;\n"
        "the web app, the gateway alone. From outside the namespace: Prometheus (pods app.kubernetes.io/name:\n"
        "prometheus in the namespace `monitoring`) on the metrics ports, the ingress controller (namespace\n"
        "`ingress-nginx`) on the gateway and the web app. Other names: edit MONITORING and INGRESS_CONTROLLER\n"
        "in ops/kubernetes.py and render.",
        *docs)


# ---------------------------------------------------------------- the files

def files() -> dict[Path, str]:
    """Every manifest: path (from the project's root) → text. README.md beside them is written by hand."""
    out = {
        OUT / "00-namespace.yaml": namespace_manifest(),
        OUT / "10-settings.yaml": settings_manifest(),
        OUT / "20-rabbitmq.yaml": rabbitmq_manifests(),
        OUT / "21-mongo.yaml": mongo_manifests(),
        OUT / "30-setup-jobs.yaml": setup_manifests(),
    }
    for s in topology.SERVICES:
        out[OUT / f"40-{s.name}.yaml"] = service_manifests(s)
    out[OUT / "50-gateway.yaml"] = gateway_manifests()
    out[OUT / "51-web.yaml"] = web_manifests()
    out[OUT / "60-network-policies.yaml"] = network_manifests()
    out[OUT / "secrets.yaml.example"] = secrets_manifest()
    out[OUT / "secrets.sh"] = secrets_script()
    return out
