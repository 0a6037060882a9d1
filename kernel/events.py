"""Integration events: a CloudEvents 1.0 envelope around a versioned, catalogued payload.

Every event type is named `<service>.<subject>.<past-tense-verb>.v<major>`, has a pydantic model for
its data (registered here with `@event_type`), and a JSON-schema snapshot committed beside the
service; a test refuses changes to a snapshot that are not additive.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[0-9]+$")

CATALOGUE: dict[str, type["EventData"]] = {}


class EventData(BaseModel):
    """Base of every event payload. `subject_template` names the thing the event is about."""
    model_config = ConfigDict(extra="forbid")

    event_type: ClassVar[str] = ""
    subject_template: ClassVar[str] = ""

    def subject(self) -> str:
        return self.subject_template.format(**self.model_dump())


def event_type(name: str, subject: str):
    """Register a payload model under its event type name."""
    if not TYPE_NAME.match(name):
        raise ValueError(f"event type {name!r} is not <service>.<subject>.<verb>.v<N>")

    def register(cls: type[EventData]) -> type[EventData]:
        if name in CATALOGUE and CATALOGUE[name] is not cls:
            raise ValueError(f"event type {name} is registered twice")
        cls.event_type = name
        cls.subject_template = subject
        CATALOGUE[name] = cls
        return cls

    return register


def service_of(event_type_name: str) -> str:
    return event_type_name.split(".", 1)[0]


class Envelope(BaseModel):
    """CloudEvents 1.0, JSON format. `correlationid` is an extension attribute carrying the request
    id that caused the event."""
    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    correlationid: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, payload: EventData, correlation_id: str | None = None) -> "Envelope":
        if not payload.event_type:
            raise ValueError(f"{type(payload).__name__} is not a registered event type")
        return cls(
            source=f"/khadem/{service_of(payload.event_type)}",
            type=payload.event_type,
            subject=payload.subject(),
            dataschema=f"urn:khadem:event:{payload.event_type}",
            correlationid=correlation_id,
            data=payload.model_dump(mode="json"),
        )

    def to_message(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


def exchange_name(service: str) -> str:
    """Events of a service go to the topic exchange `<service>.events`, routing key = event type
    (the exchange nameko's @event_handler binds to)."""
    return f"{service}.events"


def schema_of(cls: type[EventData]) -> dict:
    return cls.model_json_schema(mode="serialization")
