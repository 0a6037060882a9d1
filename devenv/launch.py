"""The whole system as `make run` starts it, in a child process on free ports with its own data
folder, for the system tests and the benchmarks: `launch(...)` waits until everything answers and
creates the first administrator."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(data: Path, port: int, store_port: int, env: dict, username: str = "admin",
           timeout: float = 180, web_port: int | None = None) -> subprocess.Popen:
    """Start `python -m devenv.run` (its output in `data/run.out`); `env` must carry
    KHADEM_ADMIN_PASSWORD for the administrator `username`."""
    out = data / "run.out"
    proc = subprocess.Popen([sys.executable, "-m", "devenv.run", "--data", str(data), "--port", str(port),
                             "--store-port", str(store_port),
                             "--web-port", str(web_port or _free_port())], cwd=ROOT, env=env,
                            stdout=open(out, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while "all up" not in out.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(out.read_text())
        time.sleep(0.5)
    try:
        subprocess.run([sys.executable, "-m", "services.registry.cli", "create-admin", "--username", username],
                       cwd=ROOT, env=env, check=True, timeout=60, stdout=subprocess.DEVNULL)
    except BaseException:
        stop(proc)   # never leave a system running behind a failed start: its services would share the queues
        raise
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=60)
