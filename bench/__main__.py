"""`python -m bench all`: every figure beside its baseline (bench/all.py). The single benchmarks run
as their own modules: `python -m bench.reports_ingest`, `python -m bench.chaos`, …"""
import sys

from bench import all as everything

if __name__ == "__main__":
    if sys.argv[1:2] != ["all"]:
        raise SystemExit("usage: python -m bench all [--quick] [--markdown FILE]  (see bench/all.py)")
    everything.main(sys.argv[2:])
