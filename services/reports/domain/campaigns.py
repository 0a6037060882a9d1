"""Campaigns (DOMAIN §4.4): at Center, province, county or neighborhood level, with a period,
target kanoons and service types; members report participation. Local (county or neighborhood)
campaigns are drafted by the province's planning head and announced when the province manager
approves them; a sponsoring institution's campaign is for its field's kanoons only."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
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
    field: str | None = None             # a sponsoring institution's campaign: that field's kanoons
    occasion_id: str | None = None       # the occasion of the calendar it is tied to (the festival's)
    status: str = "announced"            # draft (a local campaign awaiting the manager) | announced
    drafted_by: str | None = None
    announced_by: str | None = None
    announced_at: datetime | None = None
    version: int = 0

    @classmethod
    def announce(cls, *, title: str, description: str | None, scope_id: str, scope_path: list[str],
                 starts_on: date, ends_on: date, targets: dict[str, list[str]], service_types: list[str],
                 by: str, clock: Clock, field: str | None = None, draft: bool = False,
                 occasion: dict | None = None) -> tuple["Campaign", list]:
        """`targets` maps each targeted kanoon or unit to its path. A `draft` waits for approval.
        `occasion`: the calendar's occasion it is tied to (as the festival service published it)."""
        if occasion is not None and occasion["scope_id"] not in scope_path:
            raise Invalid("the occasion is another province's", "occasion_id")
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
                service_types=sorted(set(service_types)), field=field, drafted_by=by, status="draft",
                occasion_id=occasion["_id"] if occasion else None)
        if draft:
            return c, [ev.CampaignDrafted(campaign_id=c.id, title=title, scope_id=scope_id, by=by)]
        return c, c.approve(by, clock, own=True)

    def approve(self, by: str, clock: Clock, own: bool = False) -> list:
        """The province manager announces a drafted local campaign (not their own draft, §4.4)."""
        if self.status != "draft":
            raise Conflict(f"the campaign is {self.status}; only a draft is approved", "status")
        if not own and by == self.drafted_by:
            raise Conflict("a campaign is approved by someone other than who drafted it", "campaign_id")
        self.status, self.announced_by, self.announced_at = "announced", by, clock.now()
        return [ev.CampaignAnnounced(campaign_id=self.id, title=self.title, scope_id=self.scope_id,
                                     starts_on=self.starts_on, ends_on=self.ends_on, target_ids=self.target_ids,
                                     service_types=self.service_types, field=self.field,
                                     occasion_id=self.occasion_id)]

    def targets(self, kanoon: KanoonView) -> bool:
        if self.scope_id not in kanoon.path:
            return False
        if self.field is not None and kanoon.field != self.field:
            return False
        return not self.target_ids or any(t in kanoon.path for t in self.target_ids)

    def check_participation(self, kanoon: KanoonView, service_type: str, day: date) -> None:
        if self.status != "announced":
            raise Invalid("the campaign is not announced yet", "campaign_id")
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
