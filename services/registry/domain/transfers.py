"""Transfers (DOMAIN §2.5): a move to another kanoon needs the approval of both the origin and the
destination, each decided by that kanoon's own head or deputy; either may refuse. A pending transfer
can be cancelled by the member, and expires after its province's deadline."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Forbidden, Invalid
from .. import events as ev
from .kanoons import Kanoon, KanoonStatus, MembershipPolicy
from .membership import join, leave
from .people import Person
from .settings import ProvinceSettings


class TransferStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    refused = "refused"
    cancelled = "cancelled"
    expired = "expired"


SIDES = ("origin", "destination")


class Decision(BaseModel):
    approved: bool
    by: str
    at: datetime
    reason: str | None = None


class Transfer(BaseModel):
    id: str
    person_id: str
    from_kanoon_id: str
    to_kanoon_id: str
    # False when the person had already left the origin (a move within the move window).
    from_member: bool = True
    status: TransferStatus = TransferStatus.pending
    requested_by: str
    requested_at: datetime
    expires_at: datetime | None = None
    origin: Decision | None = None
    destination: Decision | None = None
    refusal_reason: str | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 0

    @classmethod
    def request(cls, person: Person, origin: Kanoon, destination: Kanoon, by: str,
                origin_policy: MembershipPolicy, destination_policy: MembershipPolicy,
                settings: ProvinceSettings, clock: Clock) -> tuple["Transfer", list]:
        """From the person's kanoon, or from the kanoon they left within the move window."""
        from_member = person.kanoon_id == origin.id
        if not from_member and person.kanoon_id is not None:
            raise Conflict("the person is a member of another kanoon than the origin", "person_id")
        if not from_member and person.left_kanoon_id != origin.id:
            raise Conflict("the person is not a member of the origin kanoon", "person_id")
        if origin.id == destination.id:
            raise Invalid("the destination is the kanoon the person is already in", "to_kanoon_id")
        if destination.status != KanoonStatus.active:
            raise Conflict("the destination kanoon is not active", "to_kanoon_id")
        if person.id in (origin.head_id, origin.deputy_id):
            raise Conflict("the head or deputy of a kanoon cannot transfer out of it; hand the role "
                           "over first", "person_id")
        check_transfer_bounds(origin, destination, origin_policy, destination_policy, from_member)
        at = clock.now()
        t = cls(id=clock.new_id("tr"), person_id=person.id, from_kanoon_id=origin.id,
                to_kanoon_id=destination.id, from_member=from_member, requested_by=by, requested_at=at,
                expires_at=at + timedelta(days=settings.transfer_expiry_days))
        return t, [ev.TransferRequested(transfer_id=t.id, person_id=person.id,
                                        from_kanoon_id=origin.id, to_kanoon_id=destination.id,
                                        expires_at=t.expires_at)]

    def _require_pending(self) -> None:
        if self.status != TransferStatus.pending:
            raise Conflict(f"the transfer is already {self.status}", "status")

    def decide(self, side: str, approved: bool, by: str, reason: str | None, clock: Clock) -> list:
        self._require_pending()
        if side not in SIDES:
            raise Invalid("side is origin or destination", "side")
        if getattr(self, side) is not None:
            raise Conflict(f"the {side} kanoon has already decided", "side")
        other = self.destination if side == "origin" else self.origin
        if other is not None and other.by == by:
            raise Forbidden("the two kanoons decide a transfer separately: you decided the other side")
        if not approved and (not reason or len(reason.strip()) < 3):
            raise Invalid("a refusal needs its reason", "reason")
        setattr(self, side, Decision(approved=approved, by=by, at=clock.now(), reason=reason))
        if not approved:
            return self.refuse(side, reason or "", by, clock)
        return [ev.TransferSideApproved(transfer_id=self.id, side=side, by=by)]

    @property
    def ready(self) -> bool:
        return (self.status == TransferStatus.pending and self.origin is not None and self.origin.approved
                and self.destination is not None and self.destination.approved)

    def refuse(self, side: str, reason: str, by: str, clock: Clock) -> list:
        self.status = TransferStatus.refused
        self.refusal_reason = reason
        self.closed_at = clock.now()
        return [ev.TransferRefused(transfer_id=self.id, side=side, reason=reason, by=by)]

    def cancel(self, by: str, clock: Clock) -> list:
        self._require_pending()
        self.status = TransferStatus.cancelled
        self.closed_at = clock.now()
        return [ev.TransferCancelled(transfer_id=self.id, person_id=self.person_id, by=by)]

    def is_overdue(self, clock: Clock) -> bool:
        return (self.status == TransferStatus.pending and self.expires_at is not None
                and clock.now() >= self.expires_at)

    def expire(self, clock: Clock) -> list:
        self._require_pending()
        if not self.is_overdue(clock):
            raise Conflict("the transfer has not reached its deadline", "expires_at")
        self.status = TransferStatus.expired
        self.closed_at = clock.now()
        return [ev.TransferExpired(transfer_id=self.id, person_id=self.person_id,
                                   expires_at=self.expires_at)]

    def complete(self, clock: Clock) -> list:
        self.status = TransferStatus.completed
        self.completed_at = self.closed_at = clock.now()
        return [ev.TransferCompleted(transfer_id=self.id, person_id=self.person_id,
                                     from_kanoon_id=self.from_kanoon_id, to_kanoon_id=self.to_kanoon_id)]


def check_transfer_bounds(origin: Kanoon, destination: Kanoon, origin_policy: MembershipPolicy,
                          destination_policy: MembershipPolicy, from_member: bool = True) -> None:
    """A transfer may not take the origin below its floor nor the destination past its ceiling."""
    if from_member and origin.member_count - 1 < origin_policy.floor:
        raise Conflict(f"the origin kanoon would fall below its floor of {origin_policy.floor} members",
                       "from_kanoon_id")
    if destination.member_count + 1 > destination_policy.ceiling:
        raise Conflict(f"the destination kanoon is full (ceiling {destination_policy.ceiling})",
                       "to_kanoon_id")


def execute_transfer(t: Transfer, person: Person, origin: Kanoon, destination: Kanoon,
                     origin_policy: MembershipPolicy, destination_policy: MembershipPolicy,
                     clock: Clock) -> list:
    """Both sides approved: move the member, or refuse if the bounds no longer allow it."""
    try:
        still_member = person.kanoon_id == origin.id
        if t.from_member and not still_member:
            raise Conflict("the person is no longer a member of the origin kanoon", "person_id")
        if not t.from_member and person.kanoon_id is not None:
            raise Conflict("the person has joined a kanoon meanwhile", "person_id")
        check_transfer_bounds(origin, destination, origin_policy, destination_policy, still_member)
    except Conflict as exc:
        return t.refuse("rules", exc.message, "system", clock)
    out = leave(person, origin, origin_policy, clock, via="transfer") if still_member else []
    out += join(person, destination, destination_policy, clock, via="transfer")
    out += t.complete(clock)
    return out
