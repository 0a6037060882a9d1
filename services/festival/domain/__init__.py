"""The festival service's domain (DOMAIN §7, §2.8): rules with no I/O and no wall clock."""
