"""JSON-schema snapshots of every event type, and the rule that changes to them stay additive.

    python -m kernel.snapshots write    # add snapshots of new event types (never overwrites)
    python -m kernel.snapshots check    # what the test runs
    python -m kernel.snapshots asyncapi # rewrite docs/asyncapi.json from the catalogue
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from .events import CATALOGUE, exchange_name, schema_of, service_of

ROOT = Path(__file__).resolve().parent.parent
ASYNCAPI = ROOT / "docs" / "asyncapi.json"
EVENT_MODULES = ["services.registry.events", "services.reports.events", "services.finance.events",
                 "services.oversight.events", "services.festival.events",
                 "services.secretariat.events", "kernel.restore"]


def load_catalogue() -> dict:
    for m in EVENT_MODULES:
        importlib.import_module(m)
    return CATALOGUE


def snapshot_path(event_type: str) -> Path:
    return ROOT / "services" / service_of(event_type) / "event_schemas" / f"{event_type}.json"


def _strip(schema):
    if isinstance(schema, dict):
        return {k: _strip(v) for k, v in schema.items() if k not in ("title", "description", "examples")}
    if isinstance(schema, list):
        return [_strip(v) for v in schema]
    return schema


def breaking_changes(old: dict, new: dict) -> list[str]:
    """What in `new` would break a consumer written against `old`."""
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, spec in old_props.items():
        if name not in new_props:
            problems.append(f"field {name} was removed")
        elif json.dumps(_strip(spec), sort_keys=True) != json.dumps(_strip(new_props[name]), sort_keys=True):
            problems.append(f"field {name} changed its schema")
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(new_req - old_req):
        problems.append(f"field {name} became required" if name in old_props else f"new field {name} is required")
    for name in sorted(old_req - new_req):
        problems.append(f"field {name} is no longer always present")
    if json.dumps(_strip(old.get("$defs", {})), sort_keys=True) != json.dumps(
            _strip({k: v for k, v in new.get("$defs", {}).items() if k in old.get("$defs", {})}), sort_keys=True):
        problems.append("a nested definition changed")
    return problems


def check() -> dict[str, list[str]]:
    out = {}
    for name, cls in sorted(load_catalogue().items()):
        path = snapshot_path(name)
        if not path.exists():
            out[name] = ["no committed snapshot (run: make snapshots)"]
            continue
        problems = breaking_changes(json.loads(path.read_text()), schema_of(cls))
        if problems:
            out[name] = problems
    return out


def write() -> list[str]:
    written = []
    for name, cls in sorted(load_catalogue().items()):
        path = snapshot_path(name)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema_of(cls), indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(name)
    return written


def asyncapi() -> dict:
    """An AsyncAPI 2.6 description of every event a subscriber can receive: one channel per event
    type (the routing key) on its service's topic exchange, the payload a CloudEvents envelope."""
    channels, messages = {}, {}
    for name, cls in sorted(load_catalogue().items()):
        service = service_of(name)
        key = name.replace(".", "_")
        data_schema = schema_of(cls)
        messages[key] = {
            "name": name,
            "title": name,
            "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else name,
            "contentType": "application/json",
            "payload": {
                "type": "object",
                "required": ["specversion", "id", "source", "type", "time", "data"],
                "properties": {
                    "specversion": {"const": "1.0"},
                    "id": {"type": "string", "description": "unique; consumers dedupe on it"},
                    "source": {"const": f"/khadem/{service}"},
                    "type": {"const": name},
                    "time": {"type": "string", "format": "date-time", "description": "UTC"},
                    "subject": {"type": "string", "description": cls.subject_template},
                    "datacontenttype": {"const": "application/json"},
                    "dataschema": {"const": f"urn:khadem:event:{name}"},
                    "correlationid": {"type": "string", "description": "the request that caused it"},
                    "data": data_schema,
                },
            },
        }
        channels[name] = {
            "description": f"routing key {name} on the topic exchange {exchange_name(service)}",
            "subscribe": {"operationId": f"on_{key}", "message": {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": exchange_name(service), "type": "topic", "durable": True, "vhost": "/"}}},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Khadem domain events", "version": "1",
                 "description": "Events published by Khadem services through their outboxes "
                                "(at least once; dedupe on the envelope id). See deploy/README.md."},
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"url": "amqp://rabbitmq:5672/", "protocol": "amqp",
                                 "protocolVersion": "0-9-1"}},
        "channels": channels,
        "components": {"messages": messages},
    }


def render_asyncapi() -> str:
    return json.dumps(asyncapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        print("\n".join(write()) or "nothing new")
        ASYNCAPI.write_text(render_asyncapi(), encoding="utf-8")
    elif sys.argv[1:] == ["asyncapi"]:
        ASYNCAPI.write_text(render_asyncapi(), encoding="utf-8")
    else:
        problems = check()
        for k, v in problems.items():
            print(k, "; ".join(v))
        sys.exit(1 if problems else 0)
