"""The monthly meeting of a city's neighborhood kanoon heads (DOMAIN §8), hosted by a different
kanoon each month: one meeting per city and Jalali month, its host one of the city's active
neighborhood kanoons that has not hosted since every other one has had its turn (so the turn goes
round), its minutes, the kanoons whose heads attended, and the next host proposed (another kanoon)."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from kernel import jalali
from kernel.errors import Conflict, Invalid

from .. import events as ev


class HeadsMeeting(BaseModel):
    id: str                   # <city>:<YYYY-MM>
    unit_id: str
    unit_path: list[str]
    month: str
    held_on: date
    host_kanoon_id: str
    minutes: str
    attended: list[str]       # kanoon ids whose head (or deputy) attended
    next_host_id: str | None = None
    recorded_by: str
    recorded_at: datetime
    version: int = 0


def check_host(host: str, kanoons: list[str], past_hosts: list[str]) -> None:
    """`kanoons`: the city's active neighborhood kanoons; `past_hosts`: the hosts of the city's
    earlier meetings, latest first. A kanoon hosts again only once every other kanoon hosted after it."""
    if host not in kanoons:
        raise Invalid("the host is one of the city's active neighborhood kanoons", "host_kanoon_id")
    if host in past_hosts:
        since = past_hosts.index(host)            # meetings held since its last turn
        waiting = set(kanoons) - {host} - set(past_hosts[:since])
        if waiting:
            raise Conflict(f"this kanoon hosted {since + 1} meeting(s) ago; the turn goes first to the "
                           f"{len(waiting)} kanoon(s) that have not hosted since", "host_kanoon_id")


def whose_turn(kanoons: list[str], past_hosts: list[str]) -> list[str]:
    """The kanoons whose turn to host has come: those that never hosted, else the one whose last
    turn is longest ago (`past_hosts` latest first)."""
    turn = [k for k in kanoons if k not in past_hosts]
    return turn or sorted(kanoons, key=lambda k: -past_hosts.index(k))[:1]


def hold(*, unit_id: str, unit_path: list[str], held_on: date, host: str, kanoons: list[str], past_hosts: list[str],
         minutes: str, attended: list[str], next_host: str | None, by: str, at: datetime, today: date
         ) -> tuple[HeadsMeeting, list]:
    if held_on > today:
        raise Invalid("a meeting is recorded once held", "held_on")
    check_host(host, kanoons, past_hosts)
    unknown = sorted(set(attended) - set(kanoons))
    if unknown:
        raise Invalid(f"not an active neighborhood kanoon of the city: {', '.join(unknown)}", "attended")
    if host not in attended:
        attended = [host, *attended]
    if next_host is not None:
        if next_host == host:
            raise Invalid("the next host is another kanoon", "next_host_id")
        if next_host not in kanoons:
            raise Invalid("the next host is one of the city's active neighborhood kanoons", "next_host_id")
    if len(minutes.strip()) < 10:
        raise Invalid("the minutes say what was discussed and decided", "minutes")
    month = str(jalali.period_of(held_on))
    m = HeadsMeeting(id=f"{unit_id}:{month}", unit_id=unit_id, unit_path=unit_path, month=month, held_on=held_on,
                     host_kanoon_id=host, minutes=minutes.strip(), attended=sorted(set(attended)),
                     next_host_id=next_host, recorded_by=by, recorded_at=at)
    return m, [ev.HeadsMeetingHeld(meeting_id=m.id, unit_id=unit_id, month=month, host_kanoon_id=host,
                                   attended=m.attended, of=len(kanoons), next_host_id=next_host)]
