"""Who is calling, which roles they hold, and which part of the tree each role covers.

A role is granted on a scope: a unit of the tree (country, region, province, city, neighborhood) or
a kanoon. A grant covers its scope and everything below it, so a target is covered when the grant's
scope id is on the target's path (its ancestors and itself, root first).
"""
from __future__ import annotations

from typing import Iterable

from pydantic import BaseModel

from .errors import Forbidden, Unauthenticated


# The one role the mechanism knows: an administrator (the Center) covers everything. Every other
# role is a name in its owner's catalogue (the registry's `domain/roles.py`); a service names the
# roles it checks as plain strings, and a contract test holds those names to the catalogue.
ADMIN = "admin"


class Grant(BaseModel):
    role: str
    scope_id: str
    scope_kind: str  # country | region | province | city | neighborhood | kanoon
    field: str | None = None  # a grant for one specialized field covers only that field's kanoons

    def covers(self, ids: set[str], field: str | None) -> bool:
        if self.scope_id not in ids:
            return False
        return self.field is None or self.field == field


class Actor(BaseModel):
    user_id: str
    person_id: str
    username: str = ""
    grants: list[Grant] = []
    kanoon_id: str | None = None  # the kanoon the person is a member of, if any

    @property
    def is_admin(self) -> bool:
        return any(g.role == ADMIN for g in self.grants)

    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def covers(self, path: Iterable[str], roles: Iterable[str] | None = None, field: str | None = None, *,
               admin: bool = True) -> bool:
        """True when a grant (of one of `roles`, if given) covers the target whose path is given;
        `field` is the target's specialized field (None for a neighborhood kanoon or a unit), which a
        grant for one field must match. An administrator covers everything, unless `admin=False`
        (what only named roles may see, such as beneficiaries' personal data)."""
        if admin and self.is_admin:
            return True
        wanted = set(roles) if roles is not None else None
        ids = set(path)
        return any(g.covers(ids, field) and (wanted is None or g.role in wanted) for g in self.grants)

    def grants_of(self, *roles: str) -> list[Grant]:
        return [g for g in self.grants if g.role in roles]


def signed_in(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("sign in first")
    return actor


def require(actor: Actor | None, path: list[str], roles, doing: str, field: str | None = None, *,
            admin: bool = True) -> Actor:
    """The actor, when one of `roles` covers the target at `path` (of specialized `field`, if any);
    else Forbidden saying why."""
    actor = signed_in(actor)
    if not actor.covers(path, roles, field, admin=admin):
        raise Forbidden(f"your roles do not cover this unit: you may not {doing}")
    return actor
