"""Beneficiaries, the needs bank and executive projects (DOMAIN §3)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .kanoons import KanoonView


class Beneficiary(BaseModel):
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    full_name: str
    national_id: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    household_size: int = 1
    address: str | None = None
    mobile: str | None = None
    categories: list[str] = []
    notes: str | None = None
    registered_by: str
    registered_at: datetime
    version: int = 0

    @classmethod
    def register(cls, *, kanoon: KanoonView, by: str, clock: Clock, **fields) -> tuple["Beneficiary", list]:
        b = cls(id=clock.new_id("bn"), kanoon_id=kanoon.id, kanoon_path=kanoon.path, registered_by=by,
                registered_at=clock.now(), **fields)
        return b, [ev.BeneficiaryRegistered(beneficiary_id=b.id, kanoon_id=kanoon.id,
                                            household_size=b.household_size, categories=b.categories)]


class NeedStatus(StrEnum):
    open = "open"
    matched = "matched"
    met = "met"
    closed = "closed"


class Match(BaseModel):
    kind: Literal["member", "kanoon", "specialist"]
    id: str
    by: str
    at: datetime


class Need(BaseModel):
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    beneficiary_id: str | None = None
    title: str
    description: str | None = None
    service_type: str | None = None
    field: str | None = None  # the specialized field it calls for, if any
    urgency: Literal["low", "normal", "high"] = "normal"
    status: NeedStatus = NeedStatus.open
    matches: list[Match] = []
    registered_at: datetime
    version: int = 0

    @classmethod
    def register(cls, *, kanoon: KanoonView, beneficiary: Beneficiary | None, clock: Clock, **fields
                 ) -> tuple["Need", list]:
        if beneficiary is not None and beneficiary.kanoon_id != kanoon.id:
            raise Invalid("the beneficiary is not this kanoon's", "beneficiary_id")
        n = cls(id=clock.new_id("nd"), kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                beneficiary_id=beneficiary.id if beneficiary else None, registered_at=clock.now(), **fields)
        return n, [ev.NeedRegistered(need_id=n.id, kanoon_id=kanoon.id, kanoon_path=kanoon.path, title=n.title,
                                     service_type=n.service_type, field=n.field, urgency=n.urgency)]

    def match_member(self, member_id: str, member_kanoon: KanoonView | None, by: str, clock: Clock, *,
                     city_has_field_kanoon: bool = True, same_province: bool = True) -> list:
        """A member of the need's own kanoon; or, for a need that calls for a specialized field the
        need's city has no active specialized kanoon of (§3), a khademyar of a specialized kanoon of
        that field elsewhere in the province (matched as a `specialist`)."""
        if member_kanoon is not None and member_kanoon.id == self.kanoon_id:
            return self._match(Match(kind="member", id=member_id, by=by, at=clock.now()))
        if member_kanoon is None or not self.field:
            raise Invalid("a need is matched to a member of its own kanoon", "member_id")
        if not (member_kanoon.specialized and member_kanoon.field == self.field and member_kanoon.status == "active"):
            raise Invalid(f"a specialist for this need is a member of an active {self.field} kanoon", "member_id")
        if city_has_field_kanoon:
            raise Invalid(f"the city has a {self.field} kanoon: match the need to that kanoon", "member_id")
        if not same_province:
            raise Invalid("a specialist is matched within the need's province", "member_id")
        return self._match(Match(kind="specialist", id=member_id, by=by, at=clock.now()))

    def match_kanoon(self, kanoon: KanoonView, by: str, clock: Clock) -> list:
        if not kanoon.specialized or kanoon.status != "active":
            raise Invalid("a need is matched to an active specialized kanoon", "kanoon_id")
        if self.field and kanoon.field != self.field:
            raise Invalid(f"the need calls for the field {self.field}", "kanoon_id")
        return self._match(Match(kind="kanoon", id=kanoon.id, by=by, at=clock.now()))

    def _match(self, m: Match) -> list:
        if self.status in (NeedStatus.met, NeedStatus.closed):
            raise Conflict(f"the need is {self.status}", "status")
        if any(x.kind == m.kind and x.id == m.id for x in self.matches):
            raise Conflict("already matched to them", "id")
        self.matches.append(m)
        self.status = NeedStatus.matched
        return [ev.NeedMatched(need_id=self.id, kanoon_id=self.kanoon_id, match_kind=m.kind, match_id=m.id)]

    def resolve(self, status: NeedStatus, by: str) -> list:
        if status not in (NeedStatus.met, NeedStatus.closed):
            raise Invalid("a need is resolved as met or closed", "status")
        if self.status in (NeedStatus.met, NeedStatus.closed):
            raise Conflict(f"the need is already {self.status}", "status")
        self.status = NeedStatus(status)
        return [ev.NeedResolved(need_id=self.id, kanoon_id=self.kanoon_id, status=self.status.value, by=by)]


class ExecutiveProject(BaseModel):
    """A kanoon's project built from its needs, asking other kanoons for help (§3)."""
    id: str
    kanoon_id: str
    kanoon_path: list[str]
    title: str
    description: str
    need_ids: list[str]
    invited_kanoon_ids: list[str]
    responses: dict[str, str] = {}  # kanoon id → joined | declined
    created_by: str
    created_at: datetime
    version: int = 0

    @classmethod
    def propose(cls, *, kanoon: KanoonView, title: str, description: str, needs: list[Need],
                invited: list[KanoonView], by: str, clock: Clock) -> tuple["ExecutiveProject", list]:
        if not needs:
            raise Invalid("a project is built from at least one need", "need_ids")
        for n in needs:
            if n.kanoon_id != kanoon.id:
                raise Invalid(f"the need {n.id} is not this kanoon's", "need_ids")
            if n.status in (NeedStatus.met, NeedStatus.closed):
                raise Conflict(f"the need {n.id} is {n.status}", "need_ids")
        if not invited:
            raise Invalid("a project asks at least one other kanoon for help", "invited_kanoon_ids")
        for k in invited:
            if k.id == kanoon.id or k.status != "active":
                raise Invalid(f"{k.id} is not another active kanoon", "invited_kanoon_ids")
        p = cls(id=clock.new_id("pj"), kanoon_id=kanoon.id, kanoon_path=kanoon.path, title=title, description=description,
                need_ids=[n.id for n in needs], invited_kanoon_ids=[k.id for k in invited], created_by=by,
                created_at=clock.now())
        return p, [ev.ProjectProposed(project_id=p.id, kanoon_id=kanoon.id, need_ids=p.need_ids,
                                      invited_kanoon_ids=p.invited_kanoon_ids, title=title, kanoon_path=kanoon.path)]

    def respond(self, kanoon_id: str, join: bool, by: str) -> list:
        if kanoon_id not in self.invited_kanoon_ids:
            raise Invalid("this kanoon was not asked to help", "kanoon_id")
        if kanoon_id in self.responses:
            raise Conflict(f"this kanoon has already {self.responses[kanoon_id]}", "kanoon_id")
        self.responses[kanoon_id] = "joined" if join else "declined"
        return [ev.ProjectAnswered(project_id=self.id, kanoon_id=kanoon_id, answer=self.responses[kanoon_id], by=by)]
