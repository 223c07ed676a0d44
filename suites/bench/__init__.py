"""Bench suites: the charger seen through the EV side and the power analyzer (IEC 61851-1).

Every test receives the ``rig`` (rig/rig.py: the roles bound to the bench's instruments) from the
lektrico_hil plugin; there are no helpers here.  A test states the roles it needs with
``@pytest.mark.needs`` and is skipped with the reason on a bench that lacks one.
"""
