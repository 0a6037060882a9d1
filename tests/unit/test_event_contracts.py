"""Events are a public contract: every type is named by the rule, has a committed schema snapshot,
and changes only by adding optional fields."""
import copy

from kernel import snapshots
from kernel.events import TYPE_NAME, Envelope


def test_every_event_type_has_a_snapshot_and_changes_only_additively():
    assert snapshots.load_catalogue(), "no event types registered"
    assert snapshots.check() == {}


def test_names_follow_service_subject_verb_version():
    for name in snapshots.load_catalogue():
        assert TYPE_NAME.match(name), name
        assert name.split(".")[0] in {"registry", "reports", "finance", "oversight", "festival", "secretariat"}


def test_no_event_field_hides_what_every_event_has():
    """A field named like an attribute of EventData (`subject`, …) would hide it, and the envelope
    could not name what the event is about."""
    from kernel.events import CATALOGUE, EventData
    reserved = {n for n in dir(EventData) if not n.startswith("_")}
    snapshots.load_catalogue()
    clashes = {name: sorted(set(cls.model_fields) & reserved) for name, cls in CATALOGUE.items()
               if set(cls.model_fields) & reserved}
    assert clashes == {}


def test_the_rule_catches_breaking_changes_and_allows_additions():
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a", "b"]}
    added = copy.deepcopy(old)
    added["properties"]["c"] = {"type": "string"}
    assert snapshots.breaking_changes(old, added) == []
    required_new = copy.deepcopy(added)
    required_new["required"].append("c")
    assert snapshots.breaking_changes(old, required_new) == ["new field c is required"]
    removed = {"properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert "field b was removed" in snapshots.breaking_changes(old, removed)
    retyped = copy.deepcopy(old)
    retyped["properties"]["b"] = {"type": "string"}
    assert snapshots.breaking_changes(old, retyped) == ["field b changed its schema"]


def test_envelope_is_cloudevents_shaped():
    from services.registry.events import UnitCreated
    e = Envelope.wrap(UnitCreated(unit_id="IR-09", name="خراسان رضوی", kind="province", parent_id="IR-R5",
                                  path=["IR", "IR-R5", "IR-09"]), correlation_id="req-1")
    msg = e.to_message()
    assert msg["specversion"] == "1.0" and msg["type"] == "registry.unit.created.v1"
    assert msg["source"] == "/khadem/registry" and msg["subject"] == "unit/IR-09"
    assert msg["correlationid"] == "req-1"
    assert msg["time"].endswith("Z")  # UTC
    assert msg["data"]["path"] == ["IR", "IR-R5", "IR-09"]


def test_errors_cross_rpc_with_their_field_or_none():
    from nameko.exceptions import deserialize, serialize

    import kernel.messaging  # noqa: F401  (registers the classes)
    from kernel.errors import Forbidden, Invalid
    back = deserialize(serialize(Forbidden("not yours")))
    assert isinstance(back, Forbidden) and back.field is None and back.to_dict() == {
        "error": "forbidden", "message": "not yours"}
    back = deserialize(serialize(Invalid("too long", "name")))
    assert back.field == "name" and back.message == "too long"


def test_every_role_another_service_checks_is_in_the_registrys_catalogue():
    """The registry owns the role catalogue; the reports service names the roles it checks as
    strings, so a renamed or misspelt role would silently grant nothing: held here."""
    from services.registry.domain.roles import FIELD_ROLES, ROLE_LEVELS, Role
    from services.festival.domain import rules as festival_rules
    from services.secretariat.domain import rules as secretariat_rules
    from services.finance.domain import rules as finance_rules
    from services.oversight.domain import rules as oversight_rules
    from services.reports.domain import rules as reports_rules
    catalogue = {r.value for r in Role}
    for rules in (reports_rules, finance_rules, oversight_rules, festival_rules, secretariat_rules):
        assert rules.ROLE_NAMES and rules.ROLE_NAMES <= catalogue, rules.ROLE_NAMES - catalogue
    assert set(ROLE_LEVELS) == set(Role) and FIELD_ROLES <= set(Role)


def test_the_kernel_knows_no_role_but_the_administrator():
    import kernel.access as access
    assert not hasattr(access, "Role") and access.ADMIN == "admin"
