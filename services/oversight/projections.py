"""The oversight service's read model: the registry's (kernel.registry_view)."""
from kernel.registry_view import apply_registry_event  # noqa: F401
