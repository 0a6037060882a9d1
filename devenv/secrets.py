"""The secrets of a local run, made once into its data folder (`<data>/secrets.env`, readable by its
owner only) and read again at every start, so that `make run` runs with production settings and
still needs no set-up: the JWT secret, the key that seals personal data, the secret the gateway
shares with the web app, the gateway's key that signs who is calling (kernel.caller), a password for
every broker user, and the store's administrator's and each
service's own database password.

A value set in the environment wins over the file (an operator's own `JWT_SECRET`, say). Keep the
file with the data: the personal data in the stores cannot be read without its `DATA_KEYS`.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from ops import topology

FILE = "secrets.env"


def names() -> list[str]:
    """Every secret a run needs, by its environment name."""
    broker = [f"RABBITMQ_{n.upper()}_PASSWORD" for n in (*topology.NAMES, "gateway", "subscriber")]
    stores = ["MONGO_ADMIN_PASSWORD", *[f"MONGO_{n.upper()}_PASSWORD" for n in topology.NAMES]]
    return ["JWT_SECRET", "DATA_KEYS", "PROXY_SECRET", "CALLER_SIGNING_KEY", *broker, *stores]


def _new(name: str) -> str:
    if name == "DATA_KEYS":
        from cryptography.fernet import Fernet
        return Fernet.generate_key().decode()
    if name == "CALLER_SIGNING_KEY":
        from kernel.caller import new_key
        return new_key()[0]
    return secrets.token_urlsafe(36)


def read(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def load(data: Path, env: dict | None = None) -> dict[str, str]:
    """The run's secrets: the file's, any missing ones made now (and written), the environment's
    own values on top."""
    env = os.environ if env is None else env
    path = data / FILE
    known = read(path)
    missing = [n for n in names() if not known.get(n)]
    if missing:
        known.update({n: _new(n) for n in missing})
        data.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# Made by `make run` (devenv/secrets.py); keep it with the data folder.\n")
            f.writelines(f"{k}={v}\n" for k, v in known.items())
    return {n: env.get(n) or known[n] for n in names()}


def verify_keys(secrets_: dict[str, str]) -> str:
    """CALLER_VERIFY_KEYS for the services: the gateway's public key (no service signs today)."""
    from kernel.caller import GATEWAY, private_key, public_text
    return f"{GATEWAY}:{public_text(private_key(secrets_['CALLER_SIGNING_KEY']))}"
