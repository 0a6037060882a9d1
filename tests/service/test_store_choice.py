"""The suite runs on whatever MongoDB-compatible server MONGO_URI names, and then starts no local store:
a part of it is run here against a server of this run's own, with the local store made unstartable."""
import os
import subprocess
import sys
import uuid

from pymongo import MongoClient

from tests.conftest import ROOT


def test_the_suite_uses_the_server_mongo_uri_names_and_starts_no_store(mongo_uri, amqp_uri):
    run = "m" + uuid.uuid4().hex[:5]
    env = dict(os.environ, MONGO_URI=mongo_uri, AMQP_URI=amqp_uri, KHADEM_TEST_RUN=run,
               KHADEM_STORE_PYTHON="/bin/false")  # starting a local store would fail the run
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/service/test_registry_service.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    names = MongoClient(mongo_uri).list_database_names()
    mine = [n for n in names if n.startswith(f"reg_{run}x")]
    assert mine, f"no database of the run {run} on the server: {names}"
