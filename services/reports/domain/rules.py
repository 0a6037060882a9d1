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
SPECIALIZED_SECRETARY = frozenset({"specialized_secretary"})
SPONSORS = frozenset({"sponsoring_institution"})
PROVINCE_MANAGER = frozenset({"province_manager"})
PLANNING_HEAD = frozenset({"planning_head"})
EVALUATION_HEAD = frozenset({"evaluation_head"})
OFFICIALS_AND_STAFF = KANOON_OFFICIALS | NETWORK_STAFF
PROVINCE_PLANNERS = frozenset({"province_manager", "khademyari_deputy", "system_head", "planning_head"})
# Beneficiaries' personal data: the kanoon's officials and the oversight group only (§3).
BENEFICIARY_READERS = KANOON_OFFICIALS | {"oversight_head"}
ROLE_NAMES = (KANOON_OFFICIALS | NETWORK_STAFF | CITY_SECRETARY | SPECIALIZED_SECRETARY | EVALUATION_HEAD | PROVINCE_PLANNERS
              | SPONSORS | PROVINCE_MANAGER | PLANNING_HEAD
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


def view_report(actor: Actor | None, report: ActivityReport, field: str | None = None) -> Actor:
    actor = signed_in(actor)
    if actor.person_id == report.reporter_id:
        return actor
    return require(actor, report.kanoon_path, OFFICIALS_AND_STAFF, "see this report", field)


def kanoon_official(actor: Actor | None, kanoon: KanoonView, doing: str) -> Actor:
    return require(actor, kanoon.path, KANOON_OFFICIALS, doing)


def review_monthly(actor: Actor | None, kanoon: KanoonView) -> Actor:
    """§4.6: a neighborhood kanoon's monthly report is reviewed by its city secretary; a
    specialized kanoon's by the specialized-kanoons secretary of its field."""
    if kanoon.specialized:
        return require(actor, kanoon.path, SPECIALIZED_SECRETARY,
                       "review this specialized kanoon's monthly report (its field's specialized secretary does)",
                       kanoon.field)
    return require(actor, kanoon.path, CITY_SECRETARY, "review this kanoon's monthly report (its city secretary does)")


def figures(actor: Actor | None, path: list[str], field: str | None = None) -> Actor:
    return require(actor, path, OFFICIALS_AND_STAFF, "see figures of this unit", field)


def campaign_author(actor: Actor | None, scope_path: list[str], scope_kind: str, field: str | None) -> tuple[Actor, bool]:
    """Who may put out a campaign at which level (§4.4), and whether it waits for the province
    manager's approval: the Center country-wide; the province's planners province-wide; local
    (county or neighborhood) campaigns are drafted by the planning head and approved by the manager,
    who may also announce one directly; a sponsoring institution announces its field's campaigns."""
    actor = signed_in(actor)
    if field is not None:
        if scope_kind not in ("country", "province"):
            raise Forbidden("a field's campaign is announced for a province or the country")
        return require(actor, scope_path, SPONSORS, "announce campaigns for this field", field), False
    if scope_kind in ("country", "province"):
        return province_or_center(actor, scope_path, scope_kind, "announce campaigns"), False
    if scope_kind not in ("city", "neighborhood"):
        raise Forbidden("campaigns are announced for the country, a province, a county or a neighborhood")
    if actor.covers(scope_path, PROVINCE_MANAGER):
        return actor, False
    return require(actor, scope_path, PLANNING_HEAD, "draft local campaigns here (the planning head does)"), True


def write_instruction(actor: Actor | None, province_path: list[str], field: str | None) -> Actor:
    """§4.1: a field's types by that field's specialized-kanoons secretary; public types by the
    province's planners."""
    if field is not None:
        return require(actor, province_path, SPECIALIZED_SECRETARY,
                       "write this field's instructions (its specialized secretary does)", field)
    return require(actor, province_path, PROVINCE_PLANNERS, "write instructions for public service types here")


def approve_campaign(actor: Actor | None, scope_path: list[str]) -> Actor:
    return require(actor, scope_path, PROVINCE_MANAGER, "approve local campaigns (the province manager does)")


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


def resubmit_report(actor: Actor | None, report) -> Actor:
    """Only its reporter corrects a returned report (before anyone learns its state)."""
    actor = signed_in(actor)
    if actor.person_id != report.reporter_id:
        raise Forbidden("only the reporter resubmits a report")
    return actor


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
