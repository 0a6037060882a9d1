"""The chaos run's short version (bench/chaos.py): two minutes of commands over HTTP while every
service and the gateway are killed, the broker's connections closed and the store paused, on a
system of its own (its own RabbitMQ virtual host, store and ports). Nothing is lost, duplicated or
applied after a refusal, every consumer's events are in effect once, every fault heals within 30 s."""
import shutil

import pytest

from bench import chaos


@pytest.mark.skipif(not shutil.which("rabbitmqctl"), reason="closing the broker's connections needs rabbitmqctl")
def test_two_minutes_of_chaos_lose_nothing_and_heal(capsys):
    ok = chaos.chaos(minutes=2, clients=4, seed=1405)
    out = capsys.readouterr().out
    print(out)
    assert ok, out
