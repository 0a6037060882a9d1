"""Nobody sees or does what is not theirs: every route × every role (and a plain member, and nobody)
× a target in the caller's own unit or in another province, against the table in
`tests/system/access_matrix.py` — 0 leaks, 0 wrong refusals. Statuses are counted, not bodies:
what each role sees of a record it may read is asserted in the services' own tests."""
from collections import Counter

import pytest

from tests.system import access_matrix as matrix
from tests.system.conftest import PROXY_SECRET


@pytest.fixture(scope="module")
def cells(system, admin):
    world = matrix.World(system.base, admin, PROXY_SECRET)
    return matrix.run(world, matrix._spec())


def test_the_table_names_every_route_and_only_roles_of_the_catalogue():
    from services.registry.domain.roles import Role
    spec = matrix._spec()
    routes = {f"{m} {p}" for m, p in matrix.routes(spec)}
    assert routes == set(matrix.ACCESS), (sorted(routes - set(matrix.ACCESS)), sorted(set(matrix.ACCESS) - routes))
    assert set(matrix.ROLES) == {r.value for r in Role}
    named = {a for rule in matrix.ACCESS.values() if rule not in (matrix.EVERYONE, matrix.PUBLIC) for a in rule.split()}
    assert named <= set(matrix.ACTORS)


def test_every_route_answers_every_role_as_the_table_says(cells):
    wrong = matrix.failures(cells)
    counts = Counter(w.split(":", 1)[0] for w in wrong)
    total = sum(len(c) for c in cells.values())
    assert not wrong, f"{len(wrong)} of {total} cells ({dict(counts)}):\n" + "\n".join(wrong[:60])
    # The matrix is not vacuous: most cells are refusals, and every route allowed someone.
    refused = sum(1 for (m, p), c in cells.items() for (a, sd) in c if not matrix.expected(f"{m} {p}", a, sd))
    assert refused > total / 2
    for (method, path), c in cells.items():
        assert any(matrix.expected(f"{method} {path}", a, sd) for (a, sd) in c), f"{method} {path} allows nobody"
