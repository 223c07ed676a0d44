"""Bench suites: the charger seen through the EV simulator and the power analyzer (IEC 61851-1).

Shared fixtures and helpers live in ``suites/bench/conftest.py``; import helpers from there
(``from suites.bench.conftest import observe, charge, ...``).
"""
