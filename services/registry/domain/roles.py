"""The role catalogue (DOMAIN §1) and role assignments (§2.7). The registry owns the catalogue: a
new role is added here and nowhere else; other services name the roles they check as strings, held
to this list by a contract test (tests/unit/test_event_contracts.py)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.access import ADMIN
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev


class Role(StrEnum):
    admin = ADMIN                        # the Center's administrators
    coordination_council = "coordination_council"
    province_manager = "province_manager"
    secretariat_head = "secretariat_head"
    province_secretary = "province_secretary"
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
    quality_evaluation_group = "quality_evaluation_group"
    cultural_deputy = "cultural_deputy"
    social_deputy = "social_deputy"
    neighborhood_deputy = "neighborhood_deputy"
    specialized_secretary = "specialized_secretary"
    sponsoring_institution = "sponsoring_institution"
    city_secretary = "city_secretary"
    county_liaison = "county_liaison"
    kanoon_head = "kanoon_head"
    kanoon_deputy = "kanoon_deputy"
    protection_committee = "protection_committee"


# The levels of the tree a role is granted at (DOMAIN §1); most are the province's.
ROLE_LEVELS: dict[Role, frozenset[str]] = {r: frozenset({"province"}) for r in Role}
ROLE_LEVELS.update({
    Role.admin: frozenset({"country"}),
    Role.city_secretary: frozenset({"city"}),
    Role.county_liaison: frozenset({"city"}),
    Role.kanoon_head: frozenset({"kanoon"}),
    Role.kanoon_deputy: frozenset({"kanoon"}),
    Role.protection_committee: frozenset({"province", "country"}),   # province or the Center
    Role.sponsoring_institution: frozenset({"province", "country"}),
})
# Roles held for one specialized field (a grant's `field`).
FIELD_ROLES = frozenset({Role.specialized_secretary, Role.sponsoring_institution})

KANOON_OFFICIALS = frozenset({Role.kanoon_head, Role.kanoon_deputy})
# Province staff who supervise the network of kanoons and members (§2); the oversight group too.
NETWORK_STAFF = frozenset({
    Role.province_manager, Role.khademyari_deputy, Role.network_development_head,
    Role.system_head, Role.neighborhood_deputy, Role.cultural_deputy, Role.social_deputy,
    Role.specialized_secretary, Role.city_secretary, Role.oversight_head, Role.planning_head,
    Role.evaluation_head,
})
OFFICIALS_AND_STAFF = KANOON_OFFICIALS | NETWORK_STAFF
# A kanoon's head and deputy change only through a handover (domain/leadership.py).
LEADERSHIP_ROLES = KANOON_OFFICIALS


class RoleAssignment(BaseModel):
    id: str
    person_id: str
    role: Role
    scope_id: str
    scope_kind: str
    scope_path: list[str]
    field: str | None = None
    valid_from: date
    valid_to: date | None = None
    assigned_by: str
    revoked_at: datetime | None = None

    def active_on(self, day: date) -> bool:
        return (self.revoked_at is None and self.valid_from <= day
                and (self.valid_to is None or day <= self.valid_to))

    @classmethod
    def assign(cls, *, person_id: str, role: Role, scope_id: str, scope_kind: str, scope_path: list[str],
               valid_from: date, valid_to: date | None, by: str, clock: Clock, field: str | None = None
               ) -> tuple["RoleAssignment", list]:
        levels = ROLE_LEVELS[role]
        if scope_kind not in levels:
            where = " or ".join(sorted(levels))
            raise Invalid(f"{role} is held at {where} level, not at {scope_kind} level", "scope_id")
        if valid_to is not None and valid_to < valid_from:
            raise Invalid("the period ends before it starts", "valid_to")
        if role in FIELD_ROLES and not field:
            raise Invalid(f"{role} is held for one specialized field: name it", "field")
        if role not in FIELD_ROLES and field:
            raise Invalid(f"{role} is not held for a field", "field")
        a = cls(id=clock.new_id("ra"), person_id=person_id, role=role, scope_id=scope_id,
                scope_kind=scope_kind, scope_path=scope_path, field=field, valid_from=valid_from,
                valid_to=valid_to, assigned_by=by)
        return a, [ev.RoleAssigned(assignment_id=a.id, person_id=person_id, role=role, scope_id=scope_id,
                                   scope_kind=scope_kind, scope_path=scope_path, field=field,
                                   valid_from=valid_from, valid_to=valid_to)]

    def revoke(self, clock: Clock) -> list:
        if self.revoked_at is not None:
            raise Conflict("the role is already revoked", "assignment_id")
        self.revoked_at = clock.now()
        return [ev.RoleRevoked(assignment_id=self.id, person_id=self.person_id, role=self.role,
                               scope_id=self.scope_id)]
