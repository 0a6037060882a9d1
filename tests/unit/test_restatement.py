"""The rules of a restore and of the registry's restatement, without I/O: what a restated record does to
a view document given its time, which documents the sweep deletes, when a restatement is complete,
how records are cut into parts; the counters' max rule, who counts as a running instance, and
which replays bring a restored service back what it consumed (docs/backup.md)."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from kernel import registry_view as rv
from ops import backup, topology

AS_OF = datetime(2025, 3, 21, 6, 0, 0, 123000, tzinfo=timezone.utc)
RID = "r1"


# ---------------------------------------------------------------- a restated record, given a document's time

@pytest.mark.parametrize("doc_time,replaced", [
    (None, True),                                   # written before documents carried a time
    (AS_OF - timedelta(days=3), True),              # older: the registry's state replaces it
    (AS_OF, True),                                  # the same instant: the restatement holds it
    (AS_OF + timedelta(milliseconds=1), False),     # a live change after as_of: kept
])
def test_a_restated_record_replaces_a_document_unless_it_changed_after_as_of(doc_time, replaced):
    assert rv.restated_replaces(doc_time, AS_OF) is replaced


def test_times_compare_to_the_millisecond_and_naive_times_are_utc():
    """The store keeps milliseconds; an event's time has microseconds: the same instant both ways."""
    assert rv.restated_replaces(AS_OF.replace(microsecond=123999), AS_OF)
    assert rv.restated_replaces(AS_OF.replace(tzinfo=None), AS_OF)
    assert rv.restated_replaces("2025-03-21T06:00:00.123Z", AS_OF)


def test_a_live_event_older_than_the_restatement_that_wrote_a_document_is_skipped():
    assert rv.live_event_applies(None, AS_OF - timedelta(days=1))          # never restated
    assert not rv.live_event_applies(AS_OF, AS_OF - timedelta(seconds=1))   # the restatement holds it
    assert rv.live_event_applies(AS_OF, AS_OF + timedelta(seconds=1))       # newer: applied
    assert rv.live_event_applies(AS_OF, AS_OF.replace(microsecond=123400))  # the same millisecond


def test_a_live_event_older_than_a_completed_restatement_creates_nothing_it_did_not_have():
    """A message still in flight (or parked, replayed later) from history the restored registry
    no longer has must not bring back what the sweep removed."""
    old, new = AS_OF - timedelta(minutes=5), AS_OF + timedelta(seconds=1)
    assert not rv.live_event_applies(None, old, exists=False, restated_up_to=AS_OF)
    assert rv.live_event_applies(None, new, exists=False, restated_up_to=AS_OF)
    assert rv.live_event_applies(None, old, exists=False, restated_up_to=None)      # never restated here


def test_a_restated_record_becomes_the_document_the_live_events_would_have_built():
    _, unit = rv.view_document("units", {"unit_id": "IR-09", "name": "خراسان رضوی", "kind": "province",
                                         "path": ["IR", "IR-09"]}, AS_OF, RID)
    assert unit == {"path": ["IR", "IR-09"], "kind": "province", "name": "خراسان رضوی", "at": AS_OF,
                    "restated_at": AS_OF, "restatement": RID}
    pid, member = rv.view_document("memberships", {"person_id": "p1", "kanoon_id": "k1", "kind": "yavar"},
                                   AS_OF, RID)
    assert pid == "p1" and member["since"] == AS_OF and member["kanoon_id"] == "k1" and "at" not in member
    _, grant = rv.view_document("grants", {"assignment_id": "ra1", "person_id": "p1", "role": "city_secretary",
                                           "scope_id": "IR-09-MSH", "scope_kind": "city", "field": None,
                                           "valid_from": "2025-03-01", "valid_to": None, "revoked": True},
                                AS_OF, RID)
    assert grant["valid_from"] == datetime(2025, 3, 1, tzinfo=timezone.utc) and grant["revoked"] is True
    _, kanoon = rv.view_document("kanoons", {"kanoon_id": "k1", "name": "ک", "kind": "neighborhood", "field": None,
                                             "unit_path": ["IR"], "status": "active", "head_id": "h",
                                             "deputy_id": "d", "founding_date": "2025-03-10"}, AS_OF, RID)
    assert kanoon["founding_date"] == datetime(2025, 3, 10, tzinfo=timezone.utc) and kanoon["closed_on"] is None
    pid, settings = rv.view_document("province_settings", {"province_id": "IR-09", "move_window_days": 30},
                                     AS_OF, RID)
    assert pid == "IR-09" and settings["move_window_days"] == 30 and "province_id" not in settings


# ---------------------------------------------------------------- the sweep's choice

@pytest.mark.parametrize("doc,gone", [
    ({"at": AS_OF - timedelta(hours=1)}, True),                                  # the registry no longer has it
    ({}, True),                                                                  # no time: older than anything
    ({"at": AS_OF + timedelta(seconds=1)}, False),                               # created after as_of: kept
    ({"at": AS_OF, "restatement": RID}, False),                                  # mentioned
    ({"at": AS_OF - timedelta(hours=1), "restatement": "older"}, True),          # another restatement's
    ({"at": AS_OF + timedelta(hours=1), "restatement": "newer"}, False),         # a later restatement's
])
def test_the_sweep_deletes_only_what_the_restatement_did_not_mention_and_nothing_newer(doc, gone):
    assert rv.swept(doc, "at", RID, AS_OF) is gone


def test_memberships_are_swept_by_their_since():
    assert rv.swept({"since": AS_OF - timedelta(days=1)}, "since", RID, AS_OF)
    assert not rv.swept({"since": AS_OF + timedelta(days=1)}, "since", RID, AS_OF)


# ---------------------------------------------------------------- counting the parts

def test_a_restatement_is_complete_when_every_part_was_seen_in_any_order_and_repeats_count_once():
    assert not rv.parts_complete([], 3)
    assert not rv.parts_complete([3, 1, 3, 1], 3)
    assert rv.parts_complete([3, 1, 2], 3)
    assert rv.parts_complete([2, 2, 1, 3, 1], 3)
    assert rv.parts_complete([1], 1)


def test_records_are_cut_into_parts_of_at_most_size_in_order_and_nothing_is_lost():
    records = {"units": [{"unit_id": f"u{i}"} for i in range(5)],
               "memberships": [{"person_id": f"p{i}"} for i in range(4)],
               "province_settings": [{"province_id": "IR-09"}]}
    parts = rv.restatement_parts(records, size=3)
    assert [sum(len(v) for v in p.values()) for p in parts] == [3, 3, 3, 1]
    assert parts[1] == {"units": [{"unit_id": "u3"}, {"unit_id": "u4"}], "memberships": [{"person_id": "p0"}]}
    for name, rows in records.items():
        assert [r for p in parts for r in p.get(name, [])] == rows


def test_a_restatement_of_nothing_is_still_one_part_so_that_it_sweeps():
    assert rv.restatement_parts({}, size=250) == [{}]
    with pytest.raises(ValueError):
        rv.restatement_parts({}, size=0)


# ---------------------------------------------------------------- counters: sequences never go back

def test_every_counter_ends_at_the_larger_of_its_live_and_backed_up_value():
    live = {"service_code:IR-09": {"_id": "service_code:IR-09", "seq": 7},
            "letters:1404": {"_id": "letters:1404", "seq": 3},
            "only-live": {"_id": "only-live", "seq": 5}}
    backup_ = {"service_code:IR-09": {"_id": "service_code:IR-09", "seq": 4},   # advanced after the dump
               "letters:1404": {"_id": "letters:1404", "seq": 9},               # (live went back: kept at 9)
               "only-backed": {"_id": "only-backed", "seq": 2, "note": "x", "flag": True}}
    merged, skipped = backup.merged_counters(live, backup_, gap=100_000)
    assert not skipped
    assert merged == {"letters:1404": {"seq": 9}, "only-backed": {"seq": 2}, "only-live": {"seq": 5},
                      "service_code:IR-09": {"seq": 7}}


def test_with_no_live_counters_every_counter_moves_on_by_the_gap():
    merged, skipped = backup.merged_counters({}, {"c": {"_id": "c", "seq": 4, "year": 1404}}, gap=1000)
    assert skipped and merged == {"c": {"seq": 1004, "year": 2404}}
    merged, skipped = backup.merged_counters({}, {}, gap=1000)     # nothing to move on
    assert not skipped and merged == {}


# ---------------------------------------------------------------- a running instance refuses the restore

def test_an_instance_heard_from_within_three_heartbeats_is_alive_a_health_ping_is_not():
    now = datetime(2025, 3, 21, 6, 0, tzinfo=timezone.utc)
    beats = [{"_id": "registry@host:1", "at": now - timedelta(seconds=14)},
             {"_id": "registry_projections@host:1", "at": now - timedelta(seconds=16)},
             {"_id": "ping:registry", "at": now},
             {"_id": "registry@host:2", "at": (now - timedelta(seconds=1)).replace(tzinfo=None)}]
    assert backup.live_instances(beats, now, heartbeat_seconds=5) == ["registry@host:1", "registry@host:2"]
    assert backup.live_instances(beats, now + timedelta(minutes=1), heartbeat_seconds=5) == []


# ---------------------------------------------------------------- the catch-up plan

@pytest.mark.parametrize("binding,types", [("registry.#", "registry."),
                                           ("reports.report.approved.#", "reports.report.approved."),
                                           ("oversight.*.done.#", "oversight.")])
def test_a_handlers_binding_becomes_the_replays_type_prefix(binding, types):
    assert backup.replay_types(binding) == types


def test_the_registry_is_sent_back_the_rulings_and_ranks_since_the_backup_less_a_margin():
    taken_at = datetime(2025, 3, 21, 6, 0, tzinfo=timezone.utc)
    plan = backup.catch_up_plan("registry", taken_at, topology.handlers("registry"))
    assert {(c.source, c.types, c.queue) for c in plan} == {
        ("oversight", "oversight.ruling.", "evt-oversight-oversight.ruling.#--registry.on_ruling"),
        ("festival", "festival.kanoon.ranked.", "evt-festival-festival.kanoon.ranked.#--registry.on_ranked")}
    c = plan[0]
    assert c.since == taken_at - timedelta(minutes=10)
    assert c.path == f"/api/ops/{c.source}/outbox/replay"
    assert c.body == {"types": c.types, "queue": c.queue, "since": "2025-03-21T05:50:00+00:00", "partial": False}
    assert c.key("rs1") == c.key("rs1") != c.key("rs2")      # the same request when run again


@pytest.mark.parametrize("service", topology.NAMES)
def test_every_handler_of_a_restored_service_gets_one_replay_of_its_own_source(service):
    handlers = topology.handlers(service)
    plan = backup.catch_up_plan(service, datetime(2025, 3, 21, tzinfo=timezone.utc), handlers)
    assert sorted(c.queue for c in plan) == sorted(h.queue for h in handlers)
    assert {c.source for c in plan} == set(topology.sources(service))
    assert all(c.types.startswith(c.source + ".") for c in plan)


def test_the_plan_names_only_the_restored_services_handlers():
    other = SimpleNamespace(service="reports", source="registry", event_type="registry.#", queue="q")
    assert backup.catch_up_plan("finance", datetime(2025, 3, 21, tzinfo=timezone.utc), [other]) == []


def test_every_service_of_the_catalogue_has_its_restored_event():
    from kernel import restore
    from kernel.events import Envelope
    assert set(restore.SERVICES) == set(topology.NAMES)
    e = Envelope.wrap(restore.restored_event("finance", "rs1", AS_OF, AS_OF + timedelta(hours=1)))
    assert e.type == "finance.store.restored.v1" and e.source == "/khadem/finance" and e.subject == "restore/rs1"
