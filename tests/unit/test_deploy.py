"""The ops team's files stay true to what the local runner does: the same services with the same
commands, health checks, readiness ordering, non-root images, and the events document current."""
import re
import shutil
import subprocess

import pytest
import yaml

from devenv.run import SERVICES
from kernel import snapshots
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INFRA = {"rabbitmq", "mongo"}


def test_every_local_service_runs_in_compose_with_the_same_nameko_command():
    services = COMPOSE["services"]
    for name, classes, config in SERVICES:
        assert name in services, f"{name} is run locally but not in docker-compose.yml"
        assert services[name]["command"] == ["nameko", "run", "--config", config, *classes]
    app = {n for n in services if n not in INFRA | {"gateway", "web", "broker-users"}}
    assert app == {name for name, _, _ in SERVICES}, "compose runs a service the local runner does not"


def test_services_wait_for_healthy_infrastructure_and_can_be_scaled():
    services = COMPOSE["services"]
    for name in [n for n, _, _ in SERVICES] + ["gateway"]:
        spec = services[name]
        deps = spec["depends_on"]
        for infra in INFRA:
            assert deps[infra]["condition"] == "service_healthy", (name, infra)
        # a fixed container name or a single host port would stop `--scale`
        assert "container_name" not in spec, name
        if name != "gateway":
            assert "ports" not in spec, name
        assert spec["build"]["target"] == ("gateway" if name == "gateway" else "service")
    for name, _, _ in SERVICES:
        assert services["gateway"]["depends_on"][name]["condition"] == "service_healthy"
    for infra in INFRA:
        assert "healthcheck" in services[infra], infra
    # Each process reaches the broker as its own user, never as the administrator.
    for name in [n for n, _, _ in SERVICES] + ["gateway"]:
        uri = services[name]["environment"]["AMQP_URI"]
        user = "khadem_" + name
        assert uri.startswith(f"amqp://{user}:"), (name, uri)
        assert services[name]["depends_on"]["broker-users"]["condition"] == "service_completed_successfully"
    setup = " ".join(services["broker-users"]["command"])
    assert "ops.broker_users apply" in setup and "ops.topology" in setup
    assert "--replSet" in services["mongo"]["command"], "transactions need a replica set"
    assert "management" in services["rabbitmq"]["image"]


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


def _compose_cli():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(_compose_cli() is None, reason="no docker compose client on this machine")
def test_compose_config_passes():
    out = subprocess.run(_compose_cli() + ["--env-file", "deploy/env.example", "config", "-q"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
