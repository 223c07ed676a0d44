"""The virtual bench: a virtual 1P7K charger and simulated twins of the bench instruments.

Everything here runs behind real transports (HTTP, TCP serial, VISA sockets on loopback), so the
suites reach it through exactly the code paths they use on a real bench.
"""
