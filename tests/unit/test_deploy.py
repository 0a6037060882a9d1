"""The ops team's files stay true to what the local runner does: the same services with the same
commands, health checks, readiness ordering, non-root images, and the events document current."""
import re

import yaml

from kernel import snapshots
from ops import render, topology
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INFRA = {"rabbitmq", "mongo"}
ONE_OFFS = {"broker-users", "store-users"}


def test_the_committed_files_are_what_the_catalogue_renders():
    """docker-compose.yml and deploy/kubernetes/ are written from ops/topology.py (python -m ops.render)."""
    for path, text in render.files().items():
        assert path.exists(), f"{path.relative_to(ROOT)} is missing: run python -m ops.render"
        assert path.read_text(encoding="utf-8") == text, f"{path.relative_to(ROOT)} is stale: run python -m ops.render"


def test_every_catalogued_service_runs_in_compose_with_its_command():
    services = COMPOSE["services"]
    for s in topology.SERVICES:
        assert services[s.name]["command"] == ["nameko", "run", "--config", s.config, *s.classes]
    app = {n for n in services if n not in INFRA | ONE_OFFS | {"gateway", "web"}}
    assert app == set(topology.NAMES), "compose runs a service the catalogue does not"
    assert services["gateway"]["command"] == list(topology.GATEWAY.command)
    assert services["web"]["command"] == list(topology.WEB.command)


def test_services_wait_for_healthy_infrastructure_and_can_be_scaled():
    services = COMPOSE["services"]
    for name in [*topology.NAMES, "gateway"]:
        spec = services[name]
        deps = spec["depends_on"]
        for infra in INFRA:
            assert deps[infra]["condition"] == "service_healthy", (name, infra)
        for one_off in ONE_OFFS:
            assert deps[one_off]["condition"] == "service_completed_successfully", (name, one_off)
        # a fixed container name or a single host port would stop `--scale`
        assert "container_name" not in spec, name
        if name != "gateway":
            assert "ports" not in spec, name
        assert spec["build"]["target"] == ("gateway" if name == "gateway" else "service")
    for name in topology.NAMES:
        assert services["gateway"]["depends_on"][name]["condition"] == "service_healthy"
    for infra in INFRA:
        assert "healthcheck" in services[infra], infra
    assert "ops.broker_users apply" in " ".join(services["broker-users"]["command"])
    assert "ops.topology" in " ".join(services["broker-users"]["command"])
    assert services["store-users"]["command"] == ["python", "-m", "ops.store_users", "apply"]
    mongod = " ".join(services["mongo"]["entrypoint"])
    assert "--replSet" in mongod and "--keyFile" in mongod, "transactions need a replica set; auth a key file"
    assert "management" in services["rabbitmq"]["image"]


def test_each_process_reaches_the_broker_and_the_store_as_itself_alone():
    """Its own broker user, its own database user on its own database, and nobody else's password."""
    services = COMPOSE["services"]
    for name in [*topology.NAMES, "gateway"]:
        env = services[name]["environment"]
        assert env["AMQP_URI"].startswith("amqp://${RABBITMQ_USER_PREFIX:-khadem_}" + name + ":"), name
        assert f"RABBITMQ_{name.upper()}_PASSWORD" in env["AMQP_URI"]
        text = " ".join(str(v) for v in env.values())
        others = [n for n in topology.NAMES if n != name]
        for other in others:
            assert f"RABBITMQ_{other.upper()}_PASSWORD" not in text and f"MONGO_{other.upper()}_PASSWORD" not in text, (name, other)
        assert "RABBITMQ_PASSWORD" not in text.replace(f"RABBITMQ_{name.upper()}_PASSWORD", ""), name
        assert "MONGO_ADMIN" not in text, name
        if name != "gateway":
            uri = env["MONGO_URI"]
            assert uri.startswith(f"mongodb://khadem_{name}:${{MONGO_{name.upper()}_PASSWORD")
            assert f"authSource=${{MONGO_DB_PREFIX:-khadem_}}{name}" in uri and "replicaSet=rs0" in uri
        else:
            assert "MONGO_URI" not in env, "the gateway has no database"


def test_images_are_multi_stage_non_root_and_health_checked():
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE, re.M)
    assert {"build", "runtime", "service", "gateway", "web"} <= set(stages)
    assert re.search(r"^COPY --from=build ", DOCKERFILE, re.M)
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.M)
    assert users and all(u not in {"root", "0"} for u in users)
    assert DOCKERFILE.count("HEALTHCHECK") == 3


def test_the_web_app_is_a_client_of_the_gateway_only():
    """It reaches the system through the gateway's REST API: no broker, no database, no service code."""
    web = COMPOSE["services"]["web"]
    assert web["environment"]["GATEWAY_URL"] == "http://gateway:8000"
    assert not {"AMQP_URI", "MONGO_URI"} & set(web["environment"])
    assert web["depends_on"] == {"gateway": {"condition": "service_healthy"}}
    assert web["build"]["target"] == "web" and "container_name" not in web
    assert web["environment"]["PROXY_SECRET"] == COMPOSE["services"]["gateway"]["environment"]["PROXY_SECRET"]
    for path in (ROOT / "web").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(services|nameko|pymongo|kombu)\b", text, re.M), path


def test_every_variable_compose_reads_is_in_the_example_environment():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = set(re.findall(r"^([A-Z_]+)=", (ROOT / "deploy/env.example").read_text(), re.M))
    assert used - example == set(), "document these in deploy/env.example"


def test_the_events_document_matches_the_code():
    committed = (ROOT / "docs/asyncapi.json").read_text(encoding="utf-8")
    assert committed == snapshots.render_asyncapi(), "run: make snapshots"
    doc = snapshots.asyncapi()
    assert set(doc["channels"]) == set(snapshots.load_catalogue())


def test_compose_config_passes_and_refuses_a_missing_secret_by_name(tmp_path):
    """Docker Compose v2 itself (offline, no engine) reads the file with deploy/env.example."""
    out = render.compose_config(ROOT / "deploy" / "env.example")
    assert out.returncode == 0, out.stderr
    example = (ROOT / "deploy/env.example").read_text()
    (tmp_path / "without.env").write_text(re.sub(r"^MONGO_FINANCE_PASSWORD=.*$", "", example, flags=re.M))
    out = render.compose_config(tmp_path / "without.env")
    assert out.returncode != 0 and "required variable MONGO_FINANCE_PASSWORD is missing" in out.stderr, out.stderr
