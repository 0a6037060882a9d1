"""Service readiness reservations (DOMAIN §4.3): a member reserves a slot; the head confirms."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .kanoons import KanoonView
from .service_types import ServiceType


class Reservation(BaseModel):
    id: str
    person_id: str
    kanoon_id: str
    kanoon_path: list[str]
    service_type: str
    day: date
    from_hour: int
    to_hour: int
    note: str | None = None
    status: Literal["requested", "confirmed", "declined", "cancelled"] = "requested"
    decided_by: str | None = None
    reason: str | None = None
    version: int = 0

    @classmethod
    def request(cls, *, person_id: str, kanoon: KanoonView, service_type: ServiceType, day: date, today: date,
                from_hour: int, to_hour: int, note: str | None, clock: Clock) -> tuple["Reservation", list]:
        if kanoon.status != "active":
            raise Conflict("slots are reserved in an active kanoon", "kanoon_id")
        if day < today:
            raise Invalid("a slot is reserved for today or later", "day")
        if to_hour <= from_hour:
            raise Invalid("the slot ends after it starts", "to_hour")
        if not service_type.usable_by(kanoon):
            raise Invalid(f"the service type {service_type.id} is not open to this kanoon", "service_type")
        r = cls(id=clock.new_id("rs"), person_id=person_id, kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                service_type=service_type.id, day=day, from_hour=from_hour, to_hour=to_hour, note=note)
        return r, [ev.ReservationRequested(reservation_id=r.id, person_id=person_id, kanoon_id=kanoon.id,
                                           service_type=r.service_type, day=day)]

    def cancel(self, by: str, today: date) -> list:
        """The member withdraws a reservation (or an official calls it off) before its day."""
        if self.status not in ("requested", "confirmed"):
            raise Conflict(f"the reservation is already {self.status}", "status")
        if self.day < today:
            raise Conflict("the slot's day has passed", "day")
        self.status = "cancelled"
        self.decided_by = by
        return [ev.ReservationDecided(reservation_id=self.id, kanoon_id=self.kanoon_id, status=self.status, by=by)]

    def decide(self, confirm: bool, by: str, reason: str | None) -> list:
        if self.status != "requested":
            raise Conflict(f"the reservation is already {self.status}", "status")
        if not confirm and not reason:
            raise Invalid("a declined reservation needs its reason", "reason")
        self.status = "confirmed" if confirm else "declined"
        self.decided_by, self.reason = by, reason
        return [ev.ReservationDecided(reservation_id=self.id, kanoon_id=self.kanoon_id, status=self.status, by=by)]
