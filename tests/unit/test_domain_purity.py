"""Domain code is pure: it neither reads the wall clock nor draws ids, and does no I/O; time and
ids come in as arguments (kernel.clock), so every rule that depends on "now" is tested with a fixed
clock."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILES = sorted(ROOT.glob("services/*/domain/*.py"))
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("jalali", "today"),
                   ("time", "time"), ("uuid", "uuid4")}
FORBIDDEN_IMPORTS = {"uuid", "pymongo", "nameko", "kombu", "httpx", "requests", "time", "random"}


def test_there_is_domain_code_to_check():
    assert len(DOMAIN_FILES) >= 15


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_domain_code_takes_its_clock_and_ids_as_arguments(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and (node.func.value.id, node.func.attr) in FORBIDDEN_CALLS:
            found.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}()")
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_IMPORTS]
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_IMPORTS:
            found.append(f"line {node.lineno}: from {node.module}")
    assert found == []
