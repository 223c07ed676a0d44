"""The one base class of bench faults, shared by every instrument driver.

A bench fault (an instrument or the charger unreachable, a garbled reply from an instrument) says
nothing about the product's conformance; suites and the report keep it apart from a verdict.
"""


class BenchFault(Exception):
    """The bench could not complete an exchange; no verdict on the product."""
