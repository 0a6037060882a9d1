"""The reports service's domain, one module per aggregate: service types, the kanoons it knows from
the registry, activity reports, reservations, campaigns, programs, the monthly report, beneficiaries
and needs; `aggregates` counts, `rules` says who may do what. Pure Python: no I/O, no framework, no
wall clock (a `kernel.clock.Clock` or a `today` is passed in)."""
