"""Registry command for operators: `python -m services.registry.cli create-admin --username NAME`.
It talks to the running registry over RPC, like any other client, as the gateway: with the gateway's
broker user and its key that signs who is calling (CALLER_SIGNING_KEY; run it where the gateway runs).
(The unit tree needs no command: the registry loads it when it starts.)"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

import kernel.messaging  # noqa: F401  (registers the error classes for RPC)
from kernel.caller import SignedClient, Signer
from kernel.errors import DomainError
from kernel.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="registry")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ca = sub.add_parser("create-admin", help="create the first administrator")
    ca.add_argument("--username", required=True)
    ca.add_argument("--first-name", default="مدیر")
    ca.add_argument("--last-name", default="سامانه")
    ca.add_argument("--password-env", default="KHADEM_ADMIN_PASSWORD",
                    help="environment variable holding the password (asked for when unset)")
    args = ap.parse_args(argv)
    settings = load_settings(require_secrets=False)   # the broker's address and the gateway's key
    with SignedClient(settings.amqp_uri, Signer.from_settings(settings), timeout=120) as rpc:
        try:
            password = os.environ.get(args.password_env) or getpass.getpass("password: ")
            print(json.dumps(rpc.registry.bootstrap_admin(args.username, password, args.first_name,
                                                          args.last_name), ensure_ascii=False))
        except DomainError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
