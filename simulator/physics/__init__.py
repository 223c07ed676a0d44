"""One physical model of the bench, shared by the virtual charger and both instrument twins.

The charger drives the Control Pilot generator and the contactor; the EV simulator twin sets the
EV-side CP load, the load current and injected residual current; the power analyzer twin and the
charger's own meter both read the same mains current. Nothing is canned: every reading is derived
from the model's state at the current device time.
"""
from simulator.physics.model import PhysicalModel

__all__ = ["PhysicalModel"]
