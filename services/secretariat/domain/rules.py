"""Who may do what at the secretariat desk (DOMAIN §8). Roles as named in the registry's catalogue
(tests/unit/test_event_contracts.py holds them to it)."""
from __future__ import annotations

from kernel.access import Actor, require, signed_in  # noqa: F401
from kernel.errors import Forbidden  # noqa: F401

# Letters, memoranda and the HQ's reports: the secretariat head, with the manager over them.
SECRETARIAT = frozenset({"secretariat_head", "province_manager"})
# Who reads the secretariat's records of the province.
READERS = SECRETARIAT | frozenset({"province_secretary", "khademyari_deputy", "coordination_council",
                                   "oversight_head", "pr_head"})
COUNCIL = frozenset({"coordination_council", "province_manager"})
NEWS = frozenset({"pr_head"})
DESK = frozenset({"support_expert", "system_head"})
# The monthly meeting of a city's neighborhood kanoon heads is kept by the city's secretary (in the
# provincial capital by the neighborhood-kanoons deputy).
MEETINGS = frozenset({"city_secretary", "neighborhood_deputy"})
ROLE_NAMES = SECRETARIAT | READERS | COUNCIL | NEWS | DESK | MEETINGS


def keep_letters(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, SECRETARIAT, "keep this province's letters and memoranda (the secretariat head does)")


def read_letters(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, READERS, "read this province's secretariat")


def keep_council(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, COUNCIL, "record the council's choices (the council does)")


def write_news(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, NEWS, "write this province's news (the public relations head does)")


def keep_meetings(actor: Actor | None, unit_path: list[str]) -> Actor:
    return require(actor, unit_path, MEETINGS, "record the heads' monthly meeting here (the city secretary does)")


def answer_tickets(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, DESK, "answer the service desk's tickets (the support staff do)")
