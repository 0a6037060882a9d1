"""Who may do what in the registry: each check names the roles that may act and the target whose
path they must cover (kernel.access), with the target's specialized field where it has one. They
raise Forbidden with a sentence saying why."""
from __future__ import annotations

from kernel.access import Actor, require, signed_in  # noqa: F401
from kernel.errors import Forbidden

from .kanoons import POLICY_OWNER, Kanoon, KanoonKind, KanoonStatus
from .people import Person
from .roles import KANOON_OFFICIALS, LEADERSHIP_ROLES, NETWORK_STAFF, OFFICIALS_AND_STAFF, Role  # noqa: F401

# Who names whom (§1): the province manager staffs the province; the khademyari deputy names the
# county liaisons, and a city secretary the liaison of their own county (for its specialized
# kanoons); an administrator names the top and the bodies that choose a province manager.
ROLE_GRANTORS = {Role.province_manager}
DELEGATED = {Role.county_liaison: {Role.province_manager, Role.khademyari_deputy, Role.city_secretary}}
ADMIN_ONLY_ROLES = {Role.admin, Role.province_manager, Role.coordination_council, Role.protection_committee,
                    Role.sponsoring_institution}
# Who may find people by name, national ID, mobile or service code (§2.5: placing members).
PEOPLE_FINDERS = NETWORK_STAFF | {Role.selection_liaison, Role.county_liaison}


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


def request_kanoon(actor: Actor | None, unit_path: list[str], head_id: str, deputy_id: str,
                   field: str | None) -> None:
    actor = signed_in(actor)
    if actor.person_id in (head_id, deputy_id):
        return
    require(actor, unit_path, NETWORK_STAFF, "request a kanoon for others here", field)


def formation_step(actor: Actor | None, kanoon: Kanoon) -> None:
    actor = signed_in(actor)
    if actor.person_id in (kanoon.head_id, kanoon.deputy_id):
        return
    require(actor, kanoon.unit_path, NETWORK_STAFF, "record this kanoon's formation", kanoon.field)


def deciders(kanoon: Kanoon, in_capital: bool) -> tuple[set[Role], str]:
    """Who decides a kanoon's formation and the handovers of its leadership (§2.2): the city
    secretary for a neighborhood kanoon in a county; the neighborhood-kanoons deputy with the
    province manager in the provincial capital; the province manager, on the cultural or social
    deputy's proposal, for a specialized kanoon."""
    if kanoon.kind == KanoonKind.specialized:
        return {Role.province_manager}, "the province manager decides for specialized kanoons"
    if in_capital:
        return ({Role.neighborhood_deputy, Role.province_manager},
                "in the provincial capital the neighborhood-kanoons deputy or the province manager decides")
    return {Role.city_secretary}, "the city secretary decides for the kanoons of the county"


def import_kanoon(actor: Actor | None, kanoon: Kanoon, in_capital: bool) -> None:
    """A kanoon on HQ's list (formed on paper) is recorded by those who decide its formation, or by
    the province's network heads who keep the province's lists (docs/decisions.md, Imports)."""
    roles, who = deciders(kanoon, in_capital)
    require(actor, kanoon.unit_path, roles | {Role.province_manager, Role.khademyari_deputy,
                                              Role.network_development_head},
            f"record this kanoon from a list ({who}, or the province's network heads)", kanoon.field)


def decide_formation(actor: Actor | None, kanoon: Kanoon, in_capital: bool) -> None:
    roles, who = deciders(kanoon, in_capital)
    require(actor, kanoon.unit_path, roles, f"approve or reject this kanoon ({who})")


def decide_handover(actor: Actor | None, kanoon: Kanoon, in_capital: bool) -> None:
    roles, who = deciders(kanoon, in_capital)
    require(actor, kanoon.unit_path, roles, f"hand over this kanoon's leadership ({who})")


def orient(actor: Actor | None, kanoon: Kanoon, audience: str) -> None:
    if audience == "head":
        require(actor, kanoon.unit_path, {Role.city_secretary}, "record the head's orientation")
    else:
        require(actor, kanoon.path, KANOON_OFFICIALS | {Role.city_secretary}, "record members' orientation")


def view_kanoon(actor: Actor | None, kanoon: Kanoon) -> None:
    actor = signed_in(actor)
    if kanoon.status == KanoonStatus.active or actor.person_id in (kanoon.head_id, kanoon.deputy_id):
        return
    require(actor, kanoon.path, OFFICIALS_AND_STAFF, "see a kanoon that is not yet active", kanoon.field)


def edit_profile(actor: Actor | None, kanoon: Kanoon) -> None:
    require(actor, kanoon.path, OFFICIALS_AND_STAFF, "edit this kanoon's profile", kanoon.field)


def set_policy(actor: Actor | None, province_path: list[str], kanoon_type: str) -> None:
    require(actor, province_path, {POLICY_OWNER[kanoon_type]},
            f"set the floor and ceiling of {kanoon_type} kanoons (the responsible deputy does)")


def set_province_settings(actor: Actor | None, province_path: list[str]) -> None:
    require(actor, province_path, {Role.province_manager, Role.khademyari_deputy},
            "change this province's settings")


# Who may import a list (§8): as who may do what each row does; every row is checked again.
IMPORTERS = {
    "members": NETWORK_STAFF | {Role.selection_liaison},
    "units": {Role.city_secretary, Role.province_manager, Role.neighborhood_deputy},
    "kanoons": {Role.province_manager, Role.khademyari_deputy, Role.network_development_head,
                Role.neighborhood_deputy, Role.specialized_secretary, Role.city_secretary},
}


def import_lists(actor: Actor | None, kind: str) -> Actor:
    actor = signed_in(actor)
    if not actor.is_admin and not actor.grants_of(*IMPORTERS.get(kind, ())):
        raise Forbidden(f"your roles do not let you import {kind}")
    return actor


def register_member(actor: Actor | None, city_path: list[str]) -> None:
    require(actor, city_path, NETWORK_STAFF | {Role.selection_liaison}, "register members in this city")


def person_path(person: Person) -> list[str]:
    return person.kanoon_path or person.city_path


def view_person(actor: Actor | None, person: Person, field: str | None) -> None:
    """`field`: the specialized field of the person's kanoon, if any."""
    actor = signed_in(actor)
    if actor.person_id == person.id:
        return
    require(actor, person_path(person), OFFICIALS_AND_STAFF, "see this person's record", field)


def find_people(actor: Actor | None, unit_path: list[str]) -> Actor:
    return require(actor, unit_path, PEOPLE_FINDERS | KANOON_OFFICIALS, "search people here")


def change_membership(actor: Actor | None, person: Person, kanoon: Kanoon, doing: str) -> None:
    actor = signed_in(actor)
    if actor.person_id == person.id:
        return
    require(actor, kanoon.path, OFFICIALS_AND_STAFF, doing, kanoon.field)


def see_unplaced(actor: Actor | None, person: Person, city_path: list[str]) -> None:
    actor = signed_in(actor)
    if actor.person_id != person.id:
        require(actor, city_path, OFFICIALS_AND_STAFF, "see this person's membership")


def request_transfer(actor: Actor | None, person: Person, origin: Kanoon) -> None:
    change_membership(actor, person, origin, "ask a transfer for this member")


def decide_transfer_side(actor: Actor | None, kanoon: Kanoon, side: str) -> None:
    """Each side is decided by that kanoon's own head or deputy (§2.5): nobody above the kanoons
    decides for them, so no one person can approve both sides."""
    actor = signed_in(actor)
    if not any(g.scope_id == kanoon.id for g in actor.grants_of(*KANOON_OFFICIALS)):
        raise Forbidden(f"the {side} kanoon's own head or deputy decides for it")


def cancel_transfer(actor: Actor | None, person: Person, requested_by: str, origin: Kanoon) -> None:
    actor = signed_in(actor)
    if actor.person_id in (person.id, requested_by):
        return
    require(actor, origin.path, KANOON_OFFICIALS, "cancel this transfer (the member or who asked for it may)")


def submit_application(actor: Actor | None, city_path: list[str], official_of: list[list[str]] = ()) -> None:
    """Network staff and the selection liaison over the city; a kanoon's head or deputy for their
    own kanoon's city (they introduce yavars and khademyars from their neighborhood). `official_of`:
    the paths of the kanoons whose head or deputy the caller is."""
    actor = signed_in(actor)
    if any(city_path[-1] in path for path in official_of):
        return
    require(actor, city_path, NETWORK_STAFF | {Role.selection_liaison}, "submit applications in this city")


def vet(actor: Actor | None, city_path: list[str]) -> None:
    require(actor, city_path, {Role.selection_liaison}, "vet applicants of this province")


def view_applications(actor: Actor | None, city_path: list[str]) -> None:
    require(actor, city_path, NETWORK_STAFF | {Role.selection_liaison}, "see applications of this unit")


def assign_role(actor: Actor | None, role: Role, scope_path: list[str]) -> None:
    actor = signed_in(actor)
    if role in LEADERSHIP_ROLES:
        raise Forbidden("a kanoon's head and deputy change through a handover "
                        "(POST /api/registry/kanoons/{id}/handover), which checks their eligibility")
    if actor.is_admin:
        return
    if role in ADMIN_ONLY_ROLES:
        raise Forbidden(f"only an administrator may assign the role {role}")
    require(actor, scope_path, ROLE_GRANTORS | DELEGATED.get(role, set()), "assign roles in this unit")


def manage_accounts(actor: Actor | None, person: Person) -> None:
    actor = signed_in(actor)
    if actor.is_admin:
        return
    require(actor, person_path(person), {Role.province_manager, Role.system_head},
            "create sign-in accounts for this person")


def view_figures(actor: Actor | None, path: list[str], field: str | None = None) -> None:
    require(actor, path, OFFICIALS_AND_STAFF, "see figures of this unit", field)
