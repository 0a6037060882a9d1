"""The runner heals (issue: a runner that heals): a service killed with SIGKILL is started again by
`make run`'s supervisor after its back-off, says why in its output, and answers again; nothing else
is stopped."""
import os
import signal

from tests.system.helpers import eventually


def test_a_killed_service_is_started_again_and_answers(system, admin):
    before = system.pid("festival-1")
    others = {name: system.pid(name) for name in ("festival-2", "registry-1", "reports-1", "gateway-1", "web",
                                                   "store-festival")}
    os.kill(before, signal.SIGKILL)
    assert eventually(lambda: system.pid("festival-1") != before, timeout=30), (system.data / "run.out").read_text()[-2000:]
    out = (system.data / "run.out").read_text()
    assert "run: festival-1 killed by signal 9; restarting it in 1s" in out and "run: festival-1 restarted" in out
    r = eventually(lambda: (lambda x: x if x.status_code == 200 else None)(
        admin.get("/api/festival/editions", params={"year": 1405})), timeout=60)
    assert r is not None, "the restarted festival service does not answer"
    assert {name: system.pid(name) for name in others} == others   # nothing else was restarted
