"""Ports for the processes the runner and the tests start.

A port taken from the kernel's ephemeral range (what `bind(0)` hands out) can be taken again, before
the process meant for it binds it, as the local end of any outgoing connection on the machine — the
broker and store clients open hundreds — and the listener then fails to start ("address already in
use"). So a listening port is chosen below that range, at random (so that two runners choosing at the
same moment rarely meet), and only if nothing holds it now.
"""
from __future__ import annotations

import random
import socket

_given: set[int] = set()


def _ephemeral_floor() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Nothing holds the port: neither a listener nor a connection's local end (no SO_REUSEADDR)."""
    for h in {host, "0.0.0.0"}:
        with socket.socket() as s:
            try:
                s.bind((h, port))
            except OSError:
                return False
    return True


def free_port(low: int = 20000) -> int:
    """A port no one holds now, outside the ephemeral range, not given before by this process."""
    high = _ephemeral_floor() - 1
    if high - low < 1000:
        low = 1024
    for _ in range(500):
        port = random.randint(low, high)
        if port not in _given and bindable(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free port between {low} and {high}")
