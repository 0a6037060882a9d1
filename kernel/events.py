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


def replay_exchange_name(service: str) -> str:
    """A service's replays to one consumer's queue go to the direct exchange `<service>.replay`, routing
    key = that queue's name (every handler queue is bound to its source's, by its own name)."""
    return f"{service}.replay"


# ---------------------------------------------------------------- who may publish an event

def expected_publisher(own_user: str, owner: str, source: str) -> str:
    """The broker user whose events of `source` a process of `owner`, connected as `own_user`, accepts.

    Every service reaches the broker as `<prefix><service>` (ops/topology.py `Service.broker_user`), so
    the prefix is the process's own user less its owner's name, and `source`'s user is that prefix and
    `source`. When the own user does not end with the owner's name (the development shortcut: every
    process shares one user, `guest`), the expected publisher is that one user."""
    if owner and own_user.endswith(owner):
        return own_user[:len(own_user) - len(owner)] + source
    return own_user


def publisher_refusal(user_id, own_user: str, owner: str, source: str) -> str | None:
    """Why a message that came as `source`'s event must not be applied (None: it may be). RabbitMQ
    refuses a `user_id` property that is not the publishing connection's user, so it names who really
    published. Accepted: `source`'s own user, and the consumer's own (a message its process put back
    itself: a retry or deferral through its delay queues, an operator's replay of a parked message —
    only the process's own user can publish to its delay queues)."""
    expected = expected_publisher(own_user, owner, source)
    if user_id in (expected, own_user) and isinstance(user_id, str) and user_id:
        return None
    who = f"by {str(user_id)[:100]!r}" if isinstance(user_id, str) and user_id else "without a user_id"
    return f"published {who}: {source}'s events come only from the broker user {expected!r}"


def schema_of(cls: type[EventData]) -> dict:
    return cls.model_json_schema(mode="serialization")
