"""The oversight service's rules (DOMAIN §6), without I/O: complaints and their routing, violations
and the protection committee's rulings."""
