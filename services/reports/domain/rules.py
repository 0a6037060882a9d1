"""Who may do what in the reports service. The caller's identity comes with the request; their
roles and membership come from this service's read model of the registry's events."""
from __future__ import annotations

from kernel.access import Actor, require, signed_in
from kernel.errors import Forbidden

from .kanoons import KanoonView
from .reports import ActivityReport

# The roles this service checks, by their names in the registry's catalogue (its domain/roles.py;
# tests/unit/test_event_contracts.py holds every name here to that catalogue).
KANOON_OFFICIALS = frozenset({"kanoon_head", "kanoon_deputy"})
NETWORK_STAFF = frozenset({
    "province_manager", "khademyari_deputy", "network_development_head", "system_head",
    "neighborhood_deputy", "cultural_deputy", "social_deputy", "specialized_secretary", "city_secretary",
    "oversight_head", "planning_head", "evaluation_head",
})
CITY_SECRETARY = frozenset({"city_secretary"})
EVALUATION_HEAD = frozenset({"evaluation_head"})
OFFICIALS_AND_STAFF = KANOON_OFFICIALS | NETWORK_STAFF
PROVINCE_PLANNERS = frozenset({"province_manager", "khademyari_deputy", "system_head", "planning_head"})
# Beneficiaries' personal data: the kanoon's officials and the oversight group only (§3).
BENEFICIARY_READERS = KANOON_OFFICIALS | {"oversight_head"}
ROLE_NAMES = (KANOON_OFFICIALS | NETWORK_STAFF | CITY_SECRETARY | EVALUATION_HEAD | PROVINCE_PLANNERS
              | BENEFICIARY_READERS)


def report_for(actor: Actor | None, member_kanoon: str | None, kanoon: KanoonView) -> Actor:
    actor = signed_in(actor)
    if member_kanoon != kanoon.id:
        raise Forbidden("you report only for the kanoon you are a member of now")
    return actor


def review_report(actor: Actor | None, report: ActivityReport) -> Actor:
    return require(actor, report.kanoon_path, KANOON_OFFICIALS,
                   "approve or reject reports: that is for the head or deputy of the reporter's kanoon")


def return_report(actor: Actor | None, report: ActivityReport) -> Actor:
    return require(actor, report.kanoon_path, CITY_SECRETARY, "return this approved report")


def flag_report(actor: Actor | None, report: ActivityReport) -> Actor:
    return require(actor, report.kanoon_path, EVALUATION_HEAD, "flag reports' quality here")


def view_report(actor: Actor | None, report: ActivityReport) -> Actor:
    actor = signed_in(actor)
    if actor.person_id == report.reporter_id:
        return actor
    return require(actor, report.kanoon_path, OFFICIALS_AND_STAFF, "see this report")


def kanoon_official(actor: Actor | None, kanoon: KanoonView, doing: str) -> Actor:
    return require(actor, kanoon.path, KANOON_OFFICIALS, doing)


def city_review(actor: Actor | None, kanoon: KanoonView, doing: str) -> Actor:
    return require(actor, kanoon.path, CITY_SECRETARY, doing)


def figures(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, OFFICIALS_AND_STAFF, "see figures of this unit")


def province_or_center(actor: Actor | None, scope_path: list[str], scope_kind: str, doing: str) -> Actor:
    """Country-wide for the Center (an administrator); province-wide for the province's planners."""
    actor = signed_in(actor)
    if scope_kind == "country":
        if not actor.is_admin:
            raise Forbidden(f"only the Center (an administrator) may {doing} for the whole country")
        return actor
    if scope_kind != "province":
        raise Forbidden(f"only the Center or a province may {doing}")
    return require(actor, scope_path, PROVINCE_PLANNERS, f"{doing} in this province")


def read_beneficiaries(actor: Actor | None, kanoon: KanoonView) -> Actor:
    """§3 names the kanoon's officials and the oversight group: an administrator reads beneficiaries
    only by holding one of those roles."""
    return require(actor, kanoon.path, BENEFICIARY_READERS, "see this kanoon's beneficiaries", admin=False)


def reads_beneficiaries(actor: Actor | None, kanoon: KanoonView) -> bool:
    return actor is not None and actor.covers(kanoon.path, BENEFICIARY_READERS, admin=False)


def view_project(actor: Actor | None, paths: list[list[str]]) -> Actor:
    """An executive project is seen by those who cover its kanoon or a kanoon it asks for help."""
    actor = signed_in(actor)
    if not any(actor.covers(path, OFFICIALS_AND_STAFF) for path in paths):
        raise Forbidden("this project concerns no kanoon you cover")
    return actor
