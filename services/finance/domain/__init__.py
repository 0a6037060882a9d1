"""The finance service's domain (DOMAIN §5), one module per aggregate: money (whole rials), the
ledger (append-only double-entry postings), terminals, receipts (vows, contributions, gifts,
endowments), reconciliation, figures; `rules` says who may do what. Pure Python: no I/O, no
framework, no wall clock (a `kernel.clock.Clock` is passed in)."""
