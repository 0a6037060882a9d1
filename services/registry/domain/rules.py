"""Who may do what in the registry: each check names the roles that may act and the target whose
path they must cover (kernel.access). They raise Forbidden with a sentence saying why."""
from __future__ import annotations

from kernel.access import KANOON_OFFICIALS, NETWORK_STAFF, Actor, Role, require, signed_in  # noqa: F401
from kernel.errors import Forbidden

from .model import POLICY_OWNER, Kanoon, KanoonStatus, Person

OFFICIALS_AND_STAFF = KANOON_OFFICIALS | NETWORK_STAFF
ROLE_GRANTORS = {Role.province_manager}
# Roles only an administrator grants: the tree's top and the bodies that choose a province manager.
ADMIN_ONLY_ROLES = {Role.admin, Role.province_manager, Role.coordination_council, Role.protection_committee}


def admin(actor: Actor | None, doing: str) -> Actor:
    actor = signed_in(actor)
    if not actor.is_admin:
        raise Forbidden(f"only an administrator may {doing}")
    return actor


def manage_units(actor: Actor | None, parent_path: list[str], kind: str) -> None:
    if kind == "neighborhood":
        require(actor, parent_path, {Role.city_secretary, Role.province_manager, Role.neighborhood_deputy},
                "add neighborhoods here")
    else:
        admin(actor, "change the country's tree above neighborhoods")


def request_kanoon(actor: Actor | None, unit_path: list[str], head_id: str, deputy_id: str) -> None:
    actor = signed_in(actor)
    if actor.person_id in (head_id, deputy_id):
        return
    require(actor, unit_path, NETWORK_STAFF, "request a kanoon for others here")


def formation_step(actor: Actor | None, kanoon: Kanoon) -> None:
    actor = signed_in(actor)
    if actor.person_id in (kanoon.head_id, kanoon.deputy_id):
        return
    require(actor, kanoon.unit_path, NETWORK_STAFF, "record this kanoon's formation")


def decide_formation(actor: Actor | None, kanoon: Kanoon) -> None:
    require(actor, kanoon.unit_path, {Role.city_secretary}, "approve or reject kanoons of this city")


def orient(actor: Actor | None, kanoon: Kanoon, audience: str) -> None:
    if audience == "head":
        require(actor, kanoon.unit_path, {Role.city_secretary}, "record the head's orientation")
    else:
        require(actor, kanoon.path, KANOON_OFFICIALS | {Role.city_secretary}, "record members' orientation")


def view_kanoon(actor: Actor | None, kanoon: Kanoon) -> None:
    actor = signed_in(actor)
    if kanoon.status == KanoonStatus.active or actor.person_id in (kanoon.head_id, kanoon.deputy_id):
        return
    require(actor, kanoon.path, OFFICIALS_AND_STAFF, "see a kanoon that is not yet active")


def set_policy(actor: Actor | None, province_path: list[str], kanoon_type: str) -> None:
    require(actor, province_path, {POLICY_OWNER[kanoon_type]},
            f"set the floor and ceiling of {kanoon_type} kanoons (the responsible deputy does)")


def register_member(actor: Actor | None, city_path: list[str]) -> None:
    require(actor, city_path, NETWORK_STAFF | {Role.selection_liaison}, "register members in this city")


def person_path(person: Person) -> list[str]:
    return person.kanoon_path or person.city_path


def view_person(actor: Actor | None, person: Person) -> None:
    actor = signed_in(actor)
    if actor.person_id == person.id:
        return
    require(actor, person_path(person), OFFICIALS_AND_STAFF, "see this person's record")


def change_membership(actor: Actor | None, person: Person, kanoon: Kanoon, doing: str) -> None:
    actor = signed_in(actor)
    if actor.person_id == person.id:
        return
    require(actor, kanoon.path, OFFICIALS_AND_STAFF, doing)


def decide_transfer_side(actor: Actor | None, kanoon: Kanoon, side: str) -> None:
    require(actor, kanoon.path, OFFICIALS_AND_STAFF, f"decide for the {side} kanoon of this transfer")


def submit_application(actor: Actor | None, city_path: list[str]) -> None:
    actor = signed_in(actor)
    if actor.grants_of(*KANOON_OFFICIALS):
        return  # kanoon heads introduce yavars and khademyars from their neighborhood
    require(actor, city_path, NETWORK_STAFF | {Role.selection_liaison}, "submit applications in this city")


def vet(actor: Actor | None, city_path: list[str]) -> None:
    require(actor, city_path, {Role.selection_liaison}, "vet applicants of this province")


def view_applications(actor: Actor | None, city_path: list[str]) -> None:
    require(actor, city_path, NETWORK_STAFF | {Role.selection_liaison}, "see applications of this unit")


def assign_role(actor: Actor | None, role: Role, scope_path: list[str]) -> None:
    actor = signed_in(actor)
    if actor.is_admin:
        return
    if role in ADMIN_ONLY_ROLES:
        raise Forbidden(f"only an administrator may assign the role {role}")
    require(actor, scope_path, ROLE_GRANTORS, "assign roles in this unit")


def manage_accounts(actor: Actor | None, person: Person) -> None:
    actor = signed_in(actor)
    if actor.is_admin:
        return
    require(actor, person_path(person), {Role.province_manager, Role.system_head},
            "create sign-in accounts for this person")


def view_figures(actor: Actor | None, path: list[str]) -> None:
    require(actor, path, OFFICIALS_AND_STAFF, "see figures of this unit")
