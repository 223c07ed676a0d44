"""What the charger is judged against, as data: the vendor's RPC list (``reference.spec``) and the
IEC 61851-1 Control Pilot reference (``reference.iec61851``).

Kept apart from the suites so that the fixtures, the reports and a lab's own tests read the same
tables the suites are parametrized from, without importing a test module.
"""
