"""Membership (DOMAIN §2.4, §2.5): each member chooses one kanoon; joining beyond the ceiling is
refused. Leaving is always possible, but a move to another kanoon soon after leaving one is a
transfer, which both kanoons approve (docs/decisions.md, "Moving between kanoons")."""
from __future__ import annotations

from datetime import timedelta

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .kanoons import Kanoon, MembershipPolicy
from .people import Person
from .settings import ProvinceSettings


def within_move_window(person: Person, kanoon_id: str, settings: ProvinceSettings, clock: Clock) -> bool:
    """True when joining `kanoon_id` now would move the person from the kanoon they left recently."""
    return (person.left_kanoon_id is not None and person.left_kanoon_id != kanoon_id
            and person.left_at is not None
            and clock.now() - person.left_at < timedelta(days=settings.move_window_days))


def join(person: Person, kanoon: Kanoon, policy: MembershipPolicy, clock: Clock, *,
         settings: ProvinceSettings | None = None, via: str = "join") -> list:
    """`via` is join (the member's or an official's choice), formation, transfer or handover; a
    plain join checks the move window (`settings` of the province the person left)."""
    if not person.is_member_kind:
        raise Invalid("only khademyars and yavars are members of a kanoon", "person_id")
    if person.kanoon_id is not None:
        raise Conflict("already a member of a kanoon; ask for a transfer instead", "person_id")
    if via == "join" and settings is not None and within_move_window(person, kanoon.id, settings, clock):
        left = jalali.format_date(person.left_at)
        raise Conflict(f"left another kanoon on {left}; moving to a new kanoon within "
                       f"{settings.move_window_days} days of leaving is a transfer that both kanoons "
                       "approve: ask for one", "kanoon_id")
    kanoon.admit(policy)
    person.kanoon_id = kanoon.id
    person.kanoon_path = kanoon.path
    return [ev.MemberJoined(person_id=person.id, kanoon_id=kanoon.id, kanoon_path=kanoon.path,
                            member_kind=person.kind, member_count=kanoon.member_count,
                            ceiling=policy.ceiling, below_floor=kanoon.flags(policy)["below_floor"],
                            via=via)]


def leave(person: Person, kanoon: Kanoon, policy: MembershipPolicy, clock: Clock, via: str = "leave") -> list:
    if person.kanoon_id != kanoon.id:
        raise Conflict("not a member of this kanoon", "person_id")
    if via == "leave" and person.id in (kanoon.head_id, kanoon.deputy_id):
        raise Conflict("the head and the deputy cannot leave their kanoon; hand the role over first",
                       "person_id")
    kanoon.release()
    person.kanoon_id = None
    person.kanoon_path = []
    person.left_kanoon_id = kanoon.id
    person.left_at = clock.now()
    return [ev.MemberLeft(person_id=person.id, kanoon_id=kanoon.id, member_count=kanoon.member_count,
                          below_floor=kanoon.flags(policy)["below_floor"], via=via)]
