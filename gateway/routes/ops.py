"""Operator routes, for every service of the catalogue (ops/topology.py): messages parked after their
last attempt, the outbox of each service, and jobs that publish a service's past events again. Only
administrators; each service checks that again."""
from __future__ import annotations

from fastapi import Query, Response
from pydantic import ConfigDict, Field, field_validator

from kernel.errors import Invalid, NotFound
from kernel.jalali import parse_instant
from kernel.types import Command
from ops import topology

from .. import responses as out
from ..deps import AdminDep

router = out.Router(prefix="/api/ops", tags=["operations"])
KNOWN = set(topology.NAMES)


def _service(name: str) -> str:
    if name not in KNOWN:
        raise NotFound(f"no service {name}", "service")
    return name


@router.get("/{service}/parked", response_model=list[out.ParkedMessage])
def parked(call: AdminDep, service: str, limit: int = Query(100, ge=1, le=500)):
    """Messages parked after their last attempt (or because they could not be decoded), oldest first."""
    return call(_service(service), "parked_list", limit)


@router.post("/{service}/parked/{parked_id}/replay", response_model=out.Replayed)
def replay(call: AdminDep, service: str, parked_id: str):
    """Put a parked message back on its queue, its attempts counted afresh."""
    return call(_service(service), "parked_replay", parked_id)


@router.get("/{service}/outbox", response_model=out.OutboxStatus)
def outbox(call: AdminDep, service: str):
    """Pending (and failing), sent and parked counts, and replay jobs running."""
    return call(_service(service), "outbox_status")


class Replay(Command):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"types": "registry.kanoon."}]})

    types: str = Field(min_length=3, max_length=200, description="a prefix of the service's event types")
    queue: str | None = Field(None, min_length=1, max_length=200,
                              description="only this consumer's queue; every subscriber when omitted")
    since: str | None = Field(None, min_length=1, max_length=40,
                              description="only events from this instant on (`1405/09/16 10:00`, Tehran time, or "
                                          "ISO 8601); from the first kept when omitted")
    partial: bool = Field(False, description="replay what is kept even though older events were pruned "
                                             "(OUTBOX_RETENTION_DAYS); refused otherwise")

    @field_validator("since")
    @classmethod
    def _instant(cls, v):
        if v is not None:
            try:
                return parse_instant(v).isoformat()
            except ValueError as exc:
                raise ValueError(str(exc)) from None
        return v


@router.post("/{service}/outbox/replay", status_code=202, response_model=out.ReplayJob)
def outbox_replay(call: AdminDep, service: str, body: Replay, response: Response):
    """Start publishing again, oldest first, the service's sent events of these types (e.g. so that a
    service deployed later builds its read model); consumers skip what they already applied. Answers
    at once with the job; follow it at the URL in `Location`."""
    job = call(_service(service), "outbox_replay", body.types, body.queue, body.since, body.partial)
    response.headers["Location"] = f"/api/ops/{service}/outbox/replay/{job['id']}"
    return job


@router.get("/{service}/outbox/replay/{job_id}", response_model=out.ReplayJob)
def outbox_replay_status(call: AdminDep, service: str, job_id: str):
    """A replay job's progress: total, replayed, status (running, done)."""
    return call(_service(service), "outbox_replay_status", job_id)


@router.post("/{service}/restate", status_code=202, response_model=out.Restatement)
def restate(call: AdminDep, service: str):
    """Have the registry publish its whole view again (`registry.view.restated.v1`): every service's
    copy of units, kanoons, memberships, roles and province settings is replaced where older and
    cleared of what the registry no longer has (docs/backup.md). Answers at once; published within
    seconds. Only the registry restates: other services' consumers derive what only they could
    recompute."""
    if _service(service) != "registry":
        raise Invalid("only the registry restates its view (docs/backup.md)", "service")
    return call("registry", "restate_view")
