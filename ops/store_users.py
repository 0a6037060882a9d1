"""MongoDB users for Khadem: one per service, who may read and write that service's database and
nothing else (no service can reach another's data, whatever it is told).

    python -m ops.store_users show
    python -m ops.store_users apply           # MONGO_ADMIN_URI: a user allowed to create users

Passwords come from the environment, `MONGO_<SERVICE>_PASSWORD` (REGISTRY, REPORTS, FINANCE,
OVERSIGHT, FESTIVAL, SECRETARIAT); a user whose password is unset is skipped. A user that exists
has its password and roles set again (idempotent: compose's one-off `store-users` and the Kubernetes
job run it at every deployment). Each service then connects with
`mongodb://khadem_<service>:<password>@<host>/khadem_<service>?authSource=khadem_<service>`.
"""
from __future__ import annotations

import argparse
import os
import sys

from ops import topology


def users(prefix: str = "khadem_") -> dict[str, tuple[str, str]]:
    """service → (user, database); the user is made in its database, with readWrite on it alone."""
    return {s.name: (f"khadem_{s.name}", s.database(prefix)) for s in topology.SERVICES}


def apply(admin_uri: str, passwords: dict[str, str], prefix: str = "khadem_", log=print) -> int:
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure
    made = 0
    with MongoClient(admin_uri, serverSelectionTimeoutMS=30_000) as client:
        for name, (user, database) in users(prefix).items():
            password = passwords.get(name)
            if not password:
                log(f"store_users: MONGO_{name.upper()}_PASSWORD is unset; {user} skipped")
                continue
            roles = [{"role": "readWrite", "db": database}]
            db = client[database]
            try:
                db.command("createUser", user, pwd=password, roles=roles)
            except OperationFailure as exc:
                if exc.code != 51003 and "already exists" not in str(exc):   # UserAlreadyExists
                    raise
                db.command("updateUser", user, pwd=password, roles=roles)
            made += 1
            log(f"store_users: {user} may read and write {database}, nothing else")
    return made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="store_users", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["show", "apply"])
    ap.add_argument("--prefix", default=os.environ.get("MONGO_DB_PREFIX") or "khadem_")
    args = ap.parse_args(argv)
    if args.action == "show":
        for name, (user, database) in users(args.prefix).items():
            print(f"{user}: readWrite on {database}")
        return 0
    admin_uri = os.environ.get("MONGO_ADMIN_URI")
    if not admin_uri:
        print("store_users: set MONGO_ADMIN_URI to an administrator's address", file=sys.stderr)
        return 2
    passwords = {s.name: os.environ.get(f"MONGO_{s.name.upper()}_PASSWORD", "") for s in topology.SERVICES}
    try:
        apply(admin_uri, passwords, args.prefix)
    except Exception as exc:
        print(f"store_users: could not apply the users: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
