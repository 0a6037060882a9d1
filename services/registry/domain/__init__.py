"""The registry's domain, one module per aggregate: units, people, kanoons (formation, profile,
floor and ceiling), membership, transfers, selection, roles (the role catalogue and assignments),
leadership (formation approval and handover), settings, composition; `rules` says who may do what.
Pure Python: no I/O, no framework, no wall clock (a `kernel.clock.Clock` is passed in)."""
