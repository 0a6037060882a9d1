"""Who is calling, which roles they hold, and which part of the tree each role covers.

A role is granted on a scope: a unit of the tree (country, region, province, city, neighborhood) or
a kanoon. A grant covers its scope and everything below it, so a target is covered when the grant's
scope id is on the target's path (its ancestors and itself, root first).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Iterable

from pydantic import BaseModel

from .errors import Forbidden, Unauthenticated


class Role(StrEnum):
    admin = "admin"
    coordination_council = "coordination_council"
    province_manager = "province_manager"
    secretariat_head = "secretariat_head"
    finance_expert = "finance_expert"
    vows_expert = "vows_expert"
    support_expert = "support_expert"
    pr_head = "pr_head"
    planning_head = "planning_head"
    oversight_head = "oversight_head"
    selection_liaison = "selection_liaison"
    khademyari_deputy = "khademyari_deputy"
    system_head = "system_head"
    network_development_head = "network_development_head"
    training_head = "training_head"
    evaluation_head = "evaluation_head"
    cultural_deputy = "cultural_deputy"
    social_deputy = "social_deputy"
    neighborhood_deputy = "neighborhood_deputy"
    specialized_secretary = "specialized_secretary"
    city_secretary = "city_secretary"
    kanoon_head = "kanoon_head"
    kanoon_deputy = "kanoon_deputy"
    protection_committee = "protection_committee"


# The level of the tree a role is granted at (DOMAIN §1).
ROLE_LEVEL: dict[Role, str] = {r: "province" for r in Role}
ROLE_LEVEL.update({
    Role.admin: "country",
    Role.city_secretary: "city",
    Role.kanoon_head: "kanoon",
    Role.kanoon_deputy: "kanoon",
})

KANOON_OFFICIALS = frozenset({Role.kanoon_head, Role.kanoon_deputy})
# Province staff who supervise the network of kanoons and members (§2); the oversight group too.
NETWORK_STAFF = frozenset({
    Role.province_manager, Role.khademyari_deputy, Role.network_development_head,
    Role.system_head, Role.neighborhood_deputy, Role.cultural_deputy, Role.social_deputy,
    Role.specialized_secretary, Role.city_secretary, Role.oversight_head, Role.planning_head,
    Role.evaluation_head,
})


class Grant(BaseModel):
    role: Role
    scope_id: str
    scope_kind: str  # country | region | province | city | neighborhood | kanoon
    field: str | None = None


class Actor(BaseModel):
    user_id: str
    person_id: str
    username: str = ""
    grants: list[Grant] = []
    kanoon_id: str | None = None  # the kanoon the person is a member of, if any

    @property
    def is_admin(self) -> bool:
        return any(g.role == Role.admin for g in self.grants)

    def roles(self) -> set[Role]:
        return {g.role for g in self.grants}

    def covers(self, path: Iterable[str], roles: Iterable[Role] | None = None) -> bool:
        """True when a grant (of one of `roles`, if given) covers the target whose path is given.
        An administrator covers everything."""
        if self.is_admin:
            return True
        wanted = set(roles) if roles is not None else None
        ids = set(path)
        return any(g.scope_id in ids and (wanted is None or g.role in wanted) for g in self.grants)

    def grants_of(self, *roles: Role) -> list[Grant]:
        return [g for g in self.grants if g.role in roles]


def signed_in(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("sign in first")
    return actor


def require(actor: Actor | None, path: list[str], roles, doing: str) -> Actor:
    """The actor, when one of `roles` covers the target at `path`; else Forbidden saying why."""
    actor = signed_in(actor)
    if not actor.covers(path, roles):
        raise Forbidden(f"your roles do not cover this unit: you may not {doing}")
    return actor
