"""Who may do what in the finance service (DOMAIN §5): the province's finance expert, vows-system
expert, secretariat head and manager; a kanoon's head or deputy sees its own kanoon's money. Donors'
names are for the finance staff only. Roles are named as in the registry's catalogue
(tests/unit/test_event_contracts.py holds them to it)."""
from __future__ import annotations

from kernel.access import Actor, require, signed_in  # noqa: F401
from kernel.errors import Forbidden  # noqa: F401

FINANCE_STAFF = frozenset({"finance_expert", "vows_expert", "secretariat_head", "province_manager"})
VOWS_STAFF = frozenset({"vows_expert", "finance_expert", "province_manager"})
KANOON_OFFICIALS = frozenset({"kanoon_head", "kanoon_deputy"})
ROLE_NAMES = FINANCE_STAFF | VOWS_STAFF | KANOON_OFFICIALS | frozenset({"secretariat_head"})


def manage_terminals(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, VOWS_STAFF, "register or retire terminals in this province")


def record_receipts(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, VOWS_STAFF, "record receipts in this province")


def reverse_receipt(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, frozenset({"finance_expert", "province_manager"}),
                   "reverse receipts (the finance expert does)")


def see_money(actor: Actor | None, path: list[str]) -> Actor:
    """A unit's or kanoon's figures and receipts: the province's finance staff, or the kanoon's own
    head or deputy."""
    return require(actor, path, FINANCE_STAFF | KANOON_OFFICIALS, "see the money of this unit")


def sees_donors(actor: Actor | None, path: list[str]) -> bool:
    return actor is not None and actor.covers(path, FINANCE_STAFF)


def see_terminals(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, VOWS_STAFF | frozenset({"secretariat_head"}),
                   "see this province's terminals")


ASSET_KEEPERS = frozenset({"secretariat_head", "province_manager"})


def manage_assets(actor: Actor | None, path: list[str]) -> Actor:
    """The register of assets is the secretariat head's (§1: asset custody) and the manager's."""
    return require(actor, path, ASSET_KEEPERS, "keep this province's register of assets")


def see_asset(actor: Actor | None, path: list[str], custodian_id: str, receiver_id: str | None) -> Actor:
    actor = signed_in(actor)
    if actor.person_id in (custodian_id, receiver_id):
        return actor
    return require(actor, path, ASSET_KEEPERS | FINANCE_STAFF, "see this asset")


def define_project(actor: Actor | None, kanoon_path: list[str]) -> Actor:
    """A kanoon's head or deputy defines its projects (§5.2); the finance staff may too."""
    return require(actor, kanoon_path, KANOON_OFFICIALS | FINANCE_STAFF, "define projects for this kanoon")


def record_spending(actor: Actor | None, path: list[str]) -> Actor:
    """A kanoon's head or deputy documents its own spending; the finance staff any in the province."""
    return require(actor, path, KANOON_OFFICIALS | FINANCE_STAFF, "record spending and its documents here")


def check_vouchers(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, frozenset({"finance_expert", "province_manager"}),
                   "check, return or settle financial documents (the finance expert does)")


def send_vouchers(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, frozenset({"secretariat_head", "finance_expert", "province_manager"}),
                   "send financial documents to the Center")


SETTLERS = frozenset({"finance_expert", "province_manager"})


def record_funding(actor: Actor | None, path: list[str]) -> Actor:
    """Money received from a body, its returns and its settlement certificate: the finance expert
    or the manager (§5.4)."""
    return require(actor, path, SETTLERS, "record or settle money received from bodies (the finance expert does)")


def follow_discharges(actor: Actor | None, path: list[str]) -> Actor:
    """Obtaining the bodies' discharges and sending the statements (§5.6): the secretariat head, the
    finance expert or the manager."""
    return require(actor, path, frozenset({"secretariat_head"}) | SETTLERS,
                   "request and follow the bodies' discharges or send the statements")
