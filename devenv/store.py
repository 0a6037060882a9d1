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
from urllib.parse import quote

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


def command(port: int, path: Path | None, host: str = "127.0.0.1", auth: bool = False) -> list[str]:
    storage = ":memory:" if path is None else str(path)
    extra = os.environ.get("KHADEM_STORE_ARGS", "").split()   # e.g. "--cache-size 2G"
    return [store_python(), "-m", "secantus", "--host", host, "--port", str(port),
            "--storage-path", storage, "--log-level", os.environ.get("KHADEM_STORE_LOG_LEVEL", "WARNING"),
            *(["--auth"] if auth else []), *extra]


def uri(port: int, host: str = "127.0.0.1", user: str | None = None, password: str | None = None,
        database: str | None = None) -> str:
    """The store's address; with a user, authenticated against `database` (where the user was made;
    `admin` for the store's administrator)."""
    if user is None:
        return f"mongodb://{host}:{port}/?directConnection=true"
    source = database or "admin"
    return (f"mongodb://{quote(user, safe='')}:{quote(password or '', safe='')}@{host}:{port}/{source}"
            f"?authSource={source}&directConnection=true")


ADMIN = "khadem_admin"
USERS_MADE = ".khadem-users"


def provision(port: int, path: Path, admin_password: str, users: dict[str, tuple[str, str]],
              log: Path | None = None) -> None:
    """On a store's first start: its administrator (`khadem_admin`, role root) and, for each
    database, its one user (readWrite on that database alone); `users` is database → (user,
    password). Done once (the data folder remembers it); the store then always runs with `--auth`."""
    if (path / USERS_MADE).exists():
        return
    proc = start(port, path, log)
    try:
        from pymongo import MongoClient
        with MongoClient(uri(port), serverSelectionTimeoutMS=10_000) as client:
            client.admin.command("createUser", ADMIN, pwd=admin_password, roles=[{"role": "root", "db": "admin"}])
            for database, (user, password) in users.items():
                client[database].command("createUser", user, pwd=password,
                                         roles=[{"role": "readWrite", "db": database}])
    finally:
        stop(proc)
    (path / USERS_MADE).write_text("\n".join(sorted(users)) + "\n")


def answers(mongo_uri: str, timeout: float = 1.0) -> bool:
    from pymongo import MongoClient
    try:
        with MongoClient(mongo_uri, serverSelectionTimeoutMS=int(timeout * 1000)) as client:
            return bool(client.admin.command("ping").get("ok"))
    except Exception:
        return False


def start(port: int, path: Path | None, log: Path | None = None, env: dict | None = None,
          timeout: float = 60, auth: bool = False) -> subprocess.Popen:
    """Start the store and wait until it answers; `path=None` keeps everything in memory."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command(port, path, auth=auth), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
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
