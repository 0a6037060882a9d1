"""Who may do what in the festival service (DOMAIN §7, §2.8). Roles as named in the registry's
catalogue (tests/unit/test_event_contracts.py holds them to it)."""
from __future__ import annotations

from kernel.access import Actor, require, signed_in  # noqa: F401
from kernel.errors import Forbidden  # noqa: F401

FESTIVAL = frozenset({"evaluation_head", "khademyari_deputy"})
JUDGES = frozenset({"quality_evaluation_group"})
TRAINING = frozenset({"training_head", "khademyari_deputy"})
PLANNING = frozenset({"planning_head"})
EVALUATION = frozenset({"evaluation_head", "planning_head"})
OFFICIALS = frozenset({"kanoon_head", "kanoon_deputy"})
# Who sees scores, ranks and their lines over a unit.
OVERSEERS = frozenset({"evaluation_head", "planning_head", "province_manager", "khademyari_deputy",
                       "coordination_council", "oversight_head", "city_secretary", "neighborhood_deputy",
                       "cultural_deputy", "social_deputy", "specialized_secretary", "county_liaison"})
HONOURERS = frozenset({"city_secretary", "specialized_secretary"})
ROLE_NAMES = FESTIVAL | JUDGES | TRAINING | PLANNING | EVALUATION | OFFICIALS | OVERSEERS | HONOURERS


def run_festival(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, FESTIVAL, "run the festival here (the evaluation and festival head does)")


def judge(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, JUDGES, "judge the festival (the qualitative evaluation group does)",
                   admin=False)


def run_training(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, TRAINING, "run training here (the training head does)")


def set_weights(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, PLANNING, "set the evaluation's weights here (the planning head does)")


def publish_ranks(actor: Actor | None, province_path: list[str]) -> Actor:
    return require(actor, province_path, EVALUATION, "publish the rankings here")


def see_scores(actor: Actor | None, path: list[str]) -> Actor:
    """A unit's or kanoon's scores: its overseers, and a kanoon's own officials."""
    return require(actor, path, OVERSEERS | OFFICIALS | EVALUATION, "see the evaluation here")


def choose_best(actor: Actor | None, kanoon_path: list[str]) -> Actor:
    return require(actor, kanoon_path, frozenset({"kanoon_head"}),
                   "choose the kanoon's best members (its head does)", admin=False)


def keep_occasions(actor: Actor | None, path: list[str], country: bool) -> Actor:
    """The country's calendar is the Center's; a province's, its planning head's."""
    actor = signed_in(actor)
    if country:
        if not actor.is_admin:
            raise Forbidden("the country's occasions are the Center's")
        return actor
    return require(actor, path, PLANNING, "keep this province's occasions (the planning head does)")


def draft_program(actor: Actor | None, path: list[str], kanoon: bool) -> Actor:
    if kanoon:
        return require(actor, path, frozenset({"kanoon_head"}), "draft the kanoon's program (its head does)",
                       admin=False)
    return require(actor, path, PLANNING, "draft the province's programs (the planning head does)")


def see_programs(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, PLANNING | OVERSEERS | OFFICIALS | frozenset({"province_manager"}),
                   "see the programs here")


def evaluate_program(actor: Actor | None, path: list[str]) -> Actor:
    return require(actor, path, EVALUATION, "evaluate programs here (the planning or evaluation head does)")
