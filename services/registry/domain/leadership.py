"""A kanoon's head and deputy (DOMAIN §2.2, §2.3): they take office when the kanoon is approved, and
change only through a handover, which the kanoon's decider approves after the same checks as at
formation. Every decision that makes someone head or deputy checks the protection committee's
rulings in force on the day it is taken (§6.3), whatever was checked when the person was proposed.
The role assignments are the one source of truth for who leads; the kanoon's `head_id` and
`deputy_id` follow them in the same transaction."""
from __future__ import annotations

from datetime import date
from typing import Callable

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.rulings import Restriction
from .. import events as ev
from .kanoons import (Kanoon, KanoonStatus, MembershipPolicy, check_attestations, check_deputy_eligibility,
                      check_head_eligibility, check_rulings)
from .membership import join, leave
from .people import Person
from .roles import Role, RoleAssignment

POSITIONS = {"head": Role.kanoon_head, "deputy": Role.kanoon_deputy}


def approve_formation(k: Kanoon, *, head: Person, deputy: Person, head_rulings: list[Restriction],
                      deputy_rulings: list[Restriction], attestations: dict, founding_date: date,
                      policy: MembershipPolicy, previous: Callable[[str], tuple[Kanoon, MembershipPolicy]],
                      by: str, clock: Clock) -> tuple[list[RoleAssignment], list]:
    """Approve a submitted kanoon: the head and deputy become its first members (leaving any kanoon
    they were in; `previous(kanoon_id)` loads it with its policy) and take their roles.
    `head_rulings`, `deputy_rulings`: the committee's rulings about each, checked as of today — a
    request filed before a ruling is not approved after it."""
    k.require_submitted("approved")
    check_rulings("head", head_rulings, clock.today(), "head_id")
    check_rulings("deputy", deputy_rulings, clock.today(), "deputy_id")
    out = k.approve(by=by, attestations=attestations, founding_date=founding_date, head=head, clock=clock)
    assignments = []
    for person, role in ((head, Role.kanoon_head), (deputy, Role.kanoon_deputy)):
        if person.kanoon_id:
            old, old_policy = previous(person.kanoon_id)
            out += leave(person, old, old_policy, clock, via="formation")
        out += join(person, k, policy, clock, via="formation")
        a, events = RoleAssignment.assign(
            person_id=person.id, role=role, scope_id=k.id, scope_kind="kanoon", scope_path=k.path,
            valid_from=founding_date, valid_to=None, by=by, clock=clock)
        assignments.append(a)
        out += events
    return assignments, out


def hand_over(k: Kanoon, position: str, *, successor: Person, current: RoleAssignment | None,
              restrictions: list[Restriction], attestations: dict, by: str, clock: Clock
              ) -> tuple[RoleAssignment, list]:
    """The head's or deputy's office passes to `successor`, a member of the kanoon who meets §2.3
    (a head's attested items recorded anew) and whom no ruling in force today (`restrictions`, the
    committee's rulings about them) bars; the current holder's role ends with the same event. One
    person holds one office: to make the deputy head, name a new deputy first."""
    if position not in POSITIONS:
        raise Invalid("position is head or deputy", "position")
    if k.status != KanoonStatus.active:
        raise Conflict("leadership changes hands in an active kanoon", "kanoon_id")
    role = POSITIONS[position]
    holder = k.head_id if position == "head" else k.deputy_id
    other = k.deputy_id if position == "head" else k.head_id
    if successor.id == holder:
        raise Conflict(f"this person is already the kanoon's {position}", "person_id")
    if successor.id == other:
        raise Conflict(f"the {'deputy' if position == 'head' else 'head'} cannot also be the {position}; "
                       "hand that office over first", "person_id")
    if successor.kanoon_id != k.id:
        raise Conflict(f"the new {position} must be a member of this kanoon", "person_id")
    recorded = {}
    if position == "head":
        check_head_eligibility(successor, "person_id")
        recorded = check_attestations(attestations)
    else:
        check_deputy_eligibility(successor, "person_id")
    check_rulings(position, restrictions, clock.today(), "person_id")
    out = []
    if current is not None:
        out += current.revoke(clock)
    assignment, events = RoleAssignment.assign(
        person_id=successor.id, role=role, scope_id=k.id, scope_kind="kanoon", scope_path=k.path,
        valid_from=clock.today(), valid_to=None, by=by, clock=clock)
    out += events
    if position == "head":
        k.head_id = successor.id
        k.attestations = recorded
    else:
        k.deputy_id = successor.id
    out.append(ev.KanoonLeadershipHandedOver(
        kanoon_id=k.id, position=position, from_person_id=holder, to_person_id=successor.id,
        assignment_id=assignment.id, by=by))
    return assignment, out
