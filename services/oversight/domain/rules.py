"""Who may do what in the oversight service (DOMAIN §6). Roles as named in the registry's
catalogue (tests/unit/test_event_contracts.py holds them to it)."""
from __future__ import annotations

from kernel.access import Actor, require, signed_in  # noqa: F401
from kernel.errors import Forbidden  # noqa: F401

HANDLERS = frozenset({"oversight_head", "province_manager"})
SECRETARIES = frozenset({"province_secretary", "oversight_head", "province_manager"})
COMMITTEE = frozenset({"protection_committee"})
ROLE_NAMES = HANDLERS | SECRETARIES | COMMITTEE | frozenset({"city_secretary"})


def handle_complaint(actor: Actor | None, path: list[str], handler_role: str) -> Actor:
    """Triage, assignment, resolution: the complaint's handler (the oversight head, or the manager
    when the head is accused)."""
    return require(actor, path, frozenset({handler_role}), "handle this complaint")


def investigate_complaint(actor: Actor, complaint) -> Actor:
    """Notes and the resolution: the complaint's investigator, or its handler."""
    if actor.person_id == complaint.investigator_id:
        return actor
    return handle_complaint(actor, complaint.subject.path, complaint.handler_role)


def record_violation(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, SECRETARIES, "record violations here")


def decide_violation(actor: Actor | None, path: list[str]) -> Actor:
    """The province secretary handles or escalates a reported violation (the manager too)."""
    return require(actor, path, frozenset({"province_secretary", "province_manager"}),
                   "decide or escalate violations (the province secretary does)")


def rule(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, COMMITTEE, "rule on violations (the protection committee does)")


def see_violations(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, SECRETARIES | COMMITTEE, "see violations here")


INSPECTORS = frozenset({"oversight_head", "city_secretary"})
DEPUTIES = frozenset({"khademyari_deputy", "cultural_deputy", "social_deputy", "neighborhood_deputy"})
VISITORS = {"periodic": INSPECTORS, "surprise": INSPECTORS, "secretary_visit": frozenset({"city_secretary"}),
            "deputy_visit": DEPUTIES}
ROLE_NAMES = ROLE_NAMES | INSPECTORS | DEPUTIES


def keep_checklists(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, frozenset({"oversight_head"}), "keep this province's checklists "
                                                                        "(the oversight head does)")


def plan_inspections(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, frozenset({"oversight_head"}), "plan inspections here (the oversight head does)")


def visitor_role(actor: Actor | None, path: list[str], kind: str) -> tuple[Actor, str]:
    """The role under which the caller makes this kind of visit here (the role is recorded)."""
    actor = require(actor, path, VISITORS[kind], f"make a {kind.replace('_', ' ')} here")
    for role in sorted(VISITORS[kind]):
        if actor.covers(path, {role}, admin=False):
            return actor, role
    return actor, "admin"


def see_inspections(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, INSPECTORS | DEPUTIES | frozenset({"province_manager"}), "see inspections here")


def review_money(actor: Actor | None, path: list[str]) -> Actor:
    """The findings raised from the money's trail (§6.4): the oversight head (the manager sees them)."""
    return require(actor, path, frozenset({"oversight_head"}), "review the findings here")


def see_findings(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, HANDLERS, "see the findings here")


def keep_register(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, frozenset({"oversight_head"}), "keep the register of corruption-prone processes")


def see_register(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, SECRETARIES, "see the register of corruption-prone processes")


def record_session(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, frozenset({"oversight_head", "city_secretary"}), "record orientation sessions here")


def give_opinion(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, frozenset({"oversight_head"}), "give the oversight group's opinion here")


def see_audit_trail(actor: Actor | None, path: list[str]) -> Actor:
    """Who read or changed personal data (kernel.personal): the oversight head of the place, and the
    Center."""
    return require(actor, path, frozenset({"oversight_head"}), "see the audit trail of personal data here")


def see_reports(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, HANDLERS | frozenset({"province_secretary"}), "see the oversight reports here")
