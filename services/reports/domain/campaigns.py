"""Campaigns (DOMAIN §4.4): a period, target kanoons and service types; members report
participation."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Invalid
from .. import events as ev
from .common import month_key
from .kanoons import KanoonView


class Campaign(BaseModel):
    id: str
    title: str
    description: str | None = None
    scope_id: str
    scope_path: list[str]
    starts_on: date
    ends_on: date
    target_ids: list[str] = []  # kanoons or units; empty: every kanoon in the scope
    service_types: list[str]
    announced_by: str
    announced_at: datetime

    @classmethod
    def announce(cls, *, title: str, description: str | None, scope_id: str, scope_path: list[str],
                 starts_on: date, ends_on: date, targets: dict[str, list[str]], service_types: list[str],
                 by: str, clock: Clock) -> tuple["Campaign", list]:
        """`targets` maps each targeted kanoon or unit to its path."""
        for target, path in targets.items():
            if scope_id not in path:
                raise Invalid(f"{target} is outside the campaign's scope", "target_ids")
        if ends_on < starts_on:
            raise Invalid("a campaign ends on or after the day it starts", "ends_on")
        if (ends_on - starts_on).days > 366:
            raise Invalid("a campaign lasts a year at the most", "ends_on")
        if not service_types:
            raise Invalid("a campaign names its service types", "service_types")
        c = cls(id=clock.new_id("cp"), title=title, description=description, scope_id=scope_id, scope_path=scope_path,
                starts_on=starts_on, ends_on=ends_on, target_ids=sorted(targets),
                service_types=sorted(set(service_types)), announced_by=by, announced_at=clock.now())
        return c, [ev.CampaignAnnounced(campaign_id=c.id, title=title, scope_id=scope_id, starts_on=starts_on,
                                        ends_on=ends_on, target_ids=c.target_ids, service_types=c.service_types)]

    def targets(self, kanoon: KanoonView) -> bool:
        if self.scope_id not in kanoon.path:
            return False
        return not self.target_ids or any(t in kanoon.path for t in self.target_ids)

    def check_participation(self, kanoon: KanoonView, service_type: str, day: date) -> None:
        if not self.targets(kanoon):
            raise Invalid("this campaign does not call on your kanoon", "campaign_id")
        if not self.starts_on <= day <= self.ends_on:
            raise Invalid("the day is outside the campaign's period", "day")
        if service_type not in self.service_types:
            raise Invalid("the campaign does not ask for this service type", "service_type")

    @property
    def months(self) -> list[str]:
        out, day = [], self.starts_on
        while day <= self.ends_on:
            key = month_key(day)
            if key not in out:
                out.append(key)
            day += timedelta(days=1)
        return out
