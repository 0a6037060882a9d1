"""The chaos run's short version (bench/chaos.py): two minutes of commands over HTTP while an
instance of every service and a gateway are killed in turn, every instance of one service at once,
the broker's connections closed and every store paused — on the system tests' own replicated
production topology (two of everything), last of all (tests/system/conftest.py runs it after every
other test, since it kills processes). Nothing is lost, duplicated or applied after a refusal, every
consumer's events are in effect once, every fault heals within 30 s."""
import shutil

import pytest

from bench import chaos
from tests.system.conftest import ADMIN_PASSWORD


@pytest.mark.last
@pytest.mark.skipif(not shutil.which("rabbitmqctl"), reason="closing the broker's connections needs rabbitmqctl")
def test_two_minutes_of_chaos_on_the_replicated_topology_lose_nothing_and_heal(system, capsys):
    ok = chaos.chaos(minutes=2, clients=4, seed=1405, running=system.running, admin_password=ADMIN_PASSWORD)
    out = capsys.readouterr().out
    print(out)
    assert ok, out
