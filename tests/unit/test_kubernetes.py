"""The Kubernetes manifests (deploy/kubernetes/, written by ops/kubernetes.py from the catalogue): valid
against the Kubernetes API's own schemas, true to the catalogue and to the compose file, passwords and
keys by reference to Secrets only, and every process let reach only what it uses. Offline: no cluster."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import lru_cache

import kubernetes_validate
import pytest
import yaml
from kombu import Connection
from pymongo.uri_parser import parse_uri

from ops import kubernetes as k8s
from ops import render, topology
from tests.conftest import ROOT

NAME = "app.kubernetes.io/name"
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# The oldest Kubernetes these manifests are for, and the newest whose schemas the validator carries.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


@lru_cache(maxsize=1)
def rendered() -> dict[str, list[dict]]:
    return {str(path): [d for d in yaml.safe_load_all(text) if d]
            for path, text in k8s.files().items() if path.suffix == ".yaml" or path.name.endswith(".yaml.example")}


def documents() -> list[dict]:
    return [d for docs in rendered().values() for d in docs]


def find(kind: str, name: str) -> dict:
    found = [d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind}s named {name}"
    return found[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def secret_data() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["stringData"] for d in documents() if d["kind"] == "Secret"}


def environment(container: dict) -> dict[str, str]:
    """What the kubelet gives the container: envFrom first, then env in order, `$(NAME)` expanded."""
    config = {d["metadata"]["name"]: d["data"] for d in documents() if d["kind"] == "ConfigMap"}
    out: dict[str, str] = {}
    for source in container.get("envFrom", []):
        out.update(config[source["configMapRef"]["name"]] if "configMapRef" in source
                   else secret_data()[source["secretRef"]["name"]])
    for var in container.get("env", []):
        if "value" in var:
            out[var["name"]] = re.sub(r"\$\((\w+)\)", lambda m: out[m.group(1)], var["value"])
        elif "secretKeyRef" in var["valueFrom"]:
            ref = var["valueFrom"]["secretKeyRef"]
            out[var["name"]] = secret_data()[ref["name"]][ref["key"]]
    return out


def from_secrets(container: dict) -> set[str]:
    """The variables a container takes from Secrets."""
    names = {k for s in container.get("envFrom", []) if "secretRef" in s for k in secret_data()[s["secretRef"]["name"]]}
    return names | {v["name"] for v in container.get("env", []) if "secretKeyRef" in v.get("valueFrom", {})}


def secrets_read(workload: dict) -> set[str]:
    out = set()
    for c in containers(workload):
        out |= {s["secretRef"]["name"] for s in c.get("envFrom", []) if "secretRef" in s}
        out |= {v["valueFrom"]["secretKeyRef"]["name"] for v in c.get("env", [])
                if "secretKeyRef" in v.get("valueFrom", {})}
    return out | {v["secret"]["secretName"] for v in pod_spec(workload).get("volumes", []) if "secret" in v}


# ---------------------------------------------------------------- the API's schemas

@pytest.mark.parametrize("version", VERSIONS)
def test_every_document_is_valid_against_the_kubernetes_api(version):
    """Strict: a field the API does not know is an error, as is a kind it has no schema for."""
    errors, validated = [], 0
    for path, docs in rendered().items():
        for doc in docs:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                validated += 1
            except kubernetes_validate.ValidationError as exc:
                errors.append(f"{path}: {doc['kind']}/{doc['metadata']['name']}: "
                              f"{'.'.join(map(str, exc.path))}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError as exc:
                errors.append(f"{path}: {exc.message}")
    assert not errors, "\n".join(errors)
    assert validated == len(documents()) > 0


def test_everything_is_in_the_namespace():
    for doc in documents():
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == k8s.NAMESPACE
        else:
            assert doc["metadata"]["namespace"] == k8s.NAMESPACE, doc["metadata"]["name"]


# ---------------------------------------------------------------- the catalogue's processes

def _service_healthcheck() -> list[str]:
    """The service image's own health check (Dockerfile)."""
    stage = (ROOT / "Dockerfile").read_text().split("AS service", 1)[1].split("FROM ", 1)[0]
    return json.loads(re.search(r"HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])", stage).group(1))


def test_every_service_runs_its_catalogue_command_with_its_resources_and_health_checks():
    image_check = _service_healthcheck()
    for s in topology.SERVICES:
        deployment = find("Deployment", s.name)
        [c] = containers(deployment)
        assert c["command"] == s.command
        assert c["image"].startswith("khadem/service:")
        assert c["resources"] == {"requests": {"cpu": s.cpu, "memory": s.memory},
                                  "limits": {"cpu": s.cpu_limit, "memory": s.memory_limit}}
        assert c["readinessProbe"]["exec"]["command"] == image_check, s.name
        live = c["livenessProbe"]["exec"]["command"]
        assert live[:-1] == image_check[:-1] and float(live[-1]) > float(image_check[-1]), s.name
        assert "startupProbe" in c
        env = environment(c)
        assert env["HEALTH_FILE"].startswith("/tmp/")
        assert {m["mountPath"] for m in c["volumeMounts"]} == {"/tmp"}
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert env["METRICS_PORT"] == str(topology.METRICS_PORT)
        assert c["ports"] == [{"name": "metrics", "containerPort": topology.METRICS_PORT, "protocol": "TCP"}]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": str(topology.METRICS_PORT),
                               "prometheus.io/path": "/metrics"}
        for name, value in s.env.items():
            assert env[name] == str(value), (s.name, name)
    assert {d["metadata"]["name"] for d in documents() if d["kind"] == "Deployment"} == {
        *topology.NAMES, topology.GATEWAY.name, topology.WEB.name}, "a Deployment the catalogue does not name"


def test_the_gateway_and_the_web_app_run_their_catalogue_commands_behind_services():
    for edge, image in ((topology.GATEWAY, "khadem/gateway:"), (topology.WEB, "khadem/web:")):
        deployment = find("Deployment", edge.name)
        [c] = containers(deployment)
        assert c["command"] == list(edge.command) and c["image"].startswith(image)
        assert c["resources"] == {"requests": {"cpu": edge.cpu, "memory": edge.memory},
                                  "limits": {"cpu": edge.cpu_limit, "memory": edge.memory_limit}}
        assert c["ports"] == [{"name": "http", "containerPort": edge.port, "protocol": "TCP"}]
        assert c["livenessProbe"]["httpGet"] == {"path": edge.live, "port": "http"}
        assert c["readinessProbe"]["httpGet"] == {"path": edge.ready, "port": "http"}
        assert "startupProbe" in c
        service = find("Service", edge.name)
        assert service["spec"]["type"] == "ClusterIP"
        assert service["spec"]["selector"] == {NAME: edge.name}
        assert service["spec"]["ports"] == [
            {"name": "http", "port": edge.port, "targetPort": "http", "protocol": "TCP"}]
        for name, value in edge.env.items():
            assert environment(c)[name] == str(value)
    [gateway] = containers(find("Deployment", topology.GATEWAY.name))
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert find("Deployment", topology.GATEWAY.name)["spec"]["template"]["metadata"]["annotations"][
        "prometheus.io/port"] == str(topology.GATEWAY.port)
    [web] = containers(find("Deployment", topology.WEB.name))
    assert environment(web)["GATEWAY_URL"] == COMPOSE["services"]["web"]["environment"]["GATEWAY_URL"]
    assert not {"AMQP_URI", "MONGO_URI"} & set(environment(web)), "the web app reaches the gateway alone"


def test_each_process_is_autoscaled_within_the_catalogue_and_keeps_one_through_a_disruption():
    for p in (*topology.SERVICES, topology.GATEWAY, topology.WEB):
        deployment = find("Deployment", p.name)
        assert "replicas" not in deployment["spec"], "the autoscaler owns the count"
        hpa = find("HorizontalPodAutoscaler", p.name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": p.name}
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (p.replicas, p.max_replicas), p.name
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
        pdb = find("PodDisruptionBudget", p.name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), p.name
        assert pdb["spec"] in ({"maxUnavailable": 1, "selector": pdb["spec"]["selector"]},
                               {"minAvailable": 1, "selector": pdb["spec"]["selector"]})


def test_the_settings_are_compose_s_and_hold_no_secret():
    config = find("ConfigMap", "khadem-settings")["data"]
    defaults = {n: re.fullmatch(r"\$\{\w+:-(.*)\}", v) for n, v in render.COMMON_ENV}
    assert config == {**{n: m.group(1) for n, m in defaults.items() if m}, "METRICS_PORT": str(topology.METRICS_PORT)}
    assert config["ENVIRONMENT"] == "production" and config["LOG_FORMAT"] == "json"
    required = {n for n, m in defaults.items() if not m}
    assert required == {"JWT_SECRET", "DATA_KEYS", "CALLER_VERIFY_KEYS"}
    for s in (*topology.NAMES, topology.GATEWAY.name):
        assert required <= set(secret_data()[k8s.secret_name(s)]), f"{s} needs {required} from its Secret"
    for doc in documents():
        if doc["kind"] == "ConfigMap":
            assert not [k for k in doc["data"] if k8s.SECRET_NAME.search(k)], doc["metadata"]["name"]


# ---------------------------------------------------------------- secrets by reference only

def test_passwords_and_keys_are_never_literal_in_a_workload():
    """A name that holds a secret is taken from a Secret; a URI's password is a `$(NAME)` the kubelet
    fills from a Secret; no literal anywhere is a placeholder of one."""
    placeholders = {v for data in secret_data().values() for v in data.values() if v.startswith("change-me")}
    checked = 0
    for doc in documents():
        if doc["kind"] not in WORKLOADS:
            continue
        for c in containers(doc):
            secret_backed = from_secrets(c)
            for var in c.get("env", []):
                where = f"{doc['kind']}/{doc['metadata']['name']} {var['name']}"
                if k8s.SECRET_NAME.search(var["name"]):
                    assert "secretKeyRef" in var.get("valueFrom", {}), f"{where} is not from a Secret"
                if "value" not in var:
                    continue
                assert var["name"] not in {k for data in secret_data().values() for k in data}, where
                assert not any(p in var["value"] for p in placeholders), where
                for password in re.findall(r"^[a-z]+://[^:/@]*:([^@]*)@", var["value"]):
                    ref = re.fullmatch(r"\$\((\w+)\)", password)
                    assert ref and ref.group(1) in secret_backed, f"{where}: a password in a URI"
                    checked += 1
    assert checked >= len(topology.SERVICES) * 2 + 3, "the URIs with passwords were not found"


def test_each_process_reads_its_own_secret_alone_which_holds_its_own_passwords():
    data = secret_data()
    for s in topology.SERVICES:
        secret = k8s.secret_name(s.name)
        assert set(data[secret]) == {"AMQP_PASSWORD", "MONGO_PASSWORD", "JWT_SECRET", "DATA_KEYS", "CALLER_VERIFY_KEYS"}
        assert secrets_read(find("Deployment", s.name)) == {secret}
    assert set(data["khadem-gateway"]) == {"AMQP_PASSWORD", "JWT_SECRET", "DATA_KEYS", "PROXY_SECRET",
                                                   "CALLER_VERIFY_KEYS", "CALLER_SIGNING_KEY"}
    assert secrets_read(find("Deployment", "gateway")) == {"khadem-gateway"}
    assert set(data["khadem-web"]) == {"PROXY_SECRET"}
    assert secrets_read(find("Deployment", "web")) == {"khadem-web"}
    processes = [*topology.NAMES, topology.GATEWAY.name, topology.WEB.name]
    for name in processes:
        others = [o for o in processes if o != name]
        for key, value in data[k8s.secret_name(name)].items():
            assert not any(o in value for o in others), (name, key, "another process's value")
    # The administrators are for the infrastructure and the setup jobs alone.
    for doc in documents():
        if doc["kind"] in WORKLOADS and doc["metadata"]["name"] not in {"rabbitmq", "mongo", "broker-users",
                                                                         "store-users", "mongo-replica-set"}:
            assert not secrets_read(doc) & {"rabbitmq-admin", "mongo-admin", "mongo-keyfile",
                                            "rabbitmq-erlang-cookie"}, doc["metadata"]["name"]


def test_each_process_signs_in_as_itself_to_its_own_database():
    """The URIs as the kubelet fills them in, read by kombu and pymongo themselves."""
    data = secret_data()
    hosts = "mongo-0.mongo,mongo-1.mongo,mongo-2.mongo:27017"
    for s in topology.SERVICES:
        env = environment(containers(find("Deployment", s.name))[0])
        mine = data[k8s.secret_name(s.name)]
        database = s.database("khadem_")
        assert env["MONGO_URI"] == (f"mongodb://khadem_{s.name}:{mine['MONGO_PASSWORD']}@{hosts}/{database}"
                                    f"?replicaSet=rs0&authSource={database}")
        uri = parse_uri(env["MONGO_URI"])
        assert (uri["username"], uri["password"], uri["database"]) == (
            f"khadem_{s.name}", mine["MONGO_PASSWORD"], database)
        assert uri["options"]["replicaSet"] == "rs0" and uri["options"]["authSource"] == database
        assert len(uri["nodelist"]) == k8s.STORE_REPLICAS
        amqp = Connection(env["AMQP_URI"])
        assert (amqp.userid, amqp.password, amqp.hostname, amqp.port, amqp.virtual_host) == (
            s.broker_user("khadem_"), mine["AMQP_PASSWORD"], "rabbitmq", 5672, "/")
    env = environment(containers(find("Deployment", "gateway"))[0])
    assert Connection(env["AMQP_URI"]).userid == "khadem_gateway" and "MONGO_URI" not in env


def test_the_setup_jobs_run_compose_s_commands_with_every_process_s_password():
    broker = find("Job", "broker-users")
    [c] = containers(broker)
    assert c["command"] == COMPOSE["services"]["broker-users"]["command"]
    assert c["image"].startswith("khadem/service:")
    refs = {v["name"]: v["valueFrom"]["secretKeyRef"] for v in c["env"] if "secretKeyRef" in v.get("valueFrom", {})}
    for name in (*topology.NAMES, topology.GATEWAY.name):
        assert refs[f"RABBITMQ_{name.upper()}_PASSWORD"] == {"name": k8s.secret_name(name), "key": "AMQP_PASSWORD"}
    assert refs["RABBITMQ_PASSWORD"]["name"] == "rabbitmq-admin"
    env = environment(c)
    assert env["RABBITMQ_VHOST"] == "/"
    assert Connection(env["AMQP_URI"]).userid == secret_data()["rabbitmq-admin"]["RABBITMQ_USER"]
    assert "HANDLER_RETRY_DELAYS" in env, "the delay queues it declares follow the services' settings"

    store = find("Job", "store-users")
    [c] = containers(store)
    assert c["command"] == COMPOSE["services"]["store-users"]["command"]
    refs = {v["name"]: v["valueFrom"]["secretKeyRef"] for v in c["env"] if "secretKeyRef" in v.get("valueFrom", {})}
    for s in topology.SERVICES:
        assert refs[f"MONGO_{s.name.upper()}_PASSWORD"] == {"name": k8s.secret_name(s.name), "key": "MONGO_PASSWORD"}
    uri = parse_uri(environment(c)["MONGO_ADMIN_URI"])
    assert uri["username"] == secret_data()["mongo-admin"]["MONGO_ADMIN_USER"] and uri["options"]["replicaSet"] == "rs0"
    assert environment(c)["MONGO_DB_PREFIX"] == "khadem_"


def test_every_secret_named_is_made_by_the_script_with_the_same_keys():
    script = k8s.files()[k8s.OUT / "secrets.sh"]
    made = {m.group(1): set(re.findall(r"--from-literal=(\w+)=", m.group(0)))
            for m in re.finditer(r"^secret (\S+) .*$", script, re.M)}
    assert made == {name: set(keys) for name, keys in secret_data().items()}
    named = set().union(*(secrets_read(d) for d in documents() if d["kind"] in WORKLOADS))
    assert named <= set(made), f"named but never made: {named - set(made)}"
    if shutil.which("sh"):
        assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0


# ---------------------------------------------------------------- the infrastructure

def test_mongodb_is_a_three_member_replica_set_with_a_key_file():
    mongo = find("StatefulSet", "mongo")
    assert mongo["spec"]["replicas"] == 3 and mongo["spec"]["serviceName"] == "mongo"
    [init, mongod] = containers(mongo)
    args = mongod["args"]
    assert args[0] == "mongod" and args[args.index("--replSet") + 1] == "rs0" and "--auth" in args
    keyfile = args[args.index("--keyFile") + 1]
    assert f"chmod 0400 {keyfile}" in init["command"][-1], "mongod refuses a key file others may read"
    volumes = {v["name"]: v for v in pod_spec(mongo)["volumes"]}
    [secret] = [v for v in volumes.values() if "secret" in v]
    assert secret["secret"]["secretName"] == "mongo-keyfile"
    assert mongod["image"] == init["image"] == COMPOSE["services"]["mongo"]["image"]
    assert find("Service", "mongo")["spec"]["clusterIP"] == "None"
    assert mongo["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] in {m["name"] for m in mongod["volumeMounts"]}
    script = containers(find("Job", "mongo-replica-set"))[0]["command"][-1]
    assert all(f'host: "mongo-{i}.mongo:27017"' in script for i in range(3)) and '_id: "rs0"' in script


def test_rabbitmq_is_a_three_node_cluster_found_through_the_kubernetes_api():
    rabbit = find("StatefulSet", "rabbitmq")
    assert rabbit["spec"]["replicas"] == 3
    [cookie, node] = containers(rabbit)
    assert node["image"] == COMPOSE["services"]["rabbitmq"]["image"]
    conf = find("ConfigMap", "rabbitmq-config")["data"]
    assert "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s" in conf["khadem.conf"]
    assert f"cluster_formation.k8s.service_name = {rabbit['spec']['serviceName']}" in conf["khadem.conf"]
    assert "rabbitmq_peer_discovery_k8s" in conf["enabled_plugins"]
    assert find("Service", rabbit["spec"]["serviceName"])["spec"]["clusterIP"] == "None"
    assert pod_spec(rabbit)["serviceAccountName"] == "rabbitmq"
    role = find("Role", "rabbitmq")
    assert any("endpoints" in r["resources"] and "get" in r["verbs"] for r in role["rules"])
    binding = find("RoleBinding", "rabbitmq")
    assert binding["roleRef"]["name"] == "rabbitmq" and binding["subjects"][0]["name"] == "rabbitmq"
    assert {p["port"] for p in find("Service", "rabbitmq")["spec"]["ports"]} == {5672, 15672}
    env = {v["name"]: v for v in node["env"]}
    assert env["RABBITMQ_DEFAULT_PASS"]["valueFrom"]["secretKeyRef"]["name"] == "rabbitmq-admin"
    assert "rabbitmq-erlang-cookie" in secrets_read(rabbit) and ".erlang.cookie" in cookie["command"][-1]
    assert rabbit["spec"]["volumeClaimTemplates"]


def test_every_pod_runs_unprivileged_and_without_service_links():
    """The namespace enforces the `restricted` standard; GATEWAY_PORT=tcp://… would break the settings."""
    assert find("Namespace", k8s.NAMESPACE)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in documents():
        if doc["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(doc)
        assert spec["enableServiceLinks"] is False, doc["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in containers(doc):
            assert c["securityContext"]["allowPrivilegeEscalation"] is False, (doc["metadata"]["name"], c["name"])
            assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
            assert "resources" in c, (doc["metadata"]["name"], c["name"])
        if doc["metadata"]["name"] not in {"rabbitmq", "mongo", "mongo-replica-set"}:
            assert spec["securityContext"]["runAsUser"] == k8s.KHADEM_UID


# ---------------------------------------------------------------- who may reach whom

def _pods() -> set[str]:
    return {doc["spec"]["template"]["metadata"]["labels"][NAME] for doc in documents() if doc["kind"] in WORKLOADS}


def _selects(selector: dict, labels: dict) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for e in selector.get("matchExpressions", []):
        assert e["operator"] == "In", "only In is understood here"
        if labels.get(e["key"]) not in e["values"]:
            return False
    return True


def _peers(rule: dict, direction: str) -> set[str]:
    peers = rule.get("to" if direction == "Egress" else "from")
    if not peers:
        return {"anywhere"}
    out = set()
    for peer in peers:
        if "namespaceSelector" in peer:
            where = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            who = peer.get("podSelector", {}).get("matchLabels", {}).get(NAME, "*")
            out.add(f"{where}/{who}")
        else:
            out |= {p for p in _pods() if _selects(peer["podSelector"], {NAME: p})}
    return out


def allowed(pod: str, direction: str) -> set[tuple[str, str]]:
    """(peer, port/protocol) pairs the namespace's policies let `pod` reach (Egress) or be reached by."""
    out = set()
    policies = [d["spec"] for d in documents() if d["kind"] == "NetworkPolicy"]
    assert any(p["podSelector"] == {} and set(p["policyTypes"]) == {"Ingress", "Egress"}
               and not p.get("ingress") and not p.get("egress") for p in policies), "no default deny"
    for p in policies:
        if direction in p["policyTypes"] and _selects(p["podSelector"], {NAME: pod}):
            for rule in p.get(direction.lower(), []):
                ports = [f"{x['port']}/{x['protocol']}" for x in rule.get("ports", [])] or ["any"]
                out |= {(peer, port) for peer in _peers(rule, direction) for port in ports}
    return out


DNS = {("kube-system/*", "53/UDP"), ("kube-system/*", "53/TCP")}
PROMETHEUS = "monitoring/prometheus"


def test_each_service_reaches_rabbitmq_and_mongodb_alone_and_is_reached_by_prometheus_alone():
    for s in topology.NAMES:
        assert allowed(s, "Egress") == {("rabbitmq", "5672/TCP"), ("mongo", "27017/TCP"), *DNS}, s
        assert allowed(s, "Ingress") == {(PROMETHEUS, f"{topology.METRICS_PORT}/TCP")}, s


def test_the_gateway_reaches_rabbitmq_alone_and_the_web_app_the_gateway_alone():
    gw, web = topology.GATEWAY, topology.WEB
    assert allowed(gw.name, "Egress") == {("rabbitmq", "5672/TCP"), *DNS}
    assert allowed(gw.name, "Ingress") == {(web.name, f"{gw.port}/TCP"), ("ingress-nginx/*", f"{gw.port}/TCP"),
                                           (PROMETHEUS, f"{gw.port}/TCP")}
    assert allowed(web.name, "Egress") == {(gw.name, f"{gw.port}/TCP"), *DNS}
    assert allowed(web.name, "Ingress") == {("ingress-nginx/*", f"{web.port}/TCP")}


def test_rabbitmq_and_mongodb_are_reached_by_those_who_use_them_alone():
    def callers(pod: str, port: str) -> set[str]:
        return {peer for peer, p in allowed(pod, "Ingress") if p == port}
    assert callers("rabbitmq", "5672/TCP") == {*topology.NAMES, "gateway", "broker-users", "rabbitmq"}
    assert callers("rabbitmq", "15672/TCP") == {"broker-users", "rabbitmq"}
    assert callers("rabbitmq", "25672/TCP") == callers("rabbitmq", "4369/TCP") == {"rabbitmq"}
    assert callers("mongo", "27017/TCP") == {*topology.NAMES, "store-users", "mongo-replica-set", "mongo"}
    assert {port for _, port in allowed("mongo", "Ingress")} == {"27017/TCP"}
    assert allowed("mongo", "Egress") == {("mongo", "27017/TCP"), *DNS}
    assert allowed("store-users", "Egress") == allowed("mongo-replica-set", "Egress") == {("mongo", "27017/TCP"), *DNS}
    assert allowed("broker-users", "Egress") == {("rabbitmq", "5672/TCP"), ("rabbitmq", "15672/TCP"), *DNS}


# ---------------------------------------------------------------- the committed files

def test_the_committed_manifests_are_what_the_catalogue_renders():
    rendered_files = k8s.files()
    for path, text in rendered_files.items():
        committed = ROOT / path
        assert committed.exists(), f"{path} is missing: run python -m ops.render"
        assert committed.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m ops.render"
    present = {p.relative_to(ROOT) for p in (ROOT / k8s.OUT).iterdir()}
    assert present - set(rendered_files) == {k8s.OUT / "README.md"}, "a file the renderer no longer writes"


def test_the_scripts_caller_keys_are_a_pair_the_processes_accept():
    """secrets.sh makes the gateway's signing key and the services' verify key with openssl: run that
    part and check that what the gateway signs with it, a service verifies."""
    if not shutil.which("openssl"):
        pytest.skip("no openssl here")
    script = k8s.files()[k8s.OUT / "secrets.sh"]
    start, end = script.index("b64url() {"), script.index('rm -f "$caller_key"')
    part = script[start:end] + 'rm -f "$caller_key"\necho "$CALLER_SIGNING_KEY"\necho "$CALLER_VERIFY_KEYS"\n'
    done = subprocess.run(["sh", "-eu"], input=part, text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    signing, verify = done.stdout.split()
    from kernel.caller import GATEWAY, Signer, Verifier, parse_verify_keys, private_key
    token = Signer(GATEWAY, private_key(signing)).token("registry", "ping", {"request_id": "r"})
    assert Verifier(parse_verify_keys(verify)).verify(token, "registry", "ping").signer == GATEWAY
