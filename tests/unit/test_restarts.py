"""The runner's restart policy (devenv/restarts.py) and its supervisor (devenv/run.py): back-off doubling
to a ceiling, a crash loop recognised and answered by holding that process alone for a pause, kills
from outside never taken for a crash loop, and nothing else ever stopped."""
import signal

from devenv.restarts import Restart, RestartPolicy, killed_from_outside
from devenv.run import Runner


def delays(policy, times, killed=False):
    return [policy.died(t, killed=killed) for t in times]


def test_back_off_doubles_up_to_its_ceiling():
    p = RestartPolicy(first=1, most=5, limit=10, window=60)
    assert [r.delay for r in delays(p, (0, 1, 2, 3, 4))] == [1, 2, 4, 5, 5]


def test_five_deaths_of_its_own_within_a_minute_hold_it_for_the_pause_then_it_is_tried_again():
    p = RestartPolicy(first=1, most=30, limit=5, window=60, pause=300)
    assert delays(p, (0, 10, 20, 30)) == [Restart(1), Restart(2), Restart(4), Restart(8)]
    assert p.died(40) == Restart(300, crash_loop=True)
    # Tried again after the pause (340): a death then starts a fresh count, a fresh back-off.
    assert p.died(345) == Restart(1)
    assert [r.crash_loop for r in delays(p, (350, 355, 360, 365))] == [False, False, False, True]


def test_kills_from_outside_are_restarted_with_the_back_off_and_never_make_a_crash_loop():
    p = RestartPolicy(first=1, most=30, limit=5, window=60, pause=300)
    burst = delays(p, (0, 1, 2, 5, 9, 17, 33, 50, 55, 58, 59, 60, 61), killed=True)
    assert not any(r.crash_loop for r in burst)
    assert [r.delay for r in burst[:6]] == [1, 2, 4, 8, 16, 30] and max(r.delay for r in burst) == 30
    # Kills do not count toward a crash loop, but deaths of its own still do.
    assert [r.crash_loop for r in delays(p, (62, 63, 64, 65, 66))] == [False] * 4 + [True]


def test_a_process_that_stayed_up_starts_again_from_the_first_back_off():
    p = RestartPolicy(first=1, most=30, limit=5, window=60)
    assert p.died(0).delay == 1 and p.died(5).delay == 2
    assert p.died(200).delay == 1        # the earlier deaths are out of the window
    assert [p.died(t).delay for t in (210, 220, 230)] == [2, 4, 8] and p.died(240).crash_loop


def test_which_deaths_are_kills_from_outside():
    assert killed_from_outside(-signal.SIGKILL) and killed_from_outside(-signal.SIGTERM)
    assert not killed_from_outside(1) and not killed_from_outside(0)
    assert not killed_from_outside(-signal.SIGSEGV) and not killed_from_outside(-signal.SIGABRT)


class FakeProcess:
    def __init__(self, returncode=None):
        self.returncode = returncode

    def poll(self):
        return self.returncode


def test_the_supervisor_holds_only_the_crash_looping_process_says_so_loudly_and_tries_it_again(tmp_path, capsys):
    runner = Runner(tmp_path, 8000, 0, {"CRASH_LOOP_PAUSE_SECONDS": "120"})
    started = []

    def spawn(name, cmd, env):
        started.append(name)
        p = FakeProcess()
        runner.procs = [(n, q) for n, q in runner.procs if n != name] + [(name, p)]
        return p
    runner.spawn = spawn
    for name in ("store-reports", "reports-1", "registry-1", "gateway-1"):
        runner.commands[name] = (["true"], {})
        spawn(name, None, None)
    started.clear()
    procs = dict(runner.procs)
    now = 0.0
    for death in range(5):   # reports-1 exits with 1 as soon as it is started, five times in a minute
        dict(runner.procs)["reports-1"].returncode = 1
        runner.supervise_once(now)
        now = runner.pending.get("reports-1", now) if death < 4 else now
        runner.supervise_once(now)
    out = capsys.readouterr().out
    assert "CRASH LOOP: reports-1 exited with 1, its 5th death of its own within 60s" in out
    assert "NOT restarted for 120s" in out and "every other process keeps running" in out
    assert started == ["reports-1"] * 4 and runner.pending["reports-1"] == now + 120
    # Nothing else was touched; the others' deaths are still restarted meanwhile.
    assert all(dict(runner.procs)[n] is procs[n] for n in ("store-reports", "registry-1", "gateway-1"))
    dict(runner.procs)["store-reports"].returncode = -signal.SIGKILL
    runner.supervise_once(now + 1)
    runner.supervise_once(now + 2)
    assert started[-1] == "store-reports"
    # After the pause it is tried again, and said so.
    runner.supervise_once(now + 119)
    assert started.count("reports-1") == 4
    runner.supervise_once(now + 120)
    assert started.count("reports-1") == 5
    assert "run: reports-1 restarted after its crash-loop pause" in capsys.readouterr().out
