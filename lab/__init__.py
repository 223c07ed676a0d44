"""A lab of benches on loopback: a labgrid coordinator, exporters and virtual benches (lab/loopback.py)."""
