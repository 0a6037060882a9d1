"""Operator routes: messages parked after their last attempt, and the outbox of each service."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kernel.errors import NotFound

from ..deps import AdminDep

router = APIRouter(prefix="/api/ops", tags=["operations"])
KNOWN = {"registry", "reports"}


def _service(name: str) -> str:
    if name not in KNOWN:
        raise NotFound(f"no service {name}", "service")
    return name


@router.get("/{service}/parked")
def parked(call: AdminDep, service: str):
    return call(_service(service), "parked_list", 100)


@router.post("/{service}/parked/{parked_id}/replay")
def replay(call: AdminDep, service: str, parked_id: str):
    return call(_service(service), "parked_replay", parked_id)


@router.get("/{service}/outbox")
def outbox(call: AdminDep, service: str):
    return call(_service(service), "outbox_status")


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"types": "registry.kanoon."}]})

    types: str = Field(min_length=3, max_length=200, description="a prefix of the service's event types")


@router.post("/{service}/outbox/replay")
def outbox_replay(call: AdminDep, service: str, body: Replay):
    """Publish again the service's sent events of these types, oldest first, e.g. so that a
    service deployed later builds its read model; consumers skip what they already applied."""
    return call(_service(service), "outbox_replay", body.types)
