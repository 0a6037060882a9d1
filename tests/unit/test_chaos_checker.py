"""The chaos run's checker (bench/chaos.py): what a client was told, against how many times the store
holds the command, is classified as Jepsen's checkers would; and the verdict fails on any of them."""
from collections import Counter

import pytest

from bench.chaos import Fault, Outcome, classify, report


@pytest.mark.parametrize("told,times,verdict", [
    ("ok", 1, "ok"), ("ok", 0, "lost"), ("ok", 2, "duplicated"),
    ("refused", 0, "refused"), ("refused", 1, "phantom"), ("refused", 3, "duplicated"),
    ("unknown", 0, "unknown, not applied"), ("unknown", 1, "unknown, applied"), ("unknown", 2, "duplicated"),
])
def test_every_outcome_is_classified(told, times, verdict):
    assert classify(told, times) == verdict


@pytest.mark.parametrize("status,told", [(201, "ok"), (200, "ok"), (409, "refused"), (422, "refused"),
                                         (403, "refused"), (504, "unknown"), (503, "unknown"), (None, "unknown")])
def test_what_the_client_was_told(status, told):
    assert Outcome("receipt", "k", status, 1).told == told


def healthy():
    return {"reports": Counter(sent=3, ok=3)}, {"reports: aggregate": (3, 3)}, [Fault("kill -9 reports", 0, 2.0)]


def test_the_verdict_passes_only_a_clean_run(capsys):
    assert report(*healthy(), minutes=1) is True
    for change in ("lost", "duplicated", "phantom"):
        table, events, faults = healthy()
        table["reports"][change] += 1
        assert report(table, events, faults, minutes=1) is False, change
    table, events, faults = healthy()
    assert report(table, {"reports: aggregate": (3, 4)}, faults, minutes=1) is False      # counted twice
    assert report(table, events, [Fault("pause", 0, 31.0)], minutes=1) is False          # healed too late
    assert report(table, events, [Fault("pause", 0, None)], minutes=1) is False          # never healed
    assert report({"reports": Counter(sent=2, refused=2)}, events, faults, minutes=1) is False   # nothing done
    assert "FAIL" in capsys.readouterr().out
