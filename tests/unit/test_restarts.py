"""The runner's restart policy (devenv/restarts.py): back-off doubling to a ceiling, a crash loop
recognised, a process that stayed up starting again from the first back-off."""
from devenv.restarts import RestartPolicy


def test_back_off_doubles_up_to_its_ceiling():
    p = RestartPolicy(first=1, most=5, limit=10, window=60)
    assert [p.died(t) for t in (0, 1, 2, 3, 4)] == [1, 2, 4, 5, 5]


def test_five_deaths_within_a_minute_are_a_crash_loop():
    p = RestartPolicy(first=1, most=30, limit=5, window=60)
    assert [p.died(t) for t in (0, 10, 20, 30)] == [1, 2, 4, 8]
    assert p.died(40) is None


def test_a_process_that_stayed_up_starts_again_from_the_first_back_off():
    p = RestartPolicy(first=1, most=30, limit=5, window=60)
    assert p.died(0) == 1 and p.died(5) == 2
    assert p.died(200) == 1        # the earlier deaths are out of the window
    assert p.died(210) == 2 and p.died(220) == 4 and p.died(230) == 8 and p.died(240) is None
