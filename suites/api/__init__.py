"""RPC API conformance suites (spec chapters 3-6): the charger alone, no instruments."""
