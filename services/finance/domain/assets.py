"""Asset custody (DOMAIN §5.5): a register of the Foundation's assets in the province — code,
description, unit, custodian, value, acquisition date — and handovers from one custodian to another
that both sides acknowledge; every asset keeps its history."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Forbidden, Invalid
from .. import events as ev


class HistoryEntry(BaseModel):
    at: datetime
    what: str                      # registered | handover_requested | handed_over | handover_cancelled | disposed
    by: str
    custodian_id: str
    note: str | None = None


class CustodyHandover(BaseModel):
    to_custodian_id: str
    requested_by: str
    requested_at: datetime
    giver_acknowledged_at: datetime | None = None
    receiver_acknowledged_at: datetime | None = None


class Asset(BaseModel):
    id: str                        # <province>:<code>
    code: str
    description: str
    province_id: str
    unit_id: str                   # where it is: the province's HQ or a kanoon
    unit_path: list[str]
    custodian_id: str              # the person who holds it (امین اموال)
    value: int                     # rials
    acquired_on: date
    disposed: bool = False
    handover: CustodyHandover | None = None
    history: list[HistoryEntry] = []
    version: int = 0

    @classmethod
    def register(cls, *, code: str, description: str, province_id: str, unit_id: str, unit_path: list[str],
                 custodian_id: str, value: int, acquired_on: date, by: str, clock: Clock) -> tuple["Asset", list]:
        if province_id not in unit_path:
            raise Invalid("the asset's place is not in this province", "unit_id")
        if acquired_on > clock.today():
            raise Invalid("an asset is registered after it is acquired", "acquired_on")
        a = cls(id=f"{province_id}:{code}", code=code, description=description, province_id=province_id,
                unit_id=unit_id, unit_path=unit_path, custodian_id=custodian_id, value=value, acquired_on=acquired_on,
                history=[HistoryEntry(at=clock.now(), what="registered", by=by, custodian_id=custodian_id)])
        return a, [ev.AssetRegistered(asset_id=a.id, province_id=province_id, unit_id=unit_id,
                                      custodian_id=custodian_id, value=value)]

    def _open(self) -> None:
        if self.disposed:
            raise Conflict("the asset is disposed of", "asset_id")

    def request_handover(self, to_custodian_id: str, by: str, clock: Clock) -> list:
        self._open()
        if self.handover is not None:
            raise Conflict("a handover of this asset is pending", "asset_id")
        if to_custodian_id == self.custodian_id:
            raise Invalid("the asset is in this person's custody already", "to_custodian_id")
        self.handover = CustodyHandover(to_custodian_id=to_custodian_id, requested_by=by, requested_at=clock.now())
        self.history.append(HistoryEntry(at=clock.now(), what="handover_requested", by=by,
                                         custodian_id=self.custodian_id, note=to_custodian_id))
        return [ev.AssetHandoverRequested(asset_id=self.id, from_custodian_id=self.custodian_id,
                                          to_custodian_id=to_custodian_id, by=by)]

    def acknowledge(self, person_id: str, clock: Clock) -> list:
        """The giver or the receiver acknowledges; with both, the custody passes."""
        self._open()
        h = self.handover
        if h is None:
            raise Conflict("no handover of this asset is pending", "asset_id")
        if person_id == self.custodian_id:
            if h.giver_acknowledged_at is not None:
                raise Conflict("you have acknowledged handing it over already", "asset_id")
            h.giver_acknowledged_at = clock.now()
        elif person_id == h.to_custodian_id:
            if h.receiver_acknowledged_at is not None:
                raise Conflict("you have acknowledged receiving it already", "asset_id")
            h.receiver_acknowledged_at = clock.now()
        else:
            raise Forbidden("only the present and the new custodian acknowledge a handover")
        if h.giver_acknowledged_at is None or h.receiver_acknowledged_at is None:
            return []
        previous = self.custodian_id
        self.custodian_id, self.handover = h.to_custodian_id, None
        self.history.append(HistoryEntry(at=clock.now(), what="handed_over", by=person_id, custodian_id=self.custodian_id,
                                         note=previous))
        return [ev.AssetHandedOver(asset_id=self.id, from_custodian_id=previous, to_custodian_id=self.custodian_id)]

    def cancel_handover(self, by: str, clock: Clock) -> list:
        if self.handover is None:
            raise Conflict("no handover of this asset is pending", "asset_id")
        self.handover = None
        self.history.append(HistoryEntry(at=clock.now(), what="handover_cancelled", by=by, custodian_id=self.custodian_id))
        return []
