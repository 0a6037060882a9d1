"""/docs shows a worked example for every request body, and every example is a valid request."""
import pytest

from gateway.app import create_app

SPEC = create_app().openapi()


def _body_schemas():
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref:
                yield f"{method.upper()} {path}", ref.rsplit("/", 1)[-1]


BODIES = sorted(set(_body_schemas()))


def test_there_are_request_bodies_to_check():
    assert len(BODIES) >= 55  # registry, reports, finance, oversight and festival


@pytest.mark.parametrize("route,name", BODIES)
def test_every_request_body_has_a_valid_example(route, name):
    import services.festival.schemas as festival
    import services.finance.schemas as finance
    import services.oversight.schemas as oversight
    import services.registry.schemas as registry
    import services.reports.schemas as reports
    import services.secretariat.schemas as secretariat
    from gateway.routes import ops
    schema = SPEC["components"]["schemas"][name]
    examples = schema.get("examples")
    assert examples, f"{route}: {name} has no example for /docs"
    model = (getattr(registry, name, None) or getattr(reports, name, None) or getattr(finance, name, None)
             or getattr(oversight, name, None) or getattr(festival, name, None) or getattr(secretariat, name, None)
             or getattr(ops, name))
    for example in examples:
        model.model_validate(example)  # raises when the example would be refused
