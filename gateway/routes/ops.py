"""Operator routes: messages parked after their last attempt, and the outbox of each service."""
from __future__ import annotations

from fastapi import APIRouter

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
