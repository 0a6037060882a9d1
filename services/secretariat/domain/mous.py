"""Memoranda of understanding with other bodies (DOMAIN §8): their parties, subject and dates; the
timer raises the renewal notice once when the end comes within its notice days; a renewal extends
the end (and notices again before the new one)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Invalid

from .. import events as ev

DEFAULT_NOTICE_DAYS = 60


class Renewal(BaseModel):
    ends_on: date
    by: str
    at: datetime


class Mou(BaseModel):
    id: str
    province_id: str
    province_path: list[str]
    title: str
    parties: list[str]            # the other bodies
    subject: str
    signed_on: date
    starts_on: date
    ends_on: date
    notice_days: int = DEFAULT_NOTICE_DAYS
    notified_for: date | None = None    # the end whose renewal notice was raised
    renewals: list[Renewal] = []
    registered_by: str
    version: int = 0

    @classmethod
    def register(cls, *, province_id: str, province_path: list[str], title: str, parties: list[str], subject: str,
                 signed_on: date, starts_on: date, ends_on: date, notice_days: int | None, by: str,
                 clock: Clock) -> tuple["Mou", list]:
        parties = [p.strip() for p in parties if p and p.strip()]
        if not parties:
            raise Invalid("a memorandum names the other bodies", "parties")
        if signed_on > clock.today():
            raise Invalid("a memorandum cannot be signed in the future", "signed_on")
        if ends_on <= starts_on:
            raise Invalid("a memorandum ends after it starts", "ends_on")
        m = cls(id=clock.new_id("mou"), province_id=province_id, province_path=province_path, title=title,
                parties=parties, subject=subject, signed_on=signed_on, starts_on=starts_on, ends_on=ends_on,
                notice_days=DEFAULT_NOTICE_DAYS if notice_days is None else notice_days, registered_by=by)
        return m, [ev.MouSigned(mou_id=m.id, province_id=province_id, title=title, parties=parties,
                                starts_on=starts_on, ends_on=ends_on)]

    def renew(self, ends_on: date, by: str, clock: Clock) -> list:
        if ends_on <= self.ends_on:
            raise Invalid("a renewal moves the end later", "ends_on")
        self.renewals.append(Renewal(ends_on=ends_on, by=by, at=clock.now()))
        self.ends_on = ends_on
        return [ev.MouRenewed(mou_id=self.id, province_id=self.province_id, ends_on=ends_on)]

    def in_force(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on

    def due(self, today: date) -> list:
        """The renewal notice, once per end, when the end is within `notice_days` (or past)."""
        if self.notified_for == self.ends_on or today < self.ends_on - timedelta(days=self.notice_days):
            return []
        self.notified_for = self.ends_on
        return [ev.MouRenewalDue(mou_id=self.id, province_id=self.province_id, title=self.title, ends_on=self.ends_on,
                                 expired=today > self.ends_on)]
