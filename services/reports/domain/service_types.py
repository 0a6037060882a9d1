"""Service types (DOMAIN §4.1): the catalogue, public and per specialized field."""
from __future__ import annotations

from pydantic import BaseModel

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
