"""What the ops team operates, on the replicated production topology the system tests run (two of
every service, two gateways): the operator routes for every service of the catalogue (a parked
message seen and replayed, the outbox's status), each instance's Prometheus metrics, JSON log lines
that carry the request id and the event id, every periodic duty run once across the instances, and
every instance taking its share of the calls."""
import json
import uuid

import httpx
import pytest
from kombu import Connection

from ops import topology
from tests.system.helpers import account, eventually, member


def metrics(port: int) -> dict[str, float]:
    """`name{labels}` → value, from an instance's /metrics."""
    out = {}
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def total(samples: dict[str, float], name: str, **labels) -> float:
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for k, v in samples.items() if k.startswith(name + "{") and all(w in k for w in want))


def instances(system, service: str) -> list[dict]:
    return system.running.topology["services"][service]["instances"]


def park_one(system, service: str) -> str:
    """A message no handler can read, put on one of the service's handler queues (as the broker's
    administrator): parked at once, with its raw body. Returns the marker it carries."""
    marker = uuid.uuid4().hex[:12]
    with Connection(system.running.admin_amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(b"\x00 not an event", exchange="", routing_key=topology.handlers(service)[0].queue,
                                content_type="application/x-broken", content_encoding="binary", delivery_mode=2,
                                headers={"x-ops-test": marker})
    return marker


def park_failing(system) -> str:
    """An event the reports service's calendar handler cannot apply (no data), its attempts spent:
    parked at once. Returns its id."""
    handler = next(h for h in topology.handlers("reports") if h.method == "on_occasion")
    event_id = f"ops-test-{uuid.uuid4().hex[:10]}"
    body = {"specversion": "1.0", "id": event_id, "source": "/khadem/festival", "type": "festival.occasion.set.v1",
            "time": "2026-12-01T10:00:00Z", "data": None}
    with Connection(system.running.admin_amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(body, exchange="", routing_key=handler.queue, serializer="json", delivery_mode=2,
                                headers={"x-khadem-attempts": 99, "nameko.request_id": f"req-{event_id}"})
    return event_id


@pytest.mark.parametrize("service", topology.NAMES)
def test_the_operator_sees_and_replays_a_parked_message_of_every_service(system, admin, service):
    status = admin.get(f"/api/ops/{service}/outbox")
    assert status.status_code == 200, status.text
    assert {k: type(v) for k, v in status.json().items() if k in ("pending", "sent", "parked")} == \
        {"pending": int, "sent": int, "parked": int}, status.text
    marker = park_one(system, service)

    def parked():
        rows = admin.get(f"/api/ops/{service}/parked", params={"limit": 500}).json()
        return [r for r in rows if {"name": "x-ops-test", "value": marker} in r.get("headers", [])]
    rows = eventually(parked, timeout=30)
    assert len(rows) == 1 and rows[0]["queue"] == topology.handlers(service)[0].queue, rows
    assert "could not be decoded" in rows[0]["error"]
    replayed = admin.post(f"/api/ops/{service}/parked/{rows[0]['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["status"] == "replayed", replayed.text
    # Back on its queue, it is still unreadable (nothing was fixed) and is parked again: a new row,
    # the first one now marked replayed (the list shows what waits for an operator).
    again = eventually(lambda: [r for r in parked() if r["id"] != rows[0]["id"]], timeout=30)
    assert len(again) == 1 and rows[0]["id"] not in {r["id"] for r in parked()}
    # Every instance serves its metrics; the parked messages show in them.
    counted = sum(total(metrics(i["metrics_port"]), "khadem_messages_parked_total", service=service)
                  for i in instances(system, service))
    assert counted >= 2


def test_an_unknown_service_is_not_found_and_only_an_administrator_operates(system, admin):
    assert admin.get("/api/ops/nowhere/parked").status_code == 404
    me = account(admin, system.base, member(admin), f"ops.{uuid.uuid4().hex[:6]}")
    for service in topology.NAMES:
        assert me.get(f"/api/ops/{service}/outbox").status_code == 403


def test_every_periodic_duty_ran_once_across_the_instances(system):
    """Both instances of each service started at once, each wanting to prune its outbox and purge its
    inbox; each duty ran once (its period is longer than the system has been up)."""
    for service in topology.NAMES:
        db = system.db(service)
        for duty in ("prune-outbox", "purge-inbox-and-keys"):
            doc = eventually(lambda: db.periodic_runs.find_one({"_id": f"{service}:{duty}"}), timeout=10)
            assert doc is not None and doc["runs"] == 1, (service, duty, doc)
            ran = sum(total(metrics(i["metrics_port"]), "khadem_periodic_runs_total", duty=duty)
                      for i in instances(system, service))
            assert ran == 1, (service, duty, ran)


def test_every_instance_takes_its_share_of_the_calls(system, admin):
    for _ in range(40):
        assert admin.get("/api/units/IR-09").status_code == 200
    served = [total(metrics(i["metrics_port"]), "khadem_rpc_seconds_count", method="get_unit")
              for i in instances(system, "registry")]
    assert len(served) == 2 and all(n > 0 for n in served), served


def test_log_lines_are_json_with_the_request_id_and_the_event_id(system, admin):
    rid = f"req-{uuid.uuid4().hex[:12]}"
    r = admin.post("/api/units", json={"id": "IR-09", "name": "دوباره", "kind": "province", "parent_id": "IR-R2"},
                   headers={"X-Request-ID": rid})
    assert r.status_code in (409, 422), r.text           # refused: the registry logs it, with the id
    event_id = park_failing(system)

    def lines(service):
        out = []
        for i in instances(system, service):
            for line in system.log(i["name"]).splitlines():
                if line.startswith("{"):
                    out.append(json.loads(line))
        return out
    assert eventually(lambda: any(line.get("request_id") == rid for line in lines("registry")), timeout=10)
    parked = eventually(lambda: [line for line in lines("reports") if line.get("event_id") == event_id], timeout=20)
    assert parked and parked[0]["request_id"] == f"req-{event_id}" and parked[0]["level"] in ("WARNING", "ERROR")
    assert all({"time", "level", "process", "logger", "message"} <= set(line) for line in lines("finance"))


def test_no_process_was_refused_by_the_broker(system):
    """Every process runs as its own broker user with exactly its rights: nothing it does is refused."""
    for name in system.running.processes():
        if name.startswith("store-"):
            continue
        assert "ACCESS_REFUSED" not in system.log(name), name
