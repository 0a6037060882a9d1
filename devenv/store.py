"""The local store: SecantusDB, a MongoDB wire-protocol server on WiredTiger, run as its own process.

SecantusDB is GPL-2.0. Khadem runs it as a separate program (as one runs mongod), from its own
virtual environment (`.venv-store`, made by `scripts/bootstrap.sh`), and never imports it.

    python -m devenv.store --port 27017 --path var/store      # data kept across restarts
    python -m devenv.store --port 27017                       # a throw-away store in memory
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def store_python() -> str:
    """The interpreter that has SecantusDB: KHADEM_STORE_PYTHON, else the project's `.venv-store`."""
    named = os.environ.get("KHADEM_STORE_PYTHON")
    if named:
        return named
    local = ROOT / ".venv-store" / "bin" / "python"
    if local.exists():
        return str(local)
    raise SystemExit("the local store is not installed: run `bash scripts/bootstrap.sh` (or `make run`), "
                     "or set MONGO_URI to a MongoDB")


def command(port: int, path: Path | None, host: str = "127.0.0.1") -> list[str]:
    storage = ":memory:" if path is None else str(path)
    extra = os.environ.get("KHADEM_STORE_ARGS", "").split()   # e.g. "--cache-size 2G"
    return [store_python(), "-m", "secantus", "--host", host, "--port", str(port),
            "--storage-path", storage, "--log-level", os.environ.get("KHADEM_STORE_LOG_LEVEL", "WARNING"), *extra]


def uri(port: int, host: str = "127.0.0.1") -> str:
    return f"mongodb://{host}:{port}/?directConnection=true"


def answers(mongo_uri: str, timeout: float = 1.0) -> bool:
    from pymongo import MongoClient
    try:
        with MongoClient(mongo_uri, serverSelectionTimeoutMS=int(timeout * 1000)) as client:
            return bool(client.admin.command("ping").get("ok"))
    except Exception:
        return False


def start(port: int, path: Path | None, log: Path | None = None, env: dict | None = None,
          timeout: float = 60) -> subprocess.Popen:
    """Start the store and wait until it answers; `path=None` keeps everything in memory."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command(port, path), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    while not answers(uri(port)):
        if proc.poll() is not None:
            raise RuntimeError(f"the store exited with {proc.returncode}" + (f"; see {log}" if log else ""))
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the store did not answer on port {port} in {timeout:.0f}s")
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=27017)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--path", default=None, help="data folder; in memory when omitted")
    args = ap.parse_args()
    cmd = command(args.port, Path(args.path).resolve() if args.path else None, args.host)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
