"""Service types (DOMAIN §4.1): the catalogue, public and per specialized field, and the
executive instructions that say how each is done."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Invalid
from .. import events as ev

from .kanoons import KanoonView


class ServiceType(BaseModel):
    """A kind of service. The Center's catalogue has scope `IR`; a province adds its own. `field` is
    None for public types, else the specialized field whose kanoons may report it."""
    id: str
    name: str
    field: str | None = None
    scope_id: str = "IR"
    active: bool = True
    version: int = 0

    def usable_by(self, kanoon: KanoonView) -> bool:
        if not self.active or self.scope_id not in kanoon.path:
            return False
        return self.field is None or self.field == kanoon.field


class Instruction(BaseModel):
    """An executive instruction for a service type (§4.1): how the service is done, in a province.
    Each publication is a new version; the latest is the one in force. A field's type is written by
    that field's specialized-kanoons secretary, a public type by the province's planners."""
    id: str                 # <service type>:<province>:<version>
    service_type: str
    field: str | None
    scope_id: str           # the province
    scope_path: list[str]
    version: int
    text: str
    written_by: str
    published_at: datetime

    @classmethod
    def publish(cls, *, service_type: ServiceType, scope_id: str, scope_path: list[str], previous: int,
                text: str, by: str, notify: list[str], clock: Clock) -> tuple["Instruction", list]:
        """`previous` is the version in force (0 for none); `notify` the kanoons told of it: the
        active kanoons of the province that may report the type (its field's specialized kanoons)."""
        if not service_type.active:
            raise Invalid(f"the service type {service_type.id} is retired", "service_type")
        if service_type.scope_id not in scope_path:
            raise Invalid(f"the service type {service_type.id} is not used in {scope_id}", "service_type")
        if len(text.strip()) < 10:
            raise Invalid("an instruction says how the service is done (ten characters at least)", "text")
        version = previous + 1
        i = cls(id=f"{service_type.id}:{scope_id}:{version}", service_type=service_type.id, field=service_type.field,
                scope_id=scope_id, scope_path=scope_path, version=version, text=text, written_by=by,
                published_at=clock.now())
        return i, [ev.InstructionPublished(service_type=i.service_type, field=i.field, scope_id=scope_id,
                                           version=version, kanoon_ids=sorted(notify), by=by)]
